//! `sigwatch verify`: every acceptance rule of the README, proven by running the real binary on
//! the committed fixtures (facts from `tests/fixtures/manifest.toml`) and on material made at
//! runtime with Sequoia (v6 keys, chosen signature times).

mod util;

use std::time::{Duration, SystemTime};

use serde_json::Value;
use util::pgp::{self, CertSpec};
use util::{Output, TestDir, fixtures};

/// Runs manifest case `case` (its data, signature and keyring; its key pinned) plus `extra`.
fn run_case(dir: &TestDir, case: &str, extra: &[&str]) -> Output {
    let f = fixtures();
    let s = f.sig(case);
    let names: Vec<&str> = s.keyring.iter().map(String::as_str).collect();
    let keyring = f.keyring_of(dir, &names);
    let mut cmd = dir.cmd(["verify"]);
    cmd.arg(f.path(&s.data))
        .arg("--signature")
        .arg(f.path(&s.file))
        .arg("--keyring")
        .arg(&keyring)
        .arg("--fingerprint")
        .arg(f.fingerprint(&s.key))
        .args(extra);
    cmd.run()
}

/// `verify` with explicit data, signature, keyring and pins (absolute fixture paths).
fn run_verify(
    dir: &TestDir,
    data: &str,
    sig: &str,
    keyring: &std::path::Path,
    pins: &[&str],
    extra: &[&str],
) -> Output {
    let f = fixtures();
    let mut cmd = dir.cmd(["verify"]);
    cmd.arg(f.path(data))
        .arg("--signature")
        .arg(f.path(sig))
        .arg("--keyring")
        .arg(keyring);
    for p in pins {
        cmd.arg("--fingerprint").arg(p);
    }
    cmd.args(extra);
    cmd.run()
}

/// The lines of stdout.
fn stdout_lines(out: &Output) -> Vec<String> {
    out.stdout().lines().map(str::to_owned).collect()
}

/// Asserts that `case` verifies, in text and JSON, with the facts the manifest records.
fn assert_case_verifies(name: &str, case: &str) -> Value {
    let f = fixtures();
    let s = f.sig(case);
    let pin = f.fingerprint(&s.key);
    let signing_key = s
        .signing_key
        .clone()
        .or_else(|| s.signing_keys.as_ref().map(|k| k[0].clone()))
        .expect("manifest names the signing key");
    let dir = TestDir::new(name);

    let out = run_case(&dir, case, &[]);
    out.assert_code(0);
    let lines = stdout_lines(&out);
    out.check(
        lines.len() == 1 && lines[0].starts_with("verified: "),
        "stdout should be exactly one `verified:` line",
    )
    .assert_stdout_contains(&[&pin]);

    let out = run_case(&dir, case, &["--json"]);
    out.assert_code(0);
    let v = out.json();
    let sig0 = &v["signatures"][0];
    out.check(v["verdict"] == "verified", "verdict should be verified")
        .check(v["signer"] == pin.as_str(), "signer should be the pin")
        .check(v["signers"] == serde_json::json!([pin]), "signers")
        .check(sig0["status"] == "good", "signatures[0].status")
        .check(sig0["pinned"] == true, "signatures[0].pinned")
        .check(
            sig0["certificate"] == pin.as_str(),
            "signatures[0].certificate",
        )
        .check(
            sig0["key"] == signing_key.as_str(),
            "signatures[0].key should be the manifest's signing_key",
        )
        .check(
            sig0["created"].as_str() == s.created.as_ref().map(|c| c.first()),
            "signatures[0].created should be the manifest's",
        )
        .check(
            sig0["hash_algorithm"].as_str() == s.hash.as_ref().map(|h| h.first()),
            "signatures[0].hash_algorithm should be the manifest's",
        );
    v
}

/// Asserts that `case` is rejected with exit 1 and `status`, the reason containing `needles`,
/// in text and JSON. Returns the text run and the JSON report.
fn assert_case_rejected(name: &str, case: &str, status: &str, needles: &[&str]) -> (Output, Value) {
    let dir = TestDir::new(name);
    let out = run_case(&dir, case, &[]);
    out.assert_code(1);
    out.check(
        out.stdout().starts_with("rejected: "),
        "stdout should start with `rejected:`",
    )
    .assert_stdout_contains(needles);

    let jout = run_case(&dir, case, &["--json"]);
    jout.assert_code(1);
    let v = jout.json();
    let sig0 = &v["signatures"][0];
    jout.check(v["verdict"] == "rejected", "verdict should be rejected")
        .check(v["signer"].is_null(), "signer should be null when rejected")
        .check(
            v["signers"] == serde_json::json!([]),
            "signers should be empty",
        )
        .check(
            sig0["status"] == status,
            &format!("signatures[0].status should be {status:?}"),
        );
    let reason = sig0["reason"].as_str().unwrap_or_default();
    for n in needles {
        jout.check(
            reason.contains(n),
            &format!("signatures[0].reason should contain {n:?}"),
        );
    }
    (out, v)
}

// ---------------------------------------------------------------------------------------------
// Algorithms and encodings

#[test]
fn rsa2048_binary_signature_verifies() {
    assert_case_verifies("rsa2048", "rsa2048");
}

#[test]
fn rsa2048_armored_signature_verifies() {
    assert_case_verifies("rsa2048-armored", "rsa2048-armored");
}

#[test]
fn rsa4096_signature_verifies() {
    assert_case_verifies("rsa4096", "rsa4096");
}

#[test]
fn ed25519_signing_subkey_verifies_when_its_primary_is_pinned() {
    let f = fixtures();
    let v = assert_case_verifies("ed25519", "ed25519");
    let k = f.key_facts("ed25519");
    assert_ne!(
        k.signing_subkeys[0], k.fingerprint,
        "fixture: the signature is by the subkey"
    );
    assert_eq!(v["signatures"][0]["key"], k.signing_subkeys[0].as_str());
    assert_eq!(v["signatures"][0]["certificate"], k.fingerprint.as_str());
    assert_eq!(v["signatures"][0]["public_key_algorithm"], "EdDSA");
}

#[test]
fn p256_ecdsa_signature_verifies() {
    let v = assert_case_verifies("p256", "p256");
    assert_eq!(v["signatures"][0]["public_key_algorithm"], "ECDSA");
}

#[test]
fn dsa2048_signature_verifies() {
    let v = assert_case_verifies("dsa2048", "dsa2048");
    assert_eq!(v["signatures"][0]["public_key_algorithm"], "DSA");
}

#[test]
fn text_mode_signature_verifies_against_lf_data() {
    let v = assert_case_verifies("text-mode", "text-mode");
    assert_eq!(v["signatures"][0]["mode"], "text");
}

#[test]
fn text_mode_signature_verifies_against_crlf_data() {
    let v = assert_case_verifies("text-mode-crlf", "text-mode-crlf");
    assert_eq!(v["signatures"][0]["mode"], "text");
}

#[test]
fn binary_signature_does_not_verify_against_data_with_other_line_endings() {
    // A binary signature is over the exact bytes; only text mode normalizes line endings.
    let dir = TestDir::new("binary-not-text");
    let cert = CertSpec::v4("Line Endings <eol@example.org>").generate();
    let lf = dir.write("lf.txt", "one\ntwo\n");
    let crlf = dir.write("crlf.txt", "one\r\ntwo\r\n");
    let sig = dir.write(
        "lf.txt.sig",
        pgp::sign_detached(&cert, b"one\ntwo\n", SystemTime::now(), false, false),
    );
    let keyring = dir.write("key.asc", pgp::armored_public(&cert));
    let pin = pgp::fingerprint(&cert);
    dir.cmd(["verify"])
        .arg(&lf)
        .arg("-s")
        .arg(&sig)
        .arg("-k")
        .arg(&keyring)
        .arg("-f")
        .arg(&pin)
        .assert_code(0);
    let out = dir
        .cmd(["verify", "--json"])
        .arg(&crlf)
        .arg("-s")
        .arg(&sig)
        .arg("-k")
        .arg(&keyring)
        .arg("-f")
        .arg(&pin)
        .assert_code(1);
    let v = out.json();
    out.check(
        v["signatures"][0]["status"] == "bad_signature",
        "CRLF copy must not verify against a binary signature over LF data",
    );
}

// ---------------------------------------------------------------------------------------------
// Where the signature, file and keyring come from

/// A test dir holding `release.bin` (a copy of data.bin) and the rsa2048 keyring.
fn release_dir(name: &str) -> (TestDir, std::path::PathBuf, String) {
    let f = fixtures();
    let dir = TestDir::new(name);
    dir.copy(f.path("data.bin"), "release.bin");
    let keyring = f.keyring_of(&dir, &["rsa2048"]);
    (dir, keyring, f.fingerprint("rsa2048"))
}

#[test]
fn signature_defaults_to_file_dot_asc_before_file_dot_sig() {
    let f = fixtures();
    let (dir, keyring, pin) = release_dir("default-asc");
    dir.copy(f.path("sigs/rsa2048.asc"), "release.bin.asc");
    // A .sig that would be rejected: if it were picked, the run would fail.
    dir.copy(f.path("sigs/wrong-data.sig"), "release.bin.sig");
    let out = dir
        .cmd(["verify", "release.bin", "--json", "--keyring"])
        .arg(&keyring)
        .args(["--fingerprint", &pin])
        .assert_code(0);
    let v = out.json();
    out.check(
        v["signature_file"] == "release.bin.asc",
        "signature_file should be release.bin.asc",
    );
}

#[test]
fn signature_falls_back_to_file_dot_sig() {
    let f = fixtures();
    let (dir, keyring, pin) = release_dir("default-sig");
    dir.copy(f.path("sigs/rsa2048.sig"), "release.bin.sig");
    let out = dir
        .cmd(["verify", "release.bin", "--json", "--keyring"])
        .arg(&keyring)
        .args(["--fingerprint", &pin])
        .assert_code(0);
    let v = out.json();
    out.check(
        v["signature_file"] == "release.bin.sig",
        "signature_file should be release.bin.sig",
    );
}

#[test]
fn missing_default_signature_is_a_usage_error_naming_both_candidates() {
    let (dir, keyring, pin) = release_dir("default-none");
    dir.cmd(["verify", "release.bin", "--keyring"])
        .arg(&keyring)
        .args(["--fingerprint", &pin])
        .assert_code(2)
        .assert_stderr_contains(&["release.bin.asc", "release.bin.sig", "--signature"]);
}

#[test]
fn missing_file_is_a_usage_error_naming_it() {
    let f = fixtures();
    let (dir, keyring, pin) = release_dir("missing-file");
    dir.cmd(["verify", "no-such-release.bin", "--signature"])
        .arg(f.path("sigs/rsa2048.sig"))
        .arg("--keyring")
        .arg(&keyring)
        .args(["--fingerprint", &pin])
        .assert_code(2)
        .assert_stderr_contains(&["no-such-release.bin"]);
}

#[test]
fn missing_signature_is_a_usage_error_naming_it() {
    let (dir, keyring, pin) = release_dir("missing-sig");
    dir.cmd([
        "verify",
        "release.bin",
        "--signature",
        "no-such-signature.asc",
    ])
    .arg("--keyring")
    .arg(&keyring)
    .args(["--fingerprint", &pin])
    .assert_code(2)
    .assert_stderr_contains(&["no-such-signature.asc"]);
}

#[test]
fn missing_keyring_is_a_usage_error_naming_it() {
    let f = fixtures();
    let (dir, _, pin) = release_dir("missing-keyring");
    dir.cmd(["verify", "release.bin", "--signature"])
        .arg(f.path("sigs/rsa2048.sig"))
        .args(["--keyring", "no-such-keyring.asc", "--fingerprint", &pin])
        .assert_code(2)
        .assert_stderr_contains(&["no-such-keyring.asc"]);
}

#[test]
fn unparsable_keyring_is_a_usage_error_naming_it() {
    let f = fixtures();
    let (dir, _, pin) = release_dir("bad-keyring");
    dir.write(
        "not-a-keyring.asc",
        "these are not the keys you are looking for\n",
    );
    dir.cmd(["verify", "release.bin", "--signature"])
        .arg(f.path("sigs/rsa2048.sig"))
        .args(["--keyring", "not-a-keyring.asc", "--fingerprint", &pin])
        .assert_code(2)
        .assert_stderr_contains(&["not-a-keyring.asc"]);
}

#[test]
fn usage_errors_with_json_print_an_error_object() {
    let f = fixtures();
    let (dir, _, pin) = release_dir("json-error");
    let out = dir
        .cmd(["verify", "release.bin", "--json", "--signature"])
        .arg(f.path("sigs/rsa2048.sig"))
        .args(["--keyring", "no-such-keyring.asc", "--fingerprint", &pin])
        .assert_code(2);
    let v = out.json();
    out.check(
        v["error"]["kind"] == "config",
        "error.kind should be config",
    )
    .check(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no-such-keyring.asc")),
        "error.message should name the keyring",
    )
    .check(
        v["error"].get("hint").is_some(),
        "error.hint should be present",
    );
}

// ---------------------------------------------------------------------------------------------
// Pins: what --fingerprint accepts

fn verify_rsa2048_with_pins(name: &str, pins: &[&str], extra: &[&str]) -> Output {
    let dir = TestDir::new(name);
    let keyring = fixtures().keyring_of(&dir, &["rsa2048"]);
    run_verify(&dir, "data.bin", "sigs/rsa2048.sig", &keyring, pins, extra)
}

/// `fpr` in GnuPG's grouping: `0123 4567 … 0123  4567 …`.
fn gnupg_spaced(fpr: &str) -> String {
    let groups: Vec<&str> = fpr
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("hex is ASCII"))
        .collect();
    let half = groups.len() / 2;
    format!("{}  {}", groups[..half].join(" "), groups[half..].join(" "))
}

#[test]
fn lowercase_fingerprint_pin_is_accepted() {
    let pin = fixtures().fingerprint("rsa2048");
    let out = verify_rsa2048_with_pins("pin-lower", &[&pin.to_lowercase()], &["--json"]);
    out.assert_code(0);
    // Reports always show the canonical form, whatever was typed.
    out.check(
        out.json()["signer"] == pin.as_str(),
        "signer is uppercase hex",
    );
}

#[test]
fn fingerprint_pin_with_spaces_is_accepted() {
    let pin = fixtures().fingerprint("rsa2048");
    let out = verify_rsa2048_with_pins("pin-spaces", &[&gnupg_spaced(&pin)], &["--json"]);
    out.assert_code(0);
    out.check(
        out.json()["signer"] == pin.as_str(),
        "signer is hex without spaces",
    );
}

fn assert_key_id_refused(name: &str, value: &str, kind: &str) {
    let out = verify_rsa2048_with_pins(name, &[value], &[]);
    out.assert_code(2)
        .assert_stderr_contains(&[value, kind, "forged", "full fingerprint"]);
    out.check(
        out.stderr().lines().any(|l| l.starts_with("hint: ")),
        "a hint line should say how to get the full fingerprint",
    )
    .check(
        out.stderr().contains("keys list"),
        "the hint should name a command that shows fingerprints",
    );
}

#[test]
fn short_key_id_pin_is_refused_as_forgeable() {
    let pin = fixtures().fingerprint("rsa2048");
    assert_key_id_refused("pin-short", &pin[32..], "short key ID");
}

#[test]
fn short_key_id_pin_with_0x_is_refused_as_forgeable() {
    let pin = fixtures().fingerprint("rsa2048");
    assert_key_id_refused("pin-short-0x", &format!("0x{}", &pin[32..]), "short key ID");
}

#[test]
fn long_key_id_pin_is_refused_as_forgeable() {
    let pin = fixtures().fingerprint("rsa2048");
    assert_key_id_refused("pin-long", &pin[24..], "long key ID");
}

#[test]
fn long_key_id_pin_with_0x_is_refused_as_forgeable() {
    let pin = fixtures().fingerprint("rsa2048");
    assert_key_id_refused(
        "pin-long-0x",
        &format!("0x{}", pin[24..].to_lowercase()),
        "long key ID",
    );
}

#[test]
fn junk_pin_is_refused_naming_the_value() {
    let out = verify_rsa2048_with_pins("pin-junk", &["not-a-fingerprint"], &[]);
    out.assert_code(2)
        .assert_stderr_contains(&["\"not-a-fingerprint\"", "not a fingerprint"]);
}

#[test]
fn truncated_fingerprint_pin_is_refused_naming_the_value() {
    let pin = fixtures().fingerprint("rsa2048");
    let short = &pin[..39];
    let out = verify_rsa2048_with_pins("pin-39", &[short], &[]);
    out.assert_code(2)
        .assert_stderr_contains(&[short, "not a fingerprint"]);
}

#[test]
fn key_id_pin_with_json_reports_a_config_error_with_a_hint() {
    let pin = fixtures().fingerprint("rsa2048");
    let out = verify_rsa2048_with_pins("pin-short-json", &[&pin[32..]], &["--json"]);
    out.assert_code(2);
    let v = out.json();
    out.check(v["error"]["kind"] == "config", "error.kind")
        .check(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("forged")),
            "error.message says key IDs can be forged",
        )
        .check(
            v["error"]["hint"]
                .as_str()
                .is_some_and(|h| h.contains("full fingerprint")),
            "error.hint says to pin the full fingerprint",
        );
}

#[test]
fn missing_fingerprint_flag_is_a_usage_error() {
    let out = verify_rsa2048_with_pins("pin-none", &[], &[]);
    out.assert_code(2)
        .assert_stderr_contains(&["--fingerprint"]);
}

// ---------------------------------------------------------------------------------------------
// Pins naming subkeys

fn two_subkeys(name: &str, sig: &str, pin: &str) -> Output {
    let dir = TestDir::new(name);
    let keyring = fixtures().keyring_of(&dir, &["two-subkeys"]);
    run_verify(&dir, "data.bin", sig, &keyring, &[pin], &["--json"])
}

#[test]
fn pinned_subkey_verifies_its_own_signatures() {
    let f = fixtures();
    let k = f.key_facts("two-subkeys");
    let a = f
        .sig("two-subkeys-a")
        .signing_key
        .clone()
        .expect("signing_key");
    assert!(k.signing_subkeys.contains(&a));
    let out = two_subkeys("subkey-a-a", "sigs/two-subkeys-a.sig", &a);
    out.assert_code(0);
    let v = out.json();
    out.check(v["signatures"][0]["key"] == a.as_str(), "key is subkey A")
        .check(
            v["signer"] == k.fingerprint.as_str(),
            "signer is the certificate",
        );
}

#[test]
fn pinned_subkey_does_not_admit_its_sibling_subkey() {
    let f = fixtures();
    let k = f.key_facts("two-subkeys");
    let a = f
        .sig("two-subkeys-a")
        .signing_key
        .clone()
        .expect("signing_key");
    let b = f
        .sig("two-subkeys-b")
        .signing_key
        .clone()
        .expect("signing_key");
    let out = two_subkeys("subkey-a-b", "sigs/two-subkeys-b.sig", &a);
    out.assert_code(1);
    let v = out.json();
    let reason = v["signatures"][0]["reason"].as_str().unwrap_or_default();
    out.check(
        v["signatures"][0]["status"] == "unpinned",
        "subkey B is unpinned",
    )
    .check(v["signatures"][0]["key"] == b.as_str(), "key is subkey B")
    .check(reason.contains(&b), "the reason names subkey B")
    .check(
        reason.contains(&k.fingerprint),
        "the reason names the certificate",
    );
}

#[test]
fn pinned_primary_admits_every_signing_subkey() {
    let pin = fixtures().fingerprint("two-subkeys");
    for (case, sig) in [
        ("a", "sigs/two-subkeys-a.sig"),
        ("b", "sigs/two-subkeys-b.sig"),
    ] {
        let out = two_subkeys(&format!("subkey-primary-{case}"), sig, &pin);
        out.assert_code(0);
        out.check(
            out.json()["signer"] == pin.as_str(),
            "signer is the primary",
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Pins and the keyring

#[test]
fn pin_absent_from_keyring_is_a_configuration_error() {
    let dir = TestDir::new("pin-absent");
    let f = fixtures();
    let keyring = f.keyring_of(&dir, &["rsa2048"]);
    let absent = f.fingerprint("other");
    run_verify(
        &dir,
        "data.bin",
        "sigs/rsa2048.sig",
        &keyring,
        &[&absent],
        &[],
    )
    .assert_code(2)
    .assert_stderr_contains(&[&absent, &keyring.display().to_string()]);
}

#[test]
fn pin_absent_from_keyring_is_warned_about_when_another_pin_is_present() {
    let dir = TestDir::new("pin-absent-warn");
    let f = fixtures();
    let keyring = f.keyring_of(&dir, &["rsa2048"]);
    let absent = f.fingerprint("other");
    let present = f.fingerprint("rsa2048");
    let out = run_verify(
        &dir,
        "data.bin",
        "sigs/rsa2048.sig",
        &keyring,
        &[&absent, &present],
        &[],
    );
    out.assert_code(0);
    let warning = out
        .stderr()
        .lines()
        .find(|l| l.starts_with("warning: ") && l.contains(&absent))
        .map(str::to_owned);
    out.check(
        warning.is_some(),
        "a warning line should name the missing pin",
    );
}

// ---------------------------------------------------------------------------------------------
// Signers that are not pinned or not known

#[test]
fn unpinned_signer_is_rejected_and_named_by_fingerprint() {
    let f = fixtures();
    let dir = TestDir::new("unpinned");
    let keyring = f.keyring_of(&dir, &["rsa2048", "other"]);
    let pin = f.fingerprint("rsa2048");
    let other = f.fingerprint("other");
    let out = run_verify(&dir, "data.bin", "sigs/other.sig", &keyring, &[&pin], &[]);
    out.assert_code(1)
        .assert_stdout_contains(&["rejected: ", &other, "not pinned"])
        // The hint says how to accept it, if that is right: pin that fingerprint.
        .assert_stderr_contains(&["hint: ", &other]);

    let out = run_verify(
        &dir,
        "data.bin",
        "sigs/other.sig",
        &keyring,
        &[&pin],
        &["--json"],
    );
    out.assert_code(1);
    let v = out.json();
    let s = &v["signatures"][0];
    out.check(s["status"] == "unpinned", "status should be unpinned")
        .check(s["pinned"] == false, "pinned should be false")
        .check(
            s["certificate"] == other.as_str(),
            "certificate is the signer's",
        )
        .check(
            s["reason"].as_str().is_some_and(|r| r.contains(&other)),
            "reason names the signer",
        )
        .check(v["signer"].is_null(), "no signer");
}

#[test]
fn signer_missing_from_keyring_is_rejected_naming_the_issuer() {
    let other = fixtures().fingerprint("other");
    let (out, v) = assert_case_rejected(
        "missing-key",
        "other-unpinned",
        "missing_key",
        &[&other, "not in keyring"],
    );
    out.check(
        v["signatures"][0]["issuer"] == other.as_str(),
        "issuer is the signer's fingerprint",
    )
    .check(v["signatures"][0]["key"].is_null(), "no key in the keyring");
}

// ---------------------------------------------------------------------------------------------
// Several signatures and the threshold

#[test]
fn one_pinned_signature_of_several_meets_the_default_threshold() {
    let f = fixtures();
    let rsa = f.fingerprint("rsa2048");
    let v = assert_case_verifies("multi-one", "multi");
    assert_eq!(v["threshold"], 1);
    assert_eq!(v["signers"], serde_json::json!([rsa]));
    assert_eq!(v["signatures"].as_array().map(Vec::len), Some(2));
    // The ed25519 signature is good but its key is not pinned.
    assert_eq!(v["signatures"][1]["status"], "unpinned");
}

#[test]
fn one_pinned_signature_verifies_even_when_another_signer_is_unknown() {
    for case in ["multi-rsa2048-only", "multi-with-other"] {
        let dir = TestDir::new(case);
        let out = run_case(&dir, case, &["--json"]);
        out.assert_code(0);
        let v = out.json();
        let statuses: Vec<&str> = v["signatures"]
            .as_array()
            .map(|a| a.iter().filter_map(|s| s["status"].as_str()).collect())
            .unwrap_or_default();
        out.check(
            statuses.contains(&"good") && statuses.contains(&"missing_key"),
            "one good, one missing_key",
        );
    }
}

#[test]
fn threshold_two_is_met_by_two_pinned_signers() {
    let f = fixtures();
    let dir = TestDir::new("threshold-2");
    let keyring = f.keyring_of(&dir, &["rsa2048", "ed25519"]);
    let rsa = f.fingerprint("rsa2048");
    let ed = f.fingerprint("ed25519");
    let out = run_verify(
        &dir,
        "data.bin",
        "sigs/multi.sig",
        &keyring,
        &[&rsa, &ed],
        &["--threshold", "2", "--json"],
    );
    out.assert_code(0);
    let v = out.json();
    out.check(
        v["signers"] == serde_json::json!([rsa, ed]),
        "signers should be both certificates, in file order",
    )
    .check(v["threshold"] == 2, "threshold is 2");
}

#[test]
fn threshold_two_with_one_good_signature_is_rejected_below_threshold() {
    let f = fixtures();
    let dir = TestDir::new("threshold-2-of-1");
    let keyring = f.keyring_of(&dir, &["rsa2048"]);
    let rsa = f.fingerprint("rsa2048");
    let ed = f.fingerprint("ed25519");
    // ed25519 is pinned but not in the keyring (a warning), so only rsa2048 can count.
    let out = run_verify(
        &dir,
        "data.bin",
        "sigs/multi.sig",
        &keyring,
        &[&rsa, &ed],
        &["--threshold", "2"],
    );
    out.assert_code(1)
        .assert_stdout_contains(&["rejected: ", "threshold", "1", "2"]);
    let out = run_verify(
        &dir,
        "data.bin",
        "sigs/multi.sig",
        &keyring,
        &[&rsa, &ed],
        &["--threshold", "2", "--json"],
    );
    out.assert_code(1);
    let v = out.json();
    out.check(v["verdict"] == "rejected", "verdict rejected")
        .check(
            v["reason"]
                .as_str()
                .is_some_and(|r| r.contains("threshold")),
            "reason mentions the threshold",
        )
        .check(v["signer"].is_null(), "no signer when rejected");
}

#[test]
fn two_signatures_by_one_certificate_count_once_toward_the_threshold() {
    let f = fixtures();
    let dir = TestDir::new("threshold-same-cert");
    let mut both = std::fs::read(f.path("sigs/two-subkeys-a.sig")).expect("fixture");
    both.extend(std::fs::read(f.path("sigs/two-subkeys-b.sig")).expect("fixture"));
    let sig = dir.write("both.sig", both);
    let keyring = f.keyring_of(&dir, &["two-subkeys", "rsa2048"]);
    let out = dir
        .cmd(["verify"])
        .arg(f.path("data.bin"))
        .arg("--signature")
        .arg(&sig)
        .arg("--keyring")
        .arg(&keyring)
        .args(["--fingerprint", &f.fingerprint("two-subkeys")])
        .args(["--fingerprint", &f.fingerprint("rsa2048")])
        .args(["--threshold", "2"])
        .assert_code(1);
    out.assert_stdout_contains(&["threshold"]);
}

#[test]
fn threshold_larger_than_the_number_of_pins_is_a_usage_error() {
    let pin = fixtures().fingerprint("rsa2048");
    verify_rsa2048_with_pins("threshold-too-big", &[&pin], &["--threshold", "2"])
        .assert_code(2)
        .assert_stderr_contains(&["threshold", "never be met"]);
}

#[test]
fn threshold_zero_is_a_usage_error() {
    let pin = fixtures().fingerprint("rsa2048");
    verify_rsa2048_with_pins("threshold-zero", &[&pin], &["--threshold", "0"])
        .assert_code(2)
        .assert_stderr_contains(&["threshold"]);
}

// ---------------------------------------------------------------------------------------------
// Validity when the signature was made

#[test]
fn key_expired_after_the_signature_is_accepted_with_a_warning() {
    let dir = TestDir::new("expired-after");
    let expires = fixtures()
        .key_facts("expired-after")
        .expires
        .clone()
        .expect("fixture expires");
    run_case(&dir, "expired-after", &[])
        .assert_code(0)
        .assert_stderr_contains(&["warning: ", "after the signature", &expires]);
}

#[test]
fn key_expired_before_the_signature_is_rejected() {
    let expires = fixtures()
        .key_facts("expired-before")
        .expires
        .clone()
        .expect("fixture expires");
    assert_case_rejected(
        "expired-before",
        "expired-before",
        "key_expired",
        &["expired", &expires, "before the signature"],
    );
}

#[test]
fn hard_revocation_rejects_even_earlier_signatures() {
    assert_case_rejected(
        "hard-revoked",
        "hard-revoked",
        "revoked",
        &["revoked", "hard", "compromised"],
    );
}

#[test]
fn soft_revocation_accepts_signatures_made_before_it() {
    let dir = TestDir::new("soft-revoked-before");
    run_case(&dir, "soft-revoked-before", &[]).assert_code(0);
}

#[test]
fn soft_revocation_rejects_signatures_made_after_it() {
    assert_case_rejected(
        "soft-revoked-after",
        "soft-revoked-after",
        "revoked",
        &["revoked", "soft", "superseded"],
    );
}

#[test]
fn minimal_export_is_accepted_with_a_warning() {
    let dir = TestDir::new("minimal-export");
    run_case(&dir, "minimal-export", &[])
        .assert_code(0)
        .assert_stderr_contains(&["warning: ", "minimal export"]);
    let out = run_case(&dir, "minimal-export", &["--json"]);
    out.assert_code(0);
    let v = out.json();
    out.check(
        v["warnings"].as_array().is_some_and(|w| {
            w.iter()
                .any(|w| w.as_str().unwrap_or("").contains("minimal export"))
        }),
        "the JSON warnings carry it too",
    );
}

#[test]
fn future_dated_signature_is_rejected() {
    let created = fixtures().sig("future").created.clone().expect("created");
    assert_case_rejected(
        "future",
        "future",
        "future_signature",
        &["future", created.first()],
    );
}

#[test]
fn sha1_data_signature_is_rejected_as_weak_hash() {
    let (_, v) = assert_case_rejected("sha1-data", "sha1-data", "weak_hash", &["SHA1"]);
    assert_eq!(v["signatures"][0]["hash_algorithm"], "SHA1");
}

#[test]
fn md5_data_signature_is_rejected_as_weak_hash() {
    let (_, v) = assert_case_rejected("md5-data", "md5-data", "weak_hash", &["MD5"]);
    assert_eq!(v["signatures"][0]["hash_algorithm"], "MD5");
}

#[test]
fn rsa1024_key_is_rejected_as_weak_key() {
    let fpr = fixtures().fingerprint("rsa1024");
    assert_case_rejected("rsa1024", "rsa1024", "weak_key", &["1024", &fpr]);
}

#[test]
fn sha1_self_signature_is_accepted_with_a_warning() {
    let dir = TestDir::new("sha1-selfsig");
    run_case(&dir, "sha1-selfsig", &[])
        .assert_code(0)
        .assert_stderr_contains(&["warning: ", "SHA-1"]);
}

#[test]
fn signature_over_other_data_is_rejected_as_bad_signature() {
    let fpr = fixtures().fingerprint("rsa2048");
    assert_case_rejected(
        "wrong-data",
        "wrong-data",
        "bad_signature",
        &["bad signature", &fpr],
    );
}

// ---------------------------------------------------------------------------------------------
// Things that are not detached signatures

/// Asserts a one-line rejection (exit 1, no panic) of a file that is not a detached signature.
fn assert_not_a_signature(case: &str, needle: &str) {
    let dir = TestDir::new(case);
    let out = run_case(&dir, case, &[]);
    out.assert_code(1);
    let lines = stdout_lines(&out);
    out.check(
        lines.len() == 1 && lines[0].starts_with("rejected: "),
        "stdout should be exactly one `rejected:` line",
    )
    .assert_stdout_contains(&[needle]);
    let out = run_case(&dir, case, &["--json"]);
    out.assert_code(1);
    let v = out.json();
    out.check(v["verdict"] == "rejected", "verdict rejected")
        .check(
            v["reason"].as_str().is_some_and(|r| !r.contains('\n')),
            "reason is one line",
        )
        .check(
            v["signatures"] == serde_json::json!([]),
            "no signatures were judged",
        );
}

#[test]
fn garbage_signature_file_is_rejected_in_one_line() {
    assert_not_a_signature("garbage", "not a detached signature");
}

#[test]
fn empty_signature_file_is_rejected_in_one_line() {
    assert_not_a_signature("empty", "empty");
}

#[test]
fn truncated_signature_file_is_rejected_in_one_line() {
    assert_not_a_signature("truncated", "not a detached signature");
}

#[test]
fn cleartext_signed_message_is_rejected_in_one_line() {
    assert_not_a_signature("cleartext", "cleartext");
}

#[test]
fn compressed_inline_signed_message_is_rejected_in_one_line() {
    assert_not_a_signature("compressed", "compressed");
}

#[test]
fn public_key_given_as_signature_is_rejected_in_one_line() {
    assert_not_a_signature("armored-pubkey-as-sig", "certificate");
}

#[test]
fn oversized_signature_file_is_rejected_without_reading_it_all() {
    let f = fixtures();
    let dir = TestDir::new("oversized-sig");
    let keyring = f.keyring_of(&dir, &["rsa2048"]);
    let sig = dir.write(
        "huge.sig",
        vec![0xA5u8; sigwatch::verify::MAX_SIGNATURE_BYTES + 1],
    );
    dir.cmd(["verify"])
        .arg(f.path("data.bin"))
        .arg("--signature")
        .arg(&sig)
        .arg("--keyring")
        .arg(&keyring)
        .args(["--fingerprint", &f.fingerprint("rsa2048")])
        .assert_code(1)
        .assert_stdout_contains(&["rejected: ", "larger than"]);
}

// ---------------------------------------------------------------------------------------------
// Keyrings as upstreams publish them

#[test]
fn glued_keyring_exposes_pins_from_every_armor_block() {
    let f = fixtures();
    let glued = f.path(&f.keyring("glued").file);
    for (key, sig) in [
        ("rsa2048", "sigs/rsa2048.sig"),
        ("ed25519", "sigs/ed25519.sig"),
    ] {
        let dir = TestDir::new(&format!("glued-{key}"));
        let out = run_verify(
            &dir,
            "data.bin",
            sig,
            &glued,
            &[&f.fingerprint(key)],
            &["--json"],
        );
        out.assert_code(0);
        out.check(
            out.json()["signer"] == f.fingerprint(key).as_str(),
            "signer",
        );
    }
}

#[test]
fn binary_keyring_is_read() {
    let f = fixtures();
    let binary = f.path(&f.keyring("binary").file);
    for (key, sig) in [
        ("rsa2048", "sigs/rsa2048.sig"),
        ("p256", "sigs/p256.sig"),
        ("ed25519", "sigs/ed25519.sig"),
    ] {
        let dir = TestDir::new(&format!("binary-{key}"));
        run_verify(&dir, "data.bin", sig, &binary, &[&f.fingerprint(key)], &[])
            .assert_code(0)
            .assert_stdout_contains(&["verified: ", &f.fingerprint(key)]);
    }
}

// ---------------------------------------------------------------------------------------------
// JSON schema

#[test]
fn json_report_has_the_documented_fields() {
    let f = fixtures();
    let s = f.sig("rsa2048");
    let pin = f.fingerprint("rsa2048");
    let uid = f.key_facts("rsa2048").uids[0].clone();
    let dir = TestDir::new("json-fields");
    // Pin typed lowercase with spaces: the report still shows the canonical form.
    let typed = gnupg_spaced(&pin).to_lowercase();
    let keyring = f.keyring_of(&dir, &["rsa2048"]);
    let out = run_verify(&dir, &s.data, &s.file, &keyring, &[&typed], &["--json"]);
    out.assert_code(0);
    let v = out.json();
    for field in [
        "verdict",
        "file",
        "signature_file",
        "signer",
        "signers",
        "threshold",
        "reason",
        "signatures",
        "warnings",
    ] {
        out.check(v.get(field).is_some(), &format!("missing field {field:?}"));
    }
    out.check(v["verdict"] == "verified", "verdict")
        .check(
            v["signer"] == pin.as_str(),
            "signer is uppercase, no spaces",
        )
        .check(
            v["signer"].as_str().is_some_and(|s| {
                s.chars()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            }),
            "signer is uppercase hex",
        )
        .check(v["signers"] == serde_json::json!([pin]), "signers")
        .check(v["threshold"] == 1, "threshold")
        .check(
            v["file"].as_str().is_some_and(|p| p.ends_with("data.bin")),
            "file",
        )
        .check(
            v["signature_file"]
                .as_str()
                .is_some_and(|p| p.ends_with("rsa2048.sig")),
            "signature_file",
        );
    let sig = &v["signatures"][0];
    for field in [
        "issuer",
        "key",
        "certificate",
        "user_id",
        "created",
        "hash_algorithm",
        "public_key_algorithm",
        "mode",
        "pinned",
        "status",
        "reason",
        "warnings",
    ] {
        out.check(
            sig.get(field).is_some(),
            &format!("missing field signatures[0].{field}"),
        );
    }
    let created = sig["created"].as_str().unwrap_or_default();
    out.check(sig["issuer"] == pin.as_str(), "issuer")
        .check(sig["key"] == pin.as_str(), "key")
        .check(sig["certificate"] == pin.as_str(), "certificate")
        .check(sig["user_id"] == uid.as_str(), "user_id")
        .check(
            created.ends_with('Z') && humantime::parse_rfc3339(created).is_ok(),
            "created is RFC 3339 UTC",
        )
        .check(
            Some(created) == s.created.as_ref().map(|c| c.first()),
            "created matches the manifest",
        )
        .check(sig["hash_algorithm"] == "SHA256", "hash_algorithm")
        .check(sig["public_key_algorithm"] == "RSA", "public_key_algorithm")
        .check(sig["mode"] == "binary", "mode")
        .check(sig["pinned"] == true, "pinned")
        .check(sig["status"] == "good", "status")
        .check(
            sig["reason"].as_str().is_some_and(|r| r.contains(&pin)),
            "reason names the key",
        )
        .check(sig["warnings"] == serde_json::json!([]), "warnings");
}

#[test]
fn json_stdout_is_only_json_even_with_warnings() {
    let dir = TestDir::new("json-warnings");
    let out = run_case(&dir, "expired-after", &["--json"]);
    out.assert_code(0).assert_stderr_contains(&["warning: "]);
    let v = out.json();
    out.check(
        v["warnings"].as_array().is_some_and(|w| !w.is_empty()),
        "warnings are in the JSON too",
    );
}

// ---------------------------------------------------------------------------------------------
// Quiet and output streams

#[test]
fn warnings_go_to_stderr_and_stdout_carries_only_the_result() {
    let dir = TestDir::new("streams");
    let out = run_case(&dir, "expired-after", &[]);
    out.assert_code(0).assert_stderr_contains(&["warning: "]);
    let lines = stdout_lines(&out);
    out.check(
        lines.len() == 1 && lines[0].starts_with("verified: "),
        "stdout is the result line only",
    );
}

#[test]
fn quiet_suppresses_warnings() {
    let dir = TestDir::new("quiet");
    let out = run_case(&dir, "expired-after", &["-q"]);
    out.assert_code(0)
        .check(out.stderr().is_empty(), "stderr should be empty with -q");
    let lines = stdout_lines(&out);
    out.check(
        lines.len() == 1 && lines[0].starts_with("verified: "),
        "stdout is the result line only",
    );
}

#[test]
fn quiet_suppresses_hints_but_not_the_rejection() {
    let f = fixtures();
    let dir = TestDir::new("quiet-rejected");
    let keyring = f.keyring_of(&dir, &["rsa2048", "other"]);
    let out = run_verify(
        &dir,
        "data.bin",
        "sigs/other.sig",
        &keyring,
        &[&f.fingerprint("rsa2048")],
        &["-q"],
    );
    out.assert_code(1)
        .assert_stdout_contains(&["rejected: ", &f.fingerprint("other")])
        .check(out.stderr().is_empty(), "stderr should be empty with -q");
}

#[test]
fn quiet_still_prints_errors() {
    let out = verify_rsa2048_with_pins("quiet-error", &["DEADBEEF"], &["-q"]);
    out.assert_code(2)
        .assert_stderr_contains(&["error: ", "DEADBEEF"]);
}

// ---------------------------------------------------------------------------------------------
// Material GnuPG 2.2 cannot make, generated with Sequoia

/// Writes `cert`'s public key, `data` and a detached signature into `dir`; returns the paths.
fn write_signed(
    dir: &TestDir,
    cert: &sequoia_openpgp::Cert,
    data: &[u8],
    sig: Vec<u8>,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let key = dir.write("key.asc", pgp::armored_public(cert));
    let file = dir.write("release.tar", data);
    let sig = dir.write("release.tar.sig", sig);
    (key, file, sig)
}

fn verify_written(
    dir: &TestDir,
    paths: &(std::path::PathBuf, std::path::PathBuf, std::path::PathBuf),
    pin: &str,
    extra: &[&str],
) -> Output {
    let (key, file, sig) = paths;
    dir.cmd(["verify"])
        .arg(file)
        .arg("--signature")
        .arg(sig)
        .arg("--keyring")
        .arg(key)
        .args(["--fingerprint", pin])
        .args(extra)
        .run()
}

#[test]
fn v6_key_pinned_by_its_64_hex_fingerprint_verifies() {
    let dir = TestDir::new("v6");
    let cert = CertSpec::v6("V6 <v6@example.org>").generate();
    let pin = pgp::fingerprint(&cert);
    assert_eq!(pin.len(), 64, "a v6 fingerprint is 64 hex digits");
    let data = b"a v6 release\n".repeat(1000);
    let sig = pgp::sign_detached(&cert, &data, SystemTime::now(), false, false);
    let paths = write_signed(&dir, &cert, &data, sig);
    let out = verify_written(&dir, &paths, &pin, &["--json"]);
    out.assert_code(0);
    let v = out.json();
    let subkey = &pgp::subkey_fingerprints(&cert)[0];
    out.check(v["signer"] == pin.as_str(), "signer is the 64-hex primary")
        .check(
            v["signatures"][0]["key"] == subkey.as_str(),
            "key is the signing subkey",
        )
        .check(
            v["signatures"][0]["issuer"] == subkey.as_str(),
            "issuer is the subkey fingerprint",
        );
    // The same with the pin typed lowercase with spaces.
    verify_written(&dir, &paths, &gnupg_spaced(&pin).to_lowercase(), &[]).assert_code(0);
}

#[test]
fn v6_armored_text_mode_signature_verifies_against_crlf_data() {
    let dir = TestDir::new("v6-text");
    let cert = CertSpec::v6("V6 Text <v6text@example.org>").generate();
    let pin = pgp::fingerprint(&cert);
    let sig = pgp::sign_detached(&cert, b"one\ntwo\n", SystemTime::now(), true, true);
    let paths = write_signed(&dir, &cert, b"one\r\ntwo\r\n", sig);
    let out = verify_written(&dir, &paths, &pin, &["--json"]);
    out.assert_code(0);
    out.check(out.json()["signatures"][0]["mode"] == "text", "text mode");
}

#[test]
fn v6_signature_over_other_data_is_rejected_as_bad_signature() {
    let dir = TestDir::new("v6-bad");
    let cert = CertSpec::v6("V6 Bad <v6bad@example.org>").generate();
    let pin = pgp::fingerprint(&cert);
    let sig = pgp::sign_detached(&cert, b"signed bytes", SystemTime::now(), false, false);
    let paths = write_signed(&dir, &cert, b"other bytes", sig);
    let out = verify_written(&dir, &paths, &pin, &["--json"]);
    out.assert_code(1);
    out.check(
        out.json()["signatures"][0]["status"] == "bad_signature",
        "bad_signature",
    );
}

#[test]
fn v6_long_key_id_pin_is_refused() {
    let dir = TestDir::new("v6-keyid");
    let cert = CertSpec::v6("V6 KeyID <v6keyid@example.org>").generate();
    let pin = pgp::fingerprint(&cert);
    let sig = pgp::sign_detached(&cert, b"x", SystemTime::now(), false, false);
    let paths = write_signed(&dir, &cert, b"x", sig);
    // A v6 key ID is the first 16 hex digits of the fingerprint.
    verify_written(&dir, &paths, &pin[..16], &[])
        .assert_code(2)
        .assert_stderr_contains(&["long key ID", "forged"]);
}

#[test]
fn text_mode_line_ending_split_across_read_buffers_verifies() {
    // sigwatch streams data in 256 KiB chunks; put a CRLF across the first boundary.
    const CHUNK: usize = 256 * 1024;
    let dir = TestDir::new("text-chunks");
    let cert = CertSpec::v4("Chunks <chunks@example.org>").generate();
    let pin = pgp::fingerprint(&cert);
    let mut crlf = vec![b'a'; CHUNK - 1];
    crlf.extend_from_slice(b"\r\nsecond line\r\n\r\nlast");
    let lf: Vec<u8> = String::from_utf8(crlf.clone())
        .expect("ascii")
        .replace("\r\n", "\n")
        .into_bytes();
    let sig = pgp::sign_detached(&cert, &lf, SystemTime::now(), true, false);
    let paths = write_signed(&dir, &cert, &crlf, sig);
    verify_written(&dir, &paths, &pin, &[]).assert_code(0);
    std::fs::write(&paths.1, &lf).expect("rewrite data");
    verify_written(&dir, &paths, &pin, &[]).assert_code(0);
    // And one changed byte after the boundary is caught.
    let mut changed = crlf.clone();
    let n = changed.len();
    changed[n - 1] = b'X';
    std::fs::write(&paths.1, &changed).expect("rewrite data");
    verify_written(&dir, &paths, &pin, &[]).assert_code(1);
}

#[test]
fn signature_dated_within_clock_skew_tolerance_is_accepted() {
    let dir = TestDir::new("skew-ok");
    let cert = CertSpec::v4("Skew <skew@example.org>").generate();
    let pin = pgp::fingerprint(&cert);
    let when = SystemTime::now() + Duration::from_secs(10 * 60);
    let sig = pgp::sign_detached(&cert, b"data", when, false, false);
    let paths = write_signed(&dir, &cert, b"data", sig);
    verify_written(&dir, &paths, &pin, &[]).assert_code(0);
}

#[test]
fn signature_dated_beyond_clock_skew_tolerance_is_rejected_as_future() {
    let dir = TestDir::new("skew-bad");
    let cert = CertSpec::v4("Skew <skew@example.org>").generate();
    let pin = pgp::fingerprint(&cert);
    let when = SystemTime::now() + Duration::from_secs(2 * 3600);
    let sig = pgp::sign_detached(&cert, b"data", when, false, false);
    let paths = write_signed(&dir, &cert, b"data", sig);
    let out = verify_written(&dir, &paths, &pin, &["--json"]);
    out.assert_code(1);
    out.check(
        out.json()["signatures"][0]["status"] == "future_signature",
        "future_signature",
    );
}

#[test]
fn expired_signature_is_rejected() {
    let dir = TestDir::new("sig-expired");
    let mut spec = CertSpec::v4("SigExp <sigexp@example.org>");
    spec.created = SystemTime::now() - Duration::from_secs(10 * 86400);
    let cert = spec.generate();
    let pin = pgp::fingerprint(&cert);
    let when = SystemTime::now() - Duration::from_secs(2 * 86400);
    let sig = pgp::sign_with(&cert, b"data", when, false, false, |b| {
        b.set_signature_validity_period(Duration::from_secs(86400))
            .expect("validity period")
    });
    let paths = write_signed(&dir, &cert, b"data", sig);
    let out = verify_written(&dir, &paths, &pin, &["--json"]);
    out.assert_code(1);
    let v = out.json();
    out.check(
        v["signatures"][0]["status"] == "signature_expired",
        "signature_expired",
    )
    .check(
        v["signatures"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("expired")),
        "reason says expired",
    );
}

#[test]
fn signature_older_than_its_key_is_rejected_as_unbound_not_as_bad_bytes() {
    let dir = TestDir::new("sig-before-key");
    let cert = CertSpec::v4("Young <young@example.org>").generate();
    let pin = pgp::fingerprint(&cert);
    let when = SystemTime::now() - Duration::from_secs(30 * 86400);
    let sig = pgp::sign_detached(&cert, b"data", when, false, false);
    let paths = write_signed(&dir, &cert, b"data", sig);
    let out = verify_written(&dir, &paths, &pin, &["--json"]);
    out.assert_code(1);
    let v = out.json();
    let reason = v["signatures"][0]["reason"].as_str().unwrap_or_default();
    out.check(v["verdict"] == "rejected", "rejected")
        .check(
            !reason.contains("does not match the file's bytes"),
            "the file's bytes do match: the reason must not blame them",
        )
        .check(
            v["signatures"][0]["status"] == "no_binding",
            "no_binding: the key did not exist when the signature claims to be made",
        );
}

/// A key made ten days ago whose signing subkey was revoked for `reason` a day ago, with
/// signatures over `data` made five days ago (`before.sig`) and now (`after.sig`).
struct RevokedSubkey {
    pin: String,
    subkey: String,
    keyring: std::path::PathBuf,
    file: std::path::PathBuf,
}

impl RevokedSubkey {
    fn new(dir: &TestDir, reason: sequoia_openpgp::types::ReasonForRevocation) -> RevokedSubkey {
        let day = Duration::from_secs(86400);
        let now = SystemTime::now();
        let mut spec = CertSpec::v4("Rotating <rotating@example.org>");
        spec.created = now - 10 * day;
        let cert = spec.generate();
        dir.write(
            "before.sig",
            pgp::sign_detached(&cert, b"data", now - 5 * day, false, false),
        );
        dir.write(
            "after.sig",
            pgp::sign_detached(&cert, b"data", now, false, false),
        );
        let revoked = pgp::revoke_first_subkey(&cert, reason, "rotated", now - day);
        RevokedSubkey {
            pin: pgp::fingerprint(&cert),
            subkey: pgp::subkey_fingerprints(&cert)[0].clone(),
            keyring: dir.write("key.asc", pgp::armored_public(&revoked)),
            file: dir.write("release.tar", b"data"),
        }
    }

    fn verify(&self, dir: &TestDir, sig: &str) -> Output {
        dir.cmd(["verify", "--json"])
            .arg(&self.file)
            .args(["--signature", sig])
            .arg("--keyring")
            .arg(&self.keyring)
            .args(["--fingerprint", &self.pin])
            .run()
    }
}

#[test]
fn hard_revoked_signing_subkey_rejects_even_earlier_signatures() {
    use sequoia_openpgp::types::ReasonForRevocation;
    let dir = TestDir::new("subkey-hard");
    let case = RevokedSubkey::new(&dir, ReasonForRevocation::KeyCompromised);
    let out = case.verify(&dir, "before.sig");
    out.assert_code(1);
    let v = out.json();
    let reason = v["signatures"][0]["reason"].as_str().unwrap_or_default();
    out.check(v["signatures"][0]["status"] == "revoked", "revoked")
        .check(reason.contains("hard"), "the reason says hard")
        .check(reason.contains(&case.subkey), "the reason names the subkey")
        .check(
            reason.contains("rotated"),
            "the reason quotes the revocation text",
        );
}

#[test]
fn soft_revoked_signing_subkey_accepts_earlier_signatures_only() {
    use sequoia_openpgp::types::ReasonForRevocation;
    let dir = TestDir::new("subkey-soft");
    let case = RevokedSubkey::new(&dir, ReasonForRevocation::KeySuperseded);
    case.verify(&dir, "before.sig").assert_code(0);
    let out = case.verify(&dir, "after.sig");
    out.assert_code(1);
    let v = out.json();
    let reason = v["signatures"][0]["reason"].as_str().unwrap_or_default();
    out.check(v["signatures"][0]["status"] == "revoked", "revoked")
        .check(reason.contains("soft"), "the reason says soft");
}

#[test]
fn quiet_json_prints_only_the_json_object() {
    let dir = TestDir::new("quiet-json");
    let out = run_case(&dir, "expired-after", &["-q", "--json"]);
    out.assert_code(0)
        .check(out.stderr().is_empty(), "stderr should be empty with -q");
    out.check(out.json()["verdict"] == "verified", "verdict");
}

#[test]
fn expiry_after_the_signature_is_warned_about_once() {
    let dir = TestDir::new("expired-after-once");
    let out = run_case(&dir, "expired-after", &[]);
    out.assert_code(0);
    let n = out
        .stderr()
        .lines()
        .filter(|l| l.starts_with("warning: ") && l.contains("after the signature"))
        .count();
    out.check(n == 1, "one warning for one expired key");
}

// ---------------------------------------------------------------------------------------------
// --watch: the watch file's keyring, pins and threshold

fn watch_file(dir: &TestDir, keys: &[&str], pins: &[&str], threshold: usize) -> std::path::PathBuf {
    let f = fixtures();
    let keyring = f.keyring_of(dir, keys);
    let rel = keyring.file_name().unwrap().to_string_lossy().into_owned();
    let pins: Vec<String> = pins.iter().map(|p| format!("{p:?}")).collect();
    dir.write(
        "project.toml",
        format!(
            "[source]\npypi = \"project\"\n[keys]\nkeyring = {rel:?}\nfingerprints = [{}]\nthreshold = {threshold}\n",
            pins.join(", ")
        ),
    )
}

#[test]
fn verify_with_watch_uses_the_watch_files_keyring_and_pins() {
    let f = fixtures();
    let dir = TestDir::new("verify-watch");
    let watch = watch_file(&dir, &["rsa2048", "other"], &[&f.fingerprint("rsa2048")], 1);
    let run = |sig: &str| {
        dir.cmd(["verify"])
            .arg(f.path("data.bin"))
            .arg("--signature")
            .arg(f.path(sig))
            .arg("--watch")
            .arg(&watch)
            .run()
    };
    run("sigs/rsa2048.sig")
        .assert_code(0)
        .assert_stdout_contains(&["verified: ", &f.fingerprint("rsa2048")]);
    // other is in the watch file's keyring but not pinned there.
    run("sigs/other.sig")
        .assert_code(1)
        .assert_stdout_contains(&["not pinned", &f.fingerprint("other")]);
}

#[test]
fn verify_with_watch_takes_the_threshold_from_the_watch_file() {
    let f = fixtures();
    let dir = TestDir::new("verify-watch-threshold");
    let pins = [f.fingerprint("rsa2048"), f.fingerprint("ed25519")];
    let watch = watch_file(&dir, &["rsa2048", "ed25519"], &[&pins[0], &pins[1]], 2);
    let out = dir
        .cmd(["verify"])
        .arg(f.path("data.bin"))
        .arg("--signature")
        .arg(f.path("sigs/rsa2048.sig"))
        .arg("--watch")
        .arg(&watch)
        .arg("--json")
        .run();
    out.assert_code(1);
    let v = out.json();
    out.check(v["threshold"] == 2, "threshold 2 from the watch file");
    dir.cmd(["verify"])
        .arg(f.path("data.bin"))
        .arg("--signature")
        .arg(f.path("sigs/multi.sig"))
        .arg("--watch")
        .arg(&watch)
        .run()
        .assert_code(0);
}

#[test]
fn verify_with_watch_refuses_keyring_or_fingerprint_beside_it_and_bad_watch_files() {
    let f = fixtures();
    let dir = TestDir::new("verify-watch-conflict");
    let watch = watch_file(&dir, &["rsa2048"], &[&f.fingerprint("rsa2048")], 1);
    dir.cmd(["verify"])
        .arg(f.path("data.bin"))
        .arg("--watch")
        .arg(&watch)
        .args(["--fingerprint", &f.fingerprint("rsa2048")])
        .run()
        .assert_code(2);
    let bad = dir.write(
        "bad.toml",
        "[source]\npypi = \"x\"\n[keys]\nkeyring = \"nope.asc\"\nfingerprints = [\"3372DCFA\"]\n",
    );
    dir.cmd(["verify"])
        .arg(f.path("data.bin"))
        .arg("--watch")
        .arg(&bad)
        .run()
        .assert_code(2)
        .assert_stderr_contains(&["bad.toml", "keys.keyring"]);
}

// ---------------------------------------------------------------------------------------------
// --decompress: upstream signs foo.tar and ships foo.tar.xz (uscan's `decompress`).
// ---------------------------------------------------------------------------------------------

/// A key, a `foo-1.0.tar` signed as `foo-1.0.tar.sign`, and `foo-1.0.tar.EXT` holding `file`
/// (the compressed tar); returns the pin and the paths of the file and the signature.
fn signed_tar(dir: &TestDir, ext: &str, file: &[u8], tar: &[u8]) -> (String, String, String) {
    let cert = CertSpec::v4("Tar Signer <tar@example.org>").generate();
    dir.write("keyring.asc", pgp::armored_public(&cert));
    dir.write(
        "foo-1.0.tar.sign",
        pgp::sign_detached(&cert, tar, SystemTime::now(), false, true),
    );
    let name = format!("foo-1.0.tar.{ext}");
    dir.write(&name, file);
    (
        pgp::fingerprint(&cert),
        name,
        "foo-1.0.tar.sign".to_string(),
    )
}

fn verify_tar(dir: &TestDir, pin: &str, file: &str, sig: &str, extra: &[&str]) -> Output {
    dir.cmd([
        "verify",
        file,
        "--signature",
        sig,
        "--keyring",
        "keyring.asc",
    ])
    .args(["--fingerprint", pin])
    .args(extra)
    .run()
}

#[test]
fn signature_over_the_uncompressed_tar_verifies_with_decompress_for_gz_xz_bz2_and_zst() {
    let tar = util::compress::tar("foo 1.0");
    for (ext, format, compress) in [
        ("gz", "gzip", util::compress::gzip as fn(&[u8]) -> Vec<u8>),
        ("xz", "xz", util::compress::xz),
        ("bz2", "bzip2", util::compress::bzip2),
        ("zst", "zstd", util::compress::zstd),
    ] {
        let dir = TestDir::new(&format!("decompress-{ext}"));
        let file = compress(&tar);
        let (pin, name, sig) = signed_tar(&dir, ext, &file, &tar);
        let out = verify_tar(&dir, &pin, &name, &sig, &["--decompress", "--json"]).in_case(ext);
        out.assert_code(0);
        let v = out.json();
        out.check(v["verdict"] == "verified", "verified")
            .check(v["signer"] == pin.as_str(), "the pinned signer")
            .check(v["decompressed"] == format, "JSON names the format")
            .check(
                v["sha256"] == util::sha256_hex(&file).as_str(),
                "sha256 is the compressed file's, as on disk",
            );
        verify_tar(&dir, &pin, &name, &sig, &["--decompress"])
            .in_case(ext)
            .assert_code(0)
            .assert_stdout_contains(&["verified"]);
    }
}

#[test]
fn signature_over_the_uncompressed_tar_fails_without_decompress_and_the_hint_names_it() {
    let dir = TestDir::new("decompress-missing");
    let tar = util::compress::tar("foo 1.0");
    let (pin, name, sig) = signed_tar(&dir, "xz", &util::compress::xz(&tar), &tar);
    let out = verify_tar(&dir, &pin, &name, &sig, &["--json"]);
    out.assert_code(1);
    let v = out.json();
    out.check(
        v["signatures"][0]["status"] == "bad_signature",
        "over the compressed bytes the signature is bad",
    );
    let hint = v["hint"].as_str().unwrap_or_default();
    out.check(
        hint.contains("xz-compressed") && hint.contains("--decompress"),
        &format!("the hint should say the file is xz and name --decompress: {hint:?}"),
    );
    verify_tar(&dir, &pin, &name, &sig, &[])
        .assert_code(1)
        .assert_stderr_contains(&["--decompress"]);
}

#[test]
fn tampered_compressed_bytes_are_refused_with_decompress() {
    let tar = util::compress::tar("foo 1.0");
    let good = util::compress::gzip(&tar);
    // A byte flipped inside the stream: the decoder's CRC catches it before any verdict.
    let mut flipped = good.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x01;
    // Unsigned bytes glued after a valid stream.
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"#!/bin/sh\nrm -rf ~\n");
    // A valid stream of other content: decodes fine, the signature is bad.
    let mut other_tar = tar.clone();
    other_tar.extend_from_slice(b"one more file\n");
    let other = util::compress::gzip(&other_tar);
    for (case, file, status) in [
        ("flipped", flipped, None),
        ("trailing", trailing, None),
        ("other content", other, Some("bad_signature")),
    ] {
        let dir = TestDir::new("decompress-tampered");
        let (pin, name, sig) = signed_tar(&dir, "gz", &file, &tar);
        let out = verify_tar(&dir, &pin, &name, &sig, &["--decompress", "--json"]).in_case(case);
        out.assert_code(1);
        let v = out.json();
        match status {
            Some(status) => {
                out.check(v["verdict"] == "rejected", "rejected")
                    .check(v["signatures"][0]["status"] == status, status);
            }
            None => {
                let message = v["error"]["message"].as_str().unwrap_or_default();
                out.check(
                    v["error"]["kind"] == "verification"
                        && message.contains(&name)
                        && message.contains("gzip stream is corrupt"),
                    &format!("a corrupt stream is refused, naming the file: {message:?}"),
                )
                .check(
                    v["error"]["hint"]
                        .as_str()
                        .is_some_and(|h| h.contains("download it again")),
                    "the hint says the next step",
                );
            }
        }
    }
}

#[test]
fn decompress_on_a_file_that_is_not_compressed_is_refused_and_says_to_drop_it() {
    let dir = TestDir::new("decompress-plain");
    let tar = util::compress::tar("foo 1.0");
    let (pin, name, sig) = signed_tar(&dir, "gz", &tar, &tar);
    let out = verify_tar(&dir, &pin, &name, &sig, &["--decompress"]);
    out.assert_code(1).assert_stderr_contains(&[
        &name,
        "not gzip, xz, bzip2 or zstd",
        "drop --decompress",
    ]);
    verify_tar(&dir, &pin, &name, &sig, &[]).assert_code(0);
}

#[test]
fn watch_file_decompress_field_makes_verify_watch_check_the_content() {
    let dir = TestDir::new("decompress-watch");
    let tar = util::compress::tar("foo 1.0");
    let file = util::compress::bzip2(&tar);
    let (pin, name, sig) = signed_tar(&dir, "bz2", &file, &tar);
    let watch = |decompress: &str| {
        format!(
            "[source]\nurl = \"https://example.org/pub/\"\npattern = 'foo-(?P<version>[\\d.]+)\\.tar\\.bz2'\n\n\
             [signature]\nurl = \"{{dir}}/foo-{{version}}.tar.sign\"\n{decompress}\n\
             [keys]\nkeyring = \"keyring.asc\"\nfingerprints = [\"{pin}\"]\n"
        )
    };
    dir.write("foo.toml", watch("decompress = true"));
    let run = || {
        dir.cmd([
            "verify",
            &name,
            "--signature",
            &sig,
            "--watch",
            "foo.toml",
            "--json",
        ])
        .run()
    };
    let out = run();
    out.assert_code(0);
    out.check(out.json()["decompressed"] == "bzip2", "decompressed: bzip2");
    dir.write("foo.toml", watch(""));
    let out = run();
    out.assert_code(1);
    let hint = out.json()["hint"].as_str().unwrap_or_default().to_string();
    out.check(
        hint.contains("decompress = true") && hint.contains("foo.toml"),
        &format!("the hint names the watch-file field: {hint:?}"),
    );
}
