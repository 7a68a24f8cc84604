//! Lint: trust problems in watch files and keyrings, each with a severity and a fix.

use std::path::Path;
use std::time::SystemTime;

use sequoia_openpgp as openpgp;

use openpgp::Cert;
use openpgp::types::{HashAlgorithm, RevocationStatus};

use crate::verify::keyring::{EXPIRY_WARNING, finite_field_bits, non_minimal_parts};
use crate::verify::{Keyring, Revocation, policy, rfc3339};
use crate::watch::Watch;

pub use crate::report::model::{Finding, FindingSeverity as Severity};

/// Lints one watch file and its keyring.
pub fn lint_file(path: &Path, now: SystemTime) -> Vec<Finding> {
    let mut out = Vec::new();
    let watch_name = path.display().to_string();
    let mut add = |severity, code, message: String, fix: String| {
        out.push(Finding {
            watch: watch_name.clone(),
            severity,
            code,
            message,
            fix,
        })
    };
    let watch = match Watch::load(path).map_err(crate::error::Failure::from) {
        Ok(w) => w,
        Err(e) => {
            add(
                Severity::Error,
                "watch-invalid",
                e.message,
                e.hint.unwrap_or_else(|| {
                    format!(
                        "edit {} at the field the message names; `sigwatch add --help` shows a complete watch file",
                        path.display()
                    )
                }),
            );
            return out;
        }
    };
    for (i, a) in watch.accept.iter().enumerate() {
        add(
            Severity::Warning,
            "accepted-exception",
            format!(
                "accept[{i}]: {} {} is accepted despite `{}` (signer {}, sha256 {}): {}",
                a.file,
                a.version.as_deref().unwrap_or(""),
                a.exception.rule,
                a.exception.signer.to_hex(),
                a.exception.sha256,
                a.exception.reason
            ),
            format!(
                "once upstream signs a newer release properly, delete this [[accept]] table from {}; it covers only these bytes",
                path.display()
            ),
        );
    }
    if let Some((message, fix)) = watch.pypi_signature_warning() {
        add(Severity::Warning, "pypi-no-signatures", message, fix);
    }
    if let Some(section) = &watch.sigstore {
        for (message, fix) in unmatched_publishers(&watch, section) {
            add(Severity::Warning, "sigstore-pin-unmatched", message, fix);
        }
    }
    let Some(keys) = &watch.keys else {
        return out;
    };
    let keyring = match Keyring::load(&keys.keyring) {
        Ok(k) => k,
        Err(e) => {
            add(
                Severity::Error,
                "keyring-invalid",
                crate::error::one_line(&e),
                crate::error::hint_of(&e)
                    .unwrap_or("replace the keyring with the upstream public keys")
                    .into(),
            );
            return out;
        }
    };
    let policy = policy();
    let mut pinned_certs: Vec<&Cert> = Vec::new();
    for pin in &keys.pins {
        match keyring.find(&pin.0) {
            None => add(
                Severity::Error,
                "pin-missing",
                format!(
                    "pinned fingerprint {pin} is not in keyring {}",
                    keyring.path.display()
                ),
                format!(
                    "add the certificate (`gpg --export --armor {pin} >> {}`), or correct the pin in {} keys.fingerprints",
                    keyring.path.display(),
                    path.display()
                ),
            ),
            Some(cert) => {
                if !pinned_certs
                    .iter()
                    .any(|c| c.fingerprint() == cert.fingerprint())
                {
                    pinned_certs.push(cert);
                }
            }
        }
    }
    let mut can_sign_now = false;
    for cert in &pinned_certs {
        let fpr = cert.fingerprint().to_hex();
        let uid = cert
            .userids()
            .next()
            .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
            .unwrap_or_default();
        let who = if uid.is_empty() {
            fpr.clone()
        } else {
            format!("{fpr} ({uid})")
        };
        if cert.primary_key().key().version() < 4 {
            add(
                Severity::Error,
                "pin-weak",
                format!("pinned key {who} is a v3 key"),
                "ask upstream for a modern key".into(),
            );
        }
        for ka in cert.keys() {
            if let Some(bits) = finite_field_bits(ka.key())
                && bits < 2048
            {
                {
                    add(
                        Severity::Error,
                        "pin-weak",
                        format!(
                            "key {} of {who} is {} bits: signatures by it are rejected",
                            ka.key().fingerprint().to_hex(),
                            bits
                        ),
                        "ask upstream to sign with a key of at least 2048 bits (or Ed25519)".into(),
                    );
                }
            }
        }
        let vcert = match cert.with_policy(&policy, now) {
            Ok(v) => v,
            Err(e) => {
                add(
                    Severity::Error,
                    "pin-invalid",
                    format!("pinned certificate {who} is not valid: {e}"),
                    "replace it with upstream's current key".into(),
                );
                continue;
            }
        };
        if let RevocationStatus::Revoked(revs) = vcert.revocation_status() {
            let rev = revs.first().map(|r| Revocation::from_signature(r));
            let hard = rev.as_ref().is_none_or(|r| r.is_hard());
            let text = rev.map(|r| r.to_string()).unwrap_or_default();
            add(
                if hard {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                "pin-revoked",
                format!("pinned certificate {who} is revoked: {text}"),
                if hard {
                    "remove the pin; every signature by this key is rejected".into()
                } else {
                    "pin upstream's new key; signatures made before the revocation still verify"
                        .into()
                },
            );
        }
        let expiry = vcert.primary_key().key_expiration_time();
        match expiry {
            Some(exp) if exp <= now => add(
                Severity::Error,
                "pin-expired",
                format!("pinned certificate {who} expired on {}", rfc3339(exp)),
                refresh_fix(
                    &watch,
                    "get the key with its extended expiry from upstream (new signatures by it are rejected until then)",
                ),
            ),
            Some(exp) if exp.duration_since(now).unwrap_or_default() < EXPIRY_WARNING => add(
                Severity::Warning,
                "pin-expiring",
                format!(
                    "pinned certificate {who} expires on {}, within 90 days",
                    rfc3339(exp)
                ),
                refresh_fix(
                    &watch,
                    "get the key with its extended expiry from upstream before then",
                ),
            ),
            _ => {}
        }
        // Keys that can sign now; GnuPG keys usually expire on their signing subkey only.
        let revoked = matches!(vcert.revocation_status(), RevocationStatus::Revoked(_));
        let primary_expired = expiry.is_some_and(|e| e <= now);
        let signers: Vec<Option<SystemTime>> = vcert
            .keys()
            .for_signing()
            .alive()
            .revoked(false)
            .map(|k| k.key_expiration_time())
            .collect();
        if !signers.is_empty() {
            can_sign_now = true;
        }
        // The last moment any of its signing keys is valid (None: one never expires).
        let last = signers.iter().copied().reduce(|a, b| match (a, b) {
            (None, _) | (_, None) => None,
            (Some(x), Some(y)) => Some(x.max(y)),
        });
        match last {
            _ if revoked || primary_expired => {}
            None if signers.is_empty() => add(
                Severity::Warning,
                "pin-cannot-sign",
                format!("pinned certificate {who} has no valid signing key now"),
                refresh_fix(
                    &watch,
                    "check the pin; upstream may sign with another key or an extended subkey",
                ),
            ),
            Some(Some(t))
                if expiry.is_none_or(|e| e > t)
                    && t.duration_since(now).unwrap_or_default() < EXPIRY_WARNING =>
            {
                add(
                    Severity::Warning,
                    "pin-expiring",
                    format!(
                        "the signing key(s) of pinned certificate {who} expire on {}, within 90 days",
                        rfc3339(t)
                    ),
                    refresh_fix(
                        &watch,
                        "get the key with its extended expiry from upstream before then",
                    ),
                )
            }
            _ => {}
        }
        let sha1 = std::iter::once(vcert.primary_key().binding_signature())
            .chain(vcert.keys().subkeys().map(|k| k.binding_signature()))
            .any(|s| s.hash_algo() == HashAlgorithm::SHA1);
        if sha1 {
            add(
                Severity::Warning,
                "pin-sha1-binding",
                format!(
                    "pinned certificate {who} uses SHA-1 self-signatures (accepted, but dated)"
                ),
                "ask upstream to refresh the key's self-signatures with SHA-256 or better".into(),
            );
        }
        let (certs, attrs) = non_minimal_parts(cert);
        if certs > 0 || attrs > 0 {
            add(
                Severity::Warning,
                "keyring-not-minimal",
                format!("certificate {who} carries {certs} third-party certification(s) and {attrs} image user ID(s)"),
                "keep only what verification needs: `sigwatch add` writes minimal copies (or gpg --export-options export-minimal)".into(),
            );
        }
    }
    if !pinned_certs.is_empty() && !can_sign_now {
        add(
            Severity::Error,
            "no-pin-can-sign",
            format!(
                "none of the pinned certificates in {} can make a valid signature now",
                keyring.path.display()
            ),
            refresh_fix(
                &watch,
                "new releases will be rejected: pin upstream's current key",
            ),
        );
    }
    for cert in &keyring.certs {
        if !pinned_certs
            .iter()
            .any(|c| c.fingerprint() == cert.fingerprint())
        {
            add(
                Severity::Warning,
                "keyring-unpinned",
                format!(
                    "certificate {} in keyring {} is not pinned",
                    cert.fingerprint().to_hex(),
                    keyring.path.display()
                ),
                "remove it from the keyring, or pin it if it may sign".into(),
            );
        }
    }
    out
}

/// Sigstore pins that no recorded release matched, when releases have been recorded with a
/// Sigstore signer: a publisher that stopped publishing (a renamed workflow, a moved
/// repository) keeps admitting whoever takes its name over.
fn unmatched_publishers(
    watch: &Watch,
    section: &crate::watch::SigstoreWatch,
) -> Vec<(String, String)> {
    let Ok(history) = crate::history::History::load(&watch.path) else {
        return Vec::new();
    };
    let published: Vec<&crate::history::Entry> = history
        .entries
        .iter()
        .filter(|e| e.identity.is_some())
        .collect();
    if published.is_empty() {
        return Vec::new();
    }
    section
        .pins
        .iter()
        .filter(|pin| {
            !published.iter().any(|e| {
                pin.admits(
                    e.identity.as_deref().unwrap_or_default(),
                    e.issuer.as_deref().unwrap_or_default(),
                    Some(&e.version),
                )
            })
        })
        .map(|pin| {
            (
                format!(
                    "sigstore pin {pin} matched none of the {} release file(s) recorded in {}",
                    published.len(),
                    history.path.display()
                ),
                format!(
                    "if this publisher no longer publishes, delete it from [sigstore] in {}; a pin nobody uses still admits whoever takes over its name",
                    watch.path.display()
                ),
            )
        })
        .collect()
}

/// The fix for an expiring key: `keys refresh` when the watch file names a source.
fn refresh_fix(watch: &Watch, otherwise: &str) -> String {
    if watch.keys.as_ref().is_none_or(|k| k.refresh.is_empty()) {
        format!(
            "{otherwise}; or add [keys] refresh = [\"<upstream KEYS URL>\", \"wkd\", \"keyserver\"] and run `sigwatch keys refresh {}`",
            watch.path.display()
        )
    } else {
        format!("run `sigwatch keys refresh {}`", watch.path.display())
    }
}
