//! The output models: every command's JSON, as `Serialize` types.
//!
//! Stages fill these values; the printer ([`super::Printer`]) renders them as human text or
//! JSON. Field names are the documented JSON keys: renaming one is an interface change.

use std::path::Path;

use serde::Serialize;

use crate::error::{Failure, Kind};
use crate::exit::Exit;
use crate::verify::{Accepted, SignatureReport, Verdict};

/// The word for a verdict, spelled once: `verified` or `rejected`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictWord {
    /// Trusted.
    Verified,
    /// Refused.
    Rejected,
}

impl VerdictWord {
    /// `Verified` when `ok`.
    pub fn of(ok: bool) -> VerdictWord {
        if ok {
            VerdictWord::Verified
        } else {
            VerdictWord::Rejected
        }
    }

    /// The word itself.
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictWord::Verified => "verified",
            VerdictWord::Rejected => "rejected",
        }
    }
}

impl From<&Verdict> for VerdictWord {
    fn from(v: &Verdict) -> Self {
        VerdictWord::of(v.is_verified())
    }
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

impl From<&Failure> for ErrorReport {
    fn from(f: &Failure) -> Self {
        ErrorReport {
            kind: f.kind,
            message: f.message.clone(),
            hint: f.hint.clone(),
        }
    }
}

/// What `fetch` adds to a file's report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Fetched {
    /// "verified" or "rejected"; null when verification was not reached.
    pub verdict: Option<VerdictWord>,
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
    /// True when the file verified only through a recorded `[[accept]]` exception.
    pub accepted_by_exception: bool,
    /// That exception (rule, signer, sha256, reason), or null.
    pub exception: Option<Accepted>,
    /// The compression format ("gzip", "xz", "bzip2", "zstd") when the signature was checked
    /// over the decompressed content (`[signature] decompress = true`), else null. The
    /// file's `sha256` stays that of the file as downloaded.
    pub decompressed: Option<&'static str>,
    /// With `[sigstore]`: the Sigstore proof's verdict and publisher (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigstore: Option<SigstoreFetched>,
}

/// What a Sigstore proof said about a fetched file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SigstoreFetched {
    /// "verified" or "rejected".
    pub verdict: Option<VerdictWord>,
    /// The certificate's identity (SAN): verified when `verdict` is `verified`, else claimed.
    pub identity: Option<String>,
    /// The certificate's OIDC issuer, likewise.
    pub issuer: Option<String>,
    /// The transparency-log index.
    pub log_index: Option<u64>,
    /// When the log integrated the entry (RFC 3339 UTC).
    pub integrated_time: Option<String>,
    /// `bundle`, `attestation` or `provenance`.
    pub proof_kind: Option<&'static str>,
    /// One line: why.
    pub reason: String,
    /// Where the proof was placed beside the file.
    pub path: Option<String>,
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
    /// With `[sigstore]`: the Sigstore proof's URL (`check`: the first candidate, e.g. the
    /// index's PEP 740 provenance URL; `fetch`: the one that answered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigstore_url: Option<String>,
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

    /// An empty report for the watch file at `path`, named after the file until it is read.
    pub fn new(path: &Path) -> ProjectReport {
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

    /// The exit this project contributes.
    pub fn exit(&self, fail_on_update: bool) -> Exit {
        match &self.error {
            Some(e) => e.kind.exit(),
            None if fail_on_update && self.update_available == Some(true) => Exit::Update,
            None => Exit::Ok,
        }
    }
}

/// How bad a lint finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingSeverity {
    /// Verification will fail or is unsafe: exit 1.
    Error,
    /// Worth fixing.
    Warning,
}

/// One lint finding.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The watch file.
    pub watch: String,
    /// Error or warning.
    pub severity: FindingSeverity,
    /// A stable identifier, e.g. `pin-expired`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
}

/// How much an importer's note matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoteSeverity {
    /// Dropped or adjusted on purpose; nothing to do.
    Info,
    /// Translated approximately or not at all; a human must check the watch file.
    Review,
    /// The written watch file does not verify signatures until a human fixes it (exit 1).
    Error,
}

/// One finding about the input, located by file and line.
#[derive(Debug, Clone, Serialize)]
pub struct Note {
    /// The file, relative to DIR (`debian/watch`, `PKGBUILD`, …).
    pub file: String,
    /// The 1-based line, when the finding has one.
    pub line: Option<usize>,
    /// What was found and what was done about it.
    pub message: String,
    /// How much it matters.
    pub severity: NoteSeverity,
}

impl Note {
    /// `file:line`, or the file alone.
    pub fn place(&self) -> String {
        match self.line {
            Some(l) => format!("{}:{l}", self.file),
            None => self.file.clone(),
        }
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.place(), self.message)
    }
}

/// The JSON object of `sigwatch verify`.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// `verified` or `rejected`.
    pub verdict: VerdictWord,
    /// The file verified.
    pub file: String,
    /// The signature file (the checksum file itself when it is clearsigned).
    pub signature_file: String,
    /// Primary fingerprint of the first pinned signer, or null.
    pub signer: Option<String>,
    /// Every pinned signer's primary fingerprint.
    pub signers: Vec<String>,
    /// Good signatures by distinct pinned certificates required.
    pub threshold: usize,
    /// One line: why.
    pub reason: String,
    /// Each signature's verdict.
    pub signatures: Vec<SignatureReport>,
    /// Warnings: expiring keys, SHA-1 bindings, pins missing from the keyring.
    pub warnings: Vec<String>,
    /// True when the file verified only through a recorded `[[accept]]` exception.
    pub accepted_by_exception: bool,
    /// That exception (rule, signer, sha256, reason), or null.
    pub exception: Option<Accepted>,
    /// `verify --checksums` only: the file's line (null when the checksum file was refused).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksums: Option<Option<ChecksumReport>>,
    /// When rejected for a reason the user can act on: the next step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// `verify --decompress` only: the compression format whose decompressed content the
    /// signature was checked over.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decompressed: Option<&'static str>,
    /// `verify --decompress` only: the sha256 of FILE itself, as on disk (compressed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl VerifyReport {
    /// The report of a signature verdict over `file`.
    pub fn new(file: &str, signature_file: &str, verdict: &Verdict) -> VerifyReport {
        let signers: Vec<String> = verdict.signers().iter().map(|s| s.cert.to_hex()).collect();
        VerifyReport {
            verdict: VerdictWord::from(verdict),
            file: file.to_string(),
            signature_file: signature_file.to_string(),
            signer: signers.first().cloned(),
            signers,
            threshold: verdict.threshold,
            reason: verdict.summary(),
            signatures: verdict.signatures.clone(),
            warnings: verdict.warnings.clone(),
            accepted_by_exception: verdict.accepted.is_some(),
            exception: verdict.accepted.clone(),
            checksums: None,
            hint: verdict.hint_for(file, None),
            decompressed: None,
            sha256: None,
        }
    }
}

/// The `checksums` member of `verify --checksums`.
#[derive(Debug, Clone, Serialize)]
pub struct ChecksumReport {
    /// The checksum file.
    pub file: String,
    /// `sha256` or `sha512`.
    pub algorithm: &'static str,
    /// The signed line's digest.
    pub expected: String,
    /// The file's digest.
    pub actual: String,
    /// Whether they are equal.
    #[serde(rename = "match")]
    pub matches: bool,
}

/// `sigwatch uscan`: one `debian/watch` entry (the upstream tarball, or a component).
#[derive(Debug, Clone, Default, Serialize)]
pub struct UscanEntry {
    /// `component=` of the entry; null for the upstream tarball.
    pub component: Option<String>,
    /// The newest upstream version (or `--download-version`), after `uversionmangle`.
    pub upstream_version: Option<String>,
    /// That version as upstream wrote it (before `uversionmangle`).
    pub upstream_raw_version: Option<String>,
    /// The release file's URL.
    pub upstream_url: Option<String>,
    /// The `.orig` name placed (`<source>_<version>.orig[-<component>].tar.<ext>`), after
    /// verification only.
    pub target: Option<String>,
    /// `target` in the destination directory.
    pub target_path: Option<String>,
    /// Every file placed, in order: the upstream file, its signature, the `.orig` link, the
    /// `.orig` signature (armored).
    pub placed: Vec<String>,
    /// Primary fingerprint of the pinned key that signed (after `--download`).
    pub signer: Option<String>,
}

/// `sigwatch uscan`'s outcome for a package tree; with `--json` printed as one object, with
/// `--dehs` as uscan's DEHS XML.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UscanReport {
    /// The source package name.
    pub package: String,
    /// The upstream part of debian/changelog's version.
    pub debian_uversion: Option<String>,
    /// `debian_uversion` after `dversionmangle`.
    pub debian_mangled_uversion: Option<String>,
    /// uscan's words: `newer package available`, `up to date`, `only older package available`.
    pub status: Option<String>,
    /// Whether the upstream tarball's newest version is newer than the packaged one.
    pub newer: Option<bool>,
    /// Whether files were downloaded and placed.
    pub downloaded: bool,
    /// The upstream tarball first, then each component.
    pub entries: Vec<UscanEntry>,
    /// Options uscan would apply that sigwatch does not, and what the translation reported.
    pub warnings: Vec<String>,
    /// Key rotation, files verified again, nothing downloaded because up to date.
    pub notices: Vec<String>,
    /// What went wrong, or null.
    pub error: Option<ErrorReport>,
}

/// `sigwatch verify --sigstore`: the verdict on one file and its Sigstore proof.
#[derive(Debug, Clone, Serialize)]
pub struct SigstoreReport {
    /// `verified` or `rejected`.
    pub verdict: VerdictWord,
    /// The file verified.
    pub file: String,
    /// Its sha256, lowercase hex.
    pub sha256: String,
    /// The proof file.
    pub proof_file: String,
    /// `bundle`, `attestation`, `provenance`, or null when unreadable.
    pub proof_kind: Option<&'static str>,
    /// Bundle media-type version (`0.3`), for bundles.
    pub bundle_version: Option<String>,
    /// The certificate's identity (SAN): verified when `verdict` is `verified`, else claimed.
    pub identity: Option<String>,
    /// The certificate's OIDC issuer, likewise.
    pub issuer: Option<String>,
    /// The transparency-log index.
    pub log_index: Option<u64>,
    /// When the log integrated the entry (RFC 3339 UTC).
    pub integrated_time: Option<String>,
    /// The in-toto predicate type, for DSSE proofs.
    pub predicate_type: Option<String>,
    /// The pins the signer was held to.
    pub pins: Vec<String>,
    /// Which trust root was used.
    pub trusted_root: String,
    /// One line: why.
    pub reason: String,
    /// With a watch file pinning `[keys]` too: the OpenPGP verdict on the same file (then
    /// `verdict` is `verified` only when both are).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub openpgp: Option<Box<VerifyReport>>,
}

impl SigstoreReport {
    /// The report of a Sigstore verdict over `file`.
    pub fn new(
        file: &str,
        sha256: &str,
        proof_file: &str,
        trusted_root: &str,
        verdict: &crate::verify::sigstore::Verdict,
    ) -> SigstoreReport {
        use crate::verify::sigstore::Kind;
        let (proof_kind, bundle_version) = match &verdict.kind {
            None => (None, None),
            Some(Kind::Bundle(v)) => (Some("bundle"), Some(v.clone())),
            Some(Kind::Attestation) => (Some("attestation"), None),
            Some(Kind::Provenance(_)) => (Some("provenance"), None),
        };
        let who = verdict.signer().or(verdict.claimed.as_ref());
        SigstoreReport {
            verdict: VerdictWord::of(verdict.is_verified()),
            file: file.to_string(),
            sha256: sha256.to_string(),
            proof_file: proof_file.to_string(),
            proof_kind,
            bundle_version,
            identity: who.map(|s| s.identity.clone()),
            issuer: who.map(|s| s.issuer.clone()),
            log_index: who.and_then(|s| s.log_index),
            integrated_time: who
                .and_then(|s| s.integrated_time)
                .map(crate::verify::rfc3339),
            predicate_type: verdict.predicate_type.clone(),
            pins: verdict.pins.clone(),
            trusted_root: trusted_root.to_string(),
            reason: verdict.summary(),
            openpgp: None,
        }
    }
}

impl SigstoreFetched {
    /// What a fetched file's Sigstore verdict says.
    pub fn new(verdict: &crate::verify::sigstore::Verdict) -> SigstoreFetched {
        let report = SigstoreReport::new("", "", "", "", verdict);
        SigstoreFetched {
            verdict: Some(report.verdict),
            identity: report.identity,
            issuer: report.issuer,
            log_index: report.log_index,
            integrated_time: report.integrated_time,
            proof_kind: report.proof_kind,
            reason: report.reason,
            path: None,
        }
    }
}
