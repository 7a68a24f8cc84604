//! Proofs: why a file is trusted, checked while its bytes stream past.
//!
//! A [`Proof`] is one reason to trust a file — a detached OpenPGP signature over it, its line
//! in a checksum file whose own signature verified, or a Sigstore bundle (or PEP 740
//! attestation) about it. [`Proof::start`] gives a [`Proving`] that consumes the file's bytes
//! chunk by chunk (from a download or a file on disk: the caller streams, this module never
//! does I/O of its own) and [`Proving::finish`] gives the same [`Proven`] for every kind of
//! proof: the file's sha256 and a [`Judgement`]. [`Provings`] feeds several proofs of one file
//! at once, when a watch file asks for both OpenPGP and Sigstore.

use std::io::{self, Read};

use sha2::Digest as _;

use super::{Checker, Pending, Verdict, sigstore};
use crate::base::decompress::{self, Decompressed, Format};
use crate::base::digest::{Algo, Consume, Hasher, hex, read_chunks};

/// Why a file is trusted.
#[derive(Clone, Copy)]
pub enum Proof<'a> {
    /// A detached OpenPGP signature over the file's bytes (armored or binary), judged by
    /// `checker`'s pins and policy.
    Detached {
        /// The signature's bytes.
        signature: &'a [u8],
        /// The pins and policy.
        checker: &'a Checker<'a>,
        /// Also compute the file's plain SHA-256 ([`Proven::sha256`]), for a history, an
        /// index digest or an exception; `false` spares a second hash over a large file
        /// signed with SHA-512 when nothing needs it.
        sha256: bool,
    },
    /// The file's line in a checksum file; `verdict` is the checksum file's own verdict.
    ChecksumLine {
        /// The line's algorithm.
        algo: Algo,
        /// The line's digest, lowercase hex.
        expected: &'a str,
        /// The verdict on the checksum file's signature.
        verdict: &'a Verdict,
    },
    /// A Sigstore bundle, PEP 740 attestation or provenance object about the file `name`,
    /// judged by `checker`'s trust root and identity pins (`version` fills `{version}`).
    Sigstore {
        /// The parsed proof.
        proof: &'a sigstore::Proof,
        /// The trust root and pins.
        checker: &'a sigstore::Checker<'a>,
        /// The file's name, as the proof's statement must name it.
        name: &'a str,
        /// The release version.
        version: Option<&'a str>,
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
    /// sha256 of the bytes, lowercase hex (for the history and the index's digest); `None`
    /// only for a detached signature started without it.
    pub sha256: Option<String>,
    /// The proof's judgement.
    pub judgement: Judgement,
    /// Set when the proof was checked over the file's decompressed content (the signature
    /// covers `foo.tar`, the file is `foo.tar.xz`); `sha256` is still the file's own.
    pub decompressed: Option<Format>,
    /// With `decompressed`: the sha256 of the decompressed content, which is what the
    /// signature covers and what a recorded exception (`[[accept]]`) names.
    pub content_sha256: Option<String>,
}

/// The judgement of one proof.
#[derive(Debug, Clone)]
pub enum Judgement {
    /// An OpenPGP verdict: on the file's own signature, or (with `line`) on the checksum file
    /// that lists it.
    OpenPgp {
        /// The signature verdict.
        verdict: Verdict,
        /// For a checksum line: the digest comparison.
        line: Option<LineCheck>,
    },
    /// A Sigstore verdict.
    Sigstore(sigstore::Verdict),
}

impl Proven {
    /// Whether the file is trusted: a verified signature and, for a checksum line, a match.
    pub fn is_trusted(&self) -> bool {
        match &self.judgement {
            Judgement::OpenPgp { verdict, line } => {
                verdict.is_verified() && line.as_ref().is_none_or(LineCheck::matches)
            }
            Judgement::Sigstore(verdict) => verdict.is_verified(),
        }
    }

    /// The OpenPGP verdict, for a detached signature or checksum line.
    pub fn openpgp(&self) -> Option<&Verdict> {
        match &self.judgement {
            Judgement::OpenPgp { verdict, .. } => Some(verdict),
            Judgement::Sigstore(_) => None,
        }
    }

    /// The checksum line comparison, for a checksum line.
    pub fn line(&self) -> Option<&LineCheck> {
        match &self.judgement {
            Judgement::OpenPgp { line, .. } => line.as_ref(),
            Judgement::Sigstore(_) => None,
        }
    }

    /// The Sigstore verdict, for a Sigstore proof.
    pub fn sigstore(&self) -> Option<&sigstore::Verdict> {
        match &self.judgement {
            Judgement::Sigstore(verdict) => Some(verdict),
            Judgement::OpenPgp { .. } => None,
        }
    }
}

/// A proof in progress: feed it the file's bytes, then [`Proving::finish`].
pub struct Proving<'c> {
    state: State<'c>,
}

enum State<'c> {
    Detached {
        signature: &'c [u8],
        checker: &'c Checker<'c>,
        pending: Pending,
    },
    Line {
        // Boxed: two SHA-512 states would make every `Proving` large.
        line: Box<Hasher>,
        sha256: Option<Box<Hasher>>,
        expected: &'c str,
        verdict: &'c Verdict,
    },
    Sigstore {
        proof: &'c sigstore::Proof,
        checker: &'c sigstore::Checker<'c>,
        name: &'c str,
        version: Option<&'c str>,
        sha256: Box<sha2::Sha256>,
    },
}

impl<'a> Proof<'a> {
    /// Starts checking this proof.
    pub fn start(self) -> Proving<'a> {
        let state = match self {
            Proof::Detached {
                signature,
                checker,
                sha256,
            } => State::Detached {
                signature,
                checker,
                pending: if sha256 {
                    checker.start_with_sha256(signature)
                } else {
                    checker.start(signature)
                },
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
            Proof::Sigstore {
                proof,
                checker,
                name,
                version,
            } => State::Sigstore {
                proof,
                checker,
                name,
                version,
                sha256: Box::default(),
            },
        };
        Proving { state }
    }

    /// Checks this proof over everything `reader` yields (a file on disk), streamed.
    pub fn check_reader<R: Read>(self, reader: R) -> io::Result<Proven> {
        let mut proving = self.start();
        read_chunks(reader, |chunk| proving.update(chunk))?;
        Ok(proving.finish())
    }

    /// Checks this proof over the decompressed content of `reader` (a compressed file on
    /// disk; the format comes from its first bytes), streamed: each decoded chunk is hashed
    /// as it comes. The [`Proven`]'s `sha256` is the compressed file's, as
    /// downloaded; a corrupt stream, or bytes after its end, is an error, never a verdict.
    pub fn check_decompressed<R: Read>(self, reader: R) -> Result<Proven, decompress::Error> {
        let mut content = Decompressed::new(reader)?;
        let format = content.format();
        let mut proving = self.start();
        read_chunks(&mut content, |chunk| proving.update(chunk)).map_err(|e| {
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
        proven.content_sha256 = proven.sha256.replace(content.file_sha256());
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
            State::Sigstore { sha256, .. } => sha256.update(chunk),
        }
    }

    fn reset(&mut self) {
        match &mut self.state {
            State::Detached {
                signature,
                checker,
                pending,
            } => {
                *pending = if pending.sha256_slot.is_some() {
                    checker.start_with_sha256(signature)
                } else {
                    checker.start(signature)
                };
            }
            State::Line { line, sha256, .. } => {
                line.reset();
                if let Some(h) = sha256 {
                    h.reset();
                }
            }
            State::Sigstore { sha256, .. } => **sha256 = sha2::Sha256::new(),
        }
    }
}

impl Proving<'_> {
    /// Judges the bytes fed so far.
    pub fn finish(self) -> Proven {
        match self.state {
            State::Detached {
                pending, checker, ..
            } => Proven {
                sha256: pending.sha256(),
                judgement: Judgement::OpenPgp {
                    verdict: checker.finish(pending),
                    line: None,
                },
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
                    sha256: Some(sha256.map_or_else(|| actual.clone(), |h| h.hex())),
                    judgement: Judgement::OpenPgp {
                        verdict: verdict.clone(),
                        line: Some(LineCheck {
                            algo: line.algo(),
                            expected: expected.to_string(),
                            actual,
                        }),
                    },
                    decompressed: None,
                    content_sha256: None,
                }
            }
            State::Sigstore {
                proof,
                checker,
                name,
                version,
                sha256,
            } => {
                let artifact = sigstore::Artifact {
                    name: name.to_string(),
                    sha256: sha256.finalize().into(),
                };
                Proven {
                    sha256: Some(hex(&artifact.sha256)),
                    judgement: Judgement::Sigstore(checker.verify_proof(proof, &artifact, version)),
                    decompressed: None,
                    content_sha256: None,
                }
            }
        }
    }
}

/// Several proofs of one file, fed the same bytes (a watch file with `[keys]` and
/// `[sigstore]`: both must pass).
pub struct Provings<'c>(Vec<Proving<'c>>);

impl<'c> Provings<'c> {
    /// Starts every proof.
    pub fn start(proofs: &[Proof<'c>]) -> Self {
        Provings(proofs.iter().map(|p| p.start()).collect())
    }

    /// Checks every proof over everything `reader` yields, in one pass.
    pub fn check_reader<R: Read>(proofs: &[Proof<'c>], reader: R) -> io::Result<Vec<Proven>> {
        let mut all = Provings::start(proofs);
        read_chunks(reader, |chunk| all.update(chunk))?;
        Ok(all.finish())
    }

    /// Judges the bytes fed so far, one [`Proven`] per proof, in order.
    pub fn finish(self) -> Vec<Proven> {
        self.0.into_iter().map(Proving::finish).collect()
    }
}

impl Consume for Provings<'_> {
    fn update(&mut self, chunk: &[u8]) {
        for p in &mut self.0 {
            p.update(chunk);
        }
    }

    fn reset(&mut self) {
        for p in &mut self.0 {
            p.reset();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use sequoia_openpgp as openpgp;

    use openpgp::cert::CertBuilder;
    use openpgp::serialize::Serialize as _;
    use openpgp::serialize::stream::{Message, Signer};
    use openpgp::types::HashAlgorithm;

    use super::*;
    use crate::verify::{Keyring, Pin};

    /// A fresh key, its keyring and a SHA-512 detached signature over `data`.
    fn signed(data: &[u8]) -> (Keyring, Pin, Vec<u8>) {
        let (cert, _) = CertBuilder::general_purpose(Some("t <t@example.org>"))
            .generate()
            .unwrap();
        let policy = openpgp::policy::StandardPolicy::new();
        let keypair = cert
            .keys()
            .secret()
            .with_policy(&policy, None)
            .for_signing()
            .next()
            .unwrap()
            .key()
            .clone()
            .into_keypair()
            .unwrap();
        let mut signature = Vec::new();
        let mut signer = Signer::new(Message::new(&mut signature), keypair)
            .unwrap()
            .detached()
            .hash_algo(HashAlgorithm::SHA512)
            .unwrap()
            .build()
            .unwrap();
        signer.write_all(data).unwrap();
        signer.finalize().unwrap();
        let mut public = Vec::new();
        cert.serialize(&mut public).unwrap();
        let keyring = Keyring::from_bytes(&public, std::path::Path::new("t.pgp")).unwrap();
        (keyring, Pin(cert.fingerprint()), signature)
    }

    #[test]
    fn detached_proof_hashes_sha256_only_when_asked_and_judges_the_same() {
        let data = b"release bytes".repeat(1000);
        let (keyring, pin, signature) = signed(&data);
        let pins = [pin];
        let checker = Checker::new(&keyring, &pins, 1).unwrap();
        let judge = |sha256| {
            Proof::Detached {
                signature: &signature,
                checker: &checker,
                sha256,
            }
            .check_reader(&data[..])
            .unwrap()
        };
        let with = judge(true);
        let without = judge(false);
        assert!(with.is_trusted() && without.is_trusted());
        assert_eq!(
            with.sha256.as_deref(),
            Some(crate::base::digest::sha256_hex(&data).as_str())
        );
        assert_eq!(without.sha256, None);
    }
}
