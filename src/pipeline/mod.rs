//! One project through the stages: watch → source → fetch → proof → history → report.
//!
//! [`run_project`] loads the watch file, discovers releases, chooses one and, for `fetch`,
//! hands each file to [`fetch_file`]: the file's [`Proof`] (a detached signature, or its line
//! in a signed checksum file) is obtained first, the bytes stream into a temporary file
//! through the proof, and only a trusted file is judged by the history and moved into place.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::base::decompress;
use crate::base::digest::{Algo, Hasher};
use crate::error::{self, Failure, Kind, config};
use crate::fetch;
use crate::history::{Entry, History};
use crate::net::http::Http;
use crate::report::model::{Fetched, FileReport, ProjectReport, VerdictWord};
use crate::source::{self, IndexFile};
use crate::verify::{Checker, Keyring, Proof, Proven, Signer, Verdict, checksums, rfc3339};
use crate::watch::{Source, Watch, expand_template};

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
    if opts.refresh_keys && !watch.refresh.is_empty() {
        refresh_first(http, watch, report).await?;
    }
    let keyring = Keyring::load(&watch.keyring).map_err(Failure::from)?;
    let checker = Checker::named(&keyring, &watch.pins, watch.threshold, &|i| {
        format!("keys.fingerprints[{i}]")
    })?
    .with_exceptions(watch.exceptions());
    report.warnings.extend(checker.warnings.iter().cloned());

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
            signature_url: watch
                .checksums
                .as_ref()
                .or(watch.signature_templates.first())
                .map(|t| expand_template(t, &f.url, &f.filename, &release.version, &watch.name)),
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
        checker: &checker,
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
    checker: &'r Checker<'r>,
    version: &'r str,
    opts: &'r FetchOptions,
    history: History,
    sums: SumsCache,
    notices: Vec<String>,
    warnings: Vec<String>,
}

/// Verified checksum files of one release, by URL.
type SumsCache = std::collections::HashMap<String, VerifiedSums>;

/// A checksum file and the verdict on its signature.
struct VerifiedSums {
    signature_url: String,
    verdict: Verdict,
    sums: checksums::Sums,
}

/// What a file's proof is made of, fetched before the file itself.
enum Evidence {
    /// A detached signature, from `signature_url`.
    Detached {
        signature_url: String,
        signature: Vec<u8>,
    },
    /// The file's line in the checksum file at `sums_url`.
    Line {
        sums_url: String,
        algo: checksums::Algo,
        expected: String,
    },
}

async fn fetch_file(
    run: &mut Run<'_>,
    file: &IndexFile,
    out: &mut FileReport,
) -> Result<(), Failure> {
    let filename = fetch::safe_filename(&file.filename)?;
    let dest = run.opts.dest.join(filename);
    let evidence = evidence_for(run, file, filename, out).await?;
    let proof = match &evidence {
        Evidence::Detached { signature, .. } => Proof::Detached(signature),
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

    // A file already at the destination is proven again, never trusted because it exists.
    let mut existing = None;
    if dest.is_file() {
        let f = std::fs::File::open(&dest)
            .map_err(|e| error::io(format_args!("{}: cannot read", dest.display()), &e))?;
        // A file there that does not decompress is not trusted, just downloaded again.
        let proven = if run.watch.decompress {
            proof.check_decompressed(run.checker, f).ok()
        } else {
            Some(
                proof
                    .check_reader(run.checker, f)
                    .map_err(|e| error::io(format_args!("{}: cannot read", dest.display()), &e))?,
            )
        };
        if let Some(proven) = proven {
            let index_ok = file
                .sha256
                .as_ref()
                .is_none_or(|want| *want == proven.sha256);
            if index_ok && proven.is_trusted() {
                existing = Some(proven);
            }
        }
        if existing.is_none() {
            run.notices.push(format!(
                "{}: the file already there does not verify; downloading it again",
                dest.display()
            ));
        }
    }
    let (proven, tmp) = match existing {
        Some(proven) => (proven, None),
        None if run.watch.decompress => {
            // The signature covers the decompressed content: the download is hashed as it
            // lands (the index's digest is of the file), then read back through the decoder
            // into the proof. Either way it stays in the temporary file until judged.
            let mut sha256 = Hasher::new(Algo::Sha256);
            let got = fetch::download(run.http, &file.url, &run.opts.dest, file.size, &mut sha256)
                .await?;
            if let Some(want) = &file.sha256
                && *want != sha256.hex()
            {
                return Err(fetch::digest_mismatch(&file.url, want, &sha256.hex()));
            }
            let reader = got.tmp.reopen().map_err(|e| {
                error::io(
                    format_args!("{}: cannot read", got.tmp.path().display()),
                    &e,
                )
            })?;
            let proven = proof.check_decompressed(run.checker, reader).map_err(|e| {
                error::decompression(
                    &file.url,
                    &format!(
                        "[signature] decompress = true in {}",
                        run.watch.path.display()
                    ),
                    e,
                )
            })?;
            (proven, Some(got.tmp))
        }
        None => {
            let mut proving = proof.start(run.checker);
            let got = fetch::download(run.http, &file.url, &run.opts.dest, file.size, &mut proving)
                .await?;
            let proven = proving.finish();
            if let Some(want) = &file.sha256
                && *want != proven.sha256
            {
                return Err(fetch::digest_mismatch(&file.url, want, &proven.sha256));
            }
            (proven, Some(got.tmp))
        }
    };
    let signer = judge(
        &evidence,
        &proven,
        &file.url,
        filename,
        &run.watch.path,
        out,
    )
    .map_err(|failure| {
        // A bad signature over a compressed file: upstream may sign the uncompressed tar.
        let on_disk = tmp.as_ref().map_or(dest.as_path(), |t| t.path());
        let hint = (!run.watch.decompress)
            .then(|| decompress::format_of(on_disk))
            .flatten()
            .and_then(|format| {
                proven.verdict.decompress_hint(
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
    out.sha256 = Some(proven.sha256.clone());
    if let Some(fetched) = out.fetched.as_mut() {
        fetched.decompressed = proven.decompressed.map(decompress::Format::name);
    }
    if let Some(accepted) = &proven.verdict.accepted {
        run.warnings
            .push(format!("{filename}: {}", accepted.warning()));
    }
    let signature_file = match &evidence {
        Evidence::Detached {
            signature_url,
            signature,
        } => Some((
            run.opts.dest.join(format!(
                "{filename}{}",
                signature_extension(signature_url, signature)
            )),
            signature.as_slice(),
        )),
        Evidence::Line { .. } => None,
    };
    settle(
        run,
        filename,
        proven.sha256,
        &signer,
        &dest,
        tmp,
        signature_file.as_ref().map(|(p, b)| (p.as_path(), *b)),
        out,
    )
}

/// Fetches what the file's proof is made of: its detached signature, or the verified
/// checksum file that has its line.
async fn evidence_for(
    run: &mut Run<'_>,
    file: &IndexFile,
    filename: &str,
    out: &mut FileReport,
) -> Result<Evidence, Failure> {
    let Some(template) = run.watch.checksums.as_deref() else {
        let (signature_url, signature) = fetch_signature(run, file).await?;
        out.signature_url = Some(signature_url.clone());
        return Ok(Evidence::Detached {
            signature_url,
            signature,
        });
    };
    let sums_url = expand_template(
        template,
        &file.url,
        &file.filename,
        run.version,
        &run.watch.name,
    );
    let watch_path = run.watch.path.clone();
    let sums = verified_checksums(run, &sums_url).await?;
    out.signature_url = Some(sums.signature_url.clone());
    record_verdict(out, &sums.verdict);
    // A checksum file that does not verify ends here, before the artifact is downloaded.
    let signer = signer_of(&sums.verdict, &sums_url, &watch_path)?;
    let Some((algo, expected)) = sums.sums.get(filename).cloned() else {
        return Err(error::verification(checksums::no_line(
            &sums_url,
            &signer.cert.to_hex(),
            filename,
        )));
    };
    Ok(Evidence::Line {
        sums_url,
        algo,
        expected,
    })
}

/// The proof's judgement: the pinned signer, or the refusal.
fn judge(
    evidence: &Evidence,
    proven: &Proven,
    url: &str,
    filename: &str,
    watch: &Path,
    out: &mut FileReport,
) -> Result<Signer, Failure> {
    record_verdict(out, &proven.verdict);
    match evidence {
        Evidence::Detached { .. } => signer_of(&proven.verdict, filename, watch),
        Evidence::Line { sums_url, .. } => {
            let signer = signer_of(&proven.verdict, sums_url, watch)?;
            match &proven.line {
                Some(line) if !line.matches() => Err(Failure::new(
                    Kind::Digest,
                    checksums::line_mismatch(url, sums_url, line),
                )),
                _ => Ok(signer),
            }
        }
    }
}

/// Fetches the checksum file and its signature (detached `.asc`/`.sig` beside it, or
/// clearsigned) once per release, and verifies it with the same checker as any signature.
async fn verified_checksums<'r>(
    run: &'r mut Run<'_>,
    url: &str,
) -> Result<&'r VerifiedSums, Failure> {
    if !run.sums.contains_key(url) {
        let page =
            run.http.get_optional(url).await?.ok_or_else(|| {
                error::source(format!("{url}: checksum file not found (HTTP 404)"))
            })?;
        let entry = if checksums::split_cleartext(&page.body).is_some() {
            let (verdict, sums) = checksums::verify(run.checker, &page.body, None);
            VerifiedSums {
                signature_url: url.to_string(),
                verdict,
                sums,
            }
        } else {
            let mut tried = Vec::new();
            let mut found = None;
            for ext in [".asc", ".sig"] {
                let sig_url = format!("{url}{ext}");
                if let Some(sig) = run.http.get_optional(&sig_url).await? {
                    found = Some((sig_url, sig.body));
                    break;
                }
                tried.push(sig_url);
            }
            let (signature_url, sig) = found.ok_or_else(|| {
                Failure::new(
                    Kind::MissingSignature,
                    format!(
                        "{url}: the checksum file is neither clearsigned nor signed; tried {}",
                        tried.join(", ")
                    ),
                )
            })?;
            let (verdict, sums) = checksums::verify(run.checker, &page.body, Some(&sig));
            VerifiedSums {
                signature_url,
                verdict,
                sums,
            }
        };
        run.sums.insert(url.to_string(), entry);
    }
    Ok(&run.sums[url])
}

/// The pinned signer of a verdict, or the rejection naming `what` was rejected (checked
/// with the watch file `watch`, which the hint's commands name).
fn signer_of(verdict: &Verdict, what: &str, watch: &Path) -> Result<Signer, Failure> {
    verdict.signers().first().cloned().ok_or_else(|| {
        let failure = error::verification(format!("{what}: {}", verdict.summary()));
        match verdict.hint_for(what, Some(&watch.display().to_string())) {
            Some(hint) => failure.hint(hint),
            None => failure,
        }
    })
}

/// The last steps for a trusted file: the history's judgement (rollback, re-upload,
/// replay, rotation notice), then the rename into place (with the signature file, if any),
/// then the record. `tmp` is `None` when the file already there was proven again.
#[allow(clippy::too_many_arguments)]
fn settle(
    run: &mut Run<'_>,
    filename: &str,
    sha256: String,
    signer: &Signer,
    dest: &Path,
    tmp: Option<tempfile::NamedTempFile>,
    signature_file: Option<(&Path, &[u8])>,
    out: &mut FileReport,
) -> Result<(), Failure> {
    run.notices.extend(run.history.check(
        run.version,
        filename,
        &sha256,
        &signer.cert.to_hex(),
        run.opts.allow_downgrade,
    )?);
    // The signature goes into its temporary file first, so a failure to write it leaves
    // nothing placed.
    let signature_tmp = match signature_file {
        Some((sig_dest, bytes)) => {
            let mut t = fetch::temp_in(&run.opts.dest)?;
            std::io::Write::write_all(&mut t, bytes)
                .map_err(|e| error::io(format_args!("{}: cannot write", sig_dest.display()), &e))?;
            Some((t, sig_dest))
        }
        None => None,
    };
    let fetched = out.fetched.get_or_insert_with(Fetched::default);
    fetched.reused = tmp.is_none();
    match tmp {
        Some(tmp) => {
            fetch::place(tmp, dest)?;
        }
        None => run.notices.push(format!(
            "{}: already present; verified again",
            dest.display()
        )),
    }
    fetched.path = Some(dest.display().to_string());
    if let Some((t, sig_dest)) = signature_tmp {
        fetch::place(t, sig_dest)?;
        fetched.signature_path = Some(sig_dest.display().to_string());
    }
    run.history.record(Entry {
        version: run.version.to_string(),
        file: filename.to_string(),
        sha256,
        key: signer.key.to_hex(),
        certificate: signer.cert.to_hex(),
        signed: rfc3339(signer.created),
        recorded: rfc3339(SystemTime::now()),
    })
}

fn record_verdict(out: &mut FileReport, verdict: &Verdict) {
    let fetched = out.fetched.get_or_insert_with(Fetched::default);
    fetched.verdict = Some(VerdictWord::from(verdict));
    fetched.signer = verdict.signers().first().map(|s| s.cert.to_hex());
    fetched.signatures = verdict.signatures.clone();
    fetched.accepted_by_exception = verdict.accepted.is_some();
    fetched.exception = verdict.accepted.clone();
}

/// Tries each signature template in order; a missing signature is a rejection naming every URL.
async fn fetch_signature(run: &Run<'_>, file: &IndexFile) -> Result<(String, Vec<u8>), Failure> {
    let mut tried = Vec::new();
    for template in &run.watch.signature_templates {
        let url = expand_template(
            template,
            &file.url,
            &file.filename,
            run.version,
            &run.watch.name,
        );
        if let Some(page) = run.http.get_optional(&url).await? {
            return Ok((url, page.body));
        }
        tried.push(url);
    }
    Err(Failure::new(
        Kind::MissingSignature,
        format!("{}: no signature found; tried {}", file.filename, tried.join(", ")),
    )
    .hint("set [signature] url in the watch file to where upstream publishes its signatures (PyPI stopped serving them in 2023)"))
}

/// `.asc` or `.sig`, as served: from the URL, else from the content.
fn signature_extension(url: &str, bytes: &[u8]) -> &'static str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    if path.ends_with(".sig") || path.ends_with(".gpg") {
        ".sig"
    } else if path.ends_with(".asc") || bytes.starts_with(b"-----BEGIN") {
        ".asc"
    } else {
        ".sig"
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_extension_follows_the_url_then_the_content() {
        assert_eq!(
            signature_extension("https://e/x.tar.gz.sig", b"\x88"),
            ".sig"
        );
        assert_eq!(
            signature_extension("https://e/x.tar.gz.asc?x=1", b"\x88"),
            ".asc"
        );
        assert_eq!(
            signature_extension("https://e/sig/1.2", b"-----BEGIN PGP SIGNATURE"),
            ".asc"
        );
        assert_eq!(
            signature_extension("https://e/sig/1.2", b"\x88\x01"),
            ".sig"
        );
    }
}
