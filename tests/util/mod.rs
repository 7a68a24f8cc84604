//! Integration-test harness: a fresh temporary directory per test, the real `sigwatch` binary
//! run inside it, and failures that explain themselves (command, cwd, directory listing, exit
//! status, stdout, stderr), in the manner of ripgrep's `tests/util.rs`.
//!
//! Also [`Fixtures`]: the facts of `tests/fixtures/manifest.toml`, read once. Fixture
//! fingerprints change whenever the fixtures are regenerated, so tests take them from here and
//! never spell them out.
//!
//! Also [`World`] (in `world.rs`): a directory, a loopback server ([`server`]) and an upstream
//! key, for tests that publish releases and run `fetch`/`check`/`verify` against them.
//!
//! Every test binary that wants this says `mod util;`; not all of them use every helper.

#![allow(dead_code)]

// The loopback server, for the worlds here. Test binaries that still say `mod server;`
// themselves compile a second copy; either works, but do not mix the two in one file.
#[allow(clippy::duplicate_mod)]
#[path = "../server/mod.rs"]
pub mod server;
pub mod world;

#[allow(unused_imports)] // not every test binary uses a World
pub use world::World;

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{self, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;
use sha2::{Digest as _, Sha256};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_sigwatch");

/// Numbers the test directories, so a listing of the temp dir reads in creation order.
static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty temporary directory for one test, removed when dropped.
pub struct TestDir {
    dir: tempfile::TempDir,
    name: String,
}

impl TestDir {
    /// Creates `sigwatch-NAME-N-XXXX` under the system temp directory.
    pub fn new(name: &str) -> TestDir {
        let id = NEXT_ID.fetch_add(1, Ordering::SeqCst);
        let dir = tempfile::Builder::new()
            .prefix(&format!("sigwatch-{name}-{id}-"))
            .tempdir()
            .expect("creating a temporary test directory");
        TestDir {
            dir,
            name: name.to_string(),
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `rel` inside the directory.
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes `contents` to `rel` (creating parent directories) and returns its path.
    pub fn write(&self, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("creating {}: {e}", parent.display()));
        }
        std::fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        path
    }

    /// Copies `src` (any path) to `rel` in the directory and returns the copy's path.
    pub fn copy(&self, src: impl AsRef<Path>, rel: impl AsRef<Path>) -> PathBuf {
        let src = src.as_ref();
        let bytes = std::fs::read(src).unwrap_or_else(|e| panic!("reading {}: {e}", src.display()));
        self.write(rel, bytes)
    }

    /// A command running the real binary with these arguments, cwd = this directory,
    /// `NO_COLOR=1`.
    pub fn cmd<I, S>(&self, args: I) -> TestCommand
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = process::Command::new(BIN);
        cmd.current_dir(self.path())
            .env("NO_COLOR", "1")
            .env_remove("CLICOLOR_FORCE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut test = TestCommand {
            cmd,
            args: Vec::new(),
            dir: self.path().to_path_buf(),
            stdin: None,
        };
        test.args(args);
        test
    }

    /// Every file under the directory with its size, one per line (for failure messages).
    pub fn listing(&self) -> String {
        listing(self.path())
    }
}

impl std::fmt::Debug for TestDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestDir({}: {})", self.name, self.path().display())
    }
}

fn listing(root: &Path) -> String {
    fn walk(root: &Path, dir: &Path, out: &mut String) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let rel = path.strip_prefix(root).unwrap_or(&path);
            match entry.metadata() {
                Ok(m) if m.is_dir() => {
                    let _ = writeln!(out, "  {}/", rel.display());
                    walk(root, &path, out);
                }
                Ok(m) => {
                    let _ = writeln!(out, "  {} ({} bytes)", rel.display(), m.len());
                }
                Err(e) => {
                    let _ = writeln!(out, "  {} (unreadable: {e})", rel.display());
                }
            }
        }
    }
    let mut out = String::new();
    walk(root, root, &mut out);
    if out.is_empty() {
        out.push_str("  (empty)\n");
    }
    out
}

/// The real binary, about to run in a [`TestDir`].
pub struct TestCommand {
    cmd: process::Command,
    args: Vec<OsString>,
    dir: PathBuf,
    stdin: Option<Vec<u8>>,
}

impl TestCommand {
    /// Adds one argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Self {
        self.args.push(arg.as_ref().to_owned());
        self.cmd.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for a in args {
            self.arg(a);
        }
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Self {
        self.cmd.env(key, value);
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Self {
        self.cmd.env_remove(key);
        self
    }

    /// Feeds these bytes to the child's stdin (default: no stdin).
    pub fn stdin(&mut self, bytes: impl Into<Vec<u8>>) -> &mut Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// The command line, shell-quoted enough to paste.
    pub fn command_line(&self) -> String {
        std::iter::once(OsString::from(BIN))
            .chain(self.args.iter().cloned())
            .map(|a| shell_quote(&a.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Runs the command to completion; never panics on a non-zero exit.
    pub fn run(&mut self) -> Output {
        if self.stdin.is_some() {
            self.cmd.stdin(Stdio::piped());
        }
        let mut child = self
            .cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {}: {e}", self.command_line()));
        if let Some(bytes) = self.stdin.take() {
            let mut stdin = child.stdin.take().expect("stdin was piped");
            // A writer thread, so a child that fills its stdout pipe before reading all of
            // stdin cannot deadlock us.
            std::thread::spawn(move || {
                let _ = stdin.write_all(&bytes);
            });
        }
        let output = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("waiting for {}: {e}", self.command_line()));
        Output {
            command_line: self.command_line(),
            dir: self.dir.clone(),
            listing: listing(&self.dir),
            output,
            case: None,
        }
    }

    /// Runs the command and panics, explaining everything, unless it exits with `code`.
    pub fn assert_code(&mut self, code: i32) -> Output {
        let out = self.run();
        out.assert_code(code);
        out
    }
}

fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// What a finished command did, with what is needed to explain a failed assertion.
pub struct Output {
    command_line: String,
    dir: PathBuf,
    listing: String,
    output: process::Output,
    case: Option<String>,
}

impl Output {
    /// The exit code (-1 when killed by a signal).
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    /// Stdout as text (lossy).
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    /// Stderr as text (lossy).
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Stdout parsed as one JSON value; panics (explaining) if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.output.stdout)
            .unwrap_or_else(|e| self.fail(&format!("stdout is not one JSON value: {e}")))
    }

    /// The same output, with every failure message starting with `case` (the row of a table
    /// of cases), so a failure says which case it was.
    pub fn in_case(mut self, case: &str) -> Output {
        self.case = Some(case.to_string());
        self
    }

    /// Panics with `msg` and everything about the run.
    pub fn fail(&self, msg: &str) -> ! {
        let msg = match &self.case {
            Some(case) => format!("case {case}: {msg}"),
            None => msg.to_string(),
        };
        panic!(
            "\n{msg}\n\n\
             command: {}\n\
             cwd: {}\n\
             directory listing:\n{}\
             exit status: {}\n\n\
             stdout:\n{}\n\
             stderr:\n{}\n",
            self.command_line,
            self.dir.display(),
            self.listing,
            self.output.status,
            indent(&self.stdout()),
            indent(&self.stderr()),
        )
    }

    /// Panics, explaining, unless the exit code is `code`; also fails on any Rust panic.
    pub fn assert_code(&self, code: i32) -> &Self {
        if self.code() != code {
            self.fail(&format!("expected exit code {code}, got {}", self.code()));
        }
        self.assert_no_panic()
    }

    /// Panics, explaining, if the binary panicked.
    pub fn assert_no_panic(&self) -> &Self {
        if self.stderr().contains("panicked") || self.code() == 101 {
            self.fail("the binary panicked");
        }
        self
    }

    /// Panics, explaining, unless stdout contains every one of `needles`.
    pub fn assert_stdout_contains(&self, needles: &[&str]) -> &Self {
        let stdout = self.stdout();
        for n in needles {
            if !stdout.contains(n) {
                self.fail(&format!("stdout does not contain {n:?}"));
            }
        }
        self
    }

    /// Panics, explaining, unless stderr contains every one of `needles`.
    pub fn assert_stderr_contains(&self, needles: &[&str]) -> &Self {
        let stderr = self.stderr();
        for n in needles {
            if !stderr.contains(n) {
                self.fail(&format!("stderr does not contain {n:?}"));
            }
        }
        self
    }

    /// Panics, explaining, if stderr contains `needle`.
    pub fn assert_stderr_lacks(&self, needle: &str) -> &Self {
        if self.stderr().contains(needle) {
            self.fail(&format!("stderr unexpectedly contains {needle:?}"));
        }
        self
    }

    /// Panics, explaining, unless `cond` holds.
    pub fn check(&self, cond: bool, msg: &str) -> &Self {
        if !cond {
            self.fail(msg);
        }
        self
    }
}

fn indent(s: &str) -> String {
    if s.is_empty() {
        return "  (empty)\n".into();
    }
    s.lines().map(|l| format!("  {l}\n")).collect()
}

/// A manifest value that is a string for single-signature files and a list for several.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One value.
    One(String),
    /// One value per signature, in packet order.
    Many(Vec<String>),
}

impl OneOrMany {
    /// Every value, in order.
    pub fn all(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }

    /// The first value.
    pub fn first(&self) -> &str {
        self.all()[0]
    }
}

/// `[keys.NAME]` of the manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyFacts {
    /// Key file, relative to `tests/fixtures`.
    pub file: String,
    /// Primary fingerprint, uppercase hex.
    pub fingerprint: String,
    /// "RSA", "EdDSA", "ECDSA", "DSA".
    pub algorithm: String,
    /// Key size in bits.
    pub bits: u32,
    /// Whether the primary key has the signing flag.
    pub primary_can_sign: bool,
    /// Fingerprints of signing subkeys.
    #[serde(default)]
    pub signing_subkeys: Vec<String>,
    /// Fingerprints of all subkeys.
    #[serde(default)]
    pub subkeys: Vec<String>,
    /// Creation time, RFC 3339.
    pub created: String,
    /// Expiry time, RFC 3339, if any.
    pub expires: Option<String>,
    /// Whether the certificate is revoked.
    pub revoked: bool,
    /// User IDs.
    #[serde(default)]
    pub uids: Vec<String>,
}

/// `[keyrings.NAME]` of the manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyringFacts {
    /// Keyring file, relative to `tests/fixtures`.
    pub file: String,
    /// Whether it is armored.
    pub armored: bool,
    /// Primary fingerprints in file order (duplicates included).
    pub fingerprints: Vec<String>,
    /// Primary fingerprints without duplicates.
    pub unique_fingerprints: Vec<String>,
    /// For `glued`: rsa2048's user IDs once its copies are merged.
    #[serde(default)]
    pub rsa2048_uids_after_merge: Vec<String>,
}

/// `[sigs.CASE]` of the manifest: one (signature file, data file, keyring) case.
#[derive(Debug, Clone, Deserialize)]
pub struct SigFacts {
    /// Signature file, relative to `tests/fixtures`.
    pub file: String,
    /// Data file, relative to `tests/fixtures`.
    pub data: String,
    /// Key names making up the keyring of this case.
    pub keyring: Vec<String>,
    /// The key name to pin.
    pub key: String,
    /// Number of signatures in the file (absent for non-signatures).
    pub signatures: Option<usize>,
    /// Fingerprint of the (sub)key that made the signature.
    pub signing_key: Option<String>,
    /// Same, for files with several signatures.
    pub signing_keys: Option<Vec<String>>,
    /// Signature creation time(s), RFC 3339.
    pub created: Option<OneOrMany>,
    /// Hash algorithm(s), e.g. "SHA256".
    pub hash: Option<OneOrMany>,
    /// Signature class(es), "0x00" binary, "0x01" text.
    pub sigclass: Option<OneOrMany>,
    /// What the case is.
    pub note: String,
}

#[derive(Debug, Deserialize)]
struct Manifest {
    keys: BTreeMap<String, KeyFacts>,
    keyrings: BTreeMap<String, KeyringFacts>,
    sigs: BTreeMap<String, SigFacts>,
}

/// The committed fixtures and the facts recorded about them.
#[derive(Debug)]
pub struct Fixtures {
    root: PathBuf,
    manifest: Manifest,
}

/// The fixtures, with `manifest.toml` parsed once per test binary.
pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(Fixtures::load)
}

impl Fixtures {
    fn load() -> Fixtures {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let path = root.join("manifest.toml");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let manifest =
            toml::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
        Fixtures { root, manifest }
    }

    /// The absolute path of `rel` under `tests/fixtures`.
    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.root.join(rel)
    }

    /// The facts about key `name`.
    pub fn key_facts(&self, name: &str) -> &KeyFacts {
        self.manifest
            .keys
            .get(name)
            .unwrap_or_else(|| panic!("manifest.toml has no [keys.{name}]"))
    }

    /// Key `name`: its file (absolute) and its primary fingerprint.
    pub fn key(&self, name: &str) -> (PathBuf, String) {
        let k = self.key_facts(name);
        (self.path(&k.file), k.fingerprint.clone())
    }

    /// The primary fingerprint of key `name`.
    pub fn fingerprint(&self, name: &str) -> String {
        self.key_facts(name).fingerprint.clone()
    }

    /// The facts about signature case `name`.
    pub fn sig(&self, name: &str) -> &SigFacts {
        self.manifest
            .sigs
            .get(name)
            .unwrap_or_else(|| panic!("manifest.toml has no [sigs.{name}]"))
    }

    /// The facts about keyring `name` (`glued`, `binary`).
    pub fn keyring(&self, name: &str) -> &KeyringFacts {
        self.manifest
            .keyrings
            .get(name)
            .unwrap_or_else(|| panic!("manifest.toml has no [keyrings.{name}]"))
    }

    /// A keyring holding keys `names`, concatenated into `dir`; a single key is copied too, so
    /// messages name a path inside the test directory.
    pub fn keyring_of(&self, dir: &TestDir, names: &[&str]) -> PathBuf {
        assert!(!names.is_empty(), "a keyring needs at least one key");
        let mut bytes = Vec::new();
        for name in names {
            let (path, _) = self.key(name);
            let key =
                std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            bytes.extend_from_slice(&key);
            if !bytes.ends_with(b"\n") {
                bytes.push(b'\n');
            }
        }
        dir.write(format!("keyring-{}.asc", names.join("+")), bytes)
    }
}

/// OpenPGP material made at runtime with Sequoia, for cases GnuPG 2.2 cannot make (v6 keys,
/// keys that expire relative to today, signatures with chosen times).
pub mod pgp {
    use std::io::Write as _;
    use std::time::{Duration, SystemTime};

    use sequoia_openpgp as openpgp;

    use openpgp::Cert;
    use openpgp::cert::prelude::*;
    use openpgp::packet::signature::SignatureBuilder;
    use openpgp::policy::StandardPolicy;
    use openpgp::serialize::SerializeInto as _;
    use openpgp::serialize::stream::{Armorer, Message, Signer};
    use openpgp::types::{ReasonForRevocation, SignatureType};

    /// What kind of certificate to make.
    #[derive(Debug, Clone)]
    pub struct CertSpec {
        /// The user ID.
        pub user_id: String,
        /// `openpgp::Profile::RFC9580` makes a v6 key, `RFC4880` a v4 key.
        pub profile: openpgp::Profile,
        /// When the key was made (default: an hour ago, so "now" signatures are after it).
        pub created: SystemTime,
        /// How long the key is valid, if it expires.
        pub validity: Option<Duration>,
    }

    impl CertSpec {
        /// A v4 Ed25519 key with a signing subkey, made an hour ago, not expiring.
        pub fn v4(user_id: &str) -> CertSpec {
            CertSpec {
                user_id: user_id.to_string(),
                profile: openpgp::Profile::RFC4880,
                created: SystemTime::now() - Duration::from_secs(3600),
                validity: None,
            }
        }

        /// The same, as a v6 key (RFC 9580; 64-hex fingerprint).
        pub fn v6(user_id: &str) -> CertSpec {
            CertSpec {
                profile: openpgp::Profile::RFC9580,
                ..CertSpec::v4(user_id)
            }
        }

        /// Generates the certificate (with secret keys; serialize with [`armored_public`]).
        pub fn generate(&self) -> Cert {
            let (cert, _rev) = CertBuilder::new()
                .set_profile(self.profile)
                .expect("profile is supported")
                .set_cipher_suite(CipherSuite::Cv25519)
                .set_creation_time(self.created)
                .set_validity_period(self.validity)
                .add_userid(self.user_id.as_str())
                .add_signing_subkey()
                .generate()
                .expect("generating a test certificate");
            cert
        }
    }

    /// A signer for a key whose secret part is in the (generated) certificate.
    pub fn keypair<P: openpgp::packet::key::KeyParts, R: openpgp::packet::key::KeyRole>(
        key: &openpgp::packet::Key<P, R>,
    ) -> openpgp::crypto::KeyPair {
        key.clone()
            .parts_into_secret()
            .expect("generated certificates carry secrets")
            .into_keypair()
            .expect("secret key is unencrypted")
    }

    /// The certificate's public part, ASCII-armored.
    pub fn armored_public(cert: &Cert) -> Vec<u8> {
        cert.armored()
            .to_vec()
            .expect("serializing a certificate to memory")
    }

    /// A detached signature over `data` by the certificate's signing subkey, made at `created`,
    /// optionally in text mode and armored.
    pub fn sign_detached(
        cert: &Cert,
        data: &[u8],
        created: SystemTime,
        text: bool,
        armor: bool,
    ) -> Vec<u8> {
        sign_with(cert, data, created, text, armor, |b| b)
    }

    /// An armored detached signature over `data` made now with the data hashed by `hash`
    /// (e.g. SHA-1, which Sequoia still makes when asked).
    pub fn sign_hashed(cert: &Cert, data: &[u8], hash: openpgp::types::HashAlgorithm) -> Vec<u8> {
        sign_inner(
            cert,
            data,
            SystemTime::now(),
            false,
            true,
            Some(hash),
            |b| b,
        )
    }

    /// Like [`sign_detached`], letting `template` adjust the signature (e.g. its validity).
    pub fn sign_with(
        cert: &Cert,
        data: &[u8],
        created: SystemTime,
        text: bool,
        armor: bool,
        template: impl FnOnce(SignatureBuilder) -> SignatureBuilder,
    ) -> Vec<u8> {
        sign_inner(cert, data, created, text, armor, None, template)
    }

    fn sign_inner(
        cert: &Cert,
        data: &[u8],
        created: SystemTime,
        text: bool,
        armor: bool,
        hash: Option<openpgp::types::HashAlgorithm>,
        template: impl FnOnce(SignatureBuilder) -> SignatureBuilder,
    ) -> Vec<u8> {
        let policy = StandardPolicy::new();
        let keypair = cert
            .keys()
            .secret()
            // Chosen now, not at `created`: some tests date signatures before the key existed.
            .with_policy(&policy, None)
            .supported()
            .for_signing()
            .next()
            .expect("the certificate has a signing key valid now")
            .key()
            .clone()
            .into_keypair()
            .expect("secret key is unencrypted");
        let typ = if text {
            SignatureType::Text
        } else {
            SignatureType::Binary
        };
        let mut out = Vec::new();
        {
            let mut message = Message::new(&mut out);
            if armor {
                message = Armorer::new(message)
                    .kind(openpgp::armor::Kind::Signature)
                    .build()
                    .expect("armorer");
            }
            let mut signer =
                Signer::with_template(message, keypair, template(SignatureBuilder::new(typ)))
                    .expect("signer")
                    .creation_time(created)
                    .detached();
            if let Some(hash) = hash {
                signer = signer.hash_algo(hash).expect("a hash Sequoia implements");
            }
            let mut signer = signer.build().expect("building the signer");
            signer.write_all(data).expect("hashing data in memory");
            signer.finalize().expect("finishing the signature");
        }
        out
    }

    /// The certificate with its first subkey revoked at `when` for `reason`.
    pub fn revoke_first_subkey(
        cert: &Cert,
        reason: ReasonForRevocation,
        message: &str,
        when: SystemTime,
    ) -> Cert {
        let mut primary = cert
            .primary_key()
            .key()
            .clone()
            .parts_into_secret()
            .expect("generated certificates carry secrets")
            .into_keypair()
            .expect("secret key is unencrypted");
        let subkey = cert
            .keys()
            .subkeys()
            .next()
            .expect("the certificate has a subkey");
        let rev = SubkeyRevocationBuilder::new()
            .set_signature_creation_time(when)
            .expect("creation time")
            .set_reason_for_revocation(reason, message.as_bytes())
            .expect("reason")
            .build(&mut primary, cert, subkey.key(), None)
            .expect("revoking the subkey");
        cert.clone()
            .insert_packets(rev)
            .expect("inserting the revocation")
            .0
    }

    /// Fingerprint of the certificate's primary key, uppercase hex.
    pub fn fingerprint(cert: &Cert) -> String {
        cert.fingerprint().to_hex()
    }

    /// Fingerprints of its subkeys, uppercase hex.
    pub fn subkey_fingerprints(cert: &Cert) -> Vec<String> {
        cert.keys()
            .subkeys()
            .map(|k| k.key().fingerprint().to_hex())
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Digests

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

// ---------------------------------------------------------------------------------------------
// Reading JSON reports

/// Panics, explaining the whole run, unless `actual == expected`.
pub fn expect(
    out: &Output,
    actual: &serde_json::Value,
    expected: impl Into<serde_json::Value>,
    what: &str,
) {
    let expected = expected.into();
    out.check(
        *actual == expected,
        &format!("{what}: expected {expected}, got {actual}"),
    );
}

/// Panics, explaining, unless the string at `actual` contains every needle.
pub fn expect_contains(out: &Output, actual: &serde_json::Value, needles: &[&str], what: &str) {
    let text = actual.as_str().unwrap_or_default();
    for n in needles {
        out.check(
            text.contains(n),
            &format!("{what}: {actual} does not contain {n:?}"),
        );
    }
}

/// The one project of a `check`/`fetch --json` report; panics, explaining, unless there is
/// exactly one.
pub fn only_project(out: &Output) -> serde_json::Value {
    let json = out.json();
    let projects = json["projects"].as_array().cloned().unwrap_or_default();
    out.check(projects.len() == 1, "expected exactly one project");
    projects[0].clone()
}

/// Strings of a JSON array (empty when it is not one).
pub fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// An import report's notes as (severity, `file:line: message`).
pub fn import_notes(j: &serde_json::Value) -> Vec<(String, String)> {
    j["notes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|n| {
                    let place = match n["line"].as_u64() {
                        Some(l) => format!("{}:{l}", n["file"].as_str().unwrap_or("")),
                        None => n["file"].as_str().unwrap_or("").to_string(),
                    };
                    (
                        n["severity"].as_str().unwrap_or("").to_string(),
                        format!("{place}: {}", n["message"].as_str().unwrap_or("")),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The text of the watch file an import wrote to `out/NAME.toml`.
pub fn written(dir: &TestDir, name: &str) -> String {
    let p = dir.join("out").join(format!("{name}.toml"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The sha256 of a file, lowercase hex.
#[allow(dead_code)]
pub fn sha256_file(path: &Path) -> String {
    use sha2::Digest as _;
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compressed fixtures, made at test time with the encoders of the crates sigwatch decodes with.
pub mod compress {
    use std::io::Write as _;

    /// gzip, at the default level.
    pub fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).expect("gzip in memory");
        enc.finish().expect("gzip in memory")
    }

    /// xz, preset 6 with a CRC64 check (what `xz` writes by default).
    pub fn xz(data: &[u8]) -> Vec<u8> {
        let mut enc = lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(6))
            .expect("xz in memory");
        enc.write_all(data).expect("xz in memory");
        enc.finish().expect("xz in memory")
    }

    /// bzip2, at the default level.
    pub fn bzip2(data: &[u8]) -> Vec<u8> {
        let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        enc.write_all(data).expect("bzip2 in memory");
        enc.finish().expect("bzip2 in memory")
    }

    /// Zstandard, at the fastest level.
    pub fn zstd(data: &[u8]) -> Vec<u8> {
        ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
    }

    /// A stand-in for an uncompressed release tarball: `label` repeated, about 40 KiB, so
    /// every format needs more than one block of output.
    pub fn tar(label: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..2000 {
            out.extend_from_slice(format!("{label} line {i} of a pretend tar\n").as_bytes());
        }
        out
    }
}
