//! `sigwatch keys refresh` (and `check`/`fetch --refresh-keys`), end to end: the real binary
//! against loopback HTTP servers (tests/server) serving upstream certificates made at test time
//! with Sequoia. Each test builds what upstream really does (extends an expiry before signing,
//! adds a signing subkey, revokes a compromised key, publishes in a Web Key Directory) and
//! proves what the keyring holds afterwards and what `verify` then says.

mod util;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sequoia_openpgp as openpgp;
use serde_json::Value;

use openpgp::Cert;
use openpgp::cert::prelude::*;
use openpgp::packet::key::{SecretParts, UnspecifiedRole};
use openpgp::packet::signature::SignatureBuilder;
use openpgp::packet::{Key, Signature};
use openpgp::parse::Parse as _;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::stream::{Armorer, Message, Signer};
use openpgp::types::{KeyFlags, ReasonForRevocation, SignatureType};

use util::pgp::{self, CertSpec, keypair};
use util::server::{Body, Response};
use util::strings;
use util::world::{KEYRING, armored_certs};
use util::{Output, World};

const DAY: Duration = Duration::from_secs(24 * 3600);

/// The network flags every run gets: fail fast, never touch the user's page cache.
const NET: [&str; 5] = ["--retries", "0", "--timeout", "5", "--no-cache"];

// ---------------------------------------------------------------------------------------------
// OpenPGP material: what upstream does to its key.
// ---------------------------------------------------------------------------------------------

fn ago(d: Duration) -> SystemTime {
    SystemTime::now() - d
}

/// A v4 key with a signing subkey made at `created`, expiring after `validity` (if any).
fn key_made(user_id: &str, created: SystemTime, validity: Option<Duration>) -> Cert {
    CertSpec {
        created,
        validity,
        ..CertSpec::v4(user_id)
    }
    .generate()
}

/// What `gpg --quick-set-expire FPR UNTIL '*'` then `'*'` on every subkey does, dated `at`:
/// a new direct-key signature and user ID bindings for the primary, and new subkey bindings
/// (with fresh back-signatures) for every subkey, all carrying the new expiry.
fn extend_expiry(cert: &Cert, at: SystemTime, until: SystemTime) -> Cert {
    let p = StandardPolicy::new();
    let vc = cert
        .with_policy(&p, at)
        .expect("the certificate is valid at `at`");
    let primary = cert.primary_key().key();
    let mut signer = keypair(primary);
    let mut sigs: Vec<Signature> = Vec::new();
    let template = vc
        .direct_key_signature()
        .map(|s| SignatureBuilder::from(s.clone()))
        .unwrap_or_else(|_| SignatureBuilder::new(SignatureType::DirectKey));
    sigs.push(
        template
            .set_signature_creation_time(at)
            .expect("creation time")
            .set_key_expiration_time(primary, Some(until))
            .expect("expiry")
            .sign_direct_key(&mut signer, None)
            .expect("direct-key signature"),
    );
    for ua in vc.userids() {
        sigs.push(
            SignatureBuilder::from(ua.binding_signature().clone())
                .set_signature_creation_time(at)
                .expect("creation time")
                .set_key_expiration_time(primary, Some(until))
                .expect("expiry")
                .sign_userid_binding(&mut signer, None, ua.userid())
                .expect("user ID binding"),
        );
    }
    sigs.extend(extend_subkeys(cert, at, until));
    cert.clone()
        .insert_packets(sigs)
        .expect("inserting the new self-signatures")
        .0
}

/// New bindings, dated `at`, making every subkey expire at `until` (the primary untouched).
fn extend_subkeys(cert: &Cert, at: SystemTime, until: SystemTime) -> Vec<Signature> {
    let p = StandardPolicy::new();
    let vc = cert
        .with_policy(&p, at)
        .expect("the certificate is valid at `at`");
    let primary = cert.primary_key().key();
    let mut signer = keypair(primary);
    let mut sigs = Vec::new();
    for ka in vc.keys().subkeys() {
        let mut sub = keypair(ka.key());
        let backsig = SignatureBuilder::new(SignatureType::PrimaryKeyBinding)
            .set_signature_creation_time(at)
            .expect("creation time")
            .sign_primary_key_binding(&mut sub, primary, ka.key())
            .expect("back-signature");
        sigs.push(
            SignatureBuilder::from(ka.binding_signature().clone())
                .set_signature_creation_time(at)
                .expect("creation time")
                .set_key_expiration_time(ka.key(), Some(until))
                .expect("expiry")
                .set_embedded_signature(backsig)
                .expect("embedding the back-signature")
                .sign_subkey_binding(&mut signer, None, ka.key())
                .expect("subkey binding"),
        );
    }
    sigs
}

/// The certificate with a new signing subkey made and bound at `at`; returns it and the new
/// subkey's fingerprint.
fn add_signing_subkey(cert: &Cert, at: SystemTime) -> (Cert, String) {
    let p = StandardPolicy::new();
    let vc = cert
        .with_policy(&p, at)
        .expect("the certificate is valid at `at`");
    let new = KeyBuilder::new(KeyFlags::empty().set_signing())
        .set_creation_time(at)
        .subkey(vc)
        .expect("subkey builder")
        .set_signature_creation_time(at)
        .expect("creation time")
        .set_primary_key_signer(keypair(cert.primary_key().key()))
        .attach_cert()
        .expect("binding the new subkey");
    let old = pgp::subkey_fingerprints(cert);
    let added = pgp::subkey_fingerprints(&new)
        .into_iter()
        .find(|f| !old.contains(f))
        .expect("one subkey was added");
    (new, added)
}

/// The certificate revoked at `at` as compromised: a hard revocation.
fn revoke_compromised(cert: &Cert, at: SystemTime) -> Cert {
    let rev = CertRevocationBuilder::new()
        .set_signature_creation_time(at)
        .expect("creation time")
        .set_reason_for_revocation(ReasonForRevocation::KeyCompromised, b"stolen")
        .expect("reason")
        .build(&mut keypair(cert.primary_key().key()), cert, None)
        .expect("revoking the certificate");
    cert.clone()
        .insert_packets(rev)
        .expect("inserting the revocation")
        .0
}

/// `cert`'s first user ID certified by `other` (a third-party certification).
fn certified_by(cert: &Cert, other: &Cert) -> Cert {
    let sig = cert
        .userids()
        .next()
        .expect("the certificate has a user ID")
        .userid()
        .certify(
            &mut keypair(other.primary_key().key()),
            cert,
            SignatureType::GenericCertification,
            None,
            None,
        )
        .expect("certifying the user ID");
    cert.clone()
        .insert_packets(sig)
        .expect("inserting the certification")
        .0
}

/// An armored detached signature over `data` by the (sub)key `fpr` of `cert`, made at `at`.
fn sign_by(cert: &Cert, fpr: &str, data: &[u8], at: SystemTime) -> Vec<u8> {
    let key: &Key<SecretParts, UnspecifiedRole> = cert
        .keys()
        .secret()
        .map(|ka| ka.key())
        .find(|k| k.fingerprint().to_hex() == fpr)
        .unwrap_or_else(|| panic!("{fpr} is not a secret key of the certificate"));
    let mut out = Vec::new();
    {
        let message = Armorer::new(Message::new(&mut out))
            .kind(openpgp::armor::Kind::Signature)
            .build()
            .expect("armorer");
        let mut signer = Signer::new(message, keypair(key))
            .expect("signer")
            .creation_time(at)
            .detached()
            .build()
            .expect("building the signer");
        signer.write_all(data).expect("hashing data in memory");
        signer.finalize().expect("finishing the signature");
    }
    out
}

/// A signature by the certificate's (first) signing subkey, made at `at`.
fn sign(cert: &Cert, data: &[u8], at: SystemTime) -> Vec<u8> {
    pgp::sign_detached(cert, data, at, false, true)
}

/// Every certificate in keyring bytes (armored blocks or binary).
fn parse_keyring(bytes: &[u8]) -> Vec<Cert> {
    CertParser::from_bytes(bytes)
        .expect("a keyring")
        .map(|c| c.expect("a certificate"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The world of one test: a directory, a server, a watch file with a keyring.
// ---------------------------------------------------------------------------------------------

/// What this file runs in a [`World`] (made with [`World::with_keyring`]: these tests bring
/// their own keys).
impl World {
    /// Writes `project.toml` pinning `pins`, refreshing from `refresh` (TOML strings as given,
    /// `/PATH` becomes this server's URL), with a listing source at `/releases/`.
    fn refresh_watch(&self, pins: &[String], refresh: &[&str]) -> PathBuf {
        let refresh: Vec<String> = refresh
            .iter()
            .map(|r| {
                if r.starts_with('/') {
                    format!("\"{}\"", self.server.url(r))
                } else {
                    format!("\"{r}\"")
                }
            })
            .collect();
        self.watch(
            "project.toml",
            "name = \"project\"\n",
            &format!(
                "url = \"{}\"\npattern = 'tool-(?P<version>[0-9.]+)\\.tar\\.gz'",
                self.server.url("/releases/")
            ),
            pins,
            &format!("refresh = [{}]\n", refresh.join(", ")),
        )
    }

    /// `sigwatch keys refresh project.toml [extra…]` (human output unless `--json` given).
    fn refresh(&self, extra: &[&str]) -> Output {
        self.dir
            .cmd(["keys", "refresh", "project.toml"])
            .args(NET)
            .args(extra)
            .run()
    }

    /// `keys refresh --json`, expecting exit `code`; returns the one report.
    fn refresh_json(&self, code: i32, extra: &[&str]) -> (Output, Value) {
        let out = self.refresh(&[&["--json"], extra].concat());
        out.assert_code(code);
        let v = out.json();
        let reports = v["refreshed"].as_array().cloned().unwrap_or_default();
        out.check(reports.len() == 1, "expected exactly one refresh report");
        let report = reports[0].clone();
        (out, report)
    }

    /// Writes `data` as `rel` with a signature by `sig` beside it as `rel.asc`.
    fn release(&self, rel: &str, data: &[u8], sig: Vec<u8>) -> PathBuf {
        self.dir.write(format!("{rel}.asc"), sig);
        self.dir.write(rel, data)
    }

    /// `sigwatch verify FILE --json` against the keyring, pinning `pin`.
    fn verify(&self, file: &Path, pin: &str) -> Output {
        self.verify_with(file, KEYRING, pin)
    }

    /// `sigwatch verify FILE --json` against `keyring`, pinning `pin`.
    fn verify_with(&self, file: &Path, keyring: &str, pin: &str) -> Output {
        self.dir
            .cmd(["verify", "--json"])
            .arg(file)
            .args(["--keyring", keyring, "--fingerprint", pin])
            .run()
    }

    /// `keys list --json` of the keyring: primary fingerprints.
    fn listed(&self) -> Vec<String> {
        let out = self.dir.cmd(["keys", "list", KEYRING, "--json"]).run();
        out.assert_code(0);
        out.json()["certificates"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c["fingerprint"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Asserts `verify` rejected with exactly this per-signature status.
fn assert_rejected(out: &Output, status: &str) {
    out.assert_code(1);
    let v = out.json();
    out.check(v["verdict"] == "rejected", "verdict should be rejected");
    out.check(
        v["signatures"][0]["status"] == status,
        &format!("signature status should be {status}"),
    );
}

/// Asserts `verify` accepted.
fn assert_verified(out: &Output) {
    out.assert_code(0);
    out.check(
        out.json()["verdict"] == "verified",
        "verdict should be verified",
    );
}

/// The one change a report lists, for certificate `fpr`.
fn only_change<'a>(out: &Output, report: &'a Value, fpr: &str) -> &'a Value {
    let changes = report["changes"].as_array();
    out.check(
        changes.is_some_and(|c| c.len() == 1),
        "expected exactly one certificate change",
    );
    let change = &report["changes"][0];
    out.check(
        change["certificate"] == fpr,
        &format!("the change should be for {fpr}"),
    );
    change
}

/// An upstream key whose keyring copy expired 35 days ago, the same key with its expiry
/// extended two days ago, and its fingerprint.
fn expired_and_extended() -> (Cert, Cert, String) {
    let old = key_made("Up <up@example.org>", ago(400 * DAY), Some(365 * DAY));
    let extended = extend_expiry(&old, ago(2 * DAY), SystemTime::now() + 730 * DAY);
    let fpr = pgp::fingerprint(&old);
    (old, extended, fpr)
}

// ---------------------------------------------------------------------------------------------
// What a refresh learns.
// ---------------------------------------------------------------------------------------------

#[test]
fn extended_expiry_is_learned_and_the_new_release_then_verifies() {
    let (old, extended, fpr) = expired_and_extended();
    let w = World::with_keyring("expiry", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["/KEYS"]);
    w.server.file("/KEYS", pgp::armored_public(&extended));
    // Upstream extended first (two days ago), then signed the new release (yesterday).
    let file = w.release(
        "tool-2.0.tar.gz",
        b"release 2.0",
        sign(&extended, b"release 2.0", ago(DAY)),
    );

    assert_rejected(&w.verify(&file, &fpr), "key_expired");
    let before = w.read_keyring();

    let (out, report) = w.refresh_json(0, &[]);
    out.check(report["updated"] == true, "updated should be true");
    let change = only_change(&out, &report, &fpr);
    let (b, a) = (
        change["expiry_before"].as_str().unwrap_or_default(),
        change["expiry_after"].as_str().unwrap_or_default(),
    );
    out.check(
        !b.is_empty() && !a.is_empty() && b < a,
        &format!("expiry should move later: {b:?} -> {a:?}"),
    );
    out.check(
        w.read_keyring() != before,
        "the keyring file should be rewritten",
    );
    out.check(
        w.server.hits("/KEYS") == 1,
        "the KEYS URL should be fetched once",
    );

    assert_verified(&w.verify(&file, &fpr));
}

#[test]
fn extended_expiry_is_shown_as_before_and_after_in_human_output() {
    let (old, extended, fpr) = expired_and_extended();
    let w = World::with_keyring("expiry-human", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["/KEYS"]);
    w.server.file("/KEYS", pgp::armored_public(&extended));
    let out = w.refresh(&[]);
    out.assert_code(0)
        .assert_stdout_contains(&["updated", &fpr, "expiry: ", " -> "]);
}

#[test]
fn new_signing_subkey_is_learned_listed_and_then_verifies() {
    let old = key_made("Up <up@example.org>", ago(30 * DAY), None);
    let fpr = pgp::fingerprint(&old);
    let (new, subkey) = add_signing_subkey(&old, ago(3 * DAY));
    let w = World::with_keyring("subkey", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["/KEYS"]);
    w.server.file("/KEYS", pgp::armored_public(&new));
    let file = w.release(
        "tool-3.0.tar.gz",
        b"three",
        sign_by(&new, &subkey, b"three", ago(DAY)),
    );

    assert_rejected(&w.verify(&file, &fpr), "missing_key");

    let (out, report) = w.refresh_json(0, &[]);
    let change = only_change(&out, &report, &fpr);
    out.check(
        strings(&change["subkeys_added"]) == vec![subkey.clone()],
        &format!("subkeys_added should be exactly [{subkey}]"),
    );
    out.check(report["updated"] == true, "updated should be true");

    assert_verified(&w.verify(&file, &fpr));
    let human = w.refresh(&[]);
    human.assert_code(0).assert_stdout_contains(&["unchanged"]);
}

#[test]
fn hard_revocation_is_learned_loudly_and_rejects_a_release_that_verified_before() {
    let old = key_made("Up <up@example.org>", ago(30 * DAY), None);
    let fpr = pgp::fingerprint(&old);
    let revoked = revoke_compromised(&old, ago(Duration::from_secs(3600)));
    let w = World::with_keyring("revoked", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["/KEYS"]);
    w.server.file("/KEYS", pgp::armored_public(&revoked));
    let file = w.release("tool-1.0.tar.gz", b"one", sign(&old, b"one", ago(10 * DAY)));

    assert_verified(&w.verify(&file, &fpr));
    let before = w.read_keyring();

    let out = w.refresh(&[]);
    out.assert_code(0)
        .assert_stderr_contains(&["WARNING", "IS REVOKED", &fpr, "key compromised"])
        .assert_stdout_contains(&["revocation learned"]);
    out.check(
        w.read_keyring() != before,
        "the keyring should be rewritten",
    );

    // A second run learns nothing new: no warning again.
    let (out, report) = w.refresh_json(0, &[]);
    out.check(report["updated"] == false, "nothing new the second time")
        .assert_stderr_lacks("IS REVOKED");

    assert_rejected(&w.verify(&file, &fpr), "revoked");
}

#[test]
fn hard_revocation_in_json_mode_is_a_report_field_and_a_stderr_warning() {
    let old = key_made("Up <up@example.org>", ago(30 * DAY), None);
    let fpr = pgp::fingerprint(&old);
    let w = World::with_keyring("revoked-json", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["/KEYS"]);
    w.server.file(
        "/KEYS",
        pgp::armored_public(&revoke_compromised(&old, ago(DAY))),
    );
    let (out, report) = w.refresh_json(0, &[]);
    out.assert_stderr_contains(&["IS REVOKED"]);
    let warnings = strings(&report["warnings"]);
    out.check(
        warnings.len() == 1 && warnings[0].contains(&fpr),
        "one warning naming the pinned certificate",
    );
    let change = only_change(&out, &report, &fpr);
    out.check(
        change["revocations_added"].as_array().map(Vec::len) == Some(1),
        "one revocation added",
    );
}

// ---------------------------------------------------------------------------------------------
// What a refresh refuses to learn.
// ---------------------------------------------------------------------------------------------

#[test]
fn unpinned_certificates_in_the_response_are_dropped_counted_and_never_added() {
    let old = key_made("Up <up@example.org>", ago(30 * DAY), None);
    let fpr = pgp::fingerprint(&old);
    let (new, _) = add_signing_subkey(&old, ago(DAY));
    let stranger = key_made("Mallory <mallory@example.org>", ago(DAY), None);
    let w = World::with_keyring("extra-certs", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["/KEYS"]);
    // A real KEYS file: the pinned key (with an update, so the keyring is rewritten) plus
    // another primary the watch file does not pin.
    w.server.file("/KEYS", armored_certs(&[&stranger, &new]));

    let (out, report) = w.refresh_json(0, &[]);
    out.check(
        report["dropped_certificates"].as_u64() >= Some(1),
        "dropped_certificates should count the unpinned certificate",
    )
    .check(report["updated"] == true, "the pinned update is merged");
    let listed = w.listed();
    out.check(
        listed == vec![fpr.clone()],
        &format!("keys list should show only {fpr}, got {listed:?}"),
    );
}

#[test]
fn third_party_certifications_in_the_served_copy_are_dropped_and_counted() {
    let old = key_made("Up <up@example.org>", ago(30 * DAY), None);
    let fpr = pgp::fingerprint(&old);
    let friend = key_made("Friend <friend@example.org>", ago(30 * DAY), None);
    let (new, _) = add_signing_subkey(&old, ago(DAY));
    let served = certified_by(&new, &friend);
    assert_eq!(
        served.userids().next().map(|u| u.certifications().count()),
        Some(1),
        "the served copy carries the certification"
    );
    let w = World::with_keyring("certifications", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["/KEYS"]);
    w.server.file("/KEYS", pgp::armored_public(&served));

    let (out, report) = w.refresh_json(0, &[]);
    out.check(
        report["dropped_parts"].as_u64() >= Some(1),
        "dropped_parts should count the third-party certification",
    )
    .check(report["updated"] == true, "the new subkey is merged");
    let certs = parse_keyring(&w.read_keyring());
    out.check(certs.len() == 1, "one certificate in the keyring");
    let kept: usize = certs[0].userids().map(|u| u.certifications().count()).sum();
    out.check(kept == 0, "no third-party certification in the keyring");
}

#[test]
fn other_key_for_the_address_on_wkd_is_a_conflict_never_merged_exit_1() {
    let old = key_made("Up <up@example.org>", ago(30 * DAY), None);
    let fpr = pgp::fingerprint(&old);
    let impostor = key_made("Up <up@example.org>", ago(DAY), None);
    let w = World::with_keyring("wkd-conflict", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["wkd"]);
    let [advanced, _] = wkd_paths(&w, "up@example.org");
    w.server.file(&advanced, pgp::armored_public(&impostor));
    let before = w.read_keyring();

    let (out, report) = w.wkd_refresh_json(1);
    let conflicts = strings(&report["conflicts"]);
    out.check(
        conflicts.len() == 1
            && conflicts[0].contains(&pgp::fingerprint(&impostor))
            && conflicts[0].contains(&fpr),
        "one conflict naming both the served and the pinned fingerprint",
    )
    .check(report["updated"] == false, "nothing merged");
    out.check(
        w.read_keyring() == before,
        "the keyring bytes are unchanged",
    );
    out.check(
        w.listed() == vec![fpr.clone()],
        "only the pinned key listed",
    );
}

// ---------------------------------------------------------------------------------------------
// Web Key Directory.
// ---------------------------------------------------------------------------------------------

/// The request paths (with query) of the WKD advanced and direct URLs for `address` on the
/// world's server, as sigwatch computes them.
fn wkd_paths(w: &World, address: &str) -> [String; 2] {
    let base = w.server.url("");
    sigwatch::refresh::wkd_urls(address, Some(&base))
        .expect("a valid address")
        .map(|u| {
            u.strip_prefix(&base)
                .expect("the URL is on the base")
                .to_string()
        })
}

impl World {
    /// `keys refresh --json` with `SIGWATCH_WKD_BASE` pointing at this server.
    fn wkd_refresh_json(&self, code: i32) -> (Output, Value) {
        let out = self
            .dir
            .cmd(["keys", "refresh", "project.toml", "--json"])
            .args(NET)
            .env("SIGWATCH_WKD_BASE", self.server.url(""))
            .run();
        out.assert_code(code);
        let v = out.json();
        let report = v["refreshed"][0].clone();
        (out, report)
    }
}

#[test]
fn pinned_key_served_together_with_another_key_for_the_address_is_a_conflict_exit_1() {
    let (old, extended, fpr) = expired_and_extended();
    let impostor = key_made("Up <up@example.org>", ago(DAY), None);
    let w = World::with_keyring("wkd-pinned-and-impostor", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["wkd"]);
    let [advanced, _] = wkd_paths(&w, "up@example.org");
    let mut both = pgp::armored_public(&extended);
    both.extend(pgp::armored_public(&impostor));
    w.server.file(&advanced, both);
    let before = w.read_keyring();

    let (out, report) = w.wkd_refresh_json(1);
    let conflicts = strings(&report["conflicts"]);
    out.check(
        conflicts.len() == 1 && conflicts[0].contains(&pgp::fingerprint(&impostor)),
        "the extra key for the address is a conflict naming it",
    )
    .check(
        report["updated"] == false,
        "not even the pinned update is merged",
    );
    out.check(
        w.read_keyring() == before,
        "the keyring bytes are unchanged",
    );
}

#[test]
fn wkd_advanced_method_serves_the_pinned_key_and_it_is_merged() {
    let (old, extended, fpr) = expired_and_extended();
    let w = World::with_keyring("wkd-advanced", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["wkd"]);
    let [advanced, direct] = wkd_paths(&w, "up@example.org");
    assert!(
        advanced.starts_with("/.well-known/openpgpkey/example.org/hu/")
            && advanced.ends_with("?l=up"),
        "advanced path {advanced}"
    );
    w.server.file(&advanced, pgp::armored_public(&extended));

    let (out, report) = w.wkd_refresh_json(0);
    out.check(report["updated"] == true, "merged from WKD");
    only_change(&out, &report, &fpr);
    out.check(w.server.hits(&advanced) == 1, "advanced method asked once")
        .check(w.server.hits(&direct) == 0, "direct method not needed");
}

#[test]
fn wkd_direct_method_is_tried_when_the_advanced_one_404s() {
    let (old, extended, fpr) = expired_and_extended();
    let w = World::with_keyring("wkd-direct", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["wkd"]);
    let [advanced, direct] = wkd_paths(&w, "up@example.org");
    assert!(
        direct.starts_with("/.well-known/openpgpkey/hu/"),
        "direct path {direct}"
    );
    w.server.file(&direct, pgp::armored_public(&extended));

    let (out, report) = w.wkd_refresh_json(0);
    out.check(report["updated"] == true, "merged from the direct method");
    out.check(
        strings(&report["source_errors"]).is_empty(),
        "a 404 on the advanced method is no error when the direct one answers",
    );
    out.check(w.server.hits(&advanced) == 1, "advanced method asked first")
        .check(w.server.hits(&direct) == 1, "then the direct method");
}

#[test]
fn wkd_without_a_published_key_is_a_source_error_exit_3() {
    let old = key_made("Up <up@example.org>", ago(30 * DAY), None);
    let fpr = pgp::fingerprint(&old);
    let w = World::with_keyring("wkd-none", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["wkd"]);
    let before = w.read_keyring();
    let (out, report) = w.wkd_refresh_json(3);
    let errors = strings(&report["source_errors"]);
    out.check(
        errors.len() == 1 && errors[0].contains("up@example.org"),
        "one source error naming the address",
    );
    out.check(w.read_keyring() == before, "the keyring is untouched");
}

// ---------------------------------------------------------------------------------------------
// Broken sources.
// ---------------------------------------------------------------------------------------------

#[test]
fn garbage_and_oversized_responses_are_source_errors_keyring_untouched_exit_3() {
    let old = key_made("Up <up@example.org>", ago(30 * DAY), None);
    let fpr = pgp::fingerprint(&old);
    let w = World::with_keyring("garbage", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["/garbage", "/huge"]);
    w.server
        .file("/garbage", b"<html>this is not a key</html>".to_vec());
    w.server.respond(
        "/huge",
        Response::ok(Vec::new()).body(Body::Repeat {
            byte: b'A',
            len: 2 << 20,
        }),
    );
    let before = w.read_keyring();

    let (out, report) = w.refresh_json(3, &["--max-signature-mib", "1"]);
    let errors = strings(&report["source_errors"]);
    out.check(errors.len() == 2, "one error per source");
    out.check(
        errors
            .iter()
            .any(|e| e.contains("/garbage") && e.contains("OpenPGP")),
        "an error names the garbage URL and says it holds no OpenPGP data",
    )
    .check(
        errors
            .iter()
            .any(|e| e.contains("/huge") && e.contains("cap")),
        "an error names the oversized URL and the cap",
    )
    .check(report["updated"] == false, "nothing updated");
    out.check(
        w.read_keyring() == before,
        "the keyring bytes are unchanged",
    );
}

#[test]
fn one_broken_source_among_good_ones_is_reported_but_exits_0() {
    let (old, extended, fpr) = expired_and_extended();
    let w = World::with_keyring("one-broken", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["/missing", "/KEYS"]);
    w.server.file("/KEYS", pgp::armored_public(&extended));
    let (out, report) = w.refresh_json(0, &[]);
    let errors = strings(&report["source_errors"]);
    out.check(
        errors.len() == 1 && errors[0].contains("/missing") && errors[0].contains("404"),
        "the 404 is reported, naming the URL",
    )
    .check(report["updated"] == true, "the good source is merged");
}

#[test]
fn plain_http_source_off_loopback_is_refused_as_configuration_without_connecting() {
    let old = key_made("Up <up@example.org>", ago(30 * DAY), None);
    let fpr = pgp::fingerprint(&old);
    let w = World::with_keyring("plain-http", &[&old]);
    w.refresh_watch(
        std::slice::from_ref(&fpr),
        &["http://keys.example.invalid/KEYS"],
    );
    // The watch file itself is wrong: exit 2 naming the field, before any request.
    w.refresh(&[])
        .assert_code(2)
        .assert_stderr_contains(&["keys.refresh[0]", "plain http is refused"]);
}

#[test]
fn watch_file_without_refresh_sources_is_a_config_error_exit_2() {
    let old = key_made("Up <up@example.org>", ago(30 * DAY), None);
    let fpr = pgp::fingerprint(&old);
    let w = World::with_keyring("no-sources", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &[]);
    let out = w.refresh(&[]);
    out.assert_code(2)
        .assert_stderr_contains(&["keys.refresh names no source"]);
}

// ---------------------------------------------------------------------------------------------
// Writing the keyring.
// ---------------------------------------------------------------------------------------------

#[test]
fn nothing_new_leaves_the_keyring_file_untouched_and_says_unchanged() {
    use std::os::unix::fs::MetadataExt as _;
    let old = key_made("Up <up@example.org>", ago(30 * DAY), None);
    let fpr = pgp::fingerprint(&old);
    let w = World::with_keyring("unchanged", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["/KEYS"]);
    w.server.file("/KEYS", pgp::armored_public(&old));
    let path = w.dir.join(KEYRING);
    let meta = std::fs::metadata(&path).expect("keyring metadata");
    let before = w.read_keyring();

    let (out, report) = w.refresh_json(0, &[]);
    out.check(report["updated"] == false, "updated should be false")
        .check(
            report["changes"].as_array().is_some_and(Vec::is_empty),
            "no changes listed",
        );
    let after = std::fs::metadata(&path).expect("keyring metadata");
    out.check(w.read_keyring() == before, "same bytes")
        .check(after.ino() == meta.ino(), "same inode: not replaced")
        .check(
            after.modified().ok() == meta.modified().ok(),
            "same mtime: not rewritten",
        );
    w.refresh(&[])
        .assert_code(0)
        .assert_stdout_contains(&["unchanged"]);
    out.check(w.server.hits("/KEYS") == 2, "both runs asked the source");
}

#[test]
fn a_kill_during_refresh_leaves_the_old_or_the_new_keyring_never_a_broken_one() {
    let old = key_made("Up <up@example.org>", ago(30 * DAY), None);
    let fpr = pgp::fingerprint(&old);
    // A large-ish update: many new subkeys, so parsing, merging and writing take a while.
    let mut new = old.clone();
    for i in 0..120 {
        new = add_signing_subkey(&new, ago(DAY) + Duration::from_secs(i)).0;
    }
    let w = World::with_keyring("kill", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["/KEYS"]);
    w.server.file("/KEYS", pgp::armored_public(&new));
    let old_bytes = w.read_keyring();
    let path = w.dir.join(KEYRING);

    // The new content, as one uninterrupted run writes it; then how long a run takes.
    let started = std::time::Instant::now();
    w.refresh(&[]).assert_code(0);
    let full = started.elapsed();
    let new_bytes = w.read_keyring();
    assert_ne!(new_bytes, old_bytes, "the update rewrites the keyring");

    let steps = 24u32;
    for step in 0..steps {
        std::fs::write(&path, &old_bytes).expect("restoring the old keyring");
        let delay = full * step / steps;
        let mut child = std::process::Command::new(util::BIN)
            .current_dir(w.dir.path())
            .args(["keys", "refresh", "project.toml"])
            .args(NET)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawning sigwatch");
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        let now = w.read_keyring();
        assert!(
            now == old_bytes || now == new_bytes,
            "after a kill at {delay:?} the keyring is neither the old nor the new content ({} bytes)",
            now.len()
        );
        let listed = w.listed();
        assert_eq!(
            listed,
            vec![fpr.clone()],
            "the keyring parses after a kill at {delay:?}"
        );
    }

    // A later successful run: the keyring is the new one.
    std::fs::write(&path, &old_bytes).expect("restoring the old keyring");
    w.refresh(&[]).assert_code(0);
    assert_eq!(w.read_keyring(), new_bytes);
    let leftovers = part_files(&w.dir.join("keyrings"));
    if !leftovers.is_empty() {
        // Not this test's claim: see stale_temporary_files_beside_the_keyring_are_removed.
        eprintln!("FINDING: temporary files left by killed refresh runs remain: {leftovers:?}");
    }
}

/// `.sigwatch-*.part` names in `dir`.
fn part_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".sigwatch-") && n.ends_with(".part"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn stale_temporary_files_beside_the_keyring_are_removed_by_the_next_refresh() {
    let (old, extended, fpr) = expired_and_extended();
    let w = World::with_keyring("stale-part", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["/KEYS"]);
    w.server.file("/KEYS", pgp::armored_public(&extended));
    // What a run killed between writing and renaming leaves: unlocked, older than 5 s.
    let stale = w
        .dir
        .write("keyrings/.sigwatch-killed.part", b"half a keyring");
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .and_then(|f| f.set_modified(ago(Duration::from_secs(60))))
        .expect("backdating the stale file");
    w.refresh_json(0, &[]);
    let leftovers = part_files(&w.dir.join("keyrings"));
    assert!(
        leftovers.is_empty(),
        "stale temporary files remain: {leftovers:?}"
    );
}

#[test]
fn rewritten_keyring_keeps_its_file_mode() {
    use std::os::unix::fs::PermissionsExt as _;
    let (old, extended, fpr) = expired_and_extended();
    let w = World::with_keyring("mode", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["/KEYS"]);
    w.server.file("/KEYS", pgp::armored_public(&extended));
    let path = w.dir.join(KEYRING);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let (out, report) = w.refresh_json(0, &[]);
    out.check(report["updated"] == true, "the keyring is rewritten");
    let mode = std::fs::metadata(&path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777;
    out.check(
        mode == 0o644,
        &format!("mode should stay 0644, is {mode:o}"),
    );
}

// ---------------------------------------------------------------------------------------------
// Cases the merge rules must not miss.
// ---------------------------------------------------------------------------------------------

#[test]
fn subkey_only_expiry_extension_is_learned_and_the_new_release_verifies() {
    // The common GnuPG layout: a primary that never expires, a signing subkey that does.
    let (old, _) = CertBuilder::new()
        .set_creation_time(ago(400 * DAY))
        .add_userid("Up <up@example.org>")
        .add_subkey(KeyFlags::empty().set_signing(), 365 * DAY, None)
        .generate()
        .expect("generating a key");
    let fpr = pgp::fingerprint(&old);
    let extended = old
        .clone()
        .insert_packets(extend_subkeys(
            &old,
            ago(2 * DAY),
            SystemTime::now() + 730 * DAY,
        ))
        .expect("inserting the new subkey binding")
        .0;
    let w = World::with_keyring("subkey-expiry", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["/KEYS"]);
    w.server.file("/KEYS", pgp::armored_public(&extended));
    let file = w.release("tool-2.0.tar.gz", b"two", sign(&extended, b"two", ago(DAY)));
    assert_rejected(&w.verify(&file, &fpr), "key_expired");
    // The test's own premise: upstream's current copy does verify the release.
    w.dir.write("upstream.asc", pgp::armored_public(&extended));
    assert_verified(&w.verify_with(&file, "upstream.asc", &fpr));

    let (out, report) = w.refresh_json(0, &[]);
    out.check(
        report["updated"] == true,
        "the new subkey binding is merged",
    );
    assert_verified(&w.verify(&file, &fpr));
}

#[test]
fn a_good_url_source_is_not_outvoted_by_wkd_misses_for_several_addresses() {
    let (old, _) = CertBuilder::new()
        .set_creation_time(ago(400 * DAY))
        .set_validity_period(365 * DAY)
        .add_userid("Up <up@example.org>")
        .add_userid("Up <up@example.net>")
        .add_signing_subkey()
        .generate()
        .expect("generating a key");
    let fpr = pgp::fingerprint(&old);
    let extended = extend_expiry(&old, ago(2 * DAY), SystemTime::now() + 730 * DAY);
    let w = World::with_keyring("wkd-outvotes", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["/KEYS", "wkd"]);
    w.server.file("/KEYS", pgp::armored_public(&extended));
    // No WKD at all: both addresses miss.
    let (out, report) = w.wkd_refresh_json(0);
    out.check(report["updated"] == true, "the URL source is merged");
}

// ---------------------------------------------------------------------------------------------
// check / fetch --refresh-keys, and lint.
// ---------------------------------------------------------------------------------------------

#[test]
fn fetch_with_refresh_keys_learns_the_extension_first_and_only_then_succeeds() {
    let (old, extended, fpr) = expired_and_extended();
    let w = World::with_keyring("fetch-refresh", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["/KEYS"]);
    w.server.file("/KEYS", pgp::armored_public(&extended));
    let data = b"tool 2.0 contents".to_vec();
    w.server.file(
        "/releases/",
        "<a href=\"tool-2.0.tar.gz\">tool-2.0.tar.gz</a>\n",
    );
    w.server.file("/releases/tool-2.0.tar.gz", data.clone());
    w.server.file(
        "/releases/tool-2.0.tar.gz.asc",
        sign(&extended, &data, ago(DAY)),
    );
    let fetch = |extra: &[&str]| {
        w.dir
            .cmd(["fetch", "project.toml", "--dest", "dest", "--json"])
            .args(NET)
            .args(extra)
            .run()
    };

    let out = fetch(&[]);
    out.assert_code(1);
    out.check(
        out.stdout().contains("key_expired") || out.stdout().contains("expired"),
        "the release is refused for the expired key",
    )
    .check(w.server.hits("/KEYS") == 0, "no refresh without the flag")
    .check(
        !w.dir.join("dest/tool-2.0.tar.gz").exists(),
        "nothing placed",
    );

    let out = fetch(&["--refresh-keys"]);
    out.assert_code(0);
    out.check(w.server.hits("/KEYS") == 1, "the flag refreshes first")
        .check(
            std::fs::read(w.dir.join("dest/tool-2.0.tar.gz")).ok() == Some(data),
            "the release is placed",
        )
        .check(
            out.stdout().contains("key refresh updated"),
            "the refresh is reported as a notice",
        );
}

#[test]
fn check_with_refresh_keys_refreshes_the_keyring_first() {
    let (old, extended, fpr) = expired_and_extended();
    let w = World::with_keyring("check-refresh", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["/KEYS"]);
    w.server.file("/KEYS", pgp::armored_public(&extended));
    w.server.file(
        "/releases/",
        "<a href=\"tool-2.0.tar.gz\">tool-2.0.tar.gz</a>\n",
    );
    let before = w.read_keyring();
    let check = |extra: &[&str]| {
        w.dir
            .cmd(["check", "project.toml", "--json"])
            .args(NET)
            .args(extra)
            .run()
    };
    check(&[]).assert_code(0);
    assert_eq!(w.server.hits("/KEYS"), 0, "no refresh without the flag");
    assert_eq!(w.read_keyring(), before);

    let out = check(&["--refresh-keys"]);
    out.assert_code(0);
    out.check(w.server.hits("/KEYS") == 1, "the flag refreshes first")
        .check(w.read_keyring() != before, "the keyring is updated");
}

#[test]
fn check_with_refresh_keys_refuses_a_wkd_conflict_exit_1() {
    let old = key_made("Up <up@example.org>", ago(30 * DAY), None);
    let fpr = pgp::fingerprint(&old);
    let impostor = key_made("Up <up@example.org>", ago(DAY), None);
    let w = World::with_keyring("check-conflict", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["wkd"]);
    let [advanced, _] = wkd_paths(&w, "up@example.org");
    w.server.file(&advanced, pgp::armored_public(&impostor));
    w.server.file(
        "/releases/",
        "<a href=\"tool-2.0.tar.gz\">tool-2.0.tar.gz</a>\n",
    );
    let before = w.read_keyring();
    let out = w
        .dir
        .cmd(["check", "project.toml", "--json", "--refresh-keys"])
        .args(NET)
        .env("SIGWATCH_WKD_BASE", w.server.url(""))
        .run();
    out.assert_code(1);
    out.check(
        out.stdout().contains(&pgp::fingerprint(&impostor)),
        "the error names the other key",
    )
    .check(w.read_keyring() == before, "the keyring is unchanged");
}

#[test]
fn lint_suggests_keys_refresh_for_a_pin_expiring_soon_when_a_source_is_named() {
    let old = key_made("Up <up@example.org>", ago(300 * DAY), Some(330 * DAY));
    let fpr = pgp::fingerprint(&old);
    let w = World::with_keyring("lint", &[&old]);
    w.refresh_watch(std::slice::from_ref(&fpr), &["/KEYS"]);
    let out = w.dir.cmd(["lint", "project.toml", "--json"]).run();
    out.assert_code(0);
    let v = out.json();
    let finding = v["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["code"] == "pin-expiring"))
        .cloned()
        .unwrap_or_else(|| out.fail("no pin-expiring finding"));
    out.check(finding["severity"] == "warning", "a warning, not an error")
        .check(
            finding["fix"]
                .as_str()
                .is_some_and(|f| f.contains("sigwatch keys refresh") && f.contains("project.toml")),
            "the fix names `sigwatch keys refresh` and the watch file",
        );
}
