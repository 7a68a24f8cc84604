//! Digests: lowercase hex, streaming hashers, and the reader that overlaps reading with hashing.
//!
//! Fetching, verification and the page cache all hash bytes; this is the one place that knows how.

use std::io::{self, Read};

use sha2::Digest as _;

/// Size of the buffer data is streamed through.
pub const CHUNK: usize = 256 * 1024;

/// Something that consumes a stream of bytes chunk by chunk (hash contexts, proofs in progress).
///
/// A download that restarts from byte zero (a retry) calls [`Consume::reset`].
pub trait Consume {
    /// Feeds the next chunk.
    fn update(&mut self, chunk: &[u8]);
    /// Forgets everything fed so far.
    fn reset(&mut self);
}

/// A digest algorithm of a checksum line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algo {
    /// SHA-256 (64 hex digits).
    Sha256,
    /// SHA-512 (128 hex digits).
    Sha512,
}

impl Algo {
    /// "sha256" or "sha512".
    pub fn name(self) -> &'static str {
        match self {
            Algo::Sha256 => "sha256",
            Algo::Sha512 => "sha512",
        }
    }

    /// The algorithm whose hex digest has `len` digits.
    pub fn for_hex_len(len: usize) -> Option<Algo> {
        match len {
            64 => Some(Algo::Sha256),
            128 => Some(Algo::Sha512),
            _ => None,
        }
    }
}

/// A running SHA-256 or SHA-512.
#[derive(Clone)]
pub enum Hasher {
    /// SHA-256.
    Sha256(sha2::Sha256),
    /// SHA-512.
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// A fresh hasher for `algo`.
    pub fn new(algo: Algo) -> Hasher {
        match algo {
            Algo::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            Algo::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
        }
    }

    /// Its algorithm.
    pub fn algo(&self) -> Algo {
        match self {
            Hasher::Sha256(_) => Algo::Sha256,
            Hasher::Sha512(_) => Algo::Sha512,
        }
    }

    /// The digest of everything fed so far, lowercase hex.
    pub fn hex(&self) -> String {
        match self {
            Hasher::Sha256(h) => hex(&h.clone().finalize()),
            Hasher::Sha512(h) => hex(&h.clone().finalize()),
        }
    }
}

impl Consume for Hasher {
    fn update(&mut self, chunk: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(chunk),
            Hasher::Sha512(h) => h.update(chunk),
        }
    }

    fn reset(&mut self) {
        *self = Hasher::new(self.algo());
    }
}

/// The SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&sha2::Sha256::digest(bytes))
}

/// Hex digest of everything `reader` yields, streamed.
pub fn digest_reader<R: Read + Send>(reader: R, algo: Algo) -> io::Result<String> {
    let mut hasher = Hasher::new(algo);
    read_overlapped(reader, |chunk| hasher.update(chunk))?;
    Ok(hasher.hex())
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Streams `reader` to `each` in fixed-size chunks, reading the next chunk on another thread
/// while `each` hashes the current one, so reading overlaps hashing (memory: three chunks).
pub fn read_overlapped<R: Read + Send>(
    mut reader: R,
    mut each: impl FnMut(&[u8]),
) -> io::Result<()> {
    use std::sync::mpsc;
    let (full_tx, full_rx) = mpsc::sync_channel::<(Vec<u8>, usize)>(2);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    for _ in 0..3 {
        empty_tx
            .send(vec![0u8; CHUNK])
            .expect("the receiver is alive");
    }
    std::thread::scope(|scope| {
        let reading = scope.spawn(move || -> io::Result<()> {
            while let Ok(mut buf) = empty_rx.recv() {
                let n = loop {
                    match reader.read(&mut buf) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        other => break other?,
                    }
                };
                if n == 0 || full_tx.send((buf, n)).is_err() {
                    break;
                }
            }
            Ok(())
        });
        for (buf, n) in full_rx.iter() {
            each(&buf[..n]);
            // The reader may have finished; then the buffer is simply dropped.
            let _ = empty_tx.send(buf);
        }
        drop(empty_tx);
        reading.join().expect("the reading thread does not panic")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashers_match_known_digests_and_reset() {
        let mut h = Hasher::new(Algo::Sha256);
        h.update(b"garbage");
        h.reset();
        h.update(b"abc");
        assert_eq!(
            h.hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(sha256_hex(b"abc"), h.hex());
        let data = vec![7u8; 3 * CHUNK + 11];
        assert_eq!(
            digest_reader(&data[..], Algo::Sha512).unwrap(),
            hex(&sha2::Sha512::digest(&data))
        );
    }
}
