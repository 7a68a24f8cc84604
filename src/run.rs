//! Carries out a parsed command line: wires the stages and returns the exit code.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::CommandFactory;

use crate::cli::{CheckArgs, Cli, ColorWhen, Command, FetchArgs, KeysCommand, NetArgs, VerifyArgs};
use crate::error::{Kind, config};
use crate::http::{Http, Limits};
use crate::pipeline::{FetchOptions, Options, ProjectReport};
use crate::report::{self, Printer};
use crate::verify::{self, Checker, Keyring, MAX_SIGNATURE_BYTES};

/// Runs the command and returns the process exit code.
pub fn run(cli: Cli) -> u8 {
    match cli.global.color {
        ColorWhen::Always => anstream::ColorChoice::Always.write_global(),
        ColorWhen::Never => anstream::ColorChoice::Never.write_global(),
        ColorWhen::Auto => {}
    }
    let printer = Printer {
        quiet: cli.global.quiet,
        verbose: cli.global.verbose,
    };
    let json = matches!(
        &cli.command,
        Command::Verify(VerifyArgs { json: true, .. })
            | Command::Keys(KeysCommand::List { json: true, .. })
            | Command::Keys(KeysCommand::Refresh { json: true, .. })
            | Command::Check(CheckArgs { json: true, .. })
            | Command::Fetch(FetchArgs { json: true, .. })
            | Command::Lint(crate::cli::LintArgs { json: true, .. })
            | Command::ImportDebian(crate::cli::ImportDebianArgs { json: true, .. })
            | Command::ImportArch(crate::cli::ImportArchArgs { json: true, .. })
    );
    let result = match cli.command {
        Command::Verify(args) => verify_command(&printer, &args),
        Command::Keys(KeysCommand::List { keyring, json }) => keys_list(&printer, &keyring, json),
        Command::Check(args) => {
            let opts = Options {
                fetch: None,
                fail_on_update: args.fail_on_update,
                refresh_keys: args.refresh_keys,
            };
            projects(&printer, &args.paths, &args.net, &opts, args.json)
        }
        Command::Fetch(args) => {
            let fetch = FetchOptions {
                dest: args.dest,
                version: args.version,
                allow_downgrade: args.allow_downgrade,
            };
            let opts = Options {
                fetch: Some(fetch),
                fail_on_update: false,
                refresh_keys: args.refresh_keys,
            };
            projects(&printer, &args.paths, &args.net, &opts, args.json)
        }
        Command::Keys(KeysCommand::Refresh { paths, json, net }) => {
            refresh_command(&printer, &paths, &net, json)
        }
        Command::Lint(args) => crate::lint::command(&printer, &args),
        Command::Add(args) => crate::add::command(&printer, &args),
        Command::ImportDebian(args) => crate::import::debian::command(&printer, &args),
        Command::ImportArch(args) => crate::import::arch::command(&printer, &args),
        Command::Report(crate::cli::ReportCommand::Merge { files }) => crate::merge::merge(&files)
            .map(|merged| {
                printer.json(&merged);
                0
            })
            .map_err(anyhow::Error::new),
        Command::Sopv { args } => Ok(crate::sopv::main("sigwatch sopv", args)),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "sigwatch",
                &mut std::io::stdout(),
            );
            Ok(0)
        }
        Command::Man { out } => write_man_pages(&out).map(|()| 0),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            printer.error(&err);
            if json {
                printer.json(&report::error_json(&err));
            }
            crate::error::kind_of(&err).exit_code()
        }
    }
}

fn verify_command(printer: &Printer, args: &VerifyArgs) -> anyhow::Result<u8> {
    let (keyring_path, pins, threshold) = match &args.watch {
        Some(w) => {
            let watch = crate::watch::Watch::load(w)?;
            (
                watch.keyring,
                watch.pins,
                args.threshold.unwrap_or(watch.threshold),
            )
        }
        None => (
            args.keyring
                .clone()
                .expect("clap requires --keyring without --watch"),
            verify::parse_pins(&args.fingerprints, |_| "--fingerprint".to_string())?,
            args.threshold.unwrap_or(1),
        ),
    };
    let keyring = Keyring::load(&keyring_path)?;
    for w in &keyring.warnings {
        printer.detail(w);
    }
    let checker = Checker::new(&keyring, &pins, threshold)?;
    if let Some(sums) = &args.checksums {
        return verify_through_checksums(printer, args, &checker, sums);
    }
    let sig_path = match &args.signature {
        Some(p) => p.clone(),
        None => default_signature(&args.file)?,
    };
    let signature = read_signature(&sig_path)?;
    let data = File::open(&args.file).map_err(|e| {
        config(format!(
            "{}: cannot open the file to verify: {e}",
            args.file.display()
        ))
    })?;
    let verdict = checker
        .verify(data, &signature)
        .map_err(|e| config(format!("{}: read error: {e}", args.file.display())))?;
    let file = args.file.display().to_string();
    if args.json {
        for w in &verdict.warnings {
            printer.warning(w);
        }
        printer.json(&report::verdict_json(
            &file,
            &sig_path.display().to_string(),
            &verdict,
        ));
    } else {
        printer.verdict(&file, &verdict);
    }
    Ok(if verdict.is_verified() {
        0
    } else {
        Kind::Verification.exit_code()
    })
}

/// `verify --checksums`: the checksum file's signature, then FILE's line.
fn verify_through_checksums(
    printer: &Printer,
    args: &VerifyArgs,
    checker: &Checker<'_>,
    sums_path: &Path,
) -> anyhow::Result<u8> {
    use crate::verify::checksums;
    const MAX_SUMS: u64 = 16 << 20;
    let mut sums_bytes = Vec::new();
    File::open(sums_path)
        .and_then(|f| f.take(MAX_SUMS + 1).read_to_end(&mut sums_bytes))
        .map_err(|e| {
            config(format!(
                "checksum file {}: cannot read: {e}",
                sums_path.display()
            ))
        })?;
    if sums_bytes.len() as u64 > MAX_SUMS {
        return Err(config(format!(
            "checksum file {}: larger than 16 MiB",
            sums_path.display()
        ))
        .into());
    }
    let clearsigned = checksums::split_cleartext(&sums_bytes).is_some();
    let (sig_path, signature) = match &args.signature {
        Some(p) => (Some(p.clone()), Some(read_signature(p)?)),
        None if clearsigned => (None, None),
        None => {
            let p = default_signature(sums_path)?;
            let bytes = read_signature(&p)?;
            (Some(p), Some(bytes))
        }
    };
    let (verdict, sums) = checksums::verify(checker, &sums_bytes, signature.as_deref());
    let file = args.file.display().to_string();
    let sums_name = sums_path.display().to_string();
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut outcome: Result<String, String> = Err(format!("{sums_name}: {}", verdict.summary()));
    let mut checksum = serde_json::Value::Null;
    if verdict.is_verified() {
        outcome = match sums.get(&name) {
            None => Err(format!(
                "{sums_name} (signed by a pinned key) has no line for {name}"
            )),
            Some((algo, want)) => {
                let data = File::open(&args.file)
                    .map_err(|e| config(format!("{file}: cannot open the file to verify: {e}")))?;
                let got = checksums::digest_reader(data, *algo)
                    .map_err(|e| config(format!("{file}: read error: {e}")))?;
                checksum = serde_json::json!({
                    "file": sums_name, "algorithm": algo.name(), "expected": want, "actual": got, "match": &got == want,
                });
                if &got == want {
                    Ok(format!(
                        "{} matches {sums_name}, {}",
                        algo.name(),
                        verdict.summary()
                    ))
                } else {
                    Err(format!(
                        "{} {got} does not match the line in {sums_name} ({want})",
                        algo.name()
                    ))
                }
            }
        };
    }
    if args.json {
        for w in &verdict.warnings {
            printer.warning(w);
        }
        let sig_name = sig_path
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| sums_name.clone());
        let mut out = report::verdict_json(&file, &sig_name, &verdict);
        out["checksums"] = checksum;
        out["verdict"] = serde_json::json!(if outcome.is_ok() {
            "verified"
        } else {
            "rejected"
        });
        out["reason"] = serde_json::json!(match &outcome {
            Ok(m) | Err(m) => m,
        });
        printer.json(&out);
    } else {
        for w in &verdict.warnings {
            printer.warning(w);
        }
        match &outcome {
            Ok(m) => printer.result(&format!("verified: {file}: {m}")),
            Err(m) => printer.result(&format!("rejected: {file}: {m}")),
        }
    }
    Ok(if outcome.is_ok() {
        0
    } else {
        Kind::Verification.exit_code()
    })
}

/// FILE.asc, else FILE.sig.
fn default_signature(file: &Path) -> anyhow::Result<PathBuf> {
    let candidates = ["asc", "sig"].map(|ext| {
        let mut name = file.as_os_str().to_owned();
        name.push(".");
        name.push(ext);
        PathBuf::from(name)
    });
    candidates
        .iter()
        .find(|p| p.exists())
        .cloned()
        .ok_or_else(|| {
            config(format!(
                "no signature found for {}: neither {} nor {} exists",
                file.display(),
                candidates[0].display(),
                candidates[1].display()
            ))
            .hint("name the signature file with --signature SIG")
            .into()
        })
}

/// Reads a signature file, refusing absurd sizes before reading them.
pub fn read_signature(path: &Path) -> anyhow::Result<Vec<u8>> {
    let file = File::open(path)
        .map_err(|e| config(format!("signature {}: cannot open: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(MAX_SIGNATURE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| config(format!("signature {}: cannot read: {e}", path.display())))?;
    Ok(bytes)
}

fn keys_list(printer: &Printer, path: &Path, json: bool) -> anyhow::Result<u8> {
    let keyring = Keyring::load(path)?;
    for w in &keyring.warnings {
        printer.note(w);
    }
    let certs =
        verify::keyring::describe(&keyring, &verify::policy(), std::time::SystemTime::now());
    if json {
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
    Ok(0)
}

fn write_man_pages(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    clap_mangen::generate_to(Cli::command(), dir)
        .with_context(|| format!("writing man pages to {}", dir.display()))?;
    Ok(())
}

fn limits(net: &NetArgs) -> Result<Limits, crate::error::Failure> {
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

/// `check` and `fetch`: every watch file, `--jobs` at a time, reported in path order.
fn projects(
    printer: &Printer,
    paths: &[PathBuf],
    net: &NetArgs,
    opts: &Options,
    json: bool,
) -> anyhow::Result<u8> {
    let mut watch_files = crate::watch::collect_paths(paths)?;
    if let Some(shard) = net.shard {
        watch_files.retain(|p| crate::watch::shard_of(p, shard.count) == shard.index);
    }
    let limits = limits(net)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (reports, stats): (Vec<ProjectReport>, serde_json::Value) = runtime.block_on(async {
        let http = std::sync::Arc::new(Http::new(limits, cache_dir(net))?);
        let progress = printer.progress(watch_files.len() as u64);
        let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(net.jobs));
        let mut tasks = Vec::with_capacity(watch_files.len());
        for path in &watch_files {
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
        for (task, path) in tasks.into_iter().zip(&watch_files) {
            // A project whose task died (a bug) is reported as such; the others stand.
            reports.push(task.await.unwrap_or_else(|e| {
                crate::pipeline::ProjectReport::failed(
                    path,
                    crate::error::source(format!("{}: internal error: {e}", path.display())),
                )
            }));
        }
        progress.finish_and_clear();
        anyhow::Ok((reports, http.stats.to_json()))
    })?;
    printer.detail(&format!("http: {stats}"));
    let code =
        crate::error::worst_exit_code(reports.iter().map(|r| r.exit_code(opts.fail_on_update)));
    if json {
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
    Ok(code)
}

/// `keys refresh`: every watch file, one after the other (keyrings may be shared).
fn refresh_command(
    printer: &Printer,
    paths: &[PathBuf],
    net: &NetArgs,
    json: bool,
) -> anyhow::Result<u8> {
    let files = crate::watch::collect_paths(paths)?;
    let limits = limits(net)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut reports = Vec::new();
    let mut codes = Vec::new();
    runtime.block_on(async {
        let http = Http::new(limits, cache_dir(net))?;
        for path in &files {
            let outcome = match crate::watch::Watch::load(path) {
                Ok(watch) => crate::refresh::refresh(&http, &watch)
                    .await
                    .map(|r| (r, watch.refresh.len())),
                Err(e) => Err(e),
            };
            match outcome {
                Ok((report, sources)) => {
                    codes.push(report.exit_code(sources));
                    reports.push(serde_json::to_value(&report)?);
                    if !json {
                        printer.refresh(&report);
                    } else {
                        for w in &report.warnings {
                            printer.warning(w);
                        }
                    }
                }
                Err(failure) => {
                    codes.push(failure.kind.exit_code());
                    let err = anyhow::Error::new(failure);
                    if !json {
                        printer.error(&err);
                    }
                    reports.push(serde_json::json!({
                        "watch": path.display().to_string(),
                        "error": report::error_value(&err),
                    }));
                }
            }
        }
        anyhow::Ok(())
    })?;
    if json {
        printer.json(&serde_json::json!({ "refreshed": reports }));
    }
    Ok(crate::error::worst_exit_code(codes))
}

fn cache_dir(net: &NetArgs) -> Option<PathBuf> {
    if net.no_cache {
        None
    } else {
        crate::cache::default_dir()
    }
}
