//! `[[accept]]`: recorded exceptions, each for one exact file (see [`crate::verify::exception`]).
//!
//! ```toml
//! [[accept]]
//! version = "1.2.3"
//! file = "foo-1.2.3.tar.gz"
//! sha256 = "…64 hex digits…"
//! rule = "weak_hash"             # or "key_expired"
//! signer = "…40 or 64 hex digits…"
//! reason = "SHA-1 signature; bytes match Debian's foo_1.2.3.orig.tar.gz"
//! date = "2026-12-06"
//! ```

use serde::Deserialize;

use crate::verify::{Exception, Rule, parse_pin};

/// One `[[accept]]` entry, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptEntry {
    /// The release version, when known.
    pub version: Option<String>,
    /// The file name.
    pub file: String,
    /// The exception itself.
    pub exception: Exception,
    /// When it was recorded (as written).
    pub date: Option<String>,
}

/// An `[[accept]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAccept {
    version: Option<String>,
    file: String,
    sha256: String,
    rule: String,
    signer: String,
    reason: String,
    date: Option<String>,
}

/// Validates `accept[i]`; errors name the field.
pub(super) fn validate(i: usize, raw: RawAccept) -> Result<AcceptEntry, (String, String)> {
    let field = |f: &str| format!("accept[{i}].{f}");
    let sha256 = raw.sha256.trim().to_ascii_lowercase();
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err((
            field("sha256"),
            format!("{:?} is not a sha256 (64 hex digits)", raw.sha256),
        ));
    }
    let rule = Rule::parse(raw.rule.trim()).ok_or_else(|| {
        (
            field("rule"),
            format!(
                "{:?} cannot be waived (only {})",
                raw.rule,
                Rule::ALL.map(Rule::as_str).join(" or ")
            ),
        )
    })?;
    let signer = parse_pin(&raw.signer).map_err(|e| (field("signer"), e.to_string()))?;
    if raw.reason.trim().is_empty() {
        return Err((
            field("reason"),
            "must say why the exception was made".into(),
        ));
    }
    if raw.file.trim().is_empty() || raw.file.contains(['/', '\\']) {
        return Err((field("file"), format!("{:?} is not a file name", raw.file)));
    }
    Ok(AcceptEntry {
        version: raw.version,
        file: raw.file,
        exception: Exception {
            sha256,
            signer: signer.0,
            rule,
            reason: raw.reason,
        },
        date: raw.date,
    })
}
