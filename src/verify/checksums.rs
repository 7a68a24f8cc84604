//! Signed checksum files: `SHA256SUMS` with a detached signature, or clearsigned.
//!
//! The checksum file is verified against the pins with the same [`Checker`] as any file;
//! the artifact is then trusted through its line. Both formats in use are read:
//! `<hex>  <name>` / `<hex> *<name>` (coreutils) and `SHA256 (<name>) = <hex>` (BSD).

use std::collections::HashMap;

use super::{Checker, Verdict};

pub use crate::base::digest::{Algo, digest_reader};

/// The lines of a checksum file: file name → (algorithm, lowercase hex).
pub type Sums = HashMap<String, (Algo, String)>;

/// Parses a checksum file. Lines that are neither format (comments, blank) are skipped.
pub fn parse(text: &str) -> Sums {
    let mut sums = Sums::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        // BSD style: "SHA256 (name) = hex".
        if let Some((head, hex)) = line.rsplit_once(") = ")
            && let Some((tag, name)) = head.split_once(" (")
        {
            {
                let algo = match tag.trim() {
                    "SHA256" => Some(Algo::Sha256),
                    "SHA512" => Some(Algo::Sha512),
                    _ => None,
                };
                let hex = hex.trim();
                if let Some(algo) = algo
                    && Algo::for_hex_len(hex.len()) == Some(algo)
                    && hex.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    let name = name.strip_prefix("./").unwrap_or(name);
                    sums.insert(name.to_string(), (algo, hex.to_ascii_lowercase()));
                }
                continue;
            }
        }
        // coreutils style: "hex  name" or "hex *name".
        let Some((hex, rest)) = line.split_once(' ') else {
            continue;
        };
        let Some(algo) = Algo::for_hex_len(hex.len()) else {
            continue;
        };
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let name = rest
            .strip_prefix(' ')
            .or_else(|| rest.strip_prefix('*'))
            .unwrap_or(rest);
        if name.is_empty() {
            continue;
        }
        // A name may carry a leading "./".
        let name = name.strip_prefix("./").unwrap_or(name);
        sums.insert(name.to_string(), (algo, hex.to_ascii_lowercase()));
    }
    sums
}

/// A clearsigned message split into its signed text (canonical form) and signature block.
pub struct Cleartext {
    /// The signed text as the signature covers it: dash-unescaped, trailing whitespace
    /// removed from every line, lines joined with CRLF, no final line ending.
    pub signed: Vec<u8>,
    /// The text as a reader sees it (dash-unescaped, LF line endings).
    pub text: String,
    /// The armored signature block.
    pub signature: Vec<u8>,
}

/// Splits a cleartext-signed message (RFC 9580 §7), or `None` if it is not one.
pub fn split_cleartext(bytes: &[u8]) -> Option<Cleartext> {
    let text = std::str::from_utf8(bytes).ok()?;
    let start = text.find("-----BEGIN PGP SIGNED MESSAGE-----")?;
    let rest = &text[start..];
    let mut lines = rest.split('\n').map(|l| l.trim_end_matches('\r'));
    lines.next()?;
    // Armor headers ("Hash: SHA256") until an empty line.
    for line in lines.by_ref() {
        if line.is_empty() {
            break;
        }
    }
    let mut body: Vec<&str> = Vec::new();
    let mut sig_start = None;
    let mut offset_lines: Vec<&str> = Vec::new();
    for line in lines.by_ref() {
        if line == "-----BEGIN PGP SIGNATURE-----" {
            sig_start = Some(line);
            break;
        }
        body.push(line);
    }
    sig_start?;
    offset_lines.push("-----BEGIN PGP SIGNATURE-----");
    offset_lines.extend(lines);
    let unescaped: Vec<&str> = body
        .iter()
        .map(|l| l.strip_prefix("- ").unwrap_or(l))
        .collect();
    let signed = unescaped
        .iter()
        .map(|l| l.trim_end_matches([' ', '\t']))
        .collect::<Vec<_>>()
        .join("\r\n")
        .into_bytes();
    Some(Cleartext {
        signed,
        text: unescaped.join("\n"),
        signature: offset_lines.join("\n").into_bytes(),
    })
}

/// Verifies a checksum file: with `signature` (detached) or, when `None`, as a clearsigned
/// message. Returns the verdict and the parsed sums (empty unless verified).
pub fn verify(checker: &Checker<'_>, file: &[u8], signature: Option<&[u8]>) -> (Verdict, Sums) {
    let (verdict, text) = match signature {
        Some(sig) => {
            let v = checker
                .verify(file, sig)
                .expect("reading from memory cannot fail");
            (v, String::from_utf8_lossy(file).into_owned())
        }
        None => match split_cleartext(file) {
            Some(ct) => {
                let v = checker
                    .verify(ct.signed.as_slice(), &ct.signature)
                    .expect("reading from memory cannot fail");
                (v, ct.text)
            }
            None => {
                let v = checker
                    .verify(file, b"")
                    .expect("reading from memory cannot fail");
                (v, String::new())
            }
        },
    };
    let sums = if verdict.is_verified() {
        parse(&text)
    } else {
        Sums::new()
    };
    (verdict, sums)
}

/// The refusal when a verified checksum file has no line for the file.
pub fn no_line(sums: &str, signer: &str, filename: &str) -> String {
    format!("{sums} (signed by pinned key {signer}) has no line for {filename}")
}

/// The refusal when the bytes do not match their signed line.
pub fn line_mismatch(url: &str, sums: &str, line: &super::proof::LineCheck) -> String {
    format!(
        "{url}: {} {} does not match the signed line in {sums} ({})",
        line.algo.name(),
        line.actual,
        line.expected
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_checksum_formats_are_read() {
        let a = "a".repeat(64);
        let b = "B".repeat(128);
        let text = format!(
            "{a}  foo-1.0.tar.gz\n{a} *bin.zip\nSHA512 (bar-2.tar.xz) = {b}\n# comment\n\nxyz  nope\n{a}  ./dot.tgz\n"
        );
        let sums = parse(&text);
        assert_eq!(sums["foo-1.0.tar.gz"], (Algo::Sha256, a.clone()));
        assert_eq!(sums["bin.zip"].0, Algo::Sha256);
        assert_eq!(sums["bar-2.tar.xz"], (Algo::Sha512, b.to_ascii_lowercase()));
        assert!(sums.contains_key("dot.tgz"));
        assert_eq!(sums.len(), 4);
    }

    #[test]
    fn cleartext_is_dash_unescaped_and_canonicalized() {
        let msg = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nline one  \n- -----dashed\nlast\n-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n";
        let ct = split_cleartext(msg.as_bytes()).unwrap();
        assert_eq!(ct.signed, b"line one\r\n-----dashed\r\nlast");
        assert_eq!(ct.text, "line one  \n-----dashed\nlast");
        assert!(ct.signature.starts_with(b"-----BEGIN PGP SIGNATURE-----"));
    }
}
