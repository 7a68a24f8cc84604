//! The OpenPGP side of one file: its detached signature, or its line in a signed checksum
//! file (verified once per release), fetched before the file; then the verdict's judgement.

use std::path::Path;

use crate::error::{self, Failure, Kind, VerifyError};
use crate::report::model::{Fetched, FileReport, VerdictWord};
use crate::source::IndexFile;
use crate::verify::{Checker, Proven, Signer, Verdict, checksums};
use crate::watch::expand_template;

use super::Run;

/// Verified checksum files of one release, by URL.
pub(super) type SumsCache = std::collections::HashMap<String, VerifiedSums>;

/// A checksum file and the verdict on its signature.
pub(super) struct VerifiedSums {
    pub(super) signature_url: String,
    pub(super) verdict: Verdict,
    pub(super) sums: checksums::Sums,
}

/// What a file's proof is made of, fetched before the file itself.
pub(super) enum Evidence {
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

/// Fetches what the file's proof is made of: its detached signature, or the verified
/// checksum file that has its line.
pub(super) async fn evidence_for(
    run: &mut Run<'_>,
    checker: &Checker<'_>,
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
    let sums = verified_checksums(run, checker, &sums_url).await?;
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
pub(super) fn judge(
    evidence: &Evidence,
    proven: &Proven,
    url: &str,
    filename: &str,
    watch: &Path,
    out: &mut FileReport,
) -> Result<Signer, Failure> {
    let verdict = proven.openpgp().expect("judged only for an OpenPGP proof");
    record_verdict(out, verdict);
    match evidence {
        Evidence::Detached { .. } => signer_of(verdict, filename, watch),
        Evidence::Line { sums_url, .. } => {
            let signer = signer_of(verdict, sums_url, watch)?;
            match proven.line() {
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
pub(super) async fn verified_checksums<'r>(
    run: &'r mut Run<'_>,
    checker: &Checker<'_>,
    url: &str,
) -> Result<&'r VerifiedSums, Failure> {
    if !run.sums.contains_key(url) {
        let page =
            run.http.get_optional(url).await?.ok_or_else(|| {
                error::source(format!("{url}: checksum file not found (HTTP 404)"))
            })?;
        let entry = if checksums::split_cleartext(&page.body).is_some() {
            let (verdict, sums) = checksums::verify(checker, &page.body, None);
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
            let (signature_url, sig) = found.ok_or_else(|| VerifyError::MissingSignature {
                what: url.to_string(),
                problem: "the checksum file is neither clearsigned nor signed".into(),
                tried,
                hint: None,
            })?;
            let (verdict, sums) = checksums::verify(checker, &page.body, Some(&sig));
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
pub(super) fn signer_of(verdict: &Verdict, what: &str, watch: &Path) -> Result<Signer, Failure> {
    verdict.signers().first().cloned().ok_or_else(|| {
        let rejected = VerifyError::Rejected {
            what: what.to_string(),
            why: verdict.summary(),
            hint: verdict.hint_for(what, Some(&watch.display().to_string())),
        };
        Failure::from(rejected)
    })
}

pub(super) fn record_verdict(out: &mut FileReport, verdict: &Verdict) {
    let fetched = out.fetched.get_or_insert_with(Fetched::default);
    fetched.verdict = Some(VerdictWord::from(verdict));
    fetched.signer = verdict.signers().first().map(|s| s.cert.to_hex());
    fetched.signatures = verdict.signatures.clone();
    fetched.accepted_by_exception = verdict.accepted.is_some();
    fetched.exception = verdict.accepted.clone();
}

/// Tries each signature template in order; a missing signature is a rejection naming every URL.
pub(super) async fn fetch_signature(
    run: &Run<'_>,
    file: &IndexFile,
) -> Result<(String, Vec<u8>), Failure> {
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
    Err(VerifyError::MissingSignature {
        what: file.filename.clone(),
        problem: "no signature found".into(),
        tried,
        hint: Some("set [signature] url in the watch file to where upstream publishes its signatures (PyPI stopped serving them in 2023)".into()),
    }
    .into())
}

/// `.asc` or `.sig`, as served: from the URL, else from the content.
pub(super) fn signature_extension(url: &str, bytes: &[u8]) -> &'static str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    if path.ends_with(".sig") || path.ends_with(".gpg") {
        ".sig"
    } else if path.ends_with(".asc") || bytes.starts_with(b"-----BEGIN") {
        ".asc"
    } else {
        ".sig"
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
