//! Inline-signed messages taken apart, so their signatures go through [`Checker::verify`].
//!
//! Two shapes carry the data and its signatures together: an OpenPGP Signed Message
//! (one-pass signatures, a literal data packet, signatures; possibly compressed, armored or
//! binary) and a cleartext-signed text (RFC 9580 §7). Either is split into the signed bytes
//! and a bare signature file, which is then judged with exactly the code `verify` uses.
//!
//! [`Checker::verify`]: super::Checker::verify

use std::io::{self, Read, Write};

use sequoia_openpgp as openpgp;

use openpgp::Packet;
use openpgp::parse::{PacketParserBuilder, PacketParserResult, Parse};
use openpgp::serialize::Serialize as _;

use super::checksums::split_cleartext;

/// The armor line that starts a cleartext-signed message.
const CLEARTEXT_HEADER: &[u8] = b"-----BEGIN PGP SIGNED MESSAGE-----";

/// How an inline-signed message carried its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// An OpenPGP Signed Message: the data was a literal data packet.
    Message,
    /// The Cleartext Signature Framework: the data was the dash-escaped text.
    Cleartext,
}

/// An inline-signed message split apart.
#[derive(Debug)]
pub struct Split {
    /// Which form the message had.
    pub form: Form,
    /// The signatures, as a binary detached signature file (for [`super::parse_signatures`]).
    pub signatures: Vec<u8>,
    /// For a cleartext message, the signed text in the form the signatures cover (CRLF).
    /// `None` for a signed message, whose data went to the writer.
    pub signed: Option<Vec<u8>>,
}

/// Splits the inline-signed message read from `input`.
///
/// The data as a reader should see it goes to `data`: a signed message's literal body byte
/// for byte (streamed), or a cleartext message's signed text with LF line endings. Returns the
/// signatures; errors are one-line reasons why the input is not an inline-signed message.
pub fn split<R: Read + Send + Sync, W: Write>(mut input: R, data: &mut W) -> Result<Split, String> {
    // Peek far enough to see a cleartext header after leading whitespace.
    let mut head = Vec::with_capacity(4096);
    (&mut input)
        .take(4096)
        .read_to_end(&mut head)
        .map_err(|e| format!("cannot read the message: {e}"))?;
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    if head.is_empty() || start == head.len() && head.len() < 4096 {
        return Err("the input is empty".into());
    }
    if head[start..].starts_with(CLEARTEXT_HEADER) {
        let mut all = head;
        input
            .read_to_end(&mut all)
            .map_err(|e| format!("cannot read the message: {e}"))?;
        let ct = split_cleartext(&all)
            .ok_or("a cleartext-signed message without a signature block (or not UTF-8)")?;
        // Exactly the text the signatures cover: the line ending before the signature armor
        // is not part of it (RFC 9580 §7), so a signer that wants a final newline signs an
        // empty last line, as Sequoia does.
        data.write_all(ct.text.as_bytes())
            .map_err(|e| format!("cannot write the text: {e}"))?;
        return Ok(Split {
            form: Form::Cleartext,
            signatures: ct.signature,
            signed: Some(ct.signed),
        });
    }
    let reader = io::Cursor::new(head).chain(input);
    let mut ppr = PacketParserBuilder::from_reader(reader)
        .and_then(|b| b.build())
        .map_err(|e| format!("not an OpenPGP message: {e}"))?;
    let mut signatures = Vec::new();
    let mut literals = 0;
    while let PacketParserResult::Some(mut pp) = ppr {
        match &pp.packet {
            Packet::Literal(_) => {
                literals += 1;
                if literals > 1 {
                    return Err("the message holds more than one literal data packet".into());
                }
                io::copy(&mut pp, data).map_err(|e| format!("cannot read the message: {e}"))?;
            }
            Packet::OnePassSig(_)
            | Packet::Signature(_)
            | Packet::CompressedData(_)
            | Packet::Marker(_)
            | Packet::Padding(_) => {}
            Packet::PublicKey(_) | Packet::SecretKey(_) => {
                return Err("this is an OpenPGP certificate (a key), not a signed message".into());
            }
            Packet::PKESK(_) | Packet::SKESK(_) | Packet::SEIP(_) => {
                return Err("this is an encrypted message; sopv only verifies".into());
            }
            Packet::Unknown(u) => {
                return Err(format!(
                    "a {} packet could not be parsed: {}",
                    u.tag(),
                    u.error().to_string().lines().next().unwrap_or_default()
                ));
            }
            other => return Err(format!("the message contains a {} packet", other.tag())),
        }
        // Descend into compressed data; everything else is a sibling.
        let (packet, next) = pp
            .recurse()
            .map_err(|e| format!("not an OpenPGP message: {e}"))?;
        if let Packet::Signature(sig) = packet {
            Packet::from(sig)
                .serialize(&mut signatures)
                .map_err(|e| format!("cannot re-encode a signature: {e}"))?;
        }
        ppr = next;
    }
    if literals == 0 {
        return Err(
            "not an inline-signed message: it holds no literal data (a detached signature?)".into(),
        );
    }
    Ok(Split {
        form: Form::Message,
        signatures,
        signed: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use openpgp::packet::Literal;
    use openpgp::types::DataFormat;

    fn literal(body: &[u8]) -> Vec<u8> {
        let mut lit = Literal::new(DataFormat::Binary);
        lit.set_body(body.to_vec());
        let mut bytes = Vec::new();
        Packet::from(lit).serialize(&mut bytes).unwrap();
        bytes
    }

    #[test]
    fn a_literal_without_signatures_gives_its_data_and_no_signatures() {
        let mut data = Vec::new();
        let split = split(literal(b"hello").as_slice(), &mut data).unwrap();
        assert_eq!(split.form, Form::Message);
        assert!(split.signatures.is_empty());
        assert_eq!(data, b"hello");
    }

    #[test]
    fn two_literal_packets_are_not_one_signed_message() {
        let mut bytes = literal(b"a");
        bytes.extend(literal(b"b"));
        let err = split(bytes.as_slice(), &mut Vec::new()).unwrap_err();
        assert!(err.contains("more than one literal"), "{err}");
    }

    #[test]
    fn empty_input_and_a_bare_key_are_not_messages() {
        assert!(
            split(&b""[..], &mut Vec::new())
                .unwrap_err()
                .contains("empty")
        );
        let (cert, _) = openpgp::cert::CertBuilder::general_purpose(Some("k"))
            .generate()
            .unwrap();
        let mut bytes = Vec::new();
        cert.serialize(&mut bytes).unwrap();
        let err = split(bytes.as_slice(), &mut Vec::new()).unwrap_err();
        assert!(err.contains("certificate"), "{err}");
    }
}
