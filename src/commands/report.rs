//! `sigwatch report merge`: shard reports into one.

use std::path::PathBuf;

use super::Outcome;
use crate::exit::Exit;
use crate::report::Printer;

/// Runs `report merge`.
pub fn merge(printer: &Printer, files: &[PathBuf]) -> Outcome {
    let merged = crate::merge::merge(files)?;
    printer.json(&merged);
    Ok(Exit::Ok)
}
