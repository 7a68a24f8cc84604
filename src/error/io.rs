//! The local disk's boundary: a file sigwatch could not create, write, sync or rename.

use super::{Boundary, Kind};

/// A local I/O failure: the path and the operation, and the system's reason.
///
/// Never configuration: a full disk or a directory sigwatch may not write is the machine's
/// state, and retrying elsewhere may help (exit 3).
#[derive(Debug, thiserror::Error)]
#[error("{what}: {error}")]
pub struct LocalIo {
    /// The path and the operation, e.g. "dist/foo.tar.gz: cannot sync".
    pub what: String,
    /// What the system said (shown in the message, so not also a `source()`: `{:#}`
    /// chains would print it twice).
    pub error: std::io::Error,
}

impl LocalIo {
    /// A failure of the operation `what` (naming the path).
    pub fn new(what: impl std::fmt::Display, error: std::io::Error) -> Self {
        LocalIo {
            what: what.to_string(),
            error,
        }
    }

    /// As [`LocalIo::new`], for an error that is only borrowed (kind and text are kept).
    pub fn copied(what: impl std::fmt::Display, error: &std::io::Error) -> Self {
        Self::new(what, std::io::Error::new(error.kind(), error.to_string()))
    }
}

impl Boundary for LocalIo {
    fn kind(&self) -> Kind {
        Kind::Io
    }

    fn next_step(&self) -> Option<&str> {
        use std::io::ErrorKind::*;
        match self.error.kind() {
            StorageFull | QuotaExceeded => {
                Some("the disk is full: free space there or choose another --dest")
            }
            PermissionDenied | ReadOnlyFilesystem => Some(
                "sigwatch may not write there: check the directory's owner and mode, or choose another --dest",
            ),
            _ => None,
        }
    }
}
