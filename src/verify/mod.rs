//! OpenPGP verification against pinned fingerprints: pins, policy, verdicts.
//!
//! This stage knows nothing about HTTP or watch files. `sigwatch verify` and `fetch` call the
//! same [`Checker::verify`], which hashes the data once, in one streaming pass for every
//! signature in the signature file, and then judges each signature:
//!
//! 1. cryptographically valid over the exact bytes (binary or text mode);
//! 2. made by a pinned key: a pinned primary fingerprint admits its signing subkeys, a pinned
//!    subkey fingerprint admits only that subkey;
//! 3. valid at the signature's creation time: bound, not expired then, not revoked (a hard
//!    revocation rejects every signature, a soft one only later ones), signing-capable, strong.
//!
//! A rejected signature is a [`Verdict`], not an error.

pub mod checksums;
pub mod exception;
pub mod inline;
pub mod keyring;
pub mod pin;
pub mod proof;
mod signature;
pub mod sigstore;
mod validity;
mod verdict;

use std::io::{self, Read};
use std::time::{Duration, SystemTime};

use sequoia_openpgp as openpgp;

use openpgp::cert::prelude::*;
use openpgp::crypto::hash::Context;
use openpgp::packet::Signature;
use openpgp::policy::{HashAlgoSecurity, Policy, StandardPolicy};
use openpgp::types::{HashAlgorithm, SignatureType};
use openpgp::{Cert, Fingerprint, KeyHandle};

pub use exception::{Accepted, Exception, Rule};
pub use keyring::{Keyring, Revocation, rfc3339};
pub use pin::{FINGERPRINT_HINT, Pin, PinError, parse_pin, parse_pins};
pub use proof::{Judgement, LineCheck, Proof, Proven, Proving, Provings};
use signature::Hashers;
pub use signature::{Pending, armored_signature, parse_signatures};
pub use verdict::{Outcome, Reason, SignatureReport, Signer, Status, Verdict};

use crate::base::digest::{hex, read_chunks};
use crate::error::{Failure, config};

/// How far in the future a signature's creation time may lie (clock skew between machines).
///
/// The same tolerance Sequoia (and so `sqv`) uses.
pub const CLOCK_SKEW_TOLERANCE: Duration = Duration::from_secs(30 * 60);

/// The largest signature file sigwatch reads; real ones are a few hundred bytes. Downloads
/// are capped lower by default (`--max-signature-mib`).
pub const MAX_SIGNATURE_BYTES: usize = 16 * 1024 * 1024;

/// The policy: Sequoia's standard policy, plus SHA-1 in self-signatures and bindings.
///
/// SHA-1 in a binding signature is a second-preimage use (the key owner chose what was
/// signed), which SHA-1 still resists. Refusing it would refuse about three in ten real
/// upstream keys and push packagers to turn checking off. Data signatures with SHA-1 are
/// still rejected ([`Status::WeakHash`]); such bindings are reported as warnings.
pub fn policy() -> StandardPolicy<'static> {
    let mut p = StandardPolicy::new();
    p.accept_hash_property(
        HashAlgorithm::SHA1,
        HashAlgoSecurity::SecondPreImageResistance,
    );
    p
}

/// Verifies files against a keyring and pins. Build it once, verify many files.
pub struct Checker<'a> {
    keyring: &'a Keyring,
    pins: &'a [Pin],
    threshold: usize,
    now: SystemTime,
    policy: StandardPolicy<'static>,
    /// Pins that are not in the keyring (warned about when others are).
    pub warnings: Vec<String>,
    /// Recorded exceptions: exact files accepted despite one waivable rule.
    exceptions: Vec<Exception>,
    /// While judging under an exception: the signer and the rule waived for it.
    waived: Option<(Fingerprint, Rule)>,
}

impl<'a> Checker<'a> {
    /// Checks the configuration: at least one pin in the keyring, a threshold that can be met.
    pub fn new(keyring: &'a Keyring, pins: &'a [Pin], threshold: usize) -> Result<Self, Failure> {
        Self::at(keyring, pins, threshold, SystemTime::now())
    }

    /// Like [`Checker::new`], naming the pins in messages by where they were written:
    /// `origin(i)` is the place of `pins[i]`, e.g. `keys.fingerprints[0]` or `--fingerprint`.
    pub fn named(
        keyring: &'a Keyring,
        pins: &'a [Pin],
        threshold: usize,
        origin: &dyn Fn(usize) -> String,
    ) -> Result<Self, Failure> {
        Self::at_named(keyring, pins, threshold, SystemTime::now(), origin)
    }

    /// Like [`Checker::new`] with a given "now" (for tests and replaying history).
    pub fn at(
        keyring: &'a Keyring,
        pins: &'a [Pin],
        threshold: usize,
        now: SystemTime,
    ) -> Result<Self, Failure> {
        let origin = |i: usize| {
            if pins.len() == 1 {
                "the pinned fingerprint".to_string()
            } else {
                format!("pinned fingerprint {}", i + 1)
            }
        };
        Self::at_named(keyring, pins, threshold, now, &origin)
    }

    /// [`Checker::named`] with a given "now".
    pub fn at_named(
        keyring: &'a Keyring,
        pins: &'a [Pin],
        threshold: usize,
        now: SystemTime,
        origin: &dyn Fn(usize) -> String,
    ) -> Result<Self, Failure> {
        if pins.is_empty() {
            return Err(config("no fingerprint is pinned").hint(FINGERPRINT_HINT));
        }
        if threshold == 0 {
            return Err(config("threshold must be at least 1"));
        }
        if threshold > pins.len() {
            return Err(config(format!(
                "threshold {threshold} is more than the {} pinned fingerprint(s): it can never be met",
                pins.len()
            )));
        }
        let mut certs: Vec<Fingerprint> = pins
            .iter()
            .filter_map(|p| keyring.find(&p.0))
            .map(|c| c.fingerprint())
            .collect();
        certs.sort();
        certs.dedup();
        // Pins missing from the keyring may be distinct certificates: count them as such.
        let distinct = certs.len() + pins.iter().filter(|p| keyring.find(&p.0).is_none()).count();
        if threshold > distinct {
            return Err(config(format!(
                "threshold {threshold} needs {threshold} distinct certificates, but the pins name only {distinct} (keyring {})",
                keyring.path.display()
            ))
            .hint("pins naming subkeys of one certificate count once"));
        }
        // A pinned key bound into a second certificate (which takes the key's secret for the
        // backsig, as a thief of a compromised key has) would let that certificate's clean
        // record vouch for the key: refuse such a keyring.
        for pin in pins {
            let holders: Vec<String> = keyring
                .certs
                .iter()
                .filter(|c| c.keys().any(|k| k.key().fingerprint() == pin.0))
                .map(|c| c.fingerprint().to_hex())
                .collect();
            if holders.len() > 1 {
                return Err(config(format!(
                    "keyring {}: pinned key {pin} is bound to {} certificates ({}); sigwatch will not guess which one speaks for it",
                    keyring.path.display(),
                    holders.len(),
                    holders.join(", ")
                ))
                .hint("keep only upstream's certificate in the keyring (sigwatch add writes a minimal copy)"));
            }
        }
        let missing: Vec<(usize, &Pin)> = pins
            .iter()
            .enumerate()
            .filter(|(_, p)| keyring.find(&p.0).is_none())
            .collect();
        // A pin one or two digits away from a key in the keyring is a typo, not a missing key.
        let describe = |i: usize, pin: &Pin| match near_match(keyring, pin) {
            Some(near) => format!(
                "{} {pin} is not, but {} differs from it in {}",
                origin(i),
                near.describe(),
                near.positions_text()
            ),
            None => format!("{} {pin}", origin(i)),
        };
        if missing.len() == pins.len() {
            let list: Vec<String> = missing.iter().map(|(i, p)| describe(*i, p)).collect();
            let near = missing
                .iter()
                .find_map(|(i, p)| near_match(keyring, p).map(|n| (i, n)));
            let hint = match near {
                Some((i, n)) => format!(
                    "if {} is the key upstream publishes, correct {} to it; otherwise add the pinned certificate to the keyring",
                    n.key.to_hex(),
                    origin(*i)
                ),
                None => format!(
                    "add the pinned certificate to the keyring, or compare the pin with `sigwatch keys list {}`",
                    keyring.path.display()
                ),
            };
            return Err(config(format!(
                "keyring {}: none of the pinned fingerprints is in it: {}",
                keyring.path.display(),
                list.join("; ")
            ))
            .hint(hint));
        }
        let warnings = missing
            .iter()
            .map(|(i, p)| {
                format!(
                    "{} is not in keyring {}",
                    describe(*i, p),
                    keyring.path.display()
                )
            })
            .collect();
        Ok(Checker {
            keyring,
            pins,
            threshold,
            now,
            policy: policy(),
            warnings,
            exceptions: Vec::new(),
            waived: None,
        })
    }

    /// Verifies `data` (streamed, never held in memory) against the signature file's bytes.
    ///
    /// Errors only when reading `data` fails; every judgement is in the [`Verdict`].
    pub fn verify<R: Read>(&self, data: R, signature: &[u8]) -> io::Result<Verdict> {
        let mut pending = self.start(signature);
        read_chunks(data, |chunk| pending.update(chunk))?;
        Ok(self.finish(pending))
    }

    /// Starts an incremental verification: feed the data to [`Pending::update`] as it
    /// arrives (a download, say), then call [`Checker::finish`]. Same code path as `verify`.
    pub fn start(&self, signature: &[u8]) -> Pending {
        let mut pending = self.parse_and_slot(signature);
        if !self.exceptions.is_empty() {
            // Exceptions are keyed by the file's sha256.
            pending.sha256_slot = Some(pending.hashers.plain_slot(HashAlgorithm::SHA256));
        }
        pending
    }

    fn parse_and_slot(&self, signature: &[u8]) -> Pending {
        match parse_signatures(signature) {
            Ok(sigs) => {
                let mut hashers = Hashers::default();
                let slots = sigs.iter().map(|s| hashers.slot_for(s)).collect();
                Pending {
                    parsed: Ok((sigs, slots)),
                    hashers,
                    sha256_slot: None,
                }
            }
            Err(msg) => Pending {
                parsed: Err(msg),
                hashers: Hashers::default(),
                sha256_slot: None,
            },
        }
    }

    /// Like [`Checker::start`], and also computes the plain SHA-256 of the data
    /// ([`Pending::sha256`]), sharing the hash context with any binary, unsalted SHA-256
    /// signature instead of hashing the data a second time.
    pub fn start_with_sha256(&self, signature: &[u8]) -> Pending {
        let mut pending = self.start(signature);
        pending.sha256_slot = Some(pending.hashers.plain_slot(HashAlgorithm::SHA256));
        pending
    }

    /// The same checker, honouring these recorded exceptions: a file whose sha256 and signer
    /// match one is accepted despite that one rule (see [`exception`]).
    pub fn with_exceptions(mut self, exceptions: Vec<Exception>) -> Self {
        self.exceptions = exceptions;
        self
    }

    /// Whether recorded exceptions are honoured (they match on the file's sha256).
    pub fn has_exceptions(&self) -> bool {
        !self.exceptions.is_empty()
    }

    /// Judges every signature over the data fed to `pending`.
    pub fn finish(&self, pending: Pending) -> Verdict {
        let sha256 = pending.sha256();
        let (sigs, slots) = match pending.parsed {
            Ok(parsed) => parsed,
            Err(msg) => return Verdict::rejected(Reason::NotASignature(msg), self.threshold),
        };
        let verdict = self.judge_all(&sigs, &slots, &pending.hashers);
        if verdict.is_verified() {
            return verdict;
        }
        let Some(sha256) = sha256 else {
            return verdict;
        };
        for ex in self.exceptions.iter().filter(|e| e.sha256 == sha256) {
            let waiving = Checker {
                keyring: self.keyring,
                pins: self.pins,
                threshold: self.threshold,
                now: self.now,
                policy: self.policy.clone(),
                warnings: self.warnings.clone(),
                exceptions: Vec::new(),
                waived: Some((ex.signer.clone(), ex.rule)),
            };
            let mut accepted = waiving.judge_all(&sigs, &slots, &pending.hashers);
            if accepted.is_verified() {
                let exception = Accepted {
                    rule: ex.rule,
                    signer: ex.signer.to_hex(),
                    sha256: sha256.clone(),
                    reason: ex.reason.clone(),
                };
                accepted.warnings.push(exception.warning());
                accepted.accepted = Some(exception);
                return accepted;
            }
        }
        verdict
    }

    /// Whether `rule` is waived for a signature by certificate `cert`.
    fn waives(&self, cert: &Cert, rule: Rule) -> bool {
        self.waived
            .as_ref()
            .is_some_and(|(signer, waived)| *waived == rule && *signer == cert.fingerprint())
    }

    fn judge_all(&self, sigs: &[Signature], slots: &[Option<usize>], hashers: &Hashers) -> Verdict {
        let mut verdict = Verdict::rejected(Reason::NoGoodSignature, self.threshold);
        verdict.warnings.extend(self.warnings.iter().cloned());
        for (sig, slot) in sigs.iter().zip(slots.iter().copied()) {
            let report = self.judge(sig, slot.map(|i| hashers.context(i)));
            verdict.warnings.extend(report.warnings.iter().cloned());
            verdict.signatures.push(report);
        }
        let mut signers: Vec<Signer> = Vec::new();
        for (sig, report) in sigs.iter().zip(&verdict.signatures) {
            if report.status != Status::Good {
                continue;
            }
            let (Some(cert), Some(key)) = (&report.certificate, &report.key) else {
                continue;
            };
            let cert = Fingerprint::from_hex(cert).expect("we formatted it");
            if signers.iter().any(|s| s.cert == cert) {
                continue;
            }
            signers.push(Signer {
                cert,
                key: Fingerprint::from_hex(key).expect("we formatted it"),
                created: sig
                    .signature_creation_time()
                    .expect("good signatures have a creation time"),
            });
        }
        verdict.outcome = if signers.len() >= self.threshold {
            Outcome::Verified(signers)
        } else if !signers.is_empty() {
            Outcome::Rejected(Reason::BelowThreshold {
                needed: self.threshold,
                got: signers.len(),
            })
        } else {
            Outcome::Rejected(Reason::NoGoodSignature)
        };
        verdict
    }

    fn judge(&self, sig: &Signature, ctx: Option<Result<Context, String>>) -> SignatureReport {
        let issuer = issuer_name(sig);
        let mut report = SignatureReport {
            issuer: issuer.clone(),
            key: None,
            certificate: None,
            user_id: None,
            created: sig.signature_creation_time().map(rfc3339),
            hash_algorithm: sig.hash_algo().to_string(),
            public_key_algorithm: sig.pk_algo().to_string(),
            mode: if sig.typ() == SignatureType::Text {
                "text"
            } else {
                "binary"
            },
            pinned: false,
            status: Status::Malformed,
            reason: String::new(),
            warnings: Vec::new(),
        };
        let set = |report: &mut SignatureReport, status: Status, reason: String| {
            report.status = status;
            report.reason = reason;
        };
        if !matches!(sig.typ(), SignatureType::Binary | SignatureType::Text) {
            set(
                &mut report,
                Status::Malformed,
                format!("a {} signature is not a signature over a file", sig.typ()),
            );
            return report;
        }
        let ctx = match ctx {
            Some(Ok(ctx)) => ctx,
            Some(Err(e)) => {
                set(&mut report, Status::Unsupported, e);
                return report;
            }
            None => {
                set(
                    &mut report,
                    Status::Unsupported,
                    format!("hash algorithm {} is not supported", sig.hash_algo()),
                );
                return report;
            }
        };
        let Some(created) = sig.signature_creation_time() else {
            set(
                &mut report,
                Status::Malformed,
                "the signature has no creation time".into(),
            );
            return report;
        };
        let handles = sig.get_issuers();
        if handles.is_empty() {
            set(
                &mut report,
                Status::MissingKey,
                "the signature names no issuer key".into(),
            );
            return report;
        }
        let candidates: Vec<(&Cert, Fingerprint)> = self
            .keyring
            .certs
            .iter()
            .flat_map(|c| {
                c.keys()
                    .key_handles(handles.iter())
                    .map(move |ka| (c, ka.key().fingerprint()))
            })
            .collect();
        if candidates.is_empty() {
            let name = match &issuer {
                Some(i) if i.starts_with("key ID") => i.clone(),
                Some(fpr) => format!("key {fpr}"),
                None => "an unknown key".into(),
            };
            set(
                &mut report,
                Status::MissingKey,
                format!(
                    "signed by {name}, which is not in keyring {}",
                    self.keyring.path.display()
                ),
            );
            return report;
        }
        let mut best: Option<SignatureReport> = None;
        let mut crypto_error = None;
        let mut predates = None;
        for (cert, fpr) in candidates {
            let key = cert
                .keys()
                .key_handle(fpr.clone())
                .next()
                .expect("candidate came from this cert");
            if key.key().creation_time() > created {
                // Sequoia refuses this before checking the bytes; say what it is.
                predates.get_or_insert((cert, fpr.clone(), key.key().creation_time()));
                continue;
            }
            if let Err(e) = sig.verify_hash(key.key(), ctx.clone()) {
                crypto_error.get_or_insert((fpr.clone(), e));
                continue;
            }
            let mut r = report.clone();
            self.name_signer(&mut r, cert, &fpr);
            match self.validity(sig, created, cert, &fpr, r.pinned, &mut r.warnings) {
                Ok(()) => {
                    r.status = Status::Good;
                    r.reason = format!("good signature by pinned key {}", fpr.to_hex());
                    return r;
                }
                Err((status, reason)) => {
                    r.status = status;
                    r.reason = reason;
                }
            }
            // Prefer reporting the pinned candidate's failure.
            if best.as_ref().is_none_or(|b| !b.pinned && r.pinned) {
                best = Some(r);
            }
        }
        if let Some(best) = best {
            return best;
        }
        let Some((fpr, e)) = crypto_error else {
            let (cert, fpr, key_created) =
                predates.expect("every candidate was skipped for a reason");
            self.name_signer(&mut report, cert, &fpr);
            set(
                &mut report,
                Status::NoBinding,
                format!(
                    "the signature claims to be made on {}, before key {} was created on {}",
                    rfc3339(created),
                    fpr.to_hex(),
                    rfc3339(key_created)
                ),
            );
            return report;
        };
        match self.keyring.find(&fpr) {
            Some(cert) => self.name_signer(&mut report, cert, &fpr),
            None => report.key = Some(fpr.to_hex()),
        }
        set(
            &mut report,
            Status::BadSignature,
            format!(
                "bad signature by key {}: it does not match the file's bytes ({})",
                fpr.to_hex(),
                first_line(&format!("{e}"))
            ),
        );
        report
    }

    /// Fills in who made a signature: key, certificate, user ID, and whether it is pinned.
    fn name_signer(&self, report: &mut SignatureReport, cert: &Cert, key: &Fingerprint) {
        report.key = Some(key.to_hex());
        report.certificate = Some(cert.fingerprint().to_hex());
        report.user_id = primary_user_id(cert, &self.policy);
        report.pinned = self
            .pins
            .iter()
            .any(|p| p.0 == cert.fingerprint() || &p.0 == key);
    }
}

/// A key in the keyring whose fingerprint is one or two hex digits away from a pin.
struct NearMatch<'k> {
    cert: &'k Cert,
    key: Fingerprint,
    /// 1-based positions of the differing hex digits.
    positions: Vec<usize>,
}

impl NearMatch<'_> {
    fn describe(&self) -> String {
        let what = if self.key == self.cert.fingerprint() {
            "certificate"
        } else {
            "subkey"
        };
        let uid = primary_user_id(self.cert, &policy())
            .map(|u| format!(" ({u})"))
            .unwrap_or_default();
        format!("{what} {}{uid} in the keyring", self.key.to_hex())
    }

    fn positions_text(&self) -> String {
        let pos: Vec<String> = self.positions.iter().map(|p| p.to_string()).collect();
        format!(
            "{} hex digit{} (position {}): a typo in the pin?",
            self.positions.len(),
            if self.positions.len() == 1 { "" } else { "s" },
            pos.join(" and ")
        )
    }
}

/// The key nearest to `pin` among those differing from it in one or two hex digits.
fn near_match<'k>(keyring: &'k Keyring, pin: &Pin) -> Option<NearMatch<'k>> {
    let want = pin.0.to_hex();
    keyring
        .certs
        .iter()
        .flat_map(|c| c.keys().map(move |k| (c, k.key().fingerprint())))
        .filter_map(|(cert, key)| {
            let hex = key.to_hex();
            if hex.len() != want.len() {
                return None;
            }
            let positions: Vec<usize> = hex
                .bytes()
                .zip(want.bytes())
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .map(|(i, _)| i + 1)
                .collect();
            (1..=2).contains(&positions.len()).then_some(NearMatch {
                cert,
                key,
                positions,
            })
        })
        .min_by_key(|n| n.positions.len())
}

/// The signature's issuer: its issuer fingerprint, else its key ID.
fn issuer_name(sig: &Signature) -> Option<String> {
    let handles = sig.get_issuers();
    handles
        .iter()
        .find(|h| matches!(h, KeyHandle::Fingerprint(_)))
        .or_else(|| handles.first())
        .map(|h| match h {
            KeyHandle::Fingerprint(f) => f.to_hex(),
            KeyHandle::KeyID(id) => format!("key ID {}", id.to_hex()),
        })
}

fn primary_user_id(cert: &Cert, policy: &dyn Policy) -> Option<String> {
    let uid = cert
        .with_policy(policy, None)
        .ok()
        .and_then(|vc| {
            vc.primary_userid()
                .ok()
                .map(|u| u.userid().value().to_vec())
        })
        .or_else(|| cert.userids().next().map(|u| u.userid().value().to_vec()))?;
    Some(String::from_utf8_lossy(&uid).into_owned())
}

/// A packet parser over `bytes`, with Sequoia's armor detection unless the bytes start with
/// the header of a packet that begins a signature file or a keyring (signature, key, marker,
/// padding). Binary signatures and keyrings then skip the armor reader, which zero-fills a
/// 64 KiB buffer: 16 page faults of a small `verify`'s ~360. Anything else — armor, armor
/// after prose in any script, armor written with typographic dashes — goes through
/// Sequoia's detection as before.
pub(crate) fn packet_parser(
    bytes: &[u8],
) -> openpgp::Result<openpgp::parse::PacketParserResult<'_>> {
    use openpgp::parse::{Dearmor, PacketParserBuilder, Parse};
    let builder = PacketParserBuilder::from_bytes(bytes)?;
    if starts_binary(bytes) {
        builder.dearmor(Dearmor::Disabled).build()
    } else {
        builder.build()
    }
}

/// `bytes` with its armor taken off in one pass, read by the same reader in the same mode
/// (`ReaderMode::Tolerant(None)`, its default) as the packet parser's own armor detection,
/// for input the parser would dearmor too: input whose first byte has bit 7 clear, which no
/// packet header has. Everything else (binary packets, a byte-order mark, prose in a
/// non-ASCII script before the armor), and armor that reader cannot read to its end, comes
/// back as it is, for [`packet_parser`] to decide and to name any problem in its usual words.
///
/// Parsing armored input directly costs more: each time the parser wants more bytes than
/// the armor reader holds, the reader zero-fills a fresh 64 KiB buffer (six of them for a
/// keyring of two certificates). The armor is read in pieces of at most 64 KiB, so the
/// reader's buffers stay that size whatever the input's; the decoded copy (three quarters of
/// the armor) sits beside the input.
pub(crate) fn dearmored(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    use openpgp::armor::{Reader, ReaderMode};
    use std::borrow::Cow;
    use std::io::Read as _;
    const PIECE: usize = 64 * 1024;
    if bytes.first().is_none_or(|b| b & 0x80 != 0) {
        return Cow::Borrowed(bytes);
    }
    let decoded = bytes.len() * 3 / 4 + 1;
    let mut binary = Vec::with_capacity(decoded);
    let mut piece = vec![0u8; decoded.min(PIECE)];
    let mut reader = Reader::from_bytes(bytes, ReaderMode::default());
    loop {
        match reader.read(&mut piece) {
            Ok(0) => break,
            Ok(n) => binary.extend_from_slice(&piece[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return Cow::Borrowed(bytes),
        }
    }
    if starts_binary(&binary) {
        Cow::Owned(binary)
    } else {
        Cow::Borrowed(bytes)
    }
}

/// True when `bytes` starts with the header of a signature, key, marker or padding packet.
fn starts_binary(bytes: &[u8]) -> bool {
    use openpgp::packet::Tag;
    use openpgp::packet::header::CTB;
    bytes
        .first()
        .and_then(|&b| CTB::try_from(b).ok())
        .is_some_and(|ctb| {
            matches!(
                ctb.tag(),
                Tag::Signature | Tag::PublicKey | Tag::SecretKey | Tag::Marker | Tag::Padding
            )
        })
}

pub(crate) fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::signature::hash_text;
    use super::*;

    fn text_digest(chunks: &[&[u8]]) -> Vec<u8> {
        let mut ctx = HashAlgorithm::SHA256.context().unwrap().for_digest();
        let mut cr = false;
        for c in chunks {
            cr = hash_text(&mut ctx, c, cr);
        }
        ctx.into_digest().unwrap()
    }

    fn plain_digest(data: &[u8]) -> Vec<u8> {
        let mut ctx = HashAlgorithm::SHA256.context().unwrap().for_digest();
        ctx.update(data);
        ctx.into_digest().unwrap()
    }

    #[test]
    fn text_mode_turns_every_line_ending_into_crlf() {
        let want = plain_digest(b"a\r\nb\r\nc\r\n\r\nd");
        assert_eq!(text_digest(&[b"a\nb\r\nc\r\r\nd"]), want);
        assert_eq!(text_digest(&[b"a\nb\r", b"\nc\r", b"\r\nd"]), want);
        assert_eq!(
            text_digest(&[b"a\nb", b"\r", b"\n", b"c\r\r", b"\nd"]),
            want
        );
    }

    #[test]
    fn dearmored_takes_armor_off_once_and_leaves_binary_or_unreadable_armor_alone() {
        use openpgp::serialize::SerializeInto;
        use std::borrow::Cow;
        let (cert, _) = openpgp::cert::CertBuilder::new()
            .add_userid("A <a@example.org>")
            .generate()
            .unwrap();
        let binary = cert.to_vec().unwrap();
        let armored = cert.armored().to_vec().unwrap();

        let out = dearmored(&armored);
        assert!(matches!(out, Cow::Owned(_)));
        assert_eq!(&*out, &binary[..], "the armor's content, byte for byte");

        assert!(matches!(dearmored(&binary), Cow::Borrowed(b) if b == &binary[..]));

        // Base64 that stops decoding half way: handed back whole, for the parser to name.
        let text = String::from_utf8(armored).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        let body = lines.len() / 2;
        lines[body] = "*** not base64 ***";
        let broken = lines.join("\n");
        assert!(matches!(dearmored(broken.as_bytes()), Cow::Borrowed(b) if b == broken.as_bytes()));

        // A first byte with bit 7 set (here: prose in a non-ASCII script before the armor) is
        // the parser's to decide, as before.
        let prose = [b"\xc3\x89t\xc3\xa9\n".as_slice(), text.as_bytes()].concat();
        assert!(matches!(dearmored(&prose), Cow::Borrowed(b) if b == &prose[..]));
    }

    #[test]
    fn the_plain_sha256_slot_is_the_sha256_of_the_data() {
        let mut hashers = Hashers::default();
        let i = hashers.plain_slot(HashAlgorithm::SHA256);
        assert_eq!(
            hashers.plain_slot(HashAlgorithm::SHA256),
            i,
            "one slot serves all"
        );
        hashers.update(b"abc");
        let pending = Pending {
            parsed: Err(String::new()),
            hashers,
            sha256_slot: Some(i),
        };
        assert_eq!(
            pending.sha256().unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn empty_and_garbage_signature_files_are_not_signatures() {
        assert!(parse_signatures(b"").unwrap_err().contains("empty"));
        assert!(parse_signatures(b"hello world, not a signature").is_err());
        let clear = b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nhi\n";
        assert!(parse_signatures(clear).unwrap_err().contains("cleartext"));
    }
}
