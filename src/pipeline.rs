//! One project through the stages: watch → source → fetch → verify → history → report.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::error::{self, Failure, Kind, config};
use crate::fetch;
use crate::history::{Entry, History};
use crate::http::Http;
use crate::source::{self, IndexFile, version};
use crate::verify::{Checker, Keyring, SignatureReport, Verdict, checksums, rfc3339};
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

/// The `error` member of a project report.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorReport {
    /// One of the documented kinds (`verification`, `config`, `network`, …).
    pub kind: Kind,
    /// One line, naming the file, field or URL.
    pub message: String,
    /// What to do about it, when known.
    pub hint: Option<String>,
}

impl From<Failure> for ErrorReport {
    fn from(f: Failure) -> Self {
        ErrorReport {
            kind: f.kind,
            message: f.message,
            hint: f.hint,
        }
    }
}

/// What `fetch` adds to a file's report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Fetched {
    /// "verified" or "rejected"; null when verification was not reached.
    pub verdict: Option<&'static str>,
    /// Primary fingerprint of the pinned certificate that signed.
    pub signer: Option<String>,
    /// Where the file was placed.
    pub path: Option<String>,
    /// Where its signature was placed.
    pub signature_path: Option<String>,
    /// Whether an existing file at the destination was verified again instead of downloaded.
    pub reused: bool,
    /// Each signature's verdict.
    pub signatures: Vec<SignatureReport>,
}

/// One file of the chosen release.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The file name.
    pub filename: String,
    /// Its URL.
    pub url: String,
    /// The index's sha256 (after `fetch`: the verified file's), or null.
    pub sha256: Option<String>,
    /// The signature URL (`check`: the first template; `fetch`: the one that answered).
    pub signature_url: Option<String>,
    /// Set by `fetch`.
    #[serde(flatten)]
    pub fetched: Option<Fetched>,
}

/// One watch file's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectReport {
    /// Project name.
    pub name: String,
    /// The watch file's path.
    pub watch: String,
    /// The version packaged now, from the watch file.
    pub current: Option<String>,
    /// The newest release (not yanked, not a pre-release unless the watch file asks).
    pub newest: Option<String>,
    /// Whether `newest` is newer than `current`; null without `current`.
    pub update_available: Option<bool>,
    /// The version whose files are listed (`newest`, or `fetch --version`).
    pub version: Option<String>,
    /// The release's matching files.
    pub files: Vec<FileReport>,
    /// Notices: key rotation, reused files, allowed downgrades.
    pub notices: Vec<String>,
    /// Warnings: expiring keys, SHA-1 bindings, pins missing from the keyring.
    pub warnings: Vec<String>,
    /// What went wrong, or null.
    pub error: Option<ErrorReport>,
}

impl ProjectReport {
    /// The report of a project that failed before it could say more.
    pub fn failed(path: &Path, failure: Failure) -> ProjectReport {
        let mut report = ProjectReport::new(path);
        report.error = Some(failure.into());
        report
    }

    fn new(path: &Path) -> ProjectReport {
        ProjectReport {
            name: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            watch: path.display().to_string(),
            current: None,
            newest: None,
            update_available: None,
            version: None,
            files: Vec::new(),
            notices: Vec::new(),
            warnings: Vec::new(),
            error: None,
        }
    }

    /// The exit code this project contributes.
    pub fn exit_code(&self, fail_on_update: bool) -> u8 {
        match &self.error {
            Some(e) => e.kind.exit_code(),
            None if fail_on_update && self.update_available == Some(true) => 4,
            None => 0,
        }
    }
}

/// Runs one watch file through check or fetch. Never fails: the report carries the error.
pub async fn run_project(http: &Http, path: &Path, opts: &Options) -> ProjectReport {
    let mut report = ProjectReport::new(path);
    if let Err(failure) = project(http, path, opts, &mut report).await {
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
    report.name = watch.name.clone();
    report.current = watch.current.clone();
    if opts.refresh_keys && !watch.refresh.is_empty() {
        let refreshed = crate::refresh::refresh(http, &watch).await?;
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
            return Err(error::verification(format!("key refresh: {conflict}"))
                .hint("a key directory answered with a key that is not pinned; find out why before trusting it"));
        }
    }
    let keyring = Keyring::load(&watch.keyring).map_err(to_failure)?;
    let checker = Checker::new(&keyring, &watch.pins, watch.threshold)?;
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
            Some(version::compare_strs(&newest.version, current).is_gt())
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
        config(format!(
            "--dest {}: cannot create: {e}",
            fetch_opts.dest.display()
        ))
    })?;
    fetch::clean_stale(&fetch_opts.dest);
    let _guard = lock_watch(path).await?;
    // Leftovers of a lock-file write that a killed run never renamed.
    fetch::clean_stale(
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    );
    let mut history = History::load(path)?;
    let mut sums_cache = SumsCache::new();
    for (i, f) in files.iter().enumerate() {
        report.files[i].fetched = Some(Fetched::default());
        fetch_file(
            http,
            &watch,
            &checker,
            &release.version,
            f,
            fetch_opts,
            &mut history,
            &mut report.files[i],
            &mut report.notices,
            &mut sums_cache,
        )
        .await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn fetch_file(
    http: &Http,
    watch: &Watch,
    checker: &Checker<'_>,
    version: &str,
    file: &IndexFile,
    opts: &FetchOptions,
    history: &mut History,
    out: &mut FileReport,
    notices: &mut Vec<String>,
    sums_cache: &mut SumsCache,
) -> Result<(), Failure> {
    let filename = fetch::safe_filename(&file.filename)?;
    if watch.checksums.is_some() {
        return fetch_through_checksums(
            http, watch, checker, version, file, opts, history, out, notices, sums_cache,
        )
        .await;
    }
    let (sig_url, signature) = fetch_signature(http, watch, version, file).await?;
    out.signature_url = Some(sig_url.clone());
    let dest = opts.dest.join(filename);
    let sig_dest = opts.dest.join(format!(
        "{filename}{}",
        signature_extension(&sig_url, &signature)
    ));

    // A file already at the destination is verified again, never trusted because it exists.
    let mut existing = None;
    if dest.is_file() {
        let (sha, verdict) = fetch::verify_existing(checker, &signature, &dest)?;
        let digest_ok = file.sha256.as_ref().is_none_or(|want| *want == sha);
        if digest_ok && verdict.is_verified() {
            existing = Some((sha, verdict));
        } else {
            notices.push(format!(
                "{}: the file already there does not verify; downloading it again",
                dest.display()
            ));
        }
    }
    let (sha256, verdict, tmp) = match existing {
        Some((sha, verdict)) => (sha, verdict, None),
        None => {
            let got = fetch::download_verified(
                http, checker, &signature, &file.url, &opts.dest, file.size,
            )
            .await?;
            if let Some(want) = &file.sha256
                && *want != got.sha256
            {
                return Err(fetch::digest_mismatch(&file.url, want, &got.sha256));
            }
            (got.sha256, got.verdict, Some(got.tmp))
        }
    };
    record_verdict(out, &verdict);
    out.sha256 = Some(sha256.clone());
    let signer = signer_of(&verdict, &file.filename)?;
    let signature_file = (sig_dest.as_path(), signature.as_slice());
    settle(
        history,
        version,
        filename,
        sha256,
        &signer,
        opts,
        &dest,
        tmp,
        Some(signature_file),
        out,
        notices,
    )
}

/// Verified checksum files of one project, by URL: (signature URL, verdict, sums).
type SumsCache = std::collections::HashMap<String, (String, Verdict, checksums::Sums)>;

/// Fetches the checksum file and its signature (detached `.asc`/`.sig` beside it, or
/// clearsigned) and verifies it with the same checker as any signature.
async fn verified_checksums<'c>(
    http: &Http,
    checker: &Checker<'_>,
    url: &str,
    cache: &'c mut SumsCache,
) -> Result<&'c (String, Verdict, checksums::Sums), Failure> {
    if !cache.contains_key(url) {
        let page = http
            .get_optional(url)
            .await?
            .ok_or_else(|| error::source(format!("{url}: checksum file not found (HTTP 404)")))?;
        let entry = if checksums::split_cleartext(&page.body).is_some() {
            let (verdict, sums) = checksums::verify(checker, &page.body, None);
            (url.to_string(), verdict, sums)
        } else {
            let mut tried = Vec::new();
            let mut found = None;
            for ext in [".asc", ".sig"] {
                let sig_url = format!("{url}{ext}");
                if let Some(sig) = http.get_optional(&sig_url).await? {
                    found = Some((sig_url, sig.body));
                    break;
                }
                tried.push(sig_url);
            }
            let (sig_url, sig) = found.ok_or_else(|| {
                Failure::new(
                    Kind::MissingSignature,
                    format!(
                        "{url}: the checksum file is neither clearsigned nor signed; tried {}",
                        tried.join(", ")
                    ),
                )
            })?;
            let (verdict, sums) = checksums::verify(checker, &page.body, Some(&sig));
            (sig_url, verdict, sums)
        };
        cache.insert(url.to_string(), entry);
    }
    Ok(cache.get(url).expect("inserted above"))
}

#[allow(clippy::too_many_arguments)]
async fn fetch_through_checksums(
    http: &Http,
    watch: &Watch,
    checker: &Checker<'_>,
    version: &str,
    file: &IndexFile,
    opts: &FetchOptions,
    history: &mut History,
    out: &mut FileReport,
    notices: &mut Vec<String>,
    cache: &mut SumsCache,
) -> Result<(), Failure> {
    let filename = fetch::safe_filename(&file.filename)?;
    let template = watch.checksums.as_deref().expect("checksum mode");
    let sums_url = expand_template(template, &file.url, &file.filename, version, &watch.name);
    let (sig_url, verdict, sums) = verified_checksums(http, checker, &sums_url, cache).await?;
    out.signature_url = Some(sig_url.clone());
    record_verdict(out, verdict);
    let signer = signer_of(verdict, &sums_url)?;
    let Some((algo, want)) = sums.get(filename).cloned() else {
        return Err(error::verification(format!(
            "{sums_url} (signed by pinned key {}) has no line for {filename}",
            signer.cert.to_hex()
        )));
    };
    let dest = opts.dest.join(filename);
    let digest_of = |path: &std::path::Path| -> Result<String, Failure> {
        let f = std::fs::File::open(path)
            .map_err(|e| config(format!("{}: cannot read: {e}", path.display())))?;
        checksums::digest_reader(f, algo)
            .map_err(|e| config(format!("{}: cannot read: {e}", path.display())))
    };
    let mismatch = |got: &str| {
        Failure::new(
            Kind::Digest,
            format!(
                "{}: {} {got} does not match the signed line in {sums_url} ({want})",
                file.url,
                algo.name()
            ),
        )
    };
    let reused = dest.is_file() && digest_of(&dest)? == want;
    let tmp = if reused {
        None
    } else {
        // The artifact carries no signature of its own: its line in the signed file is its proof.
        let got =
            fetch::download_verified(http, checker, b"", &file.url, &opts.dest, file.size).await?;
        if let Some(index) = &file.sha256
            && *index != got.sha256
        {
            return Err(fetch::digest_mismatch(&file.url, index, &got.sha256));
        }
        let digest = match algo {
            checksums::Algo::Sha256 => got.sha256.clone(),
            checksums::Algo::Sha512 => digest_of(got.tmp.path())?,
        };
        if digest != want {
            return Err(mismatch(&digest));
        }
        Some(got.tmp)
    };
    let sha256 = match (algo, &tmp) {
        (checksums::Algo::Sha256, _) => want.clone(),
        (_, Some(t)) => checksums::digest_reader(
            std::fs::File::open(t.path()).map_err(|e| config(format!("{e}")))?,
            checksums::Algo::Sha256,
        )
        .map_err(|e| config(format!("{e}")))?,
        (_, None) => checksums::digest_reader(
            std::fs::File::open(&dest).map_err(|e| config(format!("{e}")))?,
            checksums::Algo::Sha256,
        )
        .map_err(|e| config(format!("{e}")))?,
    };
    out.sha256 = Some(sha256.clone());
    settle(
        history, version, filename, sha256, &signer, opts, &dest, tmp, None, out, notices,
    )
}

/// The pinned signer of a verdict, or the rejection naming `what` was rejected.
fn signer_of(verdict: &Verdict, what: &str) -> Result<crate::verify::Signer, Failure> {
    verdict.signers().first().cloned().ok_or_else(|| {
        let failure = error::verification(format!("{what}: {}", verdict.summary()));
        match verdict.hint() {
            Some(hint) => failure.hint(hint),
            None => failure,
        }
    })
}

/// The last steps for a verified file: the history's judgement (rollback, re-upload,
/// replay, rotation notice), then the rename into place (with the signature file, if any),
/// then the record. `tmp` is `None` when the file already there was verified again.
#[allow(clippy::too_many_arguments)]
fn settle(
    history: &mut History,
    version: &str,
    filename: &str,
    sha256: String,
    signer: &crate::verify::Signer,
    opts: &FetchOptions,
    dest: &Path,
    tmp: Option<tempfile::NamedTempFile>,
    signature_file: Option<(&Path, &[u8])>,
    out: &mut FileReport,
    notices: &mut Vec<String>,
) -> Result<(), Failure> {
    notices.extend(history.check(
        version,
        filename,
        &sha256,
        &signer.cert.to_hex(),
        opts.allow_downgrade,
    )?);
    // The signature goes into its temporary file first, so a failure to write it leaves
    // nothing placed.
    let signature_tmp = match signature_file {
        Some((sig_dest, bytes)) => {
            let mut t = fetch::temp_in(&opts.dest)?;
            std::io::Write::write_all(&mut t, bytes)
                .map_err(|e| config(format!("{}: cannot write: {e}", sig_dest.display())))?;
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
        None => notices.push(format!(
            "{}: already present; verified again",
            dest.display()
        )),
    }
    fetched.path = Some(dest.display().to_string());
    if let Some((t, sig_dest)) = signature_tmp {
        fetch::place(t, sig_dest)?;
        fetched.signature_path = Some(sig_dest.display().to_string());
    }
    history.record(Entry {
        version: version.to_string(),
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
    fetched.verdict = Some(if verdict.is_verified() {
        "verified"
    } else {
        "rejected"
    });
    fetched.signer = verdict.signers().first().map(|s| s.cert.to_hex());
    fetched.signatures = verdict.signatures.clone();
}

/// Tries each signature template in order; a missing signature is a rejection naming every URL.
async fn fetch_signature(
    http: &Http,
    watch: &Watch,
    version: &str,
    file: &IndexFile,
) -> Result<(String, Vec<u8>), Failure> {
    let mut tried = Vec::new();
    for template in &watch.signature_templates {
        let url = expand_template(template, &file.url, &file.filename, version, &watch.name);
        if let Some(page) = http.get_optional(&url).await? {
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

fn to_failure(err: anyhow::Error) -> Failure {
    let kind = error::kind_of(&err);
    let hint = error::hint_of(&err).map(str::to_owned);
    let mut f = Failure::new(kind, error::one_line(&err));
    f.hint = hint;
    f
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
                return Err(config(format!(
                    "watch file {}: cannot lock: {e}",
                    path.display()
                )));
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
