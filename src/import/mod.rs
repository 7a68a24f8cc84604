//! Importers: take over trust decisions packagers already made elsewhere.
//!
//! Both importers translate what they can, report the rest as [`Note`]s located by file and
//! line, and write the watch file through [`write_out`], which checks it with the parser
//! `check` and `fetch` use before anything is placed.

pub mod arch;
pub mod debian;
mod write;

pub use write::{Draft, KeyLine, Written, write_out};

use serde::Serialize;

pub use crate::report::model::{Note, NoteSeverity as Severity};

/// The comment lines a written watch file carries about the notes and keys: what a human
/// must check, which keys are pinned and which are not, and what was dropped on purpose.
pub fn review_lines(notes: &[Note], keys: &[KeyLine]) -> Vec<String> {
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
    for (pinned, heading) in [(true, "Keys pinned:"), (false, "Keys not pinned:")] {
        let these: Vec<&KeyLine> = keys.iter().filter(|k| k.pinned == pinned).collect();
        if !these.is_empty() {
            lines.push(heading.into());
            lines.extend(these.iter().map(|k| format!("- {k}")));
        }
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

/// Prints an import's outcome (JSON, or notes and the watch file) and returns its exit code:
/// 0 when the watch file verifies like the original, 2 when a human must finish it (nothing
/// was verified, so never 1).
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
    if verifies { 0 } else { 2 }
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
