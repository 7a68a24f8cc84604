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

use std::path::Path;

use serde::Serialize;

use super::{Note, Severity};

mod lex;
mod pkgbuild;
mod srcinfo;
mod translate;

use super::write::{key_lines, refresh_sources};
use super::{Draft, KeyLine, write_out};
use crate::cli::ImportArchArgs;
use crate::error::ImportError;
use crate::report::{Printer, spaced};
use crate::verify::keyring::export_pinned;
use crate::verify::{FINGERPRINT_HINT, Pin, parse_pin};
use crate::watch::NewWatch;
use translate::*;

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
/// - `keys`: `[{fingerprint, user_id, pinned, remarks}]`, every key of keys/pgp/.
/// - `refresh`: the `[keys] refresh` entries written (only when a pinned key cannot sign).
/// - `verifies`: true when the watch file loads and pins every key `validpgpkeys` names
///   (exit 0); false otherwise (exit 2: a human must finish the watch file).
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
    /// The keys of keys/pgp: pinned or not, and what is wrong with each.
    pub keys: Vec<KeyLine>,
    /// The `[keys] refresh` entries written (only when a pinned key cannot sign).
    pub refresh: Vec<String>,
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
const SRCINFO: &str = ".SRCINFO";

/// What a PKGBUILD or .SRCINFO says, as far as the translation needs it.
pub(super) struct Recipe {
    /// The file read (`PKGBUILD` or `.SRCINFO`).
    file: &'static str,
    /// `pkgbase`.
    base: Option<String>,
    /// Every `pkgname`.
    packages: Vec<String>,
    /// `pkgver`: `Ok(None)` when not assigned, `Err` when it cannot be read statically.
    pkgver: Result<Option<String>, String>,
    /// `source=()`, in order.
    sources: Vec<Element>,
    /// Architecture-specific source arrays (`source_x86_64`) and their lines.
    arch_sources: Vec<(String, usize)>,
    /// `validpgpkeys=()`: `Err` when it is not an array.
    validpgpkeys: Option<Result<Vec<Element>, String>>,
    /// The line each variable is (first) assigned on.
    lines: Vec<(String, usize)>,
}

impl Recipe {
    /// The line `name` is assigned on.
    fn line(&self, name: &str) -> Option<usize> {
        self.lines.iter().find(|(n, _)| n == name).map(|(_, l)| *l)
    }
}

/// The tree's recipe: its `.SRCINFO` when it has one that parses (what the AUR and Arch's
/// package repositories publish), else its PKGBUILD read statically.
fn read_recipe(dir: &Path, notes: &mut Vec<Note>) -> anyhow::Result<Recipe> {
    if let Ok(text) = std::fs::read_to_string(dir.join(SRCINFO)) {
        match srcinfo::read(&text) {
            Ok(recipe) => return Ok(recipe),
            Err(why) => notes.push(Note {
                file: SRCINFO.into(),
                line: None,
                message: format!("not read ({why}): the PKGBUILD is read instead"),
                severity: Severity::Review,
            }),
        }
    }
    let path = dir.join(PKGBUILD);
    let text = std::fs::read_to_string(&path).map_err(|error| ImportError::Read {
        path: path.clone(),
        error,
        hint: "pass a directory holding a .SRCINFO or PKGBUILD (an AUR or Arch package checkout)",
    })?;
    pkgbuild::read(&text, notes).map_err(|(line, message)| {
        ImportError::Syntax {
            path,
            line: Some(line),
            message,
            hint: Some("sigwatch reads PKGBUILDs without running them; fix the quoting"),
        }
        .into()
    })
}
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

/// Reads DIR/.SRCINFO (else DIR/PKGBUILD) and DIR/keys/pgp, writes the watch file and keyring
/// into `out`.
pub fn import(dir: &Path, out: &Path) -> anyhow::Result<Imported> {
    let mut notes = Vec::new();
    let recipe = read_recipe(dir, &mut notes)?;
    let file = recipe.file;

    // Names.
    let packages = recipe.packages.clone();
    let base = recipe.base.clone();
    let package = base
        .clone()
        .or_else(|| packages.first().cloned())
        .ok_or_else(|| ImportError::Package {
            path: dir.join(file),
            problem: "no pkgbase or pkgname assigned at top level".into(),
            hint: Some("the watch file is named after the package"),
        })?;
    let valid_name = !package.is_empty()
        && package
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@._+-".contains(c))
        && !package.starts_with(['.', '-']);
    if !valid_name {
        return Err(ImportError::Package {
            path: dir.join(file),
            problem: format!("package name {package:?} is not a valid Arch package name"),
            hint: None,
        }
        .into());
    }
    if packages.len() > 1 {
        notes.push(note(
            recipe.line("pkgname"),
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
    let current = match &recipe.pkgver {
        Ok(Some(v)) if !v.is_empty() => Some(v.clone()),
        Err(why) => {
            notes.push(note(
                recipe.line("pkgver"),
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
    let sources = collect_sources(&recipe, &mut notes);
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
            notes.push(note(recipe.line("source"), Severity::Error, msg.clone()));
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
            tr.signature_note = Some(format!(
                "TODO: the {file} has no signed source; these templates are guesses."
            ));
            (tr, None)
        }
    };

    // Keys: validpgpkeys, and keys/pgp/*.asc.
    let (keyring, key_files) = load_keys(dir, &mut notes)?;
    let mut wanted: Vec<Pin> = Vec::new();
    match &recipe.validpgpkeys {
        Some(Ok(entries)) => {
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
        Some(Err(why)) => notes.push(note(
            recipe.line("validpgpkeys"),
            Severity::Error,
            format!("validpgpkeys {why}: not read"),
        )),
        None => {}
    }
    if wanted.is_empty() {
        let msg = "no usable validpgpkeys: nothing to pin (makepkg would accept a signature by any key the builder trusts)".to_string();
        notes.push(note(
            recipe.line("validpgpkeys"),
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
            "From validpgpkeys ({file}:{}); the keys come from {KEYS_DIR}/.",
            recipe.line("validpgpkeys").unwrap_or_default()
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
            "Imported by `sigwatch import-arch` from {file} of {package} (signed source at line {}).",
            signed.first().map(|(f, _)| f.line).unwrap_or_default()
        ),
        None => format!("Imported by `sigwatch import-arch` from {file} of {package}."),
    }];
    if file == PKGBUILD {
        header.push("The PKGBUILD was read, never run.".into());
    }

    let new = NewWatch {
        name: package.clone(),
        current: current.clone(),
        notes: header,
        source: tr.source.clone(),
        signature_templates: tr.templates.clone(),
        signature_note: tr.signature_note.clone(),
        decompress: false,
        keyring: keyring_rel.clone(),
        pins: pins
            .iter()
            .map(|p| (spaced(&p.to_string()), uid_of(p)))
            .collect(),
        keys_note: Some(keys_note),
        publishers: Vec::new(),
    };

    let minimal = match &keyring {
        Some(k) if !in_keyring.is_empty() => Some(export_pinned(k, &in_keyring)?),
        _ => None,
    };
    let source_line = signed.first().map(|(f, _)| f.line);
    let why_not = if wanted.is_empty() {
        "offered: validpgpkeys names no key"
    } else if pins.is_empty() {
        "not pinned: the watch file does not verify yet"
    } else {
        "not in validpgpkeys: not pinned"
    };
    let keys: Vec<KeyLine> = keyring
        .as_ref()
        .map(|k| key_lines(k, &pins, why_not))
        .unwrap_or_default();
    // A key file among the sources (`name.keyring`, `KEYS`) is where upstream publishes keys.
    let key_url = sources
        .iter()
        .find(|s| {
            let n = s.name.to_ascii_lowercase();
            n == "keys" || n.ends_with(".keyring") || n.ends_with(".pub") || n.ends_with(".key")
        })
        .map(|s| s.url.string());
    let refresh = keyring
        .as_ref()
        .map(|k| refresh_sources(k, &pins, key_url.as_deref()))
        .unwrap_or_default();
    if file == SRCINFO {
        for n in &mut notes {
            if n.file == PKGBUILD {
                n.file = SRCINFO.into();
            }
        }
    }
    let written = write_out(
        Draft {
            out,
            stem: &package,
            keyring_rel: &keyring_rel,
            new,
            minimal: minimal.as_deref(),
            refresh,
            always_refresh: Vec::new(),
            keys: &keys,
        },
        &mut notes,
    )?;
    let loads = match written.load_error {
        None => true,
        Some(message) => {
            notes.push(Note {
                file: file.into(),
                line: source_line,
                message,
                severity: Severity::Error,
            });
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
        keys,
        refresh: written.refresh,
        notes,
        verifies,
    })
}
