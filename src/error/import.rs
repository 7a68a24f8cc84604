//! The importers' boundary: packaging (debian/, PKGBUILD, .SRCINFO) that cannot be read or
//! translated. Every import error is configuration (exit 2): a human must finish the job.

use std::path::PathBuf;

use super::{Boundary, Kind};

/// Packaging an importer cannot use, naming the file (and line, where known).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A packaging file cannot be read.
    #[error("{}: cannot read: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said (shown in the message, so not also a `source()`).
        error: std::io::Error,
        /// What the importer needs instead.
        hint: &'static str,
    },
    /// A packaging file does not parse.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The line, where the parser says.
        line: Option<usize>,
        /// The parser's words.
        message: String,
        /// How to fix it, if known.
        hint: Option<&'static str>,
    },
    /// The packaging parses but lacks what the translation needs (a name, an entry).
    #[error("{}: {problem}", path.display())]
    Package {
        /// The file or directory at fault.
        path: PathBuf,
        /// What is missing or wrong.
        problem: String,
        /// What to do, if anything.
        hint: Option<&'static str>,
    },
}

impl Boundary for ImportError {
    fn kind(&self) -> Kind {
        Kind::Config
    }

    fn next_step(&self) -> Option<&str> {
        match self {
            ImportError::Read { hint, .. } => Some(hint),
            ImportError::Syntax { hint, .. } | ImportError::Package { hint, .. } => *hint,
        }
    }
}
