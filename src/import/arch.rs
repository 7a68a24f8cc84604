//! `sigwatch import-arch`: take over the trust decision an Arch Linux packager already made.
//!
//! A PKGBUILD says where releases come from (`source=()`, where a `.sig`/`.asc` entry next to
//! a file makes makepkg verify it) and which keys may sign them (`validpgpkeys=()`, full
//! fingerprints); `keys/pgp/<FINGERPRINT>.asc` holds the keys. A PKGBUILD is a bash script, but
//! it is only ever *read* here: a small lexer understands quoting, top-level assignments,
//! `$var`/`${var}` (and `${var%…}`, `${var#…}`, `${var/…/…}`), brace pairs (`{,.sig}`) and
//! arrays; command substitutions, control flow and other commands are reported, never run.
//!
//! What cannot be expressed is reported with its `file:line`, as `import-debian` does. The
//! written watch file pins only keys that `validpgpkeys` names *and* the keyring holds; when
//! makepkg would verify nothing (no signed source, no `validpgpkeys`), it is still written, but
//! with `fingerprints = []`, which sigwatch refuses to load.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use super::{Note, Severity};
use crate::cli::ImportArchArgs;
use crate::error::config;
use crate::report::{Printer, spaced};
use crate::verify::keyring::{describe, export_pinned};
use crate::verify::{FINGERPRINT_HINT, Keyring, Pin, parse_pin, policy};
use crate::watch::NewWatch;

/// The result of `import-arch`; with `--json` it is printed as one object:
///
/// - `package`: `pkgbase`, else the (first) `pkgname`; names the watch file.
/// - `packages`: every `pkgname` (several for split packages).
/// - `current`: `pkgver` (without epoch or pkgrel), or null when it cannot be read statically.
/// - `watch`: the watch file written (`OUTDIR/<package>.toml`).
/// - `keyring`: the minimal keyring written (`OUTDIR/keyrings/<package>.asc`), or null.
/// - `key_files`: the files of `keys/pgp/` read, relative to DIR.
/// - `pinned`: the pinned fingerprints (uppercase hex); empty when the result does not verify
///   (the watch file then has `fingerprints = []` and does not load).
/// - `candidates`: the fingerprints of `validpgpkeys` that are full fingerprints (else the
///   keys of `keys/pgp/`), pinned or not.
/// - `signed_source`: the URL of the signed source translated, or null.
/// - `source`: the `[source]` table written (`{"github": …, "pattern": …}`, `{"pypi": …}`,
///   `{"url": …, "pattern": …}`).
/// - `signature_templates`: the signature URL templates written, in order.
/// - `notes`: `[{file, line, message, severity}]`, as `import-debian`'s.
/// - `verifies`: true when the watch file loads and pins every key `validpgpkeys` names
///   (exit 0); false otherwise (exit 1).
#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    /// Package base name.
    pub package: String,
    /// Every package name.
    pub packages: Vec<String>,
    /// `pkgver`.
    pub current: Option<String>,
    /// The watch file written.
    pub watch: String,
    /// The keyring written.
    pub keyring: Option<String>,
    /// The key files read.
    pub key_files: Vec<String>,
    /// Pinned fingerprints.
    pub pinned: Vec<String>,
    /// Fingerprints offered by the PKGBUILD (or keys/pgp).
    pub candidates: Vec<String>,
    /// The signed source's URL.
    pub signed_source: Option<String>,
    /// The `[source]` table written.
    pub source: serde_json::Map<String, serde_json::Value>,
    /// Signature URL templates written.
    pub signature_templates: Vec<String>,
    /// What was dropped, approximated or not translated.
    pub notes: Vec<Note>,
    /// Whether the result verifies signatures as strictly as makepkg.
    pub verifies: bool,
}

/// Runs `import-arch`.
pub fn command(printer: &Printer, args: &ImportArchArgs) -> anyhow::Result<u8> {
    let imported = import(&args.dir, &args.out)?;
    let (notes, verifies, pinned) = (&imported.notes, imported.verifies, imported.pinned.len());
    Ok(super::report(
        printer,
        args.json,
        &imported,
        notes,
        verifies,
        &imported.watch,
        pinned,
        "from validpgpkeys",
    ))
}

const PKGBUILD: &str = "PKGBUILD";
const KEYS_DIR: &str = "keys/pgp";

/// The version group written into patterns.
const VERSION_GROUP: &str = "(?P<version>[0-9][0-9A-Za-z.+~_-]*)";
/// The same, for further occurrences of the version in one file name.
const VERSION_AGAIN: &str = "[0-9][0-9A-Za-z.+~_-]*";

fn note(line: Option<usize>, severity: Severity, message: String) -> Note {
    Note {
        file: PKGBUILD.to_string(),
        line,
        message,
        severity,
    }
}

/// Reads DIR/PKGBUILD and DIR/keys/pgp, writes the watch file and keyring into `out`.
pub fn import(dir: &Path, out: &Path) -> anyhow::Result<Imported> {
    let path = dir.join(PKGBUILD);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        config(format!("{}: cannot read: {e}", path.display()))
            .hint("pass a directory holding a PKGBUILD (an AUR or Arch package checkout)")
    })?;
    let mut notes = Vec::new();
    let tokens = lex(&text).map_err(|(line, msg)| {
        config(format!("{}:{line}: {msg}", path.display()))
            .hint("sigwatch reads PKGBUILDs without running them; fix the quoting")
    })?;
    let vars = evaluate(&tokens, &mut notes);

    // Names.
    let packages: Vec<String> = match vars.get("pkgname") {
        Some(Var::Array(a)) => a
            .iter()
            .filter_map(|e| e.value.as_ref().ok())
            .map(Text::string)
            .collect(),
        Some(Var::Scalar(Ok(t))) => vec![t.string()],
        _ => Vec::new(),
    };
    let base = match vars.get("pkgbase") {
        Some(Var::Scalar(Ok(t))) => Some(t.string()),
        _ => None,
    };
    let package = base
        .clone()
        .or_else(|| packages.first().cloned())
        .ok_or_else(|| {
            config(format!(
                "{}: no pkgbase or pkgname assigned at top level",
                path.display()
            ))
            .hint("the watch file is named after the package")
        })?;
    let valid_name = !package.is_empty()
        && package
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@._+-".contains(c))
        && !package.starts_with(['.', '-']);
    if !valid_name {
        return Err(config(format!(
            "{}: package name {package:?} is not a valid Arch package name",
            path.display()
        ))
        .into());
    }
    if packages.len() > 1 {
        notes.push(note(
            vars.line("pkgname"),
            Severity::Info,
            format!(
                "split package ({}): one watch file, named after {}",
                packages.join(", "),
                if base.is_some() {
                    "pkgbase"
                } else {
                    "the first pkgname"
                }
            ),
        ));
    }
    let current = match vars.get("pkgver") {
        Some(Var::Scalar(Ok(t))) if !t.string().is_empty() => Some(t.string()),
        Some(Var::Scalar(Err(why))) => {
            notes.push(note(
                vars.line("pkgver"),
                Severity::Review,
                format!("pkgver cannot be read statically ({why}); `current` is not written"),
            ));
            None
        }
        _ => {
            notes.push(note(
                None,
                Severity::Review,
                "no pkgver assigned at top level; `current` is not written".into(),
            ));
            None
        }
    };

    // Sources.
    let sources = collect_sources(&vars, &mut notes);
    let signed = pair_signatures(&sources, &mut notes);
    let mut blockers: Vec<String> = Vec::new();
    let (tr, signed_source) = match signed.first() {
        Some((file, sig)) => {
            for (other, _) in signed.iter().skip(1) {
                notes.push(note(
                    Some(other.line),
                    Severity::Review,
                    format!(
                        "another signed source ({}) is not translated: a sigwatch watch file follows one source; write another watch file for it",
                        other.url.string()
                    ),
                ));
            }
            let mut tr = map_source(file, current.as_deref(), &mut notes);
            let (templates, note_text) =
                signature_template(file, sig, current.as_deref(), &mut notes);
            tr.templates = templates;
            tr.signature_note = Some(note_text);
            (tr, Some(file.url.string()))
        }
        None => {
            let msg = "no signed source: no source=() entry has a .sig/.asc signature next to it, so makepkg verifies no signature".to_string();
            notes.push(note(vars.line("source"), Severity::Error, msg.clone()));
            blockers.push(msg);
            let first = sources.iter().find(|s| {
                s.url.string().starts_with("https://") || s.url.string().starts_with("http://")
            });
            let mut tr = match first {
                Some(s) => map_source(s, current.as_deref(), &mut notes),
                None => Translation {
                    source: vec![
                        (
                            "url".into(),
                            toml::Value::String("https://TODO.invalid/".into()),
                        ),
                        (
                            "pattern".into(),
                            toml::Value::String(format!(
                                "{}-{VERSION_GROUP}\\.tar\\.gz",
                                regex::escape(&package)
                            )),
                        ),
                    ],
                    ..Translation::default()
                },
            };
            tr.templates = vec!["{url}.sig".into(), "{url}.asc".into()];
            tr.signature_note = Some(
                "TODO: the PKGBUILD has no signed source; these templates are guesses.".into(),
            );
            (tr, None)
        }
    };

    // Keys: validpgpkeys, and keys/pgp/*.asc.
    let (keyring, key_files) = load_keys(dir, &mut notes)?;
    let mut wanted: Vec<Pin> = Vec::new();
    match vars.get("validpgpkeys") {
        Some(Var::Array(entries)) => {
            for (i, e) in entries.iter().enumerate() {
                let here = Some(e.line);
                match &e.value {
                    Err(why) => notes.push(note(
                        here,
                        Severity::Error,
                        format!("validpgpkeys[{i}] cannot be read statically ({why}): not pinned"),
                    )),
                    Ok(t) => match parse_pin(&t.string()) {
                        Ok(pin) if !wanted.contains(&pin) => wanted.push(pin),
                        Ok(_) => {}
                        Err(e) => notes.push(note(
                            here,
                            Severity::Error,
                            format!(
                                "validpgpkeys[{i}]: {e}: refused, never pinned; {FINGERPRINT_HINT}"
                            ),
                        )),
                    },
                }
            }
        }
        Some(Var::Scalar(_)) => notes.push(note(
            vars.line("validpgpkeys"),
            Severity::Error,
            "validpgpkeys is not an array: not read".into(),
        )),
        None => {}
    }
    if wanted.is_empty() {
        let msg = "no usable validpgpkeys: nothing to pin (makepkg would accept a signature by any key the builder trusts)".to_string();
        notes.push(note(
            vars.line("validpgpkeys"),
            Severity::Error,
            msg.clone(),
        ));
        blockers.push(msg);
    }
    let mut present: Vec<Pin> = Vec::new();
    for pin in &wanted {
        match keyring.as_ref().and_then(|k| k.find(&pin.0)) {
            Some(_) => present.push(pin.clone()),
            None => notes.push(Note {
                file: format!("{KEYS_DIR}/{pin}.asc"),
                line: None,
                message: format!(
                    "validpgpkeys names {pin}, but no file in {KEYS_DIR}/ holds that key: not pinned, as the keyring must hold every pinned key; add it (gpg --export --armor {pin} > {KEYS_DIR}/{pin}.asc) and import again"
                ),
                severity: Severity::Error,
            }),
        }
    }
    if let Some(k) = &keyring {
        for cert in &k.certs {
            let named = wanted
                .iter()
                .any(|p| cert.keys().any(|key| key.key().fingerprint() == p.0));
            if !named {
                notes.push(Note {
                    file: KEYS_DIR.to_string(),
                    line: None,
                    message: format!(
                        "{} is not in validpgpkeys: not pinned{}",
                        cert.fingerprint().to_hex(),
                        if wanted.is_empty() {
                            " (offered in the TODO)"
                        } else {
                            " and not copied"
                        }
                    ),
                    severity: Severity::Info,
                });
            }
        }
        for cert in describe(k, &policy(), std::time::SystemTime::now()) {
            for w in cert.warnings {
                notes.push(Note {
                    file: KEYS_DIR.to_string(),
                    line: None,
                    message: w,
                    severity: Severity::Info,
                });
            }
        }
    }
    let candidates: Vec<Pin> = if wanted.is_empty() {
        keyring
            .as_ref()
            .map(|k| k.certs.iter().map(|c| Pin(c.fingerprint())).collect())
            .unwrap_or_default()
    } else {
        wanted.clone()
    };
    let in_keyring: Vec<Pin> = candidates
        .iter()
        .filter(|p| keyring.as_ref().is_some_and(|k| k.find(&p.0).is_some()))
        .cloned()
        .collect();
    let pins: Vec<Pin> = if blockers.is_empty() {
        present.clone()
    } else {
        Vec::new()
    };

    // What the watch file says about itself.
    let keyring_rel = format!("keyrings/{package}.asc");
    let uid_of = |p: &Pin| -> String {
        keyring
            .as_ref()
            .and_then(|k| k.find(&p.0))
            .and_then(|c| c.userids().next())
            .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
            .unwrap_or_default()
    };
    let keys_note = if !pins.is_empty() {
        format!(
            "From validpgpkeys ({PKGBUILD}:{}); the keys come from {KEYS_DIR}/.",
            vars.line("validpgpkeys").unwrap_or_default()
        )
    } else {
        let mut s = "TODO: nothing is pinned, so sigwatch refuses this file until a human decides."
            .to_string();
        for b in &blockers {
            s.push('\n');
            s.push_str(b);
        }
        if candidates.is_empty() {
            s.push_str(&format!(
                "\nPut upstream's public keys in {keyring_rel} and pin their full fingerprints."
            ));
        } else {
            s.push_str(&format!(
                "\nThe candidate keys (those in {KEYS_DIR}/ are copied to {keyring_rel}), to pin if upstream signs with them:"
            ));
            for c in &candidates {
                s.push_str(&format!("\n  \"{}\",   # {}", c, uid_of(c)));
            }
        }
        s
    };

    let mut header = vec![match &signed_source {
        Some(_) => format!(
            "Imported by `sigwatch import-arch` from {PKGBUILD} of {package} (signed source at line {}).",
            signed.first().map(|(f, _)| f.line).unwrap_or_default()
        ),
        None => format!("Imported by `sigwatch import-arch` from {PKGBUILD} of {package}."),
    }];
    header.push("The PKGBUILD was read, never run.".into());
    header.extend(super::review_lines(&notes));

    let new = NewWatch {
        name: package.clone(),
        current: current.clone(),
        notes: header,
        source: tr.source.clone(),
        signature_templates: tr.templates.clone(),
        signature_note: tr.signature_note.clone(),
        keyring: keyring_rel.clone(),
        pins: pins
            .iter()
            .map(|p| (spaced(&p.to_string()), uid_of(p)))
            .collect(),
        keys_note: Some(keys_note),
    };

    let minimal = match &keyring {
        Some(k) if !in_keyring.is_empty() => Some(export_pinned(k, &in_keyring)?),
        _ => None,
    };
    let source_line = signed.first().map(|(f, _)| f.line);
    let written = super::write_out(
        out,
        &package,
        &keyring_rel,
        &new,
        minimal.as_deref(),
        pins.is_empty(),
    )?;
    let loads = match written.load_error {
        None => true,
        Some(message) => {
            notes.push(note(source_line, Severity::Error, message));
            false
        }
    };
    let (watch_out, keyring_out) = (written.watch, written.keyring);
    let verifies =
        loads && !pins.is_empty() && !notes.iter().any(|n| n.severity == Severity::Error);
    let source = super::source_json(&tr.source);
    Ok(Imported {
        package,
        packages,
        current,
        watch: watch_out.display().to_string(),
        keyring: keyring_out.map(|k| k.display().to_string()),
        key_files,
        pinned: pins.iter().map(|p| p.to_string()).collect(),
        candidates: candidates.iter().map(|p| p.to_string()).collect(),
        signed_source,
        source,
        signature_templates: tr.templates,
        notes,
        verifies,
    })
}

/// Every certificate of `keys/pgp/*.asc`, merged; and the files read (relative to DIR).
fn load_keys(dir: &Path, notes: &mut Vec<Note>) -> anyhow::Result<(Option<Keyring>, Vec<String>)> {
    let keys_dir = dir.join(KEYS_DIR);
    let Ok(entries) = std::fs::read_dir(&keys_dir) else {
        return Ok((None, Vec::new()));
    };
    let mut files: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut merged = Keyring {
        path: keys_dir.clone(),
        certs: Vec::new(),
        warnings: Vec::new(),
    };
    let mut read = Vec::new();
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let rel = format!("{KEYS_DIR}/{name}");
        if !name.ends_with(".asc") {
            notes.push(Note {
                file: rel,
                line: None,
                message: "not a .asc key file: ignored (makepkg reads keys/pgp/<FINGERPRINT>.asc)"
                    .into(),
                severity: Severity::Info,
            });
            continue;
        }
        let k = match Keyring::load(&f) {
            Ok(k) => k,
            Err(e) => {
                notes.push(Note {
                    file: rel,
                    line: None,
                    message: format!("not read: {}", crate::error::one_line(&e)),
                    severity: Severity::Review,
                });
                continue;
            }
        };
        let stem = name.trim_end_matches(".asc").to_ascii_uppercase();
        let matches_name = k
            .certs
            .iter()
            .any(|c| c.keys().any(|key| key.key().fingerprint().to_hex() == stem));
        if !matches_name {
            notes.push(Note {
                file: rel.clone(),
                line: None,
                message: format!(
                    "named after {stem}, but holds {}: check the file",
                    k.certs
                        .iter()
                        .map(|c| c.fingerprint().to_hex())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                severity: Severity::Review,
            });
        }
        for cert in k.certs {
            let fpr = cert.fingerprint();
            if let Some(existing) = merged.certs.iter_mut().find(|c| c.fingerprint() == fpr) {
                *existing = existing.clone().merge_public(cert)?;
            } else {
                merged.certs.push(cert);
            }
        }
        read.push(rel);
    }
    Ok(((!merged.certs.is_empty()).then_some(merged), read))
}

// ---------------------------------------------------------------------------------------------
// Sources

/// One entry of `source=()`, expanded.
#[derive(Debug, Clone)]
struct SourceEntry {
    /// The local name (`name::` or the URL's file name).
    name: String,
    /// Whether the name came from `name::`.
    renamed: bool,
    /// The URL (without `name::` and `#fragment`), with version taint.
    url: Text,
    /// 1-based line.
    line: usize,
}

fn collect_sources(vars: &Vars, notes: &mut Vec<Note>) -> Vec<SourceEntry> {
    for (name, line) in &vars.order {
        if name.starts_with("source_") {
            notes.push(note(
                Some(*line),
                Severity::Review,
                format!("{name}: architecture-specific sources are not translated; write a watch file by hand if the signed release is there"),
            ));
        }
    }
    let mut out = Vec::new();
    let entries = match vars.get("source") {
        Some(Var::Array(a)) => a.clone(),
        Some(Var::Scalar(v)) => vec![Element {
            value: v.clone(),
            line: vars.line("source").unwrap_or_default(),
        }],
        None => Vec::new(),
    };
    for (i, e) in entries.iter().enumerate() {
        let t = match &e.value {
            Ok(t) => t,
            Err(why) => {
                notes.push(note(
                    Some(e.line),
                    Severity::Review,
                    format!("source[{i}] cannot be read statically ({why}): skipped"),
                ));
                continue;
            }
        };
        let s = t.string();
        let (name, rest, renamed) = match s.find("::") {
            Some(p) => (s[..p].to_string(), t.slice(p + 2, s.len()), true),
            None => (String::new(), t.clone(), false),
        };
        let rs = rest.string();
        let url = match rs.find('#') {
            Some(p) => rest.slice(0, p),
            None => rest,
        };
        let us = url.string();
        let name = if renamed {
            name
        } else {
            us.rsplit('/').next().unwrap_or_default().to_string()
        };
        let scheme = us.split("://").next().unwrap_or_default();
        if us.contains("://") && scheme.contains('+')
            || ["git", "svn", "hg", "bzr", "fossil"].contains(&scheme)
        {
            let signed = rs.contains("signed");
            notes.push(note(
                Some(e.line),
                if signed { Severity::Review } else { Severity::Info },
                if signed {
                    format!("{s}: a signed version-control source; makepkg verifies its tags or commits, sigwatch verifies detached signatures on release files: not translated")
                } else {
                    format!("{s}: a version-control source, skipped")
                },
            ));
            continue;
        }
        out.push(SourceEntry {
            name,
            renamed,
            url,
            line: e.line,
        });
    }
    out
}

const SIG_EXTS: [&str; 3] = [".sig", ".asc", ".sign"];

/// (file, its signature) pairs, in source order.
fn pair_signatures(
    sources: &[SourceEntry],
    notes: &mut Vec<Note>,
) -> Vec<(SourceEntry, SourceEntry)> {
    let mut pairs = Vec::new();
    for sig in sources {
        let Some(ext) = SIG_EXTS.iter().find(|e| sig.name.ends_with(*e)) else {
            continue;
        };
        let base = &sig.name[..sig.name.len() - ext.len()];
        match sources.iter().find(|s| s.name == base) {
            Some(file) => pairs.push((file.clone(), sig.clone())),
            None => notes.push(note(
                Some(sig.line),
                Severity::Review,
                format!(
                    "signature {} signs no source entry named {base}: skipped",
                    sig.name
                ),
            )),
        }
    }
    pairs.sort_by_key(|(f, _)| f.line);
    pairs
}

#[derive(Debug, Default)]
struct Translation {
    source: Vec<(String, toml::Value)>,
    templates: Vec<String>,
    signature_note: Option<String>,
}

const PYPI_HOSTS: [&str; 5] = [
    "files.pythonhosted.org",
    "pypi.io",
    "pypi.org",
    "www.pypi.org",
    "pypi.python.org",
];

/// The watch-file source for a release URL.
fn map_source(file: &SourceEntry, pkgver: Option<&str>, notes: &mut Vec<Note>) -> Translation {
    let here = Some(file.line);
    let url_text = file.url.string();
    if file.renamed {
        notes.push(note(
            here,
            Severity::Info,
            format!(
                "{}:: renames the download locally; the watch file matches upstream's file name",
                file.name
            ),
        ));
    }
    let Some((dir_len, filename)) = url_text.rfind('/').map(|p| (p + 1, &url_text[p + 1..])) else {
        notes.push(note(
            here,
            Severity::Error,
            format!("{url_text} is not a URL: a local file cannot be watched"),
        ));
        return Translation::default();
    };
    let file_text = file.url.slice(dir_len, url_text.len());
    let (pattern, found) = version_pattern(&file_text, pkgver);
    if !found {
        notes.push(note(
            here,
            Severity::Error,
            format!("the file name {filename} does not contain pkgver; write `pattern` with a (?P<version>…) group by hand"),
        ));
    }
    if file_text.0.iter().any(|p| p.taint == Taint::Derived) {
        notes.push(note(
            here,
            Severity::Review,
            format!("the file name {filename} holds a transformed pkgver (${{pkgver/…}}, ${{pkgver%…}}): sigwatch reports versions as they appear in file names; check `current` compares with them"),
        ));
    }
    let parsed = match url::Url::parse(&url_text) {
        Ok(u) if matches!(u.scheme(), "https" | "http") => u,
        _ => {
            notes.push(note(
                here,
                Severity::Error,
                format!("{url_text} is not an http(s) URL: sigwatch cannot watch it"),
            ));
            return Translation {
                source: vec![
                    ("url".into(), toml::Value::String(url_text.clone())),
                    ("pattern".into(), toml::Value::String(pattern)),
                ],
                ..Translation::default()
            };
        }
    };
    let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
    let segs: Vec<&str> = parsed
        .path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    let s = |k: &str, v: String| (k.to_string(), toml::Value::String(v));

    // GitHub.
    if host == "github.com" && segs.len() >= 3 {
        let project = format!("{}/{}", segs[0], segs[1]);
        if segs.len() >= 6 && segs[2] == "releases" && segs[3] == "download" {
            notes.push(note(
                here,
                Severity::Info,
                format!(
                    "a GitHub release asset: translated to the GitHub source `github = {project:?}`"
                ),
            ));
            return Translation {
                source: vec![s("github", project), s("pattern", pattern)],
                ..Translation::default()
            };
        }
        if segs[2] == "archive" {
            let tags = format!("https://github.com/{project}/tags");
            notes.push(note(
                here,
                Severity::Review,
                format!("a GitHub tag archive (/archive/…) is not a release asset, so the GitHub source cannot list it: wrote a URL source on {tags}; check its links match the pattern (or sign release assets upstream)"),
            ));
            return Translation {
                source: vec![s("url", tags), s("pattern", pattern)],
                ..Translation::default()
            };
        }
    }

    // GitLab (gitlab.com and self-hosted instances with /-/ paths).
    let dash = segs.iter().position(|p| *p == "-");
    let gitlab_host = host == "gitlab.com" || host.contains("gitlab") || host == "salsa.debian.org";
    if let Some(d) = dash.filter(|d| *d >= 2 && gitlab_host) {
        let project = segs[..d].join("/");
        let api = (host != "gitlab.com").then(|| format!("{}://{host}", parsed.scheme()));
        match segs.get(d + 1) {
            Some(&"releases") => {
                notes.push(note(
                    here,
                    Severity::Info,
                    format!("a GitLab release asset: translated to the GitLab source `gitlab = {project:?}`"),
                ));
                let mut source = vec![s("gitlab", project)];
                if let Some(api) = api {
                    source.push(s("api", api));
                }
                source.push(s("pattern", pattern));
                return Translation {
                    source,
                    ..Translation::default()
                };
            }
            Some(&"archive") => {
                let tags = format!("{}://{host}/{project}/-/tags", parsed.scheme());
                notes.push(note(
                    here,
                    Severity::Review,
                    format!("a GitLab tag archive (/-/archive/…) is not a release asset, so the GitLab source cannot list it: wrote a URL source on {tags}; check its links match the pattern"),
                ));
                return Translation {
                    source: vec![s("url", tags), s("pattern", pattern)],
                    ..Translation::default()
                };
            }
            _ => {}
        }
    }

    // PyPI.
    if PYPI_HOSTS.contains(&host.as_str()) {
        let from_path = match segs.as_slice() {
            ["packages", "source", _, name, ..] => Some(name.to_string()),
            _ => None,
        };
        let from_file = {
            let first_version = file_text
                .0
                .iter()
                .scan(0usize, |at, p| {
                    let start = *at;
                    *at += p.text.len();
                    Some((start, p))
                })
                .find(|(_, p)| p.taint != Taint::None)
                .map(|(start, _)| start)
                .or_else(|| pkgver.and_then(|v| filename.find(v)));
            first_version
                .map(|at| filename[..at].trim_end_matches(['-', '_']).to_string())
                .filter(|n| !n.is_empty())
        };
        if let Some(name) = from_path.or(from_file) {
            notes.push(note(
                here,
                Severity::Info,
                format!("{url_text} is PyPI: translated to the PyPI source `pypi = {name:?}`, which also checks the index's sha256 digests"),
            ));
            notes.push(note(
                here,
                Severity::Review,
                "PyPI stopped serving uploaded signatures in 2023: check that upstream still publishes one where the template points".into(),
            ));
            return Translation {
                source: vec![s("pypi", name)],
                ..Translation::default()
            };
        }
    }

    // A directory listing.
    let dir_text = file.url.slice(0, dir_len);
    let mut listing = dir_text.string();
    if let Some(cut) = first_versioned_segment(&dir_text, pkgver) {
        let seg = &listing[cut..];
        let seg = seg.split('/').next().unwrap_or_default().to_string();
        let kept = listing[..cut].to_string();
        notes.push(note(
            here,
            Severity::Review,
            format!("the directory {seg:?} holds the version, and sigwatch reads one page: wrote {kept}; check it lists the release files (or point it at the newest directory)"),
        ));
        listing = kept;
    }
    Translation {
        source: vec![s("url", listing), s("pattern", pattern)],
        ..Translation::default()
    }
}

/// Byte offset of the first path segment of a directory URL that contains the version.
fn first_versioned_segment(dir: &Text, pkgver: Option<&str>) -> Option<usize> {
    let text = dir.string();
    let path_start = text.find("://").map(|p| p + 3)?;
    let path_start = path_start + text[path_start..].find('/')? + 1;
    let mut at = 0;
    let mut tainted_at = None;
    for p in &dir.0 {
        if p.taint != Taint::None && at + p.text.len() > path_start && tainted_at.is_none() {
            tainted_at = Some(at.max(path_start));
        }
        at += p.text.len();
    }
    let hit = tainted_at.or_else(|| {
        pkgver
            .filter(|v| !v.is_empty())
            .and_then(|v| text[path_start..].find(v).map(|p| p + path_start))
    })?;
    Some(text[..hit].rfind('/').map_or(path_start, |p| p + 1))
}

/// A regex for the file name: version pieces (or pkgver's text) become the version group, the
/// rest is escaped. Returns whether a version was found.
fn version_pattern(file: &Text, pkgver: Option<&str>) -> (String, bool) {
    let mut out = String::new();
    let mut groups = 0;
    if file.0.iter().any(|p| p.taint != Taint::None) {
        for p in &file.0 {
            if p.taint == Taint::None {
                out.push_str(&regex::escape(&p.text));
            } else if !p.text.is_empty() {
                out.push_str(if groups == 0 {
                    VERSION_GROUP
                } else {
                    VERSION_AGAIN
                });
                groups += 1;
            }
        }
        return (out, groups > 0);
    }
    let name = file.string();
    match pkgver.filter(|v| !v.is_empty()) {
        Some(v) if name.contains(v) => {
            let parts: Vec<&str> = name.split(v).collect();
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str(if i == 1 { VERSION_GROUP } else { VERSION_AGAIN });
                }
                out.push_str(&regex::escape(part));
            }
            (out, true)
        }
        _ => (regex::escape(&name), false),
    }
}

/// The signature template relating a source URL to its signature's URL.
fn signature_template(
    file: &SourceEntry,
    sig: &SourceEntry,
    pkgver: Option<&str>,
    notes: &mut Vec<Note>,
) -> (Vec<String>, String) {
    let f = file.url.string();
    let g = sig.url.string();
    let from = format!("From {PKGBUILD}:{}: {}", sig.line, sig.name);
    if let Some(suffix) = g.strip_prefix(&f).filter(|s| !s.contains(['{', '}'])) {
        return (vec![format!("{{url}}{suffix}")], format!("{from}."));
    }
    let (dir, filename) = f.rsplit_once('/').unwrap_or((f.as_str(), ""));
    let mut t = match g.strip_prefix(&format!("{dir}/")) {
        Some(rest) => format!("{{dir}}/{}", rest.replace(filename, "{filename}")),
        None => g.replace(filename, "{filename}"),
    };
    if let Some(v) = pkgver.filter(|v| !v.is_empty()) {
        t = t.replace(v, "{version}");
    }
    if !t.contains('{') {
        notes.push(note(
            Some(sig.line),
            Severity::Review,
            format!("the signature's URL {g} does not follow the release's: wrote it as a fixed URL; check it"),
        ));
    } else {
        notes.push(note(
            Some(sig.line),
            Severity::Review,
            format!("the signature is not next to the release ({g}): wrote the template {t}; check it for other versions"),
        ));
    }
    (vec![t], format!("{from} (not next to the release)."))
}

// ---------------------------------------------------------------------------------------------
// Text with version taint

/// Where a piece of expanded text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Taint {
    /// Written literally (or from a variable not derived from pkgver).
    None,
    /// pkgver's value, unchanged.
    Version,
    /// pkgver's value, transformed (`${pkgver//./_}`).
    Derived,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    text: String,
    taint: Taint,
}

/// Expanded text, remembering which parts are the version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Text(Vec<Piece>);

impl Text {
    fn string(&self) -> String {
        self.0.iter().map(|p| p.text.as_str()).collect()
    }

    fn push(&mut self, text: &str, taint: Taint) {
        match self.0.last_mut() {
            Some(last) if last.taint == taint => last.text.push_str(text),
            _ => self.0.push(Piece {
                text: text.to_string(),
                taint,
            }),
        }
    }

    fn extend(&mut self, other: &Text) {
        for p in &other.0 {
            self.push(&p.text, p.taint);
        }
    }

    /// The part from byte `start` to `end` of the joined text.
    fn slice(&self, start: usize, end: usize) -> Text {
        let mut out = Text::default();
        let mut at = 0;
        for p in &self.0 {
            let (a, b) = (at, at + p.text.len());
            let (s, e) = (start.max(a), end.min(b));
            if s < e {
                out.push(&p.text[s - a..e - a], p.taint);
            }
            at = b;
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Lexing (never executing) a PKGBUILD

/// A part of a shell word.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    /// Literal text; `quoted` text takes no part in brace expansion.
    Lit { text: String, quoted: bool },
    /// `$name` or `${name…}`; `op` is what follows the name inside the braces.
    Param { name: String, op: String },
    /// A command substitution, backticks or arithmetic: never run.
    Unsafe { text: String },
}

/// A shell word with the line it starts on.
#[derive(Debug, Clone)]
struct Word {
    segs: Vec<Seg>,
    line: usize,
}

impl Word {
    fn unsafe_text(&self) -> Option<&str> {
        self.segs.iter().find_map(|s| match s {
            Seg::Unsafe { text } => Some(text.as_str()),
            _ => None,
        })
    }

    /// The word as written, roughly (for messages).
    fn display(&self) -> String {
        self.segs
            .iter()
            .map(|s| match s {
                Seg::Lit { text, .. } => text.clone(),
                Seg::Param { name, op } if op.is_empty() => format!("${name}"),
                Seg::Param { name, op } => format!("${{{name}{op}}}"),
                Seg::Unsafe { text } => text.clone(),
            })
            .collect()
    }

    /// `Some(text)` when the word is a single unquoted literal.
    fn plain(&self) -> Option<&str> {
        match self.segs.as_slice() {
            [
                Seg::Lit {
                    text,
                    quoted: false,
                },
            ] => Some(text),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
enum Tok {
    Word(Word),
    /// `;` `&` `|` `(` `)` `<` `>` and their doubled forms.
    Op(String),
    Newline,
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: usize,
}

type LexError = (usize, String);

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied();
        if let Some(c) = c {
            self.pos += 1;
            if c == '\n' {
                self.line += 1;
            }
        }
        c
    }

    /// Reads up to the closing `close`, counting nested `open`, skipping quotes; returns the
    /// text between.
    fn balanced(&mut self, open: char, close: char) -> Result<String, LexError> {
        let start_line = self.line;
        let mut depth = 1;
        let mut out = String::new();
        while let Some(c) = self.bump() {
            match c {
                '\\' => {
                    out.push(c);
                    if let Some(n) = self.bump() {
                        out.push(n);
                    }
                    continue;
                }
                '\'' if open == '(' => {
                    out.push(c);
                    loop {
                        match self.bump() {
                            Some('\'') => break,
                            Some(n) => out.push(n),
                            None => return Err((start_line, "unterminated ' quote".into())),
                        }
                    }
                    out.push('\'');
                    continue;
                }
                c if c == open => depth += 1,
                c if c == close => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(out);
                    }
                }
                _ => {}
            }
            out.push(c);
        }
        Err((start_line, format!("unterminated {open}…{close}")))
    }

    fn dollar(&mut self) -> Result<Seg, LexError> {
        // At '$'.
        self.bump();
        match self.peek(0) {
            Some('(') => {
                self.bump();
                let inner = self.balanced('(', ')')?;
                Ok(Seg::Unsafe {
                    text: format!("$({inner})"),
                })
            }
            Some('{') => {
                self.bump();
                let inner = self.balanced('{', '}')?;
                let name: String = inner
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                    return Ok(Seg::Param {
                        name: String::new(),
                        op: inner,
                    });
                }
                let op = inner[name.len()..].to_string();
                Ok(Seg::Param { name, op })
            }
            Some(c) if c == '_' || c.is_ascii_alphabetic() => {
                let mut name = String::new();
                while let Some(c) = self
                    .peek(0)
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    name.push(c);
                    self.bump();
                }
                Ok(Seg::Param {
                    name,
                    op: String::new(),
                })
            }
            Some(c) if c.is_ascii_digit() || "@*#?$!-".contains(c) => {
                self.bump();
                Ok(Seg::Param {
                    name: String::new(),
                    op: c.to_string(),
                })
            }
            _ => Ok(Seg::Lit {
                text: "$".into(),
                quoted: false,
            }),
        }
    }

    fn backtick(&mut self) -> Result<Seg, LexError> {
        let start_line = self.line;
        self.bump();
        let mut text = String::from("`");
        loop {
            match self.bump() {
                Some('\\') => {
                    text.push('\\');
                    if let Some(n) = self.bump() {
                        text.push(n);
                    }
                }
                Some('`') => break,
                Some(c) => text.push(c),
                None => return Err((start_line, "unterminated ` backtick".into())),
            }
        }
        text.push('`');
        Ok(Seg::Unsafe { text })
    }

    fn word(&mut self) -> Result<Word, LexError> {
        let line = self.line;
        let mut segs: Vec<Seg> = Vec::new();
        let lit = |segs: &mut Vec<Seg>, c: char, quoted: bool| match segs.last_mut() {
            Some(Seg::Lit { text, quoted: q }) if *q == quoted => text.push(c),
            _ => segs.push(Seg::Lit {
                text: c.to_string(),
                quoted,
            }),
        };
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '(' | ')' | '<' | '>' => break,
                '\\' => {
                    self.bump();
                    match self.bump() {
                        Some('\n') | None => {}
                        Some(n) => lit(&mut segs, n, true),
                    }
                }
                '\'' => {
                    let start_line = self.line;
                    self.bump();
                    // An empty '' still makes a (quoted, empty) word.
                    segs.push(Seg::Lit {
                        text: String::new(),
                        quoted: true,
                    });
                    loop {
                        match self.bump() {
                            Some('\'') => break,
                            Some(n) => lit(&mut segs, n, true),
                            None => return Err((start_line, "unterminated ' quote".into())),
                        }
                    }
                }
                '"' => {
                    let start_line = self.line;
                    self.bump();
                    segs.push(Seg::Lit {
                        text: String::new(),
                        quoted: true,
                    });
                    loop {
                        match self.peek(0) {
                            None => return Err((start_line, "unterminated \" quote".into())),
                            Some('"') => {
                                self.bump();
                                break;
                            }
                            Some('\\') => {
                                self.bump();
                                match self.bump() {
                                    Some('\n') => {}
                                    Some(n) if "$`\"\\".contains(n) => lit(&mut segs, n, true),
                                    Some(n) => {
                                        lit(&mut segs, '\\', true);
                                        lit(&mut segs, n, true);
                                    }
                                    None => {}
                                }
                            }
                            Some('$') => {
                                let seg = self.dollar()?;
                                match seg {
                                    Seg::Lit { text, .. } => {
                                        for ch in text.chars() {
                                            lit(&mut segs, ch, true);
                                        }
                                    }
                                    other => segs.push(other),
                                }
                            }
                            Some('`') => segs.push(self.backtick()?),
                            Some(n) => {
                                self.bump();
                                lit(&mut segs, n, true);
                            }
                        }
                    }
                }
                '$' => {
                    let seg = self.dollar()?;
                    match seg {
                        Seg::Lit { text, quoted } => {
                            for ch in text.chars() {
                                lit(&mut segs, ch, quoted);
                            }
                        }
                        other => segs.push(other),
                    }
                }
                '`' => segs.push(self.backtick()?),
                _ => {
                    self.bump();
                    lit(&mut segs, c, false);
                }
            }
        }
        segs.retain(|s| !matches!(s, Seg::Lit { text, .. } if text.is_empty()));
        if segs.is_empty() {
            // '' or "": an empty word.
            segs.push(Seg::Lit {
                text: String::new(),
                quoted: true,
            });
        }
        Ok(Word { segs, line })
    }
}

/// Splits a PKGBUILD into words, operators and newlines. Comments are dropped.
fn lex(text: &str) -> Result<Vec<Tok>, LexError> {
    let mut lx = Lexer {
        chars: text.chars().collect(),
        pos: 0,
        line: 1,
    };
    let mut toks = Vec::new();
    while let Some(c) = lx.peek(0) {
        match c {
            ' ' | '\t' | '\r' => {
                lx.bump();
            }
            '\\' if lx.peek(1) == Some('\n') => {
                lx.bump();
                lx.bump();
            }
            '\n' => {
                lx.bump();
                toks.push(Tok::Newline);
            }
            '#' => {
                while lx.peek(0).is_some_and(|c| c != '\n') {
                    lx.bump();
                }
            }
            ';' | '&' | '|' | '(' | ')' | '<' | '>' => {
                lx.bump();
                let mut op = c.to_string();
                if lx.peek(0) == Some(c) && c != '(' && c != ')' {
                    lx.bump();
                    op.push(c);
                }
                toks.push(Tok::Op(op));
            }
            _ => toks.push(Tok::Word(lx.word()?)),
        }
    }
    Ok(toks)
}

// ---------------------------------------------------------------------------------------------
// Evaluating top-level assignments (and nothing else)

/// One array element, expanded, with its line.
#[derive(Debug, Clone)]
struct Element {
    value: Result<Text, String>,
    line: usize,
}

/// A variable's value; `Err` says why it cannot be known without running the PKGBUILD.
#[derive(Debug, Clone)]
enum Var {
    Scalar(Result<Text, String>),
    Array(Vec<Element>),
}

#[derive(Debug, Default)]
struct Vars {
    map: HashMap<String, Var>,
    lines: HashMap<String, usize>,
    /// Variables in order of first assignment, with that line.
    order: Vec<(String, usize)>,
}

impl Vars {
    fn get(&self, name: &str) -> Option<&Var> {
        self.map.get(name)
    }

    fn line(&self, name: &str) -> Option<usize> {
        self.lines.get(name).copied()
    }

    fn set(&mut self, name: &str, var: Var, line: usize, append: bool) {
        if !self.lines.contains_key(name) {
            self.order.push((name.to_string(), line));
        }
        self.lines.insert(name.to_string(), line);
        let var = match (append, self.map.remove(name), var) {
            (true, Some(Var::Array(mut a)), Var::Array(b)) => {
                a.extend(b);
                Var::Array(a)
            }
            (true, Some(Var::Scalar(Ok(mut a))), Var::Scalar(Ok(b))) => {
                a.extend(&b);
                Var::Scalar(Ok(a))
            }
            (true, Some(Var::Scalar(a)), Var::Array(b)) => {
                let mut all = vec![Element { value: a, line }];
                all.extend(b);
                Var::Array(all)
            }
            (_, _, v) => v,
        };
        self.map.insert(name.to_string(), var);
    }
}

/// Variables makepkg sets while building: never known when reading.
const BUILD_TIME: [&str; 6] = ["srcdir", "pkgdir", "startdir", "CARCH", "CHOST", "SRCDEST"];

/// `NAME=` or `NAME+=` at the start of a word: (name, append, the value's segments).
fn assignment(word: &Word) -> Option<(String, bool, Vec<Seg>)> {
    let Some(Seg::Lit {
        text,
        quoted: false,
    }) = word.segs.first()
    else {
        return None;
    };
    let eq = text.find('=')?;
    let (name, append) = match text[..eq].strip_suffix('+') {
        Some(n) => (n, true),
        None => (&text[..eq], false),
    };
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
    if !valid {
        return None;
    }
    let mut rest = Vec::new();
    let after = &text[eq + 1..];
    if !after.is_empty() {
        rest.push(Seg::Lit {
            text: after.to_string(),
            quoted: false,
        });
    }
    rest.extend(word.segs[1..].iter().cloned());
    Some((name.to_string(), append, rest))
}

/// Walks the top level: assignments are evaluated; functions are skipped; control flow and
/// commands are reported and skipped. Nothing is executed.
fn evaluate(toks: &[Tok], notes: &mut Vec<Note>) -> Vars {
    let mut vars = Vars::default();
    let mut i = 0;
    let mut depth: usize = 0;
    let unsafe_note = |notes: &mut Vec<Note>, w: &Word, what: &str| {
        if let Some(t) = w.unsafe_text() {
            notes.push(note(
                Some(w.line),
                Severity::Review,
                format!("{t} is unsupported: command substitutions are never run (sigwatch reads a PKGBUILD, it never executes it); {what}"),
            ));
        }
    };
    while i < toks.len() {
        let Tok::Word(w) = &toks[i] else {
            i += 1;
            continue;
        };
        let plain = w.plain().unwrap_or_default();
        // Control flow: assignments inside are conditional, so they are not used.
        match plain {
            "if" | "case" | "for" | "while" | "until" | "select" => {
                if depth == 0 {
                    notes.push(note(
                        Some(w.line),
                        Severity::Review,
                        format!("`{plain}` at top level is not evaluated (sigwatch never executes a PKGBUILD): assignments inside it are ignored"),
                    ));
                }
                depth += 1;
                i = skip_command(toks, i + 1);
                continue;
            }
            "fi" | "esac" | "done" => {
                depth = depth.saturating_sub(1);
                i = skip_command(toks, i + 1);
                continue;
            }
            _ => {}
        }
        // Function definitions: `name() {…}`, `function name {…}`.
        let is_fn = matches!(
            (toks.get(i + 1), toks.get(i + 2)),
            (Some(Tok::Op(a)), Some(Tok::Op(b))) if a == "(" && b == ")"
        );
        if is_fn || plain == "function" {
            let name = if is_fn {
                w.display()
            } else {
                match toks.get(i + 1) {
                    Some(Tok::Word(n)) => n.display(),
                    _ => String::new(),
                }
            };
            if name == "pkgver" {
                notes.push(note(
                    Some(w.line),
                    Severity::Review,
                    "pkgver() computes the version while building (a VCS package?); it is not run: `current` is the static pkgver".into(),
                ));
            }
            i = skip_function(toks, i + if is_fn { 3 } else { 2 });
            continue;
        }
        if depth > 0 {
            i += 1;
            continue;
        }
        match assignment(w) {
            Some((name, append, value)) => {
                let is_array =
                    value.is_empty() && matches!(toks.get(i + 1), Some(Tok::Op(o)) if o == "(");
                if is_array {
                    let mut j = i + 2;
                    let mut elements = Vec::new();
                    while j < toks.len() {
                        match &toks[j] {
                            Tok::Op(o) if o == ")" => break,
                            Tok::Word(e) => {
                                unsafe_note(
                                    notes,
                                    e,
                                    &format!("this element of {name} is left out"),
                                );
                                for b in brace_expand(e) {
                                    elements.push(Element {
                                        value: expand(&b, &vars),
                                        line: e.line,
                                    });
                                }
                            }
                            _ => {}
                        }
                        j += 1;
                    }
                    vars.set(&name, Var::Array(elements), w.line, append);
                    i = j + 1;
                } else {
                    let vw = Word {
                        segs: value,
                        line: w.line,
                    };
                    unsafe_note(notes, &vw, &format!("{name} is left unknown"));
                    let mut v = expand(&vw, &vars);
                    if name == "pkgver"
                        && let Ok(t) = &mut v
                    {
                        for p in &mut t.0 {
                            p.taint = Taint::Version;
                        }
                    }
                    vars.set(&name, Var::Scalar(v), w.line, append);
                    i += 1;
                    // `a=1 cmd` runs cmd with a in its environment: a command.
                    if let Some(Tok::Word(next)) = toks.get(i)
                        && assignment(next).is_none()
                    {
                        notes.push(note(
                            Some(next.line),
                            Severity::Review,
                            format!("top-level command `{}` is not run", next.display()),
                        ));
                        i = skip_command(toks, i);
                    }
                }
            }
            None => {
                unsafe_note(notes, w, "the command is not run");
                if w.unsafe_text().is_none() {
                    notes.push(note(
                        Some(w.line),
                        Severity::Review,
                        format!("top-level command `{}` is not run (sigwatch never executes a PKGBUILD)", w.display()),
                    ));
                }
                i = skip_command(toks, i + 1);
            }
        }
    }
    vars
}

/// The index after the current command (its `;` or newline).
fn skip_command(toks: &[Tok], mut i: usize) -> usize {
    let mut parens = 0usize;
    while i < toks.len() {
        match &toks[i] {
            Tok::Op(o) if o == "(" => parens += 1,
            Tok::Op(o) if o == ")" => parens = parens.saturating_sub(1),
            Tok::Newline if parens == 0 => return i + 1,
            Tok::Op(o) if parens == 0 && (o == ";" || o == "&&" || o == "||") => return i + 1,
            _ => {}
        }
        i += 1;
    }
    i
}

/// The index after a function body starting at `i` (`{ … }` or `( … )`).
fn skip_function(toks: &[Tok], mut i: usize) -> usize {
    while matches!(toks.get(i), Some(Tok::Newline)) {
        i += 1;
    }
    let (open, close) = match toks.get(i) {
        Some(Tok::Op(o)) if o == "(" => ("(", ")"),
        _ => ("{", "}"),
    };
    let mut depth = 0usize;
    while i < toks.len() {
        let t = match &toks[i] {
            Tok::Word(w) => w.plain().unwrap_or_default(),
            Tok::Op(o) => o.as_str(),
            Tok::Newline => "",
        };
        if t == open {
            depth += 1;
        } else if t == close {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return i + 1;
            }
        }
        i += 1;
    }
    i
}

/// One character of a word, or a non-literal segment, for brace expansion.
#[derive(Debug, Clone)]
enum Atom {
    Char(char, bool),
    Seg(Seg),
}

/// Bash brace expansion of unquoted `{a,b}` (`foo{,.sig}` → `foo`, `foo.sig`).
fn brace_expand(word: &Word) -> Vec<Word> {
    let atoms: Vec<Atom> = word
        .segs
        .iter()
        .flat_map(|s| match s {
            Seg::Lit { text, quoted } => text.chars().map(|c| Atom::Char(c, *quoted)).collect(),
            other => vec![Atom::Seg(other.clone())],
        })
        .collect();
    expand_atoms(&atoms)
        .into_iter()
        .map(|atoms| {
            let mut segs: Vec<Seg> = Vec::new();
            for a in atoms {
                match a {
                    Atom::Char(c, q) => match segs.last_mut() {
                        Some(Seg::Lit { text, quoted }) if *quoted == q => text.push(c),
                        _ => segs.push(Seg::Lit {
                            text: c.to_string(),
                            quoted: q,
                        }),
                    },
                    Atom::Seg(s) => segs.push(s),
                }
            }
            Word {
                segs,
                line: word.line,
            }
        })
        .collect()
}

fn expand_atoms(atoms: &[Atom]) -> Vec<Vec<Atom>> {
    let is = |a: &Atom, ch: char| matches!(a, Atom::Char(c, false) if *c == ch);
    for open in 0..atoms.len() {
        if !is(&atoms[open], '{') {
            continue;
        }
        let mut depth = 0;
        let mut commas = Vec::new();
        let mut close = None;
        for (k, a) in atoms.iter().enumerate().skip(open) {
            if is(a, '{') {
                depth += 1;
            } else if is(a, '}') {
                depth -= 1;
                if depth == 0 {
                    close = Some(k);
                    break;
                }
            } else if is(a, ',') && depth == 1 {
                commas.push(k);
            }
        }
        let Some(close) = close else { continue };
        if commas.is_empty() {
            continue;
        }
        let mut bounds = vec![open];
        bounds.extend(&commas);
        bounds.push(close);
        let mut out = Vec::new();
        for w in bounds.windows(2) {
            let mut v: Vec<Atom> = atoms[..open].to_vec();
            v.extend_from_slice(&atoms[w[0] + 1..w[1]]);
            v.extend_from_slice(&atoms[close + 1..]);
            out.extend(expand_atoms(&v));
        }
        return out;
    }
    vec![atoms.to_vec()]
}

/// Expands parameters in a word; `Err` says why it cannot be known statically.
fn expand(word: &Word, vars: &Vars) -> Result<Text, String> {
    let mut out = Text::default();
    for seg in &word.segs {
        match seg {
            Seg::Lit { text, .. } => out.push(text, Taint::None),
            Seg::Unsafe { text } => return Err(format!("{text} is never run")),
            Seg::Param { name, op } => {
                if name.is_empty() {
                    return Err(format!("${{{op}}} is not supported"));
                }
                let value = match vars.get(name) {
                    Some(Var::Scalar(v)) => v.clone()?,
                    Some(Var::Array(a)) => match a.first() {
                        Some(e) => e.value.clone()?,
                        None => Text::default(),
                    },
                    None if BUILD_TIME.contains(&name.as_str()) => {
                        return Err(format!("${name} is set by makepkg while building"));
                    }
                    None => return Err(format!("${name} is not assigned at top level")),
                };
                if op.is_empty() {
                    out.extend(&value);
                } else {
                    let s = modify(&value.string(), op)
                        .ok_or_else(|| format!("${{{name}{op}}} is not supported"))?;
                    let taint = if value.0.iter().any(|p| p.taint != Taint::None) {
                        Taint::Derived
                    } else {
                        Taint::None
                    };
                    out.push(&s, taint);
                }
            }
        }
    }
    Ok(out)
}

/// `${var%pat}`, `%%`, `#`, `##` (glob `*` and `?`), `/pat/rep` and `//pat/rep` (literal).
fn modify(value: &str, op: &str) -> Option<String> {
    let glob = |p: &str| -> Option<String> {
        if p.contains(['[', '$', '`', '\\', '"', '\'']) {
            return None;
        }
        Some(
            p.chars()
                .map(|c| match c {
                    '*' => ".*".to_string(),
                    '?' => ".".to_string(),
                    c => regex::escape(&c.to_string()),
                })
                .collect(),
        )
    };
    // `${var:offset}` and `${var:offset:length}` with literal numbers (`${_name::1}`).
    if let Some(rest) = op.strip_prefix(':')
        && !rest.starts_with(['-', '=', '+', '?'])
    {
        let (off, len) = rest.split_once(':').unwrap_or((rest, ""));
        let number = |s: &str| -> Option<usize> {
            match s.trim() {
                "" => Some(0),
                t => t.parse().ok(),
            }
        };
        let chars: Vec<char> = value.chars().collect();
        let start = number(off)?.min(chars.len());
        let end = if rest.contains(':') {
            (start + number(len)?).min(chars.len())
        } else {
            chars.len()
        };
        return Some(chars[start..end].iter().collect());
    }
    if let Some(rest) = op.strip_prefix('/') {
        let (all, rest) = match rest.strip_prefix('/') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let (pat, rep) = rest.split_once('/').unwrap_or((rest, ""));
        if pat.is_empty()
            || pat.contains(['*', '?', '[', '$', '\\', '#', '%'])
            || rep.contains(['$', '\\'])
        {
            return None;
        }
        return Some(if all {
            value.replace(pat, rep)
        } else {
            value.replacen(pat, rep, 1)
        });
    }
    let (suffix, longest, pat) = if let Some(p) = op.strip_prefix("%%") {
        (true, true, p)
    } else if let Some(p) = op.strip_prefix('%') {
        (true, false, p)
    } else if let Some(p) = op.strip_prefix("##") {
        (false, true, p)
    } else if let Some(p) = op.strip_prefix('#') {
        (false, false, p)
    } else {
        return None;
    };
    let re = regex::Regex::new(&format!("^(?s:{})$", glob(pat)?)).ok()?;
    // Try every split point, shortest or longest match first.
    let cuts: Vec<usize> = (0..=value.len())
        .filter(|i| value.is_char_boundary(*i))
        .collect();
    let order: Box<dyn Iterator<Item = &usize>> = match (suffix, longest) {
        (true, false) => Box::new(cuts.iter().rev()),
        (true, true) => Box::new(cuts.iter()),
        (false, false) => Box::new(cuts.iter()),
        (false, true) => Box::new(cuts.iter().rev()),
    };
    for &i in order {
        if suffix && re.is_match(&value[i..]) {
            return Some(value[..i].to_string());
        }
        if !suffix && re.is_match(&value[..i]) {
            return Some(value[i..].to_string());
        }
    }
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars_of(text: &str) -> (Vars, Vec<Note>) {
        let toks = lex(text).unwrap();
        let mut notes = Vec::new();
        let vars = evaluate(&toks, &mut notes);
        (vars, notes)
    }

    fn strings(vars: &Vars, name: &str) -> Vec<String> {
        match vars.get(name) {
            Some(Var::Array(a)) => a
                .iter()
                .map(|e| {
                    e.value
                        .as_ref()
                        .map(Text::string)
                        .unwrap_or_else(|e| format!("ERR {e}"))
                })
                .collect(),
            Some(Var::Scalar(v)) => vec![
                v.as_ref()
                    .map(Text::string)
                    .unwrap_or_else(|e| format!("ERR {e}")),
            ],
            None => Vec::new(),
        }
    }

    #[test]
    fn brace_pairs_quotes_and_renames_expand() {
        let (v, _) = vars_of(
            "pkgname=foo\npkgver=1.2\n_n=${pkgname}\nurl='https://e.org'\n\
             source=(\"${url}/dl/${pkgname}-${pkgver}.tar.gz\"{,.sig}\n  x-$pkgver.zip::https://e.org/$_n/v${pkgver}.zip # c\n  'lit{,a}')\n",
        );
        assert_eq!(
            strings(&v, "source"),
            [
                "https://e.org/dl/foo-1.2.tar.gz",
                "https://e.org/dl/foo-1.2.tar.gz.sig",
                "x-1.2.zip::https://e.org/foo/v1.2.zip",
                "lit{,a}"
            ]
        );
    }

    #[test]
    fn functions_commands_and_substitutions_are_not_evaluated() {
        let (v, notes) = vars_of(
            "pkgver=$(touch /tmp/x)\nbuild() {\n  pkgname=evil\n  if true; then :; fi\n}\npkgname=ok\nif true; then\n  pkgname=cond\nfi\necho hi\n",
        );
        assert!(strings(&v, "pkgver")[0].starts_with("ERR"));
        assert_eq!(strings(&v, "pkgname"), ["ok"]);
        assert!(
            notes
                .iter()
                .any(|n| n.line == Some(1) && n.message.contains("unsupported"))
        );
        assert!(
            notes
                .iter()
                .any(|n| n.line == Some(7) && n.message.contains("`if`"))
        );
        assert!(
            notes
                .iter()
                .any(|n| n.line == Some(10) && n.message.contains("echo"))
        );
    }

    #[test]
    fn simple_modifiers_work_and_others_are_unsupported() {
        assert_eq!(modify("1.2.3", "%.*").as_deref(), Some("1.2"));
        assert_eq!(modify("1.2.3", "%%.*").as_deref(), Some("1"));
        assert_eq!(modify("1.2.3", "#*.").as_deref(), Some("2.3"));
        assert_eq!(modify("1.2.3", "//./_").as_deref(), Some("1_2_3"));
        assert_eq!(modify("flufl.lock", "::1").as_deref(), Some("f"));
        assert_eq!(modify("flufl.lock", ":6").as_deref(), Some("lock"));
        assert_eq!(modify("1.2.3", "^^"), None);
    }

    #[test]
    fn version_pieces_become_the_version_group() {
        let (v, _) = vars_of("pkgver=2.0\nsource=(foo-${pkgver}-x.tar.gz)\n");
        let Some(Var::Array(a)) = v.get("source") else {
            panic!()
        };
        let t = a[0].value.clone().unwrap();
        let (p, found) = version_pattern(&t, Some("2.0"));
        assert!(found);
        assert_eq!(p, format!("foo\\-{VERSION_GROUP}\\-x\\.tar\\.gz"));
    }
}
