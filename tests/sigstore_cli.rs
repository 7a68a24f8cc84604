//! `sigwatch verify FILE --sigstore BUNDLE`: the real binary against proofs made at test time
//! by a private Sigstore instance (tests/fulcio), passed with --trusted-root.

mod fulcio;
mod util;

use fulcio::{Content, Instance, PUBLISH, Signing};
use serde_json::Value;
use sha2::{Digest, Sha256};
use util::TestDir;

const SAN: &str = "https://github.com/owner/repo/.github/workflows/release.yml@refs/tags/v1.0";
const GITHUB: &str = "https://token.actions.githubusercontent.com";
const FILE: &str = "demo-1.0.tar.gz";
const BYTES: &[u8] = b"the release tarball";

/// FILE, its PEP 740 attestation and the instance's trusted root, written into `dir`.
fn setup(dir: &TestDir, i: &Instance) {
    let digest: [u8; 32] = Sha256::digest(BYTES).into();
    let bundle = i.sign(
        &Signing::github(SAN),
        Content::Dsse(&fulcio::statement(FILE, &digest, PUBLISH)),
    );
    dir.write(FILE, BYTES);
    dir.write(format!("{FILE}.sigstore.json"), bundle.to_string());
    dir.write(
        format!("{FILE}.publish.attestation"),
        fulcio::as_attestation(&bundle).to_string(),
    );
    dir.write("trusted_root.json", i.trusted_root());
}

#[test]
fn attestation_verifies_with_publisher_pin_and_reports_json() {
    let dir = TestDir::new("sigstore-good");
    setup(&dir, &Instance::new(1));
    let out = dir
        .cmd(["--json", "verify", FILE, "--sigstore"])
        .arg(format!("{FILE}.publish.attestation"))
        .args(["--publisher", "github:owner/repo/release.yml"])
        .args(["--trusted-root", "trusted_root.json"])
        .assert_code(0);
    let j: Value = out.json();
    assert_eq!(j["verdict"], "verified");
    assert_eq!(j["identity"], SAN);
    assert_eq!(j["issuer"], GITHUB);
    assert_eq!(j["log_index"], 1);
    assert_eq!(j["integrated_time"], "2025-06-15T15:07:40Z");
    assert_eq!(j["proof_kind"], "attestation");
    assert_eq!(j["predicate_type"], PUBLISH);
    assert_eq!(j["sha256"], format!("{:x}", Sha256::digest(BYTES)));
}

#[test]
fn bundle_verifies_with_exact_identity_and_issuer() {
    let dir = TestDir::new("sigstore-identity");
    setup(&dir, &Instance::new(1));
    dir.cmd(["verify", FILE, "--sigstore"])
        .arg(format!("{FILE}.sigstore.json"))
        .args(["--identity", SAN, "--issuer", GITHUB])
        .args(["--trusted-root", "trusted_root.json"])
        .assert_code(0)
        .assert_stdout_contains(&["verified", SAN, "log index 1"]);
}

#[test]
fn other_publisher_is_refused_and_the_certificate_identity_named() {
    let dir = TestDir::new("sigstore-unpinned");
    setup(&dir, &Instance::new(1));
    dir.cmd(["verify", FILE, "--sigstore"])
        .arg(format!("{FILE}.publish.attestation"))
        .args(["--publisher", "github:owner/fork/release.yml"])
        .args(["--trusted-root", "trusted_root.json"])
        .assert_code(1)
        .assert_stdout_contains(&["rejected", "unpinned identity", SAN, GITHUB, "log index 1"])
        .assert_stderr_contains(&["hint:"]);
}

#[test]
fn prefix_identity_is_refused() {
    let dir = TestDir::new("sigstore-prefix");
    setup(&dir, &Instance::new(1));
    dir.cmd(["verify", FILE, "--sigstore"])
        .arg(format!("{FILE}.sigstore.json"))
        .args([
            "--identity",
            "https://github.com/owner/repo/",
            "--issuer",
            GITHUB,
        ])
        .args(["--trusted-root", "trusted_root.json"])
        .assert_code(1);
}

#[test]
fn tampered_file_is_refused() {
    let dir = TestDir::new("sigstore-tampered");
    setup(&dir, &Instance::new(1));
    dir.write(FILE, b"the release tarbalL");
    dir.cmd(["verify", FILE, "--sigstore"])
        .arg(format!("{FILE}.publish.attestation"))
        .args(["--publisher", "github:owner/repo/release.yml"])
        .args(["--trusted-root", "trusted_root.json"])
        .assert_code(1)
        .assert_stdout_contains(&["other bytes", FILE]);
}

#[test]
fn embedded_production_root_refuses_a_foreign_instance() {
    let dir = TestDir::new("sigstore-foreign");
    setup(&dir, &Instance::new(1));
    dir.cmd(["verify", FILE, "--sigstore"])
        .arg(format!("{FILE}.sigstore.json"))
        .args(["--publisher", "github:owner/repo/release.yml"])
        .assert_code(1)
        .assert_stderr_contains(&["--trusted-root"]);
}

#[test]
fn watch_file_sigstore_section_pins_the_publisher() {
    let dir = TestDir::new("sigstore-watch");
    setup(&dir, &Instance::new(1));
    let watch = |publisher: &str| {
        format!(
            "[source]\npypi = \"demo\"\n\
             [sigstore]\npublishers = [\"{publisher}\"]\ntrusted_root = \"trusted_root.json\"\n"
        )
    };
    dir.write("good.toml", watch("github:owner/repo/release.yml"));
    dir.write("bad.toml", watch("github:owner/other/release.yml"));
    for (w, code) in [("good.toml", 0), ("bad.toml", 1)] {
        dir.cmd(["verify", FILE, "--sigstore"])
            .arg(format!("{FILE}.publish.attestation"))
            .args(["--watch", w])
            .run()
            .in_case(w)
            .assert_code(code);
    }
}

#[test]
fn bad_publisher_spec_and_missing_pin_are_usage_errors() {
    let dir = TestDir::new("sigstore-usage");
    setup(&dir, &Instance::new(1));
    dir.cmd(["verify", FILE, "--sigstore"])
        .arg(format!("{FILE}.sigstore.json"))
        .args(["--publisher", "github:owner/repo"])
        .assert_code(2)
        .assert_stderr_contains(&["github:owner/repo", "hint:"]);
    dir.cmd(["verify", FILE, "--sigstore"])
        .arg(format!("{FILE}.sigstore.json"))
        .assert_code(2)
        .assert_stderr_contains(&["no signer is pinned"]);
}

#[test]
fn watch_with_keys_and_sigstore_needs_both_proofs_and_both_must_pass() {
    let dir = TestDir::new("sigstore-both");
    setup(&dir, &Instance::new(1));
    let key = util::pgp::CertSpec::v4("Upstream <up@example.org>").generate();
    let fpr = util::pgp::fingerprint(&key);
    dir.write("k.asc", util::pgp::armored_public(&key));
    let watch = |publisher: &str| {
        format!(
            "[source]\npypi = \"demo\"\n[keys]\nkeyring = \"k.asc\"\nfingerprints = [\"{fpr}\"]\n\
             [sigstore]\npublishers = [\"{publisher}\"]\ntrusted_root = \"trusted_root.json\"\n"
        )
    };
    dir.write("both.toml", watch("github:owner/repo/release.yml"));
    dir.write("fork.toml", watch("github:owner/fork/release.yml"));
    let attestation = format!("{FILE}.publish.attestation");

    // No signature yet: the OpenPGP half is missing, whatever the attestation says.
    dir.cmd([
        "verify",
        FILE,
        "--sigstore",
        &attestation,
        "--watch",
        "both.toml",
    ])
    .assert_code(2)
    .assert_stderr_contains(&[&format!("{FILE}.asc")]);
    dir.write(format!("{FILE}.asc"), util::world::sign(&key, BYTES));

    // Only a signature, no Sigstore proof: a usage error saying both are needed.
    dir.cmd(["verify", FILE, "--watch", "both.toml"])
        .assert_code(2)
        .assert_stderr_contains(&["both must pass", "--sigstore"]);

    // Both proofs, both pass: one JSON object with the OpenPGP verdict inside.
    let out = dir
        .cmd([
            "--json",
            "verify",
            FILE,
            "--sigstore",
            &attestation,
            "--watch",
            "both.toml",
        ])
        .assert_code(0);
    let j: Value = out.json();
    assert_eq!(j["verdict"], "verified");
    assert_eq!(j["identity"], SAN);
    assert_eq!(j["openpgp"]["verdict"], "verified");

    // The signature passes, the publisher is not pinned: refused, and JSON says so at the top.
    let out = dir
        .cmd([
            "--json",
            "verify",
            FILE,
            "--sigstore",
            &attestation,
            "--watch",
            "fork.toml",
        ])
        .assert_code(1);
    let j: Value = out.json();
    assert_eq!(j["verdict"], "rejected");
    assert_eq!(j["openpgp"]["verdict"], "verified");
}

#[test]
fn verify_sigstore_with_a_checksum_file_watch_says_how_to_check_both_halves() {
    let dir = TestDir::new("sigstore-both-sums");
    setup(&dir, &Instance::new(1));
    let key = util::pgp::CertSpec::v4("Upstream <up@example.org>").generate();
    let fpr = util::pgp::fingerprint(&key);
    dir.write("k.asc", util::pgp::armored_public(&key));
    dir.write(
        "sums.toml",
        format!(
            "[source]\npypi = \"demo\"\n[signature]\nchecksums = \"{{dir}}/SHA256SUMS\"\n\
             [keys]\nkeyring = \"k.asc\"\nfingerprints = [\"{fpr}\"]\n\
             [sigstore]\npublishers = [\"github:owner/repo/release.yml\"]\ntrusted_root = \"trusted_root.json\"\n"
        ),
    );
    dir.cmd([
        "verify",
        FILE,
        "--sigstore",
        &format!("{FILE}.publish.attestation"),
        "--watch",
        "sums.toml",
    ])
    .assert_code(2)
    .assert_stderr_contains(&["checksum file", "--checksums SUMS", "sigwatch fetch"]);
}
