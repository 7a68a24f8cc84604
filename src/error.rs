//! Failure kinds shared by every command, and their exit codes.
//!
//! A rejected signature is a verdict, not an error (see [`crate::verify::Verdict`]). The
//! errors here are the other outcomes: bad configuration, an unreachable source, and the
//! verification failures of `fetch` that happen before a verdict exists (digest mismatch,
//! missing signature, rollback). Each carries a [`Kind`] that decides the exit code.

use std::fmt;

use serde::Serialize;

use crate::exit::Exit;

/// What went wrong, coarse enough to choose an exit code and stable enough for JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A signature was rejected: bad, unpinned, expired, revoked, weak, missing, below threshold.
    Verification,
    /// The artifact's bytes do not match what the index or a checksum file says.
    Digest,
    /// No signature at any of the signature URLs.
    MissingSignature,
    /// A release older than the newest recorded one (refused unless `--allow-downgrade`).
    Rollback,
    /// A recorded file name now has different content.
    Reuploaded,
    /// Content already recorded for another release offered again under a new name.
    Replayed,
    /// Usage or configuration: watch files, keyrings, pins, command-line arguments.
    Config,
    /// The network failed: unreachable host, timeout, HTTP error, TLS, size cap.
    Network,
    /// The source answered but gave nothing usable: no matching release, malformed index.
    Source,
    /// The local disk: cannot create, write, sync or rename a file (disk full, permissions).
    Io,
}

impl Kind {
    /// The exit this kind ends a run with.
    pub fn exit(self) -> Exit {
        match self {
            Kind::Verification
            | Kind::MissingSignature
            | Kind::Digest
            | Kind::Rollback
            | Kind::Reuploaded
            | Kind::Replayed => Exit::Refused,
            Kind::Config => Exit::Usage,
            Kind::Network | Kind::Source | Kind::Io => Exit::Unavailable,
        }
    }

    /// The name used in JSON (`error.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Verification => "verification",
            Kind::Digest => "digest",
            Kind::MissingSignature => "missing_signature",
            Kind::Rollback => "rollback",
            Kind::Reuploaded => "reuploaded",
            Kind::Replayed => "replayed",
            Kind::Config => "config",
            Kind::Network => "network",
            Kind::Source => "source",
            Kind::Io => "io",
        }
    }
}

/// An error with a kind and, where the user can fix it, a hint saying how.
#[derive(Debug)]
pub struct Failure {
    /// What kind of failure this is.
    pub kind: Kind,
    /// One line: what went wrong and where (file, field, URL).
    pub message: String,
    /// One line: what to do about it.
    pub hint: Option<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl Failure {
    /// A failure of `kind` with a message.
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a hint line.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl From<anyhow::Error> for Failure {
    /// Keeps the innermost [`Failure`]'s kind and hint and the whole context chain as the
    /// message. Errors nobody tagged come from reading local files and arguments that the
    /// user named (keyrings, watch files): configuration.
    fn from(err: anyhow::Error) -> Failure {
        Failure {
            kind: kind_of(&err),
            message: one_line(&err),
            hint: hint_of(&err).map(str::to_owned),
        }
    }
}

/// A configuration error (exit 2).
pub fn config(message: impl Into<String>) -> Failure {
    Failure::new(Kind::Config, message)
}

/// A network error (exit 3).
pub fn network(message: impl Into<String>) -> Failure {
    Failure::new(Kind::Network, message)
}

/// A source error (exit 3).
pub fn source(message: impl Into<String>) -> Failure {
    Failure::new(Kind::Source, message)
}

/// A local I/O failure (exit 3): `what` names the path and the operation.
pub fn io(what: impl std::fmt::Display, err: &std::io::Error) -> Failure {
    let failure = Failure::new(Kind::Io, format!("{what}: {err}"));
    match err.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            failure.hint("the disk is full: free space there or choose another --dest")
        }
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
            failure.hint("sigwatch may not write there: check the directory's owner and mode, or choose another --dest")
        }
        _ => failure,
    }
}

/// A verification failure (exit 1).
pub fn verification(message: impl Into<String>) -> Failure {
    Failure::new(Kind::Verification, message)
}

/// A file to be checked over its decompressed content that does not decompress. `file`
/// names it; `switch` is what asked for decompression (`--decompress`, or the watch file's
/// `[signature] decompress = true`).
pub fn decompression(file: &str, switch: &str, err: crate::base::decompress::Error) -> Failure {
    use crate::base::decompress::Error as E;
    match err {
        E::NotCompressed { .. } => verification(format!(
            "{file}: {switch} says the signature covers the decompressed content, but {err}; nothing was verified"
        ))
        .hint(format!(
            "if upstream signs the file as served (foo.tar.gz.asc over foo.tar.gz), drop {switch}"
        )),
        E::Corrupt { .. } => verification(format!("{file}: {err}; nothing was verified")).hint(
            "the file is damaged or was altered: download it again, and compare it with the digest upstream publishes",
        ),
        E::Io(e) => io(format_args!("{file}: cannot read"), &e),
    }
}

/// The kind of an error: the innermost [`Failure`] in its chain, else configuration.
///
/// Untagged errors come from reading local files and arguments, which is configuration.
pub fn kind_of(err: &anyhow::Error) -> Kind {
    failure_of(err).map(|f| f.kind).unwrap_or(Kind::Config)
}

/// The first [`Failure`] in an error's chain.
pub fn failure_of(err: &anyhow::Error) -> Option<&Failure> {
    err.chain().find_map(|e| e.downcast_ref::<Failure>())
}

/// The hint of an error, if any [`Failure`] in its chain has one.
pub fn hint_of(err: &anyhow::Error) -> Option<&str> {
    err.chain()
        .filter_map(|e| e.downcast_ref::<Failure>())
        .find_map(|f| f.hint.as_deref())
}

/// One line for an error: its context chain joined with ": ".
pub fn one_line(err: &anyhow::Error) -> String {
    format!("{err:#}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_is_found_under_context() {
        let err = anyhow::Error::from(network("connection refused")).context("fetching x");
        assert_eq!(kind_of(&err), Kind::Network);
        assert_eq!(kind_of(&anyhow::anyhow!("plain")), Kind::Config);
    }
}
