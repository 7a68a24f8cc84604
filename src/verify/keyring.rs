//! Keyrings: every certificate in a key file, however the file was glued together.
//!
//! Real upstream key files (`KEYS`, `signing-key.asc`) hold several armor blocks with prose
//! before and between them, binary exports, and the same key more than once. Reading only the
//! first block would silently drop pins, so every block is read and copies are merged.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context as _;
use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::crypto::mpi;
use openpgp::packet::Key;
use openpgp::packet::key::{KeyParts, KeyRole};
use openpgp::policy::Policy;
use openpgp::types::{ReasonForRevocation, RevocationStatus, RevocationType};
use openpgp::{Cert, Fingerprint};
use serde::Serialize;

use crate::error::VerifyError;

/// The largest key file sigwatch reads; real keyrings are kilobytes.
pub const MAX_KEYRING_BYTES: u64 = 64 * 1024 * 1024;

/// The certificates of one key file, merged by primary fingerprint, in file order.
#[derive(Debug, Clone)]
pub struct Keyring {
    /// Where it was read from (for messages).
    pub path: PathBuf,
    /// One certificate per primary key, copies merged, secret key material stripped.
    pub certs: Vec<Cert>,
    /// Things worth telling: skipped blocks, merged duplicates.
    pub warnings: Vec<String>,
}

impl Keyring {
    /// Reads a key file: armored (one or many blocks, text around them) or binary.
    pub fn load(path: &Path) -> anyhow::Result<Keyring> {
        let meta = std::fs::metadata(path).map_err(|e| {
            VerifyError::keyring(path, format!("cannot read: {e}"))
                .hint("check the path; watch files resolve it relative to the watch file")
        })?;
        if meta.len() > MAX_KEYRING_BYTES {
            return Err(VerifyError::keyring(
                path,
                format!(
                    "{} bytes is larger than the {} MiB sigwatch reads",
                    meta.len(),
                    MAX_KEYRING_BYTES >> 20
                ),
            )
            .into());
        }
        let bytes = std::fs::read(path)
            .map_err(|e| VerifyError::keyring(path, format!("cannot read: {e}")))?;
        Keyring::from_bytes(&bytes, path)
    }

    /// Parses key-file bytes; `path` only names the file in messages.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> anyhow::Result<Keyring> {
        if is_keybox(bytes) {
            return Err(VerifyError::keyring(
                path,
                "this is a GnuPG keybox (pubring.kbx), GnuPG's own database, not an OpenPGP key file",
            )
            .hint("export the pinned key from GnuPG and use that file as the keyring: gpg --export --armor FINGERPRINT > key.asc")
            .into());
        }
        let mut keyring = Keyring {
            path: path.to_path_buf(),
            certs: Vec::new(),
            warnings: Vec::new(),
        };
        let blocks = armor_blocks(bytes);
        if blocks.is_empty() {
            keyring.add_all(bytes, None)?;
        } else {
            for (i, block) in blocks.iter().enumerate() {
                keyring.add_all(block, Some(i + 1))?;
            }
        }
        if keyring.certs.is_empty() {
            return Err(VerifyError::keyring(path, "no OpenPGP certificate found")
            .hint("a keyring is an armored (-----BEGIN PGP PUBLIC KEY BLOCK-----) or binary export of public keys")
            .into());
        }
        Ok(keyring)
    }

    fn add_all(&mut self, bytes: &[u8], block: Option<usize>) -> anyhow::Result<()> {
        let place = match block {
            Some(n) => format!("keyring {}: armor block {n}", self.path.display()),
            None => format!("keyring {}", self.path.display()),
        };
        let bytes = super::dearmored(bytes);
        let parser = match super::packet_parser(&bytes).map(CertParser::from) {
            Ok(p) => p,
            Err(e) => {
                let problem = match block {
                    Some(n) => format!("armor block {n}: not an OpenPGP keyring: {e}"),
                    None => format!("not an OpenPGP keyring: {e}"),
                };
                return Err(VerifyError::keyring(&self.path, problem).into());
            }
        };
        for cert in parser {
            match cert {
                Ok(cert) => self.add(cert.strip_secret_key_material())?,
                Err(e) => self.warnings.push(format!(
                    "{place}: a certificate could not be parsed and was skipped: {e}"
                )),
            }
        }
        Ok(())
    }

    fn add(&mut self, cert: Cert) -> anyhow::Result<()> {
        let fpr = cert.fingerprint();
        if let Some(existing) = self.certs.iter_mut().find(|c| c.fingerprint() == fpr) {
            let merged = existing.clone().merge_public(cert).with_context(|| {
                format!("keyring {}: merging copies of {fpr:X}", self.path.display())
            })?;
            *existing = merged;
            self.warnings.push(format!(
                "keyring {}: certificate {} appears more than once; the copies were merged",
                self.path.display(),
                fpr.to_hex()
            ));
        } else {
            self.certs.push(cert);
        }
        Ok(())
    }

    /// The certificate whose primary key or one of whose subkeys has this fingerprint.
    pub fn find(&self, fpr: &Fingerprint) -> Option<&Cert> {
        self.certs
            .iter()
            .find(|c| c.keys().any(|k| &k.key().fingerprint() == fpr))
    }
}

/// True for a GnuPG keybox: its first blob is a header blob (type 1 at offset 4) with the
/// magic "KBXf" at offset 8.
fn is_keybox(bytes: &[u8]) -> bool {
    bytes.get(4) == Some(&1) && bytes.get(8..12) == Some(b"KBXf")
}

/// Cuts every `-----BEGIN PGP … KEY BLOCK-----` … `-----END …-----` block out of `bytes`.
///
/// Returns nothing when the data has no armor header, i.e. is binary.
pub(crate) fn armor_blocks(bytes: &[u8]) -> Vec<&[u8]> {
    const BEGIN: &[u8] = b"-----BEGIN PGP ";
    const END: &[u8] = b"-----END PGP ";
    let mut blocks = Vec::new();
    let mut rest = bytes;
    let mut offset = 0;
    while let Some(start) = find(rest, BEGIN) {
        let begin = offset + start;
        let after_begin = &bytes[begin..];
        let Some(end_rel) = find(after_begin, END) else {
            // An unterminated block: hand it to the parser, which names the problem.
            blocks.push(after_begin);
            break;
        };
        // The END line runs to the end of its line.
        let end_line = &after_begin[end_rel..];
        let line_len = end_line
            .iter()
            .position(|&b| b == b'\n')
            .map_or(end_line.len(), |p| p + 1);
        let end = begin + end_rel + line_len;
        blocks.push(&bytes[begin..end]);
        offset = end;
        rest = &bytes[end..];
    }
    blocks
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A human name for a key's algorithm, with its size or curve.
pub fn algorithm_name<P: KeyParts, R: KeyRole>(key: &Key<P, R>) -> String {
    match key.mpis() {
        mpi::PublicKey::RSA { .. }
        | mpi::PublicKey::DSA { .. }
        | mpi::PublicKey::ElGamal { .. } => {
            format!("{} {}", key.pk_algo(), key.mpis().bits().unwrap_or(0))
        }
        mpi::PublicKey::EdDSA { curve, .. }
        | mpi::PublicKey::ECDSA { curve, .. }
        | mpi::PublicKey::ECDH { curve, .. } => format!("{} {}", key.pk_algo(), curve),
        _ => key.pk_algo().to_string(),
    }
}

/// Size in bits of finite-field keys (RSA, DSA, ElGamal); `None` for elliptic curves.
pub fn finite_field_bits<P: KeyParts, R: KeyRole>(key: &Key<P, R>) -> Option<usize> {
    match key.mpis() {
        mpi::PublicKey::RSA { .. }
        | mpi::PublicKey::DSA { .. }
        | mpi::PublicKey::ElGamal { .. } => key.mpis().bits(),
        _ => None,
    }
}

/// A revocation, as `keys list` and verdicts show it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Revocation {
    /// "hard" (compromised or no reason: every signature is suspect) or "soft".
    pub kind: &'static str,
    /// The reason code, e.g. "Key is superseded"; "unspecified" when the revocation has none.
    pub reason: String,
    /// The free-text message in the revocation.
    pub message: String,
    /// When the revocation was made (RFC 3339 UTC).
    pub created: Option<String>,
}

impl Revocation {
    /// Describes a revocation signature.
    pub fn from_signature(sig: &openpgp::packet::Signature) -> Revocation {
        let (hard, reason, message) = match sig.reason_for_revocation() {
            Some((code, text)) => (
                code.revocation_type() == RevocationType::Hard,
                reason_name(code),
                String::from_utf8_lossy(text).into_owned(),
            ),
            None => (true, "unspecified".to_string(), String::new()),
        };
        Revocation {
            kind: if hard { "hard" } else { "soft" },
            reason,
            message,
            created: sig.signature_creation_time().map(rfc3339),
        }
    }

    /// True for a hard revocation.
    pub fn is_hard(&self) -> bool {
        self.kind == "hard"
    }
}

impl std::fmt::Display for Revocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} revocation ({})", self.kind, self.reason)?;
        if !self.message.is_empty() {
            write!(f, ": {:?}", self.message)?;
        }
        if let Some(t) = &self.created {
            write!(f, " made {t}")?;
        }
        Ok(())
    }
}

fn reason_name(code: ReasonForRevocation) -> String {
    match code {
        ReasonForRevocation::Unspecified => "unspecified".into(),
        ReasonForRevocation::KeySuperseded => "key superseded".into(),
        ReasonForRevocation::KeyCompromised => "key compromised".into(),
        ReasonForRevocation::KeyRetired => "key retired".into(),
        ReasonForRevocation::UIDRetired => "user ID retired".into(),
        other => other.to_string(),
    }
}

/// Formats a time as RFC 3339 UTC, to the second.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// One key (primary or subkey) as `keys list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    /// Full fingerprint, uppercase hex.
    pub fingerprint: String,
    /// Algorithm with size or curve, e.g. "RSA 4096", "EdDSA Ed25519".
    pub algorithm: String,
    /// Creation time.
    pub created: String,
    /// Expiry time, if the key expires.
    pub expires: Option<String>,
    /// Capabilities: "certify", "sign", "encrypt", "authenticate".
    pub capabilities: Vec<&'static str>,
    /// Set when the key is revoked.
    pub revocation: Option<Revocation>,
    /// Why the key is unusable under sigwatch's policy (no valid binding, weak algorithm).
    pub invalid: Option<String>,
}

/// One certificate as `keys list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CertInfo {
    /// Primary key fingerprint; this is what to pin.
    pub fingerprint: String,
    /// User IDs, as text.
    pub user_ids: Vec<String>,
    /// The primary key.
    pub primary: KeyInfo,
    /// Subkeys.
    pub subkeys: Vec<KeyInfo>,
    /// Warnings: expiring within 90 days, expired, revoked, SHA-1 bindings, weak keys.
    pub warnings: Vec<String>,
}

/// How long before expiry `keys list` and `lint` start warning.
pub const EXPIRY_WARNING: std::time::Duration = std::time::Duration::from_secs(90 * 24 * 3600);

/// Describes every certificate of a keyring under `policy` at `now`.
pub fn describe(keyring: &Keyring, policy: &dyn Policy, now: SystemTime) -> Vec<CertInfo> {
    keyring
        .certs
        .iter()
        .map(|cert| describe_cert(cert, policy, now))
        .collect()
}

fn describe_cert(cert: &Cert, policy: &dyn Policy, now: SystemTime) -> CertInfo {
    let mut warnings = Vec::new();
    let vcert = cert.with_policy(policy, now);
    let mut keys = Vec::new();
    for ka in cert.keys() {
        let key = ka.key();
        let mut info = KeyInfo {
            fingerprint: key.fingerprint().to_hex(),
            algorithm: algorithm_name(key),
            created: rfc3339(key.creation_time()),
            expires: None,
            capabilities: Vec::new(),
            revocation: None,
            invalid: None,
        };
        let valid = match &vcert {
            Ok(vc) => vc
                .keys()
                .key_handle(key.fingerprint())
                .next()
                .ok_or_else(|| {
                    anyhow::anyhow!("no valid binding signature under the current policy")
                }),
            Err(e) => Err(anyhow::anyhow!("{e:#}")),
        };
        match valid {
            Ok(vka) => {
                info.expires = vka.key_expiration_time().map(rfc3339);
                if let Some(flags) = vka.key_flags() {
                    if flags.for_certification() {
                        info.capabilities.push("certify");
                    }
                    if flags.for_signing() {
                        info.capabilities.push("sign");
                    }
                    if flags.for_transport_encryption() || flags.for_storage_encryption() {
                        info.capabilities.push("encrypt");
                    }
                    if flags.for_authentication() {
                        info.capabilities.push("authenticate");
                    }
                }
                if let RevocationStatus::Revoked(sigs) = vka.revocation_status() {
                    info.revocation = sigs.first().map(|s| Revocation::from_signature(s));
                }
                if vka.binding_signature().hash_algo() == openpgp::types::HashAlgorithm::SHA1 {
                    warnings.push(format!(
                        "key {} is bound by a SHA-1 self-signature; accepted (second-preimage use), but ask upstream to refresh it",
                        info.fingerprint
                    ));
                }
                if let Some(exp) = vka.key_expiration_time() {
                    if exp <= now {
                        warnings.push(format!(
                            "key {} expired on {}",
                            info.fingerprint,
                            rfc3339(exp)
                        ));
                    } else if exp.duration_since(now).unwrap_or_default() < EXPIRY_WARNING {
                        warnings.push(format!(
                            "key {} expires on {}, within 90 days",
                            info.fingerprint,
                            rfc3339(exp)
                        ));
                    }
                }
            }
            Err(e) => info.invalid = Some(format!("{e:#}")),
        }
        if let Some(rev) = &info.revocation {
            warnings.push(format!("key {} is revoked: {rev}", info.fingerprint));
        }
        if let Some(bits) = finite_field_bits(key)
            && bits < 2048
        {
            warnings.push(format!(
                "key {} is {} bits: too weak, signatures by it are rejected",
                info.fingerprint, bits
            ));
        }
        keys.push(info);
    }
    let primary = keys.remove(0);
    let user_ids = cert
        .userids()
        .map(|ua| String::from_utf8_lossy(ua.userid().value()).into_owned())
        .collect();
    CertInfo {
        fingerprint: primary.fingerprint.clone(),
        user_ids,
        primary,
        subkeys: keys,
        warnings,
    }
}

/// A minimal copy of a certificate: its keys, self-signatures, revocations and user IDs, with
/// third-party certifications and image user IDs (user attributes) dropped.
pub fn minimal(cert: &Cert) -> anyhow::Result<Cert> {
    use openpgp::Packet;
    let mut packets: Vec<Packet> = Vec::new();
    let primary = cert.primary_key();
    packets.push(primary.key().clone().into());
    packets.extend(primary.self_signatures().cloned().map(Packet::from));
    packets.extend(primary.self_revocations().cloned().map(Packet::from));
    // Components without a self-signature or self-revocation bind nothing: anyone can glue
    // a user ID or a key onto a certificate, so they are dropped, never merged.
    for ua in cert.userids() {
        if ua.self_signatures().next().is_none() && ua.self_revocations().next().is_none() {
            continue;
        }
        packets.push(ua.userid().clone().into());
        packets.extend(ua.self_signatures().cloned().map(Packet::from));
        packets.extend(ua.self_revocations().cloned().map(Packet::from));
    }
    for ka in cert.keys().subkeys() {
        if ka.self_signatures().next().is_none() && ka.self_revocations().next().is_none() {
            continue;
        }
        packets.push(ka.key().clone().into());
        packets.extend(ka.self_signatures().cloned().map(Packet::from));
        packets.extend(ka.self_revocations().cloned().map(Packet::from));
    }
    Cert::from_packets(packets.into_iter())
}

/// What a minimal copy drops: (third-party certifications, user attributes).
pub fn non_minimal_parts(cert: &Cert) -> (usize, usize) {
    let certs = cert
        .userids()
        .map(|ua| ua.certifications().count())
        .sum::<usize>()
        + cert
            .user_attributes()
            .map(|ua| ua.certifications().count())
            .sum::<usize>();
    (certs, cert.user_attributes().count())
}

/// Armored, minimal copies of the certificates holding `pins`, in pin order, each once.
///
/// Errors (configuration) naming the pins that are not in the keyring.
pub fn export_pinned(keyring: &Keyring, pins: &[crate::verify::Pin]) -> anyhow::Result<Vec<u8>> {
    use openpgp::serialize::Serialize as _;
    let mut chosen: Vec<&Cert> = Vec::new();
    let mut missing = Vec::new();
    for pin in pins {
        match keyring.find(&pin.0) {
            Some(cert) if !chosen.iter().any(|c| c.fingerprint() == cert.fingerprint()) => {
                chosen.push(cert)
            }
            Some(_) => {}
            None => missing.push(pin.to_string()),
        }
    }
    if !missing.is_empty() {
        return Err(VerifyError::keyring(
            &keyring.path,
            format!("pinned fingerprint(s) not in it: {}", missing.join(", ")),
        )
        .hint("check the fingerprints against `sigwatch keys list KEYRING`")
        .into());
    }
    let mut out = Vec::new();
    for cert in chosen {
        let cert = minimal(cert)?;
        let mut w = openpgp::armor::Writer::with_headers(
            &mut out,
            openpgp::armor::Kind::PublicKey,
            cert.userids().take(1).map(|u| {
                (
                    "Comment",
                    String::from_utf8_lossy(u.userid().value()).into_owned(),
                )
            }),
        )?;
        cert.serialize(&mut w)?;
        w.finalize()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn armor_blocks_are_found_between_prose() {
        let text = b"Keys of the project\n-----BEGIN PGP PUBLIC KEY BLOCK-----\nA\n-----END PGP PUBLIC KEY BLOCK-----\nsecond:\n-----BEGIN PGP PUBLIC KEY BLOCK-----\nB\n-----END PGP PUBLIC KEY BLOCK-----";
        let blocks = armor_blocks(text);
        assert_eq!(blocks.len(), 2);
        assert!(blocks[0].ends_with(b"BLOCK-----\n"));
        assert!(blocks[1].starts_with(b"-----BEGIN") && blocks[1].ends_with(b"BLOCK-----"));
    }

    #[test]
    fn minimal_copies_drop_components_that_nothing_binds() {
        use openpgp::packet::UserID;
        let (cert, _) = openpgp::cert::CertBuilder::new()
            .add_userid("Up <up@example.org>")
            .add_signing_subkey()
            .generate()
            .unwrap();
        let (other, _) = openpgp::cert::CertBuilder::new().generate().unwrap();
        let glued = cert
            .clone()
            .insert_packets(vec![
                openpgp::Packet::from(UserID::from("Mallory <m@evil.example>")),
                openpgp::Packet::from(other.primary_key().key().clone().role_into_subordinate()),
            ])
            .unwrap()
            .0;
        assert_eq!(glued.userids().count(), 2);
        let m = minimal(&glued).unwrap();
        assert_eq!(m.userids().count(), 1);
        assert_eq!(m.keys().subkeys().count(), 1);
        assert_eq!(m.fingerprint(), cert.fingerprint());
    }

    #[test]
    fn binary_and_armored_keyrings_load_the_same_certificates() {
        use openpgp::serialize::SerializeInto;
        let (a, _) = openpgp::cert::CertBuilder::new()
            .add_userid("A <a@example.org>")
            .generate()
            .unwrap();
        let (b, _) = openpgp::cert::CertBuilder::new()
            .add_userid("B <b@example.org>")
            .add_signing_subkey()
            .generate()
            .unwrap();
        let mut binary = a.to_vec().unwrap();
        binary.extend(b.to_vec().unwrap());
        let armored = [a.armored().to_vec().unwrap(), b.armored().to_vec().unwrap()].concat();
        let fprs = |bytes: &[u8]| {
            let k = Keyring::from_bytes(bytes, Path::new("k")).unwrap();
            assert!(k.warnings.is_empty(), "{:?}", k.warnings);
            let mut f: Vec<_> = k.certs.iter().map(|c| c.fingerprint()).collect();
            f.sort();
            f
        };
        assert_eq!(
            binary[0] & 0x80,
            0x80,
            "a binary keyring starts with a packet header"
        );
        let mut want = vec![a.fingerprint(), b.fingerprint()];
        want.sort();
        assert_eq!(fprs(&binary), want);
        assert_eq!(fprs(&armored), want);
    }

    #[test]
    fn armor_with_typographic_dashes_still_loads() {
        // U+2013 dashes start with byte 0xE2, which has bit 7 set like a binary packet
        // header; the file must still go through Sequoia's armor detection.
        use openpgp::serialize::SerializeInto;
        let (a, _) = openpgp::cert::CertBuilder::new()
            .add_userid("A <a@example.org>")
            .generate()
            .unwrap();
        let armored = String::from_utf8(a.armored().to_vec().unwrap()).unwrap();
        let dashed = armored.replace("-----", "\u{2013}\u{2013}\u{2013}\u{2013}\u{2013}");
        assert!(dashed.as_bytes()[0] & 0x80 != 0);
        let k = Keyring::from_bytes(dashed.as_bytes(), Path::new("k")).unwrap();
        assert_eq!(k.certs.len(), 1);
        assert_eq!(k.certs[0].fingerprint(), a.fingerprint());
    }

    #[test]
    fn binary_data_has_no_armor_blocks() {
        assert!(armor_blocks(&[0x99, 0x01, 0x0d, 0x04]).is_empty());
    }
}
