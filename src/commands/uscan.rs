//! `sigwatch uscan`: a Debian source package tree, read as it is, run in place of uscan.

use std::sync::Arc;

use super::Outcome;
use super::check::{cache_dir, limits};
use crate::cli::UscanArgs;
use crate::error::Failure;
use crate::exit::Exit;
use crate::net::Http;
use crate::report::Printer;
use crate::report::model::{ErrorReport, UscanReport};

/// Runs `uscan`.
pub fn run(printer: &Printer, args: &UscanArgs) -> Outcome {
    let tree = match crate::uscan::tree::read(&args.dir) {
        Ok(tree) => tree,
        // Under --dehs the error is DEHS too, as uscan prints it.
        Err(failure) if args.dehs => {
            let report = UscanReport {
                error: Some(ErrorReport::from(&failure)),
                ..UscanReport::default()
            };
            printer.uscan(&report, true);
            printer.error(&failure);
            return Ok(failure.kind.exit());
        }
        Err(failure) => return Err(failure),
    };
    let destdir = args.destdir.clone().unwrap_or_else(|| {
        // uscan's default `..` is relative to the package tree.
        let abs = std::path::absolute(&args.dir).unwrap_or_else(|_| args.dir.clone());
        abs.parent()
            .map_or_else(|| abs.join(".."), |p| p.to_path_buf())
    });
    let opts = crate::uscan::Options {
        download: args.download || (args.download_version.is_some() && !args.report),
        destdir,
        shown_destdir: args
            .destdir
            .clone()
            .unwrap_or_else(|| std::path::PathBuf::from("..")),
        version: args.download_version.clone(),
    };
    let limits = limits(&args.net)?;
    let report = super::runtime()?.block_on(async {
        let http = Arc::new(Http::new(limits, cache_dir(&args.net)).map_err(Failure::from)?);
        Ok::<_, Failure>(crate::uscan::run(&http, &tree, &opts).await)
    })?;
    printer.uscan(&report, args.dehs);
    match &report.error {
        None => Ok(Exit::Ok),
        Some(e) => {
            let failure = Failure {
                kind: e.kind,
                message: e.message.clone(),
                hint: e.hint.clone(),
            };
            if args.dehs || printer.json {
                // The document on stdout carries it already; stderr still says it.
                let quiet = Printer {
                    json: false,
                    ..*printer
                };
                quiet.error(&failure);
                Ok(failure.kind.exit())
            } else {
                Err(failure)
            }
        }
    }
}
