//! Signature files: parsing (binary, armored, glued armor blocks, uscan's enarmored files) and
//! the hash contexts every signature in a file needs, fed in one streaming pass.

use std::io;

use sequoia_openpgp as openpgp;

use openpgp::Packet;
use openpgp::crypto::hash::Context;
use openpgp::packet::Signature;
use openpgp::parse::PacketParserResult;
use openpgp::types::{HashAlgorithm, SignatureType};

use super::{MAX_SIGNATURE_BYTES, first_line, keyring};
use crate::base::digest::hex;

/// A detached signature as ASCII armor, as dpkg-source wants beside an `.orig` tarball:
/// armored input is returned unchanged, a binary signature is checked and armored.
pub fn armored_signature(bytes: &[u8]) -> Result<Vec<u8>, String> {
    parse_signatures(bytes)?;
    if bytes
        .trim_ascii_start()
        .starts_with(b"-----BEGIN PGP SIGNATURE-----")
    {
        return Ok(bytes.to_vec());
    }
    let armor = |e: io::Error| format!("cannot armor the signature: {e}");
    let mut w =
        openpgp::armor::Writer::new(Vec::new(), openpgp::armor::Kind::Signature).map_err(armor)?;
    io::Write::write_all(&mut w, bytes).map_err(armor)?;
    w.finalize().map_err(armor)
}

/// Reads every signature packet of a detached signature: binary, armored, or several armor
/// blocks glued together.
///
/// Refuses anything that is not a bare list of signatures: cleartext-signed and inline-signed
/// messages, compressed data (which could also be a decompression bomb), keys, garbage.
pub fn parse_signatures(bytes: &[u8]) -> Result<Vec<Signature>, String> {
    if bytes.is_empty() {
        return Err("the signature file is empty".into());
    }
    if bytes.len() > MAX_SIGNATURE_BYTES {
        return Err(format!(
            "the signature file is {} bytes, larger than the {} KiB a detached signature can sensibly be",
            bytes.len(),
            MAX_SIGNATURE_BYTES / 1024
        ));
    }
    if bytes
        .windows(34)
        .any(|w| w == b"-----BEGIN PGP SIGNED MESSAGE-----")
    {
        return Err("this is a cleartext-signed message, not a detached signature".into());
    }
    // uscan stores a binary `.sig` as `gpg --enarmor` output ("ARMORED FILE"), which Debian
    // ships as the orig tarball's `.asc`: the armor holds the binary signature as is.
    if bytes
        .trim_ascii_start()
        .starts_with(b"-----BEGIN PGP ARMORED FILE-----")
    {
        let mut inner = Vec::new();
        let mut reader = openpgp::armor::Reader::from_bytes(
            bytes,
            openpgp::armor::ReaderMode::Tolerant(Some(openpgp::armor::Kind::File)),
        );
        io::Read::read_to_end(&mut reader, &mut inner).map_err(|e| {
            format!("not a detached signature: an armored file that cannot be read: {e}")
        })?;
        return parse_packets(&inner);
    }
    // Projects with several release managers glue their armored signatures together
    // (`cat alice.asc bob.asc`); like gpgv, read every block, not only the first.
    let blocks = keyring::armor_blocks(bytes);
    let binary = bytes.first().is_some_and(|b| b & 0x80 != 0);
    if blocks.len() > 1 && !binary {
        let mut sigs = Vec::new();
        for (i, block) in blocks.iter().enumerate() {
            sigs.extend(parse_packets(block).map_err(|e| format!("armor block {}: {e}", i + 1))?);
        }
        return Ok(sigs);
    }
    parse_packets(bytes)
}

/// The signature packets of one binary signature file or one armor block.
pub(super) fn parse_packets(bytes: &[u8]) -> Result<Vec<Signature>, String> {
    let not_sig = |what: &str| format!("not a detached signature: {what}");
    let bytes = super::dearmored(bytes);
    let mut ppr = super::packet_parser(&bytes).map_err(|e| not_sig(&format!("{e}")))?;
    let mut sigs = Vec::new();
    while let PacketParserResult::Some(pp) = ppr {
        match &pp.packet {
            Packet::Signature(_) => {}
            Packet::Marker(_) | Packet::Padding(_) => {}
            Packet::CompressedData(_) => {
                return Err(not_sig(
                    "it contains compressed data (an OpenPGP message, not a bare signature)",
                ));
            }
            Packet::Literal(_) | Packet::OnePassSig(_) => {
                return Err(not_sig(
                    "it is a signed message that contains the data itself",
                ));
            }
            Packet::PublicKey(_) | Packet::SecretKey(_) => {
                return Err(not_sig(
                    "it is an OpenPGP certificate (a key), not a signature",
                ));
            }
            Packet::Unknown(u) => {
                return Err(not_sig(&format!(
                    "a {} packet could not be parsed: {}",
                    u.tag(),
                    first_line(&u.error().to_string())
                )));
            }
            other => return Err(not_sig(&format!("it contains a {} packet", other.tag()))),
        }
        let (packet, next) = pp.next().map_err(|e| not_sig(&format!("{e}")))?;
        if let Packet::Signature(sig) = packet {
            sigs.push(sig);
        }
        ppr = next;
    }
    if sigs.is_empty() {
        return Err(not_sig("it holds no signature"));
    }
    Ok(sigs)
}

/// A verification in progress: the parsed signature file and its hash contexts.
pub struct Pending {
    pub(super) parsed: Result<(Vec<Signature>, Vec<Option<usize>>), String>,
    pub(super) hashers: Hashers,
    /// The slot holding the plain SHA-256 of the data, when asked for.
    pub(super) sha256_slot: Option<usize>,
}

impl Pending {
    /// Feeds the next chunk of the signed data.
    pub fn update(&mut self, data: &[u8]) {
        self.hashers.update(data);
    }

    /// The SHA-256 of the data fed so far (lowercase hex), when started with
    /// [`Checker::start_with_sha256`].
    pub fn sha256(&self) -> Option<String> {
        let ctx = self.hashers.context(self.sha256_slot?).ok()?;
        ctx.into_digest().ok().map(|d| hex(&d))
    }
}

/// One hash context per distinct (algorithm, version, salt, text mode), fed in one pass.
#[derive(Default)]
pub(super) struct Hashers {
    slots: Vec<Slot>,
}

pub(super) struct Slot {
    algo: HashAlgorithm,
    version: u8,
    salt: Vec<u8>,
    text: bool,
    last_was_cr: bool,
    ctx: Result<Context, String>,
}

impl Hashers {
    pub(super) fn slot_for(&mut self, sig: &Signature) -> Option<usize> {
        let algo = sig.hash_algo();
        let version = sig.version();
        let salt = sig.salt().unwrap_or_default().to_vec();
        let text = sig.typ() == SignatureType::Text;
        if let Some(i) = self.slots.iter().position(|s| {
            s.algo == algo && s.version == version && s.salt == salt && s.text == text
        }) {
            return Some(i);
        }
        let ctx = algo
            .context()
            .map(|b| {
                let mut ctx = b.for_signature(version);
                ctx.update(&salt);
                ctx
            })
            .map_err(|e| format!("hash algorithm {algo} is not supported: {e}"));
        self.slots.push(Slot {
            algo,
            version,
            salt,
            text,
            last_was_cr: false,
            ctx,
        });
        Some(self.slots.len() - 1)
    }

    /// A slot hashing the data itself (binary, unsalted), shared with any signature that
    /// hashes the same way; the signature version only changes the trailer added later.
    pub(super) fn plain_slot(&mut self, algo: HashAlgorithm) -> usize {
        if let Some(i) = self
            .slots
            .iter()
            .position(|s| s.algo == algo && s.salt.is_empty() && !s.text)
        {
            return i;
        }
        self.slots.push(Slot {
            algo,
            version: 4,
            salt: Vec::new(),
            text: false,
            last_was_cr: false,
            ctx: algo
                .context()
                .map(|b| b.for_signature(4))
                .map_err(|e| format!("hash algorithm {algo} is not supported: {e}")),
        });
        self.slots.len() - 1
    }

    pub(super) fn update(&mut self, data: &[u8]) {
        for slot in &mut self.slots {
            let Ok(ctx) = &mut slot.ctx else { continue };
            if slot.text {
                slot.last_was_cr = hash_text(ctx, data, slot.last_was_cr);
            } else {
                ctx.update(data);
            }
        }
    }

    pub(super) fn context(&self, i: usize) -> Result<Context, String> {
        self.slots[i].ctx.clone()
    }
}

/// Hashes `data` as a text-mode signature does: every line ending (CR, LF or CRLF) becomes
/// CRLF. `last_was_cr` carries a CR at the end of the previous chunk; returns the new value.
pub(super) fn hash_text(ctx: &mut Context, data: &[u8], mut last_was_cr: bool) -> bool {
    let mut start = 0;
    for (i, &b) in data.iter().enumerate() {
        match b {
            b'\n' if last_was_cr && i == start => {
                // The LF of a CRLF split across chunks (or right after a CR): already hashed.
                start = i + 1;
                last_was_cr = false;
            }
            b'\r' | b'\n' => {
                ctx.update(&data[start..i]);
                ctx.update(b"\r\n");
                start = i + 1;
                last_was_cr = b == b'\r';
            }
            _ => last_was_cr = false,
        }
    }
    ctx.update(&data[start..]);
    last_was_cr
}
