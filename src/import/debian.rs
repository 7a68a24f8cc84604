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
use crate::error::config;
use crate::report::{Printer, spaced};
use crate::verify::keyring::{describe, export_pinned};
use crate::verify::{Keyring, Pin, policy};
use crate::watch::{ForgeKind, NewWatch};

pub use super::{Note, Severity};

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
/// - `verifies`: true when the watch file loads and verifies signatures as strictly as
///   debian/watch did (exit 0); false otherwise (exit 1).
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
    /// Whether the result verifies signatures as strictly as the original.
    pub verifies: bool,
}

/// Runs `import-debian`.
pub fn command(printer: &Printer, args: &ImportDebianArgs) -> anyhow::Result<u8> {
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
        "and verifies like debian/watch",
    ))
}

const WATCH: &str = "debian/watch";

/// Reads DIR/debian, writes the watch file and keyring into `out`, and says what it did.
pub fn import(dir: &Path, out: &Path) -> anyhow::Result<Imported> {
    let debian = dir.join("debian");
    if !debian.is_dir() {
        return Err(config(format!(
            "{}: no debian/ directory here",
            dir.display()
        ))
        .hint("pass the top directory of an unpacked Debian source package (it contains debian/)")
        .into());
    }
    let watch_path = dir.join(WATCH);
    let text = std::fs::read_to_string(&watch_path).map_err(|e| {
        config(format!("{}: cannot read: {e}", watch_path.display()))
            .hint("import-debian translates debian/watch; this package has none to translate")
    })?;
    let package = package_name(&debian)?;
    let mut notes = Vec::new();

    let parsed = debian_watch::parse::parse(&text)
        .map_err(|e| config(format!("{}: cannot parse: {e}", watch_path.display())))?;
    let entries = entries(&parsed);
    let Some(main_index) = entries
        .iter()
        .position(|e| e.opt("component").is_none() && e.pgpmode() != Some("previous"))
    else {
        return Err(config(format!(
            "{}: no watch entry (only comments, or only component entries)",
            watch_path.display()
        ))
        .hint("there is nothing to translate; write a watch file by hand with `sigwatch add`")
        .into());
    };
    let entry = &entries[main_index];
    for (i, other) in entries.iter().enumerate() {
        if i == main_index {
            continue;
        }
        let is_sig_line = other.pgpmode() == Some("previous") && i == main_index + 1;
        if is_sig_line {
            continue;
        }
        let what = match other.opt("component") {
            Some(c) => format!("component {:?}", c.value),
            None => "another upstream source".to_string(),
        };
        notes.push(note(
            Some(other.line),
            Severity::Review,
            format!(
                "{what} ({}) is not translated: a sigwatch watch file follows one source; write another watch file for it",
                other.url
            ),
        ));
    }

    let changelog_version = changelog_version(&debian);
    let current = changelog_version
        .as_deref()
        .map(|v| upstream_version(v, entry, &package, &mut notes));

    let tr = translate(entry, entries.get(main_index + 1), &package, &mut notes);

    // The key file, in uscan's order of preference.
    let key_candidates = [
        "debian/upstream/signing-key.pgp",
        "debian/upstream/signing-key.asc",
        "debian/upstream-signing-key.pgp",
    ];
    let found: Vec<&str> = key_candidates
        .iter()
        .copied()
        .filter(|k| dir.join(k).is_file())
        .collect();
    let key_file = found.first().copied();
    for ignored in found.iter().skip(1) {
        notes.push(Note {
            file: ignored.to_string(),
            line: None,
            message: format!(
                "ignored: uscan reads only the first of {}, which is {}",
                key_candidates.join(", "),
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
    if let (Some(k), Some(file)) = (&keyring, key_file) {
        for cert in describe(k, &policy(), std::time::SystemTime::now()) {
            for w in cert.warnings {
                notes.push(Note {
                    file: file.to_string(),
                    line: None,
                    message: w,
                    severity: Severity::Info,
                });
            }
        }
        if k.certs.len() > 1 {
            notes.push(Note {
                file: file.to_string(),
                line: None,
                message: format!(
                    "{} keys: every one is pinned, as uscan accepts a signature by any of them; drop the ones upstream no longer uses",
                    k.certs.len()
                ),
                severity: Severity::Info,
            });
        }
    }

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
    let keyring_rel = format!("keyrings/{package}.asc");
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
            for c in &candidates {
                s.push_str(&format!("\n  \"{}\",   # {}", c, uid_of(c)));
            }
            s
        }
        (None, _) => format!(
            "TODO: nothing is pinned and {keyring_rel} does not exist.\n{}\nPut upstream's public keys in {keyring_rel} and pin their full fingerprints.",
            blockers.join("\n")
        ),
    };

    let mut header = vec![format!(
        "Imported by `sigwatch import-debian` from {} ({}, line {}) of {package}.",
        WATCH, tr.format, entry.line
    )];
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
        Some(k) if !candidates.is_empty() => Some(export_pinned(k, &candidates)?),
        _ => None,
    };
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
            notes.push(note(Some(entry.line), Severity::Error, message));
            false
        }
    };
    let (watch_out, keyring_out) = (written.watch, written.keyring);
    let verifies =
        loads && !pins.is_empty() && !notes.iter().any(|n| n.severity == Severity::Error);
    let source = super::source_json(&tr.source);
    Ok(Imported {
        package,
        current,
        watch: watch_out.display().to_string(),
        keyring: keyring_out.map(|k| k.display().to_string()),
        key_file: key_file.map(str::to_string),
        pinned: pins.iter().map(|p| p.to_string()).collect(),
        candidates: candidates.iter().map(|p| p.to_string()).collect(),
        source,
        signature_templates: tr.templates,
        notes,
        verifies,
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

/// `Source:` of debian/control, else the first word of debian/changelog.
fn package_name(debian: &Path) -> anyhow::Result<String> {
    let from_control = std::fs::read_to_string(debian.join("control"))
        .ok()
        .and_then(|t| {
            t.lines()
                .take_while(|l| !l.trim().is_empty() || l.is_empty())
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case("source")
                        .then(|| v.trim().to_string())
                })
        });
    let name = from_control
        .or_else(|| {
            std::fs::read_to_string(debian.join("changelog"))
                .ok()
                .and_then(|t| t.split_whitespace().next().map(str::to_string))
        })
        .ok_or_else(|| {
            config(format!(
                "{}: neither debian/control (Source:) nor debian/changelog names the package",
                debian.display()
            ))
            .hint("@PACKAGE@ and the watch file's name come from the source package name")
        })?;
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !name.starts_with('.');
    if !valid {
        return Err(config(format!(
            "{}: source package name {name:?} is not a valid Debian package name",
            debian.display()
        ))
        .into());
    }
    Ok(name)
}

/// The version in the first line of debian/changelog: `pkg (VERSION) dist; urgency=…`.
fn changelog_version(debian: &Path) -> Option<String> {
    let text = std::fs::read_to_string(debian.join("changelog")).ok()?;
    let first = text.lines().find(|l| !l.trim().is_empty())?;
    let open = first.find('(')?;
    let close = first[open..].find(')')? + open;
    Some(first[open + 1..close].trim().to_string()).filter(|v| !v.is_empty())
}

/// The upstream part of a Debian version, with the watch file's `dversionmangle` applied
/// (that is what the option exists for: mapping Debian versions to upstream ones).
fn upstream_version(version: &str, entry: &Entry, package: &str, notes: &mut Vec<Note>) -> String {
    let no_epoch = version.split_once(':').map_or(version, |(_, v)| v);
    let upstream = no_epoch.rsplit_once('-').map_or(no_epoch, |(u, _)| u);
    for key in ["dversionmangle", "versionmangle"] {
        if let Some(o) = entry.opt(key) {
            let rules = if o.value.trim() == "auto" {
                "s/@DEB_EXT@//".to_string()
            } else {
                o.value.clone()
            };
            let rules = subst(&rules, package);
            match Mangle::parse(&rules).and_then(|m| m.apply(upstream)) {
                Ok(v) => {
                    return v;
                }
                Err(e) => notes.push(note(
                    Some(o.line),
                    Severity::Info,
                    format!("{key}: {e}; `current` is the changelog version without it"),
                )),
            }
        }
    }
    upstream.to_string()
}

// ---------------------------------------------------------------------------------------------
// Watch entries, whatever the format

/// One option of a watch entry.
#[derive(Debug, Clone)]
struct Opt {
    /// Lowercase, without `-` and `_`: v5 field names ignore case and hyphens.
    key: String,
    /// As written.
    raw_key: String,
    value: String,
    /// 1-based.
    line: usize,
}

/// One watch entry, the same for every format.
#[derive(Debug, Clone)]
struct Entry {
    /// 1-based line where the entry starts.
    line: usize,
    /// The URL after splitting off a pattern written into it (line-based files).
    url: String,
    pattern: Option<String>,
    template: Option<String>,
    opts: Vec<Opt>,
    format: String,
}

impl Entry {
    fn opt(&self, key: &str) -> Option<&Opt> {
        let key = normalize_key(key);
        self.opts.iter().find(|o| o.key == key)
    }

    fn pgpmode(&self) -> Option<&str> {
        self.opt("pgpmode").map(|o| o.value.trim())
    }
}

fn normalize_key(key: &str) -> String {
    key.to_lowercase().replace(['-', '_'], "")
}

/// Fields of v5 entries that are not options.
const V5_STRUCTURE: [&str; 9] = [
    "source",
    "matchingpattern",
    "template",
    "version",
    "dist",
    "owner",
    "project",
    "package",
    "versiontype",
];

fn entries(parsed: &debian_watch::parse::ParsedWatchFile) -> Vec<Entry> {
    use debian_watch::parse::{ParsedEntry, ParsedWatchFile};
    let format = match parsed {
        ParsedWatchFile::LineBased(w) => format!("version {}", w.version()),
        ParsedWatchFile::Deb822(_) => "version 5".to_string(),
    };
    // v5: the crate merges a defaults paragraph that has no Source, but not fields in the
    // first (Version) paragraph; uscan treats those as defaults too, so they are added here.
    let header: Vec<Opt> = match parsed {
        ParsedWatchFile::Deb822(w) => w
            .as_deb822()
            .paragraphs()
            .next()
            .map(|p| {
                p.entries()
                    .filter_map(|en| {
                        let raw_key = en.key()?;
                        Some(Opt {
                            key: normalize_key(&raw_key),
                            raw_key,
                            value: en.value(),
                            line: en.line() + 1,
                        })
                    })
                    .filter(|o| o.key != "version")
                    .collect()
            })
            .unwrap_or_default(),
        ParsedWatchFile::LineBased(_) => Vec::new(),
    };
    let defaults: Vec<Opt> = match parsed {
        ParsedWatchFile::Deb822(w) => w
            .defaults()
            .map(|p| {
                p.entries()
                    .filter_map(|en| {
                        let raw_key = en.key()?;
                        Some(Opt {
                            key: normalize_key(&raw_key),
                            raw_key,
                            value: en.value(),
                            line: en.line() + 1,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default(),
        ParsedWatchFile::LineBased(_) => Vec::new(),
    };
    parsed
        .entries()
        .map(|pe| match &pe {
            ParsedEntry::LineBased(e) => {
                let opts: Vec<Opt> = e
                    .option_list()
                    .map(|ol| {
                        ol.options()
                            .filter_map(|o| {
                                let raw_key = o.key()?;
                                Some(Opt {
                                    key: normalize_key(&raw_key),
                                    raw_key,
                                    value: o.value().unwrap_or_default(),
                                    line: o.line() + 1,
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                // uscan: when the URL's last path segment is a regex, it is the pattern and
                // the remaining fields shift left. The crate does not split it, so its
                // "matching pattern" is then really the version policy.
                let raw_url = e.url();
                let (url, pattern) = match split_url_pattern(&raw_url) {
                    Some((dir, pat)) => (dir, Some(pat)),
                    None => (raw_url.clone(), e.matching_pattern()),
                };
                Entry {
                    line: pe.line() + 1,
                    url,
                    pattern,
                    template: None,
                    opts,
                    format: format.clone(),
                }
            }
            ParsedEntry::Deb822(e) => {
                let mut opts: Vec<Opt> = e
                    .as_deb822()
                    .entries()
                    .filter_map(|en| {
                        let raw_key = en.key()?;
                        Some(Opt {
                            key: normalize_key(&raw_key),
                            raw_key,
                            value: en.value(),
                            line: en.line() + 1,
                        })
                    })
                    .collect();
                for d in defaults.iter().chain(&header) {
                    if !opts.iter().any(|o| o.key == d.key) {
                        opts.push(d.clone());
                    }
                }
                let template = opts
                    .iter()
                    .find(|o| o.key == "template")
                    .map(|o| o.value.clone());
                let mut entry = Entry {
                    line: e.line() + 1,
                    url: pe.url(),
                    pattern: pe.matching_pattern(),
                    template,
                    opts,
                    format: format.clone(),
                };
                entry
                    .opts
                    .retain(|o| !V5_STRUCTURE.contains(&o.key.as_str()) || o.key == "template");
                // uscan's v5 templates also set options (the crate expands only Source and
                // Matching-Pattern); the ones that matter here are added unless given.
                if let Some(t) = &entry.template {
                    let implied: &[(&str, &str)] = match t.to_lowercase().as_str() {
                        "gitlab" => &[("mode", "gitlab")],
                        "pypi" | "npmregistry" | "metacpan" => &[("searchmode", "plain")],
                        "github" => &[("searchmode", "html")],
                        "cran" | "bioconductor" => &[("downloadurlmangle", "(from the template)")],
                        _ => &[],
                    };
                    for (k, v) in implied {
                        if entry.opt(k).is_none() {
                            entry.opts.push(Opt {
                                key: k.to_string(),
                                raw_key: format!("{k} (implied by Template: {t})"),
                                value: v.to_string(),
                                line: entry.line,
                            });
                        }
                    }
                }
                entry
            }
        })
        .collect()
}

/// Splits `https://host/dir/name-(.+)\.tar\.gz` into the directory and the pattern.
fn split_url_pattern(url: &str) -> Option<(String, String)> {
    let (dir, last) = url.rsplit_once('/')?;
    // Checked before substitution, so `@ANY_VERSION@` (which becomes a group) counts too.
    if last.contains('(') || last.contains("_VERSION@") {
        Some((format!("{dir}/"), last.to_string()))
    } else {
        None
    }
}

/// uscan's substitutions (`@PACKAGE@`, `@ANY_VERSION@`, `@ARCHIVE_EXT@`, …).
fn subst(text: &str, package: &str) -> String {
    debian_watch::subst::subst(text, || package.to_string(), String::new)
}

// ---------------------------------------------------------------------------------------------
// Translation

struct Translation {
    format: String,
    source: Vec<(String, toml::Value)>,
    templates: Vec<String>,
    signature_note: Option<String>,
    /// Why the original does not verify signatures (empty: it does).
    not_verifying: Vec<String>,
}

const PYPI_HOSTS: [&str; 5] = [
    "pypi.debian.net",
    "pypi.org",
    "www.pypi.org",
    "pypi.python.org",
    "files.pythonhosted.org",
];

fn translate(
    entry: &Entry,
    next: Option<&Entry>,
    package: &str,
    notes: &mut Vec<Note>,
) -> Translation {
    let mut not_verifying = Vec::new();
    let mut refuse = |notes: &mut Vec<Note>, line: usize, msg: String| {
        notes.push(note(Some(line), Severity::Error, msg.clone()));
        not_verifying.push(msg);
    };

    // Source.
    let url = subst(&entry.url, package);
    let pattern = entry.pattern.as_deref().map(|p| subst_pattern(p, package));
    let parsed_url = url::Url::parse(&url).ok();
    let host = parsed_url
        .as_ref()
        .and_then(|u| u.host_str().map(str::to_lowercase))
        .unwrap_or_default();
    let pypi_name = PYPI_HOSTS
        .contains(&host.as_str())
        .then(|| parsed_url.as_ref().and_then(pypi_project))
        .flatten()
        .or_else(|| {
            entry
                .template
                .as_deref()
                .filter(|t| t.eq_ignore_ascii_case("pypi"))
                .and_then(|_| entry.opt("dist").map(|d| d.value.clone()))
        });
    let is_pypi = pypi_name.is_some();
    let mut source = Vec::new();
    let mut forge_used = false;
    if let Some(name) = &pypi_name {
        source.push(("pypi".to_string(), toml::Value::String(name.clone())));
        notes.push(note(
            Some(entry.line),
            Severity::Info,
            format!("{url} is PyPI: translated to the PyPI source `pypi = {name:?}`, which also checks the index's sha256 digests"),
        ));
    } else if let Some(forge) = forge_source(&url, pattern.as_deref(), entry, notes) {
        forge_used = true;
        source = forge;
    } else {
        let (listing, listing_notes) = listing_url(&url, entry.line);
        notes.extend(listing_notes);
        source.push(("url".to_string(), toml::Value::String(listing)));
        match &pattern {
            None => notes.push(note(
                Some(entry.line),
                Severity::Error,
                "no matching pattern: write `pattern` with a (?P<version>…) group by hand".into(),
            )),
            Some(p) => match file_pattern(p) {
                Ok((fp, extra)) => {
                    for m in extra {
                        notes.push(note(Some(entry.line), Severity::Review, m));
                    }
                    source.push(("pattern".to_string(), toml::Value::String(fp)));
                }
                Err(why) => {
                    notes.push(note(
                        Some(entry.line),
                        Severity::Error,
                        format!("matching pattern {p:?} cannot be translated: {why}"),
                    ));
                    source.push(("pattern".to_string(), toml::Value::String(p.clone())));
                }
            },
        }
    }

    // Options other than the pgp ones.
    for o in &entry.opts {
        let here = Some(o.line);
        let msg = |what: &str| format!("{}={}: {what}", o.raw_key, o.value);
        match o.key.as_str() {
            "pgpmode" | "pgpsigurlmangle" | "template" | "component" => {}
            "dversionmangle" | "oversionmangle" => notes.push(note(
                here,
                Severity::Info,
                msg("dropped: it only maps Debian versions for uscan's comparison (applied to `current`)"),
            )),
            "uversionmangle" | "versionmangle" if is_pypi => notes.push(note(
                here,
                Severity::Info,
                msg("dropped: it only makes upstream versions sort as Debian versions; PyPI versions are ordered by PEP 440"),
            )),
            "uversionmangle" | "versionmangle" => notes.push(note(
                here,
                Severity::Review,
                msg("not translated: sigwatch orders the versions as written; check that the newest release is picked"),
            )),
            "searchmode" if o.value.trim() == "html" => {}
            "searchmode" if is_pypi => notes.push(note(
                here,
                Severity::Info,
                msg("dropped: the PyPI source reads the index, not a page"),
            )),
            "searchmode" => notes.push(note(
                here,
                Severity::Review,
                msg("not translated: sigwatch reads the links (<a href>) of the page, not its plain text; check the page has links"),
            )),
            "filenamemangle" => notes.push(note(
                here,
                Severity::Review,
                msg("not translated: sigwatch keeps the upstream file name; check the pattern still matches the links' file names"),
            )),
            "downloadurlmangle" => notes.push(note(
                here,
                Severity::Review,
                msg("not translated: sigwatch downloads the linked URL itself; check it is the release file"),
            )),
            "pagemangle" => notes.push(note(
                here,
                Severity::Review,
                msg("not translated: sigwatch reads the page as served; check its links match"),
            )),
            "dirversionmangle" => notes.push(note(
                here,
                Severity::Review,
                msg("not translated: sigwatch does not search version directories"),
            )),
            "useragent" => notes.push(note(
                here,
                Severity::Review,
                msg("not translated: sigwatch sends its own User-Agent"),
            )),
            "mode" => match o.value.trim() {
                "lwp" | "http" => {}
                "gitlab" if forge_used => {}
                "git" | "svn" => refuse(
                    notes,
                    o.line,
                    msg("releases come from a version-control repository, not files with detached signatures; sigwatch cannot verify them"),
                ),
                _ => notes.push(note(
                    here,
                    Severity::Review,
                    msg("not translated: sigwatch reads the links of a page; check it lists the releases"),
                )),
            },
            // Packaging-only options: how uscan repacks or names things locally.
            "ctype" | "compression" | "repack" | "repacksuffix" | "decompress" | "bare"
            | "unzipopt" | "script" | "updatescript" | "versionpolicy" | "gitexport"
            | "gitmode" | "pretty" | "date" | "releaseonly" | "versiontype" | "dist"
            | "owner" | "project" | "package" | "source" | "matchingpattern" => {}
            _ => notes.push(note(
                here,
                Severity::Review,
                msg("unknown option, not translated"),
            )),
        }
    }

    // Signatures.
    let mode = entry.pgpmode().map(str::to_lowercase);
    let mangle = entry.opt("pgpsigurlmangle");
    let next_is_sig = next.is_some_and(|n| n.pgpmode() == Some("previous"));
    let mut templates = Vec::new();
    let mut signature_note = None;
    let pgp_line = entry.opt("pgpmode").map_or(entry.line, |o| o.line);
    let next_mode =
        mode.as_deref() == Some("next") || (mode.is_none() && mangle.is_none() && next_is_sig);
    match mode.as_deref() {
        Some("none") => refuse(
            notes,
            pgp_line,
            "pgpmode=none: debian/watch does not check signatures".into(),
        ),
        Some("gittag") => refuse(
            notes,
            pgp_line,
            "pgpmode=gittag verifies signed git tags; sigwatch verifies detached signatures on release files".into(),
        ),
        Some("self") => refuse(
            notes,
            pgp_line,
            "pgpmode=self: releases are inline-signed files; sigwatch verifies detached signatures only".into(),
        ),
        Some("auto") => {
            templates = vec!["{url}.asc".to_string(), "{url}.sig".to_string()];
            signature_note = Some(format!(
                "From pgpmode=auto ({WATCH}:{pgp_line}): the signature next to the file, .asc tried first."
            ));
            if let Some(m) = mangle {
                notes.push(note(
                    Some(m.line),
                    Severity::Info,
                    format!("pgpsigurlmangle={} is ignored under pgpmode=auto (as uscan does)", m.value),
                ));
            }
        }
        _ if next_mode => {
            // The signature is found by the next watch line, so its URL is not fixed.
            let sig_pattern = next.and_then(|n| n.pattern.clone()).unwrap_or_default();
            let mut exts: Vec<&str> = ["asc", "sig", "sign", "gpg", "pgp"]
                .into_iter()
                .filter(|e| sig_pattern.contains(e))
                .collect();
            if exts.is_empty() {
                exts = vec!["asc", "sig"];
            }
            templates = exts.iter().map(|e| format!("{{url}}.{e}")).collect();
            signature_note = Some(format!(
                "From pgpmode=next ({WATCH}:{pgp_line}): uscan finds the signature with the next watch line, so it has no fixed URL; these templates are tried in order."
            ));
            notes.push(note(
                Some(pgp_line),
                Severity::Review,
                format!(
                    "pgpmode=next: the signature URL is not fixed; translated to {} tried in order; check where upstream puts signatures",
                    templates.join(", ")
                ),
            ));
        }
        Some("default") | Some("mangle") | None => match mangle {
            Some(m) => {
                let rules = subst(&m.value, package);
                let sample_dir = if is_pypi {
                    "https://files.pythonhosted.org/packages/ab/cd/".to_string()
                } else {
                    let u = subst(&entry.url, package);
                    if u.ends_with('/') { u } else { format!("{u}/") }
                };
                match mangle_template(&rules, &sample_dir, package) {
                    Ok(t) => {
                        signature_note = Some(format!(
                            "From pgpsigurlmangle={} ({WATCH}:{}).",
                            m.value, m.line
                        ));
                        templates = vec![t];
                    }
                    Err(why) => {
                        templates = vec!["{url}.asc".to_string(), "{url}.sig".to_string()];
                        signature_note = Some(format!(
                            "TODO: pgpsigurlmangle={} ({WATCH}:{}) could not be translated; these are guesses.",
                            m.value, m.line
                        ));
                        notes.push(note(
                            Some(m.line),
                            Severity::Review,
                            format!(
                                "pgpsigurlmangle={} cannot be expressed as a signature URL template ({why}); wrote {{url}}.asc, {{url}}.sig: check where upstream puts signatures",
                                m.value
                            ),
                        ));
                    }
                }
            }
            None if mode.is_some() => refuse(
                notes,
                pgp_line,
                format!("pgpmode={} without pgpsigurlmangle: uscan has no signature URL and does not check signatures", mode.as_deref().unwrap_or_default()),
            ),
            None => refuse(
                notes,
                entry.line,
                "no pgpsigurlmangle or pgpmode option: uscan does not check signatures for this source".into(),
            ),
        },
        Some(other) => refuse(
            notes,
            pgp_line,
            format!("pgpmode={other} is not known; nothing is verified"),
        ),
    }

    Translation {
        format: entry.format.clone(),
        source,
        templates,
        signature_note,
        not_verifying,
    }
}

/// A GitHub or GitLab project named by a watch URL (a project, releases or tags page):
/// (kind, project, API base for self-hosted GitLab).
fn forge_project(url: &url::Url, gitlab_mode: bool) -> Option<(ForgeKind, String, Option<String>)> {
    let host = url.host_str()?.to_ascii_lowercase();
    let segs: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    if host == "github.com" {
        let page_ok = segs.len() == 2
            || (segs.len() >= 3 && ["releases", "tags", "downloads"].contains(&segs[2]));
        return (segs.len() >= 2 && page_ok)
            .then(|| (ForgeKind::Github, format!("{}/{}", segs[0], segs[1]), None));
    }
    let gitlab_host = host == "gitlab.com" || host.contains("gitlab") || host == "salsa.debian.org";
    if !(gitlab_host || gitlab_mode) {
        return None;
    }
    let project: Vec<&str> = match segs.iter().position(|s| *s == "-") {
        Some(d) if ["tags", "releases"].contains(segs.get(d + 1).unwrap_or(&"")) => {
            segs[..d].to_vec()
        }
        Some(_) => return None,
        None if gitlab_mode => segs.clone(),
        None => return None,
    };
    if project.len() < 2 {
        return None;
    }
    let api = (host != "gitlab.com").then(|| format!("{}://{host}", url.scheme()));
    Some((ForgeKind::Gitlab, project.join("/"), api))
}

/// A `github`/`gitlab` source when the watch URL is a forge's release or tag page and the
/// pattern names release assets. Tag archives (`/archive/…`) are not release assets, so those
/// stay URL sources, with a note saying why.
fn forge_source(
    url: &str,
    pattern: Option<&str>,
    entry: &Entry,
    notes: &mut Vec<Note>,
) -> Option<Vec<(String, toml::Value)>> {
    let parsed = url::Url::parse(url).ok()?;
    let gitlab_mode = entry
        .opt("mode")
        .is_some_and(|m| m.value.trim() == "gitlab");
    let (kind, project, api) = forge_project(&parsed, gitlab_mode)?;
    let (forge, field) = match kind {
        ForgeKind::Github => ("GitHub", "github"),
        ForgeKind::Gitlab => ("GitLab", "gitlab"),
    };
    let p = pattern?;
    let (fp, extra) = file_pattern(p).ok()?;
    let lower = p.to_ascii_lowercase();
    let names_assets = [
        "releases/download",
        "/-/releases/",
        "downloads/",
        "/uploads/",
    ]
    .iter()
    .any(|m| lower.contains(m));
    let names_archives = [
        "archive/",
        "/tarball/",
        "/zipball/",
        "refs/tags",
        "-/archive",
    ]
    .iter()
    .any(|m| lower.contains(m));
    // A file name that starts with the version (`v1.2.tar.gz`) is how forges name tag archives.
    let bare = fp
        .trim_start_matches("v?")
        .trim_start_matches('v')
        .trim_start_matches("[-_]?")
        .starts_with("(?P<version>");
    let web = format!(
        "{}{project}",
        match kind {
            ForgeKind::Github => "https://github.com/".to_string(),
            ForgeKind::Gitlab => format!(
                "{}://{}/",
                parsed.scheme(),
                parsed.host_str().unwrap_or_default()
            ),
        }
    );
    if !names_assets && (names_archives || bare) {
        notes.push(note(
            Some(entry.line),
            Severity::Review,
            format!("{url} is the {forge} project {project}, but the pattern matches tag archives (/archive/…), which the forge makes on demand and which are not release assets: the `{field}` source reads release assets only, so this stays a URL source; check the page lists the archives (GitHub's tags page does), and if upstream attaches signed release files, use `{field} = {project:?}` with a pattern for them"),
        ));
        return None;
    }
    for m in extra {
        notes.push(note(Some(entry.line), Severity::Review, m));
    }
    notes.push(note(
        Some(entry.line),
        Severity::Info,
        format!("{url} is {forge}'s {web}: translated to the {forge} source `{field} = {project:?}`, which lists release assets through the forge's API"),
    ));
    if !names_assets {
        notes.push(note(
            Some(entry.line),
            Severity::Review,
            format!("the pattern {p:?} was taken to name release assets (files attached to {forge} releases); check them, as tag archives would need a URL source"),
        ));
    }
    let mut source = vec![(field.to_string(), toml::Value::String(project))];
    if let Some(api) = api {
        source.push(("api".to_string(), toml::Value::String(api)));
    }
    source.push(("pattern".to_string(), toml::Value::String(fp)));
    Some(source)
}

/// The PyPI project named by a PyPI URL (index page, project page, sdist path, redirector).
fn pypi_project(url: &url::Url) -> Option<String> {
    let segs: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    let host = url.host_str()?.to_lowercase();
    let name = match (host.as_str(), segs.as_slice()) {
        ("pypi.debian.net", [name, ..]) => name,
        (_, ["project" | "simple" | "pypi", name, ..]) => name,
        (_, ["packages", "source", _, name, ..]) => name,
        _ => return None,
    };
    let ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    ok.then(|| name.to_string())
}

/// The listing URL: ftp becomes https, and regex directories are cut off (both reviewed).
fn listing_url(url: &str, line: usize) -> (String, Vec<Note>) {
    let mut notes = Vec::new();
    let mut url = url.to_string();
    if let Some(rest) = url.strip_prefix("ftp://") {
        url = format!("https://{rest}");
        notes.push(note(
            Some(line),
            Severity::Review,
            format!("ftp:// is not supported: wrote {url}; check the server offers the same listing over https"),
        ));
    }
    let is_regex = |s: &str| s.contains(['(', '[', '*', '\\', '+', '?', '|']);
    if let Some(scheme_end) = url.find("://") {
        let after = &url[scheme_end + 3..];
        let mut kept = url[..scheme_end + 3].to_string();
        let mut cut = None;
        for (i, seg) in after.split('/').enumerate() {
            if i > 0 && is_regex(seg) {
                cut = Some(seg.to_string());
                break;
            }
            kept.push_str(seg);
            kept.push('/');
        }
        if let Some(seg) = cut {
            notes.push(note(
                Some(line),
                Severity::Review,
                format!("the URL searches directories matching {seg:?}; sigwatch reads one page: wrote {kept}, check it lists the releases (or point it at the newest directory)"),
            ));
            url = kept;
        }
    }
    (url, notes)
}

/// Substitutes uscan's `@…@` markers; `@ANY_VERSION@`'s group becomes the version group.
fn subst_pattern(pattern: &str, package: &str) -> String {
    let named = pattern.replace("@ANY_VERSION@", r"[-_]?(?P<version>\d[\-+\.:\~\da-zA-Z]*)");
    subst(&named, package)
}

/// A regex char-level scanner: for each char, whether it is escaped or inside `[...]`.
fn scan(pattern: &str) -> Vec<(usize, char, bool)> {
    // (byte offset, char, is_literal: escaped or in a class)
    let mut out = Vec::new();
    let mut escaped = false;
    let mut class = false;
    let mut class_start = 0usize;
    for (i, c) in pattern.char_indices() {
        if escaped {
            out.push((i, c, true));
            escaped = false;
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                out.push((i, c, class));
            }
            '[' if !class => {
                class = true;
                class_start = i;
                out.push((i, c, false));
            }
            ']' if class && i > class_start + 1 && !pattern[class_start + 1..i].eq("^") => {
                class = false;
                out.push((i, c, false));
            }
            _ => out.push((i, c, class)),
        }
    }
    out
}

/// The part of a uscan matching pattern that matches a file name, with a `version` group.
///
/// uscan matches a pattern against whole links (`.*/foo-(.*)\.tar\.gz`,
/// `(?:.*?/)?foo-(.*)\.tar\.gz`, full URLs); sigwatch matches file names, so the path part is
/// dropped. Returns the pattern and notes for a human.
fn file_pattern(pattern: &str) -> Result<(String, Vec<String>), String> {
    let mut notes = Vec::new();
    let mut p = pattern.to_string();
    // Remove optional groups that contain a '/' (`(?:.*?/)?`, `(?:refs/tags/)?`).
    loop {
        let toks = scan(&p);
        let mut removed = false;
        let mut stack: Vec<usize> = Vec::new();
        for (k, &(i, c, lit)) in toks.iter().enumerate() {
            if lit {
                continue;
            }
            if c == '(' {
                stack.push(i);
            } else if c == ')' {
                let Some(open) = stack.pop() else { continue };
                let quant = toks.get(k + 1).map(|t| t.1);
                let group = &p[open..=i];
                let optional = matches!(quant, Some('?') | Some('*'))
                    || group.ends_with("|)")
                    || group.starts_with("(?:|")
                    || group.starts_with("(|");
                // A group holding a '/' that may be empty, or that starts the pattern, is a
                // path prefix.
                if group.contains('/') && (optional || open == 0) {
                    let end = if matches!(quant, Some('?') | Some('*')) {
                        i + 2
                    } else {
                        i + 1
                    };
                    p.replace_range(open..end, "");
                    removed = true;
                    break;
                }
            }
        }
        if !removed {
            break;
        }
    }
    // Keep what follows the last top-level '/' (escaped or not).
    let toks = scan(&p);
    let mut depth = 0i32;
    let mut last_slash = None;
    for &(i, c, lit) in &toks {
        match c {
            '(' if !lit => depth += 1,
            ')' if !lit => depth -= 1,
            '/' if depth == 0 => last_slash = Some(i),
            _ => {}
        }
    }
    if let Some(i) = last_slash {
        p = p[i + 1..].to_string();
    }
    if scan(&p).iter().any(|&(_, c, _)| c == '/') {
        return Err("a '/' remains inside a group; sigwatch matches file names only".into());
    }
    // The version group: an existing named one, else the first capturing group.
    let toks = scan(&p);
    let capturing: Vec<usize> = toks
        .iter()
        .filter(|&&(i, c, lit)| {
            let rest = &p[i..];
            !lit && c == '('
                && (!rest.starts_with("(?")
                    || rest.starts_with("(?P<")
                    || (rest.starts_with("(?<")
                        && !rest.starts_with("(?<=")
                        && !rest.starts_with("(?<!")))
        })
        .map(|&(i, _, _)| i)
        .collect();
    if capturing.is_empty() {
        return Err("it has no capture group for the version".into());
    }
    if !p.contains("(?P<version>") {
        let first = capturing[0];
        let rest = &p[first..];
        let replace_len = if rest.starts_with("(?P<") || rest.starts_with("(?<") {
            rest.find('>').map_or(1, |g| g + 1)
        } else {
            1
        };
        p.replace_range(first..first + replace_len, "(?P<version>");
    }
    if capturing.len() > 1 {
        notes.push(format!(
            "the pattern has {} capture groups: uscan joins them with '.', sigwatch takes only the version group; check the versions",
            capturing.len()
        ));
    }
    regex::Regex::new(&format!("^(?:{p})$")).map_err(|e| {
        format!(
            "not a regular expression sigwatch understands ({})",
            e.to_string().lines().last().unwrap_or_default().trim()
        )
    })?;
    Ok((p, notes))
}

// ---------------------------------------------------------------------------------------------
// Perl substitutions (`s/…/…/g;s%…%…%`), enough to run mangles on sample URLs

struct Subst {
    re: regex::Regex,
    replacement: String,
    global: bool,
}

struct Mangle(Vec<Subst>);

impl Mangle {
    /// Parses `;`-separated `s<d>pattern<d>replacement<d>flags` rules (uscan's form).
    fn parse(rules: &str) -> Result<Mangle, String> {
        let mut out = Vec::new();
        let mut rest = rules.trim();
        while !rest.is_empty() {
            let body = rest
                .strip_prefix('s')
                .ok_or_else(|| format!("{rest:?} is not an s/…/…/ substitution"))?;
            let d = body.chars().next().ok_or("an empty substitution")?;
            if d.is_alphanumeric() || d.is_whitespace() || "({[<".contains(d) {
                return Err(format!("delimiter {d:?} is not supported"));
            }
            let mut parts = Vec::new();
            let mut cur = String::new();
            let mut escaped = false;
            let mut end = None;
            for (i, c) in body[d.len_utf8()..].char_indices() {
                if escaped {
                    if c != d {
                        cur.push('\\');
                    }
                    cur.push(c);
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == d {
                    parts.push(std::mem::take(&mut cur));
                    if parts.len() == 2 {
                        end = Some(d.len_utf8() + i + c.len_utf8());
                        break;
                    }
                } else {
                    cur.push(c);
                }
            }
            let end = end.ok_or_else(|| format!("{rest:?} is not a complete substitution"))?;
            let after = &body[end..];
            let flags: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            if let Some(f) = flags.chars().find(|c| !"gi".contains(*c)) {
                return Err(format!("flag {f:?} is not supported"));
            }
            let re_text = if flags.contains('i') {
                format!("(?i){}", parts[0])
            } else {
                parts[0].clone()
            };
            let re = regex::Regex::new(&re_text).map_err(|_| {
                format!(
                    "{:?} is not a regular expression sigwatch understands",
                    parts[0]
                )
            })?;
            out.push(Subst {
                re,
                replacement: perl_replacement(&parts[1])?,
                global: flags.contains('g'),
            });
            rest = after[flags.len()..].trim_start();
            rest = rest.strip_prefix(';').unwrap_or(rest).trim_start();
        }
        if out.is_empty() {
            return Err("no substitution".into());
        }
        Ok(Mangle(out))
    }

    fn apply(&self, input: &str) -> Result<String, String> {
        let mut s = input.to_string();
        for r in &self.0 {
            s = if r.global {
                r.re.replace_all(&s, r.replacement.as_str()).into_owned()
            } else {
                r.re.replace(&s, r.replacement.as_str()).into_owned()
            };
        }
        Ok(s)
    }
}

/// A Perl replacement (`$1`, `${1}`, `\1`, `\.`) as a `regex` replacement (`${1}`, `$$`).
fn perl_replacement(text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(d @ '1'..='9') => out.push_str(&format!("${{{d}}}")),
                Some('$') => out.push_str("$$"),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            '$' => match chars.peek() {
                Some('{') => {
                    let mut name = String::new();
                    chars.next();
                    for n in chars.by_ref() {
                        if n == '}' {
                            break;
                        }
                        name.push(n);
                    }
                    out.push_str(&format!("${{{name}}}"));
                }
                Some(d) if d.is_ascii_digit() => {
                    let mut num = String::new();
                    while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                        num.push(*d);
                        chars.next();
                    }
                    out.push_str(&format!("${{{num}}}"));
                }
                _ => return Err(format!("replacement {text:?} uses Perl variables")),
            },
            other => out.push(other),
        }
    }
    Ok(out)
}

/// A signature URL template that does what a `pgpsigurlmangle` does, found by running the
/// mangle on sample release URLs and naming the parts of the result.
fn mangle_template(rules: &str, sample_dir: &str, package: &str) -> Result<String, String> {
    let mangle = Mangle::parse(rules)?;
    let version = "1.2.3";
    let mut found: Option<String> = None;
    for ext in [".tar.gz", ".tar.xz", ".tar.bz2", ".zip", ".tgz"] {
        let filename = format!("{package}-{version}{ext}");
        let url = format!("{sample_dir}{filename}");
        let signed = mangle.apply(&url)?;
        if signed == url {
            continue;
        }
        let dir = sample_dir.trim_end_matches('/');
        let t = if signed.contains(&url) {
            signed.replace(&url, "{url}")
        } else {
            signed
                .replace(dir, "{dir}")
                .replace(&filename, "{filename}")
                .replace(version, "{version}")
        };
        match &found {
            Some(f) if *f != t => {
                return Err(format!(
                    "it gives differently shaped URLs for different files ({f} and {t})"
                ));
            }
            _ => found = Some(t),
        }
    }
    let t = found.ok_or("it leaves release URLs unchanged")?;
    let placeholders = ["{url}", "{dir}", "{filename}", "{version}"];
    let mut bare = t.clone();
    for p in placeholders {
        bare = bare.replace(p, "");
    }
    if bare.contains(['{', '}']) || !placeholders.iter().any(|p| t.contains(p)) {
        return Err(format!("the result {t:?} does not follow the release URL"));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_mangles_become_templates() {
        let dir = "https://e.org/pub/";
        assert_eq!(
            mangle_template("s/$/.asc/", dir, "foo").unwrap(),
            "{url}.asc"
        );
        assert_eq!(
            mangle_template("s%$%.sig%", dir, "foo").unwrap(),
            "{url}.sig"
        );
        assert_eq!(
            mangle_template(r"s/$/\.sign/", dir, "foo").unwrap(),
            "{url}.sign"
        );
        assert_eq!(
            mangle_template(r"s%(\.tar\.[a-z]+)$%$1.asc%", dir, "foo").unwrap(),
            "{url}.asc"
        );
        assert_eq!(
            mangle_template(r"s%^(.*)/([^/]+)$%$1/sigs/$2.asc%", dir, "foo").unwrap(),
            "{dir}/sigs/{filename}.asc"
        );
        assert!(mangle_template("s/foo/bar/", "https://x.org/", "baz").is_err());
    }

    #[test]
    fn patterns_keep_only_the_file_name_part() {
        let p = |s: &str| file_pattern(&subst_pattern(s, "foo")).map(|(p, _)| p);
        assert_eq!(
            p(r".*/foo-(\d[\d.]*)\.tar\.gz").unwrap(),
            r"foo-(?P<version>\d[\d.]*)\.tar\.gz"
        );
        assert_eq!(
            p(r"(?:.*?/)?foo-(\d\S+)\.tar\.gz").unwrap(),
            r"foo-(?P<version>\d\S+)\.tar\.gz"
        );
        assert_eq!(
            p(r"https://e.org/dl/foo-([\d.]+)\.tar\.gz").unwrap(),
            r"foo-(?P<version>[\d.]+)\.tar\.gz"
        );
        assert!(
            p(r".*/(?:refs/tags/)?v?@ANY_VERSION@@ARCHIVE_EXT@")
                .unwrap()
                .starts_with("v?[-_]?(?P<version>")
        );
        assert_eq!(
            p(r"(?:.*[/=]|)wget(?:[_\-]?|[_\-]v)(\d\S*)\.tar\.gz").unwrap(),
            r"wget(?:[_\-]?|[_\-]v)(?P<version>\d\S*)\.tar\.gz"
        );
        assert!(p(r"foo-\.tar\.gz").is_err());
    }

    #[test]
    fn pypi_urls_name_the_project() {
        let n = |u: &str| pypi_project(&url::Url::parse(u).unwrap());
        assert_eq!(
            n("https://pypi.debian.net/flufl.lock/flufl.lock-(.+)").as_deref(),
            Some("flufl.lock")
        );
        assert_eq!(
            n("https://pypi.org/project/requests/").as_deref(),
            Some("requests")
        );
        assert_eq!(
            n("https://pypi.python.org/packages/source/r/requests/").as_deref(),
            Some("requests")
        );
    }
}
