//! The commands: one module per subcommand, each a thin function from its arguments to an
//! [`Exit`], printing through the [`Printer`]. The stages below know nothing of commands.
//!
//! A new subcommand is a variant in [`crate::cli::Command`], a module here, and one arm in
//! [`run`].

pub mod accept;
pub mod add;
pub mod check;
pub mod completions;
pub mod import;
pub mod keys;
pub mod lint;
pub mod report;
pub mod sopv;
pub mod verify;

use crate::cli::{Cli, ColorWhen, Command, KeysCommand, ReportCommand};
use crate::error::Failure;
use crate::exit::Exit;
use crate::report::Printer;

/// What every command returns: how the run ended, or the error that ended it.
pub type Outcome = Result<Exit, Failure>;

/// Runs the parsed command line and returns how it ended.
pub fn run(cli: Cli) -> Exit {
    match cli.global.color {
        ColorWhen::Always => anstream::ColorChoice::Always.write_global(),
        ColorWhen::Never => anstream::ColorChoice::Never.write_global(),
        ColorWhen::Auto => {}
    }
    let printer = Printer {
        quiet: cli.global.quiet,
        verbose: cli.global.verbose,
        json: cli.global.json,
    };
    let result = match cli.command {
        Command::Verify(args) => verify::run(&printer, &args),
        Command::Check(args) => check::check(&printer, &args),
        Command::Fetch(args) => check::fetch(&printer, &args),
        Command::Keys(KeysCommand::List { keyring }) => keys::list(&printer, &keyring),
        Command::Keys(KeysCommand::Refresh { paths, net }) => keys::refresh(&printer, &paths, &net),
        Command::Lint(args) => lint::run(&printer, &args),
        Command::Accept(args) => accept::run(&printer, &args),
        Command::Add(args) => add::run(&printer, &args),
        Command::ImportDebian(mut args) => {
            args.json = printer.json;
            import::debian(&printer, &args)
        }
        Command::ImportArch(mut args) => {
            args.json = printer.json;
            import::arch(&printer, &args)
        }
        Command::Report(ReportCommand::Merge { files }) => report::merge(&printer, &files),
        // sopv answers with the draft's exit codes (3, 19, 37…), which are not sigwatch's
        // `Exit`; it has printed everything it will, so its code ends the process here.
        Command::Sopv { args } => std::process::exit(sopv::main("sigwatch sopv", args).into()),
        Command::Completions { shell } => completions::completions(shell),
        Command::Man { out } => completions::man(&out),
    };
    result.unwrap_or_else(|failure| {
        printer.error(&failure);
        failure.kind.exit()
    })
}

/// The tokio runtime of the commands that go to the network (`check`, `fetch`,
/// `keys refresh`); the others never build one.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::error::io("cannot start the async runtime", &e))
}

/// A command line clap refused: clap's own message (and `--help`/`--version` output), and
/// under `--json` also the JSON error object, so scripts always get JSON.
pub fn usage_error(err: clap::Error) -> Exit {
    use clap::error::ErrorKind;
    let informational = matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if informational {
        let _ = err.print();
        return if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            Exit::Usage
        } else {
            Exit::Ok
        };
    }
    let _ = err.print();
    if std::env::args_os().any(|a| a == "--json") {
        // clap's first line, with the indented lines under it ("the following required
        // arguments were not provided:" lists them there) joined onto it.
        let rendered = err.render().to_string();
        let mut lines = rendered.lines();
        let first = lines
            .next()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_string();
        let listed: Vec<&str> = lines
            .take_while(|l| l.starts_with("  "))
            .map(str::trim)
            .collect();
        let message = if listed.is_empty() {
            first
        } else {
            format!("{} {}", first, listed.join(", "))
        };
        let printer = Printer {
            quiet: true,
            verbose: 0,
            json: true,
        };
        printer.json(
            &serde_json::json!({ "error": crate::report::model::ErrorReport {
                kind: crate::error::Kind::Config,
                message,
                hint: Some("run the command with --help for its arguments and examples".into()),
            }}),
        );
    }
    Exit::Usage
}
