//! `check`/`fetch` with `[sigstore]`: a loopback PEP 691 index serving PEP 740 provenance
//! (by the file's `provenance` URL, or PyPI's integrity API as the fallback), and URL sources
//! with bundle templates. The proofs are made at test time by a private Sigstore instance
//! (tests/fulcio) whose `trusted_root.json` the watch files name.

mod fulcio;
mod util;

use fulcio::{Content, Instance, PUBLISH, Signing};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use util::server::Response;
use util::world::{entry, sign, tarball};
use util::{Output, World};

const SAN: &str = "https://github.com/owner/repo/.github/workflows/release.yml@refs/tags/v1.0";
const SAN_V11: &str = "https://github.com/owner/repo/.github/workflows/release.yml@refs/tags/v1.1";
const FORK_SAN: &str = "https://github.com/owner/fork/.github/workflows/release.yml@refs/tags/v1.2";
const PUBLISHER: &str = "github:owner/repo/release.yml";

/// What this file runs in a [`World`].
impl World {
    /// The trust root of `instance`, written beside the watch files.
    fn trust(&self, instance: &Instance) {
        self.dir.write("trusted_root.json", instance.trusted_root());
    }

    /// A watch file for PyPI project `demo` on this server, pinning `publishers`, with
    /// `[keys]` pinning upstream when `keys`.
    fn sigstore_watch(&self, publishers: &[&str], keys: bool, extra: &str) {
        let publishers: Vec<String> = publishers.iter().map(|p| format!("{p:?}")).collect();
        let keys = if keys {
            format!(
                "[keys]\nkeyring = \"{}\"\nfingerprints = [\"{}\"]\n",
                util::world::KEYRING,
                self.fpr()
            )
        } else {
            String::new()
        };
        self.dir.write(
            "demo.toml",
            format!(
                "[source]\n{}\n{keys}[sigstore]\npublishers = [{}]\ntrusted_root = \"trusted_root.json\"\n{extra}",
                self.pypi("demo"),
                publishers.join(", ")
            ),
        );
    }

    fn fetch_demo(&self, extra: &[&str]) -> Output {
        self.dir
            .cmd(["fetch", "demo.toml", "--dest", "dest", "--json"])
            .args(["--retries", "0", "--timeout", "5"])
            .args(extra)
            .run()
    }
}

/// A PEP 740 provenance object for `name` with `bytes`, published by `san`.
fn provenance(instance: &Instance, san: &str, name: &str, bytes: &[u8]) -> Vec<u8> {
    let digest: [u8; 32] = Sha256::digest(bytes).into();
    let bundle = instance.sign(
        &Signing::github(san),
        Content::Dsse(&fulcio::statement(name, &digest, PUBLISH)),
    );
    fulcio::as_provenance(&[fulcio::as_attestation(&bundle)])
        .to_string()
        .into_bytes()
}

/// Serves `/files/NAME` and its provenance at `/provenance/NAME`, and returns the PEP 691
/// entry naming that provenance URL.
fn publish_with_provenance(world: &World, name: &str, bytes: &[u8], proof: Vec<u8>) -> Value {
    world.server.file(&format!("/files/{name}"), bytes.to_vec());
    world.server.file(&format!("/provenance/{name}"), proof);
    let mut e = entry(name, bytes);
    e["provenance"] = json!(format!("../../provenance/{name}"));
    e
}

/// Everything a run said, stdout (the JSON report, errors included) and stderr.
fn said(out: &Output) -> String {
    out.stdout() + &out.stderr()
}

/// Serves demo 1.0 on the index with its provenance, published by `san` under `signer`'s
/// Sigstore instance; returns the file's name and bytes.
fn publish_demo(world: &World, signer: &Instance, san: &str) -> (&'static str, Vec<u8>) {
    let bytes = tarball("demo 1.0");
    let name = "demo-1.0.tar.gz";
    let e = publish_with_provenance(world, name, &bytes, provenance(signer, san, name, &bytes));
    world.json_index("demo", &[e]);
    (name, bytes)
}

fn json(out: &Output) -> Value {
    let j: Value = out.json();
    j["projects"][0].clone()
}

#[test]
fn fetch_places_file_and_provenance_only_after_the_pinned_publisher_verifies() {
    let world = World::new("sigstore-fetch-good");
    let instance = Instance::new(1);
    world.trust(&instance);
    let (name, bytes) = publish_demo(&world, &instance, SAN);
    world.sigstore_watch(&[PUBLISHER], false, "");

    let out = world.fetch_demo(&[]);
    out.assert_code(0);
    assert_eq!(
        world.dest_names(),
        vec![name.to_string(), format!("{name}.provenance")]
    );
    assert_eq!(world.placed(name), bytes);
    let file = &json(&out)["files"][0];
    assert_eq!(file["verdict"], "verified", "{file}");
    assert_eq!(file["sigstore"]["identity"], SAN);
    assert_eq!(file["sigstore"]["log_index"], 1);
    assert_eq!(file["sigstore"]["proof_kind"], "provenance");
    assert!(
        file["sigstore_url"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/provenance/{name}"))),
        "{file}"
    );
    let lock = std::fs::read_to_string(world.dir.join("demo.toml.lock")).unwrap();
    assert!(lock.contains(&format!("identity = \"{SAN}\"")), "{lock}");
    assert!(lock.contains("log_index = 1"), "{lock}");
    assert!(!lock.contains("certificate ="), "no OpenPGP signer: {lock}");
}

#[test]
fn fetch_falls_back_to_the_integrity_api_when_the_index_names_no_provenance() {
    let world = World::new("sigstore-fetch-integrity");
    let instance = Instance::new(1);
    world.trust(&instance);
    let bytes = tarball("demo 1.0");
    let name = "demo-1.0.tar.gz";
    world.server.file(&format!("/files/{name}"), bytes.clone());
    world.server.file(
        &format!("/integrity/demo/1.0/{name}/provenance"),
        provenance(&instance, SAN, name, &bytes),
    );
    world.json_index("demo", &[entry(name, &bytes)]);
    world.sigstore_watch(&[PUBLISHER], false, "");

    let out = world.fetch_demo(&[]);
    out.assert_code(0);
    assert!(world.dest_names().contains(&format!("{name}.provenance")));
    assert!(
        json(&out)["files"][0]["sigstore_url"]
            .as_str()
            .is_some_and(|u| u.contains("/integrity/demo/1.0/")),
        "{}",
        out.stdout()
    );
}

#[test]
fn another_publisher_is_refused_naming_the_certificate_and_nothing_is_placed() {
    let world = World::new("sigstore-fetch-fork");
    let instance = Instance::new(1);
    world.trust(&instance);
    publish_demo(&world, &instance, FORK_SAN);
    world.sigstore_watch(&[PUBLISHER], false, "");

    let out = world.fetch_demo(&[]);
    out.assert_code(1);
    assert!(world.dest_names().is_empty(), "{:?}", world.dest_names());
    assert!(said(&out).contains(FORK_SAN), "{}", said(&out));
    assert!(!world.dir.join("demo.toml.lock").exists());
}

#[test]
fn tampered_bytes_and_another_files_provenance_are_refused() {
    let world = World::new("sigstore-fetch-tampered");
    let instance = Instance::new(1);
    world.trust(&instance);
    let good = tarball("demo 1.0");
    let evil = tarball("demo 1.0 with a backdoor");
    // The index's own digest matches the evil bytes: only the attestation catches them.
    let e = publish_with_provenance(
        &world,
        "demo-1.0.tar.gz",
        &evil,
        provenance(&instance, SAN, "demo-1.0.tar.gz", &good),
    );
    world.json_index("demo", &[e]);
    world.sigstore_watch(&[PUBLISHER], false, "");
    let out = world.fetch_demo(&[]);
    out.assert_code(1);
    assert!(world.dest_names().is_empty(), "{:?}", world.dest_names());

    // The wheel's attestation offered for the sdist: it names another file.
    let other = World::new("sigstore-fetch-other-file");
    other.trust(&instance);
    let bytes = tarball("demo 1.0");
    let e = publish_with_provenance(
        &other,
        "demo-1.0.tar.gz",
        &bytes,
        provenance(&instance, SAN, "demo-1.0-py3-none-any.whl", &bytes),
    );
    other.json_index("demo", &[e]);
    other.sigstore_watch(&[PUBLISHER], false, "");
    let out = other.fetch_demo(&[]);
    out.assert_code(1);
    assert!(
        said(&out).contains("demo-1.0-py3-none-any.whl"),
        "{}",
        said(&out)
    );
    assert!(other.dest_names().is_empty());
}

#[test]
fn a_staging_signature_fails_under_the_watch_files_trust_root() {
    let world = World::new("sigstore-fetch-staging");
    world.trust(&Instance::new(1));
    let staging = Instance::new(7);
    publish_demo(&world, &staging, SAN);
    world.sigstore_watch(&[PUBLISHER], false, "");
    world.fetch_demo(&[]).assert_code(1);
    assert!(world.dest_names().is_empty());
}

#[test]
fn missing_provenance_is_refused_naming_every_url_tried_and_trusted_publishing() {
    let world = World::new("sigstore-fetch-missing");
    world.trust(&Instance::new(1));
    let bytes = tarball("demo 1.0");
    world.server.file("/files/demo-1.0.tar.gz", bytes.clone());
    world.json_index("demo", &[entry("demo-1.0.tar.gz", &bytes)]);
    world.sigstore_watch(&[PUBLISHER], false, "");
    let out = world.fetch_demo(&[]);
    out.assert_code(1);
    assert!(
        said(&out).contains("no Sigstore proof found"),
        "{}",
        said(&out)
    );
    assert!(
        said(&out).contains("/integrity/demo/1.0/demo-1.0.tar.gz/provenance"),
        "{}",
        said(&out)
    );
    assert!(said(&out).contains("Trusted Publish"), "{}", said(&out));
    assert!(world.dest_names().is_empty());
}

#[test]
fn with_keys_and_sigstore_both_must_pass() {
    let world = World::new("sigstore-fetch-both");
    let instance = Instance::new(1);
    world.trust(&instance);
    let bytes = tarball("demo 1.0");
    let name = "demo-1.0.tar.gz";
    world
        .server
        .file(&format!("/files/{name}.asc"), sign(&world.upstream, &bytes));
    let e = publish_with_provenance(
        &world,
        name,
        &bytes,
        provenance(&instance, SAN, name, &bytes),
    );
    world.json_index("demo", &[e]);

    // OpenPGP passes, the publisher is not the pinned one: refused.
    world.sigstore_watch(&["github:owner/fork/release.yml"], true, "");
    world.fetch_demo(&[]).assert_code(1);
    assert!(world.dest_names().is_empty(), "{:?}", world.dest_names());

    // Both pass: the file, its signature and its provenance are placed, both signers recorded.
    world.sigstore_watch(&[PUBLISHER], true, "");
    let out = world.fetch_demo(&[]);
    out.assert_code(0);
    assert_eq!(
        world.dest_names(),
        vec![
            name.to_string(),
            format!("{name}.asc"),
            format!("{name}.provenance")
        ]
    );
    let file = &json(&out)["files"][0];
    assert_eq!(file["signer"], world.fpr());
    assert_eq!(file["sigstore"]["identity"], SAN);
    // The file's SHA-256 (computed once, by the Sigstore proof) is reported and recorded.
    let sha256 = util::sha256_hex(&bytes);
    assert_eq!(file["sha256"], sha256.as_str(), "{file}");
    let lock = std::fs::read_to_string(world.dir.join("demo.toml.lock")).unwrap();
    assert!(lock.contains(&world.fpr()) && lock.contains(SAN), "{lock}");
    assert!(lock.contains(&sha256), "{lock}");

    // The signature missing: refused although the provenance verifies.
    let other = World::new("sigstore-fetch-both-nosig");
    other.trust(&instance);
    let e = publish_with_provenance(
        &other,
        name,
        &bytes,
        provenance(&instance, SAN, name, &bytes),
    );
    other.json_index("demo", &[e]);
    other.sigstore_watch(&[PUBLISHER], true, "");
    other.fetch_demo(&[]).assert_code(1);
    assert!(other.dest_names().is_empty());
}

#[test]
fn another_publisher_is_announced_the_same_workflow_at_a_new_tag_is_not_and_lint_names_unused_pins()
{
    let world = World::new("sigstore-fetch-rotation");
    let instance = Instance::new(1);
    world.trust(&instance);
    let v1 = tarball("demo 1.0");
    let e1 = publish_with_provenance(
        &world,
        "demo-1.0.tar.gz",
        &v1,
        provenance(&instance, SAN, "demo-1.0.tar.gz", &v1),
    );
    world.json_index("demo", std::slice::from_ref(&e1));
    world.sigstore_watch(&[PUBLISHER, "github:owner/fork/release.yml"], false, "");
    world.fetch_demo(&[]).assert_code(0);

    // Only owner/repo has published so far: lint says owner/fork matched nothing.
    let lint = world.dir.cmd(["lint", "demo.toml", "--json"]).run();
    assert!(
        lint.stdout().contains("sigstore-pin-unmatched"),
        "{}",
        lint.stdout()
    );
    assert!(lint.stdout().contains("owner/fork"), "{}", lint.stdout());
    assert!(
        !lint.stdout().contains("owner/repo/.github"),
        "{}",
        lint.stdout()
    );

    // The same workflow releasing the next tag is the same publisher: no notice.
    let v11 = tarball("demo 1.1");
    let e11 = publish_with_provenance(
        &world,
        "demo-1.1.tar.gz",
        &v11,
        provenance(&instance, SAN_V11, "demo-1.1.tar.gz", &v11),
    );
    world.json_index("demo", &[e1.clone(), e11.clone()]);
    let out = world.fetch_demo(&[]);
    out.assert_code(0);
    let notices = json(&out)["notices"].to_string();
    assert!(!notices.contains("publisher changed"), "{notices}");

    // Another pinned publisher (the fork) is announced.
    let v12 = tarball("demo 1.2");
    let e12 = publish_with_provenance(
        &world,
        "demo-1.2.tar.gz",
        &v12,
        provenance(&instance, FORK_SAN, "demo-1.2.tar.gz", &v12),
    );
    world.json_index("demo", &[e1, e11, e12]);
    let out = world.fetch_demo(&[]);
    out.assert_code(0);
    let notices = json(&out)["notices"].to_string();
    assert!(
        notices.contains("publisher changed") && notices.contains(FORK_SAN),
        "{notices}"
    );
}

#[test]
fn url_sources_use_the_bundle_templates_in_order() {
    let world = World::new("sigstore-fetch-url");
    let instance = Instance::new(1);
    world.trust(&instance);
    let bytes = tarball("tool 2.0");
    let name = "tool-2.0.tar.gz";
    let digest: [u8; 32] = Sha256::digest(&bytes).into();
    let bundle = instance.sign(&Signing::github(SAN), Content::Message(digest));
    world.server.file(&format!("/rel/{name}"), bytes.clone());
    world
        .server
        .file(&format!("/bundles/{name}.sigstore"), bundle.to_string());
    world.server.respond(
        "/rel/",
        Response::ok(format!("<a href=\"{name}\">{name}</a>")).header("Content-Type", "text/html"),
    );
    world.dir.write(
        "tool.toml",
        format!(
            "[source]\nurl = \"{}\"\npattern = 'tool-(?P<version>[0-9.]+)\\.tar\\.gz'\n[sigstore]\nidentities = [{{ identity = \"{SAN}\", issuer = \"https://token.actions.githubusercontent.com\" }}]\nbundle = [\"{{url}}.sigstore.json\", \"{}/bundles/{{filename}}.sigstore\"]\ntrusted_root = \"trusted_root.json\"\n",
            world.server.url("/rel/"),
            world.server.url("").trim_end_matches('/'),
        ),
    );
    let out = world
        .dir
        .cmd([
            "fetch",
            "tool.toml",
            "--dest",
            "dest",
            "--json",
            "--retries",
            "0",
        ])
        .run();
    out.assert_code(0);
    assert_eq!(
        world.dest_names(),
        vec![name.to_string(), format!("{name}.sigstore")]
    );
    assert_eq!(world.server.hits(&format!("/rel/{name}.sigstore.json")), 1);
}

#[test]
fn check_names_the_provenance_url_without_downloading_anything() {
    let world = World::new("sigstore-check");
    world.trust(&Instance::new(1));
    let bytes = tarball("demo 1.0");
    let e = publish_with_provenance(&world, "demo-1.0.tar.gz", &bytes, b"{}".to_vec());
    world.json_index("demo", &[e]);
    world.sigstore_watch(&[PUBLISHER], false, "");
    let out = world
        .dir
        .cmd(["check", "demo.toml", "--json", "--retries", "0"])
        .run();
    out.assert_code(0);
    let file = &json(&out)["files"][0];
    assert!(
        file["sigstore_url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/provenance/demo-1.0.tar.gz")),
        "{file}"
    );
    assert!(
        file.get("signature_url").is_none_or(Value::is_null),
        "{file}"
    );
    assert_eq!(world.server.hits("/provenance/demo-1.0.tar.gz"), 0);
}

#[test]
fn add_with_a_publisher_alone_writes_a_sigstore_watch_file_and_no_keyring() {
    let world = World::new("sigstore-add");
    let out = world
        .dir
        .cmd([
            "add",
            "--pypi",
            "demo",
            "--publisher",
            PUBLISHER,
            "--dir",
            "w",
        ])
        .run();
    out.assert_code(0);
    let text = std::fs::read_to_string(world.dir.join("w/demo.toml")).unwrap();
    assert!(
        text.contains("[sigstore]") && text.contains(&format!("publishers = [\"{PUBLISHER}\"]")),
        "{text}"
    );
    assert!(!text.contains("[keys]"), "{text}");
    assert!(!world.dir.join("w/keyrings").exists());
    // What was written is what `lint` and `check` read.
    world.dir.cmd(["lint", "w/demo.toml"]).run().assert_code(0);

    // A malformed spec is a usage error naming it, and nothing is written.
    let out = world
        .dir
        .cmd([
            "add",
            "--pypi",
            "other",
            "--publisher",
            "github:owner/repo",
            "--dir",
            "w",
        ])
        .run();
    out.assert_code(2);
    assert!(said(&out).contains("github:owner/repo"), "{}", said(&out));
    assert!(!world.dir.join("w/other.toml").exists());

    // Neither keys nor a publisher: clap says what is missing.
    world
        .dir
        .cmd(["add", "--pypi", "third", "--dir", "w"])
        .run()
        .assert_code(2);
}

#[test]
fn human_output_names_the_publisher_and_sigstore_watch_files_get_no_pypi_signature_warning() {
    let world = World::new("sigstore-human");
    let instance = Instance::new(1);
    world.trust(&instance);
    publish_demo(&world, &instance, SAN);
    world.sigstore_watch(&[PUBLISHER], false, "");
    let out = world
        .dir
        .cmd(["fetch", "demo.toml", "--dest", "dest", "--retries", "0"])
        .run();
    out.assert_code(0);
    assert!(
        out.stdout().contains(&format!("published by {SAN}"))
            && out.stdout().contains("log index 1"),
        "{}",
        said(&out)
    );

    // PyPI dropped .asc files: a watch file that looks for them is warned; one that pins a
    // publisher does not look for them, so it is not.
    world.dir.write(
        "pypi.toml",
        format!("[source]\npypi = \"demo\"\n[sigstore]\npublishers = [\"{PUBLISHER}\"]\n"),
    );
    let lint = world.dir.cmd(["lint", "pypi.toml", "--json"]).run();
    lint.assert_code(0);
    assert!(
        !lint.stdout().contains("pypi-no-signatures"),
        "{}",
        lint.stdout()
    );
}

#[test]
fn with_keys_and_sigstore_a_bad_signature_is_refused_though_the_provenance_verifies() {
    let world = World::new("sigstore-fetch-badsig");
    let instance = Instance::new(1);
    world.trust(&instance);
    let bytes = tarball("demo 1.0");
    let name = "demo-1.0.tar.gz";
    // A good signature by the pinned key, over other bytes.
    world.server.file(
        &format!("/files/{name}.asc"),
        sign(&world.upstream, b"other bytes"),
    );
    let e = publish_with_provenance(
        &world,
        name,
        &bytes,
        provenance(&instance, SAN, name, &bytes),
    );
    world.json_index("demo", &[e]);
    world.sigstore_watch(&[PUBLISHER], true, "");
    let out = world.fetch_demo(&[]);
    out.assert_code(1);
    assert!(world.dest_names().is_empty(), "{:?}", world.dest_names());
    assert_eq!(
        json(&out)["files"][0]["verdict"],
        "rejected",
        "{}",
        said(&out)
    );
}

#[test]
fn decompress_with_sigstore_checks_the_signature_over_the_content_and_provenance_over_the_file() {
    use std::io::Read as _;
    let world = World::new("sigstore-fetch-decompress");
    let instance = Instance::new(1);
    world.trust(&instance);
    let bytes = tarball("demo 1.0");
    let mut content = Vec::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_end(&mut content)
        .unwrap();
    let name = "demo-1.0.tar.gz";
    world.server.file(
        &format!("/files/{name}.asc"),
        sign(&world.upstream, &content),
    );
    let e = publish_with_provenance(
        &world,
        name,
        &bytes,
        provenance(&instance, SAN, name, &bytes),
    );
    world.json_index("demo", &[e]);
    world.sigstore_watch(&[PUBLISHER], true, "[signature]\ndecompress = true\n");
    let out = world.fetch_demo(&[]);
    out.assert_code(0);
    let file = &json(&out)["files"][0];
    assert_eq!(file["decompressed"], "gzip", "{file}");
    assert_eq!(file["sigstore"]["verdict"], "verified", "{file}");
    assert_eq!(world.placed(name), bytes);
}

#[test]
fn openpgp_only_fields_in_a_sigstore_only_watch_file_and_an_empty_bundle_list_are_refused() {
    let world = World::new("sigstore-watch-fields");
    world.trust(&Instance::new(1));
    for (extra, field) in [
        ("[signature]\ndecompress = true\n", "signature.decompress"),
        ("bundle = []\n", "sigstore.bundle"),
    ] {
        world.sigstore_watch(&[PUBLISHER], false, extra);
        let out = world.dir.cmd(["lint", "demo.toml"]).run().in_case(field);
        out.assert_code(1);
        assert!(said(&out).contains(field), "{field}: {}", said(&out));
    }
}
