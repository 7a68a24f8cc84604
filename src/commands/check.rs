//! `sigwatch check` and `sigwatch fetch`: every watch file through the pipeline, `--jobs` at
//! a time, reported in path order.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Outcome;
use crate::cli::{CheckArgs, FetchArgs, NetArgs};
use crate::error::{Failure, config};
use crate::exit::Exit;
use crate::net::{Http, Limits};
use crate::pipeline::{FetchOptions, Options};
use crate::report::Printer;
use crate::report::model::ProjectReport;

/// Runs `check`.
pub fn check(printer: &Printer, args: &CheckArgs) -> Outcome {
    let opts = Options {
        fetch: None,
        fail_on_update: args.fail_on_update,
        refresh_keys: args.refresh_keys,
    };
    projects(printer, &args.paths, &args.net, &opts)
}

/// Runs `fetch`.
pub fn fetch(printer: &Printer, args: &FetchArgs) -> Outcome {
    let opts = Options {
        fetch: Some(FetchOptions {
            dest: args.dest.clone(),
            version: args.version.clone(),
            allow_downgrade: args.allow_downgrade,
        }),
        fail_on_update: false,
        refresh_keys: args.refresh_keys,
    };
    projects(printer, &args.paths, &args.net, &opts)
}

/// The HTTP limits the command line asks for.
pub(crate) fn limits(net: &NetArgs) -> Result<Limits, Failure> {
    if net.jobs == 0 || net.per_host == 0 {
        return Err(config("--jobs and --per-host must be at least 1"));
    }
    Ok(Limits {
        page_bytes: net.max_page_mib.saturating_mul(1 << 20),
        signature_bytes: net.max_signature_mib.saturating_mul(1 << 20),
        artifact_bytes: net.max_artifact_gib.saturating_mul(1 << 30),
        stall: std::time::Duration::from_secs(net.timeout.max(1)),
        min_rate: net.min_rate,
        retries: net.retries,
        max_retry_after: std::time::Duration::from_secs(net.max_retry_after),
        per_host: net.per_host,
        ..Limits::default()
    })
}

/// The page cache directory, unless `--no-cache`.
pub(crate) fn cache_dir(net: &NetArgs) -> Option<PathBuf> {
    if net.no_cache {
        None
    } else {
        crate::net::cache::default_dir()
    }
}

fn projects(printer: &Printer, paths: &[PathBuf], net: &NetArgs, opts: &Options) -> Outcome {
    let mut watch_files = crate::watch::collect_paths(paths)?;
    if let Some(shard) = net.shard {
        watch_files.retain(|p| crate::watch::shard_of(p, shard.count) == shard.index);
    }
    let limits = limits(net)?;
    let (reports, stats) = super::runtime()?.block_on(async {
        let http = Arc::new(Http::new(limits, cache_dir(net)).map_err(Failure::from)?);
        let reports = run_all(printer, &http, &watch_files, net.jobs, opts).await;
        for w in http.finish() {
            printer.warning(&w);
        }
        Ok::<_, Failure>((reports, http.stats.to_json()))
    })?;
    let count = |k: &str| stats[k].as_u64().unwrap_or(0);
    printer.detail(&format!(
        "http: {} request(s), {} received, {} page(s) unchanged since the cache",
        count("requests"),
        crate::net::human_size(count("bytes")),
        count("not_modified")
    ));
    let exit = Exit::worst(reports.iter().map(|r| r.exit(opts.fail_on_update)));
    if printer.json {
        for r in &reports {
            for w in &r.warnings {
                printer.warning(&format!("{}: {w}", r.name));
            }
        }
        let mut out = serde_json::json!({ "projects": reports, "http": stats });
        if let Some(shard) = net.shard {
            out["shard"] = serde_json::json!(shard);
        }
        printer.json(&out);
    } else {
        printer.projects(&reports, opts.fetch.is_some());
    }
    Ok(exit)
}

async fn run_all(
    printer: &Printer,
    http: &Arc<Http>,
    watch_files: &[PathBuf],
    jobs: usize,
    opts: &Options,
) -> Vec<ProjectReport> {
    let progress = printer.progress(watch_files.len() as u64);
    let slots = Arc::new(tokio::sync::Semaphore::new(jobs));
    let mut tasks = Vec::with_capacity(watch_files.len());
    for path in watch_files {
        let (http, slots, progress, opts, path) = (
            http.clone(),
            slots.clone(),
            progress.clone(),
            opts.clone(),
            path.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _slot = slots
                .acquire_owned()
                .await
                .expect("semaphore is never closed");
            let report = crate::pipeline::run_project(&http, &path, &opts).await;
            progress.inc(1);
            report
        }));
    }
    let mut reports = Vec::with_capacity(tasks.len());
    for (task, path) in tasks.into_iter().zip(watch_files) {
        // A project whose task died (a bug) is reported as such; the others stand.
        reports.push(task.await.unwrap_or_else(|e| internal_error(path, &e)));
    }
    progress.finish_and_clear();
    reports
}

fn internal_error(path: &Path, e: &tokio::task::JoinError) -> ProjectReport {
    ProjectReport::failed(
        path,
        crate::error::source(format!("{}: internal error: {e}", path.display())),
    )
}
