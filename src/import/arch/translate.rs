//! Which source is signed, and how it maps onto a sigwatch source and signature template.

use std::path::Path;

use super::{KEYS_DIR, Note, PKGBUILD, Recipe, Severity, VERSION_AGAIN, VERSION_GROUP, note};
use crate::verify::Keyring;

/// Every certificate of `keys/pgp/*.asc`, merged; and the files read (relative to DIR).
pub(super) fn load_keys(
    dir: &Path,
    notes: &mut Vec<Note>,
) -> anyhow::Result<(Option<Keyring>, Vec<String>)> {
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
pub(super) struct SourceEntry {
    /// The local name (`name::` or the URL's file name).
    pub(super) name: String,
    /// Whether the name came from `name::`.
    pub(super) renamed: bool,
    /// The URL (without `name::` and `#fragment`), with version taint.
    pub(super) url: Text,
    /// 1-based line.
    pub(super) line: usize,
}

pub(super) fn collect_sources(recipe: &Recipe, notes: &mut Vec<Note>) -> Vec<SourceEntry> {
    for (name, line) in &recipe.arch_sources {
        notes.push(note(
            Some(*line),
            Severity::Review,
            format!("{name}: architecture-specific sources are not translated; write a watch file by hand if the signed release is there"),
        ));
    }
    let mut out = Vec::new();
    let entries = &recipe.sources;
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

pub(super) const SIG_EXTS: [&str; 3] = [".sig", ".asc", ".sign"];

/// (file, its signature) pairs, in source order.
pub(super) fn pair_signatures(
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
pub(super) struct Translation {
    pub(super) source: Vec<(String, toml::Value)>,
    pub(super) templates: Vec<String>,
    pub(super) signature_note: Option<String>,
}

pub(super) const PYPI_HOSTS: [&str; 5] = [
    "files.pythonhosted.org",
    "pypi.io",
    "pypi.org",
    "www.pypi.org",
    "pypi.python.org",
];

/// The watch-file source for a release URL.
pub(super) fn map_source(
    file: &SourceEntry,
    pkgver: Option<&str>,
    notes: &mut Vec<Note>,
) -> Translation {
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
    // On forge release sources the version comes from the tag; elsewhere, from the file name.
    let no_version = |notes: &mut Vec<Note>| {
        if !found {
            notes.push(note(
                here,
                Severity::Error,
                format!("the file name {filename} does not contain pkgver; write `pattern` with a (?P<version>…) group by hand"),
            ));
        }
    };
    let tag_version = |notes: &mut Vec<Note>| {
        if !found {
            notes.push(note(
                here,
                Severity::Info,
                format!("the asset name {filename} holds no version: the release's tag gives it"),
            ));
        }
    };
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
            no_version(notes);
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
            tag_version(notes);
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
            no_version(notes);
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
                tag_version(notes);
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
                no_version(notes);
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
    no_version(notes);
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
    if let Some(rest) = listing
        .strip_prefix("http://")
        .filter(|_| !loopback(&listing))
    {
        listing = format!("https://{rest}");
        notes.push(note(
            here,
            Severity::Review,
            format!("{url_text} is plain http: wrote https:// for the same host; check it serves the same files"),
        ));
    }
    Translation {
        source: vec![s("url", listing), s("pattern", pattern)],
        ..Translation::default()
    }
}

/// Byte offset of the first path segment of a directory URL that contains the version.
pub(super) fn first_versioned_segment(dir: &Text, pkgver: Option<&str>) -> Option<usize> {
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
pub(super) fn version_pattern(file: &Text, pkgver: Option<&str>) -> (String, bool) {
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
pub(super) fn signature_template(
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

// ---------------------------------------------------------------------------------------------
// Text with version taint

/// Where a piece of expanded text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Taint {
    /// Written literally (or from a variable not derived from pkgver).
    None,
    /// pkgver's value, unchanged.
    Version,
    /// pkgver's value, transformed (`${pkgver//./_}`).
    Derived,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Piece {
    pub(super) text: String,
    pub(super) taint: Taint,
}

/// Expanded text, remembering which parts are the version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Text(pub(super) Vec<Piece>);

impl Text {
    /// Text written literally, with no part known to be the version.
    pub(super) fn literal(text: &str) -> Text {
        let mut t = Text::default();
        t.push(text, Taint::None);
        t
    }

    pub(super) fn string(&self) -> String {
        self.0.iter().map(|p| p.text.as_str()).collect()
    }

    pub(super) fn push(&mut self, text: &str, taint: Taint) {
        match self.0.last_mut() {
            Some(last) if last.taint == taint => last.text.push_str(text),
            _ => self.0.push(Piece {
                text: text.to_string(),
                taint,
            }),
        }
    }

    pub(super) fn extend(&mut self, other: &Text) {
        for p in &other.0 {
            self.push(&p.text, p.taint);
        }
    }

    /// The part from byte `start` to `end` of the joined text.
    pub(super) fn slice(&self, start: usize, end: usize) -> Text {
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

/// One array element, expanded, with its line.
#[derive(Debug, Clone)]
pub(super) struct Element {
    pub(super) value: Result<Text, String>,
    pub(super) line: usize,
}

/// Whether `url` names a loopback host, where sigwatch allows plain http (local mirrors, tests).
fn loopback(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| crate::base::url::is_loopback(&u))
}
