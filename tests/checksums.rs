//! Signed checksum files (`SHA256SUMS` signed detached or clearsigned), end to end: by hand
//! with `sigwatch verify FILE --checksums SUMS`, and through `fetch` with
//! `[signature] checksums = "{dir}/SHA256SUMS"` against a loopback server. Keys, detached and
//! cleartext signatures are made at test time with Sequoia; nothing reaches the internet.

mod util;

use std::io::Write as _;
use std::path::PathBuf;
use std::time::SystemTime;

use sequoia_openpgp as openpgp;
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

use openpgp::policy::StandardPolicy;
use openpgp::serialize::stream::{Message, Signer};
use util::pgp::{self, CertSpec};
use util::world::sign as sign_asc;
use util::{Output, World, expect, expect_contains, hex, only_project, sha256_hex};

/// The artifact's name in every test.
const ARTIFACT: &str = "tool-1.0.tar.gz";

/// Lowercase hex SHA-512 of `bytes`.
fn sha512_hex(bytes: &[u8]) -> String {
    hex(&Sha512::digest(bytes))
}

/// The artifact's bytes: a real gzip stream.
fn artifact() -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(b"pretend tar of tool 1.0\n".repeat(64).as_slice())
        .expect("gzip in memory");
    enc.finish().expect("gzip in memory")
}

/// The lines of the checksum formats in use, for `name` with `bytes`.
#[derive(Debug, Clone, Copy)]
enum Format {
    /// `sha256sum`: `<hex>  <name>`.
    TwoSpace,
    /// `sha256sum --binary`: `<hex> *<name>`.
    Binary,
    /// `sha256sum --tag`, BSD: `SHA256 (<name>) = <hex>`.
    Bsd,
    /// `sha512sum`: `<hex128>  <name>`.
    Sha512,
    /// `sha512sum --tag`: `SHA512 (<name>) = <hex128>`.
    Sha512Bsd,
}

impl Format {
    const ALL: [Format; 5] = [
        Format::TwoSpace,
        Format::Binary,
        Format::Bsd,
        Format::Sha512,
        Format::Sha512Bsd,
    ];

    fn line(self, name: &str, bytes: &[u8]) -> String {
        match self {
            Format::TwoSpace => format!("{}  {name}", sha256_hex(bytes)),
            Format::Binary => format!("{} *{name}", sha256_hex(bytes)),
            Format::Bsd => format!("SHA256 ({name}) = {}", sha256_hex(bytes)),
            Format::Sha512 => format!("{}  {name}", sha512_hex(bytes)),
            Format::Sha512Bsd => format!("SHA512 ({name}) = {}", sha512_hex(bytes)),
        }
    }

    /// The algorithm name `verify --json` reports.
    fn algorithm(self) -> &'static str {
        match self {
            Format::Sha512 | Format::Sha512Bsd => "sha512",
            _ => "sha256",
        }
    }
}

/// A checksum file: other projects' lines around `line` (LF line endings).
fn sums_with(line: &str) -> String {
    format!(
        "{}  tool-0.9.tar.gz\n{line}\n{}  tool-1.0.zip\n",
        sha256_hex(b"older"),
        sha256_hex(b"zip")
    )
}

/// A binary detached signature.
fn sign_sig(cert: &openpgp::Cert, data: &[u8]) -> Vec<u8> {
    pgp::sign_detached(cert, data, SystemTime::now(), false, false)
}

/// A cleartext-signed message (RFC 9580 §7) of `text` by `cert`'s signing subkey, as
/// `gpg --clearsign` makes it: `Hash:` header, dash-escaping, a text-mode signature.
fn clearsign(cert: &openpgp::Cert, text: &str) -> Vec<u8> {
    let policy = StandardPolicy::new();
    let keypair = cert
        .keys()
        .secret()
        .with_policy(&policy, None)
        .supported()
        .for_signing()
        .next()
        .expect("the certificate has a signing key")
        .key()
        .clone()
        .into_keypair()
        .expect("secret key is unencrypted");
    let mut out = Vec::new();
    {
        let message = Message::new(&mut out);
        let mut signer = Signer::new(message, keypair)
            .expect("signer")
            .cleartext()
            .build()
            .expect("building the cleartext signer");
        signer.write_all(text.as_bytes()).expect("in memory");
        signer.finalize().expect("finishing the signature");
    }
    out
}

/// What this file runs in a [`World`].
impl World {
    /// A world whose keyring also holds a stranger's key, never pinned.
    fn with_stranger(name: &str) -> World {
        World::new(name).with_key(CertSpec::v4("Stranger <mallory@example.org>").generate())
    }

    /// The stranger of [`World::with_stranger`].
    fn stranger(&self) -> &openpgp::Cert {
        &self.others[0]
    }

    // -- verify --------------------------------------------------------------------------------

    /// Writes the artifact at `ARTIFACT` (with these bytes) and `sums` at `SHA256SUMS`.
    fn local(&self, bytes: &[u8], sums: &[u8]) {
        self.dir.write(ARTIFACT, bytes);
        self.dir.write("SHA256SUMS", sums);
    }

    /// `sigwatch verify ARTIFACT --checksums SHA256SUMS --keyring … --fingerprint UPSTREAM`
    /// plus `extra`.
    fn verify(&self, extra: &[&str]) -> Output {
        let fpr = self.fpr();
        self.dir
            .cmd([
                "verify",
                ARTIFACT,
                "--checksums",
                "SHA256SUMS",
                "--keyring",
                "keyrings/project.asc",
                "--fingerprint",
                fpr.as_str(),
            ])
            .args(extra)
            .run()
    }

    // -- fetch ---------------------------------------------------------------------------------

    /// Serves a listing at `/dl/` linking `ARTIFACT` and the SHA256SUMS, the artifact with
    /// `bytes`, and `sums` at `/dl/SHA256SUMS` (signatures are served by the caller).
    fn publish_listing(&self, bytes: &[u8], sums: &[u8]) {
        self.server.file(
            "/dl/",
            format!(
                "<html><body><a href=\"{ARTIFACT}\">{ARTIFACT}</a>\n\
                 <a href=\"SHA256SUMS\">SHA256SUMS</a>\n\
                 <a href=\"SHA256SUMS.asc\">SHA256SUMS.asc</a></body></html>"
            ),
        );
        self.server.file(&format!("/dl/{ARTIFACT}"), bytes.to_vec());
        self.server.file("/dl/SHA256SUMS", sums.to_vec());
    }

    /// Writes `tool.toml`: the `/dl/` listing, `tool-(version).tar.gz` files, upstream pinned,
    /// and `[signature]` with `signature`.
    fn tool_watch(&self, signature: &str) -> PathBuf {
        self.watch(
            "tool.toml",
            "",
            &format!(
                "url = \"{}\"\npattern = 'tool-(?P<version>[0-9.]+)\\.tar\\.gz'",
                self.server.url("/dl/")
            ),
            &[self.fpr()],
            &format!("\n[signature]\n{signature}\n"),
        )
    }

    /// The usual watch file: `checksums = "{dir}/SHA256SUMS"`.
    fn checksums_watch(&self) -> PathBuf {
        self.tool_watch("checksums = \"{dir}/SHA256SUMS\"")
    }

    /// `sigwatch COMMAND tool.toml --json --retries 0 --timeout 5` with a private cache.
    fn run(&self, args: &[&str]) -> Output {
        self.dir
            .cmd(args)
            .args(["--json", "--retries", "0", "--timeout", "5"])
            .env("SIGWATCH_CACHE_DIR", self.dir.join("cache"))
            .run()
    }

    fn fetch(&self) -> Output {
        self.run(&["fetch", "tool.toml", "--dest", "dest"])
    }

    fn check(&self) -> Output {
        self.run(&["check", "tool.toml"])
    }

    /// Asserts exactly the artifact, with the right bytes, was placed.
    fn assert_placed(&self, out: &Output, bytes: &[u8]) {
        out.check(
            self.dest_names() == [ARTIFACT],
            &format!("dest should hold only {ARTIFACT}: {:?}", self.dest_names()),
        );
        let placed = std::fs::read(self.dir.join("dest").join(ARTIFACT)).expect("placed");
        out.check(
            placed == bytes,
            "the placed bytes differ from the served ones",
        );
    }

    /// Asserts nothing (not even a temporary file) is at `dest/`.
    fn assert_nothing_placed(&self, out: &Output) {
        out.check(
            self.dest_names().is_empty(),
            &format!("nothing should be placed: {:?}", self.dest_names()),
        );
    }
}

/// Asserts the project failed with `kind` and exit `code`; returns the error message.
fn assert_error(out: &Output, code: i32, kind: &str) -> String {
    out.assert_code(code);
    let p = only_project(out);
    expect(out, &p["error"]["kind"], kind, "error.kind");
    p["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

// ---------------------------------------------------------------------------------------------
// sigwatch verify FILE --checksums SUMS
// ---------------------------------------------------------------------------------------------

#[test]
fn verify_accepts_each_checksum_format_under_a_detached_signature() {
    let w = World::with_stranger("v-formats");
    let bytes = artifact();
    for format in Format::ALL {
        let sums = sums_with(&format.line(ARTIFACT, &bytes));
        w.local(&bytes, sums.as_bytes());
        w.dir
            .write("SHA256SUMS.asc", sign_asc(&w.upstream, sums.as_bytes()));
        let out = w.verify(&["--json"]);
        out.assert_code(0);
        let j = out.json();
        expect(
            &out,
            &j["verdict"],
            "verified",
            &format!("{format:?}: verdict"),
        );
        expect(&out, &j["signer"], w.fpr(), "signer");
        expect(
            &out,
            &j["checksums"]["algorithm"],
            format.algorithm(),
            "algorithm",
        );
        expect(&out, &j["checksums"]["match"], true, "match");
        expect(
            &out,
            &j["signature_file"],
            "SHA256SUMS.asc",
            "signature_file",
        );
    }
}

#[test]
fn verify_finds_a_binary_sig_beside_the_checksum_file() {
    let w = World::with_stranger("v-sig");
    let bytes = artifact();
    let sums = sums_with(&Format::TwoSpace.line(ARTIFACT, &bytes));
    w.local(&bytes, sums.as_bytes());
    w.dir
        .write("SHA256SUMS.sig", sign_sig(&w.upstream, sums.as_bytes()));
    let out = w.verify(&[]);
    out.assert_code(0);
    out.assert_stdout_contains(&["verified", ARTIFACT, &w.fpr()]);
    // The same signature named explicitly.
    std::fs::rename(w.dir.join("SHA256SUMS.sig"), w.dir.join("sums.bin")).expect("rename");
    w.verify(&["--signature", "sums.bin"]).assert_code(0);
}

#[test]
fn verify_accepts_a_clearsigned_checksum_file() {
    let w = World::with_stranger("v-clear");
    let bytes = artifact();
    // A line starting with '-' must be dash-escaped and still count.
    let text = format!(
        "-----BEGIN HASHES-----\n{}",
        sums_with(&Format::TwoSpace.line(ARTIFACT, &bytes))
    );
    let signed = clearsign(&w.upstream, &text);
    assert!(signed.starts_with(b"-----BEGIN PGP SIGNED MESSAGE-----"));
    assert!(String::from_utf8_lossy(&signed).contains("- -----BEGIN HASHES-----"));
    w.local(&bytes, &signed);
    let out = w.verify(&["--json"]);
    out.assert_code(0);
    let j = out.json();
    expect(&out, &j["verdict"], "verified", "verdict");
    expect(&out, &j["signer"], w.fpr(), "signer");
    expect(&out, &j["checksums"]["match"], true, "match");
}

#[test]
fn verify_rejects_a_checksum_file_signed_by_an_unpinned_key_and_names_it() {
    let w = World::with_stranger("v-unpinned");
    let bytes = artifact();
    let sums = sums_with(&Format::TwoSpace.line(ARTIFACT, &bytes));
    w.local(&bytes, sums.as_bytes());
    w.dir
        .write("SHA256SUMS.asc", sign_asc(w.stranger(), sums.as_bytes()));
    let stranger = pgp::fingerprint(w.stranger());
    let out = w.verify(&[]);
    out.assert_code(1);
    out.assert_stdout_contains(&["rejected", &stranger]);
    // Clearsigned by the stranger: the same.
    w.local(&bytes, &clearsign(w.stranger(), &sums));
    std::fs::remove_file(w.dir.join("SHA256SUMS.asc")).expect("remove");
    let out = w.verify(&["--json"]);
    out.assert_code(1);
    let j = out.json();
    expect(&out, &j["verdict"], "rejected", "verdict");
    expect(&out, &j["signatures"][0]["status"], "unpinned", "status");
    expect_contains(&out, &j["reason"], &[&stranger], "reason");
}

#[test]
fn verify_rejects_a_tampered_checksum_file() {
    let w = World::with_stranger("v-tampered");
    let bytes = artifact();
    let evil = b"evil tarball".to_vec();
    let sums = sums_with(&Format::TwoSpace.line(ARTIFACT, &bytes));
    let sig = sign_asc(&w.upstream, sums.as_bytes());
    // The attacker swaps the line for the hash of their file; the artifact is theirs too.
    let tampered = sums_with(&Format::TwoSpace.line(ARTIFACT, &evil));
    w.local(&evil, tampered.as_bytes());
    w.dir.write("SHA256SUMS.asc", sig);
    let out = w.verify(&["--json"]);
    out.assert_code(1);
    let j = out.json();
    expect(&out, &j["verdict"], "rejected", "verdict");
    expect(
        &out,
        &j["signatures"][0]["status"],
        "bad_signature",
        "status",
    );
    // Clearsigned, with one hex digit changed in the signed text.
    let signed = String::from_utf8(clearsign(&w.upstream, &sums)).expect("utf-8");
    let good = sha256_hex(&bytes);
    let mut flipped = good.clone();
    flipped.replace_range(0..1, if good.starts_with('0') { "1" } else { "0" });
    w.local(&bytes, signed.replace(&good, &flipped).as_bytes());
    std::fs::remove_file(w.dir.join("SHA256SUMS.asc")).expect("remove");
    let out = w.verify(&[]);
    out.assert_code(1);
    out.assert_stdout_contains(&["rejected"]);
}

#[test]
fn verify_rejects_an_artifact_without_a_line() {
    let w = World::with_stranger("v-noline");
    let bytes = artifact();
    let sums = sums_with(&Format::TwoSpace.line("tool-1.0.tar.xz", &bytes));
    w.local(&bytes, sums.as_bytes());
    w.dir
        .write("SHA256SUMS.asc", sign_asc(&w.upstream, sums.as_bytes()));
    let out = w.verify(&[]);
    out.assert_code(1);
    out.assert_stdout_contains(&["has no line", ARTIFACT]);
}

#[test]
fn verify_rejects_an_artifact_whose_bytes_do_not_match_its_line() {
    let w = World::with_stranger("v-mismatch");
    let bytes = artifact();
    for format in Format::ALL {
        let sums = sums_with(&format.line(ARTIFACT, &bytes));
        w.local(b"not the release", sums.as_bytes());
        w.dir
            .write("SHA256SUMS.asc", sign_asc(&w.upstream, sums.as_bytes()));
        let out = w.verify(&["--json"]);
        out.assert_code(1);
        let j = out.json();
        expect(
            &out,
            &j["verdict"],
            "rejected",
            &format!("{format:?}: verdict"),
        );
        expect(&out, &j["checksums"]["match"], false, "match");
        expect_contains(&out, &j["reason"], &["does not match"], "reason");
    }
}

#[test]
fn verify_without_any_signature_for_the_checksum_file_is_refused() {
    let w = World::with_stranger("v-unsigned");
    let bytes = artifact();
    let sums = sums_with(&Format::TwoSpace.line(ARTIFACT, &bytes));
    w.local(&bytes, sums.as_bytes());
    // By hand, a missing signature file is a usage error, as for `verify FILE` (README: exit 2
    // for a missing SIG), naming both places looked at.
    let out = w.verify(&[]);
    out.assert_code(2);
    let all = format!("{}{}", out.stdout(), out.stderr());
    out.check(
        all.contains("SHA256SUMS.asc") && all.contains("SHA256SUMS.sig"),
        "the message should name SHA256SUMS.asc and SHA256SUMS.sig",
    );
    // Never verified through the lines alone.
    out.check(!out.stdout().contains("verified"), "reported as verified");
}

#[test]
fn verify_reads_dot_slash_names() {
    let w = World::with_stranger("v-dotslash");
    let bytes = artifact();
    for format in [Format::TwoSpace, Format::Binary] {
        let sums = sums_with(&format.line(&format!("./{ARTIFACT}"), &bytes));
        w.local(&bytes, sums.as_bytes());
        w.dir
            .write("SHA256SUMS.asc", sign_asc(&w.upstream, sums.as_bytes()));
        w.verify(&[]).assert_code(0);
    }
}

#[test]
fn verify_reads_dot_slash_names_in_bsd_lines() {
    let w = World::with_stranger("v-dotslash-bsd");
    let bytes = artifact();
    for format in [Format::Bsd, Format::Sha512Bsd] {
        let sums = sums_with(&format.line(&format!("./{ARTIFACT}"), &bytes));
        w.local(&bytes, sums.as_bytes());
        w.dir
            .write("SHA256SUMS.asc", sign_asc(&w.upstream, sums.as_bytes()));
        w.verify(&[]).assert_code(0);
    }
}

#[test]
fn verify_reads_crlf_checksum_files() {
    let w = World::with_stranger("v-crlf");
    let bytes = artifact();
    for format in Format::ALL {
        let sums = sums_with(&format.line(ARTIFACT, &bytes)).replace('\n', "\r\n");
        w.local(&bytes, sums.as_bytes());
        w.dir
            .write("SHA256SUMS.asc", sign_asc(&w.upstream, sums.as_bytes()));
        let out = w.verify(&[]);
        out.assert_code(0);
    }
    // Clearsigned with CRLF line endings throughout.
    let sums = sums_with(&Format::Bsd.line(ARTIFACT, &bytes));
    let signed = String::from_utf8(clearsign(&w.upstream, &sums)).expect("utf-8");
    w.local(&bytes, signed.replace('\n', "\r\n").as_bytes());
    std::fs::remove_file(w.dir.join("SHA256SUMS.asc")).expect("remove");
    w.verify(&[]).assert_code(0);
}

// ---------------------------------------------------------------------------------------------
// fetch with [signature] checksums
// ---------------------------------------------------------------------------------------------

#[test]
fn fetch_through_a_detached_signed_checksum_file_places_the_artifact() {
    let w = World::with_stranger("f-detached");
    let bytes = artifact();
    let sums = sums_with(&Format::TwoSpace.line(ARTIFACT, &bytes));
    w.publish_listing(&bytes, sums.as_bytes());
    w.server
        .file("/dl/SHA256SUMS.asc", sign_asc(&w.upstream, sums.as_bytes()));
    w.checksums_watch();
    let out = w.fetch();
    out.assert_code(0);
    let p = only_project(&out);
    expect(&out, &p["error"], Value::Null, "error");
    let file = &p["files"][0];
    expect(&out, &file["filename"], ARTIFACT, "filename");
    expect(&out, &file["verdict"], "verified", "verdict");
    expect(&out, &file["signer"], w.fpr(), "signer");
    expect(&out, &file["sha256"], sha256_hex(&bytes), "sha256");
    expect(
        &out,
        &file["signature_url"],
        w.server.url("/dl/SHA256SUMS.asc"),
        "signature_url",
    );
    w.assert_placed(&out, &bytes);
    // The signer history names the pinned key.
    let lock = std::fs::read_to_string(w.dir.join("tool.toml.lock")).expect("lock file");
    out.check(
        lock.contains(&w.fpr()) && lock.contains(&sha256_hex(&bytes)),
        &format!("lock file lacks the signer or sha256:\n{lock}"),
    );
    // A second run verifies the file already there against the signed line again.
    let again = w.fetch();
    again.assert_code(0);
    expect(
        &again,
        &only_project(&again)["files"][0]["reused"],
        true,
        "reused",
    );
    w.assert_placed(&again, &bytes);
}

#[test]
fn fetch_finds_a_binary_sig_when_there_is_no_asc() {
    let w = World::with_stranger("f-sig");
    let bytes = artifact();
    let sums = sums_with(&Format::Binary.line(ARTIFACT, &bytes));
    w.publish_listing(&bytes, sums.as_bytes());
    w.server
        .file("/dl/SHA256SUMS.sig", sign_sig(&w.upstream, sums.as_bytes()));
    w.checksums_watch();
    let out = w.fetch();
    out.assert_code(0);
    expect(
        &out,
        &only_project(&out)["files"][0]["signature_url"],
        w.server.url("/dl/SHA256SUMS.sig"),
        "signature_url",
    );
    w.assert_placed(&out, &bytes);
    out.check(
        w.server.hits("/dl/SHA256SUMS.asc") == 1,
        ".asc was not tried first",
    );
}

#[test]
fn fetch_through_a_clearsigned_checksum_file_places_the_artifact() {
    let w = World::with_stranger("f-clear");
    let bytes = artifact();
    let text = format!(
        "- a dashed comment line\n{}",
        sums_with(&Format::Bsd.line(ARTIFACT, &bytes))
    );
    w.publish_listing(&bytes, &clearsign(&w.upstream, &text));
    w.checksums_watch();
    let out = w.fetch();
    out.assert_code(0);
    let file = &only_project(&out)["files"][0];
    expect(&out, &file["verdict"], "verified", "verdict");
    expect(
        &out,
        &file["signature_url"],
        w.server.url("/dl/SHA256SUMS"),
        "signature_url",
    );
    w.assert_placed(&out, &bytes);
    out.check(
        w.server.hits("/dl/SHA256SUMS.asc") == 0,
        "a clearsigned file needs no detached signature",
    );
}

#[test]
fn fetch_rejects_a_checksum_file_signed_by_an_unpinned_key() {
    let w = World::with_stranger("f-unpinned");
    let bytes = artifact();
    let sums = sums_with(&Format::TwoSpace.line(ARTIFACT, &bytes));
    w.publish_listing(&bytes, sums.as_bytes());
    w.server.file(
        "/dl/SHA256SUMS.asc",
        sign_asc(w.stranger(), sums.as_bytes()),
    );
    w.checksums_watch();
    let out = w.fetch();
    let stranger = pgp::fingerprint(w.stranger());
    let message = assert_error(&out, 1, "verification");
    out.check(
        message.contains(&stranger),
        &format!("the message should name {stranger}"),
    );
    let file = &only_project(&out)["files"][0];
    expect(&out, &file["verdict"], "rejected", "verdict");
    expect(&out, &file["signatures"][0]["status"], "unpinned", "status");
    expect(
        &out,
        &file["signatures"][0]["certificate"],
        stranger.as_str(),
        "certificate",
    );
    w.assert_nothing_placed(&out);
    out.check(
        w.server.hits(&format!("/dl/{ARTIFACT}")) == 0,
        "the artifact was downloaded although its checksum file was rejected",
    );
}

#[test]
fn fetch_rejects_a_tampered_checksum_file() {
    let w = World::with_stranger("f-tampered");
    let bytes = artifact();
    let evil = b"evil tarball".to_vec();
    let sums = sums_with(&Format::TwoSpace.line(ARTIFACT, &bytes));
    let sig = sign_asc(&w.upstream, sums.as_bytes());
    let tampered = sums_with(&Format::TwoSpace.line(ARTIFACT, &evil));
    w.publish_listing(&evil, tampered.as_bytes());
    w.server.file("/dl/SHA256SUMS.asc", sig);
    w.checksums_watch();
    let out = w.fetch();
    assert_error(&out, 1, "verification");
    expect(
        &out,
        &only_project(&out)["files"][0]["signatures"][0]["status"],
        "bad_signature",
        "status",
    );
    w.assert_nothing_placed(&out);

    // The same with a clearsigned file whose text was edited after signing.
    let w = World::with_stranger("f-tampered-clear");
    let signed = String::from_utf8(clearsign(&w.upstream, &sums)).expect("utf-8");
    let tampered = signed.replace(&sha256_hex(&bytes), &sha256_hex(&evil));
    assert_ne!(signed, tampered);
    w.publish_listing(&evil, tampered.as_bytes());
    w.checksums_watch();
    let out = w.fetch();
    assert_error(&out, 1, "verification");
    w.assert_nothing_placed(&out);
}

#[test]
fn fetch_rejects_an_artifact_without_a_line() {
    let w = World::with_stranger("f-noline");
    let bytes = artifact();
    let sums = sums_with(&Format::TwoSpace.line("tool-1.0.tar.xz", &bytes));
    w.publish_listing(&bytes, sums.as_bytes());
    w.server
        .file("/dl/SHA256SUMS.asc", sign_asc(&w.upstream, sums.as_bytes()));
    w.checksums_watch();
    let out = w.fetch();
    let message = assert_error(&out, 1, "verification");
    out.check(
        message.contains("has no line") && message.contains(ARTIFACT),
        "the message should say the artifact has no line",
    );
    w.assert_nothing_placed(&out);
}

#[test]
fn fetch_rejects_an_artifact_whose_bytes_do_not_match_its_line() {
    for format in Format::ALL {
        let w = World::with_stranger("f-mismatch");
        let bytes = artifact();
        let sums = sums_with(&format.line(ARTIFACT, &bytes));
        w.publish_listing(b"substituted bytes", sums.as_bytes());
        w.server
            .file("/dl/SHA256SUMS.asc", sign_asc(&w.upstream, sums.as_bytes()));
        w.checksums_watch();
        let out = w.fetch();
        let message = assert_error(&out, 1, "digest");
        out.check(
            message.contains(format.algorithm()) && message.contains("does not match"),
            &format!("{format:?}: the message should name the algorithm and the mismatch"),
        );
        w.assert_nothing_placed(&out);
        out.check(
            !w.dir.join("tool.toml.lock").exists(),
            "a rejected file was recorded in the signer history",
        );
    }
}

#[test]
fn fetch_refuses_a_checksum_file_that_is_neither_signed_nor_clearsigned() {
    let w = World::with_stranger("f-unsigned");
    let bytes = artifact();
    let sums = sums_with(&Format::TwoSpace.line(ARTIFACT, &bytes));
    w.publish_listing(&bytes, sums.as_bytes());
    w.checksums_watch();
    let out = w.fetch();
    let message = assert_error(&out, 1, "missing_signature");
    for url in ["/dl/SHA256SUMS.asc", "/dl/SHA256SUMS.sig"] {
        out.check(
            message.contains(&w.server.url(url)),
            &format!("the message should name {url}"),
        );
    }
    w.assert_nothing_placed(&out);
}

#[test]
fn fetch_verifies_sha512_lines() {
    for format in [Format::Sha512, Format::Sha512Bsd] {
        let w = World::with_stranger("f-sha512");
        let bytes = artifact();
        let sums = sums_with(&format.line(ARTIFACT, &bytes));
        w.publish_listing(&bytes, sums.as_bytes());
        w.server
            .file("/dl/SHA256SUMS.asc", sign_asc(&w.upstream, sums.as_bytes()));
        w.checksums_watch();
        let out = w.fetch();
        out.assert_code(0);
        // The report (and the history) carry the sha256 of the verified file.
        expect(
            &out,
            &only_project(&out)["files"][0]["sha256"],
            sha256_hex(&bytes),
            &format!("{format:?}: sha256"),
        );
        w.assert_placed(&out, &bytes);
    }
}

#[test]
fn fetch_reads_dot_slash_names_and_crlf_line_endings() {
    let bytes = artifact();
    let cases = [
        sums_with(&Format::TwoSpace.line(&format!("./{ARTIFACT}"), &bytes)),
        sums_with(&Format::Binary.line(&format!("./{ARTIFACT}"), &bytes)),
        sums_with(&Format::TwoSpace.line(ARTIFACT, &bytes)).replace('\n', "\r\n"),
        sums_with(&Format::Bsd.line(ARTIFACT, &bytes)).replace('\n', "\r\n"),
        sums_with(&Format::Sha512.line(&format!("./{ARTIFACT}"), &bytes)).replace('\n', "\r\n"),
    ];
    for sums in cases {
        let w = World::with_stranger("f-dotslash-crlf");
        w.publish_listing(&bytes, sums.as_bytes());
        w.server
            .file("/dl/SHA256SUMS.asc", sign_asc(&w.upstream, sums.as_bytes()));
        w.checksums_watch();
        let out = w.fetch();
        out.assert_code(0);
        w.assert_placed(&out, &bytes);
    }
    // A clearsigned file served with CRLF line endings.
    let w = World::with_stranger("f-crlf-clear");
    let signed = String::from_utf8(clearsign(
        &w.upstream,
        &sums_with(&Format::TwoSpace.line(ARTIFACT, &bytes)),
    ))
    .expect("utf-8");
    w.publish_listing(&bytes, signed.replace('\n', "\r\n").as_bytes());
    w.checksums_watch();
    let out = w.fetch();
    out.assert_code(0);
    w.assert_placed(&out, &bytes);
}

#[test]
fn check_shows_the_checksum_url_as_signature_url() {
    let w = World::with_stranger("c-sigurl");
    let bytes = artifact();
    let sums = sums_with(&Format::TwoSpace.line(ARTIFACT, &bytes));
    w.publish_listing(&bytes, sums.as_bytes());
    w.checksums_watch();
    let out = w.check();
    out.assert_code(0);
    let p = only_project(&out);
    expect(&out, &p["newest"], "1.0", "newest");
    expect(
        &out,
        &json!(p["files"].as_array().map(Vec::len)),
        json!(1),
        "one file (SHA256SUMS is not a release file)",
    );
    expect(
        &out,
        &p["files"][0]["url"],
        w.server.url(&format!("/dl/{ARTIFACT}")),
        "url",
    );
    expect(
        &out,
        &p["files"][0]["signature_url"],
        w.server.url("/dl/SHA256SUMS"),
        "signature_url",
    );
    out.check(
        w.server.hits(&format!("/dl/{ARTIFACT}")) == 0 && w.server.hits("/dl/SHA256SUMS") == 0,
        "check downloaded the artifact or the checksum file",
    );
}

#[test]
fn signature_url_together_with_checksums_is_a_config_error() {
    let w = World::with_stranger("c-both");
    w.publish_listing(&artifact(), b"");
    w.tool_watch("url = \"{url}.asc\"\nchecksums = \"{dir}/SHA256SUMS\"");
    for out in [w.check(), w.fetch()] {
        let message = assert_error(&out, 2, "config");
        out.check(
            message.contains("signature") && message.contains("checksums"),
            "the message should name [signature] url and checksums",
        );
        w.assert_nothing_placed(&out);
    }
    out_no_requests(&w);
}

/// The server was never asked: a bad watch file stops before the network.
fn out_no_requests(w: &World) {
    let requests = w.server.requests();
    assert!(requests.is_empty(), "requests were made: {requests:?}");
}

#[test]
fn one_checksum_file_serves_every_file_of_a_release() {
    let w = World::with_stranger("f-two-files");
    let tar = artifact();
    let zip = b"pretend zip of tool 1.0".to_vec();
    let sums = format!(
        "{}\n{}\n",
        Format::TwoSpace.line(ARTIFACT, &tar),
        Format::TwoSpace.line("tool-1.0.zip", &zip)
    );
    w.publish_listing(&tar, sums.as_bytes());
    w.server.file(
        "/dl/",
        format!(
            "<a href=\"{ARTIFACT}\">x</a> <a href=\"tool-1.0.zip\">y</a> <a href=\"SHA256SUMS\">z</a>"
        ),
    );
    w.server.file("/dl/tool-1.0.zip", zip.clone());
    w.server
        .file("/dl/SHA256SUMS.asc", sign_asc(&w.upstream, sums.as_bytes()));
    w.dir.write(
        "tool.toml",
        format!(
            "[source]\nurl = \"{}\"\npattern = 'tool-(?P<version>[0-9.]+)\\.(?:tar\\.gz|zip)'\n\n\
             [signature]\nchecksums = \"{{dir}}/SHA256SUMS\"\n\n\
             [keys]\nkeyring = \"keyrings/project.asc\"\nfingerprints = [\"{}\"]\n",
            w.server.url("/dl/"),
            w.fpr()
        ),
    );
    let out = w.fetch();
    out.assert_code(0);
    out.check(
        w.dest_names() == [ARTIFACT, "tool-1.0.zip"],
        &format!("dest holds {:?}", w.dest_names()),
    );
    out.check(
        w.server.hits("/dl/SHA256SUMS") == 1 && w.server.hits("/dl/SHA256SUMS.asc") == 1,
        "the checksum file and its signature should be fetched once per release",
    );
}

#[test]
fn unsigned_lines_around_a_clearsigned_message_are_ignored() {
    let bytes = artifact();
    let evil = b"evil tarball".to_vec();
    let sums = sums_with(&Format::TwoSpace.line(ARTIFACT, &bytes));
    let evil_line = Format::TwoSpace.line(ARTIFACT, &evil);
    let wrap = |signed: &[u8]| {
        let mut text = format!("{evil_line}\n").into_bytes();
        text.extend_from_slice(signed);
        text.extend_from_slice(format!("{evil_line}\n").as_bytes());
        text
    };

    // By hand: the unsigned line before and after the message does not vouch for evil bytes.
    let w = World::with_stranger("v-around-clear");
    let wrapped = wrap(&clearsign(&w.upstream, &sums));
    w.local(&evil, &wrapped);
    let out = w.verify(&["--json"]);
    out.assert_code(1);
    expect_contains(&out, &out.json()["reason"], &["does not match"], "reason");
    w.local(&bytes, &wrapped);
    w.verify(&[]).assert_code(0);

    // Through fetch: the substituted artifact is refused and nothing is placed.
    let w = World::with_stranger("f-around-clear");
    w.publish_listing(&evil, &wrap(&clearsign(&w.upstream, &sums)));
    w.checksums_watch();
    let out = w.fetch();
    assert_error(&out, 1, "digest");
    w.assert_nothing_placed(&out);
}
