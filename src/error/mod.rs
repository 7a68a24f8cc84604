//! Errors: one type per boundary, one command-level carrier, one mapping to exit codes.
//!
//! A rejected signature is a verdict, not an error (see [`crate::verify::Verdict`]). The
//! errors here are the other outcomes: bad configuration, an unreachable source, and the
//! verification failures of `fetch` that happen before a verdict exists (digest mismatch,
//! missing signature, rollback).
//!
//! Each boundary has its own error type, which keeps its context (file, field, URL, path)
//! and its hint: [`WatchError`] (a watch file), [`NetError`] (the network), [`VerifyError`]
//! (refusals before or beside a verdict), [`ImportError`] (packaging read by the importers)
//! and [`LocalIo`] (the local disk). Each says which [`Kind`] it is ([`Boundary::kind`]);
//! [`Kind::exit`] alone turns kinds into exit codes. Commands carry every error as a
//! [`Failure`] (kind, message, hint), which each boundary error converts into, so `?` works
//! across boundaries. They live here, not in their modules, so that [`kind_of`] can find
//! them under `anyhow` context without this module importing the stages above it.

mod import;
mod io;
mod net;
mod verify;
mod watch;

use std::fmt;

use serde::Serialize;

use crate::exit::Exit;

pub use import::ImportError;
pub use io::LocalIo;
pub use net::NetError;
pub use verify::VerifyError;
pub use watch::WatchError;

/// An error at one of sigwatch's boundaries: what kind of failure it is, and the next step.
pub trait Boundary: std::error::Error + Send + Sync + 'static {
    /// The kind, which chooses the exit code ([`Kind::exit`]) and `error.kind` in JSON.
    fn kind(&self) -> Kind;
    /// One line saying what to do about it, where the user can do something.
    fn next_step(&self) -> Option<&str>;
}

impl<E: Boundary> From<E> for Failure {
    fn from(err: E) -> Failure {
        Failure {
            kind: err.kind(),
            message: err.to_string(),
            hint: err.next_step().map(str::to_owned),
        }
    }
}

/// The boundary error an error is, if it is one.
fn as_boundary<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a dyn Boundary> {
    if let Some(e) = e.downcast_ref::<WatchError>() {
        Some(e)
    } else if let Some(e) = e.downcast_ref::<NetError>() {
        Some(e)
    } else if let Some(e) = e.downcast_ref::<VerifyError>() {
        Some(e)
    } else if let Some(e) = e.downcast_ref::<ImportError>() {
        Some(e)
    } else if let Some(e) = e.downcast_ref::<LocalIo>() {
        Some(e)
    } else {
        None
    }
}

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
    LocalIo::copied(what, err).into()
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

/// The kind of an error: the first [`Failure`] or boundary error in its chain, else
/// configuration.
///
/// Untagged errors come from reading local files and arguments, which is configuration.
pub fn kind_of(err: &anyhow::Error) -> Kind {
    err.chain()
        .find_map(|e| match e.downcast_ref::<Failure>() {
            Some(f) => Some(f.kind),
            None => as_boundary(e).map(Boundary::kind),
        })
        .unwrap_or(Kind::Config)
}

/// The hint of an error, if any [`Failure`] or boundary error in its chain has one.
pub fn hint_of(err: &anyhow::Error) -> Option<&str> {
    err.chain().find_map(|e| match e.downcast_ref::<Failure>() {
        Some(f) => f.hint.as_deref(),
        None => as_boundary(e).and_then(Boundary::next_step),
    })
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
        // The system's words are in the message once, not again as a `source()` under `{:#}`.
        let err = anyhow::Error::from(LocalIo::new(
            "d/x: cannot sync",
            os(std::io::ErrorKind::StorageFull),
        ));
        assert_eq!(one_line(&err), "d/x: cannot sync: no storage space");
        let err = anyhow::Error::from(ImportError::Read {
            path: "debian/watch".into(),
            error: os(std::io::ErrorKind::NotFound),
            hint: "h",
        });
        assert_eq!(
            one_line(&err),
            "debian/watch: cannot read: entity not found"
        );
        assert_eq!(kind_of(&anyhow::anyhow!("plain")), Kind::Config);
    }

    /// The exit code a boundary error ends a run with, through [`Failure`] as commands do.
    fn code(err: impl Boundary) -> u8 {
        Failure::from(err).kind.exit().code()
    }

    fn os(kind: std::io::ErrorKind) -> std::io::Error {
        std::io::Error::from(kind)
    }

    #[test]
    fn every_boundary_error_maps_to_its_exit_code() {
        use crate::base::url::Refusal;
        use reqwest::StatusCode;
        use std::io::ErrorKind::{NotFound, PermissionDenied, StorageFull};
        use std::path::PathBuf;
        let file = || PathBuf::from("w.toml");
        let url = || "https://example.org/x".to_string();

        // A watch file is configuration, whatever is wrong with it (2).
        for e in [
            WatchError::Read {
                file: file(),
                error: os(NotFound),
            },
            WatchError::Syntax {
                file: file(),
                line: Some(3),
                message: "expected `=`".into(),
            },
            WatchError::field(file(), "keys.fingerprints[0]", "short".into()),
            WatchError::Missing {
                path: file(),
                problem: "no such watch file or directory",
            },
        ] {
            assert_eq!(code(e), 2);
        }

        // The network is 3; a refused URL is 3 unless it is no URL at all (2); a size
        // that contradicts the index is a refusal (1); a disk that cannot take the
        // download is local I/O (3), never configuration.
        let net = [
            (
                NetError::Policy {
                    url: url(),
                    refusal: Refusal::PlainHttp,
                },
                3,
            ),
            (
                NetError::Policy {
                    url: "::".into(),
                    refusal: Refusal::Invalid("relative URL".into()),
                },
                2,
            ),
            (
                NetError::Status {
                    url: url(),
                    status: StatusCode::BAD_GATEWAY,
                },
                3,
            ),
            (
                NetError::NoProject {
                    url: url(),
                    status: StatusCode::NOT_FOUND,
                },
                3,
            ),
            (
                NetError::Transfer {
                    url: url(),
                    cause: "the connection closed after 1 of 2 bytes".into(),
                },
                3,
            ),
            (
                NetError::Size {
                    url: url(),
                    mismatch: "received 1 bytes, but the index says the file has 2".into(),
                },
                1,
            ),
            (
                NetError::Store(LocalIo::new(
                    "x: cannot store the download",
                    os(StorageFull),
                )),
                3,
            ),
        ];
        for (e, expected) in net {
            let shown = e.to_string();
            assert_eq!(code(e), expected, "{shown}");
        }

        // Every refusal of verification is 1.
        for e in [
            VerifyError::rejected("x.tar.gz", "signed by an unpinned key"),
            VerifyError::Digest {
                what: url(),
                mismatch: "sha256 a does not match the index's b".into(),
                hint: None,
            },
            VerifyError::MissingSignature {
                what: "x.tar.gz".into(),
                problem: "no signature found".into(),
                tried: vec![url()],
                hint: None,
            },
            VerifyError::Rollback {
                version: "1.0".into(),
                newest: "2.0".into(),
                lock: file(),
            },
            VerifyError::Reuploaded {
                file: "x.tar.gz".into(),
                recorded: "2026-01-01".into(),
                old_sha256: "a".into(),
                sha256: "b".into(),
                lock: file(),
            },
            VerifyError::Replayed {
                file: "x-2.tar.gz".into(),
                version: "2".into(),
                sha256: "a".into(),
                old_file: "x-1.tar.gz".into(),
                old_version: "1".into(),
                recorded: "2026-01-01".into(),
            },
        ] {
            assert_eq!(code(e), 1);
        }

        // A keyring the user named that cannot be used is configuration, not a refusal.
        assert_eq!(
            code(VerifyError::keyring(file(), "no OpenPGP certificate found")),
            2
        );

        // The importers: a human must finish the job (2), never 1 (nothing was verified).
        for e in [
            ImportError::Read {
                path: file(),
                error: os(NotFound),
                hint: "h",
            },
            ImportError::Syntax {
                path: file(),
                line: Some(1),
                message: "unterminated quote".into(),
                hint: None,
            },
            ImportError::Package {
                path: file(),
                problem: "no watch entry".into(),
                hint: None,
            },
        ] {
            assert_eq!(code(e), 2);
        }

        // The local disk is 3, with a hint for a full disk and a refused directory.
        let full = Failure::from(LocalIo::new("d/x: cannot sync", os(StorageFull)));
        assert_eq!(
            (full.kind.exit().code(), full.message.as_str()),
            (3, "d/x: cannot sync: no storage space")
        );
        assert!(full.hint.is_some_and(|h| h.contains("disk is full")));
        assert!(
            Failure::from(LocalIo::new("d", os(PermissionDenied)))
                .hint
                .is_some()
        );
        assert!(
            Failure::from(LocalIo::new("d", os(NotFound)))
                .hint
                .is_none()
        );
    }

    #[test]
    fn boundary_errors_keep_kind_and_hint_under_anyhow_context() {
        let err = anyhow::Error::from(
            WatchError::field(
                "w.toml",
                "keys.fingerprints[0]",
                "\"3372DCFA\" is a short key ID".into(),
            )
            .hint("pin the full fingerprint"),
        )
        .context("checking w.toml");
        assert_eq!(kind_of(&err), Kind::Config);
        assert_eq!(hint_of(&err), Some("pin the full fingerprint"));
        let f = Failure::from(err);
        assert_eq!(
            f.message,
            "checking w.toml: watch file w.toml: keys.fingerprints[0]: \"3372DCFA\" is a short key ID"
        );
        let err = anyhow::Error::from(NetError::Status {
            url: "https://example.org/x".into(),
            status: reqwest::StatusCode::SERVICE_UNAVAILABLE,
        });
        assert_eq!(kind_of(&err), Kind::Network);
        assert_eq!(
            one_line(&err),
            "https://example.org/x: HTTP 503 Service Unavailable"
        );
    }
}
