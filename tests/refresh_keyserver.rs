//! `sigwatch keys refresh` from keyservers asked by fingerprint: the VKS interface of
//! keys.openpgp.org (`keyserver:URL`, `/vks/v1/by-fingerprint/FPR`) and HKP
//! (`keyserver:hkps://HOST`, `/pks/lookup?op=get&options=mr&search=0xFPR`). The real binary
//! talks to a loopback server (tests/server) standing in for the keyserver; keys are made at
//! test time with Sequoia, dated in the past the way upstream's key really aged.

mod server;
mod util;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use sequoia_openpgp as openpgp;
use serde_json::Value;

use openpgp::Cert;
use openpgp::packet::Signature;
use openpgp::packet::signature::SignatureBuilder;
use openpgp::parse::Parse as _;
use openpgp::policy::StandardPolicy;
use openpgp::types::SignatureType;

use server::{Response, Server};
use util::pgp::{self, CertSpec, keypair};
use util::strings;
use util::{Output, TestDir};

const DAY: Duration = Duration::from_secs(24 * 3600);
const KEYRING: &str = "keyrings/project.asc";
const NET: [&str; 5] = ["--retries", "0", "--timeout", "5", "--no-cache"];

fn ago(d: Duration) -> SystemTime {
    SystemTime::now() - d
}

/// What `gpg --quick-set-expire FPR UNTIL` and then `'*'` for the subkeys does, dated `at`: new
/// user ID bindings carrying the new primary expiry and new subkey bindings (with fresh
/// back-signatures) carrying the subkeys' new expiry.
fn extend_expiry(cert: &Cert, at: SystemTime, until: SystemTime) -> Cert {
    let p = StandardPolicy::new();
    let vc = cert
        .with_policy(&p, at)
        .expect("the certificate is valid at `at`");
    let primary = cert.primary_key().key();
    let mut signer = keypair(primary);
    let mut sigs: Vec<Signature> = Vec::new();
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
    cert.clone()
        .insert_packets(sigs)
        .expect("inserting the new self-signatures")
        .0
}

/// An upstream key made 400 days ago for a year (so its keyring copy expired 35 days ago),
/// the same key as upstream extended it two days ago, and its fingerprint.
fn expired_and_extended(user_id: &str) -> (Cert, Cert, String) {
    let old = CertSpec {
        created: ago(400 * DAY),
        validity: Some(365 * DAY),
        ..CertSpec::v4(user_id)
    }
    .generate();
    let extended = extend_expiry(&old, ago(2 * DAY), SystemTime::now() + 730 * DAY);
    let fpr = pgp::fingerprint(&old);
    (old, extended, fpr)
}

fn other_key(user_id: &str) -> Cert {
    CertSpec::v4(user_id).generate()
}

fn armored(certs: &[&Cert]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for c in certs {
        bytes.extend(pgp::armored_public(c));
        bytes.push(b'\n');
    }
    bytes
}

/// Primary fingerprints in keyring bytes.
fn fingerprints(bytes: &[u8]) -> Vec<String> {
    openpgp::cert::CertParser::from_bytes(bytes)
        .expect("a keyring")
        .map(|c| c.expect("a certificate").fingerprint().to_hex())
        .collect()
}

/// The VKS path a keyserver serves a certificate at.
fn vks_path(fpr: &str) -> String {
    format!("/vks/v1/by-fingerprint/{fpr}")
}

/// The HKP path a keyserver serves a certificate at (machine-readable, by fingerprint).
fn hkp_path(fpr: &str) -> String {
    format!("/pks/lookup?op=get&options=mr&search=0x{fpr}")
}

/// A test directory, a loopback keyserver, and a watch file whose keyring holds `keyring`.
struct World {
    dir: TestDir,
    keyserver: Server,
}

impl World {
    fn new(name: &str, keyring: &[&Cert]) -> World {
        let world = World {
            dir: TestDir::new(name),
            keyserver: Server::start(),
        };
        world.dir.write(KEYRING, armored(keyring));
        world
    }

    /// `keyserver:URL` for this world's keyserver; `hkp` names it as an HKP server.
    fn entry(&self, hkp: bool) -> String {
        if hkp {
            format!("keyserver:hkp://{}", self.keyserver.addr)
        } else {
            format!("keyserver:{}", self.keyserver.url(""))
        }
    }

    /// Writes `project.toml` pinning `pin` with these `keys.refresh` entries.
    fn watch(&self, pin: &str, refresh: &[String]) -> PathBuf {
        let refresh: Vec<String> = refresh.iter().map(|r| format!("\"{r}\"")).collect();
        self.dir.write(
            "project.toml",
            format!(
                "name = \"project\"\n[source]\nurl = \"{}\"\npattern = 'tool-(?P<version>[0-9.]+)\\.tar\\.gz'\n\
                 [keys]\nkeyring = \"{KEYRING}\"\nfingerprints = [\"{pin}\"]\nrefresh = [{}]\n",
                self.keyserver.url("/releases/"),
                refresh.join(", ")
            ),
        )
    }

    /// `keys refresh project.toml --json`, expecting exit `code`; returns the one report.
    fn refresh(&self, code: i32) -> (Output, Value) {
        let out = self
            .dir
            .cmd(["keys", "refresh", "project.toml", "--json"])
            .args(NET)
            .run();
        out.assert_code(code);
        let reports = out.json()["refreshed"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        out.check(reports.len() == 1, "expected exactly one refresh report");
        let report = reports[0].clone();
        (out, report)
    }

    /// `verify tool-2.0.tar.gz --watch project.toml --json`.
    fn verify(&self) -> Output {
        self.dir
            .cmd([
                "verify",
                "tool-2.0.tar.gz",
                "--watch",
                "project.toml",
                "--json",
            ])
            .run()
    }

    fn keyring(&self) -> Vec<u8> {
        std::fs::read(self.dir.join(KEYRING)).expect("reading the keyring")
    }

    /// The release upstream signed yesterday with its extended key.
    fn release_signed_by(&self, cert: &Cert) {
        let data = b"release 2.0";
        self.dir.write(
            "tool-2.0.tar.gz.asc",
            pgp::sign_detached(cert, data, ago(DAY), false, true),
        );
        self.dir.write("tool-2.0.tar.gz", data);
    }
}

fn assert_status(out: &Output, code: i32, verdict: &str, status: &str) {
    out.assert_code(code);
    let v = out.json();
    out.check(
        v["verdict"] == verdict,
        &format!("verdict should be {verdict}"),
    )
    .check(
        v["signatures"][0]["status"] == status,
        &format!("signature status should be {status}"),
    );
}

#[test]
fn expired_key_is_extended_from_the_keyserver_by_fingerprint_and_the_release_then_verifies() {
    let (old, extended, fpr) = expired_and_extended("Up <up@example.org>");
    let w = World::new("ks-vks", &[&old]);
    w.watch(&fpr, &[w.entry(false)]);
    w.keyserver
        .file(&vks_path(&fpr), pgp::armored_public(&extended));
    w.release_signed_by(&extended);

    assert_status(&w.verify(), 1, "rejected", "key_expired");

    let (out, report) = w.refresh(0);
    out.check(report["updated"] == true, "the keyring should be updated")
        .check(
            report["changes"][0]["certificate"] == fpr.as_str(),
            "the change should name the pinned certificate",
        )
        .check(
            report["changes"][0]["expiry_before"].as_str()
                < report["changes"][0]["expiry_after"].as_str(),
            "the expiry should move later",
        )
        .check(
            w.keyserver.hits(&vks_path(&fpr)) == 1,
            "the keyserver should be asked once, by the uppercase fingerprint",
        )
        .check(
            strings(&report["source_errors"]).is_empty(),
            "no source error",
        );

    assert_status(&w.verify(), 0, "verified", "good");
}

#[test]
fn hkps_keyserver_is_asked_through_pks_lookup_and_its_update_makes_the_release_verify() {
    let (old, extended, fpr) = expired_and_extended("Up <up@example.org>");
    let w = World::new("ks-hkp", &[&old]);
    w.watch(&fpr, &[w.entry(true)]);
    w.keyserver
        .file(&hkp_path(&fpr), pgp::armored_public(&extended));
    w.release_signed_by(&extended);
    assert_status(&w.verify(), 1, "rejected", "key_expired");

    let (out, report) = w.refresh(0);
    out.check(report["updated"] == true, "the keyring should be updated")
        .check(
            w.keyserver.hits(&hkp_path(&fpr)) == 1,
            "the HKP lookup should be asked once",
        )
        .check(
            w.keyserver.hits(&vks_path(&fpr)) == 0,
            "an HKP server is not asked the VKS way",
        );
    assert_status(&w.verify(), 0, "verified", "good");
}

#[test]
fn keyserver_answering_another_certificate_is_a_conflict_never_merged_exit_1() {
    let (old, _extended, fpr) = expired_and_extended("Up <up@example.org>");
    // Another key claiming the same address: what a hostile keyserver would hand out.
    let impostor = other_key("Up <up@example.org>");
    let w = World::new("ks-other", &[&old]);
    w.watch(&fpr, &[w.entry(false)]);
    w.keyserver
        .file(&vks_path(&fpr), pgp::armored_public(&impostor));
    let before = w.keyring();

    let (out, report) = w.refresh(1);
    let conflicts = strings(&report["conflicts"]);
    out.check(
        conflicts.len() == 1
            && conflicts[0].contains(&fpr)
            && conflicts[0].contains(&pgp::fingerprint(&impostor)),
        "one conflict naming the asked and the answered fingerprint",
    )
    .check(report["updated"] == false, "nothing is merged")
    .check(w.keyring() == before, "the keyring file is untouched");
}

#[test]
fn unpinned_certificate_beside_the_asked_one_is_dropped_counted_and_never_added() {
    let (old, extended, fpr) = expired_and_extended("Up <up@example.org>");
    let stranger = other_key("Stranger <s@example.net>");
    let w = World::new("ks-extra", &[&old]);
    w.watch(&fpr, &[w.entry(false)]);
    w.keyserver
        .file(&vks_path(&fpr), armored(&[&stranger, &extended]));

    let (out, report) = w.refresh(0);
    out.check(
        report["updated"] == true,
        "the pinned certificate is merged",
    )
    .check(
        report["dropped_certificates"] == 1,
        "the unpinned certificate is dropped and counted",
    )
    .check(
        fingerprints(&w.keyring()) == vec![fpr.clone()],
        "the keyring holds only the pinned certificate",
    );
}

#[test]
fn keyserver_without_the_certificate_is_a_source_error_naming_it_exit_3() {
    let (old, _extended, fpr) = expired_and_extended("Up <up@example.org>");
    let w = World::new("ks-404", &[&old]);
    w.watch(&fpr, &[w.entry(false)]);
    let before = w.keyring();

    let (out, report) = w.refresh(3);
    let errors = strings(&report["source_errors"]);
    out.check(
        errors.len() == 1
            && errors[0].contains(&fpr)
            && errors[0].contains("404")
            && errors[0].contains(&w.keyserver.addr),
        "one source error naming the keyserver, the fingerprint and the 404",
    )
    .check(report["sources_failed"] == 1, "the source counts as failed")
    .check(w.keyring() == before, "the keyring is untouched");
}

#[test]
fn keyserver_404_beside_a_source_that_answers_is_reported_and_exits_0() {
    let (old, extended, fpr) = expired_and_extended("Up <up@example.org>");
    let w = World::new("ks-404-hkp-ok", &[&old]);
    // The VKS server lacks the key; the HKP one has it (one server plays both here).
    w.watch(&fpr, &[w.entry(false), w.entry(true)]);
    w.keyserver
        .file(&hkp_path(&fpr), pgp::armored_public(&extended));
    w.keyserver.respond(&vks_path(&fpr), Response::status(404));

    let (out, report) = w.refresh(0);
    out.check(report["updated"] == true, "merged from the HKP source")
        .check(
            strings(&report["source_errors"]).len() == 1,
            "the 404 is still reported",
        )
        .check(report["sources_failed"] == 1, "one of two sources failed");
}

#[test]
fn keyserver_entries_that_are_not_https_or_loopback_are_refused_when_the_watch_file_loads() {
    let (old, _extended, fpr) = expired_and_extended("Up <up@example.org>");
    for entry in [
        "keyserver:http://keys.example.org",
        "keyserver:hkp://keys.example.org",
        "keyserver:ftp://keys.example.org",
        "keyserver:https://keys.example.org/?op=get",
    ] {
        let w = World::new("ks-bad-entry", &[&old]);
        w.watch(&fpr, &[entry.to_string()]);
        let out = w
            .dir
            .cmd(["keys", "refresh", "project.toml"])
            .args(NET)
            .run();
        out.assert_code(2)
            .assert_stderr_contains(&["keys.refresh[0]", entry, "hint:"]);
        out.check(
            w.keyserver.requests().is_empty(),
            "nothing is asked of any server",
        );
    }
}

#[test]
fn bare_keyserver_entry_loads_as_keys_openpgp_org() {
    let (old, _extended, fpr) = expired_and_extended("Up <up@example.org>");
    let w = World::new("ks-default", &[&old]);
    w.watch(
        &fpr,
        &[
            "keyserver".to_string(),
            "keyserver:hkps://keyserver.example.org".to_string(),
        ],
    );
    // lint loads the watch file without touching the network.
    let out = w.dir.cmd(["lint", "project.toml", "--json"]).run();
    out.assert_stderr_lacks("keys.refresh");
    out.check(out.code() != 2, "the entries are valid configuration");
}
