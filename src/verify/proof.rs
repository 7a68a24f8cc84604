//! Proofs: why a file is trusted, checked while its bytes stream past.
//!
//! A [`Proof`] is one reason to trust a file — a detached OpenPGP signature over it, or its
//! line in a checksum file whose own signature verified (and, next, a Sigstore bundle).
//! [`Proof::start`] gives a [`Proving`] that consumes the file's bytes chunk by chunk (from a
//! download or a file on disk: the caller streams, this module never does I/O of its own)
//! and [`Proving::finish`] gives the same [`Proven`] for every kind of proof: the file's
//! sha256 and a [`Verdict`].

use std::io::{self, Read};

use super::{Checker, Pending, Verdict};
use crate::base::decompress::{self, Decompressed, Format};
use crate::base::digest::{Algo, Consume, Hasher, read_overlapped};

/// Why a file is trusted.
#[derive(Debug, Clone, Copy)]
pub enum Proof<'a> {
    /// A detached OpenPGP signature over the file's bytes (armored or binary).
    Detached(&'a [u8]),
    /// The file's line in a checksum file; `verdict` is the checksum file's own verdict.
    ChecksumLine {
        /// The line's algorithm.
        algo: Algo,
        /// The line's digest, lowercase hex.
        expected: &'a str,
        /// The verdict on the checksum file's signature.
        verdict: &'a Verdict,
    },
}

/// A digest compared against a signed checksum line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineCheck {
    /// The line's algorithm.
    pub algo: Algo,
    /// What the signed line says.
    pub expected: String,
    /// What the bytes hash to.
    pub actual: String,
}

impl LineCheck {
    /// Whether the bytes match the line.
    pub fn matches(&self) -> bool {
        self.expected == self.actual
    }
}

/// What a proof concluded about the bytes it saw.
#[derive(Debug, Clone)]
pub struct Proven {
    /// sha256 of the bytes, lowercase hex (for the history and the index's digest).
    pub sha256: String,
    /// The signature verdict: over the file itself, or over its checksum file.
    pub verdict: Verdict,
    /// For a checksum line: the digest comparison.
    pub line: Option<LineCheck>,
    /// Set when the proof was checked over the file's decompressed content (the signature
    /// covers `foo.tar`, the file is `foo.tar.xz`); `sha256` is still the file's own.
    pub decompressed: Option<Format>,
    /// With `decompressed`: the sha256 of the decompressed content, which is what the
    /// signature covers and what a recorded exception (`[[accept]]`) names.
    pub content_sha256: Option<String>,
}

impl Proven {
    /// Whether the file is trusted: a verified signature and, for a checksum line, a match.
    pub fn is_trusted(&self) -> bool {
        self.verdict.is_verified() && self.line.as_ref().is_none_or(LineCheck::matches)
    }
}

/// A proof in progress: feed it the file's bytes, then [`Proving::finish`].
pub struct Proving<'c> {
    checker: &'c Checker<'c>,
    state: State<'c>,
}

enum State<'c> {
    Detached {
        signature: &'c [u8],
        pending: Pending,
    },
    Line {
        // Boxed: two SHA-512 states would make every `Proving` large.
        line: Box<Hasher>,
        sha256: Option<Box<Hasher>>,
        expected: &'c str,
        verdict: &'c Verdict,
    },
}

impl<'a> Proof<'a> {
    /// Starts checking this proof with `checker`'s pins and policy.
    pub fn start<'c>(self, checker: &'c Checker<'c>) -> Proving<'c>
    where
        'a: 'c,
    {
        let state = match self {
            Proof::Detached(signature) => State::Detached {
                signature,
                pending: checker.start_with_sha256(signature),
            },
            Proof::ChecksumLine {
                algo,
                expected,
                verdict,
            } => State::Line {
                line: Box::new(Hasher::new(algo)),
                sha256: (algo != Algo::Sha256).then(|| Box::new(Hasher::new(Algo::Sha256))),
                expected,
                verdict,
            },
        };
        Proving { checker, state }
    }

    /// Checks this proof over everything `reader` yields (a file on disk), streamed.
    pub fn check_reader<'c, R: Read + Send>(
        self,
        checker: &'c Checker<'c>,
        reader: R,
    ) -> io::Result<Proven>
    where
        'a: 'c,
    {
        let mut proving = self.start(checker);
        read_overlapped(reader, |chunk| proving.update(chunk))?;
        Ok(proving.finish())
    }

    /// Checks this proof over the decompressed content of `reader` (a compressed file on
    /// disk; the format comes from its first bytes), streamed: decoding on one thread while
    /// the proof hashes on this one. The [`Proven`]'s `sha256` is the compressed file's, as
    /// downloaded; a corrupt stream, or bytes after its end, is an error, never a verdict.
    pub fn check_decompressed<'c, R: Read + Send>(
        self,
        checker: &'c Checker<'c>,
        reader: R,
    ) -> Result<Proven, decompress::Error>
    where
        'a: 'c,
    {
        let mut content = Decompressed::new(reader)?;
        let format = content.format();
        let mut proving = self.start(checker);
        read_overlapped(&mut content, |chunk| proving.update(chunk)).map_err(|e| {
            if e.get_ref()
                .is_some_and(|inner| inner.is::<decompress::Error>())
            {
                let inner = e.into_inner().expect("checked: it has an inner error");
                *inner
                    .downcast::<decompress::Error>()
                    .expect("checked: it is a decompress::Error")
            } else {
                decompress::Error::Io(e)
            }
        })?;
        let mut proven = proving.finish();
        proven.content_sha256 = Some(std::mem::replace(&mut proven.sha256, content.file_sha256()));
        proven.decompressed = Some(format);
        Ok(proven)
    }
}

impl Consume for Proving<'_> {
    fn update(&mut self, chunk: &[u8]) {
        match &mut self.state {
            State::Detached { pending, .. } => pending.update(chunk),
            State::Line { line, sha256, .. } => {
                line.update(chunk);
                if let Some(h) = sha256 {
                    h.update(chunk);
                }
            }
        }
    }

    fn reset(&mut self) {
        match &mut self.state {
            State::Detached { signature, pending } => {
                *pending = self.checker.start_with_sha256(signature);
            }
            State::Line { line, sha256, .. } => {
                line.reset();
                if let Some(h) = sha256 {
                    h.reset();
                }
            }
        }
    }
}

impl Proving<'_> {
    /// Judges the bytes fed so far.
    pub fn finish(self) -> Proven {
        match self.state {
            State::Detached { pending, .. } => Proven {
                sha256: pending.sha256().expect("started with a SHA-256 slot"),
                verdict: self.checker.finish(pending),
                line: None,
                decompressed: None,
                content_sha256: None,
            },
            State::Line {
                line,
                sha256,
                expected,
                verdict,
            } => {
                let actual = line.hex();
                Proven {
                    sha256: sha256.map_or_else(|| actual.clone(), |h| h.hex()),
                    verdict: verdict.clone(),
                    line: Some(LineCheck {
                        algo: line.algo(),
                        expected: expected.to_string(),
                        actual,
                    }),
                    decompressed: None,
                    content_sha256: None,
                }
            }
        }
    }
}
