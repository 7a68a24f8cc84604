//! Digests: lowercase hex, streaming hashers, and the chunked reader that feeds them.
//!
//! Fetching, verification and the page cache all hash bytes; this is the one place that knows how.

use std::io::{self, Read};

use sha2::Digest as _;

/// Size of the buffer data is streamed through.
pub const CHUNK: usize = 256 * 1024;

/// Size of the first chunk [`read_chunks`] reads.
pub const FIRST_CHUNK: usize = 16 * 1024;

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
pub fn digest_reader<R: Read>(reader: R, algo: Algo) -> io::Result<String> {
    let mut hasher = Hasher::new(algo);
    read_chunks(reader, |chunk| hasher.update(chunk))?;
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

/// Streams `reader` to `each` in chunks (see below), on this thread.
///
/// Reading the next chunk on a second thread while `each` hashed the current one (how this
/// worked until 2026-12-07) saved at most 0.05 s of wall time per GiB from the page cache and
/// nothing from disk — the kernel's readahead already overlaps the disk with hashing — and cost
/// 0.15–0.18 s of CPU per GiB moving every chunk between cores (BENCHMARKS.md, "One thread").
///
/// The first chunk is [`FIRST_CHUNK`] bytes: signatures, checksum files and small releases end
/// within it, and a zero-filled 256 KiB buffer is up to 64 pages to clear and fault in for them
/// (a small `verify` is about 2 ms in all). Input that fills it goes on in [`CHUNK`]s.
pub fn read_chunks<R: Read>(mut reader: R, mut each: impl FnMut(&[u8])) -> io::Result<()> {
    let mut buf = vec![0u8; FIRST_CHUNK];
    loop {
        let n = fill(&mut reader, &mut buf)?;
        if n > 0 {
            each(&buf[..n]);
        }
        if n < buf.len() {
            return Ok(());
        }
        if buf.len() < CHUNK {
            buf = vec![0u8; CHUNK];
        }
    }
}

/// Reads into `buf` until it is full or the input ends; returns the bytes read.
fn fill(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
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

    /// A reader that returns at most `step` bytes per call.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn read_chunks_hands_over_every_byte_in_order_at_any_length() {
        let data: Vec<u8> = (0..3 * CHUNK + 11).map(|i| (i % 251) as u8).collect();
        let first = FIRST_CHUNK;
        for len in [
            0,
            1,
            first - 1,
            first,
            first + 1,
            CHUNK - 1,
            CHUNK,
            first + CHUNK,
            first + CHUNK + 1,
            2 * CHUNK,
            data.len(),
        ] {
            for step in [1000, CHUNK] {
                let mut got = Vec::new();
                read_chunks(Trickle(&data[..len], step), |c| got.extend_from_slice(c)).unwrap();
                assert_eq!(got, &data[..len], "length {len}, reads of {step}");
            }
        }
    }

    #[test]
    fn read_chunks_starts_small_and_grows_to_full_chunks() {
        let data = vec![7u8; FIRST_CHUNK + 2 * CHUNK + 5];
        let mut sizes = Vec::new();
        read_chunks(Trickle(&data, 1000), |c| sizes.push(c.len())).unwrap();
        assert_eq!(sizes, [FIRST_CHUNK, CHUNK, CHUNK, 5]);

        let mut sizes = Vec::new();
        read_chunks(Trickle(&data[..4096], 1000), |c| sizes.push(c.len())).unwrap();
        assert_eq!(sizes, [4096], "a small input is one chunk");
    }
}
