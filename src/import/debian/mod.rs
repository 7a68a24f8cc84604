//! `sigwatch import-debian`: take over the trust decision a Debian packager already made.
//!
//! A Debian source package says where releases come from (`debian/watch`, line based v1–4 or
//! deb822 v5) and which keys may sign them (`debian/upstream/signing-key.asc` or `.pgp`). uscan
//! accepts a signature by any key in that file, so every primary key in it is pinned. What
//! cannot be expressed in a sigwatch watch file is reported with its `file:line`, and the
//! written watch file says in comments what a human must check. When the original does not
//! verify signatures (no pgp option, `pgpmode=none`, git modes, no key file), the watch file is
//! still written, but with `fingerprints = []`, which sigwatch refuses to load: an imported
//! file never silently skips verification.

use std::path::Path;

use serde::Serialize;

use crate::cli::ImportDebianArgs;
use crate::error::ImportError;
use crate::report::{Printer, spaced};
use crate::verify::keyring::export_pinned;
use crate::verify::{Keyring, Pin};
use crate::watch::{NewWatch, render};

pub use super::{Note, Severity};

mod parse;
mod pattern;
mod translate;

use super::write::{key_lines, refresh_sources};
use super::{Draft, KeyLine, write_out};
use parse::{Entry, changelog_version, package_name, read_entries, upstream_version};
use translate::translate as translate_source;

/// The result of `import-debian`; with `--json` it is printed as one object:
///
/// - `package`: the source package name (`debian/control` `Source:`, else `debian/changelog`).
/// - `current`: the upstream version packaged now (changelog version without epoch and Debian
///   revision, after `dversionmangle`), or null.
/// - `watch`: the watch file written (`OUTDIR/<package>.toml`).
/// - `keyring`: the minimal keyring written (`OUTDIR/keyrings/<package>.asc`), or null when
///   there is no upstream key file.
/// - `key_file`: the upstream key file read, relative to DIR, or null.
/// - `pinned`: the pinned primary fingerprints (uppercase hex); empty when the original does
///   not verify signatures (the watch file then has `fingerprints = []` and does not load).
/// - `candidates`: every primary fingerprint in the key file (pinned or not).
/// - `source`: `{"pypi": NAME}`, `{"github"|"gitlab": PROJECT, ["api": URL,] "pattern": REGEX}`
///   or `{"url": URL, "pattern": REGEX}`, as written.
/// - `signature_templates`: the signature URL templates written, in order.
/// - `notes`: `[{file, line, message, severity}]`; `line` is 1-based or null, `severity` is
///   `info` (dropped on purpose), `review` (a human must check) or `error` (does not verify).
/// - `keys`: `[{fingerprint, user_id, pinned, remarks}]`, every key of the key file.
/// - `refresh`: the `[keys] refresh` entries written (only when a pinned key cannot sign).
/// - `verifies`: true when the watch file loads and verifies signatures as strictly as
///   debian/watch did; false otherwise.
/// - `components`: one such object for each further source of debian/watch (a component
///   is written as `<package>-<component>.toml`, a further source as `<package>-2.toml`).
///
/// The exit status is 0 when every watch file written verifies, else 2.
#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    /// Source package name.
    pub package: String,
    /// Upstream version packaged now.
    pub current: Option<String>,
    /// The watch file written.
    pub watch: String,
    /// The keyring written.
    pub keyring: Option<String>,
    /// The upstream key file read.
    pub key_file: Option<String>,
    /// Pinned fingerprints.
    pub pinned: Vec<String>,
    /// Every primary fingerprint in the key file.
    pub candidates: Vec<String>,
    /// The `[source]` table written.
    pub source: serde_json::Map<String, serde_json::Value>,
    /// Signature URL templates written.
    pub signature_templates: Vec<String>,
    /// What was dropped, approximated or not translated.
    pub notes: Vec<Note>,
    /// The keys of the key file: pinned or not, and what is wrong with each.
    pub keys: Vec<KeyLine>,
    /// The `[keys] refresh` entries written (when a pinned key cannot sign).
    pub refresh: Vec<String>,
    /// Whether the result verifies signatures as strictly as the original.
    pub verifies: bool,
    /// The watch files written for further sources (components), each as this object.
    pub components: Vec<Imported>,
}

/// Runs `import-debian`: exit 0 when every watch file written verifies as strictly as
/// debian/watch, 2 when a human must finish one (nothing was verified, so never 1).
pub fn command(printer: &Printer, args: &ImportDebianArgs) -> anyhow::Result<u8> {
    let imported = import(&args.dir, &args.out)?;
    let all_verify = imported.verifies && imported.components.iter().all(|c| c.verifies);
    if !args.json {
        for c in &imported.components {
            printer.imported(&c.notes, c.verifies, &c.watch, c.pinned.len(), ORIGIN);
        }
    }
    let code = super::report(
        printer,
        args.json,
        &imported,
        &imported.notes,
        imported.verifies,
        &imported.watch,
        imported.pinned.len(),
        ORIGIN,
    );
    Ok(if all_verify { code } else { 2 })
}

const WATCH: &str = "debian/watch";
const ORIGIN: &str = "and verifies like debian/watch";

/// The key file, in uscan's order of preference.
const KEY_FILES: [&str; 3] = [
    "debian/upstream/signing-key.pgp",
    "debian/upstream/signing-key.asc",
    "debian/upstream-signing-key.pgp",
];

/// What every watch file of one package shares: names, version, keys.
struct Package {
    name: String,
    changelog_version: Option<debversion::Version>,
    key_file: Option<&'static str>,
    keyring: Option<Keyring>,
    candidates: Vec<Pin>,
    /// Notes about the package as a whole (key files), given to the first watch file.
    notes: Vec<Note>,
}

/// What `import-debian` makes of a debian/ tree, in memory: one watch file per upstream
/// source, rendered, with the notes about each; nothing is written. `sigwatch uscan` reads
/// debian/ through this; [`import`] writes it out.
pub struct Translation {
    /// The source package name.
    pub package: String,
    /// The upstream key file read, relative to DIR.
    pub key_file: Option<String>,
    /// Every primary fingerprint of the key file.
    pub candidates: Vec<Pin>,
    /// The minimal keyring of those keys (what `keyrings/<package>.asc` holds).
    pub minimal_keyring: Option<Vec<u8>>,
    /// One per upstream source; the first is the main one.
    pub entries: Vec<TranslatedWatch>,
}

/// One translated watch entry.
pub struct TranslatedWatch {
    /// `component=` of the entry, if any.
    pub component: Option<String>,
    /// The watch file's stem (`<package>`, `<package>-<component>`, `<package>-2`).
    pub stem: String,
    /// The entry's line in debian/watch.
    pub line: usize,
    /// The watch file, as data.
    pub watch: NewWatch,
    /// The watch file rendered (keyring path `keyrings/<package>.asc`, relative to it);
    /// without the review comments and lint findings that [`import`] adds.
    pub toml: String,
    /// The pinned fingerprints (empty: the entry does not verify signatures).
    pub pins: Vec<Pin>,
    /// Every key of the key file, pinned or not.
    pub keys: Vec<KeyLine>,
    /// Refresh sources for when a pinned key cannot sign.
    pub refresh: Vec<String>,
    /// The upstream version packaged now.
    pub current: Option<String>,
    /// What debian/watch asks of uscan beyond discovery and signatures.
    pub mangles: Mangles,
    /// What was dropped, approximated or not translated.
    pub notes: Vec<Note>,
}

/// The uscan options sigwatch does not apply itself, as written in debian/watch.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Mangles {
    /// `uversionmangle`.
    pub uversionmangle: Option<String>,
    /// `dversionmangle`.
    pub dversionmangle: Option<String>,
    /// `oversionmangle`.
    pub oversionmangle: Option<String>,
    /// `filenamemangle`.
    pub filenamemangle: Option<String>,
    /// `downloadurlmangle`.
    pub downloadurlmangle: Option<String>,
    /// `repacksuffix`.
    pub repacksuffix: Option<String>,
    /// `decompress`: upstream signs the uncompressed tarball.
    pub decompress: bool,
    /// `repack`.
    pub repack: bool,
}

impl Mangles {
    fn of(entry: &Entry) -> Mangles {
        let get = |k: &str| entry.opt(k).map(|o| o.value.clone());
        Mangles {
            uversionmangle: get("uversionmangle"),
            dversionmangle: get("dversionmangle"),
            oversionmangle: get("oversionmangle"),
            filenamemangle: get("filenamemangle"),
            downloadurlmangle: get("downloadurlmangle"),
            repacksuffix: get("repacksuffix"),
            decompress: entry.opt("decompress").is_some(),
            repack: entry.opt("repack").is_some(),
        }
    }
}

/// Reads DIR/debian, writes one watch file per upstream source (and the keyring) into `out`,
/// and says what it did.
pub fn import(dir: &Path, out: &Path) -> anyhow::Result<Imported> {
    let t = translate(dir)?;
    let mut written: Vec<Imported> = Vec::new();
    for tw in t.entries.iter() {
        written.push(write_entry(&t, tw, out)?);
    }
    let mut main = written.remove(0);
    main.components = written;
    Ok(main)
}

/// Translates DIR/debian in memory: what [`import`] would write, without writing it.
pub fn translate(dir: &Path) -> anyhow::Result<Translation> {
    let debian = dir.join("debian");
    if !debian.is_dir() {
        return Err(ImportError::Package {
            path: dir.to_path_buf(),
            problem: "no debian/ directory here".into(),
            hint: Some(
                "pass the top directory of an unpacked Debian source package (it contains debian/)",
            ),
        }
        .into());
    }
    let watch_path = dir.join(WATCH);
    let text = std::fs::read_to_string(&watch_path).map_err(|error| ImportError::Read {
        path: watch_path.clone(),
        error,
        hint: "import-debian translates debian/watch; this package has none to translate",
    })?;
    let name = package_name(&debian)?;
    let mut file_notes = Vec::new();
    let entries = read_entries(&text, &mut file_notes).map_err(|e| ImportError::Syntax {
        path: watch_path.clone(),
        line: None,
        message: format!("cannot parse: {e}"),
        hint: None,
    })?;
    // An entry with pgpmode=previous is the signature line of the entry before it.
    let mut groups: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].pgpmode() != Some("previous"))
        .collect();
    // Several sources of the same tarball (no component): when one checks signatures, the
    // ones that do not are alternatives uscan would take unverified; they are not written.
    let main_signed =
        |i: &usize| entries[*i].opt("component").is_none() && checks_signatures(&entries, *i);
    if groups.iter().any(main_signed) {
        groups.retain(|i| {
            let unsigned = entries[*i].opt("component").is_none() && !checks_signatures(&entries, *i);
            if unsigned {
                file_notes.push(note(
                    Some(entries[*i].line),
                    Severity::Review,
                    format!(
                        "another source of the same tarball ({}) checks no signature (no pgpsigurlmangle or pgpmode): uscan would take its files unverified; not written, the signed source is the way to these releases",
                        entries[*i].url
                    ),
                ));
            }
            !unsigned
        });
    }
    if groups.is_empty() {
        return Err(ImportError::Package {
            path: watch_path,
            problem: "no watch entry (only comments or signature lines)".into(),
            hint: Some(
                "there is nothing to translate; write a watch file by hand with `sigwatch add`",
            ),
        }
        .into());
    }

    let found: Vec<&'static str> = KEY_FILES
        .iter()
        .copied()
        .filter(|k| dir.join(k).is_file())
        .collect();
    let key_file = found.first().copied();
    for ignored in found.iter().skip(1) {
        file_notes.push(Note {
            file: ignored.to_string(),
            line: None,
            message: format!(
                "ignored: uscan reads only the first of {}, which is {}",
                KEY_FILES.join(", "),
                key_file.unwrap_or_default()
            ),
            severity: Severity::Review,
        });
    }
    let keyring = match key_file {
        Some(k) => Some(Keyring::load(&dir.join(k))?),
        None => None,
    };
    let candidates: Vec<Pin> = keyring
        .as_ref()
        .map(|k| k.certs.iter().map(|c| Pin(c.fingerprint())).collect())
        .unwrap_or_default();
    let pkg = Package {
        changelog_version: changelog_version(&debian),
        name,
        key_file,
        keyring,
        candidates,
        notes: file_notes,
    };

    // One watch file per source: the main one named after the package, components after
    // themselves, further sources numbered.
    let mut translated: Vec<TranslatedWatch> = Vec::new();
    let mut unnamed = 0;
    for &i in &groups {
        let entry = &entries[i];
        let stem = match entry.opt("component") {
            Some(c) => format!("{}-{}", pkg.name, c.value.trim()),
            None => {
                unnamed += 1;
                if unnamed == 1 {
                    pkg.name.clone()
                } else {
                    format!("{}-{unnamed}", pkg.name)
                }
            }
        };
        let next = entries
            .get(i + 1)
            .filter(|n| n.pgpmode() == Some("previous"));
        let mut notes = if translated.is_empty() {
            pkg.notes.clone()
        } else {
            Vec::new()
        };
        if groups.len() > 1 {
            notes.push(note(
                Some(entry.line),
                Severity::Info,
                format!(
                    "debian/watch has {} sources: this one ({}) is written as {stem}.toml, pinned from the same key file",
                    groups.len(),
                    entry.url
                ),
            ));
        }
        translated.push(translate_entry(&pkg, entry, next, &stem, notes));
    }
    let minimal_keyring = match &pkg.keyring {
        Some(k) if !pkg.candidates.is_empty() => Some(export_pinned(k, &pkg.candidates)?),
        _ => None,
    };
    Ok(Translation {
        package: pkg.name,
        key_file: pkg.key_file.map(str::to_string),
        candidates: pkg.candidates,
        minimal_keyring,
        entries: translated,
    })
}

/// Whether uscan checks a signature for entry `i`: a signature URL (pgpsigurlmangle), a mode
/// that finds one (`auto`, `next`, a `previous` line after it) or one it refuses to skip.
fn checks_signatures(entries: &[Entry], i: usize) -> bool {
    let entry = &entries[i];
    let next_is_sig = entries
        .get(i + 1)
        .is_some_and(|n| n.pgpmode() == Some("previous"));
    match entry.pgpmode().map(str::to_lowercase).as_deref() {
        Some("none") => false,
        Some("default") | Some("mangle") | None => {
            entry.opt("pgpsigurlmangle").is_some() || next_is_sig
        }
        Some(_) => true,
    }
}

/// Translates one watch entry (and its signature line) into the watch file `<stem>.toml`.
fn translate_entry(
    pkg: &Package,
    entry: &Entry,
    next: Option<&Entry>,
    stem: &str,
    mut notes: Vec<Note>,
) -> TranslatedWatch {
    let current = pkg
        .changelog_version
        .as_ref()
        .map(|v| upstream_version(v, entry, &pkg.name, &mut notes));
    let tr = translate_source(entry, next, &pkg.name, &mut notes);
    let (key_file, keyring, candidates) = (pkg.key_file, &pkg.keyring, &pkg.candidates);
    let mut blockers: Vec<String> = tr.not_verifying.clone();
    if key_file.is_none() {
        let msg = "there is no upstream key file (debian/upstream/signing-key.asc or .pgp): nothing to pin".to_string();
        notes.push(Note {
            file: "debian/upstream/signing-key.asc".into(),
            line: None,
            message: msg.clone(),
            severity: Severity::Error,
        });
        blockers.push(msg);
    }
    let pins: Vec<Pin> = if blockers.is_empty() {
        candidates.clone()
    } else {
        Vec::new()
    };

    // What the watch file says about itself.
    let keyring_rel = format!("keyrings/{}.asc", pkg.name);
    let uid_of = |p: &Pin| -> String {
        keyring
            .as_ref()
            .and_then(|k| k.find(&p.0))
            .and_then(|c| c.userids().next())
            .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
            .unwrap_or_default()
    };
    let keys_note = match (key_file, pins.is_empty()) {
        (Some(k), false) => {
            format!("Every primary key in {k} is pinned: uscan accepts a signature by any of them.")
        }
        (Some(k), true) => {
            let mut s = format!(
                "TODO: nothing is pinned, so sigwatch refuses this file until a human decides.\n{}\nThe keys in {k} (copied to {keyring_rel}), to pin if upstream signs with them:",
                blockers.join("\n")
            );
            for c in candidates {
                s.push_str(&format!("\n  \"{}\",   # {}", c, uid_of(c)));
            }
            s
        }
        (None, _) => format!(
            "TODO: nothing is pinned and {keyring_rel} does not exist.\n{}\nPut upstream's public keys in {keyring_rel} and pin their full fingerprints.",
            blockers.join("\n")
        ),
    };
    let keys: Vec<KeyLine> = match keyring {
        Some(k) => key_lines(k, &pins, "not pinned: the watch file does not verify yet"),
        None => Vec::new(),
    };
    let refresh = match keyring {
        Some(k) => refresh_sources(k, &pins, None),
        None => Vec::new(),
    };

    let header = vec![format!(
        "Imported by `sigwatch import-debian` from {} ({}, line {}) of {}.",
        WATCH, tr.format, entry.line, pkg.name
    )];
    let new = NewWatch {
        name: stem.to_string(),
        current: current.clone(),
        notes: header,
        source: tr.source.clone(),
        signature_templates: tr.templates.clone(),
        signature_note: tr.signature_note.clone(),
        decompress: tr.decompress,
        keyring: keyring_rel.clone(),
        pins: pins
            .iter()
            .map(|p| (spaced(&p.to_string()), uid_of(p)))
            .collect(),
        keys_note: Some(keys_note),
        publishers: Vec::new(),
    };

    TranslatedWatch {
        component: entry.opt("component").map(|c| c.value.trim().to_string()),
        stem: stem.to_string(),
        line: entry.line,
        toml: render(&new),
        watch: new,
        pins,
        keys,
        refresh,
        current,
        mangles: Mangles::of(entry),
        notes,
    }
}

/// Judges and writes one translated watch file (and the keyring) into `out`.
fn write_entry(t: &Translation, tw: &TranslatedWatch, out: &Path) -> anyhow::Result<Imported> {
    let mut notes = tw.notes.clone();
    let keyring_rel = format!("keyrings/{}.asc", t.package);
    let written = write_out(
        Draft {
            out,
            stem: &tw.stem,
            keyring_rel: &keyring_rel,
            new: tw.watch.clone(),
            minimal: t.minimal_keyring.as_deref(),
            refresh: tw.refresh.clone(),
            always_refresh: vec!["keyserver".to_string()],
            keys: &tw.keys,
        },
        &mut notes,
    )?;
    let loads = match written.load_error {
        None => true,
        Some(message) => {
            notes.push(note(Some(tw.line), Severity::Error, message));
            false
        }
    };
    let verifies =
        loads && !tw.pins.is_empty() && !notes.iter().any(|n| n.severity == Severity::Error);
    Ok(Imported {
        package: t.package.clone(),
        current: tw.current.clone(),
        watch: written.watch.display().to_string(),
        keyring: written.keyring.map(|k| k.display().to_string()),
        key_file: t.key_file.clone(),
        pinned: tw.pins.iter().map(|p| p.to_string()).collect(),
        candidates: t.candidates.iter().map(|p| p.to_string()).collect(),
        source: super::source_json(&tw.watch.source),
        signature_templates: tw.watch.signature_templates.clone(),
        keys: tw.keys.clone(),
        refresh: written.refresh,
        notes,
        verifies,
        components: Vec::new(),
    })
}

fn note(line: Option<usize>, severity: Severity, message: String) -> Note {
    Note {
        file: WATCH.to_string(),
        line,
        message,
        severity,
    }
}

// ---------------------------------------------------------------------------------------------
// Package name and version
