//! `sigwatch import-arch` (being written).

use crate::cli::ImportArchArgs;
use crate::error::config;
use crate::report::Printer;

/// Runs `import-arch`.
pub fn command(_printer: &Printer, _args: &ImportArchArgs) -> anyhow::Result<u8> {
    Err(config("import-arch is not implemented yet").into())
}
