//! `sigwatch completions SHELL` and `sigwatch man DIR`, both generated from the clap definition.

use std::path::Path;

use clap::CommandFactory;

use super::Outcome;
use crate::cli::Cli;
use crate::error::io;
use crate::exit::Exit;

/// Writes the completion script for `shell` to stdout.
pub fn completions(shell: clap_complete::Shell) -> Outcome {
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "sigwatch",
        &mut std::io::stdout(),
    );
    Ok(Exit::Ok)
}

/// Writes one man page per command into `dir`.
pub fn man(dir: &Path) -> Outcome {
    std::fs::create_dir_all(dir).map_err(|e| io(format_args!("creating {}", dir.display()), &e))?;
    clap_mangen::generate_to(Cli::command(), dir)
        .map_err(|e| io(format_args!("writing man pages to {}", dir.display()), &e))?;
    Ok(Exit::Ok)
}
