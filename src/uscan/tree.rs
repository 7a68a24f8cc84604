//! A Debian source package tree read as it is: `debian/watch` translated on the fly by the
//! `import-debian` translation (never written next to the package), the key file, the
//! changelog's version, and the options that only uscan's local naming uses.

use std::path::{Path, PathBuf};

use debian_watch::parse::ParsedEntry;

use crate::error::{Failure, config};
use crate::import::{Note, Severity};
use crate::watch::Watch;

/// The key files uscan reads, in its order of preference.
pub const KEY_FILES: [&str; 3] = [
    "debian/upstream/signing-key.pgp",
    "debian/upstream/signing-key.asc",
    "debian/upstream-signing-key.pgp",
];

/// A package tree, ready to run.
#[derive(Debug)]
pub struct Tree {
    /// The package's top directory (it contains debian/).
    pub dir: PathBuf,
    /// The source package name.
    pub package: String,
    /// The upstream part of debian/changelog's version (no epoch, no Debian revision).
    pub debian_uversion: Option<String>,
    /// `debian_uversion` after `dversionmangle`.
    pub mangled_uversion: Option<String>,
    /// The entries: the main upstream tarball first, then components.
    pub entries: Vec<TreeEntry>,
    /// What the translation reported (located in debian/watch).
    pub notes: Vec<Note>,
}

/// One `debian/watch` entry as a watch file held in memory.
#[derive(Debug)]
pub struct TreeEntry {
    /// `component=` of the entry; `None` for the main tarball.
    pub component: Option<String>,
    /// The translated watch file (pins: every primary key in the key file).
    pub watch: Watch,
    /// The options uscan uses for local naming and ordering, as written.
    pub mangles: Mangles,
}

/// uscan's version and name options of one entry (`@PACKAGE@` already substituted).
#[derive(Debug, Clone, Default)]
pub struct Mangles {
    /// Applied to each upstream version before comparing and naming.
    pub uversionmangle: Option<String>,
    /// Applied to the upstream version in the `.orig` name.
    pub oversionmangle: Option<String>,
    /// Applied to the download URL to name the local file.
    pub filenamemangle: Option<String>,
    /// Appended to the version of a repacked tarball.
    pub repacksuffix: Option<String>,
}

/// What `translate` gives for one entry: the watch file's TOML text and the notes.
#[derive(Debug)]
struct Translated {
    package: String,
    component: Option<String>,
    toml: String,
    notes: Vec<Note>,
    mangles: Mangles,
}

/// Reads DIR/debian into a [`Tree`]: every entry translated exactly as `import-debian`
/// translates it, with every primary key in the key file pinned.
pub fn read(dir: &Path) -> Result<Tree, Failure> {
    let debian = dir.join("debian");
    if !debian.is_dir() {
        return Err(config(format!("{}: no debian/ directory here", dir.display()))
            .hint("run sigwatch uscan at the top of an unpacked Debian source package, or pass its directory"));
    }
    let key_file = KEY_FILES
        .iter()
        .map(|k| dir.join(k))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            config(format!(
                "{}: no upstream key file (debian/upstream/signing-key.asc or .pgp)",
                dir.display()
            ))
            .hint("sigwatch uscan verifies every release; put upstream's public keys in debian/upstream/signing-key.asc")
        })?;
    let translated = translate(dir)?;
    let package = translated
        .first()
        .map(|t| t.package.clone())
        .unwrap_or_default();
    let debian_uversion = changelog_uversion(&debian);
    let mut notes = Vec::new();
    let mut entries = Vec::new();
    // The in-memory watch files sit (virtually) in debian/upstream/, so the history they
    // keep is debian/upstream/sigwatch.lock.
    let anchor = dir.join("debian/upstream/sigwatch");
    let mut mangled_uversion = None;
    for t in translated {
        let errors: Vec<&Note> = t
            .notes
            .iter()
            .filter(|n| n.severity == Severity::Error)
            .collect();
        if !errors.is_empty() {
            let what = t
                .component
                .as_deref()
                .map_or("the upstream tarball".to_string(), |c| {
                    format!("component {c}")
                });
            let list: Vec<String> = errors.iter().map(|n| n.to_string()).collect();
            return Err(config(format!(
                "{}/debian/watch: {what} is not verified by debian/watch as written: {}",
                dir.display(),
                list.join("; ")
            ))
            .hint("sigwatch uscan only runs watch entries that check signatures (pgpsigurlmangle or pgpmode=auto/next, and a key file)"));
        }
        let toml = with_keyring(&t.toml, &key_file, &anchor).map_err(|e| {
            config(format!(
                "{}/debian/watch: the translation is not a watch file: {e}",
                dir.display()
            ))
        })?;
        let mut watch = Watch::parse(&toml, &anchor).map_err(|f| {
            config(format!(
                "{}/debian/watch: the translation does not load: {}",
                dir.display(),
                f.message
            ))
        })?;
        watch.keyring = key_file.clone();
        watch.name = package.clone();
        if t.component.is_none() && mangled_uversion.is_none() {
            mangled_uversion = watch.current.clone();
        }
        notes.extend(t.notes);
        entries.push(TreeEntry {
            component: t.component,
            watch,
            mangles: t.mangles,
        });
    }
    Ok(Tree {
        dir: dir.to_path_buf(),
        package,
        debian_uversion,
        mangled_uversion,
        entries,
        notes,
    })
}

/// The translated watch file with `[keys] keyring` naming the package's own key file
/// (relative to the watch file's virtual place in debian/upstream/).
fn with_keyring(text: &str, key_file: &Path, anchor: &Path) -> Result<String, String> {
    let mut table: toml::Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
    let base = anchor.parent().unwrap_or(Path::new("."));
    let rel = match key_file.strip_prefix(base) {
        Ok(r) => r.to_path_buf(),
        Err(_) => Path::new("..").join(key_file.file_name().unwrap_or_default()),
    };
    let keys = table
        .get_mut("keys")
        .and_then(toml::Value::as_table_mut)
        .ok_or("no [keys] table")?;
    keys.insert(
        "keyring".into(),
        toml::Value::String(rel.to_string_lossy().into_owned()),
    );
    toml::to_string(&table).map_err(|e| e.to_string())
}

/// The one place that asks the importer for its translation. It runs `import-debian` on a
/// private copy of the tree that holds one entry at a time, and keeps the watch file text
/// in memory; nothing is written beside the package.
fn translate(dir: &Path) -> Result<Vec<Translated>, Failure> {
    let watch_path = dir.join("debian/watch");
    let text = std::fs::read_to_string(&watch_path).map_err(|e| {
        config(format!("{}: cannot read: {e}", watch_path.display()))
            .hint("sigwatch uscan reads debian/watch; this package has none")
    })?;
    let parsed = debian_watch::parse::parse(&text)
        .map_err(|e| config(format!("{}: cannot parse: {e}", watch_path.display())))?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let starts: Vec<(usize, ParsedEntry)> = parsed.entries().map(|e| (e.line(), e)).collect();
    let Some(first) = starts.first().map(|(l, _)| *l) else {
        return Err(config(format!("{}: no watch entry", watch_path.display())));
    };
    let header: String = lines[..first.min(lines.len())].concat();
    let mut out = Vec::new();
    for (i, (start, entry)) in starts.iter().enumerate() {
        if option(entry, "pgpmode").as_deref() == Some("previous") {
            continue;
        }
        // The entry, and the signature line after it when it is one (pgpmode=next).
        let mut end = i + 1;
        if starts
            .get(end)
            .is_some_and(|(_, e)| option(e, "pgpmode").as_deref() == Some("previous"))
        {
            end += 1;
        }
        let stop = starts.get(end).map_or(lines.len(), |(l, _)| *l);
        let body: String = lines[*start..stop.min(lines.len())].concat();
        let component = entry.component();
        let single = single_entry(&format!("{header}{body}"), component.as_deref())
            .map_err(|e| config(format!("{}:{}: {e}", watch_path.display(), start + 1)))?;
        let shift = |line: usize| -> usize {
            let header_lines = first;
            if line > header_lines {
                line - header_lines + start
            } else {
                line
            }
        };
        let (package, toml, mut notes) = import_one(dir, &single)?;
        for n in &mut notes {
            if n.file == "debian/watch" {
                n.line = n.line.map(shift);
            }
        }
        let subst = |s: String| {
            debian_watch::subst::subst(
                &s,
                || package.clone(),
                || component.clone().unwrap_or_default(),
            )
        };
        out.push(Translated {
            mangles: Mangles {
                uversionmangle: option(entry, "uversionmangle").map(subst),
                oversionmangle: option(entry, "oversionmangle").map(subst),
                filenamemangle: option(entry, "filenamemangle").map(subst),
                repacksuffix: option(entry, "repacksuffix").map(subst),
            },
            package,
            component,
            toml,
            notes,
        });
    }
    Ok(out)
}

/// An option of an entry, whatever the format spells it (v5 field names ignore case and
/// hyphens: `Uversion-Mangle` is `uversionmangle`).
fn option(entry: &ParsedEntry, key: &str) -> Option<String> {
    let value = match entry {
        ParsedEntry::LineBased(e) => e.get_option(key),
        ParsedEntry::Deb822(e) => e.as_deb822().entries().find_map(|f| {
            let k = f.key()?.to_lowercase().replace(['-', '_'], "");
            (k == key).then(|| f.value())
        }),
    };
    value.map(|v| v.trim().to_string())
}

/// The watch text of one entry with its `component` option removed, so the importer takes
/// it as the main tarball.
fn single_entry(text: &str, component: Option<&str>) -> Result<String, String> {
    let Some(c) = component else {
        return Ok(text.to_string());
    };
    let parsed = debian_watch::parse::parse(text).map_err(|e| e.to_string())?;
    if let Some(mut e) = parsed.entries().next() {
        e.remove_option(debian_watch::WatchOption::Component(c.to_string()));
    }
    Ok(parsed.to_string())
}

/// Runs the importer on a private tree holding `watch` as debian/watch.
fn import_one(dir: &Path, watch: &str) -> Result<(String, String, Vec<Note>), Failure> {
    let tmp = tempfile::tempdir()
        .map_err(|e| crate::error::io("cannot create a temporary directory", &e))?;
    let copy = tmp.path().join("tree");
    let io = |p: &Path, e: std::io::Error| {
        crate::error::io(format_args!("{}: cannot write", p.display()), &e)
    };
    std::fs::create_dir_all(copy.join("debian/upstream")).map_err(|e| io(&copy, e))?;
    for rel in ["debian/control", "debian/changelog"]
        .iter()
        .chain(KEY_FILES.iter())
    {
        let from = dir.join(rel);
        if from.is_file() {
            std::fs::copy(&from, copy.join(rel)).map_err(|e| io(&copy.join(rel), e))?;
        }
    }
    std::fs::write(copy.join("debian/watch"), watch).map_err(|e| io(&copy, e))?;
    let out = tmp.path().join("out");
    let imported = crate::import::debian::import(&copy, &out).map_err(Failure::from)?;
    let toml = std::fs::read_to_string(&imported.watch)
        .map_err(|e| crate::error::io(format_args!("{}: cannot read", imported.watch), &e))?;
    Ok((imported.package, toml, imported.notes))
}

/// The upstream part of the first version in debian/changelog: no epoch, no revision.
fn changelog_uversion(debian: &Path) -> Option<String> {
    let text = std::fs::read_to_string(debian.join("changelog")).ok()?;
    let first = text.lines().find(|l| !l.trim().is_empty())?;
    let open = first.find('(')?;
    let close = first[open..].find(')')? + open;
    let version = first[open + 1..close].trim();
    let no_epoch = version.split_once(':').map_or(version, |(_, v)| v);
    let upstream = no_epoch.rsplit_once('-').map_or(no_epoch, |(u, _)| u);
    Some(upstream.to_string()).filter(|v| !v.is_empty())
}
