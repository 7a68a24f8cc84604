//! `sigwatch import-debian` and `sigwatch import-arch`: exit 0 when the written watch file
//! verifies as strictly as the original, 2 when a human must finish it (nothing was verified,
//! so never 1).

use super::Outcome;
use crate::cli::{ImportArchArgs, ImportDebianArgs};
use crate::exit::Exit;
use crate::report::Printer;

/// Runs `import-debian`.
pub fn debian(printer: &Printer, args: &ImportDebianArgs) -> Outcome {
    Ok(finished(crate::import::debian::command(printer, args)?))
}

/// Runs `import-arch`.
pub fn arch(printer: &Printer, args: &ImportArchArgs) -> Outcome {
    Ok(finished(crate::import::arch::command(printer, args)?))
}

/// The importers answer 0 when the watch file verifies like the original.
fn finished(code: u8) -> Exit {
    if code == 0 { Exit::Ok } else { Exit::Usage }
}
