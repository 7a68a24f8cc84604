//! Importers: take over trust decisions packagers already made elsewhere.
//!
//! Both importers translate what they can, report the rest as [`Note`]s located by file and
//! line, and write the watch file through [`write_out`], which checks it with the parser
//! `check` and `fetch` use before anything is placed.

pub mod arch;
pub mod debian;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Failure, config};
use crate::fetch::place_bytes;
use crate::watch::{NewWatch, Watch, render};

pub use crate::report::model::{Note, NoteSeverity as Severity};

/// The comment lines a written watch file carries about the notes: what a human must
/// check, and what was dropped on purpose.
pub fn review_lines(notes: &[Note]) -> Vec<String> {
    let mut lines = Vec::new();
    let checks: Vec<&Note> = notes
        .iter()
        .filter(|n| n.severity >= Severity::Review)
        .collect();
    if checks.is_empty() {
        lines.push("Nothing needed a human's review.".into());
    } else {
        lines.push("A human must check:".into());
        lines.extend(checks.iter().map(|n| format!("- TODO {n}")));
    }
    let dropped: Vec<&Note> = notes
        .iter()
        .filter(|n| n.severity == Severity::Info)
        .collect();
    if !dropped.is_empty() {
        lines.push("Dropped on purpose:".into());
        lines.extend(dropped.iter().map(|n| format!("- {n}")));
    }
    lines
}

/// What [`write_out`] placed.
pub struct Written {
    /// The watch file.
    pub watch: PathBuf,
    /// The keyring, when one was written.
    pub keyring: Option<PathBuf>,
    /// Why the watch file does not load, if it does not.
    pub load_error: Option<String>,
}

/// Validates a translated watch file with the parser `check` and `fetch` use, then places
/// it and its minimal keyring under `out`.
///
/// A file without pins cannot load (that is the point: it refuses to run until a human
/// pins the keys), so everything else is checked on a probe with a placeholder pin.
pub fn write_out(
    out: &Path,
    package: &str,
    keyring_rel: &str,
    new: &NewWatch,
    minimal: Option<&[u8]>,
    unpinned: bool,
) -> Result<Written, Failure> {
    let text = render(new);
    std::fs::create_dir_all(out)
        .map_err(|e| config(format!("{}: cannot create: {e}", out.display())))?;
    let staged = tempfile::tempdir_in(out)
        .map_err(|e| config(format!("{}: cannot write: {e}", out.display())))?;
    let staged_err = |e: std::io::Error| config(format!("{}: {e}", staged.path().display()));
    std::fs::create_dir(staged.path().join("keyrings")).map_err(staged_err)?;
    std::fs::write(
        staged.path().join(keyring_rel),
        minimal.unwrap_or(b"placeholder"),
    )
    .map_err(staged_err)?;
    let staged_watch = staged.path().join(format!("{package}.toml"));
    let probe = render(&NewWatch {
        pins: vec![(
            "0000000000000000000000000000000000000000".into(),
            String::new(),
        )],
        ..new.clone()
    });
    let load_error = match Watch::parse(&probe, &staged_watch) {
        Ok(_) if unpinned => None,
        Ok(_) => Watch::parse(&text, &staged_watch)
            .err()
            .map(|e| format!("the translated watch file does not load: {}", e.message)),
        Err(e) => Some(format!(
            "the translated watch file does not load: {}; fix it by hand",
            e.message
        )),
    };
    drop(staged);

    let watch = out.join(format!("{package}.toml"));
    let keyring_path = out.join(keyring_rel);
    let keyring = match minimal {
        Some(bytes) => {
            let kdir = keyring_path
                .parent()
                .expect("keyrings/NAME.asc has a parent");
            std::fs::create_dir_all(kdir)
                .map_err(|e| config(format!("{}: cannot create: {e}", kdir.display())))?;
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
    })
}

/// Prints an import's outcome (JSON, or notes and the watch file) and returns its exit code:
/// 0 when the watch file verifies like the original, else 1 (the command exits 2: a human
/// must finish the watch file).
#[allow(clippy::too_many_arguments)]
pub fn report(
    printer: &crate::report::Printer,
    json: bool,
    imported: &impl Serialize,
    notes: &[Note],
    verifies: bool,
    watch: &str,
    pinned: usize,
    origin: &str,
) -> u8 {
    if json {
        for n in notes.iter().filter(|n| n.severity >= Severity::Review) {
            printer.warning(&n.to_string());
        }
        printer.json(imported);
    } else {
        printer.imported(notes, verifies, watch, pinned, origin);
    }
    if verifies { 0 } else { 1 }
}

/// The `source` member of an import report: the `[source]` fields as strings.
pub fn source_json(source: &[(String, toml::Value)]) -> serde_json::Map<String, serde_json::Value> {
    source
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                serde_json::Value::String(v.as_str().map(str::to_string).unwrap_or_default()),
            )
        })
        .collect()
}
