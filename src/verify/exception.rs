//! Recorded exceptions: one exact file (by sha256), signed by one pinned certificate, accepted
//! although its signature breaks one waivable rule.
//!
//! Only two rules can be waived, and only for a signature that is cryptographically good and
//! made by a pinned key: a SHA-1 data signature (`weak_hash`) and a key that had expired before
//! it signed (`key_expired`). A bad signature, an unpinned or missing key, a revocation, a weak
//! key or another file's bytes are never waived. The exception is judged by the same
//! [`super::Checker`] that judges every signature, with that one rule switched off for that
//! one signer: anything else wrong with the signature still rejects it.

use std::fmt;

use sequoia_openpgp::Fingerprint;
use serde::Serialize;

/// A rule an exception may waive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The data signature uses SHA-1 (or another broken hash).
    WeakHash,
    /// The key had expired when the signature was made.
    KeyExpired,
}

impl Rule {
    /// Every waivable rule.
    pub const ALL: [Rule; 2] = [Rule::WeakHash, Rule::KeyExpired];

    /// The rule's name in watch files and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::WeakHash => "weak_hash",
            Rule::KeyExpired => "key_expired",
        }
    }

    /// The rule named `name`.
    pub fn parse(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// The signature status this rule produces.
    pub fn status(self) -> super::Status {
        match self {
            Rule::WeakHash => super::Status::WeakHash,
            Rule::KeyExpired => super::Status::KeyExpired,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An exception as recorded in a watch file's `[[accept]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// sha256 of the exact bytes accepted, lowercase hex.
    pub sha256: String,
    /// Primary fingerprint of the pinned certificate whose signature is accepted.
    pub signer: Fingerprint,
    /// The rule waived.
    pub rule: Rule,
    /// Why a human accepted it.
    pub reason: String,
}

/// In a verdict: the exception that made it verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accepted {
    /// The rule waived.
    pub rule: Rule,
    /// Primary fingerprint of the signer.
    pub signer: String,
    /// sha256 of the bytes.
    pub sha256: String,
    /// Why a human accepted it.
    pub reason: String,
}

impl Accepted {
    /// The warning every report of an accepted file carries.
    pub fn warning(&self) -> String {
        let what = match self.rule {
            Rule::WeakHash => "the signature uses SHA-1",
            Rule::KeyExpired => "the key had expired before it signed",
        };
        format!(
            "accepted by exception ({}): {what}; signed by pinned key {}; the watch file accepts exactly these bytes (sha256 {}): {}",
            self.rule, self.signer, self.sha256, self.reason
        )
    }
}
