//! `sigwatch import-debian` (being written).

use crate::cli::ImportDebianArgs;
use crate::error::config;
use crate::report::Printer;

/// Runs `import-debian`.
pub fn command(_printer: &Printer, _args: &ImportDebianArgs) -> anyhow::Result<u8> {
    Err(config("import-debian is not implemented yet").into())
}
