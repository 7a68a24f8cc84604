//! `sigwatch add`: a new watch file and a minimal keyring with only the pinned certificates.

use crate::cli::AddArgs;
use crate::error::{config, io};
use crate::fetch::place_bytes;
use crate::report::Printer;
use crate::verify::sigstore::{IdentityPin, SPEC_HINT};
use crate::verify::{Keyring, parse_pins};
use crate::watch::{NewWatch, Watch, render};

/// Runs `add`.
pub fn run(printer: &Printer, args: &AddArgs) -> super::Outcome {
    for spec in &args.publishers {
        IdentityPin::from_publisher(spec)
            .map_err(|e| config(format!("--publisher: {e}")).hint(SPEC_HINT))?;
    }
    let name = match (&args.name, &args.pypi, &args.url) {
        (Some(n), _, _) => n.clone(),
        (None, Some(p), _) => p.clone(),
        (None, None, Some(url)) => name_from_url(url, args.pattern.as_deref().unwrap_or_default()),
        (None, None, None) => unreachable!("clap requires --pypi or --url"),
    };
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return Err(
            config(format!("--name {name:?} cannot be used as a file name"))
                .hint("pass --name NAME"),
        );
    }
    let source = match (&args.pypi, &args.url, &args.pattern) {
        (Some(p), _, _) => vec![("pypi".to_string(), toml::Value::String(p.clone()))],
        (None, Some(u), Some(re)) => vec![
            ("url".to_string(), toml::Value::String(u.clone())),
            ("pattern".to_string(), toml::Value::String(re.clone())),
        ],
        _ => unreachable!("clap requires --pattern with --url"),
    };
    let keyring_rel = format!("keyrings/{name}.asc");
    // The OpenPGP part, with --keyring: the pins, their user IDs, the minimal keyring.
    let openpgp = match &args.keyring {
        Some(keyring_arg) => {
            let pins = parse_pins(&args.fingerprints, |_| "--fingerprint".to_string())?;
            let keyring = Keyring::load(keyring_arg)?;
            let minimal = crate::verify::keyring::export_pinned(&keyring, &pins)?;
            let comments: Vec<(String, String)> = pins
                .iter()
                .map(|p| {
                    let uid = keyring
                        .find(&p.0)
                        .and_then(|c| {
                            c.userids()
                                .next()
                                .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
                        })
                        .unwrap_or_default();
                    (crate::report::spaced(&p.to_string()), uid)
                })
                .collect();
            Some((keyring_arg, comments, minimal))
        }
        None => None,
    };
    let note = match &openpgp {
        Some((keyring_arg, _, _)) => format!(
            "Written by `sigwatch add` from {}; only the pinned certificates were copied.",
            keyring_arg.display()
        ),
        None => {
            "Written by `sigwatch add`: Sigstore publishers pinned; no OpenPGP keys.".to_string()
        }
    };
    let text = render(&NewWatch {
        name: name.clone(),
        notes: vec![note],
        source,
        signature_templates: args.signature_urls.clone(),
        keyring: if openpgp.is_some() {
            keyring_rel.clone()
        } else {
            String::new()
        },
        pins: openpgp.as_ref().map(|o| o.1.clone()).unwrap_or_default(),
        publishers: args.publishers.clone(),
        ..NewWatch::default()
    });
    let watch_path = args.dir.join(format!("{name}.toml"));
    let keyring_path = args.dir.join(&keyring_rel);
    let mut outputs = vec![&watch_path];
    if openpgp.is_some() {
        outputs.push(&keyring_path);
    }
    for p in outputs {
        if p.exists() && !args.force && !args.dry_run {
            return Err(config(format!("{} already exists", p.display()))
                .hint("pass --force to replace it"));
        }
    }
    // Validate exactly what will be written, with the same parser `check` and `fetch` use,
    // before anything is created; errors name the file the user asked for.
    let staged = tempfile::tempdir().map_err(|e| io("cannot create a temporary directory", &e))?;
    if let Some((_, _, minimal)) = &openpgp {
        let staged_keyring = staged.path().join(&keyring_rel);
        std::fs::create_dir(staged.path().join("keyrings"))
            .and_then(|()| std::fs::write(&staged_keyring, minimal))
            .map_err(|e| {
                io(
                    format_args!("{}: cannot write", staged_keyring.display()),
                    &e,
                )
            })?;
    }
    let staged_watch = staged.path().join(format!("{name}.toml"));
    let parsed = Watch::parse(&text, &staged_watch).map_err(|e| {
        let mut e = crate::error::Failure::from(e);
        e.message = e.message.replace(
            &staged_watch.display().to_string(),
            &watch_path.display().to_string(),
        );
        e
    })?;
    if openpgp.is_some()
        && let Some((warning, fix)) = parsed.pypi_signature_warning()
    {
        printer.warning(&format!("{warning}; {fix} (--signature-url)"));
    }
    if args.dry_run {
        printer.result(text.trim_end());
        printer.note(&match openpgp {
            Some(_) => format!(
                "dry run: nothing written; without --dry-run this is {}, with the pinned certificates in {}",
                watch_path.display(),
                keyring_path.display()
            ),
            None => format!(
                "dry run: nothing written; without --dry-run this is {}",
                watch_path.display()
            ),
        });
        return Ok(crate::exit::Exit::Ok);
    }
    if let Some((_, _, minimal)) = &openpgp {
        let keyring_dir = keyring_path
            .parent()
            .expect("keyrings/NAME.asc has a parent");
        std::fs::create_dir_all(keyring_dir)
            .map_err(|e| io(format_args!("{}: cannot create", keyring_dir.display()), &e))?;
        place_bytes(keyring_dir, &keyring_path, minimal)?;
    }
    std::fs::create_dir_all(&args.dir).map_err(|e| {
        io(
            format_args!("--dir {}: cannot create", args.dir.display()),
            &e,
        )
    })?;
    place_bytes(&args.dir, &watch_path, text.as_bytes())?;
    printer.note(&match openpgp {
        Some(_) => format!(
            "wrote {} and {}",
            watch_path.display(),
            keyring_path.display()
        ),
        None => format!("wrote {}", watch_path.display()),
    });
    printer.result(&watch_path.display().to_string());
    Ok(crate::exit::Exit::Ok)
}

/// A project name from a listing URL: the pattern's literal prefix, else the host's first label.
fn name_from_url(url: &str, pattern: &str) -> String {
    let prefix: String = pattern
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    // "example-1\.0\.tar\.gz" names "example", not "example-1".
    let prefix = prefix
        .split(['-', '_'])
        .take_while(|part| !part.starts_with(|c: char| c.is_ascii_digit()))
        .collect::<Vec<_>>()
        .join("-");
    let prefix = prefix.trim_end_matches(['-', '_']);
    if !prefix.is_empty() {
        return prefix.to_string();
    }
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| {
                h.trim_start_matches("www.")
                    .split('.')
                    .next()
                    .unwrap_or(h)
                    .to_string()
            })
        })
        .unwrap_or_else(|| "project".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_pattern_prefix_or_the_host() {
        assert_eq!(
            name_from_url(
                "https://gnupg.org/ftp/",
                r"gnupg-(?P<version>[\d.]+)\.tar\.bz2"
            ),
            "gnupg"
        );
        assert_eq!(
            name_from_url("https://www.example.org/dl/", r"(?P<version>[\d.]+)\.zip"),
            "example"
        );
    }
}
