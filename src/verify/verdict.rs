//! Verdicts: what became of each signature, and of the file.
//!
//! A rejected signature is a value, not an error: [`Status`] names the case exactly, and a
//! [`Verdict`] carries every signature's [`SignatureReport`] and the outcome.

use std::time::SystemTime;

use sequoia_openpgp::Fingerprint;
use serde::Serialize;

use super::Accepted;
use crate::base::decompress::Format;

/// What became of one signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Good signature by a pinned key, valid when made.
    Good,
    /// The signature does not match the data (or the key).
    BadSignature,
    /// The issuer is not in the keyring.
    MissingKey,
    /// A good signature by a key that is not pinned.
    Unpinned,
    /// The data signature uses a broken hash (MD5, SHA-1, RIPEMD-160).
    WeakHash,
    /// The signing key (or its primary) is too weak: RSA/DSA/ElGamal below 2048 bits.
    WeakKey,
    /// The key had expired when the signature was made.
    KeyExpired,
    /// The key (or its certificate) is revoked.
    Revoked,
    /// The key may not make signatures (no signing flag).
    NotSigningCapable,
    /// The key has no valid binding signature.
    NoBinding,
    /// The signature was made in the future.
    FutureSignature,
    /// The signature itself has expired.
    SignatureExpired,
    /// An algorithm Sequoia does not implement.
    Unsupported,
    /// Not a usable document signature.
    Malformed,
}

/// One signature of the signature file, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureReport {
    /// The issuer named by the signature: its fingerprint, or the key ID when that is all it has.
    pub issuer: Option<String>,
    /// Fingerprint of the key that made the signature, when it is in the keyring.
    pub key: Option<String>,
    /// Primary fingerprint of the certificate holding that key.
    pub certificate: Option<String>,
    /// The certificate's primary user ID, when known.
    pub user_id: Option<String>,
    /// Creation time (RFC 3339 UTC).
    pub created: Option<String>,
    /// Hash algorithm, e.g. "SHA256".
    pub hash_algorithm: String,
    /// Public-key algorithm, e.g. "RSA", "EdDSA".
    pub public_key_algorithm: String,
    /// "binary" or "text".
    pub mode: &'static str,
    /// Whether the signing key is pinned (by its certificate or by itself).
    pub pinned: bool,
    /// The outcome for this signature.
    pub status: Status,
    /// One line saying why.
    pub reason: String,
    /// Accepted, but worth knowing.
    pub warnings: Vec<String>,
}

/// Why a signature file was rejected as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The signature file is not a detached signature (empty, garbage, cleartext, a key…).
    NotASignature(String),
    /// No signature counted: each [`SignatureReport`] says why.
    NoGoodSignature,
    /// Some pinned certificates signed, but fewer than the threshold.
    BelowThreshold {
        /// The threshold.
        needed: usize,
        /// Distinct pinned certificates with good signatures.
        got: usize,
    },
}

/// A pinned signer that made a good signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// Primary fingerprint of the certificate.
    pub cert: Fingerprint,
    /// The (sub)key that signed.
    pub key: Fingerprint,
    /// When the signature was made.
    pub created: SystemTime,
}

/// The outcome of verifying one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// At least `threshold` distinct pinned certificates signed; the signers in file order.
    Verified(Vec<Signer>),
    /// Rejected, and why.
    Rejected(Reason),
}

/// The verdict on one file: the outcome and what each signature did.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Verified or rejected.
    pub outcome: Outcome,
    /// The threshold that applied.
    pub threshold: usize,
    /// One entry per signature packet, in file order.
    pub signatures: Vec<SignatureReport>,
    /// Accepted, but worth knowing (also collected from the signatures).
    pub warnings: Vec<String>,
    /// Set when the file verified only through a recorded exception ([`Exception`]).
    pub accepted: Option<Accepted>,
}

impl Verdict {
    /// True when the file verified.
    pub fn is_verified(&self) -> bool {
        matches!(self.outcome, Outcome::Verified(_))
    }

    /// The signers, empty when rejected.
    pub fn signers(&self) -> &[Signer] {
        match &self.outcome {
            Outcome::Verified(s) => s,
            Outcome::Rejected(_) => &[],
        }
    }

    /// One line: what was decided and why.
    pub fn summary(&self) -> String {
        match &self.outcome {
            Outcome::Verified(signers) => {
                let who: Vec<String> = signers.iter().map(|s| s.cert.to_hex()).collect();
                let report = self.signatures.iter().find(|r| {
                    r.status == Status::Good
                        && r.certificate.as_deref() == who.first().map(|s| s.as_str())
                });
                let uid = report
                    .and_then(|r| r.user_id.as_deref())
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default();
                if who.len() == 1 {
                    format!("good signature by pinned key {}{uid}", who[0])
                } else {
                    format!(
                        "good signatures by {} pinned keys: {}",
                        who.len(),
                        who.join(", ")
                    )
                }
            }
            Outcome::Rejected(Reason::NotASignature(msg)) => msg.clone(),
            Outcome::Rejected(Reason::BelowThreshold { needed, got }) => format!(
                "only {got} pinned key(s) made a good signature, {needed} required (threshold)"
            ),
            Outcome::Rejected(Reason::NoGoodSignature) => match self.signatures.as_slice() {
                [one] => one.reason.clone(),
                many => {
                    let parts: Vec<String> = many
                        .iter()
                        .enumerate()
                        .map(|(i, r)| format!("signature {}: {}", i + 1, r.reason))
                        .collect();
                    format!("no signature by a pinned key: {}", parts.join("; "))
                }
            },
        }
    }

    /// A fix, when the rejection has an obvious one; `FILE` and `WATCH` stand for the file
    /// and its watch file (see [`Verdict::hint_for`]).
    pub fn hint(&self) -> Option<String> {
        self.hint_for("FILE", None)
    }

    /// A fix for the rejection of `file`, checked with the watch file `watch` when known: the
    /// next step for the refusals a user can act on, never a bare "no public key".
    pub fn hint_for(&self, file: &str, watch: Option<&str>) -> Option<String> {
        if self.is_verified() {
            return None;
        }
        let find = |status: Status| self.signatures.iter().find(|r| r.status == status);
        if let Some(r) = find(Status::Unpinned) {
            return Some(format!(
                "if {} is allowed to sign this project, pin its fingerprint {} (verify it with upstream first)",
                r.user_id.as_deref().unwrap_or("that key"),
                r.certificate.as_deref().unwrap_or("?")
            ));
        }
        if let Some(r) = find(Status::WeakHash).filter(|r| r.hash_algorithm == "SHA1") {
            let watch = watch.unwrap_or("WATCH");
            return Some(format!(
                "{file} was signed by pinned key {} with SHA-1, which collisions have broken for data. \
                 Check these bytes another way (e.g. compare them with the tarball your distribution already ships), \
                 then accept exactly them: sigwatch accept {file} --watch {watch} --reason \"…\"; \
                 and ask upstream to sign releases with SHA-256 (gpg --digest-algo SHA256)",
                r.key.as_deref().unwrap_or("?")
            ));
        }
        if let Some(r) = find(Status::KeyExpired) {
            return Some(format!(
                "the keyring's copy of {} says the key had expired when {file} was signed; \
                 if upstream has extended the expiry since, fetch the update: `sigwatch keys refresh` \
                 (with a [keys] refresh entry) or upstream's current key file; \
                 otherwise ask upstream to extend the key's expiry (gpg --quick-set-expire) and publish it, or to sign with a valid key",
                r.certificate
                    .as_deref()
                    .or(r.key.as_deref())
                    .unwrap_or("the pinned key")
            ));
        }
        if let Some(r) = find(Status::MissingKey) {
            let issuer = r.issuer.as_deref().unwrap_or("an unnamed key");
            return Some(format!(
                "find the certificate holding {issuer} where upstream publishes its keys \
                 (a KEYS file or signing-key page beside the releases, or WKD: `gpg --locate-keys USER@DOMAIN`), \
                 check with upstream that it is theirs, then add it to the keyring and pin its full fingerprint"
            ));
        }
        None
    }

    /// When every signature is bad over a compressed file: upstream may sign the uncompressed
    /// content (`foo.tar.sign` over `foo.tar`, shipped as `foo.tar.xz`). `how` says how to
    /// check that (the `verify` flag or the watch-file field).
    pub fn decompress_hint(&self, file: &str, format: Format, how: &str) -> Option<String> {
        let all_bad = !self.signatures.is_empty()
            && self
                .signatures
                .iter()
                .all(|r| r.status == Status::BadSignature);
        (all_bad && !self.is_verified()).then(|| {
            format!(
                "{file} is {format}-compressed: if upstream signs the uncompressed content \
                 (a foo.tar.sign or foo.tar.asc over foo.tar), check the signature over the decompressed stream: {how}"
            )
        })
    }

    pub(super) fn rejected(reason: Reason, threshold: usize) -> Verdict {
        Verdict {
            outcome: Outcome::Rejected(reason),
            threshold,
            signatures: Vec::new(),
            warnings: Vec::new(),
            accepted: None,
        }
    }
}
