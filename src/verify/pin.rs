//! Pins: the full fingerprints a watch file or the command line allows to sign.

use std::fmt;

use sequoia_openpgp::Fingerprint;

use crate::error::{Failure, config};

/// How to find a certificate's full fingerprint; shown with every refused pin.
pub const FINGERPRINT_HINT: &str = "pin the full fingerprint (40 hex digits for v4 keys, 64 for v6): \
     run `sigwatch keys list KEYRING`, `sq inspect KEYRING` or `gpg --with-fingerprint --show-keys KEYRING`";

/// A pinned full fingerprint (v4: 40 hex digits, v6: 64).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pin(pub Fingerprint);

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.to_hex())
    }
}

/// Why a pin was refused; the text says what the value is and why it cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinError {
    /// 8 hex digits: a short key ID.
    ShortKeyId(String),
    /// 16 hex digits: a long key ID.
    LongKeyId(String),
    /// Hex digits, but not as many as a fingerprint has: a digit lost or added when copying.
    WrongLength(String, usize),
    /// Anything else that is not a fingerprint.
    NotFingerprint(String),
}

impl fmt::Display for PinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinError::ShortKeyId(v) => write!(
                f,
                "{v:?} is a short key ID (8 hex digits); key IDs can be forged by brute force, so sigwatch only pins full fingerprints"
            ),
            PinError::LongKeyId(v) => write!(
                f,
                "{v:?} is a long key ID (16 hex digits); key IDs can be forged by brute force, so sigwatch only pins full fingerprints"
            ),
            PinError::WrongLength(v, n) => {
                let n = *n;
                // The nearer of the two fingerprint lengths is the one that was meant.
                let (near, version) = if n < 52 { (40, 4) } else { (64, 6) };
                let how = if n < near {
                    format!("{} short", near - n)
                } else {
                    format!("{} too many", n - near)
                };
                write!(
                    f,
                    "{v:?} is not a fingerprint: it has {n} hex digits, {how} for a v{version} fingerprint ({near}); a digit was lost or added when copying it"
                )
            }
            PinError::NotFingerprint(v) => write!(
                f,
                "{v:?} is not a fingerprint (expected 40 hex digits for a v4 key or 64 for a v6 key)"
            ),
        }
    }
}

impl std::error::Error for PinError {}

/// Parses a pin: 40 or 64 hex digits in any case, spaces allowed, optional `0x`.
pub fn parse_pin(text: &str) -> Result<Pin, PinError> {
    let trimmed = text.trim();
    let body = trimmed
        .strip_prefix("0x")
        .or_else(|| trimmed.strip_prefix("0X"))
        .unwrap_or(trimmed);
    let hex: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(PinError::NotFingerprint(text.to_string()));
    }
    match hex.len() {
        8 => Err(PinError::ShortKeyId(text.to_string())),
        16 => Err(PinError::LongKeyId(text.to_string())),
        40 | 64 => Fingerprint::from_hex(&hex)
            .map(Pin)
            .map_err(|_| PinError::NotFingerprint(text.to_string())),
        n => Err(PinError::WrongLength(text.to_string(), n)),
    }
}

/// Parses every pin, naming `origin` (a flag or a watch-file field) in the error.
///
/// `origin` is a closure so that callers can name the index: `keys.fingerprints[2]`.
pub fn parse_pins<S: AsRef<str>>(
    values: &[S],
    origin: impl Fn(usize) -> String,
) -> Result<Vec<Pin>, Failure> {
    if values.is_empty() {
        return Err(config(format!("{}: no fingerprint is pinned", origin(0)))
            .hint("sigwatch only accepts signatures by pinned keys; add the full fingerprint of each key allowed to sign"));
    }
    let mut pins = Vec::with_capacity(values.len());
    for (i, value) in values.iter().enumerate() {
        let pin = parse_pin(value.as_ref())
            .map_err(|e| config(format!("{}: {e}", origin(i))).hint(FINGERPRINT_HINT))?;
        if !pins.contains(&pin) {
            pins.push(pin);
        }
    }
    Ok(pins)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_fingerprints_parse_in_any_case_with_spaces() {
        let a = parse_pin("0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567").unwrap();
        let b = parse_pin("0123456789abcdef0123456789ABCDEF01234567").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "0123456789ABCDEF0123456789ABCDEF01234567");
        let v6 = "AB".repeat(32);
        assert_eq!(parse_pin(&v6).unwrap().to_string(), v6);
    }

    #[test]
    fn key_ids_are_refused_with_or_without_0x() {
        assert!(matches!(
            parse_pin("3372DCFA"),
            Err(PinError::ShortKeyId(_))
        ));
        assert!(matches!(
            parse_pin("0x3372dcfa"),
            Err(PinError::ShortKeyId(_))
        ));
        assert!(matches!(
            parse_pin("0123456789ABCDEF"),
            Err(PinError::LongKeyId(_))
        ));
        assert!(matches!(
            parse_pin("0x0123 4567 89AB CDEF"),
            Err(PinError::LongKeyId(_))
        ));
    }

    #[test]
    fn other_values_are_named_as_not_fingerprints() {
        for bad in ["", "xyz", "G123456789ABCDEF0123456789ABCDEF01234567"] {
            let err = parse_pin(bad).unwrap_err();
            assert!(matches!(err, PinError::NotFingerprint(_)), "{bad}");
            assert!(err.to_string().contains(&format!("{bad:?}")));
        }
    }

    #[test]
    fn a_pin_a_digit_short_or_long_says_how_many_digits_it_has() {
        let short = "0123456789ABCDEF0123456789ABCDEF0123456";
        let err = parse_pin(short).unwrap_err();
        assert_eq!(err, PinError::WrongLength(short.into(), 39));
        assert!(
            err.to_string()
                .contains("has 39 hex digits, 1 short for a v4")
        );
        let long = format!("{short}78");
        assert!(
            parse_pin(&long)
                .unwrap_err()
                .to_string()
                .contains("has 41 hex digits, 1 too many for a v4 fingerprint (40)")
        );
        let v6 = "AB".repeat(32);
        assert!(
            parse_pin(&v6[1..])
                .unwrap_err()
                .to_string()
                .contains("63 hex digits, 1 short for a v6 fingerprint (64)")
        );
    }

    #[test]
    fn no_pins_is_a_configuration_error() {
        let err = parse_pins::<&str>(&[], |_| "--fingerprint".into()).unwrap_err();
        assert!(err.message.contains("no fingerprint is pinned"));
    }
}
