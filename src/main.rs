use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Sequoia builds `anyhow` errors internally even while parsing good keyrings; with
    // RUST_BACKTRACE=1 inherited from a shell, each would capture a backtrace (25 % more
    // CPU in `check` over 1000 projects). Panics still honour RUST_BACKTRACE.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: the first statement of main, before any thread exists.
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
    let cli = match sigwatch::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return sigwatch::commands::usage_error(err).into(),
    };
    sigwatch::commands::run(cli).into()
}
