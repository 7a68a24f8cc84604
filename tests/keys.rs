//! `sigwatch keys list`: what to pin and what is wrong with it, proven on the committed
//! fixtures (facts from `tests/fixtures/manifest.toml`) and on keys made at runtime.

mod util;

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use util::pgp::{self, CertSpec};
use util::{Output, TestDir, fixtures};

/// `sigwatch keys list KEYRING [extra…]`.
fn keys_list(dir: &TestDir, keyring: &Path, extra: &[&str]) -> Output {
    dir.cmd(["keys", "list"]).arg(keyring).args(extra).run()
}

/// `keys list --json` of fixture keyring file `rel`, expecting success.
fn list_json(name: &str, rel: &str) -> (Output, Value) {
    let dir = TestDir::new(name);
    let out = keys_list(&dir, &fixtures().path(rel), &["--json"]);
    out.assert_code(0);
    let v = out.json();
    (out, v)
}

/// The certificate with primary fingerprint `fpr` in a `keys list --json` report.
fn cert<'a>(out: &Output, v: &'a Value, fpr: &str) -> &'a Value {
    v["certificates"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["fingerprint"] == fpr))
        .unwrap_or_else(|| out.fail(&format!("no certificate {fpr} in the report")))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn glued_keyring_lists_each_certificate_once_with_merged_user_ids() {
    let f = fixtures();
    let glued = f.keyring("glued");
    let rsa = f.fingerprint("rsa2048");
    let (out, v) = list_json("glued", &glued.file);
    let listed: Vec<String> = v["certificates"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|c| c["fingerprint"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    out.check(
        listed == glued.unique_fingerprints,
        "every certificate once, in file order",
    );
    let uids = strings(&cert(&out, &v, &rsa)["user_ids"]);
    out.check(
        uids == glued.rsa2048_uids_after_merge,
        "rsa2048 carries the user IDs of both copies",
    );

    // The human listing says the same: one header per certificate, both user IDs.
    let dir = TestDir::new("glued-text");
    let out = keys_list(&dir, &f.path(&glued.file), &[]);
    out.assert_code(0);
    let stdout = out.stdout();
    for uid in &glued.rsa2048_uids_after_merge {
        out.check(
            stdout.contains(&format!("user ID: {uid}")),
            &format!("user ID {uid:?} listed"),
        );
    }
    let primaries = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("primary: ") && l.contains(&rsa))
        .count();
    out.check(primaries == 1, "rsa2048 is listed once");
    // The merge is not silent.
    out.assert_stderr_contains(&[&rsa, "more than once", "merged"]);
}

#[test]
fn binary_keyring_lists_every_certificate() {
    let f = fixtures();
    let binary = f.keyring("binary");
    let (out, v) = list_json("binary", &binary.file);
    let mut listed: Vec<String> = v["certificates"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|c| c["fingerprint"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut want = binary.unique_fingerprints.clone();
    listed.sort();
    want.sort();
    out.check(listed == want, "every certificate of the binary keyring");
}

#[test]
fn signing_subkey_is_listed_with_its_sign_capability() {
    let f = fixtures();
    let k = f.key_facts("ed25519");
    let (out, v) = list_json("ed25519", &k.file);
    let c = cert(&out, &v, &k.fingerprint);
    let subkey = c["subkeys"]
        .as_array()
        .and_then(|s| {
            s.iter()
                .find(|s| s["fingerprint"] == k.signing_subkeys[0].as_str())
        })
        .unwrap_or_else(|| out.fail("the signing subkey is listed"));
    out.check(
        strings(&subkey["capabilities"]).contains(&"sign".to_string()),
        "the subkey can sign",
    )
    .check(
        !strings(&c["primary"]["capabilities"]).contains(&"sign".to_string()),
        "the certify-only primary cannot",
    );

    let dir = TestDir::new("ed25519-text");
    let out = keys_list(&dir, &f.path(&k.file), &[]);
    out.assert_code(0);
    out.check(
        out.stdout().lines().any(|l| {
            l.contains(&k.signing_subkeys[0]) && l.contains("subkey") && l.contains("sign")
        }),
        "the text listing shows the subkey with `sign`",
    );
}

#[test]
fn every_subkey_is_listed() {
    let f = fixtures();
    let k = f.key_facts("two-subkeys");
    let (out, v) = list_json("two-subkeys", &k.file);
    let c = cert(&out, &v, &k.fingerprint);
    let mut listed: Vec<String> = c["subkeys"]
        .as_array()
        .map(|s| {
            s.iter()
                .filter_map(|s| s["fingerprint"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut want = k.subkeys.clone();
    listed.sort();
    want.sort();
    out.check(listed == want, "both subkeys are listed");
}

fn assert_revocation_listed(name: &str, kind: &str, reason: &str) {
    let f = fixtures();
    let k = f.key_facts(name);
    assert!(k.revoked, "fixture {name} is revoked");
    let (out, v) = list_json(name, &k.file);
    let rev = &cert(&out, &v, &k.fingerprint)["primary"]["revocation"];
    out.check(rev["kind"] == kind, &format!("revocation.kind is {kind:?}"))
        .check(
            rev["reason"].as_str().is_some_and(|r| r.contains(reason)),
            &format!("revocation.reason mentions {reason:?}"),
        )
        .check(
            rev["created"]
                .as_str()
                .is_some_and(|t| humantime::parse_rfc3339(t).is_ok()),
            "revocation.created is RFC 3339",
        )
        .assert_stderr_contains(&["warning: ", &k.fingerprint, "revoked"]);

    let dir = TestDir::new(&format!("{name}-text"));
    keys_list(&dir, &f.path(&k.file), &[])
        .assert_code(0)
        .assert_stdout_contains(&["REVOKED", kind, reason]);
}

#[test]
fn hard_revocation_is_listed_with_its_reason() {
    assert_revocation_listed("hard-revoked", "hard", "compromised");
}

#[test]
fn soft_revocation_is_listed_with_its_reason() {
    assert_revocation_listed("soft-revoked", "soft", "superseded");
}

#[test]
fn soft_revocation_lists_its_free_text_message() {
    let f = fixtures();
    let k = f.key_facts("soft-revoked");
    let (out, v) = list_json("soft-revoked-message", &k.file);
    let rev = &cert(&out, &v, &k.fingerprint)["primary"]["revocation"];
    out.check(
        rev["message"] == "superseded by newer key",
        "revocation.message is the text the revoker wrote",
    );
}

#[test]
fn expired_keys_show_their_expiry_and_are_warned_about() {
    let f = fixtures();
    for name in ["expired-after", "expired-before"] {
        let k = f.key_facts(name);
        let expires = k.expires.clone().expect("fixture expires");
        let (out, v) = list_json(name, &k.file);
        out.check(
            cert(&out, &v, &k.fingerprint)["primary"]["expires"] == expires.as_str(),
            "primary.expires is the manifest's",
        )
        .assert_stderr_contains(&["warning: ", &k.fingerprint, "expired", &expires]);

        let dir = TestDir::new(&format!("{name}-text"));
        keys_list(&dir, &f.path(&k.file), &[])
            .assert_code(0)
            .assert_stdout_contains(&[&format!("expires {expires}")]);
    }
}

#[test]
fn key_expiring_within_90_days_is_warned_about() {
    let dir = TestDir::new("expiring-soon");
    let mut spec = CertSpec::v4("Soon <soon@example.org>");
    spec.validity = Some(Duration::from_secs(30 * 86400));
    let soon = spec.generate();
    let fpr = pgp::fingerprint(&soon);
    let keyring = dir.write("soon.asc", pgp::armored_public(&soon));
    let out = keys_list(&dir, &keyring, &[]);
    out.assert_code(0);
    let warned = out
        .stderr()
        .lines()
        .any(|l| l.starts_with("warning: ") && l.contains(&fpr) && l.contains("within 90 days"));
    out.check(
        warned,
        "a warning names the key and says it expires within 90 days",
    );
    out.check(
        !out.stdout().contains("warning"),
        "warnings go to stderr, not stdout",
    );

    let out = keys_list(&dir, &keyring, &["--json"]);
    out.assert_code(0);
    let v = out.json();
    let c = cert(&out, &v, &fpr);
    let expires = c["primary"]["expires"].as_str().unwrap_or_default();
    let when = humantime::parse_rfc3339(expires)
        .unwrap_or_else(|e| out.fail(&format!("primary.expires {expires:?}: {e}")));
    out.check(
        when > SystemTime::now() && when < SystemTime::now() + Duration::from_secs(31 * 86400),
        "expires in about 30 days",
    )
    .check(
        strings(&c["warnings"])
            .iter()
            .any(|w| w.contains("within 90 days")),
        "the JSON warnings carry it too",
    );
}

#[test]
fn key_expiring_in_more_than_90_days_is_not_warned_about() {
    let dir = TestDir::new("expiring-later");
    let mut spec = CertSpec::v4("Later <later@example.org>");
    spec.validity = Some(Duration::from_secs(200 * 86400));
    let later = spec.generate();
    let keyring = dir.write("later.asc", pgp::armored_public(&later));
    keys_list(&dir, &keyring, &[])
        .assert_code(0)
        .assert_stderr_lacks("within 90 days")
        .assert_stderr_lacks("warning");
}

#[test]
fn quiet_suppresses_keys_list_warnings() {
    let f = fixtures();
    let dir = TestDir::new("keys-quiet");
    let out = keys_list(&dir, &f.path(&f.key_facts("expired-after").file), &["-q"]);
    out.assert_code(0)
        .check(out.stderr().is_empty(), "stderr should be empty with -q")
        .assert_stdout_contains(&[&f.fingerprint("expired-after")]);
}

#[test]
fn weak_key_is_warned_about() {
    let f = fixtures();
    let k = f.key_facts("rsa1024");
    let dir = TestDir::new("rsa1024");
    keys_list(&dir, &f.path(&k.file), &[])
        .assert_code(0)
        .assert_stderr_contains(&["warning: ", &k.fingerprint, "1024", "weak"]);
}

#[test]
fn sha1_binding_is_warned_about_but_the_key_is_usable() {
    let f = fixtures();
    let k = f.key_facts("sha1-selfsig");
    let (out, v) = list_json("sha1-selfsig", &k.file);
    let c = cert(&out, &v, &k.fingerprint);
    out.check(c["primary"]["invalid"].is_null(), "the key is usable")
        .check(
            strings(&c["primary"]["capabilities"]).contains(&"sign".to_string()),
            "the key can sign",
        )
        .assert_stderr_contains(&["warning: ", "SHA-1"]);
}

#[test]
fn v6_certificate_is_listed_by_its_64_hex_fingerprint() {
    let dir = TestDir::new("v6-list");
    let v6 = CertSpec::v6("V6 <v6@example.org>").generate();
    let fpr = pgp::fingerprint(&v6);
    let keyring = dir.write("v6.asc", pgp::armored_public(&v6));
    let out = keys_list(&dir, &keyring, &["--json"]);
    out.assert_code(0);
    let v = out.json();
    let c = cert(&out, &v, &fpr);
    out.check(
        c["fingerprint"].as_str().is_some_and(|f| f.len() == 64),
        "64 hex digits",
    )
    .check(
        strings(&c["subkeys"][0]["capabilities"]).contains(&"sign".to_string()),
        "the signing subkey is listed",
    );
}

#[test]
fn keys_list_json_has_the_documented_fields() {
    let f = fixtures();
    let k = f.key_facts("ed25519");
    let (out, v) = list_json("keys-json", &k.file);
    out.check(
        v["keyring"].as_str().is_some_and(|p| p.ends_with(&k.file)),
        "keyring names the file",
    );
    let c = cert(&out, &v, &k.fingerprint);
    for field in ["fingerprint", "user_ids", "primary", "subkeys", "warnings"] {
        out.check(
            c.get(field).is_some(),
            &format!("certificate field {field:?}"),
        );
    }
    out.check(
        strings(&c["user_ids"]) == k.uids,
        "user_ids are the manifest's",
    );
    let keys = std::iter::once(&c["primary"]).chain(c["subkeys"].as_array().into_iter().flatten());
    for key in keys {
        for field in [
            "fingerprint",
            "algorithm",
            "created",
            "expires",
            "capabilities",
            "revocation",
            "invalid",
        ] {
            out.check(key.get(field).is_some(), &format!("key field {field:?}"));
        }
        let fpr = key["fingerprint"].as_str().unwrap_or_default();
        out.check(
            fpr.len() == 40
                && fpr
                    .chars()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()),
            "fingerprints are uppercase hex without spaces",
        )
        .check(
            key["created"] == k.created.as_str(),
            "created is the manifest's, RFC 3339 UTC",
        )
        .check(
            key["algorithm"]
                .as_str()
                .is_some_and(|a| a.contains("Ed25519")),
            "algorithm names the curve",
        );
    }
}

#[test]
fn unparsable_keyring_is_a_usage_error_naming_the_file() {
    let dir = TestDir::new("keys-garbage");
    let path = dir.write("KEYS", "Please find our release keys on the website.\n");
    let out = keys_list(&dir, &path, &[]);
    out.assert_code(2)
        .assert_stderr_contains(&["error: ", &path.display().to_string()]);
    let out = keys_list(&dir, &path, &["--json"]);
    out.assert_code(2);
    let v = out.json();
    out.check(v["error"]["kind"] == "config", "error.kind is config")
        .check(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(&path.display().to_string())),
            "error.message names the file",
        );
}

#[test]
fn binary_garbage_keyring_is_a_usage_error_naming_the_file() {
    let f = fixtures();
    let dir = TestDir::new("keys-binary-garbage");
    let path = dir.copy(f.path("data.bin"), "keyring.pgp");
    keys_list(&dir, &path, &[])
        .assert_code(2)
        .assert_stderr_contains(&["error: ", &path.display().to_string()]);
}

#[test]
fn missing_keyring_is_a_usage_error_naming_the_file() {
    let dir = TestDir::new("keys-missing");
    keys_list(&dir, Path::new("no-such-keyring.asc"), &[])
        .assert_code(2)
        .assert_stderr_contains(&["no-such-keyring.asc"]);
}
