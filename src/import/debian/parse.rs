//! Reading a debian/ tree: the package name, the packaged version, and the watch entries.

use std::path::Path;

use super::pattern::{Mangle, subst};
use super::{Note, Severity, note};
use crate::error::ImportError;

/// `Source:` of debian/control, else the first word of debian/changelog.
pub(super) fn package_name(debian: &Path) -> anyhow::Result<String> {
    let from_control = std::fs::read_to_string(debian.join("control"))
        .ok()
        .and_then(|t| debian_control::Control::read_relaxed(t.as_bytes()).ok())
        .and_then(|(c, _errors)| c.source())
        .and_then(|s| s.name());
    let name = from_control
        .or_else(|| read_changelog(debian).and_then(|c| c.iter().next()?.package()))
        .ok_or_else(|| ImportError::Package {
            path: debian.to_path_buf(),
            problem: "neither debian/control (Source:) nor debian/changelog names the package"
                .into(),
            hint: Some("@PACKAGE@ and the watch file's name come from the source package name"),
        })?;
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !name.starts_with('.');
    if !valid {
        return Err(ImportError::Package {
            path: debian.to_path_buf(),
            problem: format!("source package name {name:?} is not a valid Debian package name"),
            hint: None,
        }
        .into());
    }
    Ok(name)
}

/// debian/changelog, read leniently (a later malformed entry does not hide the first).
fn read_changelog(debian: &Path) -> Option<debian_changelog::ChangeLog> {
    let text = std::fs::read_to_string(debian.join("changelog")).ok()?;
    Some(debian_changelog::ChangeLog::parse_relaxed(&text))
}

/// The version of the newest debian/changelog entry.
pub(super) fn changelog_version(debian: &Path) -> Option<debversion::Version> {
    read_changelog(debian)?.iter().next()?.version()
}

/// The upstream part of a Debian version, with the watch file's `dversionmangle` applied
/// (that is what the option exists for: mapping Debian versions to upstream ones).
pub(super) fn upstream_version(
    version: &debversion::Version,
    entry: &Entry,
    package: &str,
    notes: &mut Vec<Note>,
) -> String {
    let upstream = version.upstream_version.as_str();
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
pub(super) struct Opt {
    /// Lowercase, without `-` and `_`: v5 field names ignore case and hyphens.
    pub(super) key: String,
    /// As written.
    pub(super) raw_key: String,
    pub(super) value: String,
    /// 1-based.
    pub(super) line: usize,
}

/// One watch entry, the same for every format.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    /// 1-based line where the entry starts.
    pub(super) line: usize,
    /// The URL after splitting off a pattern written into it (line-based files).
    pub(super) url: String,
    pub(super) pattern: Option<String>,
    pub(super) template: Option<String>,
    pub(super) opts: Vec<Opt>,
    pub(super) format: String,
}

impl Entry {
    pub(super) fn opt(&self, key: &str) -> Option<&Opt> {
        let key = normalize_key(key);
        self.opts.iter().find(|o| o.key == key)
    }

    pub(super) fn pgpmode(&self) -> Option<&str> {
        self.opt("pgpmode").map(|o| o.value.trim())
    }
}

pub(super) fn normalize_key(key: &str) -> String {
    key.to_lowercase().replace(['-', '_'], "")
}

/// Fields of v5 entries that are not options.
pub(super) const V5_STRUCTURE: [&str; 9] = [
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

/// A logical line of a line-based watch file: continuation lines joined, with the line it
/// starts on.
struct Logical {
    text: String,
    line: usize,
    /// The last physical line it spans.
    end: usize,
}

/// uscan's reading of a line-based file: comment (also a bare `#`) and blank lines dropped,
/// `\`-continued lines joined (the continuation's leading blanks dropped), and blanks around
/// `=` in `version = 3` and `opts= …` removed, as uscan's own patterns allow them.
fn logical_lines(text: &str) -> Vec<Logical> {
    let mut out: Vec<Logical> = Vec::new();
    let mut open: Option<Logical> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        let piece = match &open {
            Some(_) => line.trim_start(),
            None => {
                let t = line.trim_start();
                if t.is_empty() || t.starts_with('#') {
                    continue;
                }
                t
            }
        };
        let (piece, continues) = match piece.strip_suffix('\\') {
            Some(p) if !p.ends_with('\\') => (p, true),
            _ => (piece, false),
        };
        let current = open.get_or_insert(Logical {
            text: String::new(),
            line: i + 1,
            end: i + 1,
        });
        current.text.push_str(piece);
        current.end = i + 1;
        if !continues {
            out.extend(open.take());
        }
    }
    out.extend(open);
    for l in &mut out {
        l.text = flags_first(&tidy_assignments(&l.text));
    }
    out
}

/// Stands for a `"` inside a quoted `opts` value while the line is parsed.
const QUOTE: char = '\u{E000}';
/// Stands for a blank inside a quoted `opts` value while the line is parsed.
const BLANK: char = '\u{E001}';

/// uscan splits `opts` at unescaped commas and takes items without `=` as flags
/// (`decompress`, `repack`, `bare`, `pasv`) wherever they stand; the parser takes them only
/// before the first `key=value`, so they are moved there.
fn flags_first(line: &str) -> String {
    let Some(rest) = line.strip_prefix("opts=") else {
        return line.to_string();
    };
    let (quoted, value, tail) = match rest.strip_prefix('"') {
        // uscan: the value ends at the first `"` followed by a blank or the end of the line,
        // so a value may hold quotes (`pagemangle=s%\"tarball_url\"…%`).
        Some(r) => match r
            .char_indices()
            .find(|&(i, c)| c == '"' && r[i + 1..].chars().next().is_none_or(char::is_whitespace))
        {
            Some((end, _)) => (true, &r[..end], &r[end + 1..]),
            None => return line.to_string(),
        },
        None => {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            (false, &rest[..end], &rest[end..])
        }
    };
    let mut items: Vec<&str> = Vec::new();
    let mut start = 0;
    for (i, c) in value.char_indices() {
        if c == ',' && !value[..i].ends_with('\\') {
            items.push(&value[start..i]);
            start = i + 1;
        }
    }
    items.push(&value[start..]);
    let (flags, pairs): (Vec<&str>, Vec<&str>) = items
        .iter()
        .map(|i| i.trim())
        .filter(|i| !i.is_empty())
        .partition(|i| !i.contains('='));
    // The parser ends a quoted value at any `"` and an option at a blank, where uscan ends
    // neither: quotes and blanks inside are stood in for until the options are read back
    // ([`QUOTE`], [`BLANK`]).
    let mut joined = flags.into_iter().chain(pairs).collect::<Vec<_>>().join(",");
    if quoted {
        joined = joined
            .replace('"', &QUOTE.to_string())
            .replace(' ', &BLANK.to_string());
    }
    if quoted {
        format!("opts=\"{joined}\"{tail}")
    } else {
        format!("opts={joined}{tail}")
    }
}

/// `version = 3` → `version=3`, `opts= a=b` → `opts=a=b`.
fn tidy_assignments(line: &str) -> String {
    for key in ["version", "opts", "options"] {
        let lower = line.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix(key) {
            let after = rest.trim_start();
            if let Some(value) = after.strip_prefix('=') {
                let skip = line.len() - value.len();
                return format!("{key}={}", line[skip..].trim_start());
            }
        }
    }
    line.to_string()
}

/// The watch entries of a debian/watch file, whatever its format. A line-based entry that
/// does not parse is skipped with a note, so one broken line does not hide the good ones.
pub(super) fn read_entries(text: &str, notes: &mut Vec<Note>) -> Result<Vec<Entry>, String> {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or_default()
        .to_ascii_lowercase();
    if first.starts_with("version:") {
        return deb822_entries(text);
    }
    let lines = logical_lines(text);
    let physical: Vec<&str> = text.lines().collect();
    let Some(version) = lines.first().and_then(|l| {
        l.text
            .strip_prefix("version=")
            .map(|v| v.split_whitespace().next().unwrap_or_default().to_string())
    }) else {
        return Err("no `version=N` line (watch files of version 1 are not supported)".into());
    };
    let mut out = Vec::new();
    // Options on a line of their own (a quoted `opts="…"` closed before the URL's line):
    // uscan reads each line alone and so ignores them, but their author meant them for the
    // URL on the next line, and sigwatch gives them to it (when it has none of its own).
    let mut orphan: Option<(usize, Vec<Opt>)> = None;
    for l in lines.iter().skip(1) {
        let one = format!("version={version}\n{}\n", l.text);
        match debian_watch::parse::parse(&one) {
            Ok(parsed) => {
                for mut e in entries(&parsed) {
                    e.line = l.line;
                    // An option's line: the physical line of the logical one that names it.
                    for o in &mut e.opts {
                        o.line = (l.line..=l.end)
                            .find(|n| physical.get(n - 1).is_some_and(|t| t.contains(&o.raw_key)))
                            .unwrap_or(l.line);
                    }
                    if e.url.trim().is_empty() {
                        if let Some((line, _)) = orphan.replace((l.line, e.opts)) {
                            notes.push(orphan_skipped(line));
                        }
                        continue;
                    }
                    if let Some((line, opts)) = orphan.take() {
                        if e.opts.is_empty() {
                            notes.push(note(
                                Some(line),
                                Severity::Review,
                                format!(
                                    "these options stand on a line of their own (the quoted opts end before the URL on line {}), so uscan ignores them and checks no signature; sigwatch applies them to that URL, as they were meant: check the result",
                                    e.line
                                ),
                            ));
                            e.opts = opts;
                        } else {
                            notes.push(orphan_skipped(line));
                        }
                    }
                    out.push(e);
                }
            }
            Err(e) => notes.push(note(
                Some(l.line),
                Severity::Review,
                format!("skipped: this watch line does not parse ({e}); translate it by hand if it names a source"),
            )),
        }
    }
    if let Some((line, _)) = orphan {
        notes.push(orphan_skipped(line));
    }
    if out.is_empty() && lines.len() > 1 {
        return Err("no watch line parses".into());
    }
    Ok(out)
}

fn orphan_skipped(line: usize) -> Note {
    note(
        Some(line),
        Severity::Review,
        "skipped: options without a URL (uscan reads each line on its own; continue the line with `\\` to give them to the next)".into(),
    )
}

/// Entries of a deb822 (version 5) file. uscan also reads a first paragraph holding both
/// `Version: 5` and the source's fields: that paragraph is split in two for the parser.
fn deb822_entries(text: &str) -> Result<Vec<Entry>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .unwrap_or_default();
    let end = lines[start..]
        .iter()
        .position(|l| l.trim().is_empty())
        .map_or(lines.len(), |p| start + p);
    let holds_source = lines[start..end]
        .iter()
        .any(|l| l.to_ascii_lowercase().starts_with("source:"));
    let parsed = if holds_source && end > start + 1 {
        // Version line, a blank line, the rest: every later line moves down by one.
        let mut split: Vec<&str> = lines.clone();
        split.insert(start + 1, "");
        let parsed =
            debian_watch::parse::parse(&(split.join("\n") + "\n")).map_err(|e| e.to_string())?;
        let mut es = entries(&parsed);
        for e in &mut es {
            let back = |l: usize| if l > start + 1 { l - 1 } else { l };
            e.line = back(e.line);
            for o in &mut e.opts {
                o.line = back(o.line);
            }
        }
        return Ok(es);
    } else {
        debian_watch::parse::parse(text).map_err(|e| e.to_string())?
    };
    Ok(entries(&parsed))
}

/// A deb822 field as an option (`line` is the crate's 0-based line).
fn opt_of(raw_key: Option<String>, value: String, line: usize) -> Option<Opt> {
    let raw_key = raw_key?;
    Some(Opt {
        key: normalize_key(&raw_key),
        raw_key,
        value,
        line: line + 1,
    })
}

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
                    .filter_map(|en| opt_of(en.key(), en.value(), en.line()))
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
                    .filter_map(|en| opt_of(en.key(), en.value(), en.line()))
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
                                    value: o
                                        .value()
                                        .unwrap_or_default()
                                        .replace(QUOTE, "\"")
                                        .replace(BLANK, " "),
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
pub(super) fn split_url_pattern(url: &str) -> Option<(String, String)> {
    let (dir, last) = url.rsplit_once('/')?;
    // Checked before substitution, so `@ANY_VERSION@` (which becomes a group) counts too.
    // A back-reference (`name-\1\.tar\.xz`) names a version captured in a directory.
    let backref = (1..=9).any(|n| last.contains(&format!("\\{n}")));
    if last.contains('(') || last.contains("_VERSION@") || backref {
        Some((format!("{dir}/"), last.to_string()))
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------
