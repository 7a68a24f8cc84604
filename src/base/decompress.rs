//! Decompression of a release file whose signature covers the uncompressed content
//! (`foo.tar.sign` over `foo.tar`, shipped as `foo.tar.xz`: uscan's `decompress`).
//!
//! The format is told by the file's first bytes, never by its name: gzip, xz, bzip2 and
//! zstd, each with a pure-Rust decoder, streamed (memory: the format's window, capped for
//! xz and zstd). Every byte of the file must belong to the compressed stream: concatenated
//! members are decoded in turn (as `gzip -d`, `xz -d`, `bzip2 -d` and `zstd -d` do), and
//! anything else after the end is refused, so no unsigned byte rides along.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};

use super::digest::{CHUNK, Consume, Hasher};

/// The largest xz dictionary decoded (`xz -9` uses 64 MiB); more is refused before allocating.
const XZ_MEMORY_LIMIT_KIB: u32 = 256 * 1024;

/// A compression format, told by its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// gzip (RFC 1952), `1f 8b`.
    Gzip,
    /// xz, `fd 37 7a 58 5a 00`.
    Xz,
    /// bzip2, `BZh` and a block size digit.
    Bzip2,
    /// Zstandard (RFC 8878), `28 b5 2f fd`.
    Zstd,
}

impl Format {
    /// "gzip", "xz", "bzip2" or "zstd".
    pub fn name(self) -> &'static str {
        match self {
            Format::Gzip => "gzip",
            Format::Xz => "xz",
            Format::Bzip2 => "bzip2",
            Format::Zstd => "zstd",
        }
    }

    /// The format whose magic bytes `head` starts with.
    pub fn sniff(head: &[u8]) -> Option<Format> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Format::Gzip)
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Some(Format::Xz)
        } else if head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
            Some(Format::Bzip2)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Format::Zstd)
        } else {
            None
        }
    }
}

/// The compression format of the file at `path`, by its first bytes (`None`: not compressed,
/// or unreadable).
pub fn format_of(path: &std::path::Path) -> Option<Format> {
    let mut head = Vec::with_capacity(8);
    std::fs::File::open(path)
        .and_then(|f| f.take(8).read_to_end(&mut head))
        .ok()?;
    Format::sniff(&head)
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a file could not be decompressed.
#[derive(Debug)]
pub enum Error {
    /// The file does not start like any format known here; `head` is its first bytes.
    NotCompressed {
        /// Up to 8 leading bytes, for the message.
        head: Vec<u8>,
    },
    /// The stream is damaged, truncated, or followed by other data.
    Corrupt {
        /// The format the magic bytes announced.
        format: Format,
        /// What the decoder said.
        source: io::Error,
    },
    /// Reading the file failed.
    Io(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotCompressed { head } if head.is_empty() => {
                f.write_str("the file is empty, so it is not gzip, xz, bzip2 or zstd")
            }
            Error::NotCompressed { head } => write!(
                f,
                "the file is not gzip, xz, bzip2 or zstd (it starts with {})",
                head.iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            Error::Corrupt { format, source } => {
                write!(f, "the {format} stream is corrupt: {source}")
            }
            Error::Io(e) => write!(f, "read error: {e}"),
        }
    }
}

impl std::error::Error for Error {}

/// Reads the format from `reader`'s first bytes, without consuming them. (A file on disk
/// fills the first buffer in one read, so the magic is never split.)
fn sniff<R: BufRead>(reader: &mut R) -> Result<Format, Error> {
    let head = reader.fill_buf().map_err(Error::Io)?;
    Format::sniff(head).ok_or_else(|| Error::NotCompressed {
        head: head[..head.len().min(8)].to_vec(),
    })
}

/// A reader that hashes every byte it passes on: the file's own sha256, taken while the
/// decoder reads it.
struct Tee<R> {
    inner: R,
    sha256: Hasher,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha256.update(&buf[..n]);
        Ok(n)
    }
}

type Raw<R> = BufReader<Tee<R>>;

// Boxed: the xz and zstd decoders' states are KiBs, the others' hundreds of bytes.
enum Inner<R: Read> {
    Gzip(flate2::bufread::MultiGzDecoder<Raw<R>>),
    Xz(Box<lzma_rust2::XzReader<Raw<R>>>),
    Bzip2(bzip2::bufread::MultiBzDecoder<Raw<R>>),
    Zstd(Box<ZstdFrames<Raw<R>>>),
}

/// A compressed file read as its uncompressed content; see [`Decompressed::new`].
pub struct Decompressed<R: Read> {
    inner: Inner<R>,
    format: Format,
    ended: bool,
}

impl<R: Read> Decompressed<R> {
    /// Starts reading `file` (a compressed file) as its content; the format comes from the
    /// first bytes.
    pub fn new(file: R) -> Result<Decompressed<R>, Error> {
        let mut raw = BufReader::with_capacity(
            CHUNK,
            Tee {
                inner: file,
                sha256: Hasher::new(super::digest::Algo::Sha256),
            },
        );
        let format = sniff(&mut raw)?;
        let inner = match format {
            Format::Gzip => Inner::Gzip(flate2::bufread::MultiGzDecoder::new(raw)),
            Format::Xz => Inner::Xz(Box::new(lzma_rust2::XzReader::new_mem_limit(
                raw,
                true,
                XZ_MEMORY_LIMIT_KIB,
            ))),
            Format::Bzip2 => Inner::Bzip2(bzip2::bufread::MultiBzDecoder::new(raw)),
            Format::Zstd => Inner::Zstd(Box::new(ZstdFrames::new(raw))),
        };
        Ok(Decompressed {
            inner,
            format,
            ended: false,
        })
    }

    /// The format read.
    pub fn format(&self) -> Format {
        self.format
    }

    fn raw(&mut self) -> &mut Raw<R> {
        match &mut self.inner {
            Inner::Gzip(d) => d.get_mut(),
            Inner::Xz(d) => d.inner_mut(),
            Inner::Bzip2(d) => d.get_mut(),
            Inner::Zstd(d) => d.source_mut(),
        }
    }

    /// The sha256 of the compressed file, lowercase hex: complete once the content was read
    /// to its end (which checks that nothing follows the stream).
    pub fn file_sha256(&mut self) -> String {
        self.raw().get_ref().sha256.hex()
    }

    fn corrupt(&self, source: io::Error) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            Error::Corrupt {
                format: self.format,
                source,
            },
        )
    }
}

impl<R: Read> Read for Decompressed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.ended || buf.is_empty() {
            return Ok(0);
        }
        let n = match &mut self.inner {
            Inner::Gzip(d) => d.read(buf),
            Inner::Xz(d) => d.read(buf),
            Inner::Bzip2(d) => d.read(buf),
            Inner::Zstd(d) => d.read(buf),
        }
        .map_err(|e| self.corrupt(e))?;
        if n == 0 {
            // The decoders stop at the end of their last member; whatever follows is not
            // part of the signed content and must not ride along in the file.
            let rest = self.raw().fill_buf()?.len();
            if rest > 0 {
                return Err(self.corrupt(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{rest} or more bytes follow the end of the compressed data"),
                )));
            }
            self.ended = true;
        }
        Ok(n)
    }
}

/// Zstandard frames one after another (skippable frames skipped), each decoded in turn.
struct ZstdFrames<R: BufRead> {
    source: R,
    decoder: ruzstd::decoding::FrameDecoder,
    in_frame: bool,
}

impl<R: BufRead> ZstdFrames<R> {
    fn new(source: R) -> ZstdFrames<R> {
        ZstdFrames {
            source,
            decoder: ruzstd::decoding::FrameDecoder::new(),
            in_frame: false,
        }
    }

    fn source_mut(&mut self) -> &mut R {
        &mut self.source
    }
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use ruzstd::decoding::BlockDecodingStrategy;
        use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
        let invalid = |e: FrameDecoderError| io::Error::new(io::ErrorKind::InvalidData, e);
        loop {
            if self.in_frame {
                // As ruzstd's StreamingDecoder, with the source kept here for the next frame.
                let d = &mut self.decoder;
                while d.can_collect() == 0 && !d.is_finished() {
                    d.decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBlocks(1))
                        .map_err(invalid)?;
                }
                let n = d.read(buf)?;
                if n > 0 {
                    return Ok(n);
                }
                if let (Some(want), Some(got)) =
                    (d.get_checksum_from_data(), d.get_calculated_checksum())
                    && want != got
                {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "a frame's content checksum does not match",
                    ));
                }
                self.in_frame = false;
            }
            // Between frames: the end of the input, or the next frame.
            if self.source.fill_buf()?.is_empty() {
                return Ok(0);
            }
            match self.decoder.init(&mut self.source) {
                Ok(()) => self.in_frame = true,
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let want = u64::from(length);
                    let skipped = io::copy(&mut (&mut self.source).take(want), &mut io::sink())?;
                    if skipped != want {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "a skippable frame is cut short",
                        ));
                    }
                }
                Err(e) => return Err(invalid(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;
    use crate::base::digest::sha256_hex;

    fn content() -> Vec<u8> {
        (0..3 * CHUNK + 17).map(|i| (i % 251) as u8).collect()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn xz(data: &[u8]) -> Vec<u8> {
        let mut e =
            lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(1)).unwrap();
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn bzip2(data: &[u8]) -> Vec<u8> {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
    }

    type Compress = fn(&[u8]) -> Vec<u8>;

    const FORMATS: [(Format, Compress); 4] = [
        (Format::Gzip, gzip),
        (Format::Xz, xz),
        (Format::Bzip2, bzip2),
        (Format::Zstd, zstd),
    ];

    fn decode(file: &[u8]) -> Result<(Vec<u8>, String), io::Error> {
        let mut d = Decompressed::new(file).map_err(io::Error::other)?;
        let mut out = Vec::new();
        d.read_to_end(&mut out)?;
        Ok((out, d.file_sha256()))
    }

    #[test]
    fn every_format_decodes_to_its_content_and_hashes_the_file_itself() {
        let data = content();
        for (format, compress) in FORMATS {
            let file = compress(&data);
            assert_eq!(Format::sniff(&file), Some(format));
            let (out, sha256) = decode(&file).unwrap();
            assert!(out == data, "{format}: content differs");
            assert_eq!(sha256, sha256_hex(&file), "{format}: the file's own sha256");
        }
    }

    #[test]
    fn concatenated_members_decode_in_turn_as_the_command_line_tools_do() {
        for (format, compress) in FORMATS {
            let mut file = compress(b"first half, ");
            file.extend(compress(b"second half"));
            let (out, _) = decode(&file).unwrap();
            assert_eq!(out, b"first half, second half", "{format}");
        }
    }

    #[test]
    fn bytes_after_the_stream_and_damaged_streams_are_refused() {
        let data = content();
        for (format, compress) in FORMATS {
            let mut trailing = compress(&data);
            trailing.extend_from_slice(b"unsigned extra bytes");
            let e = decode(&trailing).expect_err(&format!("{format}: trailing bytes accepted"));
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{format}: {e}");

            let mut damaged = compress(&data);
            let at = damaged.len() / 2;
            damaged[at] ^= 0x55;
            assert!(
                decode(&damaged).is_err_and(|e| e.to_string().contains(format.name())),
                "{format}: a damaged stream was accepted"
            );

            let cut = compress(&data);
            assert!(
                decode(&cut[..cut.len() - 8]).is_err(),
                "{format}: a truncated stream was accepted"
            );
        }
    }

    #[test]
    fn a_file_that_is_not_compressed_is_named_by_its_first_bytes() {
        let Err(e) = Decompressed::new(&b"ustar plain tar"[..]) else {
            panic!("plain bytes were taken for a compressed file");
        };
        assert!(matches!(e, Error::NotCompressed { .. }));
        assert!(e.to_string().contains("75 73 74 61"), "{e}");
        assert!(matches!(
            Decompressed::new(&b""[..]),
            Err(Error::NotCompressed { .. })
        ));
    }
}
