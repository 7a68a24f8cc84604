//! Writing an import: the watch file is rendered, loaded with the parser `check` and `fetch`
//! use, judged with the checks of `lint`, and only then placed with its minimal keyring.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;

use super::{Note, Severity, review_lines};
use crate::error::{Failure, LocalIo};
use crate::fetch::place_bytes;
use crate::lint::{Finding, lint_file};
use crate::verify::{Keyring, Pin};
use crate::watch::{NewWatch, Watch, render};

/// One key the importer considered: pinned or not, and what is wrong with it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyLine {
    /// Primary fingerprint, uppercase hex.
    pub fingerprint: String,
    /// The first user ID, or empty.
    pub user_id: String,
    /// Whether the watch file pins it.
    pub pinned: bool,
    /// Why it is not pinned, or what is wrong with it (expired, weak, …).
    pub remarks: Vec<String>,
}

impl std::fmt::Display for KeyLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.fingerprint)?;
        if !self.user_id.is_empty() {
            write!(f, " ({})", self.user_id)?;
        }
        if !self.remarks.is_empty() {
            write!(f, ": {}", self.remarks.join("; "))?;
        }
        Ok(())
    }
}

/// A translated watch file, ready to be judged and placed.
pub struct Draft<'a> {
    /// The output directory.
    pub out: &'a Path,
    /// The watch file's stem: it is written as `<stem>.toml`.
    pub stem: &'a str,
    /// The keyring's path relative to the watch file.
    pub keyring_rel: &'a str,
    /// The watch file; its `notes` are the opening comment lines, to which the review
    /// lines are added.
    pub new: NewWatch,
    /// The minimal keyring, when there are keys.
    pub minimal: Option<&'a [u8]>,
    /// Where `keys refresh` can learn updates of the pinned keys (`wkd`, upstream's key URL);
    /// written only when a pinned key needs it.
    pub refresh: Vec<String>,
    /// Refresh sources written whenever keys are pinned (`keyserver`), as far as this
    /// build's watch-file schema knows them.
    pub always_refresh: Vec<String>,
    /// The keys considered, for the comments.
    pub keys: &'a [KeyLine],
}

/// What [`write_out`] placed.
pub struct Written {
    /// The watch file.
    pub watch: PathBuf,
    /// The keyring, when one was written.
    pub keyring: Option<PathBuf>,
    /// Why the watch file does not load, if it does not.
    pub load_error: Option<String>,
    /// The `[keys] refresh` entries written.
    pub refresh: Vec<String>,
}

/// Lint codes that say a pinned key cannot (or soon cannot) sign: `keys refresh` helps.
const KEY_LIFE: [&str; 4] = [
    "no-pin-can-sign",
    "pin-expired",
    "pin-expiring",
    "pin-cannot-sign",
];

/// Renders the draft with the review lines for `notes`, and `refresh` when not empty.
fn compose(draft: &Draft, notes: &[Note], refresh: &[String]) -> String {
    let mut new = draft.new.clone();
    new.notes.extend(review_lines(notes, draft.keys));
    let mut text = render(&new);
    text.push_str(&refresh_lines(refresh));
    text
}

/// The `refresh = […]` line (with its comment) for the end of `[keys]`, or nothing.
fn refresh_lines(refresh: &[String]) -> String {
    if refresh.is_empty() {
        return String::new();
    }
    let items: Vec<String> = refresh
        .iter()
        .map(|r| toml::Value::String(r.clone()).to_string())
        .collect();
    format!(
        "# Where `sigwatch keys refresh` learns updates (new expiry, new subkeys) of the pinned keys.\nrefresh = [{}]\n",
        items.join(", ")
    )
}

/// Validates a translated watch file with the parser `check` and `fetch` use, judges it with
/// `lint`'s checks (adding their findings to `notes`, and a `[keys] refresh` entry when a
/// pinned key cannot sign), then places it and its minimal keyring under `out`.
///
/// A file without pins cannot load (that is the point: it refuses to run until a human
/// pins the keys), so everything else is checked on a probe with a placeholder pin.
pub fn write_out(draft: Draft, notes: &mut Vec<Note>) -> Result<Written, Failure> {
    let out = draft.out;
    let unpinned = draft.new.pins.is_empty();
    // The output directory is the local disk: a failure there is local I/O (exit 3, with
    // the disk-full / permission hint), not a watch file a human must finish.
    std::fs::create_dir_all(out)
        .map_err(|e| LocalIo::new(format_args!("{}: cannot create", out.display()), e))?;
    let staged = tempfile::tempdir_in(out)
        .map_err(|e| LocalIo::new(format_args!("{}: cannot write", out.display()), e))?;
    let staged_err = |e: std::io::Error| LocalIo::new(staged.path().display(), e);
    let staged_keyring = staged.path().join(draft.keyring_rel);
    if let Some(dir) = staged_keyring.parent() {
        std::fs::create_dir_all(dir).map_err(staged_err)?;
    }
    std::fs::write(&staged_keyring, draft.minimal.unwrap_or(b"placeholder")).map_err(staged_err)?;
    let file_name = format!("{}.toml", draft.stem);
    let staged_watch = staged.path().join(&file_name);
    let probe = render(&NewWatch {
        pins: vec![(
            "0000000000000000000000000000000000000000".into(),
            String::new(),
        )],
        ..draft.new.clone()
    });
    let load_error = match Watch::parse(&probe, &staged_watch) {
        Ok(_) if unpinned => None,
        Ok(_) => Watch::parse(&render(&draft.new), &staged_watch)
            .err()
            .map(|e| format!("the translated watch file does not load: {e}")),
        Err(e) => Some(format!(
            "the translated watch file does not load: {}; fix it by hand",
            e
        )),
    };

    // Refresh sources for every pinned key, when the schema has them.
    let always: Vec<String> = draft
        .always_refresh
        .iter()
        .filter(|r| {
            let with = probe.clone() + &refresh_lines(std::slice::from_ref(*r));
            Watch::parse(&with, &staged_watch).is_ok()
        })
        .cloned()
        .collect();
    let with_always = |mut first: Vec<String>| {
        for r in &always {
            if !first.contains(r) {
                first.push(r.clone());
            }
        }
        first
    };

    // Judge what would be written as `lint` would, so the import says what lint would say.
    let mut refresh = Vec::new();
    if load_error.is_none() && !unpinned {
        refresh = with_always(Vec::new());
        let lint = |refresh: &[String]| -> Result<Vec<Finding>, Failure> {
            std::fs::write(&staged_watch, compose(&draft, notes, refresh)).map_err(staged_err)?;
            Ok(lint_file(&staged_watch, SystemTime::now()))
        };
        let mut findings = lint(&refresh)?;
        if findings.iter().any(|f| KEY_LIFE.contains(&f.code)) && !draft.refresh.is_empty() {
            refresh = with_always(draft.refresh.clone());
            findings = lint(&refresh)?;
        }
        let staged_dir = staged.path().display().to_string();
        let out_dir = out.display().to_string();
        let watch_shown = out.join(&file_name).display().to_string();
        let local = |s: &str| s.replace(&staged_dir, &out_dir);
        if findings.iter().any(|f| f.code == "no-pin-can-sign") {
            let way = if refresh.is_empty() {
                "ask upstream for its current key, add it to the keyring and pin it".to_string()
            } else {
                format!(
                    "wrote [keys] refresh = {refresh:?}: run `sigwatch keys refresh {watch_shown}` to learn an extended expiry; if that finds none, ask upstream for its current key"
                )
            };
            notes.push(Note {
                file: file_name.clone(),
                line: None,
                message: format!(
                    "no pinned key can sign a new release today (expired, revoked or weak): the next release will be refused; {way}"
                ),
                severity: Severity::Review,
            });
        }
        for f in findings.iter().filter(|f| f.code != "no-pin-can-sign") {
            notes.push(Note {
                file: file_name.clone(),
                line: None,
                message: format!(
                    "lint {}: {}; fix: {}",
                    f.code,
                    local(&f.message),
                    local(&f.fix)
                ),
                severity: Severity::Review,
            });
        }
    }
    let text = compose(&draft, notes, &refresh);
    drop(staged);

    let watch = out.join(&file_name);
    let keyring_path = out.join(draft.keyring_rel);
    let keyring = match draft.minimal {
        Some(bytes) => {
            let kdir = keyring_path
                .parent()
                .expect("keyrings/NAME.asc has a parent");
            std::fs::create_dir_all(kdir)
                .map_err(|e| LocalIo::new(format_args!("{}: cannot create", kdir.display()), e))?;
            place_bytes(kdir, &keyring_path, bytes)?;
            Some(keyring_path)
        }
        None => None,
    };
    place_bytes(out, &watch, text.as_bytes())?;
    Ok(Written {
        watch,
        keyring,
        load_error,
        refresh,
    })
}

/// Refresh sources for the pinned keys: upstream's key URL when the package names one, and
/// `wkd` when a pinned key has a user ID with an e-mail address.
pub fn refresh_sources(keyring: &Keyring, pins: &[Pin], key_url: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = key_url
        .filter(|u| u.starts_with("https://"))
        .map(str::to_string)
        .into_iter()
        .collect();
    let has_email = pins.iter().filter_map(|p| keyring.find(&p.0)).any(|c| {
        c.userids()
            .any(|u| u.userid().email().ok().flatten().is_some())
    });
    if has_email {
        out.push("wkd".into());
    }
    out
}

/// The keys of `keyring` as [`KeyLine`]s: `pins` pinned, the rest with `why_not`; each with
/// the warnings `keys list` gives it.
pub fn key_lines(keyring: &Keyring, pins: &[Pin], why_not: &str) -> Vec<KeyLine> {
    let described =
        crate::verify::keyring::describe(keyring, &crate::verify::policy(), SystemTime::now());
    keyring
        .certs
        .iter()
        .map(|c| {
            let fpr = c.fingerprint();
            let pinned = pins.iter().any(|p| p.0 == fpr);
            let mut remarks: Vec<String> = described
                .iter()
                .find(|d| d.fingerprint == fpr.to_hex())
                .map(|d| d.warnings.clone())
                .unwrap_or_default();
            if !pinned {
                remarks.insert(0, why_not.to_string());
            }
            KeyLine {
                fingerprint: fpr.to_hex(),
                user_id: c
                    .userids()
                    .next()
                    .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
                    .unwrap_or_default(),
                pinned,
                remarks,
            }
        })
        .collect()
}
