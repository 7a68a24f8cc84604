//! `sigwatch accept`: a narrow, recorded exception for one exact file.
//!
//! The file is judged by the watch file's pins exactly as `verify --watch` judges it. It may
//! be accepted only when a signature by a pinned key is cryptographically good and refused
//! solely for a waivable rule ([`Rule`]); the proof of that is the same checker run again with
//! the would-be exception in force. The exception is written into the watch file as an
//! `[[accept]]` table (comments and layout kept), so `verify --watch` and `fetch` accept
//! exactly those bytes by that signer from then on.

use std::path::Path;

use super::Outcome;
use super::verify::{default_signature, prove, read_signature};
use crate::cli::AcceptArgs;
use crate::error::{Failure, VerifyError, config};
use crate::exit::Exit;
use crate::report::Printer;
use crate::verify::{Checker, Exception, Keyring, Proof, Rule, Status};
use crate::watch::{Source, Watch};

/// Runs `accept`.
pub fn run(printer: &Printer, args: &AcceptArgs) -> Outcome {
    if args.reason.trim().is_empty() {
        return Err(config("--reason must say why the exception is safe")
            .hint("e.g. --reason \"SHA-1 signature; bytes match Debian's orig tarball\""));
    }
    let watch = Watch::load(&args.watch)?;
    let keys = watch.openpgp()?;
    let keyring = Keyring::load(&keys.keyring)?;
    let sig_path = match &args.signature {
        Some(p) => p.clone(),
        None => default_signature(&args.file)?,
    };
    let signature = read_signature(&sig_path)?;
    let judge = |exceptions: Vec<Exception>| -> Result<Judged, Failure> {
        let checker =
            Checker::new(&keyring, &keys.pins, keys.threshold)?.with_exceptions(exceptions);
        let decompress = watch
            .decompress
            .then(|| format!("[signature] decompress = true in {}", args.watch.display()));
        let proven = prove(
            Proof::Detached {
                signature: &signature,
                checker: &checker,
                sha256: true,
            },
            &args.file,
            decompress.as_deref(),
        )?;
        Ok(Judged {
            verdict: proven
                .openpgp()
                .cloned()
                .expect("a detached signature gives an OpenPGP verdict"),
            sha256: proven
                .sha256
                .expect("a detached proof started with sha256 gives it"),
            content_sha256: proven.content_sha256,
        })
    };
    let file = args.file.display().to_string();
    let plain = judge(Vec::new())?;
    // The exception names the bytes the signature covers: with `decompress`, the content.
    let signed_sha256 = plain
        .content_sha256
        .clone()
        .unwrap_or_else(|| plain.sha256.clone());
    if plain.verdict.is_verified() {
        printer.note(&format!(
            "{file} verifies without an exception ({}); nothing recorded",
            plain.verdict.summary()
        ));
        return Ok(Exit::Ok);
    }
    if let Some(existing) = watch
        .accept
        .iter()
        .find(|a| a.exception.sha256 == signed_sha256)
    {
        let why = format!(
            "an exception for these bytes is recorded already ({} by {}), yet they do not verify: {}",
            existing.exception.rule,
            existing.exception.signer.to_hex(),
            plain.verdict.summary()
        );
        return Err(VerifyError::rejected(file, why)
            .hint(
                "the signature or the keyring changed since; look at `sigwatch verify --watch` -v",
            )
            .into());
    }
    // Each pinned signature refused for a waivable rule is a candidate; the checker decides.
    let mut candidates: Vec<(Rule, String)> = Vec::new();
    for s in &plain.verdict.signatures {
        let rule = Rule::ALL.into_iter().find(|r| r.status() == s.status);
        if let (Some(rule), true, Some(cert)) = (rule, s.pinned, &s.certificate)
            && !candidates.iter().any(|(r, c)| *r == rule && c == cert)
        {
            candidates.push((rule, cert.clone()));
        }
    }
    for (rule, cert) in &candidates {
        let exception = Exception {
            sha256: signed_sha256.clone(),
            signer: crate::verify::parse_pin(cert)
                .expect("certificate fingerprints we formatted parse")
                .0,
            rule: *rule,
            reason: args.reason.trim().to_string(),
        };
        let proven = judge(vec![exception.clone()])?;
        if proven.verdict.is_verified() {
            let version = args
                .version
                .clone()
                .or_else(|| version_of(&watch, &args.file));
            record(&args.watch, &args.file, version.as_deref(), &exception)?;
            printer.result(&format!(
                "accepted: {file}: {rule} waived for pinned key {cert}, sha256 {}; recorded in {}",
                signed_sha256,
                args.watch.display()
            ));
            printer.note(
                "only these exact bytes are accepted; any other file, or the same name with other bytes, is judged as before",
            );
            return Ok(Exit::Ok);
        }
    }
    Err(refusal(&file, &plain, &candidates))
}

/// A file's sha256 and the OpenPGP verdict on its signature.
struct Judged {
    sha256: String,
    /// With `decompress`: the content's sha256, what the signature covers.
    content_sha256: Option<String>,
    verdict: crate::verify::Verdict,
}

/// Why nothing can be accepted.
fn refusal(file: &str, plain: &Judged, candidates: &[(Rule, String)]) -> Failure {
    let why = if plain.verdict.signatures.is_empty() {
        plain.verdict.summary()
    } else if candidates.is_empty() {
        let statuses: Vec<String> = plain
            .verdict
            .signatures
            .iter()
            .map(|s| {
                let what = match s.status {
                    Status::BadSignature => "a bad signature is never accepted",
                    Status::MissingKey => "its key is not in the keyring",
                    Status::Unpinned => "its key is not pinned",
                    Status::Revoked => "a revoked key is never accepted",
                    Status::WeakKey => "a weak key is never accepted",
                    Status::WeakHash | Status::KeyExpired => "its key is not pinned",
                    _ => "not a waivable rule",
                };
                format!("{} ({what})", s.reason)
            })
            .collect();
        statuses.join("; ")
    } else {
        format!(
            "{}; waiving {} still leaves another rule broken",
            plain.verdict.summary(),
            candidates
                .iter()
                .map(|(r, _)| r.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        )
    };
    VerifyError::rejected(format!("cannot accept {file}"), why)
        .hint(
            "only a good signature by a pinned key that breaks just `weak_hash` (SHA-1 data signature) or `key_expired` (key expired before signing) can be accepted",
        )
        .into()
}

/// The version in FILE's name, read with the watch file's source pattern.
fn version_of(watch: &Watch, file: &Path) -> Option<String> {
    let name = file.file_name()?.to_str()?;
    match &watch.source {
        Source::Pypi { project, .. } => {
            crate::source::pypi::parse_filename(name, project).map(|(_, v)| v.to_string())
        }
        Source::Url { pattern, .. }
        | Source::Forge {
            pattern: Some(pattern),
            ..
        } => {
            let re = crate::source::anchored(pattern).ok()?;
            let caps = re.captures(name)?;
            caps.name("version")
                .or_else(|| caps.get(1))
                .map(|m| m.as_str().to_string())
        }
        Source::Forge { .. } => None,
    }
}

/// Appends the `[[accept]]` table to the watch file, keeping its comments and layout.
fn record(
    watch_path: &Path,
    file: &Path,
    version: Option<&str>,
    ex: &Exception,
) -> Result<(), Failure> {
    let text = std::fs::read_to_string(watch_path).map_err(|e| {
        config(format!(
            "watch file {}: cannot read: {e}",
            watch_path.display()
        ))
    })?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| config(format!("watch file {}: {e}", watch_path.display())))?;
    let mut table = toml_edit::Table::new();
    if let Some(v) = version {
        table["version"] = toml_edit::value(v);
    }
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    table["file"] = toml_edit::value(name);
    table["sha256"] = toml_edit::value(&ex.sha256);
    table["rule"] = toml_edit::value(ex.rule.as_str());
    table["signer"] = toml_edit::value(ex.signer.to_hex());
    table["reason"] = toml_edit::value(&ex.reason);
    table["date"] = toml_edit::value(
        crate::verify::rfc3339(std::time::SystemTime::now())
            .get(..10)
            .unwrap_or_default(),
    );
    let entries = doc
        .entry("accept")
        .or_insert_with(|| toml_edit::Item::ArrayOfTables(toml_edit::ArrayOfTables::new()));
    let Some(entries) = entries.as_array_of_tables_mut() else {
        return Err(config(format!(
            "watch file {}: accept: must be an array of tables ([[accept]])",
            watch_path.display()
        )));
    };
    entries.push(table);
    let new_text = doc.to_string();
    // What is written must load: the same parser `verify --watch` and `fetch` use.
    Watch::parse(&new_text, watch_path)?;
    let dir = watch_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    crate::fetch::place_bytes(dir, watch_path, new_text.as_bytes())?;
    Ok(())
}
