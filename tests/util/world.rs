//! The world of one end-to-end test: a fresh directory, a loopback server, an upstream key and
//! the keyring at [`KEYRING`] that watch files point to. Helpers publish releases (artifact and
//! detached signature under `/files/`), serve PEP 691 index pages under `/simple/`, and write
//! watch files. A test file adds what only it needs in its own `impl World` block (this module
//! is compiled into each test binary, so the type is local to it).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sequoia_openpgp::Cert;
use serde_json::{Value, json};

use super::pgp::{self, CertSpec};
use super::server::{Response, Server};
use super::{TestDir, sha256_hex};

/// Where every world's keyring is, relative to its directory.
pub const KEYRING: &str = "keyrings/project.asc";

/// The PEP 691 media type.
pub const PEP691: &str = "application/vnd.pypi.simple.v1+json";

/// One test's world: a directory, a server, the upstream key, and the keyring at [`KEYRING`].
pub struct World {
    /// The test's directory: watch files, the keyring, `dest/`.
    pub dir: TestDir,
    /// The loopback server playing upstream.
    pub server: Server,
    /// The upstream key, the one watch files pin by default.
    pub upstream: Cert,
    /// Certificates the keyring holds after the upstream key (added by [`World::with_key`]),
    /// unpinned unless a test pins them.
    pub others: Vec<Cert>,
}

impl World {
    /// A world whose keyring holds the upstream key.
    pub fn new(name: &str) -> World {
        let world = World {
            dir: TestDir::new(name),
            server: Server::start(),
            upstream: CertSpec::v4("Upstream <up@example.org>").generate(),
            others: Vec::new(),
        };
        world.write_keyring(&[&world.upstream]);
        world
    }

    /// A world whose keyring holds exactly `certs` (the upstream key is made but left out), for
    /// tests that bring their own keys.
    pub fn with_keyring(name: &str, certs: &[&Cert]) -> World {
        let world = World::new(name);
        world.write_keyring(certs);
        world
    }

    /// The same world with `cert` added to the keyring after the upstream key and the others,
    /// and kept in [`World::others`].
    pub fn with_key(mut self, cert: Cert) -> World {
        self.others.push(cert);
        let certs: Vec<&Cert> = std::iter::once(&self.upstream)
            .chain(&self.others)
            .collect();
        self.write_keyring(&certs);
        self
    }

    /// The upstream key's primary fingerprint.
    pub fn fpr(&self) -> String {
        pgp::fingerprint(&self.upstream)
    }

    /// Writes the keyring holding these certificates (public parts), replacing it.
    pub fn write_keyring(&self, certs: &[&Cert]) {
        self.dir.write(KEYRING, armored_certs(certs));
    }

    /// The keyring's bytes.
    pub fn read_keyring(&self) -> Vec<u8> {
        std::fs::read(self.dir.join(KEYRING)).expect("reading the keyring")
    }

    /// Serves `bytes` at `/files/NAME` and `signer`'s signature at `/files/NAME.asc`;
    /// returns the PEP 691 entry (with sha256).
    pub fn publish(&self, name: &str, bytes: &[u8], signer: &Cert) -> Value {
        self.server.file(&format!("/files/{name}"), bytes.to_vec());
        self.server
            .file(&format!("/files/{name}.asc"), sign(signer, bytes));
        entry(name, bytes)
    }

    /// The PEP 691 JSON project page listing `files`.
    pub fn json_page(&self, project: &str, files: &[Value]) -> String {
        json!({"meta": {"api-version": "1.1"}, "name": project, "files": files}).to_string()
    }

    /// Serves a PEP 691 JSON project page at `/simple/PROJECT/`.
    pub fn json_index(&self, project: &str, files: &[Value]) {
        self.server.respond(
            &format!("/simple/{project}/"),
            Response::ok(self.json_page(project, files)).header("Content-Type", PEP691),
        );
    }

    /// `[source]` lines for PyPI project `project` on this server's `/simple/` index.
    pub fn pypi(&self, project: &str) -> String {
        format!(
            "pypi = \"{project}\"\nindex = \"{}\"\n",
            self.server.url("/simple/")
        )
    }

    /// Writes a watch file at `rel`: `top` lines, then `[source]` with `source`, `[keys]`
    /// pinning `pins` from the keyring (relative to the watch file), then `tail` (more keys
    /// lines, or more tables).
    pub fn watch(
        &self,
        rel: &str,
        top: &str,
        source: &str,
        pins: &[String],
        tail: &str,
    ) -> PathBuf {
        let depth = Path::new(rel).components().count() - 1;
        let keyring = format!("{}{KEYRING}", "../".repeat(depth));
        let pins: Vec<String> = pins.iter().map(|p| format!("\"{p}\"")).collect();
        self.dir.write(
            rel,
            format!(
                "{top}[source]\n{source}\n[keys]\nkeyring = \"{keyring}\"\nfingerprints = [{}]\n{tail}",
                pins.join(", ")
            ),
        )
    }

    /// Writes watch file `rel` for PyPI project `project` on this server, pinning upstream.
    pub fn pypi_watch(&self, rel: &str, project: &str) -> PathBuf {
        self.watch(rel, "", self.pypi(project).trim_end(), &[self.fpr()], "")
    }

    /// Names of the entries of `dest/` (empty when it does not exist), sorted.
    pub fn dest_names(&self) -> Vec<String> {
        names_in(&self.dir.join("dest"))
    }

    /// Bytes of `dest/NAME`.
    pub fn placed(&self, name: &str) -> Vec<u8> {
        let path = self.dir.join("dest").join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    }
}

/// Armored public parts of several certificates, each followed by a newline.
pub fn armored_certs(certs: &[&Cert]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for c in certs {
        bytes.extend(pgp::armored_public(c));
        bytes.push(b'\n');
    }
    bytes
}

/// An armored detached signature over `data`, made now by `cert`'s signing subkey.
pub fn sign(cert: &Cert, data: &[u8]) -> Vec<u8> {
    pgp::sign_detached(cert, data, SystemTime::now(), false, true)
}

/// Release bytes that look like a small sdist: a real gzip stream, so any content decoding
/// on the way would change them.
pub fn tarball(label: &str) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(format!("pretend tar of {label}\n").repeat(50).as_bytes())
        .expect("gzip in memory");
    enc.finish().expect("gzip in memory")
}

/// A PEP 691 file entry for a file served at `/files/NAME`, with its sha256.
pub fn entry(name: &str, bytes: &[u8]) -> Value {
    json!({
        "filename": name,
        "url": format!("../../files/{name}"),
        "hashes": {"sha256": sha256_hex(bytes)},
    })
}

/// Entry names in `dir`, sorted; empty when it does not exist.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
