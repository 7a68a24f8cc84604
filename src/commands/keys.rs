//! `sigwatch keys list` and `sigwatch keys refresh`.

use std::path::{Path, PathBuf};

use super::Outcome;
use crate::cli::NetArgs;
use crate::error::Failure;
use crate::exit::Exit;
use crate::net::Http;
use crate::report::Printer;
use crate::report::model::ErrorReport;
use crate::verify::{self, Keyring};

/// Runs `keys list`.
pub fn list(printer: &Printer, path: &Path) -> Outcome {
    let keyring = Keyring::load(path)?;
    for w in &keyring.warnings {
        printer.note(w);
    }
    let certs =
        verify::keyring::describe(&keyring, &verify::policy(), std::time::SystemTime::now());
    if printer.json {
        for c in &certs {
            for w in &c.warnings {
                printer.warning(w);
            }
        }
        printer.json(
            &serde_json::json!({ "keyring": path.display().to_string(), "certificates": certs }),
        );
    } else {
        printer.certs(&certs);
    }
    Ok(Exit::Ok)
}

/// Runs `keys refresh`: every watch file, one after the other (keyrings may be shared).
pub fn refresh(printer: &Printer, paths: &[PathBuf], net: &NetArgs) -> Outcome {
    let files = crate::watch::collect_paths(paths)?;
    let limits = super::check::limits(net)?;
    let mut reports = Vec::new();
    let mut exits = Vec::new();
    super::runtime()?.block_on(async {
        let http = Http::new(limits, super::check::cache_dir(net)).map_err(Failure::from)?;
        for path in &files {
            let outcome = match crate::watch::Watch::load(path) {
                Ok(watch) => crate::refresh::refresh(&http, &watch)
                    .await
                    .map(|r| (r, watch.keys.as_ref().map_or(0, |k| k.refresh.len()))),
                Err(e) => Err(e.into()),
            };
            match outcome {
                Ok((report, sources)) => {
                    exits.push(report.exit(sources));
                    if printer.json {
                        for w in &report.warnings {
                            printer.warning(w);
                        }
                    } else {
                        printer.refresh(&report);
                    }
                    reports.push(serde_json::to_value(&report).expect("reports serialize"));
                }
                Err(failure) => {
                    exits.push(failure.kind.exit());
                    if !printer.json {
                        printer.error(&failure);
                    }
                    reports.push(serde_json::json!({
                        "watch": path.display().to_string(),
                        "error": ErrorReport::from(failure),
                    }));
                }
            }
        }
        for w in http.finish() {
            printer.warning(&w);
        }
        Ok::<_, Failure>(())
    })?;
    if printer.json {
        printer.json(&serde_json::json!({ "refreshed": reports }));
    }
    Ok(Exit::worst(exits))
}
