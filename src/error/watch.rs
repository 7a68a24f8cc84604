//! The watch file's boundary: a file that cannot be read, parsed or validated.

use std::path::PathBuf;

use super::{Boundary, Kind};

/// The hint for a watch file that is not TOML or not a watch file's shape.
const SYNTAX_HINT: &str = "`sigwatch add --dry-run …` prints a complete watch file to start from; README lists every field";

/// A watch file that cannot be used, naming the file and, where one is at fault, the field.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The file cannot be read.
    #[error("watch file {}: cannot read: {error}", file.display())]
    Read {
        /// The watch file.
        file: PathBuf,
        /// What the system said (shown in the message, so not also a `source()`).
        error: std::io::Error,
    },
    /// Not TOML, or not a watch file's shape (unknown or mistyped field).
    #[error("watch file {}{}: {message}", file.display(), line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Syntax {
        /// The watch file.
        file: PathBuf,
        /// The line the parser stopped at, if it says.
        line: Option<usize>,
        /// The parser's words.
        message: String,
    },
    /// A field's value is refused.
    #[error("watch file {}: {field}: {message}", file.display())]
    Field {
        /// The watch file.
        file: PathBuf,
        /// The field, as written in the file (`keys.fingerprints[0]`).
        field: String,
        /// What is wrong with it.
        message: String,
        /// What to write instead.
        hint: Option<String>,
    },
    /// A directory of watch files cannot be listed.
    #[error("{}: cannot list: {error}", dir.display())]
    List {
        /// The directory.
        dir: PathBuf,
        /// What the system said (shown in the message, so not also a `source()`).
        error: std::io::Error,
    },
    /// A path argument names no watch file, or a directory holding none.
    #[error("{}: {problem}", path.display())]
    Missing {
        /// The path as given.
        path: PathBuf,
        /// Why it holds no watch file.
        problem: &'static str,
    },
}

impl WatchError {
    /// A refused field of `file`.
    pub fn field(file: impl Into<PathBuf>, field: &str, message: String) -> Self {
        WatchError::Field {
            file: file.into(),
            field: field.to_string(),
            message,
            hint: None,
        }
    }

    /// Adds a hint to a refused field (other errors have fixed hints, or none).
    pub fn hint(mut self, text: impl Into<String>) -> Self {
        if let WatchError::Field { hint, .. } = &mut self {
            *hint = Some(text.into());
        }
        self
    }
}

impl Boundary for WatchError {
    fn kind(&self) -> Kind {
        Kind::Config
    }

    fn next_step(&self) -> Option<&str> {
        match self {
            WatchError::Syntax { .. } => Some(SYNTAX_HINT),
            WatchError::Field { hint, .. } => hint.as_deref(),
            _ => None,
        }
    }
}
