use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = sigwatch::cli::Cli::parse();
    ExitCode::from(sigwatch::run::run(cli))
}
