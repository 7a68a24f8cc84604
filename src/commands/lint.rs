//! `sigwatch lint`: trust problems in watch files and keyrings, each with a severity and a fix.

use std::path::PathBuf;
use std::time::SystemTime;

use super::Outcome;
use crate::cli::LintArgs;
use crate::exit::Exit;
use crate::lint::{Finding, Severity, lint_file};
use crate::report::Printer;
use crate::watch::collect_paths;

/// Runs `lint`: exit 1 when any finding is an error.
pub fn run(printer: &Printer, args: &LintArgs) -> Outcome {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let files = collect_paths(&paths)?;
    let now = SystemTime::now();
    let findings: Vec<Finding> = files.iter().flat_map(|f| lint_file(f, now)).collect();
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    if printer.json {
        printer.json(&serde_json::json!({
            "watch_files": files.len(),
            "errors": errors,
            "warnings": findings.len() - errors,
            "findings": findings,
        }));
    } else {
        printer.findings(&findings, files.len());
    }
    Ok(Exit::refused_unless(errors == 0))
}
