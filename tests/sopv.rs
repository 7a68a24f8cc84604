//! `sigwatch sopv`, the Stateless OpenPGP verification-only interface uscan calls: every exit
//! code of the draft that applies, both verify forms, the VERIFICATIONS format, special
//! designators, dates, and the policy shared with `sigwatch verify` — run through the real
//! binary, as `sigwatch sopv` and through a link named `sopv`. Material is the committed
//! fixtures (facts from `tests/fixtures/manifest.toml`) and certificates made at runtime.

mod util;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{self, Stdio};
use std::time::{Duration, SystemTime};

use sequoia_openpgp as openpgp;

use openpgp::Cert;
use openpgp::crypto::KeyPair;
use openpgp::packet::signature::SignatureBuilder;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::stream::{Armorer, LiteralWriter, Message, Signer};
use openpgp::types::{DataFormat, SignatureType};
use util::pgp::{self, CertSpec};
use util::{BIN, Output, TestDir, fixtures};

const DATA: &[u8] = b"release tarball bytes\x00\x01\x02 and a line\nwith text \xf0\x9f\x92\xa3\n";
const TEXT: &str = "This is the signed text.\n- a line starting with a dash\nFrom the end\n";

/// `sigwatch sopv ARGS` in `dir`.
fn sopv<const N: usize>(dir: &TestDir, args: [&str; N]) -> util::TestCommand {
    let mut cmd = dir.cmd(["sopv"]);
    cmd.args(args);
    cmd
}

/// Runs `script` with `sh` in `dir`, `$SOPV` naming `sigwatch sopv`; for file descriptors.
fn sh(dir: &TestDir, script: &str) -> process::Output {
    process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir.path())
        .env("SOPV", format!("{BIN} sopv"))
        .stdin(Stdio::null())
        .output()
        .expect("running sh")
}

fn explain(what: &str, out: &process::Output) -> String {
    format!(
        "{what}: exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The secret signing key of a generated certificate.
fn signing_keypair(cert: &Cert) -> KeyPair {
    let policy = StandardPolicy::new();
    cert.keys()
        .secret()
        .with_policy(&policy, None)
        .supported()
        .for_signing()
        .next()
        .expect("a signing key")
        .key()
        .clone()
        .into_keypair()
        .expect("unencrypted")
}

/// An OpenPGP Signed Message (one-pass signatures, literal data) by every cert in `certs`.
fn sign_inline(certs: &[&Cert], data: &[u8], text: bool, armor: bool) -> Vec<u8> {
    let typ = if text {
        SignatureType::Text
    } else {
        SignatureType::Binary
    };
    let mut out = Vec::new();
    {
        let mut message = Message::new(&mut out);
        if armor {
            message = Armorer::new(message).build().expect("armorer");
        }
        let mut signer = Signer::with_template(
            message,
            signing_keypair(certs[0]),
            SignatureBuilder::new(typ),
        )
        .expect("signer");
        for c in &certs[1..] {
            signer = signer
                .add_signer(signing_keypair(c))
                .expect("second signer");
        }
        let signer = signer.build().expect("signer");
        let format = if text {
            DataFormat::Unicode
        } else {
            DataFormat::Binary
        };
        let mut lit = LiteralWriter::new(signer)
            .format(format)
            .build()
            .expect("literal");
        lit.write_all(data).expect("writing to memory");
        lit.finalize().expect("finishing the message");
    }
    out
}

/// A cleartext-signed text by `cert`.
fn clearsign(cert: &Cert, text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let message = Message::new(&mut out);
        let mut signer = Signer::new(message, signing_keypair(cert))
            .expect("signer")
            .cleartext()
            .build()
            .expect("signer");
        signer.write_all(text.as_bytes()).expect("writing");
        signer.finalize().expect("finishing");
    }
    out
}

/// Alice (v4) and Bob (v6), their certificates written as `alice.cert` and `bob.cert`, both
/// glued into `both.cert`, and `data` with Alice's signature `data.alice.sig`.
struct World {
    dir: TestDir,
    alice: Cert,
    bob: Cert,
}

impl World {
    fn new(name: &str) -> World {
        let dir = TestDir::new(name);
        let alice = CertSpec::v4("Alice <alice@example.org>").generate();
        let bob = CertSpec::v6("Bob <bob@example.org>").generate();
        let a = pgp::armored_public(&alice);
        let b = pgp::armored_public(&bob);
        dir.write("alice.cert", &a);
        dir.write("bob.cert", &b);
        let mut both = b"Upstream's KEYS file: Alice's key, then Bob's.\n\n".to_vec();
        both.extend_from_slice(&a);
        both.extend_from_slice(b"\nand Bob's:\n");
        both.extend_from_slice(&b);
        dir.write("both.cert", both);
        dir.write("data", DATA);
        let now = SystemTime::now() - Duration::from_secs(60);
        dir.write(
            "data.alice.sig",
            pgp::sign_detached(&alice, DATA, now, false, true),
        );
        World { dir, alice, bob }
    }

    fn signing_fpr(cert: &Cert) -> String {
        pgp::subkey_fingerprints(cert)
            .into_iter()
            .next()
            .expect("a signing subkey")
    }
}

fn lines(out: &Output) -> Vec<String> {
    out.stdout().lines().map(str::to_string).collect()
}

fn assert_no_stdout(out: &Output) {
    out.check(out.stdout().is_empty(), "nothing on stdout on failure");
}

// ---------------------------------------------------------------------------------------------
// version

#[test]
fn version_prints_name_backend_and_the_sopv_level() {
    let dir = TestDir::new("sopv-version");
    let plain = sopv(&dir, ["version"]).assert_code(0);
    let first = plain.stdout();
    plain.check(
        first.starts_with("sigwatch ") && first.lines().count() == 1,
        "one line: name and version",
    );
    sopv(&dir, ["version", "--sopv"])
        .assert_code(0)
        .check_stdout_is("1.1\n");
    sopv(&dir, ["version", "--backend"])
        .assert_code(0)
        .assert_stdout_contains(&["sequoia-openpgp "]);
    let ext = sopv(&dir, ["version", "--extended"]).assert_code(0);
    ext.check(
        ext.stdout().lines().next() == first.lines().next() && ext.stdout().lines().count() > 2,
        "--extended starts with the plain line and says more",
    );
    sopv(&dir, ["version", "--sop-spec"])
        .assert_code(0)
        .assert_stdout_contains(&["draft-dkg-openpgp-stateless-cli-"]);
    let both = sopv(&dir, ["version", "--backend", "--extended"]).assert_code(37);
    assert_no_stdout(&both);
}

trait StdoutIs {
    fn check_stdout_is(&self, want: &str) -> &Self;
}

impl StdoutIs for Output {
    fn check_stdout_is(&self, want: &str) -> &Self {
        self.check(self.stdout() == want, &format!("stdout should be {want:?}"))
    }
}

// ---------------------------------------------------------------------------------------------
// verify

#[test]
fn good_detached_signature_prints_one_verifications_line_with_mode_and_signers() {
    let w = World::new("sopv-good");
    let out = sopv(&w.dir, ["verify", "data.alice.sig", "alice.cert"])
        .stdin(DATA)
        .assert_code(0);
    let l = lines(&out);
    out.check(l.len() == 1, "one line per good signature");
    let fields: Vec<&str> = l[0].splitn(5, ' ').collect();
    out.check(
        humantime::parse_rfc3339(fields[0]).is_ok(),
        "the time is RFC 3339 UTC",
    );
    out.check(
        fields[1] == World::signing_fpr(&w.alice),
        "the signing subkey",
    );
    out.check(fields[2] == pgp::fingerprint(&w.alice), "the primary key");
    out.check(fields[3] == "mode:binary", "the signing mode");
    let json: serde_json::Value = serde_json::from_str(fields[4]).expect("a JSON trailer");
    out.check(
        json == serde_json::json!({"signers": ["alice.cert"]}),
        "the JSON trailer names the CERTS argument that holds the signer",
    );
}

#[test]
fn double_dash_and_debug_are_accepted() {
    let w = World::new("sopv-dashdash");
    sopv(
        &w.dir,
        ["--debug", "verify", "--", "data.alice.sig", "alice.cert"],
    )
    .stdin(DATA)
    .assert_code(0)
    .assert_stdout_contains(&["mode:binary"]);
}

#[test]
fn every_good_signature_gets_a_line_naming_each_certs_argument_that_holds_its_signer() {
    let w = World::new("sopv-both");
    let now = SystemTime::now() - Duration::from_secs(60);
    let mut sig = pgp::sign_detached(&w.alice, DATA, now, false, false);
    sig.extend(pgp::sign_detached(&w.bob, DATA, now, false, false));
    w.dir.write("data.both.sig", sig);
    let out = sopv(&w.dir, ["verify", "data.both.sig", "both.cert", "bob.cert"])
        .stdin(DATA)
        .assert_code(0);
    let l = lines(&out);
    out.check(l.len() == 2, "two good signatures, two lines");
    out.check(
        l[0].contains(&pgp::fingerprint(&w.alice))
            && l[0].ends_with(r#"{"signers":["both.cert"]}"#),
        "Alice is only in both.cert",
    );
    out.check(
        l[1].contains(&pgp::fingerprint(&w.bob))
            && l[1].ends_with(r#"{"signers":["both.cert","bob.cert"]}"#),
        "Bob (a v6 key) is in both files",
    );
    // Only Alice's certificate given: Bob's signature is ignored, Alice's suffices.
    let one = sopv(&w.dir, ["verify", "data.both.sig", "alice.cert"])
        .stdin(DATA)
        .assert_code(0);
    one.check(lines(&one).len() == 1, "only the acceptable signer's line");
}

#[test]
fn signer_missing_from_certs_is_no_signature_with_nothing_on_stdout() {
    let w = World::new("sopv-unknown");
    let out = sopv(&w.dir, ["verify", "data.alice.sig", "bob.cert"])
        .stdin(DATA)
        .assert_code(3);
    assert_no_stdout(&out);
    out.assert_stderr_contains(&[
        &World::signing_fpr(&w.alice),
        "which is not in keyring bob.cert",
    ]);
}

#[test]
fn tampered_data_is_no_signature_and_says_bad_signature() {
    let w = World::new("sopv-tampered");
    let mut bad = DATA.to_vec();
    bad[0] ^= 1;
    let out = sopv(&w.dir, ["verify", "data.alice.sig", "alice.cert"])
        .stdin(bad)
        .assert_code(3);
    assert_no_stdout(&out);
    out.assert_stderr_contains(&["bad signature", "does not match the file's bytes"]);
}

/// `sigwatch verify`'s one-line reason for fixture case `case`.
fn verify_reason(dir: &TestDir, case: &str) -> String {
    let f = fixtures();
    let s = f.sig(case);
    let out = dir
        .cmd(["verify"])
        .arg(f.path(&s.data))
        .arg("--signature")
        .arg(f.path(&s.file))
        .arg("--keyring")
        .arg(f.key(&s.key).0)
        .arg("--fingerprint")
        .arg(f.fingerprint(&s.key))
        .run();
    let all = format!("{}{}", out.stdout(), out.stderr());
    let line = all
        .lines()
        .find(|l| l.starts_with("rejected: "))
        .unwrap_or_else(|| out.fail("verify printed no rejection"));
    // "rejected: FILE: reason"
    line.splitn(3, ": ").nth(2).expect("a reason").to_string()
}

/// `sigwatch sopv verify` on fixture case `case` with its key file as CERTS.
fn sopv_case(dir: &TestDir, case: &str) -> Output {
    let f = fixtures();
    let s = f.sig(case);
    let data = std::fs::read(f.path(&s.data)).expect("fixture data");
    let mut cmd = dir.cmd(["sopv", "verify"]);
    cmd.arg(f.path(&s.file)).arg(f.key(&s.key).0).stdin(data);
    cmd.run()
}

#[test]
fn sha1_data_signature_is_refused_in_the_words_of_verify() {
    let dir = TestDir::new("sopv-sha1");
    let want = verify_reason(&dir, "sha1-data");
    let out = sopv_case(&dir, "sha1-data");
    out.assert_code(3);
    assert_no_stdout(&out);
    out.assert_stderr_contains(&["weak algorithm", "SHA1", &want]);
}

#[test]
fn weak_key_is_refused_in_the_words_of_verify() {
    let dir = TestDir::new("sopv-weak");
    let want = verify_reason(&dir, "rsa1024");
    let out = sopv_case(&dir, "rsa1024");
    out.assert_code(3);
    assert_no_stdout(&out);
    out.assert_stderr_contains(&["1024", &want]);
}

#[test]
fn sha1_key_binding_is_accepted_as_verify_accepts_it() {
    let dir = TestDir::new("sopv-sha1-binding");
    sopv_case(&dir, "sha1-selfsig").assert_code(0);
}

#[test]
fn validity_is_judged_when_the_signature_was_made() {
    let dir = TestDir::new("sopv-validity");
    // Signed while valid, expired since: accepted.
    sopv_case(&dir, "expired-after").assert_code(0);
    // Signed after the key had expired: refused, saying so.
    let out = sopv_case(&dir, "expired-before");
    out.assert_code(3);
    out.assert_stderr_contains(&["expired"]);
    // Hard revocation rejects every signature; soft only those made after it.
    sopv_case(&dir, "hard-revoked").assert_code(3);
    sopv_case(&dir, "soft-revoked-before").assert_code(0);
    sopv_case(&dir, "soft-revoked-after").assert_code(3);
}

#[test]
fn glued_armor_blocks_in_the_cert_file_are_all_read() {
    let dir = TestDir::new("sopv-glued");
    let f = fixtures();
    // ed25519 is the second armor block of glued.asc, after prose.
    let s = f.sig("ed25519");
    let out = dir
        .cmd(["sopv", "verify"])
        .arg(f.path(&s.file))
        .arg(f.path("keys/glued.asc"))
        .stdin(std::fs::read(f.path(&s.data)).expect("data"))
        .assert_code(0);
    out.assert_stdout_contains(&[&f.fingerprint("ed25519")]);
}

#[test]
fn text_mode_signature_verifies_across_line_endings_and_says_mode_text() {
    let dir = TestDir::new("sopv-text");
    let f = fixtures();
    for data in ["data.txt", "data-crlf.txt"] {
        dir.cmd(["sopv", "verify"])
            .arg(f.path("sigs/text-mode.asc"))
            .arg(f.key("rsa2048").0)
            .stdin(std::fs::read(f.path(data)).expect("data"))
            .assert_code(0)
            .assert_stdout_contains(&[" mode:text {"]);
    }
}

#[test]
fn not_before_and_not_after_bound_the_signature_time() {
    let dir = TestDir::new("sopv-dates");
    let f = fixtures();
    let s = f.sig("rsa2048"); // made 2020-06-01T00:00:00Z
    let data = std::fs::read(f.path(&s.data)).expect("data");
    let run = |opts: &[&str]| {
        let mut cmd = dir.cmd(["sopv", "verify"]);
        cmd.args(opts)
            .arg(f.path(&s.file))
            .arg(f.key("rsa2048").0)
            .stdin(data.clone());
        cmd.run()
    };
    run(&["--not-before=2020-05-31T23:59:59Z"]).assert_code(0);
    run(&["--not-before", "2020-06-01T02:00:00+02:00"]).assert_code(0);
    run(&["--not-before=-", "--not-after=now"]).assert_code(0);
    run(&["--not-after=-"]).assert_code(0);
    run(&["--not-after=2020-06-01T00:00:00Z"]).assert_code(0);
    let early = run(&["--not-before=2020-06-01T00:00:01Z"]);
    early.assert_code(3);
    assert_no_stdout(&early);
    early.assert_stderr_contains(&["before --not-before 2020-06-01T00:00:01Z"]);
    let late = run(&["--not-after", "2020-05-31T23:59:59Z"]);
    late.assert_code(3);
    late.assert_stderr_contains(&["after --not-after 2020-05-31T23:59:59Z"]);
    let bad = run(&["--not-before=last tuesday"]);
    bad.assert_code(41);
    bad.assert_stderr_contains(&["--not-before", "is not a date"]);
}

// ---------------------------------------------------------------------------------------------
// exit codes for arguments and inputs

#[test]
fn usage_errors_have_the_spec_exit_codes_and_print_nothing() {
    let w = World::new("sopv-usage");
    for (args, code) in [
        (vec![], 19),
        (vec!["verify"], 19),
        (vec!["verify", "data.alice.sig"], 19),
        (vec!["inline-verify"], 19),
        (vec!["sign", "alice.key"], 69),
        (vec!["encrypt"], 69),
        (
            vec!["verify", "--as=text", "data.alice.sig", "alice.cert"],
            37,
        ),
        (vec!["inline-verify", "--no-armor", "alice.cert"], 37),
        (vec!["version", "--frobnicate"], 37),
    ] {
        let out = w
            .dir
            .cmd(["sopv"])
            .args(&args)
            .stdin(DATA)
            .assert_code(code);
        assert_no_stdout(&out);
    }
}

#[test]
fn missing_inputs_are_missing_input() {
    let w = World::new("sopv-missing");
    let out = sopv(&w.dir, ["verify", "data.alice.sig", "nonexistent.cert"])
        .stdin(DATA)
        .assert_code(61);
    assert_no_stdout(&out);
    out.assert_stderr_contains(&["nonexistent.cert"]);
    sopv(&w.dir, ["verify", "nonexistent.sig", "alice.cert"])
        .stdin(DATA)
        .assert_code(61);
    sopv(&w.dir, ["verify", "data.alice.sig", "@ENV:SOPV_TEST_UNSET"])
        .env_remove("SOPV_TEST_UNSET")
        .stdin(DATA)
        .assert_code(61)
        .assert_stderr_contains(&["SOPV_TEST_UNSET"]);
    sopv(&w.dir, ["verify", "data.alice.sig", "@FD:47"])
        .stdin(DATA)
        .assert_code(61);
}

#[test]
fn wrong_kinds_of_data_are_bad_data() {
    let w = World::new("sopv-baddata");
    // A secret key where CERTS are expected.
    let tsk = {
        use openpgp::serialize::SerializeInto as _;
        w.alice.as_tsk().armored().to_vec().expect("tsk")
    };
    w.dir.write("alice.key", tsk);
    sopv(&w.dir, ["verify", "data.alice.sig", "alice.key"])
        .stdin(DATA)
        .assert_code(41)
        .assert_stderr_contains(&["secret key"]);
    // A certificate where SIGNATURES are expected.
    sopv(&w.dir, ["verify", "alice.cert", "alice.cert"])
        .stdin(DATA)
        .assert_code(41);
    // Garbage as CERTS.
    w.dir.write("garbage", "not a key at all\n");
    sopv(&w.dir, ["verify", "data.alice.sig", "garbage"])
        .stdin(DATA)
        .assert_code(41);
    // An inline-signed message is not a detached signature.
    w.dir
        .write("msg.signed", sign_inline(&[&w.alice], DATA, false, true));
    let out = sopv(&w.dir, ["verify", "msg.signed", "alice.cert"])
        .stdin(DATA)
        .assert_code(41);
    assert_no_stdout(&out);
    // A detached signature is not an inline-signed message.
    sopv(&w.dir, ["inline-verify", "alice.cert"])
        .stdin(std::fs::read(w.dir.join("data.alice.sig")).expect("sig"))
        .assert_code(41);
}

#[test]
fn special_designators_read_descriptors_and_environment() {
    let w = World::new("sopv-designators");
    let fd = sh(
        &w.dir,
        "$SOPV verify @FD:5 @FD:3 @FD:4 3<bob.cert 4<alice.cert 5<data.alice.sig <data",
    );
    assert_eq!(fd.status.code(), Some(0), "{}", explain("@FD", &fd));
    let stdout = String::from_utf8_lossy(&fd.stdout);
    assert!(
        stdout.ends_with("{\"signers\":[\"@FD:4\"]}\n"),
        "{}",
        explain("@FD names the designator", &fd)
    );
    let env = w
        .dir
        .cmd(["sopv", "verify", "@ENV:SIG", "@ENV:CERT"])
        .env(
            "SIG",
            std::fs::read_to_string(w.dir.join("data.alice.sig")).expect("sig"),
        )
        .env(
            "CERT",
            std::fs::read_to_string(w.dir.join("alice.cert")).expect("cert"),
        )
        .stdin(DATA)
        .assert_code(0);
    env.assert_stdout_contains(&["{\"signers\":[\"@ENV:CERT\"]}"]);
}

#[test]
fn designator_that_names_an_existing_file_is_ambiguous_and_unknown_ones_unsupported() {
    let w = World::new("sopv-ambiguous");
    w.dir.copy(w.dir.join("alice.cert"), "@FD:3");
    let out = sopv(&w.dir, ["verify", "data.alice.sig", "@FD:3"])
        .stdin(DATA)
        .assert_code(73);
    assert_no_stdout(&out);
    out.assert_stderr_contains(&["./@FD:3"]);
    // Written as a path, the file is read.
    sopv(&w.dir, ["verify", "data.alice.sig", "./@FD:3"])
        .stdin(DATA)
        .assert_code(0);
    sopv(
        &w.dir,
        ["verify", "data.alice.sig", "@HTTPS:example.org/key"],
    )
    .stdin(DATA)
    .assert_code(71);
    sopv(
        &w.dir,
        ["inline-verify", "--verifications-out=@ENV:X", "alice.cert"],
    )
    .stdin(sign_inline(&[&w.alice], DATA, false, true))
    .assert_code(71);
}

// ---------------------------------------------------------------------------------------------
// inline-verify

#[test]
fn inline_signed_message_prints_its_data_and_the_verifications() {
    let w = World::new("sopv-inline");
    for (armor, text) in [(true, false), (false, false), (true, true), (false, true)] {
        let msg = sign_inline(&[&w.alice, &w.bob], DATA, text, armor);
        let verifs = format!("verifs-{armor}-{text}");
        let out = sopv(&w.dir, ["inline-verify", "alice.cert"])
            .arg(format!("--verifications-out={verifs}"))
            .stdin(msg)
            .assert_code(0);
        out.check(out.stdout().as_bytes() == DATA, "the data, byte for byte");
        let v = std::fs::read_to_string(w.dir.join(&verifs)).expect("verifications written");
        let mode = if text { "mode:text" } else { "mode:binary" };
        assert_eq!(v.lines().count(), 1, "only Alice is acceptable: {v}");
        assert!(
            v.contains(&pgp::fingerprint(&w.alice)) && v.contains(mode),
            "{v} should name Alice and {mode}"
        );
    }
}

#[test]
fn cleartext_signed_text_prints_the_text() {
    let w = World::new("sopv-csf");
    let out = sopv(
        &w.dir,
        [
            "inline-verify",
            "--verifications-out",
            "v",
            "--",
            "alice.cert",
        ],
    )
    .stdin(clearsign(&w.alice, TEXT))
    .assert_code(0);
    out.check(out.stdout() == TEXT, "the dash-unescaped text");
    let v = std::fs::read_to_string(w.dir.join("v")).expect("verifications");
    assert!(
        v.contains(" mode:text {\"signers\":[\"alice.cert\"]}"),
        "{v}"
    );
}

#[test]
fn inline_message_by_another_signer_prints_nothing_and_writes_no_verifications() {
    let w = World::new("sopv-inline-unknown");
    let out = sopv(
        &w.dir,
        ["inline-verify", "--verifications-out=v", "bob.cert"],
    )
    .stdin(sign_inline(&[&w.alice], DATA, false, true))
    .assert_code(3);
    assert_no_stdout(&out);
    out.check(
        !w.dir.join("v").exists(),
        "no VERIFICATIONS file on failure",
    );
    // Tampered cleartext.
    let tampered = String::from_utf8(clearsign(&w.alice, TEXT))
        .expect("text")
        .replace("signed text", "signed test");
    let out = sopv(&w.dir, ["inline-verify", "alice.cert"])
        .stdin(tampered)
        .assert_code(3);
    assert_no_stdout(&out);
}

#[test]
fn verifications_out_never_overwrites_a_file() {
    let w = World::new("sopv-output-exists");
    w.dir.write("v", "keep me\n");
    let out = sopv(
        &w.dir,
        ["inline-verify", "--verifications-out=v", "alice.cert"],
    )
    .stdin(sign_inline(&[&w.alice], DATA, false, true))
    .assert_code(59);
    assert_no_stdout(&out);
    assert_eq!(
        std::fs::read_to_string(w.dir.join("v")).expect("v"),
        "keep me\n"
    );
}

#[test]
fn verifications_out_can_be_a_file_descriptor() {
    let w = World::new("sopv-fd-out");
    w.dir
        .write("msg", sign_inline(&[&w.alice], DATA, true, true));
    let out = sh(
        &w.dir,
        "$SOPV inline-verify --verifications-out=@FD:9 alice.cert <msg >out 9>verifs",
    );
    assert_eq!(out.status.code(), Some(0), "{}", explain("@FD:9", &out));
    let v = std::fs::read_to_string(w.dir.join("verifs")).expect("verifs");
    assert!(v.contains("mode:text"), "{v}");
    assert_eq!(std::fs::read(w.dir.join("out")).expect("out"), DATA);
}

// ---------------------------------------------------------------------------------------------
// the name sopv

/// A link named `sopv` to the binary, in `dir/bin`.
fn sopv_link(dir: &TestDir) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let link = bin.join("sopv");
    std::os::unix::fs::symlink(Path::new(BIN), &link).expect("symlink");
    link
}

#[test]
fn called_through_a_link_named_sopv_it_is_sopv() {
    let w = World::new("sopv-link");
    let link = sopv_link(&w.dir);
    let run = |args: &[&str], stdin: &[u8]| {
        let mut child = process::Command::new(&link)
            .args(args)
            .current_dir(w.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning the link");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin)
            .expect("stdin");
        child.wait_with_output().expect("waiting")
    };
    let v = run(&["version", "--sopv"], b"");
    assert_eq!(v.stdout, b"1.1\n", "{}", explain("version --sopv", &v));
    let good = run(&["verify", "data.alice.sig", "alice.cert"], DATA);
    assert_eq!(good.status.code(), Some(0), "{}", explain("verify", &good));
    let via_sigwatch = sopv(&w.dir, ["verify", "data.alice.sig", "alice.cert"])
        .stdin(DATA)
        .assert_code(0);
    assert_eq!(String::from_utf8_lossy(&good.stdout), via_sigwatch.stdout());
    let bad = run(&["verify", "data.alice.sig", "bob.cert"], DATA);
    assert_eq!(bad.status.code(), Some(3), "{}", explain("unpinned", &bad));
    assert!(bad.stdout.is_empty());
    let sub = run(&["fetch", "x"], b"");
    assert_eq!(
        sub.status.code(),
        Some(69),
        "{}",
        explain("sigwatch's own subcommands are not sopv's", &sub)
    );
}

#[test]
fn failing_to_write_stdout_is_unspecified_failure() {
    let w = World::new("sopv-full");
    let out = sh(
        &w.dir,
        "$SOPV verify data.alice.sig alice.cert <data >/dev/full",
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        explain("stdout on /dev/full", &out)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("writing standard output"),
        "{}",
        explain("names what failed", &out)
    );
}

#[test]
fn unsigned_message_is_no_signature_and_prints_nothing() {
    let w = World::new("sopv-unsigned");
    let mut msg = Vec::new();
    {
        let message = Message::new(&mut msg);
        let mut lit = LiteralWriter::new(message).build().expect("literal");
        lit.write_all(DATA).expect("writing");
        lit.finalize().expect("finishing");
    }
    let out = sopv(&w.dir, ["inline-verify", "alice.cert"])
        .stdin(msg)
        .assert_code(3);
    assert_no_stdout(&out);
    out.assert_stderr_contains(&["carries no signature"]);
}
