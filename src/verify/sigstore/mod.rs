//! Sigstore bundles and PEP 740 attestations, verified offline against pinned identities.
//!
//! This stage judges bytes only: a proof (a Sigstore bundle, a PEP 740 attestation or a PEP 740
//! provenance object, told apart by content), the file's name and SHA-256, a trust root and
//! the pins. It knows nothing about HTTP or watch files. Every check is always on:
//!
//! 1. the signing certificate chains to a Fulcio CA of the trust root, carries a valid signed
//!    certificate timestamp, and was valid at the log's integrated time;
//! 2. each transparency-log entry verifies under a Rekor key of the trust root (inclusion proof
//!    with its signed checkpoint, and the signed entry timestamp when present) and describes
//!    this very signature and certificate;
//! 3. the signature (DSSE envelope, or plain message signature) verifies with the
//!    certificate's key;
//! 4. the signed content is about this file: an in-toto statement whose subject names the
//!    file and its SHA-256 (for PEP 740 also PyPI's publish predicate type), or a message
//!    digest equal to the file's;
//! 5. the certificate's identity (SAN) and OIDC issuer match a pin exactly
//!    (see [`publisher`]).
//!
//! Steps 1–3 are done by `sigstore-verify`, the Sigstore project's Rust verifier, running on
//! the RustCrypto [`provider`]; steps 4–5 are sigwatch's. A rejected proof is a [`Verdict`],
//! not an error.

pub mod provider;
pub mod publisher;

use std::fmt;
use std::io::{self, Read};
use std::path::Path;
use std::time::SystemTime;

use anyhow::Context as _;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sigstore_verify::trust_root::{SIGSTORE_PRODUCTION_TRUSTED_ROOT, TrustedRoot};
use sigstore_verify::types::{Bundle, Sha256Hash, SignatureContent};
use sigstore_verify::{VerificationPolicy, Verifier};

pub use publisher::{IdentityPin, Match, SPEC_HINT, SpecError};

use super::keyring::rfc3339;

/// PyPI's publish attestation predicate (PEP 740), required of attestations and provenance.
pub const PYPI_PUBLISH_PREDICATE: &str = "https://docs.pypi.org/attestations/publish/v1";

/// The largest proof sigwatch reads; real ones are a few kilobytes.
pub const MAX_PROOF_BYTES: usize = 4 * 1024 * 1024;

const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle";
const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The keys and certificates a proof must chain to: Fulcio CAs, Rekor and CT log keys.
pub struct TrustRoot {
    verifier: Verifier,
    origin: String,
}

impl fmt::Debug for TrustRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustRoot")
            .field("origin", &self.origin)
            .finish()
    }
}

impl TrustRoot {
    /// The Sigstore public-good instance's `trusted_root.json`, as Sigstore clients ship it.
    pub fn production() -> Self {
        Self::from_json(
            SIGSTORE_PRODUCTION_TRUSTED_ROOT,
            "the Sigstore public-good instance",
        )
        .expect("the embedded Sigstore trusted root is valid")
    }

    /// A `trusted_root.json` (`--trusted-root FILE`), replacing the embedded one.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let json = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read trusted root {}", path.display()))?;
        Self::from_json(&json, &path.display().to_string())
            .with_context(|| format!("trusted root {} is not usable", path.display()))
    }

    /// A trusted root from its JSON text; `origin` names it in messages.
    pub fn from_json(json: &str, origin: &str) -> anyhow::Result<Self> {
        provider::install();
        let root = TrustedRoot::from_json(json).context("not a Sigstore trusted_root.json")?;
        let verifier = Verifier::new(&root).context("its keys or certificates are unusable")?;
        Ok(TrustRoot {
            verifier,
            origin: origin.to_string(),
        })
    }

    /// Where this root came from, for messages.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

/// What kind of proof was given (detected by content, not by file name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A Sigstore bundle (`.sigstore`, `.sigstore.json`), with its bundle version (`0.3`).
    Bundle(String),
    /// A PEP 740 attestation object (`.publish.attestation`).
    Attestation,
    /// A PEP 740 provenance object (`.provenance`), with the publishers PyPI recorded.
    Provenance(Vec<String>),
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Bundle(v) => write!(f, "Sigstore bundle v{v}"),
            Kind::Attestation => f.write_str("PEP 740 attestation"),
            Kind::Provenance(_) => f.write_str("PEP 740 provenance"),
        }
    }
}

/// A proof read into Sigstore bundles (attestations are bundles in another dress).
#[derive(Debug, Clone)]
pub struct Proof {
    /// What it was.
    pub kind: Kind,
    bundles: Vec<Bundle>,
}

impl Proof {
    /// Reads a bundle, attestation or provenance object, whichever the bytes are.
    pub fn parse(bytes: &[u8]) -> Result<Proof, String> {
        if bytes.len() > MAX_PROOF_BYTES {
            return Err(format!("larger than {} bytes", MAX_PROOF_BYTES));
        }
        let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON ({e})"))?;
        let object = value
            .as_object()
            .ok_or("not a JSON object (a Sigstore bundle, attestation or provenance)")?;
        if let Some(media) = object.get("mediaType").and_then(Value::as_str) {
            let version = bundle_version(media)
                .ok_or_else(|| format!("unknown bundle media type {media:?}"))?;
            let bundle = parse_bundle(value.clone())?;
            return Ok(Proof {
                kind: Kind::Bundle(version),
                bundles: vec![bundle],
            });
        }
        if let Some(groups) = object.get("attestation_bundles") {
            let groups = groups
                .as_array()
                .ok_or("provenance: attestation_bundles is not a list")?;
            let mut publishers = Vec::new();
            let mut bundles = Vec::new();
            for group in groups {
                if let Some(p) = group.get("publisher") {
                    publishers.push(describe_publisher(p));
                }
                let attestations = group
                    .get("attestations")
                    .and_then(Value::as_array)
                    .ok_or("provenance: an attestation bundle has no attestations list")?;
                for a in attestations {
                    bundles.push(attestation_to_bundle(a)?);
                }
            }
            if bundles.is_empty() {
                return Err("provenance holds no attestations".into());
            }
            return Ok(Proof {
                kind: Kind::Provenance(publishers),
                bundles,
            });
        }
        if object.contains_key("envelope") && object.contains_key("verification_material") {
            return Ok(Proof {
                kind: Kind::Attestation,
                bundles: vec![attestation_to_bundle(&value)?],
            });
        }
        Err(
            "neither a Sigstore bundle (mediaType), a PEP 740 attestation (envelope, \
             verification_material) nor a PEP 740 provenance object (attestation_bundles)"
                .into(),
        )
    }

    /// How many signatures the proof holds (a provenance object may hold several).
    pub fn len(&self) -> usize {
        self.bundles.len()
    }

    /// Whether it holds none (never true of a parsed proof).
    pub fn is_empty(&self) -> bool {
        self.bundles.is_empty()
    }
}

fn bundle_version(media: &str) -> Option<String> {
    // v0.1 and v0.2 are "…bundle+json;version=0.1"; v0.3 is "…bundle.v0.3+json".
    let rest = media.strip_prefix(BUNDLE_MEDIA_TYPE)?;
    if let Some(v) = rest.strip_prefix("+json;version=") {
        return Some(v.to_string());
    }
    rest.strip_prefix(".v")?
        .strip_suffix("+json")
        .map(str::to_string)
}

fn parse_bundle(value: Value) -> Result<Bundle, String> {
    serde_json::from_value(value).map_err(|e| format!("malformed Sigstore bundle: {e}"))
}

fn describe_publisher(p: &Value) -> String {
    let field = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
    match p.get("kind").and_then(Value::as_str) {
        Some("GitHub") => format!("github:{}/{}", field("repository"), field("workflow")),
        Some("GitLab") => format!(
            "gitlab:{}//{}",
            field("repository"),
            field("workflow_filepath")
        ),
        Some("Google") => format!("google:{}", field("email")),
        Some("CircleCI") => format!(
            "circleci:{}/{}",
            field("project_id"),
            field("pipeline_definition_id")
        ),
        Some(kind) => format!("{kind} publisher"),
        None => "unknown publisher".into(),
    }
}

/// PEP 740 attestation → Sigstore bundle v0.3, as `pypi-attestations` converts it: the fields
/// are the same (already base64 and protobuf JSON), only the shape differs.
fn attestation_to_bundle(a: &Value) -> Result<Bundle, String> {
    let get = |path: &[&str]| {
        let mut v = a;
        for k in path {
            v = v.get(k)?;
        }
        Some(v.clone())
    };
    match a.get("version").and_then(Value::as_u64) {
        Some(1) => {}
        other => return Err(format!("attestation version {other:?} is not 1")),
    }
    let missing = |what: &str| format!("attestation has no {what}");
    let cert = get(&["verification_material", "certificate"])
        .ok_or_else(|| missing("verification_material.certificate"))?;
    let entries = get(&["verification_material", "transparency_entries"])
        .ok_or_else(|| missing("verification_material.transparency_entries"))?;
    let statement = get(&["envelope", "statement"]).ok_or_else(|| missing("envelope.statement"))?;
    let signature = get(&["envelope", "signature"]).ok_or_else(|| missing("envelope.signature"))?;
    let bundle = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": { "rawBytes": cert },
            "tlogEntries": entries,
        },
        "dsseEnvelope": {
            "payload": statement,
            "payloadType": IN_TOTO_PAYLOAD_TYPE,
            "signatures": [{ "sig": signature }],
        },
    });
    parse_bundle(bundle).map_err(|e| format!("attestation: {e}"))
}

/// The file a proof must be about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Its file name, as an in-toto subject names it (no directories).
    pub name: String,
    /// Its SHA-256.
    pub sha256: [u8; 32],
}

impl Artifact {
    /// Hashes `reader` in one pass with a fixed buffer.
    pub fn from_reader(name: &str, reader: impl Read) -> io::Result<Artifact> {
        let mut hasher = Sha256::new();
        crate::base::digest::read_chunks(reader, |chunk| hasher.update(chunk))?;
        Ok(Artifact {
            name: name.to_string(),
            sha256: hasher.finalize().into(),
        })
    }

    /// The SHA-256 in lowercase hex.
    pub fn sha256_hex(&self) -> String {
        super::hex(&self.sha256)
    }
}

/// Who signed, as the certificate and the log say. Verified only inside [`Outcome::Verified`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The certificate's SAN (URI or email).
    pub identity: String,
    /// The certificate's OIDC issuer.
    pub issuer: String,
    /// The transparency-log index of the entry.
    pub log_index: Option<u64>,
    /// When the log integrated the entry (authenticated by its signed entry timestamp).
    pub integrated_time: Option<SystemTime>,
}

impl fmt::Display for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (issuer {}", self.identity, self.issuer)?;
        if let Some(i) = self.log_index {
            write!(f, ", log index {i}")?;
        }
        if let Some(t) = self.integrated_time {
            write!(f, ", integrated {}", rfc3339(t))?;
        }
        f.write_str(")")
    }
}

/// Which verification step failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The bundle is not well-formed or not supported.
    Bundle,
    /// The certificate does not chain to the trust root, lacks a valid SCT, or was not valid
    /// at the integrated time.
    Certificate,
    /// The transparency-log entry does not verify or does not match the signature.
    TransparencyLog,
    /// The signature does not verify with the certificate's key.
    Signature,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Bundle => "bundle",
            Step::Certificate => "certificate",
            Step::TransparencyLog => "transparency log",
            Step::Signature => "signature",
        })
    }
}

/// Why a proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The proof is not a bundle, attestation or provenance object.
    NotAProof(String),
    /// A cryptographic step failed.
    Invalid {
        /// Which step.
        step: Step,
        /// What the verifier said.
        detail: String,
    },
    /// The signed content is about another file, or other bytes.
    WrongFile {
        /// What the statement names (`name sha256:…`), or the message digest.
        signed: Vec<String>,
    },
    /// The in-toto statement is not PyPI's publish attestation.
    WrongPredicate {
        /// The predicate type it has.
        found: String,
    },
    /// A good signature by an identity no pin admits.
    Unpinned {
        /// The certificate's identity.
        identity: String,
        /// The certificate's issuer.
        issuer: String,
    },
}

/// The outcome of verifying one file against one proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every step passed and a pin admitted the signer.
    Verified(Signer),
    /// Rejected, and why.
    Rejected(Reason),
}

/// The verdict: the outcome, what the proof claimed, and the pins it was held to.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Verified or rejected.
    pub outcome: Outcome,
    /// What kind of proof it was (`None` when it could not be read).
    pub kind: Option<Kind>,
    /// Who the (first failing or only) certificate and log entry claim signed; unverified
    /// unless the outcome is `Verified`.
    pub claimed: Option<Signer>,
    /// The statement's predicate type, for DSSE proofs.
    pub predicate_type: Option<String>,
    /// The pins, as written for people.
    pub pins: Vec<String>,
}

impl Verdict {
    /// True when the file verified.
    pub fn is_verified(&self) -> bool {
        matches!(self.outcome, Outcome::Verified(_))
    }

    /// The verified signer.
    pub fn signer(&self) -> Option<&Signer> {
        match &self.outcome {
            Outcome::Verified(s) => Some(s),
            Outcome::Rejected(_) => None,
        }
    }

    /// One line: what was decided and why, naming identity, issuer, log index and time.
    pub fn summary(&self) -> String {
        let claimed = self
            .claimed
            .as_ref()
            .map(|s| format!(" signed by {s}"))
            .unwrap_or_default();
        match &self.outcome {
            Outcome::Verified(s) => format!("good Sigstore signature by pinned {s}"),
            Outcome::Rejected(Reason::NotAProof(e)) => format!("not a Sigstore proof: {e}"),
            Outcome::Rejected(Reason::Invalid { step, detail }) => {
                format!("{step} check failed: {detail};{claimed}")
            }
            Outcome::Rejected(Reason::WrongFile { signed }) => format!(
                "the proof is about other bytes: it signs {};{claimed}",
                if signed.is_empty() {
                    "a different digest".to_string()
                } else {
                    signed.join(", ")
                }
            ),
            Outcome::Rejected(Reason::WrongPredicate { found }) => format!(
                "the attestation's predicate type is {found}, not PyPI's publish attestation;\
                 {claimed}"
            ),
            Outcome::Rejected(Reason::Unpinned { identity, issuer }) => {
                let where_ = self
                    .claimed
                    .as_ref()
                    .map(|s| {
                        let mut t = String::new();
                        if let Some(i) = s.log_index {
                            t.push_str(&format!(", log index {i}"));
                        }
                        if let Some(at) = s.integrated_time {
                            t.push_str(&format!(", integrated {}", rfc3339(at)));
                        }
                        t
                    })
                    .unwrap_or_default();
                format!(
                    "good Sigstore signature by unpinned identity {identity} (issuer {issuer}{where_}); \
                     pinned: {}",
                    self.pins.join("; ")
                )
            }
        }
    }

    /// The next step for the user, when there is one.
    pub fn hint(&self) -> Option<String> {
        match &self.outcome {
            Outcome::Verified(_) => None,
            Outcome::Rejected(Reason::NotAProof(_)) => {
                Some("pass the file's .sigstore bundle, .publish.attestation or .provenance".into())
            }
            Outcome::Rejected(Reason::Invalid { step, detail }) if foreign(*step, detail) => Some(
                "a proof from another Sigstore instance (staging, GitHub's) verifies only under \
                 that instance's --trusted-root; otherwise it was forged"
                    .into(),
            ),
            Outcome::Rejected(Reason::Invalid { .. }) => {
                Some("the proof was altered or made for something else; do not use the file".into())
            }
            Outcome::Rejected(Reason::WrongFile { .. }) => {
                Some("the file or its proof was swapped or altered; do not use the file".into())
            }
            Outcome::Rejected(Reason::WrongPredicate { .. }) => {
                Some("use the file's .publish.attestation (or .provenance)".into())
            }
            Outcome::Rejected(Reason::Unpinned { identity, issuer }) => Some(format!(
                "if this signer is legitimately allowed to publish, pin it: \
                 identities = [{{ identity = {identity:?}, issuer = {issuer:?} }}]"
            )),
        }
    }
}

/// Whether a failure says the proof chains to a CA or log the trust root does not name.
fn foreign(step: Step, detail: &str) -> bool {
    match step {
        Step::Certificate => detail.contains("chain") || detail.contains("authority"),
        Step::TransparencyLog => {
            detail.contains("No log key")
                || detail.contains("unknown transparency log")
                || detail.contains("No matching Rekor key")
        }
        _ => false,
    }
}

/// Verifies proofs against one trust root and one set of pins.
#[derive(Debug)]
pub struct Checker<'a> {
    root: &'a TrustRoot,
    pins: &'a [IdentityPin],
}

impl<'a> Checker<'a> {
    /// A checker admitting any of `pins` (none admits nobody).
    pub fn new(root: &'a TrustRoot, pins: &'a [IdentityPin]) -> Self {
        Checker { root, pins }
    }

    /// Judges `proof` (the bytes of a bundle, attestation or provenance) for `file`.
    ///
    /// `version` fills `{version}` in pinned identities.
    pub fn verify(&self, proof: &[u8], file: &Artifact, version: Option<&str>) -> Verdict {
        let pins: Vec<String> = self.pins.iter().map(|p| p.to_string()).collect();
        let proof = match Proof::parse(proof) {
            Ok(p) => p,
            Err(e) => {
                return Verdict {
                    outcome: Outcome::Rejected(Reason::NotAProof(e)),
                    kind: None,
                    claimed: None,
                    predicate_type: None,
                    pins,
                };
            }
        };
        self.verify_proof(&proof, file, version)
    }

    /// Judges a parsed proof; every signature in it must pass.
    pub fn verify_proof(&self, proof: &Proof, file: &Artifact, version: Option<&str>) -> Verdict {
        let pins: Vec<String> = self.pins.iter().map(|p| p.to_string()).collect();
        let pep740 = !matches!(proof.kind, Kind::Bundle(_));
        let mut first = None;
        for bundle in &proof.bundles {
            let (outcome, claimed, predicate_type) = self.judge(bundle, file, version, pep740);
            let verdict = Verdict {
                outcome,
                kind: Some(proof.kind.clone()),
                claimed,
                predicate_type,
                pins: pins.clone(),
            };
            if !verdict.is_verified() {
                return verdict;
            }
            first.get_or_insert(verdict);
        }
        first.expect("a parsed proof holds at least one bundle")
    }

    fn judge(
        &self,
        bundle: &Bundle,
        file: &Artifact,
        version: Option<&str>,
        pep740: bool,
    ) -> (Outcome, Option<Signer>, Option<String>) {
        let claimed = claims(bundle);
        let statement = match &bundle.content {
            SignatureContent::DsseEnvelope(env) => {
                serde_json::from_slice::<Value>(env.payload.as_bytes()).ok()
            }
            _ => None,
        };
        let predicate_type = statement
            .as_ref()
            .and_then(|s| s.get("predicateType"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let reject = |r: Reason| {
            (
                Outcome::Rejected(r),
                claimed.clone(),
                predicate_type.clone(),
            )
        };

        // Every cryptographic step, with no identity constraint: the pin is checked below,
        // so a mismatch can name what the certificate says instead.
        let policy = VerificationPolicy::any_identity();
        let result = match self
            .root
            .verifier
            .verify(Sha256Hash::new(file.sha256), bundle, &policy)
        {
            Ok(r) => r,
            Err(sigstore_verify::Error::ArtifactMismatch(_)) => {
                return reject(Reason::WrongFile {
                    signed: signed_subjects(bundle, statement.as_ref()),
                });
            }
            Err(e) => {
                return reject(Reason::Invalid {
                    step: step_of(&e),
                    detail: e.to_string(),
                });
            }
        };
        if !(result.certificate_verified() && result.sct_verified() && result.tlog_verified()) {
            return reject(Reason::Invalid {
                step: Step::Certificate,
                detail: "the verifier skipped a step".into(),
            });
        }

        if let Some(statement) = &statement {
            let names_file = statement
                .get("subject")
                .and_then(Value::as_array)
                .is_some_and(|subjects| {
                    subjects.iter().any(|s| {
                        s.get("name").and_then(Value::as_str) == Some(file.name.as_str())
                            && s.pointer("/digest/sha256").and_then(Value::as_str)
                                == Some(file.sha256_hex().as_str())
                    })
                });
            if !names_file {
                return reject(Reason::WrongFile {
                    signed: signed_subjects(bundle, Some(statement)),
                });
            }
            if pep740 && predicate_type.as_deref() != Some(PYPI_PUBLISH_PREDICATE) {
                return reject(Reason::WrongPredicate {
                    found: predicate_type.clone().unwrap_or_else(|| "missing".into()),
                });
            }
        }

        let identity = result.identity().map(|i| i.as_str().to_string());
        let issuer = result.issuer().map(str::to_string);
        let (Some(identity), Some(issuer)) = (identity, issuer) else {
            return reject(Reason::Invalid {
                step: Step::Certificate,
                detail: "the certificate names no identity or no OIDC issuer".into(),
            });
        };
        let signer = Signer {
            identity: identity.clone(),
            issuer: issuer.clone(),
            log_index: claimed.as_ref().and_then(|c| c.log_index),
            integrated_time: result.integrated_time().map(to_system_time),
        };
        if !self
            .pins
            .iter()
            .any(|p| p.admits(&identity, &issuer, version))
        {
            return (
                Outcome::Rejected(Reason::Unpinned { identity, issuer }),
                Some(signer),
                predicate_type,
            );
        }
        (
            Outcome::Verified(signer.clone()),
            Some(signer),
            predicate_type,
        )
    }
}

/// What the bundle claims, before anything is verified: for messages on rejection.
fn claims(bundle: &Bundle) -> Option<Signer> {
    let info =
        sigstore_verify::crypto::parse_certificate_info(bundle.signing_certificate()?).ok()?;
    let entry = bundle.verification_material.tlog_entries.first();
    Some(Signer {
        identity: info
            .identity
            .map(|i| i.as_str().to_string())
            .unwrap_or_else(|| "(none)".into()),
        issuer: info.issuer.unwrap_or_else(|| "(none)".into()),
        log_index: entry.map(|e| u64::from(e.log_index)),
        integrated_time: entry.and_then(|e| e.integrated_time).map(to_system_time),
    })
}

fn signed_subjects(bundle: &Bundle, statement: Option<&Value>) -> Vec<String> {
    if let Some(subjects) = statement
        .and_then(|s| s.get("subject"))
        .and_then(Value::as_array)
    {
        return subjects
            .iter()
            .map(|s| {
                format!(
                    "{} sha256:{}",
                    s.get("name").and_then(Value::as_str).unwrap_or("(no name)"),
                    s.pointer("/digest/sha256")
                        .and_then(Value::as_str)
                        .unwrap_or("(none)")
                )
            })
            .collect();
    }
    match &bundle.content {
        SignatureContent::MessageSignature(m) => m
            .message_digest
            .as_ref()
            .map(|d| vec![format!("digest {}", super::hex(d.digest.as_bytes()))])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn step_of(e: &sigstore_verify::Error) -> Step {
    use sigstore_verify::Error as E;
    match e {
        E::Certificate(_) | E::Timestamp(_) | E::TrustedCertificate(_) => Step::Certificate,
        E::TransparencyLog(_) => Step::TransparencyLog,
        E::SignatureInvalid(_) | E::Crypto(_) => Step::Signature,
        _ => Step::Bundle,
    }
}

fn to_system_time(t: jiff::Timestamp) -> SystemTime {
    SystemTime::from(t)
}
