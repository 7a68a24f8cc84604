//! The workflow around verification, end to end with the real binary: `lint` (trust problems
//! in watch files and keyrings), `add` (new watch files with minimal keyrings), `check
//! --fail-on-update`, sharded `check` runs joined by `report merge`, the page cache
//! (ETag / Last-Modified revalidation), and the command-line niceties (completions, man pages,
//! `--version`, help examples, colour). Servers are loopback only (tests/server); fixture keys
//! come from tests/fixtures with their fingerprints read from the manifest.

mod server;
mod util;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use sequoia_openpgp as openpgp;
use serde_json::{Value, json};

use openpgp::Cert;
use openpgp::parse::Parse as _;
use openpgp::types::SignatureType;
use server::{Response, Server};
use util::pgp::{self, CertSpec};
use util::{Output, TestDir, fixtures};

/// The PEP 691 media type.
const PEP691: &str = "application/vnd.pypi.simple.v1+json";

/// Network flags for every `check`: loopback servers answer at once or not at all.
const NET: [&str; 4] = ["--retries", "0", "--timeout", "5"];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The bytes of fixture key `name`.
fn key_bytes(name: &str) -> Vec<u8> {
    let (path, _) = fixtures().key(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Several fixture keys concatenated into one keyring.
fn keyring_bytes(names: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for n in names {
        out.extend(key_bytes(n));
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    out
}

/// `[a, b]` as a TOML array of strings.
fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// Writes `watch/NAME.toml` (a PyPI project, never fetched by `lint`, whose signatures come
/// from upstream's own site as PyPI serves none) pinning `pins` from `watch/keyrings/NAME.asc`,
/// which holds `keyring`.
fn lint_watch(dir: &TestDir, name: &str, keyring: &[u8], pins: &[String]) -> PathBuf {
    dir.write(format!("watch/keyrings/{name}.asc"), keyring);
    dir.write(
        format!("watch/{name}.toml"),
        format!(
            "[source]\npypi = \"{name}\"\n\n[signature]\nurl = \"https://example.org/releases/{{filename}}.asc\"\n\n[keys]\nkeyring = \"keyrings/{name}.asc\"\nfingerprints = {}\n",
            toml_list(pins)
        ),
    )
}

/// `sigwatch lint PATH --json`.
fn lint_json(dir: &TestDir, path: &str) -> Output {
    dir.cmd(["lint", path, "--json"]).run()
}

/// One lint finding, as JSON reports it.
#[derive(Debug, Clone)]
struct Finding {
    watch: String,
    severity: String,
    code: String,
    message: String,
}

/// The findings of a `lint --json` run.
fn findings(out: &Output) -> Vec<Finding> {
    let json = out.json();
    let list = json["findings"].as_array().cloned().unwrap_or_else(|| {
        out.fail("`findings` is not a list");
    });
    list.iter()
        .map(|f| Finding {
            watch: f["watch"].as_str().unwrap_or_default().to_string(),
            severity: f["severity"].as_str().unwrap_or_default().to_string(),
            code: f["code"].as_str().unwrap_or_default().to_string(),
            message: f["message"].as_str().unwrap_or_default().to_string(),
        })
        .collect()
}

/// The finding with `code` for the watch file named `watch_file`; fails, explaining, if absent
/// or of another severity.
fn expect_finding(out: &Output, watch_file: &str, severity: &str, code: &str) -> Finding {
    let all = findings(out);
    let found = all
        .iter()
        .find(|f| f.code == code && f.watch.ends_with(watch_file))
        .cloned()
        .unwrap_or_else(|| out.fail(&format!("no `{code}` finding for {watch_file}")));
    out.check(
        found.severity == severity,
        &format!("`{code}` for {watch_file} should be {severity}, is {found:?}"),
    );
    found
}

/// Fails, explaining, if any finding has `code`.
fn expect_no_finding(out: &Output, code: &str) {
    let all = findings(out);
    out.check(
        !all.iter().any(|f| f.code == code),
        &format!("unexpected `{code}` finding"),
    );
}

/// Fixture key `name` with its first user ID certified by a freshly made third party;
/// returns the armored certificate (public parts) and the certifier.
fn certified_by_stranger(name: &str) -> (Vec<u8>, Cert) {
    let (path, _) = fixtures().key(name);
    let cert = Cert::from_file(&path).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
    let stranger = CertSpec::v4("Stranger <stranger@example.org>").generate();
    let mut signer = stranger
        .primary_key()
        .key()
        .clone()
        .parts_into_secret()
        .expect("generated certificates carry secrets")
        .into_keypair()
        .expect("secret key is unencrypted");
    let certification = cert
        .userids()
        .next()
        .expect("fixture keys have a user ID")
        .userid()
        .certify(
            &mut signer,
            &cert,
            SignatureType::GenericCertification,
            None,
            None,
        )
        .expect("certifying the user ID");
    let cert = cert
        .insert_packets(certification)
        .expect("inserting the certification")
        .0;
    let certs: usize = cert.userids().map(|u| u.certifications().count()).sum();
    assert_eq!(certs, 1, "the certification should sit on the user ID");
    (pgp::armored_public(&cert), stranger)
}

/// A PEP 691 project page listing `PROJECT-V.tar.gz` for each version (files never fetched
/// by `check`).
fn pep691_page(project: &str, versions: &[&str]) -> String {
    let files: Vec<Value> = versions
        .iter()
        .map(|v| {
            json!({
                "filename": format!("{project}-{v}.tar.gz"),
                "url": format!("../../files/{project}-{v}.tar.gz"),
                "hashes": {},
            })
        })
        .collect();
    json!({"meta": {"api-version": "1.1"}, "name": project, "files": files}).to_string()
}

/// Serves `pep691_page` at `/simple/PROJECT/`.
fn serve_index(server: &Server, project: &str, versions: &[&str]) {
    server.respond(
        &format!("/simple/{project}/"),
        Response::ok(pep691_page(project, versions)).header("Content-Type", PEP691),
    );
}

/// Writes `watch/keyrings/rsa2048.asc` once and `watch/NAME.toml` watching PyPI project `NAME`
/// on `server`'s index, pinning rsa2048, with `current` if given.
fn pypi_watch(dir: &TestDir, server: &Server, name: &str, current: Option<&str>) -> PathBuf {
    if !dir.join("watch/keyrings/rsa2048.asc").exists() {
        dir.write("watch/keyrings/rsa2048.asc", key_bytes("rsa2048"));
    }
    let current = current
        .map(|c| format!("current = \"{c}\"\n"))
        .unwrap_or_default();
    dir.write(
        format!("watch/{name}.toml"),
        format!(
            "{current}[source]\npypi = \"{name}\"\nindex = \"{}\"\n\n[keys]\nkeyring = \"keyrings/rsa2048.asc\"\nfingerprints = [\"{}\"]\n",
            server.url("/simple/"),
            fixtures().fingerprint("rsa2048")
        ),
    )
}

/// `sigwatch check PATHS --json` with short network limits and a cache inside the test
/// directory (never the user's), plus `extra`.
fn check(dir: &TestDir, paths: &[&str], extra: &[&str]) -> Output {
    dir.cmd(["check"])
        .args(paths)
        .args(["--json"])
        .args(NET)
        .args(extra)
        .env("SIGWATCH_CACHE_DIR", dir.join("cache"))
        .run()
}

/// The projects of a JSON report.
fn projects(out: &Output) -> Vec<Value> {
    out.json()["projects"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| out.fail("`projects` is not a list"))
}

/// The `watch` paths of a JSON report's projects, in report order.
fn watch_paths(out: &Output) -> Vec<String> {
    projects(out)
        .iter()
        .map(|p| p["watch"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Panics, explaining the whole run, unless `actual == expected`.
fn expect(out: &Output, actual: &Value, expected: impl Into<Value>, what: &str) {
    let expected = expected.into();
    out.check(
        *actual == expected,
        &format!("{what}: expected {expected}, got {actual}"),
    );
}

/// Every file name under `dir` (recursively, relative), sorted.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.push(format!("{}/", p.strip_prefix(root).unwrap_or(&p).display()));
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap_or(&p).display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------
// lint
// ---------------------------------------------------------------------------------------------

#[test]
fn lint_reports_expired_pinned_keys_as_errors() {
    let dir = TestDir::new("lint-expired");
    for name in ["expired-after", "expired-before"] {
        lint_watch(
            &dir,
            name,
            &key_bytes(name),
            &[fixtures().fingerprint(name)],
        );
    }
    let out = lint_json(&dir, "watch");
    out.assert_code(1);
    for name in ["expired-after", "expired-before"] {
        let f = expect_finding(&out, &format!("{name}.toml"), "error", "pin-expired");
        out.check(
            f.message.contains(&fixtures().fingerprint(name)),
            &format!("the pin-expired message should name the key: {f:?}"),
        );
    }
    // The expiry is stated: expired-before's newest self-signature says 2020-03-01.
    let f = expect_finding(&out, "expired-before.toml", "error", "pin-expired");
    out.check(
        f.message.contains("2020-03-01"),
        &format!("the message should give the expiry date: {f:?}"),
    );
}

#[test]
fn lint_reports_hard_revocation_as_error_and_soft_revocation_as_warning() {
    let dir = TestDir::new("lint-revoked");
    lint_watch(
        &dir,
        "hard",
        &key_bytes("hard-revoked"),
        &[fixtures().fingerprint("hard-revoked")],
    );
    lint_watch(
        &dir,
        "soft",
        &key_bytes("soft-revoked"),
        &[fixtures().fingerprint("soft-revoked")],
    );
    let out = lint_json(&dir, "watch");
    out.assert_code(1);
    let hard = expect_finding(&out, "hard.toml", "error", "pin-revoked");
    out.check(
        hard.message
            .contains(&fixtures().fingerprint("hard-revoked")),
        &format!("the message should name the revoked key: {hard:?}"),
    );
    let soft = expect_finding(&out, "soft.toml", "warning", "pin-revoked");
    out.check(
        soft.message.contains("superseded"),
        &format!("the message should give the revocation reason: {soft:?}"),
    );
}

/// Upstream superseded its old key with a new one; the watch file pins both, so releases
/// signed before the revocation still verify. The soft revocation is a warning; nothing here
/// should make the watch file an error.
#[test]
fn soft_revoked_pin_beside_its_successor_is_only_a_warning() {
    let dir = TestDir::new("lint-soft-successor");
    lint_watch(
        &dir,
        "rotated",
        &keyring_bytes(&["soft-revoked", "rsa2048"]),
        &[
            fixtures().fingerprint("soft-revoked"),
            fixtures().fingerprint("rsa2048"),
        ],
    );
    let out = lint_json(&dir, "watch");
    expect_finding(&out, "rotated.toml", "warning", "pin-revoked");
    let errors: Vec<Finding> = findings(&out)
        .into_iter()
        .filter(|f| f.severity == "error")
        .collect();
    out.check(
        errors.is_empty(),
        &format!("a soft-revoked pin beside a valid successor is no error: {errors:?}"),
    );
    out.assert_code(0);
}

#[test]
fn lint_reports_rsa1024_pin_as_weak() {
    let dir = TestDir::new("lint-weak");
    lint_watch(
        &dir,
        "weak",
        &key_bytes("rsa1024"),
        &[fixtures().fingerprint("rsa1024")],
    );
    let out = lint_json(&dir, "watch");
    out.assert_code(1);
    let f = expect_finding(&out, "weak.toml", "error", "pin-weak");
    out.check(
        f.message.contains("1024"),
        &format!("the message should give the key size: {f:?}"),
    );
}

#[test]
fn lint_warns_about_sha1_self_signatures_without_failing() {
    let dir = TestDir::new("lint-sha1");
    lint_watch(
        &dir,
        "sha1",
        &key_bytes("sha1-selfsig"),
        &[fixtures().fingerprint("sha1-selfsig")],
    );
    let out = lint_json(&dir, "watch");
    out.assert_code(0);
    expect_finding(&out, "sha1.toml", "warning", "pin-sha1-binding");
    expect(&out, &out.json()["errors"], 0, "errors");
}

#[test]
fn lint_reports_a_pin_missing_from_the_keyring_naming_it() {
    let dir = TestDir::new("lint-missing");
    let absent = fixtures().fingerprint("ed25519");
    lint_watch(
        &dir,
        "missing",
        &key_bytes("rsa2048"),
        &[fixtures().fingerprint("rsa2048"), absent.clone()],
    );
    let out = lint_json(&dir, "watch");
    out.assert_code(1);
    let f = expect_finding(&out, "missing.toml", "error", "pin-missing");
    out.check(
        f.message.contains(&absent),
        &format!("the message should name the missing pin: {f:?}"),
    );
}

#[test]
fn lint_warns_about_unpinned_certificates_in_the_keyring() {
    let dir = TestDir::new("lint-unpinned");
    lint_watch(
        &dir,
        "extra",
        &keyring_bytes(&["rsa2048", "ed25519"]),
        &[fixtures().fingerprint("rsa2048")],
    );
    let out = lint_json(&dir, "watch");
    out.assert_code(0);
    let f = expect_finding(&out, "extra.toml", "warning", "keyring-unpinned");
    out.check(
        f.message.contains(&fixtures().fingerprint("ed25519")),
        &format!("the message should name the unpinned certificate: {f:?}"),
    );
    out.check(
        !f.message.contains(&fixtures().fingerprint("rsa2048")),
        &format!("the pinned certificate is not unpinned: {f:?}"),
    );
}

#[test]
fn lint_warns_about_a_pin_expiring_within_90_days_and_exits_0() {
    let dir = TestDir::new("lint-expiring");
    let cert = CertSpec {
        validity: Some(Duration::from_secs(30 * 24 * 3600)),
        ..CertSpec::v4("Soon <soon@example.org>")
    }
    .generate();
    lint_watch(
        &dir,
        "soon",
        &pgp::armored_public(&cert),
        &[pgp::fingerprint(&cert)],
    );
    let out = lint_json(&dir, "watch");
    out.assert_code(0);
    let f = expect_finding(&out, "soon.toml", "warning", "pin-expiring");
    out.check(
        f.message.contains(&pgp::fingerprint(&cert)),
        &format!("the message should name the key: {f:?}"),
    );
    let json = out.json();
    expect(&out, &json["errors"], 0, "errors");
    expect(&out, &json["warnings"], 1, "warnings");
}

#[test]
fn lint_reports_an_invalid_watch_file() {
    let dir = TestDir::new("lint-invalid");
    // A long key ID where a fingerprint belongs.
    let fpr = fixtures().fingerprint("rsa2048");
    lint_watch(&dir, "bad", &key_bytes("rsa2048"), &[fpr[24..].to_string()]);
    let out = lint_json(&dir, "watch");
    out.assert_code(1);
    let f = expect_finding(&out, "bad.toml", "error", "watch-invalid");
    out.check(
        f.message.contains("keys.fingerprints[0]"),
        &format!("the message should name the field: {f:?}"),
    );
}

#[test]
fn lint_json_has_the_documented_schema() {
    let dir = TestDir::new("lint-schema");
    lint_watch(
        &dir,
        "clean",
        &key_bytes("rsa2048"),
        &[fixtures().fingerprint("rsa2048")],
    );
    lint_watch(
        &dir,
        "extra",
        &keyring_bytes(&["rsa2048", "ed25519"]),
        &[fixtures().fingerprint("rsa2048")],
    );
    lint_watch(
        &dir,
        "expired",
        &key_bytes("expired-after"),
        &[fixtures().fingerprint("expired-after")],
    );
    let out = lint_json(&dir, "watch");
    out.assert_code(1);
    let json = out.json();
    let keys: BTreeSet<&str> = json
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    out.check(
        keys == BTreeSet::from(["watch_files", "errors", "warnings", "findings"]),
        &format!("top-level keys: {keys:?}"),
    );
    expect(&out, &json["watch_files"], 3, "watch_files");
    let list = json["findings"].as_array().cloned().unwrap_or_default();
    let mut errors = 0;
    for f in &list {
        let fkeys: BTreeSet<&str> = f
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        out.check(
            fkeys == BTreeSet::from(["watch", "severity", "code", "message", "fix"]),
            &format!("finding keys: {fkeys:?} in {f}"),
        );
        for k in ["watch", "severity", "code", "message", "fix"] {
            out.check(
                f[k].as_str().is_some_and(|s| !s.is_empty()),
                &format!("finding `{k}` should be a non-empty string: {f}"),
            );
        }
        let severity = f["severity"].as_str().unwrap_or_default();
        out.check(
            severity == "error" || severity == "warning",
            &format!("severity: {f}"),
        );
        if severity == "error" {
            errors += 1;
        }
        out.check(
            f["watch"]
                .as_str()
                .is_some_and(|w| w.ends_with("extra.toml") || w.ends_with("expired.toml")),
            &format!("only the two problem files have findings: {f}"),
        );
    }
    expect(&out, &json["errors"], errors, "errors");
    expect(&out, &json["warnings"], list.len() - errors, "warnings");
    expect_finding(&out, "extra.toml", "warning", "keyring-unpinned");
    expect_finding(&out, "expired.toml", "error", "pin-expired");
}

#[test]
fn lint_of_a_clean_watch_file_finds_nothing_and_exits_0() {
    let dir = TestDir::new("lint-clean");
    lint_watch(
        &dir,
        "clean",
        &key_bytes("ed25519"),
        &[fixtures().fingerprint("ed25519")],
    );
    let out = lint_json(&dir, "watch/clean.toml");
    out.assert_code(0);
    let json = out.json();
    expect(&out, &json["findings"], json!([]), "findings");
    expect(&out, &json["errors"], 0, "errors");
    expect(&out, &json["warnings"], 0, "warnings");
    expect(&out, &json["watch_files"], 1, "watch_files");
    // Human text: no result lines at all.
    let text = dir.cmd(["lint", "watch"]).assert_code(0);
    text.check(text.stdout().is_empty(), "a clean lint prints no findings");
}

#[test]
fn lint_warns_about_third_party_certifications_in_the_keyring() {
    let dir = TestDir::new("lint-not-minimal");
    let (keyring, _stranger) = certified_by_stranger("rsa2048");
    lint_watch(
        &dir,
        "certified",
        &keyring,
        &[fixtures().fingerprint("rsa2048")],
    );
    let out = lint_json(&dir, "watch");
    out.assert_code(0);
    let f = expect_finding(&out, "certified.toml", "warning", "keyring-not-minimal");
    out.check(
        f.message.contains("1 third-party certification"),
        &format!("the message should count the certification: {f:?}"),
    );
}

// ---------------------------------------------------------------------------------------------
// add
// ---------------------------------------------------------------------------------------------

/// A test directory with the fixture `glued.asc` at `keys/glued.asc`.
fn add_dir(name: &str) -> TestDir {
    let dir = TestDir::new(name);
    dir.copy(
        fixtures().path(&fixtures().keyring("glued").file),
        "keys/glued.asc",
    );
    dir
}

/// `sigwatch keys list KEYRING --json`'s certificates.
fn listed_certs(dir: &TestDir, keyring: &str) -> (Output, Vec<Value>) {
    let out = dir.cmd(["keys", "list", keyring, "--json"]).assert_code(0);
    let certs = out.json()["certificates"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    (out, certs)
}

#[test]
fn add_writes_a_watch_file_and_a_minimal_keyring_of_the_pinned_certificate() {
    let dir = add_dir("add-pypi");
    let fpr = fixtures().fingerprint("rsa2048");
    let out = dir
        .cmd([
            "add",
            "--pypi",
            "Example.Project",
            "--signature-url",
            "https://example.org/releases/{filename}.asc",
            "--keyring",
            "keys/glued.asc",
        ])
        .args(["--fingerprint", &fpr])
        .assert_code(0);
    out.assert_stdout_contains(&["Example.Project.toml"]);
    let watch = std::fs::read_to_string(dir.join("Example.Project.toml"))
        .unwrap_or_else(|e| out.fail(&format!("no watch file written: {e}")));
    let parsed: toml::Value = toml::from_str(&watch)
        .unwrap_or_else(|e| out.fail(&format!("the watch file is not TOML: {e}")));
    expect(
        &out,
        &json!(parsed["source"]["pypi"].as_str()),
        "Example.Project",
        "source.pypi",
    );
    expect(
        &out,
        &json!(parsed["keys"]["keyring"].as_str()),
        "keyrings/Example.Project.asc",
        "keys.keyring",
    );

    // glued.asc holds rsa2048 (twice, merged) and ed25519; only rsa2048 is copied, with both
    // of its user IDs.
    let (list, certs) = listed_certs(&dir, "keyrings/Example.Project.asc");
    list.check(certs.len() == 1, "the keyring should hold one certificate");
    expect(&list, &certs[0]["fingerprint"], fpr.as_str(), "fingerprint");
    let uids: BTreeSet<String> = certs[0]["user_ids"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|u| u.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let want: BTreeSet<String> = fixtures()
        .keyring("glued")
        .rsa2048_uids_after_merge
        .iter()
        .cloned()
        .collect();
    list.check(uids == want, &format!("user IDs {uids:?}, want {want:?}"));

    // The same parser as `check` accepts it, and it is clean.
    let lint = dir.cmd(["lint", ".", "--json"]).assert_code(0);
    expect(&lint, &lint.json()["watch_files"], 1, "watch_files");
    expect(&lint, &lint.json()["findings"], json!([]), "findings");
}

#[test]
fn add_refuses_short_and_long_key_ids_and_writes_nothing() {
    let fpr = fixtures().fingerprint("rsa2048");
    for (id, what) in [(&fpr[32..], "short key ID"), (&fpr[24..], "long key ID")] {
        let dir = add_dir("add-key-id");
        let before = files_under(dir.path());
        let out = dir
            .cmd(["add", "--pypi", "example", "--keyring", "keys/glued.asc"])
            .args(["--fingerprint", id])
            .assert_code(2);
        out.assert_stderr_contains(&[what, id]);
        let after = files_under(dir.path());
        out.check(
            before == after,
            &format!("nothing should be written: {before:?} -> {after:?}"),
        );
    }
}

#[test]
fn add_refuses_a_pin_not_in_the_keyring_naming_it() {
    let dir = add_dir("add-absent");
    let before = files_under(dir.path());
    let absent = fixtures().fingerprint("rsa1024");
    let out = dir
        .cmd(["add", "--pypi", "example", "--keyring", "keys/glued.asc"])
        .args(["--fingerprint", &fixtures().fingerprint("rsa2048")])
        .args(["--fingerprint", &absent])
        .assert_code(2);
    out.assert_stderr_contains(&[&absent]);
    out.assert_stderr_lacks(&fixtures().fingerprint("rsa2048"));
    let after = files_under(dir.path());
    out.check(
        before == after,
        &format!("nothing should be written: {before:?} -> {after:?}"),
    );
}

#[test]
fn add_refuses_to_overwrite_without_force_and_replaces_with_force() {
    let dir = add_dir("add-force");
    let rsa = fixtures().fingerprint("rsa2048");
    let ed = fixtures().fingerprint("ed25519");
    let add = |fpr: &str, force: bool| {
        let mut cmd = dir.cmd(["add", "--pypi", "example", "--keyring", "keys/glued.asc"]);
        cmd.args(["--fingerprint", fpr]);
        if force {
            cmd.arg("--force");
        }
        cmd.run()
    };
    add(&rsa, false).assert_code(0);
    let watch_before = std::fs::read(dir.join("example.toml")).expect("watch file written");
    let keyring_before = std::fs::read(dir.join("keyrings/example.asc")).expect("keyring written");

    let out = add(&ed, false);
    out.assert_code(2);
    out.assert_stderr_contains(&["example.toml", "already exists", "--force"]);
    out.check(
        std::fs::read(dir.join("example.toml")).ok() == Some(watch_before.clone())
            && std::fs::read(dir.join("keyrings/example.asc")).ok() == Some(keyring_before.clone()),
        "a refused add must leave both files as they were",
    );

    add(&ed, true).assert_code(0);
    let (list, certs) = listed_certs(&dir, "keyrings/example.asc");
    list.check(certs.len() == 1, "one certificate after --force");
    expect(
        &list,
        &certs[0]["fingerprint"],
        ed.as_str(),
        "replaced certificate",
    );
    let watch = std::fs::read_to_string(dir.join("example.toml")).expect("watch file");
    let spaced_ed: String = ed.chars().take(4).collect();
    list.check(
        watch != String::from_utf8_lossy(&watch_before) && watch.contains(&spaced_ed),
        &format!("the watch file should now pin ed25519:\n{watch}"),
    );
}

#[test]
fn add_url_source_round_trips_through_check() {
    let dir = add_dir("add-url");
    let server = Server::start();
    server.file(
        "/releases/",
        "<html><body>\n\
         <a href=\"example-1.0.tar.gz\">example-1.0.tar.gz</a>\n\
         <a href=\"example-1.2.tar.gz\">example-1.2.tar.gz</a>\n\
         <a href=\"example-1.2.tar.gz.sig\">example-1.2.tar.gz.sig</a>\n\
         <a href=\"other-9.0.tar.gz\">other-9.0.tar.gz</a>\n\
         </body></html>",
    );
    let url = server.url("/releases/");
    let pattern = r"example-(?P<version>[0-9][0-9.]*)\.tar\.gz";
    let out = dir
        .cmd(["add", "--url", &url, "--pattern", pattern])
        .args(["--signature-url", "{url}.sig"])
        .args(["--keyring", "keys/glued.asc"])
        .args(["--fingerprint", &fixtures().fingerprint("rsa2048")])
        .args(["--dir", "watch"])
        .assert_code(0);
    let watch = std::fs::read_to_string(dir.join("watch/example.toml"))
        .unwrap_or_else(|e| out.fail(&format!("no watch/example.toml: {e}")));
    let parsed: toml::Value = toml::from_str(&watch)
        .unwrap_or_else(|e| out.fail(&format!("the watch file is not TOML: {e}")));
    expect(
        &out,
        &json!(parsed["source"]["url"].as_str()),
        url.as_str(),
        "source.url",
    );
    expect(
        &out,
        &json!(parsed["source"]["pattern"].as_str()),
        pattern,
        "source.pattern",
    );
    expect(
        &out,
        &json!(parsed["signature"]["url"].as_str()),
        "{url}.sig",
        "signature.url",
    );

    let out = check(&dir, &["watch/example.toml"], &[]);
    out.assert_code(0);
    let p = &projects(&out)[0];
    expect(&out, &p["name"], "example", "name");
    expect(&out, &p["newest"], "1.2", "newest");
    expect(&out, &p["error"], Value::Null, "error");
    let file_url = server.url("/releases/example-1.2.tar.gz");
    expect(
        &out,
        &p["files"][0]["url"],
        file_url.as_str(),
        "files[0].url",
    );
    expect(
        &out,
        &p["files"][0]["signature_url"],
        format!("{file_url}.sig"),
        "files[0].signature_url",
    );
}

#[test]
fn add_drops_third_party_certifications_from_the_minimal_keyring() {
    let dir = TestDir::new("add-minimal");
    let (certified, stranger) = certified_by_stranger("rsa2048");
    let mut keyring = certified;
    keyring.push(b'\n');
    keyring.extend(pgp::armored_public(&stranger));
    dir.write("keys/certified.asc", keyring);
    let fpr = fixtures().fingerprint("rsa2048");
    let out = dir
        .cmd([
            "add",
            "--pypi",
            "example",
            "--keyring",
            "keys/certified.asc",
        ])
        .args(["--fingerprint", &fpr])
        .assert_code(0);
    let written = dir.join("keyrings/example.asc");
    let certs: Vec<Cert> = openpgp::cert::CertParser::from_file(&written)
        .unwrap_or_else(|e| out.fail(&format!("reading {}: {e}", written.display())))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| out.fail(&format!("parsing {}: {e}", written.display())));
    out.check(certs.len() == 1, "only the pinned certificate is copied");
    expect(
        &out,
        &json!(certs[0].fingerprint().to_hex()),
        fpr.as_str(),
        "fingerprint",
    );
    let certifications: usize = certs[0].userids().map(|u| u.certifications().count()).sum();
    out.check(
        certifications == 0,
        &format!("{certifications} third-party certification(s) survived the copy"),
    );
    out.check(
        certs[0].userids().count() > 0,
        "the user IDs and their self-signatures are kept",
    );
    let lint = dir.cmd(["lint", "example.toml", "--json"]).assert_code(0);
    expect_no_finding(&lint, "keyring-not-minimal");
    expect_no_finding(&lint, "keyring-unpinned");
}

// ---------------------------------------------------------------------------------------------
// check --fail-on-update
// ---------------------------------------------------------------------------------------------

#[test]
fn fail_on_update_exits_4_when_current_is_older_than_newest() {
    let dir = TestDir::new("update-older");
    let server = Server::start();
    serve_index(&server, "example", &["1.0", "1.9", "1.10"]);
    pypi_watch(&dir, &server, "example", Some("1.9"));
    let out = check(&dir, &["watch"], &["--fail-on-update"]);
    out.assert_code(4);
    let p = &projects(&out)[0];
    expect(&out, &p["newest"], "1.10", "newest");
    expect(&out, &p["current"], "1.9", "current");
    expect(&out, &p["update_available"], true, "update_available");
    expect(&out, &p["error"], Value::Null, "error");
    // Without the flag, news is not a failure.
    check(&dir, &["watch"], &[]).assert_code(0);
}

#[test]
fn fail_on_update_exits_0_when_current_is_the_newest() {
    let dir = TestDir::new("update-equal");
    let server = Server::start();
    serve_index(&server, "example", &["1.0", "1.9", "1.10"]);
    pypi_watch(&dir, &server, "example", Some("1.10"));
    let out = check(&dir, &["watch"], &["--fail-on-update"]);
    out.assert_code(0);
    let p = &projects(&out)[0];
    expect(&out, &p["newest"], "1.10", "newest");
    expect(&out, &p["update_available"], false, "update_available");
}

#[test]
fn config_and_network_errors_outrank_an_available_update() {
    let dir = TestDir::new("update-outranked");
    let server = Server::start();
    serve_index(&server, "news", &["1.0", "2.0"]);
    pypi_watch(&dir, &server, "news", Some("1.0"));

    // A configuration error (a short key ID) beside the update: 2.
    let short = &fixtures().fingerprint("rsa2048")[32..];
    dir.write(
        "watch/broken.toml",
        format!(
            "[source]\npypi = \"broken\"\nindex = \"{}\"\n\n[keys]\nkeyring = \"keyrings/rsa2048.asc\"\nfingerprints = [\"{short}\"]\n",
            server.url("/simple/")
        ),
    );
    let out = check(&dir, &["watch"], &["--fail-on-update"]);
    out.assert_code(2);
    let by_name: BTreeMap<String, Value> = projects(&out)
        .into_iter()
        .map(|p| (p["name"].as_str().unwrap_or_default().to_string(), p))
        .collect();
    expect(
        &out,
        &by_name["news"]["update_available"],
        true,
        "news.update_available",
    );
    expect(
        &out,
        &by_name["broken"]["error"]["kind"],
        "config",
        "broken.error.kind",
    );

    // A network error (HTTP 500) beside the update: 3.
    std::fs::remove_file(dir.join("watch/broken.toml")).expect("removing broken.toml");
    server.respond("/simple/flaky/", Response::status(500));
    pypi_watch(&dir, &server, "flaky", Some("1.0"));
    let out = check(&dir, &["watch"], &["--fail-on-update"]);
    out.assert_code(3);
    let flaky = projects(&out)
        .into_iter()
        .find(|p| p["name"] == "flaky")
        .unwrap_or_else(|| out.fail("no flaky project"));
    expect(&out, &flaky["error"]["kind"], "network", "flaky.error.kind");
}

// ---------------------------------------------------------------------------------------------
// Shards and report merge
// ---------------------------------------------------------------------------------------------

/// A directory of `count` watch files `watch/pNN.toml`, each with an index page on `server`.
fn shard_world(name: &str, count: usize) -> (TestDir, Server) {
    let dir = TestDir::new(name);
    let server = Server::start();
    for i in 1..=count {
        add_project(&dir, &server, i);
    }
    (dir, server)
}

/// Adds project `pNN`.
fn add_project(dir: &TestDir, server: &Server, i: usize) {
    let project = format!("p{i:02}");
    serve_index(server, &project, &["1.0", &format!("1.{i}")]);
    pypi_watch(dir, server, &project, None);
}

/// Runs `check watch --shard K/N --json` for every K, saving each report as
/// `reports/shard-K.json`; returns each shard's watch paths.
fn run_shards(dir: &TestDir, n: u32) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for k in 1..=n {
        let shard = format!("{k}/{n}");
        let run = check(dir, &["watch"], &["--shard", &shard]);
        run.assert_code(0);
        expect(
            &run,
            &run.json()["shard"],
            json!({"index": k, "count": n}),
            "shard",
        );
        dir.write(format!("reports/shard-{k}.json"), run.stdout());
        out.push(watch_paths(&run));
    }
    out
}

#[test]
fn shards_partition_the_watch_files_and_keep_their_assignment_when_one_is_added() {
    let (dir, server) = shard_world("shard-partition", 12);
    let all = watch_paths(check(&dir, &["watch"], &[]).assert_code(0));
    assert_eq!(all.len(), 12, "the unsharded run sees every watch file");

    let shards = run_shards(&dir, 3);
    let mut assignment: BTreeMap<String, usize> = BTreeMap::new();
    for (k, paths) in shards.iter().enumerate() {
        for p in paths {
            if let Some(other) = assignment.insert(p.clone(), k + 1) {
                panic!("{p} is in shard {other} and shard {}", k + 1);
            }
        }
    }
    let union: Vec<String> = assignment.keys().cloned().collect();
    assert_eq!(union, all, "the shards together hold every watch file once");

    // A new project joins one shard; every existing file stays where it was.
    add_project(&dir, &server, 13);
    let after = run_shards(&dir, 3);
    let mut new_home = None;
    for (k, paths) in after.iter().enumerate() {
        for p in paths {
            match assignment.get(p) {
                Some(&was) => assert_eq!(was, k + 1, "{p} moved from shard {was} to {}", k + 1),
                None => {
                    assert!(p.ends_with("p13.toml"), "unexpected {p} in shard {}", k + 1);
                    assert!(new_home.replace(k + 1).is_none(), "p13 is in two shards");
                }
            }
        }
    }
    assert!(new_home.is_some(), "the new watch file is in no shard");
    assert_eq!(
        after.iter().map(Vec::len).sum::<usize>(),
        13,
        "13 watch files over the shards"
    );
}

#[test]
fn report_merge_joins_every_shard_sorted_by_watch_path() {
    let (dir, _server) = shard_world("shard-merge", 12);
    let all = check(&dir, &["watch"], &[]);
    all.assert_code(0);
    run_shards(&dir, 3);
    // Given out of order: the merged report is still sorted.
    let out = dir
        .cmd(["report", "merge"])
        .args([
            "reports/shard-3.json",
            "reports/shard-1.json",
            "reports/shard-2.json",
        ])
        .assert_code(0);
    let merged = out.json();
    expect(&out, &merged["shards"], 3, "shards");
    expect(
        &out,
        &merged["projects"],
        all.json()["projects"].clone(),
        "projects",
    );
    let paths: Vec<String> = watch_paths(&out);
    let mut sorted = paths.clone();
    sorted.sort();
    out.check(
        paths == sorted,
        &format!("not sorted by watch path: {paths:?}"),
    );
    out.check(paths.len() == 12, "every project is in the merged report");
    let requests = merged["http"]["requests"].as_u64().unwrap_or_default();
    out.check(requests >= 12, &format!("http.requests summed: {requests}"));
}

#[test]
fn report_merge_refuses_missing_duplicated_mixed_and_non_json_reports() {
    let (dir, _server) = shard_world("shard-refuse", 12);
    run_shards(&dir, 3);
    let merge = |files: &[&str]| dir.cmd(["report", "merge"]).args(files).run();

    let out = merge(&["reports/shard-1.json", "reports/shard-3.json"]);
    out.assert_code(2);
    out.assert_stderr_contains(&["2/3"]);

    let out = merge(&[
        "reports/shard-1.json",
        "reports/shard-2.json",
        "reports/shard-2.json",
        "reports/shard-3.json",
    ]);
    out.assert_code(2);
    out.assert_stderr_contains(&["shard-2.json", "2/3"]);

    let half = check(&dir, &["watch"], &["--shard", "1/2"]);
    half.assert_code(0);
    dir.write("reports/half-1.json", half.stdout());
    let out = merge(&[
        "reports/shard-1.json",
        "reports/shard-2.json",
        "reports/shard-3.json",
        "reports/half-1.json",
    ]);
    out.assert_code(2);
    out.assert_stderr_contains(&["half-1.json"]);

    dir.write("reports/garbage.json", "this is not a report\n");
    let out = merge(&[
        "reports/shard-1.json",
        "reports/garbage.json",
        "reports/shard-2.json",
        "reports/shard-3.json",
    ]);
    out.assert_code(2);
    out.assert_stderr_contains(&["garbage.json"]);
    out.check(out.stdout().is_empty(), "a refused merge prints no report");
}

#[test]
fn shard_outside_1_to_n_is_a_usage_error() {
    let (dir, _server) = shard_world("shard-usage", 1);
    for bad in ["0/3", "4/3", "1/0", "x/3", "3"] {
        let out = check(&dir, &["watch"], &["--shard", bad]);
        out.assert_code(2);
        // Under --json a usage error is the JSON error object, never a report.
        let v = out.json();
        out.check(
            v.get("projects").is_none() && v["error"]["kind"] == "config",
            "a usage error prints the error object and no report",
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Page cache
// ---------------------------------------------------------------------------------------------

/// Index page requests for `/simple/example/`.
fn index_requests(server: &Server) -> Vec<server::Request> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/simple/example/")
        .collect()
}

/// Runs `check` twice against a page served first with `validator` (a header name and value),
/// then as 304; checks the second request revalidated with `conditional` and was counted.
fn revalidation_round_trip(name: &str, validator: (&str, &str), conditional: &str) {
    let dir = TestDir::new(name);
    let server = Server::start();
    let page = pep691_page("example", &["1.0", "1.1", "2.0"]);
    server.route(
        "/simple/example/",
        vec![
            Response::ok(page.clone())
                .header("Content-Type", PEP691)
                .header(validator.0, validator.1),
            Response::status(304).header(validator.0, validator.1),
        ],
    );
    pypi_watch(&dir, &server, "example", None);

    let first = check(&dir, &["watch"], &[]);
    first.assert_code(0);
    let first_json = first.json();
    expect(
        &first,
        &first_json["http"]["not_modified"],
        0,
        "first http.not_modified",
    );
    expect(
        &first,
        &first_json["projects"][0]["newest"],
        "2.0",
        "first newest",
    );
    let first_bytes = first_json["http"]["bytes"].as_u64().unwrap_or_default();
    first.check(
        first_bytes >= page.len() as u64,
        &format!(
            "first run received {first_bytes} bytes, the page has {}",
            page.len()
        ),
    );
    let reqs = index_requests(&server);
    first.check(
        reqs.len() == 1 && reqs[0].header(conditional).is_none(),
        &format!("the first request is unconditional: {reqs:?}"),
    );

    let second = check(&dir, &["watch"], &[]);
    second.assert_code(0);
    let second_json = second.json();
    expect(
        &second,
        &second_json["http"]["not_modified"],
        1,
        "second http.not_modified",
    );
    expect(
        &second,
        &second_json["projects"],
        first_json["projects"].clone(),
        "the cached page gives the same report",
    );
    let second_bytes = second_json["http"]["bytes"].as_u64().unwrap_or(u64::MAX);
    second.check(
        second_bytes < first_bytes,
        &format!("a 304 should cost fewer bytes: {second_bytes} vs {first_bytes}"),
    );
    let reqs = index_requests(&server);
    second.check(
        reqs.len() == 2 && reqs[1].header(conditional) == Some(validator.1),
        &format!(
            "the second request should carry {conditional}: {}",
            validator.1
        ),
    );
}

#[test]
fn page_cache_revalidates_with_etag_and_counts_not_modified() {
    revalidation_round_trip("cache-etag", ("ETag", "\"idx-v1\""), "if-none-match");
}

#[test]
fn page_cache_revalidates_with_last_modified() {
    revalidation_round_trip(
        "cache-last-modified",
        ("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT"),
        "if-modified-since",
    );
}

#[test]
fn no_cache_sends_no_conditional_headers() {
    let dir = TestDir::new("cache-off");
    let server = Server::start();
    server.respond(
        "/simple/example/",
        Response::ok(pep691_page("example", &["1.0"]))
            .header("Content-Type", PEP691)
            .header("ETag", "\"idx-v1\"")
            .header("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT"),
    );
    pypi_watch(&dir, &server, "example", None);
    // Fill the cache, then ask not to use it.
    check(&dir, &["watch"], &[]).assert_code(0);
    let out = check(&dir, &["watch"], &["--no-cache"]);
    out.assert_code(0);
    expect(
        &out,
        &out.json()["http"]["not_modified"],
        0,
        "http.not_modified",
    );
    expect(&out, &out.json()["projects"][0]["newest"], "1.0", "newest");
    let reqs = index_requests(&server);
    out.check(reqs.len() == 2, &format!("two index requests: {reqs:?}"));
    out.check(
        reqs[1].header("if-none-match").is_none() && reqs[1].header("if-modified-since").is_none(),
        &format!("--no-cache sent a conditional request: {:?}", reqs[1]),
    );

    // And it does not write a cache either.
    let fresh = TestDir::new("cache-off-fresh");
    pypi_watch(&fresh, &server, "example", None);
    check(&fresh, &["watch"], &["--no-cache"]).assert_code(0);
    let cache = files_under(&fresh.join("cache"));
    assert!(cache.is_empty(), "--no-cache wrote to the cache: {cache:?}");
}

// ---------------------------------------------------------------------------------------------
// Completions, man pages, version, help, colour
// ---------------------------------------------------------------------------------------------

#[test]
fn completions_for_bash_zsh_and_fish_mention_sigwatch() {
    let dir = TestDir::new("completions");
    for shell in ["bash", "zsh", "fish"] {
        let out = dir.cmd(["completions", shell]).assert_code(0);
        let script = out.stdout();
        out.check(
            script.trim().len() > 100 && script.contains("sigwatch"),
            &format!("{shell} completions should be a script mentioning sigwatch"),
        );
        out.check(
            script.contains("verify") && script.contains("fingerprint"),
            &format!("{shell} completions should know the subcommands and flags"),
        );
    }
}

#[test]
fn man_writes_a_page_for_sigwatch_and_each_subcommand() {
    let dir = TestDir::new("man");
    let out = dir.cmd(["man", "--out", "man/man1"]).assert_code(0);
    for page in [
        "sigwatch.1",
        "sigwatch-verify.1",
        "sigwatch-check.1",
        "sigwatch-fetch.1",
        "sigwatch-lint.1",
        "sigwatch-add.1",
    ] {
        let path = dir.join("man/man1").join(page);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| out.fail(&format!("{page} not written: {e}")));
        out.check(
            text.starts_with(".ie") || text.starts_with(".TH") || text.contains("\n.TH "),
            &format!("{page} is not a roff man page"),
        );
        out.check(
            text.contains("sigwatch"),
            &format!("{page} does not name sigwatch"),
        );
    }
}

#[test]
fn version_prints_the_crate_version() {
    let dir = TestDir::new("version");
    let out = dir.cmd(["--version"]).assert_code(0);
    expect(
        &out,
        &json!(out.stdout().trim()),
        format!("sigwatch {}", env!("CARGO_PKG_VERSION")),
        "--version",
    );
}

#[test]
fn verify_help_ends_with_examples() {
    let dir = TestDir::new("help");
    let out = dir.cmd(["verify", "--help"]).assert_code(0);
    out.assert_stdout_contains(&["Examples:", "sigwatch verify", "--fingerprint"]);
}

/// Runs `lint` on an expired pin (an error on stdout) and `verify` of a missing file (an error
/// on stderr) without NO_COLOR, with `extra` flags.
fn colour_outputs(dir: &TestDir, extra: &[&str]) -> Vec<Output> {
    let lint = dir
        .cmd(["lint", "watch"])
        .args(extra)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .assert_code(1);
    let (keyring, fpr) = fixtures().key("rsa2048");
    let verify = dir
        .cmd(["verify", "no-such-file"])
        .arg("--keyring")
        .arg(keyring)
        .args(["--fingerprint", &fpr])
        .args(extra)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .assert_code(2);
    vec![lint, verify]
}

#[test]
fn output_to_a_pipe_has_no_colour_even_without_no_color() {
    let dir = TestDir::new("colour-pipe");
    lint_watch(
        &dir,
        "expired",
        &key_bytes("expired-after"),
        &[fixtures().fingerprint("expired-after")],
    );
    for out in colour_outputs(&dir, &[]) {
        out.check(
            !out.stdout().contains("\x1b[") && !out.stderr().contains("\x1b["),
            "output to a pipe must not contain ANSI escapes",
        );
        out.check(
            out.stdout().contains("error") || out.stderr().contains("error"),
            "the run should have printed an error",
        );
    }
}

#[test]
fn color_always_colours_output() {
    let dir = TestDir::new("colour-always");
    lint_watch(
        &dir,
        "expired",
        &key_bytes("expired-after"),
        &[fixtures().fingerprint("expired-after")],
    );
    let outs = colour_outputs(&dir, &["--color", "always"]);
    outs[0].check(
        outs[0].stdout().contains("\x1b["),
        "--color always should colour lint findings on stdout",
    );
    outs[1].check(
        outs[1].stderr().contains("\x1b["),
        "--color always should colour errors on stderr",
    );
}

// ---------------------------------------------------------------------------------------------
// Found while writing the above
// ---------------------------------------------------------------------------------------------

/// The usual GnuPG layout: a primary key without expiry that only certifies, and a signing
/// subkey that expires yearly. When the subkey runs out, every new signature is rejected, so
/// `lint` must warn weeks ahead, as `keys list` does.
#[test]
fn lint_warns_when_the_only_signing_subkey_expires_within_90_days() {
    use openpgp::cert::prelude::*;
    use openpgp::types::KeyFlags;
    let (cert, _rev) = CertBuilder::new()
        .set_cipher_suite(CipherSuite::Cv25519)
        .set_creation_time(std::time::SystemTime::now() - Duration::from_secs(3600))
        .set_validity_period(None)
        .add_userid("Subkey Soon <subkey-soon@example.org>")
        .add_subkey(
            KeyFlags::empty().set_signing(),
            Some(Duration::from_secs(30 * 24 * 3600)),
            None,
        )
        .generate()
        .expect("generating a certificate");
    let dir = TestDir::new("lint-subkey-expiring");
    lint_watch(
        &dir,
        "subkey",
        &pgp::armored_public(&cert),
        &[pgp::fingerprint(&cert)],
    );
    // keys list sees it ...
    let list = dir
        .cmd(["keys", "list", "watch/keyrings/subkey.asc", "--json"])
        .assert_code(0);
    let warnings = list.json()["certificates"][0]["warnings"].to_string();
    list.check(
        warnings.contains("within 90 days"),
        &format!("keys list should warn about the subkey: {warnings}"),
    );
    // ... and lint must too.
    let out = lint_json(&dir, "watch");
    out.assert_code(0);
    let f = expect_finding(&out, "subkey.toml", "warning", "pin-expiring");
    let subkey = pgp::subkey_fingerprints(&cert).remove(0);
    out.check(
        f.message.contains(&subkey) || f.message.contains(&pgp::fingerprint(&cert)),
        &format!("the warning should name the key: {f:?}"),
    );
}

/// A refused `add` leaves no trace: not even the `keyrings/` directory or the `--dir`.
#[test]
fn add_refusing_an_invalid_url_source_writes_nothing() {
    let dir = add_dir("add-invalid-source");
    let before = files_under(dir.path());
    for (url, pattern) in [
        // No capture group for the version.
        ("http://127.0.0.1:1/releases/", r"example-1\.0\.tar\.gz"),
        // A scheme sigwatch does not fetch.
        (
            "ftp://example.org/releases/",
            r"example-(?P<version>[0-9.]+)\.tar\.gz",
        ),
    ] {
        let out = dir
            .cmd(["add", "--url", url, "--pattern", pattern])
            .args(["--keyring", "keys/glued.asc"])
            .args(["--fingerprint", &fixtures().fingerprint("rsa2048")])
            .args(["--dir", "watch"])
            .assert_code(2);
        let after = files_under(dir.path());
        out.check(
            before == after,
            &format!("a refused add wrote {before:?} -> {after:?}"),
        );
    }
}

/// The refusal names the file the user asked for, not a staging directory that no longer
/// exists.
#[test]
fn add_refusing_an_invalid_pattern_names_the_watch_file_it_would_write() {
    let dir = add_dir("add-invalid-message");
    let out = dir
        .cmd(["add", "--url", "http://127.0.0.1:1/releases/"])
        .args(["--pattern", r"example-1\.0\.tar\.gz", "--name", "example"])
        .args(["--keyring", "keys/glued.asc"])
        .args(["--fingerprint", &fixtures().fingerprint("rsa2048")])
        .args(["--dir", "watch"])
        .assert_code(2);
    out.assert_stderr_contains(&["source.pattern", "example.toml"]);
    out.assert_stderr_lacks(".tmp");
}
