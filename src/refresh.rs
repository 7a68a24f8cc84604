//! `sigwatch keys refresh`: updates for pinned certificates, never new trust.
//!
//! Sources (`[keys] refresh`) are upstream URLs serving certificates, `wkd`, a Web Key
//! Directory lookup (advanced, then direct method) of the pinned certificates' addresses, and
//! keyservers asked by the pinned certificates' fingerprints (VKS, as keys.openpgp.org serves
//! it, or HKP).
//! From what they serve only certificates containing a pinned key are kept, stripped to a
//! minimal copy, and merged into the keyring: new self-signatures (expiry extensions), new
//! subkeys with valid bindings, revocations. Everything else is dropped and counted. The
//! keyring is rewritten atomically, and only when something changed.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::SystemTime;

use sequoia_openpgp as openpgp;
use serde::Serialize;

use openpgp::Cert;
use openpgp::serialize::Serialize as _;

use crate::error::{Failure, Kind, config};
use crate::fetch::place_bytes;
use crate::net::http::Http;
use crate::verify::keyring::minimal;
use crate::verify::{Keyring, Pin, Revocation, policy, rfc3339};
use crate::watch::{Keyserver, Watch};

/// A subkey's expiry before and after a refresh.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct KeyExpiry {
    /// The subkey's fingerprint.
    pub key: String,
    /// Expiry before (null: never, or no valid binding).
    pub before: Option<String>,
    /// Expiry after.
    pub after: Option<String>,
}

/// What refreshing one pinned certificate changed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CertChange {
    /// Primary fingerprint.
    pub certificate: String,
    /// Expiry before (RFC 3339, null: never expires or unknown).
    pub expiry_before: Option<String>,
    /// Expiry after.
    pub expiry_after: Option<String>,
    /// Subkeys whose expiry changed: (fingerprint, before, after).
    pub subkey_expiry: Vec<KeyExpiry>,
    /// Subkeys that were added.
    pub subkeys_added: Vec<String>,
    /// Revocations newly learned.
    pub revocations_added: Vec<Revocation>,
    /// User IDs that were added.
    pub user_ids_added: Vec<String>,
}

impl CertChange {
    /// True when anything changed.
    pub fn changed(&self) -> bool {
        self.expiry_before != self.expiry_after
            || !self.subkey_expiry.is_empty()
            || !self.subkeys_added.is_empty()
            || !self.revocations_added.is_empty()
            || !self.user_ids_added.is_empty()
    }
}

/// The outcome for one watch file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RefreshReport {
    /// The watch file.
    pub watch: String,
    /// The keyring.
    pub keyring: String,
    /// Whether the keyring file was rewritten.
    pub updated: bool,
    /// Per pinned certificate.
    pub changes: Vec<CertChange>,
    /// Certificates in fetched data that hold no pinned key: dropped.
    pub dropped_certificates: usize,
    /// Third-party certifications and image user IDs dropped from kept certificates.
    pub dropped_parts: usize,
    /// Sources that could not be used, one line each.
    pub source_errors: Vec<String>,
    /// How many sources gave nothing usable.
    pub sources_failed: usize,
    /// Sources that answered with a different key for the address (never merged).
    pub conflicts: Vec<String>,
    /// Loud warnings (newly learned hard revocations).
    pub warnings: Vec<String>,
}

impl RefreshReport {
    /// Refused for a conflicting key, unavailable when every source failed, else ok.
    pub fn exit(&self, sources: usize) -> crate::exit::Exit {
        use crate::exit::Exit;
        if !self.conflicts.is_empty() {
            Exit::Refused
        } else if sources > 0 && self.sources_failed >= sources {
            Exit::Unavailable
        } else {
            Exit::Ok
        }
    }
}

/// The z-base-32 encoding used by WKD (no padding, most significant bit first).
pub fn zbase32(data: &[u8]) -> String {
    static ZBASE32: std::sync::LazyLock<data_encoding::Encoding> = std::sync::LazyLock::new(|| {
        let mut spec = data_encoding::Specification::new();
        spec.symbols.push_str("ybndrfg8ejkmcpqxot1uwisza345h769");
        spec.encoding()
            .expect("32 distinct ASCII symbols without padding are a valid base-32 specification")
    });
    ZBASE32.encode(data)
}

/// The WKD URLs for an address, advanced method first.
///
/// `base` replaces `https://openpgpkey.DOMAIN` and `https://DOMAIN` (for tests and private
/// directories); it comes from `SIGWATCH_WKD_BASE`.
pub fn wkd_urls(address: &str, base: Option<&str>) -> Option<[String; 2]> {
    let (local, domain) = address.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() {
        return None;
    }
    let domain = domain.to_ascii_lowercase();
    // WKD names a key by the SHA-1 of the lowercased local part (a name, not a signature).
    let mut sha = openpgp::types::HashAlgorithm::SHA1
        .context()
        .ok()?
        .for_digest();
    sha.update(local.to_lowercase().as_bytes());
    let hash = zbase32(&sha.into_digest().ok()?);
    let local_q: String = url::form_urlencoded::byte_serialize(local.as_bytes()).collect();
    let (advanced, direct) = match base {
        Some(b) => (
            format!("{b}/.well-known/openpgpkey/{domain}"),
            format!("{b}/.well-known/openpgpkey"),
        ),
        None => (
            format!("https://openpgpkey.{domain}/.well-known/openpgpkey/{domain}"),
            format!("https://{domain}/.well-known/openpgpkey"),
        ),
    };
    Some([
        format!("{advanced}/hu/{hash}?l={local_q}"),
        format!("{direct}/hu/{hash}?l={local_q}"),
    ])
}

/// Refreshes the pinned certificates of one watch file.
pub async fn refresh(http: &Http, watch: &Watch) -> Result<RefreshReport, Failure> {
    let keys = watch.openpgp()?;
    if keys.refresh.is_empty() {
        return Err(config(format!(
            "watch file {}: keys.refresh names no source",
            watch.path.display()
        ))
        .hint(r#"add e.g. refresh = ["https://example.org/KEYS", "wkd", "keyserver"] to [keys]"#));
    }
    let keyring = Keyring::load(&keys.keyring).map_err(|e| config(crate::error::one_line(&e)))?;
    let keyring_dir = keys
        .keyring
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // Leftovers of a keyring write that a killed run never renamed.
    crate::fetch::clean_stale(keyring_dir);
    let mut report = RefreshReport {
        watch: watch.path.display().to_string(),
        keyring: keys.keyring.display().to_string(),
        ..RefreshReport::default()
    };
    let pinned: Vec<Cert> = pinned_certs(&keyring, &keys.pins);
    let mut learned: Vec<Cert> = Vec::new();
    let wkd_base = std::env::var("SIGWATCH_WKD_BASE").ok();
    for source in &keys.refresh {
        let errors_before = report.source_errors.len();
        let mut answered = false;
        if source == "wkd" {
            for cert in &pinned {
                for address in addresses(cert) {
                    let Some(urls) = wkd_urls(&address, wkd_base.as_deref()) else {
                        continue;
                    };
                    // Advanced method first; the direct method after a 404 or a failure
                    // (most domains have no openpgpkey. host at all).
                    let mut failures = Vec::new();
                    let mut body = None;
                    for url in &urls {
                        match http.get_optional(url).await {
                            Ok(Some(page)) => {
                                body = Some((url.clone(), page.body));
                                break;
                            }
                            Ok(None) => failures.push(format!("{url}: HTTP 404 Not Found")),
                            Err(e) => failures.push(e.to_string()),
                        }
                    }
                    let Some((url, body)) = body else {
                        report.source_errors.push(format!(
                            "wkd: no key published for {address} ({})",
                            failures.join("; ")
                        ));
                        continue;
                    };
                    match parse_certs(&body, &url) {
                        Ok(certs) => {
                            let (keep, other): (Vec<Cert>, Vec<Cert>) =
                                certs.into_iter().partition(|c| holds_pin(c, &keys.pins));
                            let impostors: Vec<String> = other
                                .iter()
                                .filter(|c| addresses(c).contains(&address))
                                .map(|c| c.fingerprint().to_hex())
                                .collect();
                            if !keep.is_empty() && !impostors.is_empty() {
                                report.conflicts.push(format!(
                                    "{url}: the directory answers for {address} with the pinned {} and also with {}; not merged",
                                    cert.fingerprint().to_hex(),
                                    impostors.join(", ")
                                ));
                                report.dropped_certificates += other.len() + keep.len();
                                continue;
                            }
                            if keep.is_empty() {
                                let fprs: Vec<String> =
                                    other.iter().map(|c| c.fingerprint().to_hex()).collect();
                                report.conflicts.push(format!(
                                    "{url}: the directory answers for {address} with {}, not the pinned {}; not merged",
                                    if fprs.is_empty() { "no certificate".to_string() } else { fprs.join(", ") },
                                    cert.fingerprint().to_hex()
                                ));
                            } else {
                                answered = true;
                            }
                            report.dropped_certificates += other.len();
                            learned.extend(keep);
                        }
                        Err(e) => report.source_errors.push(e.to_string()),
                    }
                }
            }
        } else if let Some(keyserver) = Keyserver::parse(source) {
            match keyserver {
                Ok(keyserver) => {
                    for cert in &pinned {
                        answered |=
                            ask_keyserver(http, &keyserver, cert, &mut report, &mut learned).await;
                    }
                }
                Err(m) => report.source_errors.push(m),
            }
            if pinned.is_empty() {
                report.source_errors.push(format!(
                    "{source}: no pinned certificate is in the keyring to ask for"
                ));
            }
        } else {
            match http.get_optional(source).await {
                Ok(Some(page)) => match parse_certs(&page.body, source) {
                    Ok(certs) => {
                        let (keep, other): (Vec<Cert>, Vec<Cert>) =
                            certs.into_iter().partition(|c| holds_pin(c, &keys.pins));
                        report.dropped_certificates += other.len();
                        learned.extend(keep);
                        answered = true;
                    }
                    Err(e) => report.source_errors.push(e.to_string()),
                },
                Ok(None) => report
                    .source_errors
                    .push(format!("{source}: HTTP 404 Not Found")),
                Err(e) => report.source_errors.push(e.to_string()),
            }
        }
        if !answered
            && (report.source_errors.len() > errors_before
                || source == "wkd"
                || Keyserver::parse(source).is_some())
        {
            report.sources_failed += 1;
        }
    }
    // Merge what was learned into the keyring's certificates.
    let now = SystemTime::now();
    let p = policy();
    let mut certs = keyring.certs.clone();
    for new in learned {
        let (c, a) = crate::verify::keyring::non_minimal_parts(&new);
        report.dropped_parts += c + a;
        let new = minimal(&new).map_err(|e| Failure::new(Kind::Source, format!("{e}")))?;
        let Some(slot) = certs
            .iter_mut()
            .find(|c| c.fingerprint() == new.fingerprint())
        else {
            // A pinned subkey now bound to another primary: never new trust.
            report.dropped_certificates += 1;
            continue;
        };
        let before = slot.clone();
        let merged = before
            .clone()
            .merge_public(new)
            .map_err(|e| Failure::new(Kind::Source, format!("merging: {e}")))?;
        let change = diff(&before, &merged, &p, now);
        if let Some(existing) = report
            .changes
            .iter_mut()
            .find(|c| c.certificate == change.certificate)
        {
            existing.expiry_after = change.expiry_after;
            existing.subkey_expiry.extend(change.subkey_expiry);
            existing.subkeys_added.extend(change.subkeys_added);
            existing.revocations_added.extend(change.revocations_added);
            existing.user_ids_added.extend(change.user_ids_added);
        } else {
            report.changes.push(change);
        }
        *slot = merged;
    }
    for change in &report.changes {
        for rev in &change.revocations_added {
            if rev.is_hard() {
                report.warnings.push(format!(
                    "PINNED KEY {} IS REVOKED ({rev}): every signature by it is now rejected; find out why before trusting any release",
                    change.certificate
                ));
            }
        }
    }
    if report.changes.iter().any(CertChange::changed) {
        let mut out = Vec::new();
        for cert in &certs {
            let mut w = openpgp::armor::Writer::new(&mut out, openpgp::armor::Kind::PublicKey)
                .map_err(|e| config(format!("{e}")))?;
            cert.serialize(&mut w).map_err(|e| config(format!("{e}")))?;
            w.finalize().map_err(|e| config(format!("{e}")))?;
        }
        let dir = keys
            .keyring
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        place_bytes(dir, &keys.keyring, &out)?;
        report.updated = true;
    }
    report.changes.retain(CertChange::changed);
    Ok(report)
}

/// The URL at which `keyserver` serves the certificate `fingerprint` (uppercase hex).
pub fn keyserver_url(keyserver: &Keyserver, fingerprint: &str) -> String {
    if keyserver.hkp {
        format!(
            "{}/pks/lookup?op=get&options=mr&search=0x{fingerprint}",
            keyserver.base
        )
    } else {
        format!("{}/vks/v1/by-fingerprint/{fingerprint}", keyserver.base)
    }
}

/// Asks a keyserver for one pinned certificate by its fingerprint; true when it answered
/// with that certificate. Like a key directory answering for an address, a keyserver that
/// answers with another certificate is a conflict, never merged; certificates beside the
/// asked one are dropped and counted.
async fn ask_keyserver(
    http: &Http,
    keyserver: &Keyserver,
    cert: &Cert,
    report: &mut RefreshReport,
    learned: &mut Vec<Cert>,
) -> bool {
    let fpr = cert.fingerprint().to_hex();
    let url = keyserver_url(keyserver, &fpr);
    let body = match http.get_optional(&url).await {
        Ok(Some(page)) => page.body,
        Ok(None) => {
            report.source_errors.push(format!(
                "keyserver {}: no certificate for {fpr} ({url}: HTTP 404 Not Found)",
                keyserver.base
            ));
            return false;
        }
        Err(e) => {
            report.source_errors.push(e.to_string());
            return false;
        }
    };
    let certs = match parse_certs(&body, &url) {
        Ok(certs) => certs,
        Err(e) => {
            report.source_errors.push(e.to_string());
            return false;
        }
    };
    let (keep, other): (Vec<Cert>, Vec<Cert>) = certs
        .into_iter()
        .partition(|c| c.fingerprint() == cert.fingerprint());
    report.dropped_certificates += other.len();
    if keep.is_empty() {
        let fprs: Vec<String> = other.iter().map(|c| c.fingerprint().to_hex()).collect();
        report.conflicts.push(format!(
            "{url}: the keyserver answers for {fpr} with {}, not the pinned certificate; not merged",
            if fprs.is_empty() {
                "no certificate".to_string()
            } else {
                fprs.join(", ")
            }
        ));
        return false;
    }
    learned.extend(keep);
    true
}

fn pinned_certs(keyring: &Keyring, pins: &[Pin]) -> Vec<Cert> {
    let mut out: Vec<Cert> = Vec::new();
    for pin in pins {
        if let Some(c) = keyring.find(&pin.0)
            && !out.iter().any(|o| o.fingerprint() == c.fingerprint())
        {
            out.push(c.clone());
        }
    }
    out
}

fn holds_pin(cert: &Cert, pins: &[Pin]) -> bool {
    cert.keys()
        .any(|k| pins.iter().any(|p| p.0 == k.key().fingerprint()))
}

/// The e-mail addresses of the certificate's valid user IDs (self-signed under the policy).
fn addresses(cert: &Cert) -> BTreeSet<String> {
    let p = policy();
    let Ok(vc) = cert.with_policy(&p, None) else {
        return BTreeSet::new();
    };
    vc.userids()
        .filter_map(|u| u.userid().email_normalized().ok().flatten())
        .collect()
}

fn parse_certs(body: &[u8], url: &str) -> Result<Vec<Cert>, Failure> {
    Keyring::from_bytes(body, Path::new(url))
        .map(|k| k.certs)
        .map_err(|e| {
            Failure::new(
                Kind::Source,
                format!("{url}: {}", crate::error::one_line(&e)),
            )
        })
}

fn diff(
    before: &Cert,
    after: &Cert,
    p: &dyn openpgp::policy::Policy,
    now: SystemTime,
) -> CertChange {
    let expiry = |c: &Cert| {
        c.with_policy(p, now)
            .ok()
            .and_then(|v| v.primary_key().key_expiration_time())
            .map(rfc3339)
    };
    let keys = |c: &Cert| {
        c.keys()
            .subkeys()
            .map(|k| k.key().fingerprint().to_hex())
            .collect::<BTreeSet<_>>()
    };
    let uids = |c: &Cert| {
        c.userids()
            .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
            .collect::<BTreeSet<_>>()
    };
    let revs = |c: &Cert| {
        let mut v: Vec<openpgp::packet::Signature> =
            c.primary_key().self_revocations().cloned().collect();
        for k in c.keys().subkeys() {
            v.extend(k.self_revocations().cloned());
        }
        v
    };
    // Expiry of every subkey with a valid binding now (GnuPG keys often expire only there).
    let sub_expiry = |c: &Cert| {
        c.with_policy(p, now)
            .map(|v| {
                v.keys()
                    .subkeys()
                    .map(|k| {
                        (
                            k.key().fingerprint().to_hex(),
                            k.key_expiration_time().map(rfc3339),
                        )
                    })
                    .collect::<std::collections::BTreeMap<_, _>>()
            })
            .unwrap_or_default()
    };
    let (old_sub, new_sub) = (sub_expiry(before), sub_expiry(after));
    let subkey_expiry = new_sub
        .iter()
        .filter_map(|(k, after)| {
            let before = old_sub.get(k)?;
            (before != after).then(|| KeyExpiry {
                key: k.clone(),
                before: before.clone(),
                after: after.clone(),
            })
        })
        .collect();
    let old_revs = revs(before);
    let (old_keys, old_uids) = (keys(before), uids(before));
    CertChange {
        certificate: after.fingerprint().to_hex(),
        expiry_before: expiry(before),
        expiry_after: expiry(after),
        subkey_expiry,
        subkeys_added: keys(after).difference(&old_keys).cloned().collect(),
        revocations_added: revs(after)
            .iter()
            .filter(|r| !old_revs.contains(r))
            .map(Revocation::from_signature)
            .collect(),
        user_ids_added: uids(after).difference(&old_uids).cloned().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_keyserver_asks_keys_openpgp_org_by_fingerprint_and_hkps_uses_pks_lookup() {
        let vks = Keyserver::parse("keyserver").unwrap().unwrap();
        assert_eq!(
            keyserver_url(&vks, "ABCD"),
            "https://keys.openpgp.org/vks/v1/by-fingerprint/ABCD"
        );
        let hkp = Keyserver::parse("keyserver:hkps://keyserver.ubuntu.com/")
            .unwrap()
            .unwrap();
        assert_eq!(
            keyserver_url(&hkp, "ABCD"),
            "https://keyserver.ubuntu.com/pks/lookup?op=get&options=mr&search=0xABCD"
        );
        assert!(Keyserver::parse("https://keys.openpgp.org").is_none());
        assert!(
            Keyserver::parse("keyserver:hkp://keys.example.org")
                .unwrap()
                .is_err()
        );
    }

    #[test]
    fn zbase32_matches_the_specification_vectors_and_leaves_no_padding() {
        // From the z-base-32 specification (Zooko O'Whielacronx, 2002), whole bytes only.
        assert_eq!(zbase32(&[0xF0, 0xBF, 0xC7]), "6n9hq");
        assert_eq!(zbase32(&[0xD4, 0x7A, 0x04]), "4t7ye");
        assert_eq!(
            zbase32(&[0xFF]),
            "9h",
            "a trailing partial group is zero-filled"
        );
        assert_eq!(zbase32(&[]), "");
        assert_eq!(
            zbase32(&[0u8; 20]).len(),
            32,
            "a SHA-1 digest is 32 symbols"
        );
    }

    #[test]
    fn wkd_hash_matches_the_specification_example() {
        // draft-koch-openpgp-webkey-service: "Joe.Doe@Example.ORG".
        let [advanced, direct] = wkd_urls("Joe.Doe@Example.ORG", None).unwrap();
        assert_eq!(
            advanced,
            "https://openpgpkey.example.org/.well-known/openpgpkey/example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe"
        );
        assert_eq!(
            direct,
            "https://example.org/.well-known/openpgpkey/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe"
        );
    }
}
