//! The Sigstore side of one file: where its bundle or PEP 740 provenance is (the watch
//! file's `bundle` templates, the index's provenance URL, PyPI's integrity API), fetched
//! before the file; then the pinned publisher, or the refusal.

use crate::error::{self, Failure, Kind};
use crate::report::model::{Fetched, FileReport, SigstoreFetched, VerdictWord};
use crate::source::{self, IndexFile};
use crate::verify::sigstore;
use crate::watch::{Source, Watch, expand_template};

use super::Run;

/// A Sigstore proof of one file (bundle, PEP 740 attestation or provenance), fetched before
/// the file itself.
pub(super) struct SigstoreEvidence {
    pub(super) url: String,
    pub(super) bytes: Vec<u8>,
    pub(super) proof: sigstore::Proof,
}

/// The Sigstore proof's candidate URLs for one file, in order: the watch file's `bundle`
/// templates; else, on a package index, the file's PEP 740 provenance URL and PyPI's
/// integrity API; else `{url}.sigstore.json` and `{url}.sigstore` beside the file.
pub(super) fn sigstore_urls(watch: &Watch, file: &IndexFile, version: &str) -> Vec<String> {
    let Some(section) = &watch.sigstore else {
        return Vec::new();
    };
    let expand = |t: &str| expand_template(t, &file.url, &file.filename, version, &watch.name);
    if !section.bundle_templates.is_empty() {
        return section.bundle_templates.iter().map(|t| expand(t)).collect();
    }
    match &watch.source {
        Source::Pypi { project, index, .. } => {
            let index = index.clone().unwrap_or_else(source::pypi::default_index);
            let mut urls: Vec<String> = file.provenance.iter().cloned().collect();
            if let Some(api) = source::pypi::integrity_url(&index, project, version, &file.filename)
                && !urls.contains(&api)
            {
                urls.push(api);
            }
            urls
        }
        Source::Url { .. } | Source::Forge { .. } => {
            DEFAULT_BUNDLE_TEMPLATES.iter().map(|t| expand(t)).collect()
        }
    }
}

/// Where URL and forge sources look for a Sigstore bundle when `bundle` is not set.
pub(super) const DEFAULT_BUNDLE_TEMPLATES: [&str; 2] = ["{url}.sigstore.json", "{url}.sigstore"];

/// Fetches the file's Sigstore proof from the first candidate URL that has one.
pub(super) async fn sigstore_evidence(
    run: &Run<'_>,
    file: &IndexFile,
    out: &mut FileReport,
) -> Result<SigstoreEvidence, Failure> {
    let urls = sigstore_urls(run.watch, file, run.version);
    for url in &urls {
        let Some(page) = run.http.get_optional(url).await? else {
            continue;
        };
        out.sigstore_url = Some(url.clone());
        let proof = sigstore::Proof::parse(&page.body).map_err(|e| {
            error::verification(format!("{url}: not a Sigstore proof of {}: {e}", file.filename))
                .hint("a Sigstore bundle, PEP 740 attestation or provenance object is JSON; check the watch file's [sigstore] bundle templates")
        })?;
        return Ok(SigstoreEvidence {
            url: url.clone(),
            bytes: page.body,
            proof,
        });
    }
    let hint = match &run.watch.source {
        Source::Pypi { .. } => {
            "the index serves no PEP 740 provenance for this file: it was uploaded without a Trusted Publisher; ask upstream to publish from CI with Trusted Publishing, or pin OpenPGP keys in [keys] instead"
        }
        _ => {
            "set [sigstore] bundle to where upstream publishes its Sigstore bundles, e.g. bundle = [\"{url}.sigstore\"]"
        }
    };
    Err(Failure::new(
        Kind::MissingSignature,
        format!(
            "{}: no Sigstore proof found; tried {}",
            file.filename,
            urls.join(", ")
        ),
    )
    .hint(hint))
}

/// The pinned publisher of a Sigstore verdict, or the rejection naming the proof.
pub(super) fn publisher_of(
    verdict: &sigstore::Verdict,
    url: &str,
    filename: &str,
    out: &mut FileReport,
) -> Result<sigstore::Signer, Failure> {
    let fetched = out.fetched.get_or_insert_with(Fetched::default);
    fetched.sigstore = Some(SigstoreFetched::new(verdict));
    // One word for the file: rejected when any of its proofs is.
    if fetched.verdict != Some(VerdictWord::Rejected) {
        fetched.verdict = Some(VerdictWord::of(verdict.is_verified()));
    }
    match verdict.signer() {
        Some(signer) => Ok(signer.clone()),
        None => {
            fetched.verdict = Some(VerdictWord::Rejected);
            let failure = error::verification(format!(
                "{filename}: Sigstore proof {url}: {}",
                verdict.summary()
            ));
            Err(match verdict.hint() {
                Some(hint) => failure.hint(hint),
                None => failure,
            })
        }
    }
}

/// The file name extension a Sigstore proof is placed under beside the file.
pub(super) fn sigstore_extension(kind: &sigstore::Kind, url: &str) -> &'static str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    match kind {
        sigstore::Kind::Provenance(_) => ".provenance",
        sigstore::Kind::Attestation => ".publish.attestation",
        sigstore::Kind::Bundle(_) if path.ends_with(".sigstore") => ".sigstore",
        sigstore::Kind::Bundle(_) => ".sigstore.json",
    }
}
