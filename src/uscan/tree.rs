//! A Debian source package tree read as it is: `debian/watch` translated on the fly by the
//! `import-debian` translation (never written next to the package), the key file, the
//! changelog's version, and the options that only uscan's local naming uses.

use std::path::{Path, PathBuf};

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
                f
            ))
        })?;
        if let Some(keys) = watch.keys.as_mut() {
            keys.keyring = key_file.clone();
        }
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

/// The one place that asks the importer for its translation: `import-debian`'s
/// `translate`, held in memory; nothing is written beside the package.
fn translate(dir: &Path) -> Result<Vec<Translated>, Failure> {
    let t = crate::import::debian::translate(dir).map_err(Failure::from)?;
    let package = t.package;
    Ok(t.entries
        .into_iter()
        .map(|e| {
            let component = e.component.clone();
            let subst = |s: String| {
                debian_watch::subst::subst(
                    &s,
                    || package.clone(),
                    || component.clone().unwrap_or_default(),
                )
            };
            let m = e.mangles;
            let mut notes = e.notes;
            if e.pins.is_empty() && !notes.iter().any(|n| n.severity == Severity::Error) {
                notes.push(Note {
                    file: "debian/watch".into(),
                    line: Some(e.line),
                    message: "nothing is pinned".into(),
                    severity: Severity::Error,
                });
            }
            Translated {
                package: package.clone(),
                component: e.component,
                toml: e.toml,
                notes,
                mangles: Mangles {
                    uversionmangle: m.uversionmangle.map(subst),
                    oversionmangle: m.oversionmangle.map(subst),
                    filenamemangle: m.filenamemangle.map(subst),
                    repacksuffix: m.repacksuffix.map(subst),
                },
            }
        })
        .collect())
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
