//! One project through the stages: watch → source → fetch → proof → history → report.
//!
//! [`run_project`] loads the watch file, discovers releases, chooses one and, for `fetch`,
//! hands each file to [`fetch_file`]: the file's [`Proof`] (a detached signature, or its line
//! in a signed checksum file) is obtained first, the bytes stream into a temporary file
//! through the proof, and only a trusted file is judged by the history and moved into place.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::base::decompress;
use crate::base::digest::{Algo, Consume, Hasher};
use crate::error::{self, Failure, config};
use crate::fetch;
use crate::history::History;
use crate::net::http::Http;
use crate::report::model::{Fetched, FileReport, ProjectReport};
use crate::source::{self, IndexFile};
use crate::verify::sigstore::{self, TrustRoot};
use crate::verify::{Checker, Judgement, Keyring, Proof, Proven, Provings};
use crate::watch::{Source, Watch, expand_template};

mod openpgp;
mod provenance;
mod settle;

use openpgp::{Evidence, SumsCache, evidence_for, judge, signature_extension};
use provenance::{publisher_of, sigstore_evidence, sigstore_extension, sigstore_urls};
use settle::{Beside, ProofFile, Settled, settle};

/// What to do with each project.
#[derive(Debug, Clone)]
pub struct Options {
    /// `Some` for `fetch`, `None` for `check`.
    pub fetch: Option<FetchOptions>,
    /// Exit 4 when a newer release than `current` exists (`check --fail-on-update`).
    pub fail_on_update: bool,
    /// Run `keys refresh` for watch files that name refresh sources, first.
    pub refresh_keys: bool,
}

/// Options of `fetch`.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Destination directory.
    pub dest: PathBuf,
    /// A specific version instead of the newest.
    pub version: Option<String>,
    /// Accept a version older than the newest recorded.
    pub allow_downgrade: bool,
}

/// Runs one watch file through check or fetch. Never fails: the report carries the error.
pub async fn run_project(http: &Http, path: &Path, opts: &Options) -> ProjectReport {
    let mut report = ProjectReport::new(path);
    if let Err(failure) = project(http, path, opts, &mut report).await {
        report.error = Some(failure.into());
    }
    report
}

/// Where a project's signer history lives, and which file is locked while it is written.
#[derive(Debug, Clone)]
pub struct Places {
    /// The lock file holding the signer history.
    pub history: PathBuf,
    /// A file locked (flock) while the history is read and written, so runs take turns.
    pub lock: PathBuf,
}

impl Places {
    /// A watch file's places: `foo.toml.lock` beside it, and the watch file itself locked.
    pub fn beside(watch: &Path) -> Places {
        Places {
            history: crate::history::lock_path(watch),
            lock: watch.to_path_buf(),
        }
    }
}

/// Runs a watch file made in memory (`sigwatch uscan`) through check or fetch, with its
/// history where `places` says. Never fails: the report carries the error.
pub async fn run_watch(
    http: &Http,
    watch: &Watch,
    places: &Places,
    opts: &Options,
) -> ProjectReport {
    let mut report = ProjectReport::new(&watch.path);
    if let Err(failure) = project_watch(http, watch, places, opts, &mut report).await {
        report.error = Some(failure.into());
    }
    report
}

async fn project(
    http: &Http,
    path: &Path,
    opts: &Options,
    report: &mut ProjectReport,
) -> Result<(), Failure> {
    let watch = Watch::load(path)?;
    project_watch(http, &watch, &Places::beside(path), opts, report).await
}

async fn project_watch(
    http: &Http,
    watch: &Watch,
    places: &Places,
    opts: &Options,
    report: &mut ProjectReport,
) -> Result<(), Failure> {
    report.name = watch.name.clone();
    report.current = watch.current.clone();
    http.allow_plain_http(&watch.plain_http_hosts);
    if let Some((warning, fix)) = watch.pypi_signature_warning() {
        report.warnings.push(format!("{warning}; {fix}"));
    }
    if opts.refresh_keys && watch.keys.as_ref().is_some_and(|k| !k.refresh.is_empty()) {
        refresh_first(http, watch, report).await?;
    }
    let keyring = match &watch.keys {
        Some(keys) => Some(Keyring::load(&keys.keyring).map_err(Failure::from)?),
        None => None,
    };
    let checker = match (&watch.keys, &keyring) {
        (Some(keys), Some(keyring)) => Some(
            Checker::named(keyring, &keys.pins, keys.threshold, &|i| {
                format!("keys.fingerprints[{i}]")
            })?
            .with_exceptions(watch.exceptions()),
        ),
        _ => None,
    };
    if let Some(checker) = &checker {
        report.warnings.extend(checker.warnings.iter().cloned());
    }
    let trust_root = match &watch.sigstore {
        Some(section) => Some(match &section.trusted_root {
            Some(path) => TrustRoot::from_file(path).map_err(|e| {
                config(format!("watch file {}: sigstore.trusted_root: {e:#}", watch.path.display()))
                    .hint("name a Sigstore trusted_root.json (as sigstore clients ship it), or delete the field to use the embedded public-good root")
            })?,
            None => TrustRoot::production(),
        }),
        None => None,
    };
    let sigstore_checker = match (&watch.sigstore, &trust_root) {
        (Some(section), Some(root)) => Some(sigstore::Checker::new(root, &section.pins)),
        _ => None,
    };

    let releases = source::discover(http, &watch.source).await?;
    let prereleases = match &watch.source {
        Source::Pypi { prereleases, .. }
        | Source::Url { prereleases, .. }
        | Source::Forge { prereleases, .. } => *prereleases,
    };
    let newest = source::choose(&releases, None, prereleases);
    report.newest = newest.map(|r| r.version.clone());
    report.update_available = match (&watch.current, newest) {
        (Some(current), Some(newest)) => {
            Some(crate::base::version::compare_strs(&newest.version, current).is_gt())
        }
        _ => None,
    };
    let wanted = opts.fetch.as_ref().and_then(|f| f.version.as_deref());
    let release = source::choose(&releases, wanted, prereleases).ok_or_else(|| match wanted {
        Some(v) => error::source(format!(
            "{}: no release {v} found at {}",
            watch.name,
            describe_source(&watch.source)
        )),
        None if releases.is_empty() => error::source(format!(
            "{}: no release found at {} (no file matches)",
            watch.name,
            describe_source(&watch.source)
        ))
        .hint("check the project name, `files` or `pattern` in the watch file"),
        None => error::source(format!(
            "{}: every release at {} is yanked or a pre-release",
            watch.name,
            describe_source(&watch.source)
        ))
        .hint("set `prereleases = true` in [source] to accept pre-releases"),
    })?;
    report.version = Some(release.version.clone());
    let files: Vec<&IndexFile> = release
        .files
        .iter()
        .filter(|f| wanted.is_some() || !f.yanked)
        .collect();
    for f in &files {
        report.files.push(FileReport {
            filename: f.filename.clone(),
            url: f.url.clone(),
            sha256: f.sha256.clone(),
            signature_url: watch.keys.as_ref().and_then(|_| {
                watch
                    .checksums
                    .as_ref()
                    .or(watch.signature_templates.first())
                    .map(|t| expand_template(t, &f.url, &f.filename, &release.version, &watch.name))
            }),
            sigstore_url: sigstore_urls(watch, f, &release.version).into_iter().next(),
            fetched: None,
        });
    }
    let Some(fetch_opts) = &opts.fetch else {
        return Ok(());
    };

    std::fs::create_dir_all(&fetch_opts.dest).map_err(|e| {
        error::io(
            format_args!("--dest {}: cannot create", fetch_opts.dest.display()),
            &e,
        )
    })?;
    fetch::clean_stale(&fetch_opts.dest);
    let _guard = lock_watch(&places.lock).await?;
    // Leftovers of a lock-file write that a killed run never renamed.
    fetch::clean_stale(
        places
            .history
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    );
    let mut run = Run {
        http,
        watch,
        checker: checker.as_ref(),
        sigstore: sigstore_checker.as_ref(),
        version: &release.version,
        opts: fetch_opts,
        history: History::load_file(places.history.clone())?,
        sums: SumsCache::new(),
        notices: Vec::new(),
        warnings: Vec::new(),
    };
    let mut outcome = Ok(());
    for (i, f) in files.iter().enumerate() {
        report.files[i].fetched = Some(Fetched::default());
        outcome = fetch_file(&mut run, f, &mut report.files[i]).await;
        if outcome.is_err() {
            break;
        }
    }
    report.notices.append(&mut run.notices);
    report.warnings.append(&mut run.warnings);
    outcome
}

/// `check/fetch --refresh-keys`: learn key updates before judging anything.
async fn refresh_first(
    http: &Http,
    watch: &Watch,
    report: &mut ProjectReport,
) -> Result<(), Failure> {
    let refreshed = crate::refresh::refresh(http, watch).await?;
    report.warnings.extend(refreshed.warnings.iter().cloned());
    report.warnings.extend(
        refreshed
            .source_errors
            .iter()
            .map(|e| format!("key refresh: {e}")),
    );
    for c in &refreshed.changes {
        report.notices.push(format!(
            "key refresh updated {} in {}",
            c.certificate, refreshed.keyring
        ));
    }
    if let Some(conflict) = refreshed.conflicts.first() {
        return Err(error::verification(format!("key refresh: {conflict}")).hint(
            "a key directory answered with a key that is not pinned; find out why before trusting it",
        ));
    }
    Ok(())
}

/// One `fetch` of one release: what every file needs, in one value.
struct Run<'r> {
    http: &'r Http,
    watch: &'r Watch,
    /// The OpenPGP pins, with `[keys]`.
    checker: Option<&'r Checker<'r>>,
    /// The Sigstore trust root and pins, with `[sigstore]`.
    sigstore: Option<&'r sigstore::Checker<'r>>,
    version: &'r str,
    opts: &'r FetchOptions,
    history: History,
    sums: SumsCache,
    notices: Vec<String>,
    warnings: Vec<String>,
}

async fn fetch_file(
    run: &mut Run<'_>,
    file: &IndexFile,
    out: &mut FileReport,
) -> Result<(), Failure> {
    let filename = fetch::safe_filename(&file.filename)?;
    let dest = run.opts.dest.join(filename);
    let (checker, sigstore_checker) = (run.checker, run.sigstore);
    let evidence = match checker {
        Some(checker) => Some(evidence_for(run, checker, file, filename, out).await?),
        None => None,
    };
    let bundle = match sigstore_checker {
        Some(_) => Some(sigstore_evidence(run, file, out).await?),
        None => None,
    };
    // Every proof the watch file asks for; all must pass. With `[signature] decompress`, the
    // OpenPGP proof reads the decompressed content (`content`); the others read the bytes as
    // downloaded (`raw`).
    let mut content = None;
    let mut raw = Vec::new();
    if let (Some(evidence), Some(checker)) = (&evidence, checker) {
        let proof = match evidence {
            // The file's SHA-256 (history, index digest) comes from one proof: the Sigstore
            // proof hashes with SHA-256 anyway, so with one the signature need not as well. A
            // content proof keeps its own: it is the decompressed content's.
            Evidence::Detached { signature, .. } => Proof::Detached {
                signature,
                checker,
                sha256: run.watch.decompress || bundle.is_none(),
            },
            Evidence::Line {
                sums_url,
                algo,
                expected,
            } => Proof::ChecksumLine {
                algo: *algo,
                expected,
                verdict: &run.sums[sums_url].verdict,
            },
        };
        if run.watch.decompress {
            content = Some(proof);
        } else {
            raw.push(proof);
        }
    }
    if let (Some(bundle), Some(checker)) = (&bundle, sigstore_checker) {
        raw.push(Proof::Sigstore {
            proof: &bundle.proof,
            checker,
            name: filename,
            version: Some(run.version),
        });
    }
    let decompress_switch = format!(
        "[signature] decompress = true in {}",
        run.watch.path.display()
    );

    // A file already at the destination is proven again, never trusted because it exists.
    let mut existing = None;
    if dest.is_file() {
        let open = || {
            std::fs::File::open(&dest)
                .map_err(|e| error::io(format_args!("{}: cannot read", dest.display()), &e))
        };
        // A file there that does not decompress is not trusted, just downloaded again.
        let mut proven = match content {
            Some(proof) => proof.check_decompressed(open()?).ok().into_iter().collect(),
            None => Vec::new(),
        };
        proven.extend(
            Provings::check_reader(&raw, open()?)
                .map_err(|e| error::io(format_args!("{}: cannot read", dest.display()), &e))?,
        );
        let index_ok = sha256_of(&proven)
            .is_some_and(|got| file.sha256.as_deref().is_none_or(|want| want == got));
        if index_ok
            && proven.len() == raw.len() + usize::from(content.is_some())
            && proven.iter().all(Proven::is_trusted)
        {
            existing = Some(proven);
        } else {
            run.notices.push(format!(
                "{}: the file already there does not verify; downloading it again",
                dest.display()
            ));
        }
    }
    let (proven, tmp) = match existing {
        Some(proven) => (proven, None),
        None => {
            // The bytes go through the raw proofs (and a SHA-256 for the index's digest) as
            // they land; a content proof then reads the temporary file back through the
            // decoder. Either way the file stays in the temporary file until judged.
            let mut provings = Provings::start(&raw);
            // Every raw proof hashes SHA-256 already; only a content proof alone needs its own.
            let mut sha256 = content.is_some().then(|| Hasher::new(Algo::Sha256));
            let got = match sha256.as_mut() {
                Some(sha256) => {
                    let mut both = Tee(&mut provings, sha256);
                    fetch::download(run.http, &file.url, &run.opts.dest, file.size, &mut both)
                        .await?
                }
                None => {
                    fetch::download(
                        run.http,
                        &file.url,
                        &run.opts.dest,
                        file.size,
                        &mut provings,
                    )
                    .await?
                }
            };
            let raw_proven = provings.finish();
            let file_sha256 = match &sha256 {
                Some(sha256) => sha256.hex(),
                None => sha256_of(&raw_proven)
                    .expect("fetch's proofs hash with SHA-256")
                    .to_string(),
            };
            if let Some(want) = &file.sha256
                && *want != file_sha256
            {
                return Err(fetch::digest_mismatch(&file.url, want, &file_sha256));
            }
            let mut proven = Vec::new();
            // Decompressing can take long (a hostile compression bomb, longer still): only
            // when every proof over the bytes as downloaded has passed. Otherwise the
            // judgement below refuses the file on those.
            if let Some(proof) = content
                && raw_proven.iter().all(Proven::is_trusted)
            {
                let reader = got.tmp.reopen().map_err(|e| {
                    error::io(
                        format_args!("{}: cannot read", got.tmp.path().display()),
                        &e,
                    )
                })?;
                proven.push(
                    proof
                        .check_decompressed(reader)
                        .map_err(|e| error::decompression(&file.url, &decompress_switch, e))?,
                );
            }
            proven.extend(raw_proven);
            (proven, Some(got.tmp))
        }
    };
    let mut signer = None;
    let mut publisher = None;
    for p in &proven {
        match &p.judgement {
            Judgement::OpenPgp { verdict, .. } => {
                let evidence = evidence
                    .as_ref()
                    .expect("an OpenPGP proof has its evidence");
                let judged = judge(evidence, p, &file.url, filename, &run.watch.path, out)
                    .map_err(|failure| {
                        // A bad signature over a compressed file: upstream may sign the
                        // uncompressed tar.
                        let on_disk = tmp.as_ref().map_or(dest.as_path(), |t| t.path());
                        let hint = (!run.watch.decompress)
                            .then(|| decompress::format_of(on_disk))
                            .flatten()
                            .and_then(|format| {
                                verdict.decompress_hint(
                                    filename,
                                    format,
                                    &format!(
                                        "add `decompress = true` under [signature] in {}",
                                        run.watch.path.display()
                                    ),
                                )
                            });
                        match hint {
                            Some(hint) if failure.hint.is_none() => failure.hint(hint),
                            _ => failure,
                        }
                    })?;
                signer = Some(judged);
                if let Some(fetched) = out.fetched.as_mut() {
                    fetched.decompressed = p.decompressed.map(decompress::Format::name);
                }
            }
            Judgement::Sigstore(verdict) => {
                let bundle = bundle.as_ref().expect("a Sigstore proof has its evidence");
                publisher = Some(publisher_of(verdict, &bundle.url, filename, out)?);
            }
        }
    }
    let sha256 = sha256_of(&proven)
        .expect("a watch file pins [keys] or [sigstore], and fetch's proofs hash with SHA-256")
        .to_string();
    out.sha256 = Some(sha256.clone());
    if let Some(accepted) = proven.iter().find_map(|p| p.openpgp()?.accepted.as_ref()) {
        run.warnings
            .push(format!("{filename}: {}", accepted.warning()));
    }
    let mut beside = Vec::new();
    if let Some(Evidence::Detached {
        signature_url,
        signature,
    }) = &evidence
    {
        beside.push(Beside {
            path: run.opts.dest.join(format!(
                "{filename}{}",
                signature_extension(signature_url, signature)
            )),
            bytes: signature,
            proof: ProofFile::Signature,
        });
    }
    if let Some(bundle) = &bundle {
        beside.push(Beside {
            path: run.opts.dest.join(format!(
                "{filename}{}",
                sigstore_extension(&bundle.proof.kind, &bundle.url)
            )),
            bytes: &bundle.bytes,
            proof: ProofFile::Sigstore,
        });
    }
    settle(
        run,
        Settled {
            filename,
            sha256,
            signer: signer.as_ref(),
            publisher: publisher.as_ref(),
        },
        &dest,
        tmp,
        &beside,
        out,
    )
}

/// Feeds one download to two consumers.
struct Tee<'a, A, B>(&'a mut A, &'a mut B);

impl<A: Consume, B: Consume> Consume for Tee<'_, A, B> {
    fn update(&mut self, chunk: &[u8]) {
        self.0.update(chunk);
        self.1.update(chunk);
    }

    fn reset(&mut self) {
        self.0.reset();
        self.1.reset();
    }
}

/// The file's sha256, as the proofs computed it (every proof here is started with it).
fn sha256_of(proven: &[Proven]) -> Option<&str> {
    proven.iter().find_map(|p| p.sha256.as_deref())
}

fn describe_source(src: &Source) -> String {
    match src {
        Source::Pypi { project, index, .. } => {
            let index = index.clone().unwrap_or_else(source::pypi::default_index);
            source::pypi::project_url(&index, project).unwrap_or(index)
        }
        Source::Url { url, .. } => url.clone(),
        Source::Forge {
            kind, project, api, ..
        } => source::forge::releases_url(*kind, project, api.as_deref()),
    }
}

/// Holds an exclusive lock on the watch file while its history is read and written, so two
/// `fetch` processes on the same project take turns.
async fn lock_watch(path: &Path) -> Result<std::fs::File, Failure> {
    let file = std::fs::File::open(path)
        .map_err(|e| config(format!("watch file {}: cannot open: {e}", path.display())))?;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(error::io(
                    format_args!("watch file {}: cannot lock", path.display()),
                    &e,
                ));
            }
        }
    }
}
