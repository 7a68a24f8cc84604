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
    // Called through a link named `sopv` (as uscan finds it on PATH), be that sopv.
    let mut args = std::env::args_os();
    let argv0 = args.next();
    if argv0
        .as_deref()
        .map(std::path::Path::new)
        .and_then(|p| p.file_name())
        == Some(std::ffi::OsStr::new("sopv"))
    {
        return sigwatch::commands::sopv::main("sopv", args.collect()).into();
    }
    let cli = match sigwatch::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return sigwatch::commands::usage_error(err).into(),
    };
    sigwatch::commands::run(cli).into()
}
