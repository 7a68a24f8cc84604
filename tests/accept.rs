//! `sigwatch accept`: a narrow, recorded exception for one exact file, and how `verify --watch`,
//! `fetch` and `lint` honour it. The waivable cases use signatures made with GnuPG
//! (tests/fixtures: `--digest-algo SHA1`, and a key whose `--faked-system-time` self-signature
//! expired it before it signed); the collision stand-in is a second, valid SHA-1 signature by
//! the same key over other bytes under the same name.

mod server;
mod util;

use sequoia_openpgp as openpgp;
use serde_json::Value;

use openpgp::types::HashAlgorithm;
use server::Server;
use util::pgp::{self, CertSpec};
use util::{Output, TestDir, fixtures};

/// A URL-listing watch file for `foo-VERSION.tar.gz`, with comments that must survive.
fn write_watch(dir: &TestDir, keyring: &str, pins: &[String], listing: &str) {
    let pins: Vec<String> = pins.iter().map(|p| format!("\"{p}\"")).collect();
    dir.write(
        "foo.toml",
        format!(
            "# foo: watched by the release team\nname = \"foo\"\n\n[source]\nurl = \"{listing}\"  # upstream's directory\n\
             pattern = 'foo-(?P<version>[0-9.]+)\\.tar\\.gz'\n\n[keys]\n# the release manager's key\n\
             keyring = \"{keyring}\"\nfingerprints = [{}]\n",
            pins.join(", ")
        ),
    );
}

/// A directory with `foo-1.0.tar.gz` (fixture data.bin), its signature `foo-1.0.tar.gz.sig`
/// (fixture `sig`), a keyring of `keys` and a watch file pinning `pins`.
fn world(name: &str, sig: &str, keys: &[&str], pins: &[&str]) -> TestDir {
    let fx = fixtures();
    let dir = TestDir::new(name);
    dir.copy(fx.path("data.bin"), "foo-1.0.tar.gz");
    dir.copy(fx.path(&fx.sig(sig).file), "foo-1.0.tar.gz.sig");
    let keyring = fx.keyring_of(&dir, keys);
    let keyring = keyring
        .strip_prefix(dir.path())
        .expect("the keyring is written inside the test directory")
        .display()
        .to_string();
    let pins: Vec<String> = pins.iter().map(|k| fx.fingerprint(k)).collect();
    write_watch(&dir, &keyring, &pins, "https://example.org/foo/");
    dir
}

fn accept(dir: &TestDir) -> Output {
    dir.cmd([
        "accept",
        "foo-1.0.tar.gz",
        "--watch",
        "foo.toml",
        "--reason",
        "bytes match the distribution's orig tarball",
    ])
    .run()
}

fn verify_json(dir: &TestDir) -> (Output, Value) {
    let out = dir
        .cmd(["verify", "foo-1.0.tar.gz", "--watch", "foo.toml", "--json"])
        .run();
    let v = out.json();
    (out, v)
}

#[test]
fn sha1_data_signature_by_a_pinned_key_is_accepted_once_and_then_verifies_with_a_warning() {
    let dir = world("accept-sha1", "sha1-data", &["rsa2048"], &["rsa2048"]);
    let (out, v) = verify_json(&dir);
    out.assert_code(1);
    out.check(
        v["signatures"][0]["status"] == "weak_hash",
        "the SHA-1 data signature is refused before any exception",
    );
    let before = std::fs::read_to_string(dir.join("foo.toml")).expect("watch file");

    let out = accept(&dir);
    out.assert_code(0).assert_stdout_contains(&[
        "accepted",
        "weak_hash",
        &fixtures().fingerprint("rsa2048"),
    ]);
    let after = std::fs::read_to_string(dir.join("foo.toml")).expect("watch file");
    out.check(
        after.starts_with(&before),
        "the watch file keeps its text, comments and layout; the exception is appended",
    );
    let sha = util::sha256_file(&dir.join("foo-1.0.tar.gz"));
    for needle in [
        "[[accept]]",
        "version = \"1.0\"",
        "file = \"foo-1.0.tar.gz\"",
        &format!("sha256 = \"{sha}\""),
        "rule = \"weak_hash\"",
        &format!("signer = \"{}\"", fixtures().fingerprint("rsa2048")),
        "reason = \"bytes match the distribution's orig tarball\"",
        "date = \"",
    ] {
        out.check(
            after.contains(needle),
            &format!("the entry has {needle}:\n{after}"),
        );
    }

    let (out, v) = verify_json(&dir);
    out.assert_code(0);
    out.check(v["verdict"] == "verified", "verified through the exception");
    out.check(
        v["accepted_by_exception"] == true,
        "JSON says it was an exception",
    );
    out.check(
        v["exception"]["rule"] == "weak_hash",
        "JSON names the waived rule",
    );
    out.check(
        v["exception"]["sha256"] == sha.as_str(),
        "JSON names the bytes",
    );
    let human = dir
        .cmd(["verify", "foo-1.0.tar.gz", "--watch", "foo.toml"])
        .run();
    human
        .assert_code(0)
        .assert_stderr_contains(&["warning", "accepted by exception", "weak_hash"]);

    // Without the watch file (plain pins) there is no exception: refused as before.
    let (keyring, fpr) = fixtures().key("rsa2048");
    dir.cmd(["verify", "foo-1.0.tar.gz", "--keyring"])
        .arg(keyring)
        .args(["--fingerprint", &fpr])
        .run()
        .assert_code(1);

    // `lint` lists every exception (a warning, not an error).
    let lint = dir.cmd(["lint", "foo.toml", "--json"]).run();
    lint.assert_code(0);
    let findings = lint.json()["findings"].clone();
    lint.check(
        findings.as_array().is_some_and(|f| {
            f.iter().any(|f| {
                f["code"] == "accepted-exception"
                    && f["severity"] == "warning"
                    && f["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("weak_hash"))
            })
        }),
        "lint lists the exception",
    );
}

#[test]
fn key_expired_before_signing_is_accepted_as_key_expired() {
    let dir = world(
        "accept-expired",
        "expired-before",
        &["expired-before"],
        &["expired-before"],
    );
    verify_json(&dir).0.assert_code(1);
    accept(&dir).assert_code(0);
    let after = std::fs::read_to_string(dir.join("foo.toml")).expect("watch file");
    assert!(after.contains("rule = \"key_expired\""), "{after}");
    let (out, v) = verify_json(&dir);
    out.assert_code(0);
    out.check(
        v["exception"]["rule"] == "key_expired" && v["accepted_by_exception"] == true,
        "verified through the key_expired exception",
    );
}

#[test]
fn refusals_that_are_never_waivable_exit_1_and_leave_the_watch_file_alone() {
    /// (case, signature fixture, keyring, pins, what the message must say)
    type Case<'a> = (&'a str, &'a str, &'a [&'a str], &'a [&'a str], &'a str);
    let cases: &[Case] = &[
        (
            "bad-signature",
            "wrong-data",
            &["rsa2048"],
            &["rsa2048"],
            "bad signature",
        ),
        (
            "unpinned",
            "other",
            &["other", "rsa2048"],
            &["rsa2048"],
            "not pinned",
        ),
        (
            "missing-key",
            "other",
            &["rsa2048"],
            &["rsa2048"],
            "cannot accept",
        ),
        (
            "hard-revoked",
            "hard-revoked",
            &["hard-revoked"],
            &["hard-revoked"],
            "revoked",
        ),
        ("weak-key", "rsa1024", &["rsa1024"], &["rsa1024"], "weak"),
    ];
    for (case, sig, keys, pins, needle) in cases {
        let dir = world(&format!("accept-refuse-{case}"), sig, keys, pins);
        let before = std::fs::read_to_string(dir.join("foo.toml")).expect("watch file");
        let out = accept(&dir);
        out.assert_code(1)
            .assert_stderr_contains(&["cannot accept", needle]);
        let after = std::fs::read_to_string(dir.join("foo.toml")).expect("watch file");
        out.check(
            before == after,
            &format!("{case}: the watch file is unchanged"),
        );
    }
}

#[test]
fn a_file_that_verifies_needs_no_exception_and_nothing_is_written() {
    let dir = world("accept-good", "rsa2048", &["rsa2048"], &["rsa2048"]);
    let before = std::fs::read_to_string(dir.join("foo.toml")).expect("watch file");
    accept(&dir)
        .assert_code(0)
        .assert_stderr_contains(&["without an exception"]);
    let after = std::fs::read_to_string(dir.join("foo.toml")).expect("watch file");
    assert_eq!(before, after);
}

/// A SHA-1 signature made now by `cert` (the stand-in for a collision twin: a valid SHA-1
/// signature by the same key over other bytes).
fn sha1_signature(cert: &openpgp::Cert, data: &[u8]) -> Vec<u8> {
    pgp::sign_hashed(cert, data, HashAlgorithm::SHA1)
}

#[test]
fn a_sha1_collision_stand_in_under_the_same_name_and_version_is_refused() {
    let dir = TestDir::new("accept-twin");
    let key = CertSpec::v4("Release <release@example.org>").generate();
    dir.write("keyrings/foo.asc", pgp::armored_public(&key));
    write_watch(
        &dir,
        "keyrings/foo.asc",
        &[pgp::fingerprint(&key)],
        "https://example.org/foo/",
    );
    let original = b"the release as upstream made it\n".to_vec();
    dir.write("foo-1.0.tar.gz", &original);
    dir.write("foo-1.0.tar.gz.asc", sha1_signature(&key, &original));
    accept(&dir).assert_code(0);
    verify_json(&dir).0.assert_code(0);

    // Same name, same version, other bytes, a valid SHA-1 signature by the same pinned key.
    let twin = b"the twin a collision attack would make\n".to_vec();
    dir.write("foo-1.0.tar.gz", &twin);
    dir.write("foo-1.0.tar.gz.asc", sha1_signature(&key, &twin));
    let (out, v) = verify_json(&dir);
    out.assert_code(1);
    out.check(
        v["accepted_by_exception"] == false && v["signatures"][0]["status"] == "weak_hash",
        "other bytes are judged as before: refused for the SHA-1 data signature",
    );
}

#[test]
fn fetch_places_an_accepted_release_and_refuses_other_bytes() {
    let server = Server::start();
    let dir = TestDir::new("accept-fetch");
    let key = CertSpec::v4("Release <release@example.org>").generate();
    dir.write("keyrings/foo.asc", pgp::armored_public(&key));
    write_watch(
        &dir,
        "keyrings/foo.asc",
        &[pgp::fingerprint(&key)],
        &server.url("/foo/"),
    );
    let original = b"release bytes\n".to_vec();
    server.file(
        "/foo/",
        "<a href=\"foo-1.0.tar.gz\">foo-1.0.tar.gz</a>\n"
            .as_bytes()
            .to_vec(),
    );
    server.file("/foo/foo-1.0.tar.gz", original.clone());
    server.file("/foo/foo-1.0.tar.gz.asc", sha1_signature(&key, &original));
    let fetch = || {
        dir.cmd([
            "fetch",
            "foo.toml",
            "--dest",
            "dest",
            "--json",
            "--retries",
            "0",
        ])
        .run()
    };
    let out = fetch();
    out.assert_code(1);
    out.check(
        !dir.join("dest/foo-1.0.tar.gz").exists(),
        "nothing placed before the exception",
    );

    dir.write("foo-1.0.tar.gz", &original);
    dir.write("foo-1.0.tar.gz.asc", sha1_signature(&key, &original));
    accept(&dir).assert_code(0);
    let out = fetch();
    out.assert_code(0);
    let file = out.json()["projects"][0]["files"][0].clone();
    out.check(
        file["accepted_by_exception"] == true && file["exception"]["rule"] == "weak_hash",
        "fetch reports the exception",
    );
    assert_eq!(
        std::fs::read(dir.join("dest/foo-1.0.tar.gz")).expect("placed"),
        original
    );

    // Upstream (or a mirror) now serves other bytes under the same name: refused.
    let twin = b"other bytes\n".to_vec();
    server.file("/foo/foo-1.0.tar.gz", twin.clone());
    server.file("/foo/foo-1.0.tar.gz.asc", sha1_signature(&key, &twin));
    std::fs::remove_dir_all(dir.join("dest")).expect("clean dest");
    let out = fetch();
    out.assert_code(1);
    out.check(
        !dir.join("dest/foo-1.0.tar.gz").exists(),
        "the twin is not placed",
    );
}

#[test]
fn an_exception_under_decompress_names_the_content_and_covers_only_that_content() {
    let dir = TestDir::new("accept-decompress");
    let cert = CertSpec::v4("Tar Signer <tar@example.org>").generate();
    dir.write("keyring.asc", pgp::armored_public(&cert));
    let tar = util::compress::tar("foo 1.0");
    // Upstream signs the tar with SHA-1 (a waivable rule) and ships it gzip'd.
    dir.write(
        "foo-1.0.tar.gz.sig",
        pgp::sign_hashed(&cert, &tar, HashAlgorithm::SHA1),
    );
    dir.write("foo-1.0.tar.gz", util::compress::gzip(&tar));
    write_watch(
        &dir,
        "keyring.asc",
        &[pgp::fingerprint(&cert)],
        "https://example.org/foo/",
    );
    let text = std::fs::read_to_string(dir.join("foo.toml")).expect("watch file");
    dir.write(
        "foo.toml",
        format!("{text}\n[signature]\ndecompress = true\n"),
    );

    let (out, v) = verify_json(&dir);
    out.assert_code(1);
    out.check(
        v["signatures"][0]["status"] == "weak_hash",
        "over the decompressed content the signature is good but SHA-1",
    );
    accept(&dir).assert_code(0);
    let watch = std::fs::read_to_string(dir.join("foo.toml")).expect("watch file");
    out.check(
        watch.contains(&util::sha256_hex(&tar)),
        &format!("the exception names the sha256 of the content the signature covers:\n{watch}"),
    );
    let (out, v) = verify_json(&dir);
    out.assert_code(0);
    out.check(v["accepted_by_exception"] == true, "accepted by exception")
        .check(v["decompressed"] == "gzip", "over the decompressed content");

    // Other content under the same name (a collision stand-in, validly signed) is refused.
    let mut other = tar.clone();
    other.extend_from_slice(b"one more file\n");
    dir.write(
        "foo-1.0.tar.gz.sig",
        pgp::sign_hashed(&cert, &other, HashAlgorithm::SHA1),
    );
    dir.write("foo-1.0.tar.gz", util::compress::gzip(&other));
    let (out, v) = verify_json(&dir);
    out.assert_code(1);
    out.check(
        v["accepted_by_exception"] == false && v["signatures"][0]["status"] == "weak_hash",
        "the exception covers only the accepted content",
    );
}
