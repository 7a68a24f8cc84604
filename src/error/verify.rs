//! Verification's boundary: refusals that end a download before or beside a verdict.
//!
//! A rejected signature is a [`crate::verify::Verdict`]; when a command must stop on it,
//! the verdict's summary becomes a [`VerifyError::Rejected`]. The other variants are the
//! refusals that need no signature: the bytes are not the ones the index states, no
//! signature exists, or the lock file's history forbids the release.

use std::path::PathBuf;

use super::{Boundary, Kind};

/// A file refused, naming it and why.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// A signature was judged and refused: bad, unpinned, expired, revoked, weak, below
    /// threshold; or an exception that may not be recorded.
    #[error("{what}: {why}")]
    Rejected {
        /// The file, signature or checksum file judged.
        what: String,
        /// The verdict's summary or the reason.
        why: String,
        /// What to do, if anything.
        hint: Option<String>,
    },
    /// The bytes do not match the digest or size that the index or a checksum file states.
    #[error("{what}: {mismatch}")]
    Digest {
        /// The URL (and, for checksum files, which file said so).
        what: String,
        /// The two values that differ.
        mismatch: String,
        /// What to do, if anything.
        hint: Option<String>,
    },
    /// No signature at any of the places tried.
    #[error("{what}: {problem}; tried {}", tried.join(", "))]
    MissingSignature {
        /// The file (or checksum file) that has none.
        what: String,
        /// What is missing.
        problem: String,
        /// The URLs tried.
        tried: Vec<String>,
        /// Where to look for it.
        hint: Option<String>,
    },
    /// A keyring that cannot be used: unreadable, not OpenPGP, without the pinned keys.
    /// Configuration (exit 2): the user names the keyring.
    #[error("keyring {}: {problem}", path.display())]
    Keyring {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
        /// What to do, if anything.
        hint: Option<String>,
    },
    /// A release older than the newest recorded one.
    #[error("version {version} is older than {newest}, already recorded in {}: refused as a rollback", lock.display())]
    Rollback {
        /// The version offered.
        version: String,
        /// The newest version recorded.
        newest: String,
        /// The lock file.
        lock: PathBuf,
    },
    /// A recorded file name now has different content.
    #[error(
        "{file} was recorded on {recorded} with sha256 {old_sha256}, but now has sha256 {sha256}: the published file was replaced"
    )]
    Reuploaded {
        /// The file name.
        file: String,
        /// When it was recorded.
        recorded: String,
        /// The recorded digest.
        old_sha256: String,
        /// The digest now.
        sha256: String,
        /// The lock file.
        lock: PathBuf,
    },
    /// Content recorded for another release offered again under a new name or version.
    #[error(
        "{file} ({version}) has the same content (sha256 {sha256}) as {old_file} ({old_version}), recorded on {recorded}: an old release offered as a new one is refused"
    )]
    Replayed {
        /// The file name offered.
        file: String,
        /// The version offered.
        version: String,
        /// Its digest.
        sha256: String,
        /// The file recorded with this content.
        old_file: String,
        /// Its version.
        old_version: String,
        /// When it was recorded.
        recorded: String,
    },
}

impl VerifyError {
    /// A refusal of `what` for `why`.
    pub fn rejected(what: impl Into<String>, why: impl Into<String>) -> Self {
        VerifyError::Rejected {
            what: what.into(),
            why: why.into(),
            hint: None,
        }
    }

    /// A keyring at `path` that cannot be used, for `problem`.
    pub fn keyring(path: impl Into<PathBuf>, problem: impl Into<String>) -> Self {
        VerifyError::Keyring {
            path: path.into(),
            problem: problem.into(),
            hint: None,
        }
    }

    /// Adds a hint where the variant has room for one.
    pub fn hint(mut self, text: impl Into<String>) -> Self {
        match &mut self {
            VerifyError::Rejected { hint, .. }
            | VerifyError::Digest { hint, .. }
            | VerifyError::MissingSignature { hint, .. }
            | VerifyError::Keyring { hint, .. } => *hint = Some(text.into()),
            _ => {}
        }
        self
    }
}

impl Boundary for VerifyError {
    fn kind(&self) -> Kind {
        match self {
            VerifyError::Rejected { .. } => Kind::Verification,
            VerifyError::Digest { .. } => Kind::Digest,
            VerifyError::MissingSignature { .. } => Kind::MissingSignature,
            VerifyError::Keyring { .. } => Kind::Config,
            VerifyError::Rollback { .. } => Kind::Rollback,
            VerifyError::Reuploaded { .. } => Kind::Reuploaded,
            VerifyError::Replayed { .. } => Kind::Replayed,
        }
    }

    fn next_step(&self) -> Option<&str> {
        match self {
            VerifyError::Rejected { hint, .. }
            | VerifyError::Digest { hint, .. }
            | VerifyError::MissingSignature { hint, .. }
            | VerifyError::Keyring { hint, .. } => hint.as_deref(),
            VerifyError::Rollback { .. } => {
                Some("pass --allow-downgrade if you really want the older release")
            }
            // The hint names the lock file, so it is made with the message.
            VerifyError::Reuploaded { .. } => None,
            VerifyError::Replayed { .. } => Some(
                "a detached signature does not bind a file name or version; ask upstream why the file was re-published",
            ),
        }
    }
}
