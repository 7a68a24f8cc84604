//! A newcomer's first hour (issue 18) and refusals that say the next step (issue 13): what a
//! user meets when trying sigwatch for the first time, run through the real binary. Signatures
//! glued by several release managers, a rerun right after `kill -9`, a soft-revoked key, a
//! mistyped pin, a GnuPG keybox as keyring, a network that fails, and refusals whose hint is
//! the way forward. Nothing here reaches the internet: servers listen on 127.0.0.1, and the
//! unresolvable host is under `.invalid`, which no resolver answers.

mod server;
mod util;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use sequoia_openpgp as openpgp;
use serde_json::Value;

use server::{Fault, Response, Server};
use util::pgp::{self, CertSpec};
use util::{Output, TestDir, fixtures};

/// Two release managers' keys, both in `keyring.asc`, and `data.tar.gz` they signed.
struct Managers {
    dir: TestDir,
    alice: openpgp::Cert,
    bob: openpgp::Cert,
}

impl Managers {
    fn new(name: &str) -> Managers {
        let dir = TestDir::new(name);
        let alice = CertSpec::v4("Alice <alice@example.org>").generate();
        let bob = CertSpec::v4("Bob <bob@example.org>").generate();
        let mut keyring = pgp::armored_public(&alice);
        keyring.push(b'\n');
        keyring.extend(pgp::armored_public(&bob));
        dir.write("keyring.asc", keyring);
        dir.write("data.tar.gz", b"release bytes\n".repeat(100));
        Managers { dir, alice, bob }
    }

    /// `cat alice.asc bob.asc` over `bytes`: two armor blocks, the pinned signer's second.
    fn glued(&self, bytes: &[u8]) -> Vec<u8> {
        let now = SystemTime::now();
        let mut sig = pgp::sign_detached(&self.alice, bytes, now, false, true);
        sig.extend(pgp::sign_detached(&self.bob, bytes, now, false, true));
        sig
    }
}

fn signature_statuses(out: &Output) -> Vec<String> {
    out.json()["signatures"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| s["status"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn glued_armored_signatures_are_all_read_and_the_pinned_second_one_verifies() {
    let m = Managers::new("glued-sigs");
    let data = std::fs::read(m.dir.join("data.tar.gz")).expect("data");
    m.dir.write("data.tar.gz.asc", m.glued(&data));
    let bob = pgp::fingerprint(&m.bob);
    let out = m
        .dir
        .cmd(["verify", "data.tar.gz", "--keyring", "keyring.asc"])
        .args(["--fingerprint", &bob, "--json"])
        .run();
    out.assert_code(0);
    let statuses = signature_statuses(&out);
    out.check(
        statuses == ["unpinned", "good"],
        &format!("both armor blocks are judged, in file order: {statuses:?}"),
    )
    .check(out.json()["signer"] == bob.as_str(), "the signer is Bob");
}

#[test]
fn glued_armored_signatures_on_a_checksum_file_are_all_read() {
    let m = Managers::new("glued-sums");
    let data = std::fs::read(m.dir.join("data.tar.gz")).expect("data");
    let sums = format!("{}  data.tar.gz\n", sha256_hex(&data));
    m.dir.write("SHA256SUMS", &sums);
    m.dir.write("SHA256SUMS.asc", m.glued(sums.as_bytes()));
    let out = m
        .dir
        .cmd(["verify", "data.tar.gz", "--checksums", "SHA256SUMS"])
        .args(["--keyring", "keyring.asc"])
        .args(["--fingerprint", &pgp::fingerprint(&m.bob)])
        .run();
    out.assert_code(0)
        .assert_stdout_contains(&["verified", "data.tar.gz"]);
}

/// Lowercase hex SHA-256.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// A rerun right after `kill -9`

/// `.sigwatch-*.part` files in `dir`.
fn part_files(dir: &Path) -> Vec<PathBuf> {
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    let n = p.file_name().unwrap_or_default().to_string_lossy();
                    n.starts_with(".sigwatch-") && n.ends_with(".part")
                })
                .collect()
        })
        .unwrap_or_default();
    parts.sort();
    parts
}

#[test]
fn a_rerun_right_after_kill_9_removes_the_dead_runs_part_file_but_not_a_live_one() {
    let dir = TestDir::new("kill-rerun");
    let server = Server::start();
    let up = CertSpec::v4("Upstream <up@example.org>").generate();
    dir.write("keyrings/up.asc", pgp::armored_public(&up));
    let name = "example-1.0.tar.gz";
    let bytes = b"pretend tarball\n".repeat(4096);
    server.respond(
        "/releases/",
        Response::ok(format!("<a href=\"{name}\">{name}</a>")).header("Content-Type", "text/html"),
    );
    // The first download stalls half-way (and is killed there); the rerun gets it whole.
    server.route(
        &format!("/releases/{name}"),
        vec![
            Response::ok(bytes.clone()).fault(Fault::StallMidBody {
                after: 4096,
                wait: Duration::from_secs(60),
            }),
            Response::ok(bytes.clone()),
        ],
    );
    server.file(
        &format!("/releases/{name}.asc"),
        pgp::sign_detached(&up, &bytes, SystemTime::now(), false, true),
    );
    dir.write(
        "example.toml",
        format!(
            "[source]\nurl = \"{}\"\npattern = 'example-(?P<version>[0-9.]+)\\.tar\\.gz'\n\
             [keys]\nkeyring = \"keyrings/up.asc\"\nfingerprints = [\"{}\"]\n",
            server.url("/releases/"),
            pgp::fingerprint(&up)
        ),
    );
    let dest = dir.join("dest");
    let mut killed = Command::new(util::BIN)
        .current_dir(dir.path())
        .args(["fetch", "example.toml", "--dest", "dest", "--retries", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting sigwatch fetch");
    let deadline = Instant::now() + Duration::from_secs(30);
    while part_files(&dest).is_empty() || server.hits(&format!("/releases/{name}")) == 0 {
        assert!(
            Instant::now() < deadline,
            "the first fetch never started its download"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    killed.kill().expect("kill -9");
    killed.wait().expect("reaping the killed run");
    let dead = part_files(&dest);
    assert_eq!(dead.len(), 1, "the killed run left its temporary file");
    // Another run, alive, is downloading into the same directory: its file stays.
    let live = dest.join(".sigwatch-live.part");
    let held = std::fs::File::create(&live).expect("creating the live part file");
    held.lock().expect("locking it, as a live run does");

    let out = dir
        .cmd(["fetch", "example.toml", "--dest", "dest", "--retries", "0"])
        .run();
    out.assert_code(0)
        .check(!dead[0].exists(), "the killed run's .part file is removed")
        .check(live.exists(), "a locked .part file is never removed")
        .check(dest.join(name).exists(), "the release is placed");
    drop(held);
}

// ---------------------------------------------------------------------------------------------
// Keys: soft revocation, mistyped pins, keyboxes

/// `verify` of fixture case `case` with `pin` (default: the case's key) and `extra` flags.
fn verify_case(dir: &TestDir, case: &str, pin: Option<&str>, extra: &[&str]) -> Output {
    let f = fixtures();
    let s = f.sig(case);
    let names: Vec<&str> = s.keyring.iter().map(String::as_str).collect();
    let keyring = f.keyring_of(dir, &names);
    let pin = pin.map_or_else(|| f.fingerprint(&s.key), str::to_string);
    dir.cmd(["verify"])
        .arg(f.path(&s.data))
        .arg("--signature")
        .arg(f.path(&s.file))
        .arg("--keyring")
        .arg(&keyring)
        .args(["--fingerprint", &pin])
        .args(extra)
        .run()
}

#[test]
fn a_soft_revoked_key_warns_when_it_verifies_a_signature_made_before_the_revocation() {
    let dir = TestDir::new("soft-revoked-warns");
    let needles = ["warning: ", "soft revocation", "key superseded", "pin it"];
    verify_case(&dir, "soft-revoked-before", None, &[])
        .assert_code(0)
        .assert_stderr_contains(&needles);
    verify_case(&dir, "soft-revoked-before", None, &["-v"])
        .assert_code(0)
        .assert_stderr_contains(&needles);
    let out = verify_case(&dir, "soft-revoked-before", None, &["--json"]);
    out.assert_code(0);
    let warnings = util::strings(&out.json()["warnings"]);
    out.check(
        warnings
            .iter()
            .any(|w| w.contains("soft revocation") && w.contains("after the signature")),
        &format!("the JSON warnings carry it: {warnings:?}"),
    );
}

/// `fpr` with its last hex digit changed.
fn typo(fpr: &str) -> String {
    let (head, last) = fpr.split_at(fpr.len() - 1);
    let changed = if last == "0" { "1" } else { "0" };
    format!("{head}{changed}")
}

#[test]
fn a_pin_one_digit_off_names_the_near_match_in_the_keyring() {
    let dir = TestDir::new("pin-typo");
    let real = fixtures().fingerprint("rsa2048");
    let out = verify_case(&dir, "rsa2048", Some(&typo(&real)), &[]);
    out.assert_code(2).assert_stderr_contains(&[
        "none of the pinned fingerprints is in it",
        &typo(&real),
        &real,
        "1 hex digit (position 40)",
        "hint: if ",
        "correct",
    ]);
}

#[test]
fn a_pin_with_39_or_41_digits_says_how_many_digits_it_has() {
    let dir = TestDir::new("pin-length");
    let real = fixtures().fingerprint("rsa2048");
    let short = &real[..39];
    verify_case(&dir, "rsa2048", Some(short), &[])
        .assert_code(2)
        .assert_stderr_contains(&["--fingerprint", "has 39 hex digits", "1 short"]);
    let long = format!("{real}A");
    let (keyring, _) = fixtures().key("rsa2048");
    dir.copy(&keyring, "k.asc");
    dir.write(
        "w.toml",
        format!(
            "[source]\nurl = \"https://example.org/r/\"\npattern = 'x-(?P<version>.+)\\.tgz'\n\
             [keys]\nkeyring = \"k.asc\"\nfingerprints = [\"{long}\"]\n"
        ),
    );
    dir.cmd(["verify", "--watch", "w.toml"])
        .arg(fixtures().path("data.bin"))
        .run()
        .assert_code(2)
        .assert_stderr_contains(&["keys.fingerprints[0]", "has 41 hex digits, 1 too many"]);
}

#[test]
fn a_gnupg_keybox_as_keyring_is_recognised_and_the_export_command_given() {
    let dir = TestDir::new("keybox");
    // A keybox's first blob is its header: length, type 1, version 1, flags, "KBXf", times.
    let mut kbx = Vec::new();
    kbx.extend(32u32.to_be_bytes());
    kbx.extend([1, 1, 0, 2]);
    kbx.extend(b"KBXf");
    kbx.extend([0u8; 20]);
    // Then OpenPGP blobs; their content does not matter here.
    kbx.extend(64u32.to_be_bytes());
    kbx.extend([2, 1]);
    kbx.extend([0u8; 58]);
    dir.write("pubring.kbx", &kbx);
    let (_, fpr) = fixtures().key("rsa2048");
    let out = dir
        .cmd(["verify", "--keyring", "pubring.kbx", "--fingerprint", &fpr])
        .arg(fixtures().path("data.bin"))
        .args(["--signature"])
        .arg(fixtures().path("sigs/rsa2048.sig"))
        .run();
    out.assert_code(2)
        .assert_stderr_contains(&[
            "pubring.kbx",
            "GnuPG keybox",
            "gpg --export --armor",
            "> key.asc",
        ])
        .assert_stderr_lacks("unexpected EOF");
}

// ---------------------------------------------------------------------------------------------
// The network, in sigwatch's words

/// `check --json` of a watch file whose listing is at `url`; returns the run and its error.
fn check_unreachable(dir: &TestDir, url: &str) -> (Output, Value) {
    let (keyring, fpr) = fixtures().key("rsa2048");
    dir.copy(&keyring, "k.asc");
    dir.write(
        "net.toml",
        format!(
            "[source]\nurl = \"{url}\"\npattern = 'x-(?P<version>.+)\\.tgz'\n\
             [keys]\nkeyring = \"k.asc\"\nfingerprints = [\"{fpr}\"]\n"
        ),
    );
    let out = dir
        .cmd([
            "check",
            "net.toml",
            "--json",
            "--retries",
            "0",
            "--timeout",
            "10",
        ])
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .run();
    out.assert_code(3);
    let error = out.json()["projects"][0]["error"].clone();
    (out, error)
}

#[test]
fn a_closed_port_is_reported_as_connection_refused_with_what_to_check() {
    let dir = TestDir::new("net-refused");
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a port");
        listener.local_addr().expect("its address").port()
    };
    let url = format!("http://127.0.0.1:{port}/releases/");
    let (out, error) = check_unreachable(&dir, &url);
    let message = error["message"].as_str().unwrap_or_default();
    let hint = error["hint"].as_str().unwrap_or_default();
    out.check(
        message.contains(&format!("cannot reach 127.0.0.1 for {url}"))
            && message.contains(&format!("connection refused on port {port}")),
        &format!("the message names host, URL and cause: {message:?}"),
    )
    .check(
        !message.contains("client error") && !message.contains("tcp connect error"),
        "no library text",
    )
    .check(
        hint.contains("HTTPS_PROXY") && hint.contains("NO_PROXY"),
        &format!("the hint says what to check: {hint:?}"),
    );
}

#[test]
fn an_unresolvable_host_is_reported_as_a_dns_failure_with_what_to_check() {
    let dir = TestDir::new("net-dns");
    let url = "https://releases.sigwatch-test.invalid/downloads/";
    let (out, error) = check_unreachable(&dir, url);
    let message = error["message"].as_str().unwrap_or_default();
    let hint = error["hint"].as_str().unwrap_or_default();
    out.check(
        message.contains(&format!(
            "cannot reach releases.sigwatch-test.invalid for {url}"
        )) && message.contains("does not resolve (DNS lookup failed)"),
        &format!("the message names host, URL and cause: {message:?}"),
    )
    .check(
        !message.contains("dns error") && !message.contains("client error"),
        "no library text",
    )
    .check(
        hint.contains("host name") && hint.contains("HTTPS_PROXY"),
        &format!("the hint says what to check: {hint:?}"),
    );
}

// ---------------------------------------------------------------------------------------------
// Refusals that say the next step

#[test]
fn a_sha1_data_signature_refusal_says_how_to_accept_the_checked_bytes() {
    let dir = TestDir::new("sha1-hint");
    verify_case(&dir, "sha1-data", None, &[])
        .assert_code(1)
        .assert_stdout_contains(&["rejected", "SHA1"])
        .assert_stderr_contains(&[
            "hint: ",
            "sigwatch accept",
            "--reason",
            "the tarball your distribution already ships",
            "sign releases with SHA-256",
        ]);
}

#[test]
fn a_key_expired_before_signing_refusal_says_to_refresh_the_key() {
    let dir = TestDir::new("expired-hint");
    verify_case(&dir, "expired-before", None, &[])
        .assert_code(1)
        .assert_stderr_contains(&[
            "hint: ",
            "sigwatch keys refresh",
            "ask upstream to extend the key's expiry",
        ]);
}

#[test]
fn a_signer_missing_from_the_keyring_is_named_with_where_to_find_its_key() {
    let dir = TestDir::new("missing-key-hint");
    let issuer = fixtures()
        .sig("other-unpinned")
        .signing_key
        .clone()
        .expect("the case names its signing key");
    verify_case(&dir, "other-unpinned", None, &[])
        .assert_code(1)
        .assert_stdout_contains(&[&issuer, "which is not in keyring"])
        .assert_stderr_contains(&["hint: ", &issuer, "KEYS file", "WKD"]);
}

// ---------------------------------------------------------------------------------------------
// First commands: a missing file, check's output, help and a watch file to start from

#[test]
fn verify_of_a_missing_file_names_the_file_not_its_signature() {
    let dir = TestDir::new("missing-file");
    let (keyring, fpr) = fixtures().key("rsa2048");
    dir.cmd([
        "verify",
        "nofile.tar.gz",
        "--fingerprint",
        &fpr,
        "--keyring",
    ])
    .arg(&keyring)
    .run()
    .assert_code(2)
    .assert_stderr_contains(&[
        "nofile.tar.gz: cannot read the file to verify",
        "hint: check the path",
    ])
    .assert_stderr_lacks("no signature found");
}

/// A watch file `NAME.toml` with `source` lines, pinning rsa2048 from `k.asc`.
fn watch_file(dir: &TestDir, name: &str, source: &str) {
    let (keyring, fpr) = fixtures().key("rsa2048");
    dir.copy(&keyring, "k.asc");
    dir.write(
        format!("{name}.toml"),
        format!("[source]\n{source}\n[keys]\nkeyring = \"k.asc\"\nfingerprints = [\"{fpr}\"]\n"),
    );
}

#[test]
fn check_prints_a_projects_error_and_its_hint_together_on_stdout() {
    let dir = TestDir::new("one-stream");
    watch_file(
        &dir,
        "nover",
        "url = \"https://example.org/r/\"\npattern = 'foo-.*\\.tar\\.gz'",
    );
    let out = dir.cmd(["check", "nover.toml"]).run();
    out.assert_code(2)
        .assert_stdout_contains(&[
            "error: nover (nover.toml): watch file nover.toml: source.pattern: needs a capture group",
            "hint: nover: name the version part, e.g. pattern = 'foo-(?P<version>[0-9][0-9a-z.]*)\\.tar\\.gz'",
        ])
        .assert_stderr_lacks("hint:");
}

#[test]
fn a_plain_http_url_is_refused_with_its_https_form_as_the_hint() {
    let dir = TestDir::new("plain-http-hint");
    watch_file(
        &dir,
        "plain",
        "url = \"http://example.org/r/\"\npattern = 'foo-(?P<version>.*)\\.tar\\.gz'",
    );
    dir.cmd(["check", "plain.toml"])
        .run()
        .assert_code(2)
        .assert_stdout_contains(&[
            "plain http is refused",
            "hint: plain: use url = \"https://example.org/r/\"",
        ]);
}

#[test]
fn json_usage_errors_print_json_naming_the_missing_arguments() {
    let dir = TestDir::new("json-usage");
    let out = dir.cmd(["verify", "--json"]).run();
    out.assert_code(2);
    let message = out.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    out.check(
        message.contains("--keyring") && message.contains("<FILE>"),
        &format!("the JSON error names what is missing: {message:?}"),
    );
}

#[test]
fn lint_and_check_warn_up_front_that_pypi_serves_no_signatures() {
    let dir = TestDir::new("pypi-no-asc");
    watch_file(&dir, "flufl", "pypi = \"flufl.lock\"");
    let out = dir.cmd(["lint", "flufl.toml", "--json"]).run();
    out.assert_code(0);
    let findings = out.json()["findings"].clone();
    out.check(
        findings.as_array().is_some_and(|f| {
            f.iter().any(|x| {
                x["code"] == "pypi-no-signatures"
                    && x["fix"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("[signature] url")
            })
        }),
        &format!("lint names the PyPI problem and its fix: {findings}"),
    );
    // `check` says so too, before (and whatever) the network answers: here a proxy that
    // refuses, so nothing leaves the machine.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a port");
        listener.local_addr().expect("its address").port()
    };
    let out = dir
        .cmd([
            "check",
            "flufl.toml",
            "--json",
            "--retries",
            "0",
            "--timeout",
            "5",
        ])
        .env("HTTPS_PROXY", format!("http://127.0.0.1:{port}"))
        .env("PIP_INDEX_URL", "https://pypi.org/simple/")
        .run();
    let warnings = util::strings(&out.json()["projects"][0]["warnings"]);
    out.check(
        warnings
            .iter()
            .any(|w| w.contains("PyPI has served no .asc") && w.contains("[signature] url")),
        &format!("check warns about it: {warnings:?}"),
    );
}

#[test]
fn check_verbose_shows_the_urls_and_http_totals_in_words() {
    let dir = TestDir::new("check-verbose");
    let server = Server::start();
    let name = "foo-1.0.tar.gz";
    server.respond(
        "/r/",
        Response::ok(format!("<a href=\"{name}\">{name}</a>")).header("Content-Type", "text/html"),
    );
    server.file(&format!("/r/{name}.asc"), b"x".to_vec());
    watch_file(
        &dir,
        "foo",
        &format!(
            "url = \"{}\"\npattern = 'foo-(?P<version>[0-9.]+)\\.tar\\.gz'",
            server.url("/r/")
        ),
    );
    let out = dir.cmd(["check", "foo.toml", "-v", "--no-cache"]).run();
    out.assert_code(0)
        .assert_stdout_contains(&[&server.url(&format!("/r/{name}"))])
        .assert_stderr_contains(&["http: ", "request(s)"])
        .assert_stderr_lacks("{\"bytes\"");
}

#[test]
fn keys_and_report_help_show_examples() {
    let dir = TestDir::new("help-examples");
    for group in ["keys", "report"] {
        dir.cmd([group, "--help"])
            .run()
            .assert_code(0)
            .assert_stdout_contains(&["Examples:", &format!("sigwatch {group} ")]);
    }
}

#[test]
fn add_help_examples_paste_as_shown_and_name_the_default_as_it_behaves() {
    let dir = TestDir::new("add-help");
    let out = dir.cmd(["add", "--help"]).env("COLUMNS", "80").run();
    out.assert_code(0);
    let help = out.stdout();
    let examples = help.split("Examples:").nth(1).unwrap_or_default();
    for line in examples.lines().take_while(|l| !l.is_empty()) {
        out.check(
            line.len() < 80,
            &format!("an example line is wrapped at 80 columns: {line:?}"),
        );
    }
    // A continued command's every line but the last ends with `\`.
    let commands: Vec<&str> = examples
        .lines()
        .filter(|l| l.starts_with("  sigwatch"))
        .collect();
    out.check(
        commands.len() == 3,
        "three examples: PyPI with a key, a listing, PyPI with a publisher",
    );
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    out.check(
        flat.contains("with --url, the file name before the version in --pattern"),
        "--name's help says where the default comes from",
    );
    // And it behaves so: the name comes from the pattern, not the host.
    let (keyring, fpr) = fixtures().key("rsa2048");
    dir.cmd([
        "add",
        "--url",
        "https://downloads.example.org/x/",
        "--pattern",
    ])
    .arg("foo-(?P<version>[0-9.]+)\\.tar\\.gz")
    .arg("--keyring")
    .arg(&keyring)
    .args(["--fingerprint", &fpr, "--dry-run"])
    .run()
    .assert_code(0)
    .assert_stdout_contains(&["name = \"foo\"", "[keys]", "fingerprints = ["])
    .assert_stderr_contains(&["dry run: nothing written"]);
    out.check(
        !dir.join("foo.toml").exists() && !dir.join("keyrings").exists(),
        "a dry run writes nothing",
    );
}
