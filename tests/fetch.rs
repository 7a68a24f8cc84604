//! `sigwatch check` and `sigwatch fetch`, end to end: the real binary against a loopback HTTP
//! server (tests/server) serving a PyPI-style simple index or a directory listing, release files
//! and detached signatures made at test time with Sequoia. Nothing here reaches the internet:
//! every watch file points at `http://127.0.0.1:PORT`, the only place plain http is allowed.

mod util;

use std::io::Write as _;
use std::path::PathBuf;
use std::time::SystemTime;

use sequoia_openpgp as openpgp;
use serde_json::{Value, json};

use util::pgp::{self, CertSpec};
use util::server::{self, Response};
use util::world::{PEP691, entry, names_in, sign, tarball};
use util::{Output, World, expect, expect_contains, only_project, sha256_hex};

/// A fresh v4 key with a signing subkey.
fn new_key(user_id: &str) -> openpgp::Cert {
    CertSpec::v4(user_id).generate()
}

/// What this file runs in a [`World`].
impl World {
    /// The usual watch file: `example.toml`, project `example`, upstream pinned.
    fn example_watch(&self, top: &str, tail: &str) -> PathBuf {
        self.watch(
            "example.toml",
            top,
            &self.pypi("example"),
            &[self.fpr()],
            tail,
        )
    }

    /// `sigwatch fetch PATH --dest dest --json` plus `extra`, never waiting long.
    fn fetch(&self, path: &str, extra: &[&str]) -> Output {
        self.dir
            .cmd(["fetch", path, "--dest", "dest", "--json"])
            .args(["--retries", "0", "--timeout", "5"])
            .args(extra)
            .run()
    }

    /// `sigwatch check PATH… --json` plus `extra`.
    fn check(&self, paths: &[&str], extra: &[&str]) -> Output {
        self.dir
            .cmd(["check"])
            .args(paths)
            .args(["--json", "--retries", "0", "--timeout", "5"])
            .args(extra)
            .run()
    }
}

/// Asserts `fetch` placed nothing at `dest/`: no artifact, no signature, no temporary file.
fn assert_nothing_placed(world: &World, out: &Output) {
    let names = world.dest_names();
    out.check(
        names.is_empty(),
        &format!("nothing should be at --dest, found {names:?}"),
    );
}

/// Asserts the project failed with `kind`, exit `code`, and returns the error message.
fn assert_error(out: &Output, code: i32, kind: &str) -> Value {
    out.assert_code(code);
    let p = only_project(out);
    expect(out, &p["error"]["kind"], kind, "error.kind");
    p["error"]["message"].clone()
}

// ---------------------------------------------------------------------------------------------
// Discovery: PEP 691 JSON, PEP 503 HTML, URL listings, version choice.
// ---------------------------------------------------------------------------------------------

#[test]
fn json_and_html_indexes_pick_the_same_newest_release() {
    let w = World::new("json-html");
    let up = &w.upstream;
    let mut files = Vec::new();
    for v in ["1.8", "1.10", "1.9", "1.11"] {
        files.push(w.publish(&format!("example-{v}.tar.gz"), &tarball(v), up));
    }
    // 1.11 is yanked with a reason (PEP 592 allows a string).
    files[3]["yanked"] = json!("broken build");
    let body = json!({"meta": {"api-version": "1.0"}, "name": "example", "files": files});
    w.server.respond(
        "/json/example/",
        Response::ok(body.to_string()).header("Content-Type", PEP691),
    );
    let sha = |v: &str| sha256_hex(&tarball(v));
    // PEP 503: relative hrefs, sha256 fragments, an entity in a name, data-yanked.
    let html = format!(
        "<!DOCTYPE html><html><body><h1>Links for example</h1>\n\
         <a href=\"../../files/example-1.8.tar.gz#sha256={}\">example-1.8.tar.gz</a><br/>\n\
         <a href=\"../../files/example-1.10.tar.gz#sha256={}\">example&#45;1.10.tar.gz</a><br/>\n\
         <a href=\"/files/example-1.9.tar.gz#sha256={}\">example-1.9.tar.gz</a><br/>\n\
         <a href=\"../../files/example-1.11.tar.gz#sha256={}\" data-yanked=\"broken &amp; bad\">example-1.11.tar.gz</a><br/>\n\
         </body></html>\n",
        sha("1.8"),
        sha("1.10"),
        sha("1.9"),
        sha("1.11")
    );
    w.server.respond(
        "/html/example/",
        Response::ok(html).header("Content-Type", "text/html; charset=utf-8"),
    );
    for (name, index) in [("json", "/json/"), ("html", "/html/")] {
        let source = format!("pypi = \"example\"\nindex = \"{}\"\n", w.server.url(index));
        w.watch(&format!("{name}.toml"), "", &source, &[w.fpr()], "");
    }

    let out = w.check(&["json.toml", "html.toml"], &[]);
    out.assert_code(0);
    let json = out.json();
    let url = w.server.url("/files/example-1.10.tar.gz");
    for (i, name) in ["json", "html"].iter().enumerate() {
        let p = &json["projects"][i];
        expect(&out, &p["name"], *name, "name");
        expect(&out, &p["newest"], "1.10", &format!("{name}: newest"));
        expect(&out, &p["error"], Value::Null, &format!("{name}: error"));
        let files = p["files"].as_array().cloned().unwrap_or_default();
        out.check(files.len() == 1, &format!("{name}: one file expected"));
        expect(
            &out,
            &files[0]["filename"],
            "example-1.10.tar.gz",
            "filename",
        );
        expect(
            &out,
            &files[0]["url"],
            url.as_str(),
            &format!("{name}: url"),
        );
        expect(
            &out,
            &files[0]["sha256"],
            sha("1.10"),
            &format!("{name}: sha256"),
        );
        expect(
            &out,
            &files[0]["signature_url"],
            format!("{url}.asc"),
            &format!("{name}: signature_url"),
        );
    }
    let asked = w
        .server
        .requests()
        .into_iter()
        .find(|r| r.path == "/json/example/")
        .and_then(|r| r.header("accept").map(str::to_owned))
        .unwrap_or_default();
    out.check(
        asked.contains(PEP691),
        &format!("the index request should ask for PEP 691 JSON, Accept was {asked:?}"),
    );
}

#[test]
fn version_1_10_is_newer_than_1_9() {
    let w = World::new("1-10");
    let files = [
        w.publish("example-1.9.tar.gz", b"nine", &w.upstream),
        w.publish("example-1.10.tar.gz", b"ten", &w.upstream),
        w.publish("example-1.2.tar.gz", b"two", &w.upstream),
    ];
    w.json_index("example", &files);
    w.example_watch("", "");
    let out = w.check(&["example.toml"], &[]);
    out.assert_code(0);
    let p = only_project(&out);
    expect(&out, &p["newest"], "1.10", "newest");
    expect(&out, &p["version"], "1.10", "version");
}

#[test]
fn yanked_newest_release_is_skipped() {
    let w = World::new("yanked");
    let mut ten = w.publish("example-1.10.tar.gz", b"ten", &w.upstream);
    ten["yanked"] = json!(true);
    let nine = w.publish("example-1.9.tar.gz", b"nine", &w.upstream);
    w.json_index("example", &[ten, nine]);
    w.example_watch("", "");
    let out = w.check(&["example.toml"], &[]);
    out.assert_code(0);
    expect(&out, &only_project(&out)["newest"], "1.9", "newest");

    let out = w.fetch("example.toml", &[]);
    out.assert_code(0);
    out.check(
        w.dest_names() == ["example-1.9.tar.gz", "example-1.9.tar.gz.asc"],
        "fetch should take 1.9, the newest release not yanked",
    );
    out.check(
        w.server.hits("/files/example-1.10.tar.gz") == 0,
        "the yanked file must not be downloaded",
    );
}

#[test]
fn prerelease_newest_is_skipped_unless_prereleases_is_true() {
    let w = World::new("prerelease");
    let files = [
        w.publish("example-1.9.tar.gz", b"nine", &w.upstream),
        w.publish("example-2.0rc1.tar.gz", b"rc", &w.upstream),
    ];
    w.json_index("example", &files);
    w.example_watch("", "");
    let source = format!("{}prereleases = true\n", w.pypi("example"));
    w.watch("pre.toml", "", &source, &[w.fpr()], "");

    let out = w.check(&["example.toml"], &[]);
    out.assert_code(0);
    expect(
        &out,
        &only_project(&out)["newest"],
        "1.9",
        "newest (stable only)",
    );

    let out = w.check(&["pre.toml"], &[]);
    out.assert_code(0);
    expect(
        &out,
        &only_project(&out)["newest"],
        "2.0rc1",
        "newest (prereleases)",
    );
}

#[test]
fn update_available_is_true_false_or_null_and_fail_on_update_exits_4_only_for_updates() {
    let w = World::new("update");
    let files = [
        w.publish("example-1.9.tar.gz", b"nine", &w.upstream),
        w.publish("example-1.10.tar.gz", b"ten", &w.upstream),
    ];
    w.json_index("example", &files);
    let src = w.pypi("example");
    w.watch("behind.toml", "current = \"1.9\"\n", &src, &[w.fpr()], "");
    w.watch("current.toml", "current = \"1.10\"\n", &src, &[w.fpr()], "");
    w.watch("unknown.toml", "", &src, &[w.fpr()], "");

    for (file, current, update, code) in [
        ("behind.toml", json!("1.9"), json!(true), 4),
        ("current.toml", json!("1.10"), json!(false), 0),
        ("unknown.toml", Value::Null, Value::Null, 0),
    ] {
        let out = w.check(&[file], &[]);
        out.assert_code(0);
        let p = only_project(&out);
        expect(&out, &p["current"], current, &format!("{file}: current"));
        expect(
            &out,
            &p["update_available"],
            update,
            &format!("{file}: update_available"),
        );
        w.check(&[file], &["--fail-on-update"]).assert_code(code);
    }
    // Several projects: the pending update still wins over "all fine".
    w.check(
        &["current.toml", "behind.toml", "unknown.toml"],
        &["--fail-on-update"],
    )
    .assert_code(4);
}

#[test]
fn check_json_has_every_documented_field_and_null_sha256_without_index_hash() {
    let w = World::new("check-json");
    w.server.file("/files/example-1.0.tar.gz", b"one".to_vec());
    w.json_index(
        "example",
        &[json!({"filename": "example-1.0.tar.gz", "url": "../../files/example-1.0.tar.gz", "hashes": {}})],
    );
    w.example_watch("current = \"0.9\"\n", "");
    let out = w.check(&["example.toml"], &[]);
    out.assert_code(0);
    let p = only_project(&out);
    expect(&out, &p["name"], "example", "name");
    expect(&out, &p["watch"], "example.toml", "watch");
    expect(&out, &p["current"], "0.9", "current");
    expect(&out, &p["newest"], "1.0", "newest");
    expect(&out, &p["update_available"], true, "update_available");
    expect(&out, &p["error"], Value::Null, "error");
    let f = &p["files"][0];
    let url = w.server.url("/files/example-1.0.tar.gz");
    expect(&out, &f["filename"], "example-1.0.tar.gz", "filename");
    expect(&out, &f["url"], url.as_str(), "url");
    out.check(
        f.get("sha256") == Some(&Value::Null),
        "files[0].sha256 must be present and null when the index gives no hash",
    );
    expect(
        &out,
        &f["signature_url"],
        format!("{url}.asc"),
        "signature_url",
    );
}

#[test]
fn check_downloads_no_artifact_and_no_signature() {
    let w = World::new("check-no-download");
    let files = [w.publish("example-1.0.tar.gz", b"one", &w.upstream)];
    w.json_index("example", &files);
    w.example_watch("", "");
    let out = w.check(&["example.toml"], &[]);
    out.assert_code(0);
    out.check(
        w.server.hits("/files/example-1.0.tar.gz") == 0
            && w.server.hits("/files/example-1.0.tar.gz.asc") == 0,
        &format!(
            "check must not download artifacts or signatures; requests: {:?}",
            w.server
                .requests()
                .iter()
                .map(|r| &r.path)
                .collect::<Vec<_>>()
        ),
    );
    out.check(
        !w.dir.join("example.toml.lock").exists() && w.dest_names().is_empty(),
        "check writes nothing",
    );
}

#[test]
fn url_listing_resolves_relative_and_absolute_links_in_natural_version_order() {
    let w = World::new("listing");
    let absolute = w.server.url("/other/tool-r2.tar.gz");
    let listing = format!(
        "<html><body><h1>Index of /releases/</h1>\n\
         <a href=\"../\">Parent Directory</a>\n\
         <a href=\"tool-r9.tar.gz\">tool-r9.tar.gz</a>\n\
         <a href=\"tool-r9.tar.gz.asc\">tool-r9.tar.gz.asc</a>\n\
         <a href=\"/mirror/tool-r10.tar.gz\">tool-r10.tar.gz</a>\n\
         <a href=\"/mirror/tool-r10.tar.gz.asc\">tool-r10.tar.gz.asc</a>\n\
         <a href=\"{absolute}\">tool-r2.tar.gz</a>\n\
         <a href=\"README.txt\">README.txt</a>\n\
         </body></html>\n"
    );
    w.server.file("/releases/", listing);
    let bytes = tarball("r10");
    w.server.file("/mirror/tool-r10.tar.gz", bytes.clone());
    w.server
        .file("/mirror/tool-r10.tar.gz.asc", sign(&w.upstream, &bytes));
    let source = format!(
        "url = \"{}\"\npattern = 'tool-(?P<version>r[0-9]+)\\.tar\\.gz'\n",
        w.server.url("/releases/")
    );
    w.watch("tool.toml", "", &source, &[w.fpr()], "");

    let out = w.check(&["tool.toml"], &[]);
    out.assert_code(0);
    let p = only_project(&out);
    expect(
        &out,
        &p["newest"],
        "r10",
        "newest (natural order: r10 > r9 > r2)",
    );
    expect(
        &out,
        &p["files"][0]["url"],
        w.server.url("/mirror/tool-r10.tar.gz"),
        "url of the newest file",
    );
    expect(
        &out,
        &p["files"][0]["sha256"],
        Value::Null,
        "a listing gives no sha256",
    );

    let out = w.fetch("tool.toml", &[]);
    out.assert_code(0);
    out.check(w.placed("tool-r10.tar.gz") == bytes, "placed bytes differ");
}

#[test]
fn gzip_encoded_index_page_is_decoded() {
    let w = World::new("gzip-index");
    let files = [w.publish("example-1.0.tar.gz", b"one", &w.upstream)];
    let body = json!({"meta": {"api-version": "1.1"}, "name": "example", "files": files});
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(body.to_string().as_bytes()).expect("gzip");
    w.server.respond(
        "/simple/example/",
        Response::ok(enc.finish().expect("gzip"))
            .header("Content-Type", PEP691)
            .header("Content-Encoding", "gzip"),
    );
    w.example_watch("", "");
    let out = w.check(&["example.toml"], &[]);
    out.assert_code(0);
    expect(&out, &only_project(&out)["newest"], "1.0", "newest");
}

// ---------------------------------------------------------------------------------------------
// fetch: what is placed, and what never is.
// ---------------------------------------------------------------------------------------------

#[test]
fn fetch_places_artifact_and_signature_byte_for_byte_and_records_history() {
    let w = World::new("happy");
    let ten = tarball("1.10");
    let files = [
        w.publish("example-1.9.tar.gz", &tarball("1.9"), &w.upstream),
        w.publish("example-1.10.tar.gz", &ten, &w.upstream),
    ];
    let signature = sign(&w.upstream, &ten);
    w.server
        .file("/files/example-1.10.tar.gz.asc", signature.clone());
    w.json_index("example", &files);
    w.example_watch("", "");

    let out = w.fetch("example.toml", &[]);
    out.assert_code(0);
    let p = only_project(&out);
    expect(&out, &p["error"], Value::Null, "error");
    expect(&out, &p["version"], "1.10", "version");
    let f = &p["files"][0];
    expect(&out, &f["verdict"], "verified", "verdict");
    let fpr = w.fpr();
    out.check(
        fpr.len() == 40
            && fpr
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()),
        "the test key's fingerprint should be 40 uppercase hex digits",
    );
    expect(
        &out,
        &f["signer"],
        fpr.as_str(),
        "signer (pinned primary, uppercase)",
    );
    expect(&out, &f["sha256"], sha256_hex(&ten), "sha256");
    expect(&out, &f["reused"], false, "reused");
    expect(
        &out,
        &f["signature_url"],
        w.server.url("/files/example-1.10.tar.gz.asc"),
        "signature_url",
    );
    let path = f["path"].as_str().unwrap_or_default();
    out.check(
        w.dir.join(path) == w.dir.join("dest/example-1.10.tar.gz"),
        &format!("path should be dest/example-1.10.tar.gz, is {path:?}"),
    );
    out.check(
        w.dest_names() == ["example-1.10.tar.gz", "example-1.10.tar.gz.asc"],
        "exactly the artifact and its signature are placed, no temporary files",
    );
    out.check(
        w.placed("example-1.10.tar.gz") == ten,
        "artifact bytes differ",
    );
    out.check(
        w.placed("example-1.10.tar.gz.asc") == signature,
        "signature bytes differ",
    );

    let lock_path = w.dir.join("example.toml.lock");
    let text = std::fs::read_to_string(&lock_path)
        .unwrap_or_else(|e| out.fail(&format!("reading {}: {e}", lock_path.display())));
    let lock: toml::Table = toml::from_str(&text)
        .unwrap_or_else(|e| out.fail(&format!("the lock file is not TOML: {e}\n{text}")));
    let releases = lock["release"].as_array().cloned().unwrap_or_default();
    out.check(
        releases.len() == 1,
        &format!("one release recorded:\n{text}"),
    );
    let r = &releases[0];
    let subkey = pgp::subkey_fingerprints(&w.upstream)[0].clone();
    for (field, want) in [
        ("version", "1.10".to_string()),
        ("file", "example-1.10.tar.gz".to_string()),
        ("sha256", sha256_hex(&ten)),
        ("key", subkey),
        ("certificate", fpr.clone()),
    ] {
        out.check(
            r.get(field).and_then(|v| v.as_str()) == Some(want.as_str()),
            &format!("lock file {field} should be {want}:\n{text}"),
        );
    }
    for field in ["signed", "recorded"] {
        out.check(
            r.get(field)
                .and_then(|v| v.as_str())
                .is_some_and(|t| t.ends_with('Z')),
            &format!("lock file {field} should be an RFC 3339 UTC time:\n{text}"),
        );
    }
}

#[test]
fn second_fetch_of_the_same_release_reuses_it_and_keeps_one_history_entry() {
    let w = World::new("refetch");
    let files = [w.publish("example-1.0.tar.gz", &tarball("1.0"), &w.upstream)];
    w.json_index("example", &files);
    w.example_watch("", "");
    w.fetch("example.toml", &[]).assert_code(0);
    let first = std::fs::read_to_string(w.dir.join("example.toml.lock")).expect("lock file");
    let out = w.fetch("example.toml", &[]);
    out.assert_code(0);
    expect(
        &out,
        &only_project(&out)["files"][0]["reused"],
        true,
        "reused",
    );
    let second = std::fs::read_to_string(w.dir.join("example.toml.lock")).expect("lock file");
    out.check(
        first == second,
        &format!("re-verifying a recorded file keeps its record:\n{first}\n---\n{second}"),
    );
}

#[test]
fn a_403_on_a_signature_template_counts_as_absent_like_object_stores_answer() {
    let w = World::new("alt-sig-403");
    let bytes = tarball("1.0");
    w.server.file("/files/example-1.0.tar.gz", bytes.clone());
    w.server
        .respond("/files/example-1.0.tar.gz.asc", Response::status(403));
    let sig = pgp::sign_detached(&w.upstream, &bytes, SystemTime::now(), false, false);
    w.server.file("/files/example-1.0.tar.gz.sig", sig);
    w.json_index("example", &[entry("example-1.0.tar.gz", &bytes)]);
    w.example_watch("", "");

    let out = w.fetch("example.toml", &[]);
    out.assert_code(0);
    expect(
        &out,
        &only_project(&out)["files"][0]["signature_url"],
        w.server.url("/files/example-1.0.tar.gz.sig"),
        "the .sig template after a 403 on .asc",
    );
}

#[test]
fn alternate_signature_url_is_used_when_the_first_template_404s() {
    let w = World::new("alt-sig");
    let bytes = tarball("1.0");
    w.server.file("/files/example-1.0.tar.gz", bytes.clone());
    let sig = pgp::sign_detached(&w.upstream, &bytes, SystemTime::now(), false, false);
    w.server.file("/sigs/example-1.0.tar.gz.sig", sig.clone());
    w.json_index("example", &[entry("example-1.0.tar.gz", &bytes)]);
    let tail = format!(
        "[signature]\nurl = [\"{{url}}.asc\", \"{}/{{filename}}.sig\"]\n",
        w.server.url("/sigs")
    );
    w.example_watch("", &tail);

    let out = w.fetch("example.toml", &[]);
    out.assert_code(0);
    let f = &only_project(&out)["files"][0];
    expect(&out, &f["verdict"], "verified", "verdict");
    expect(
        &out,
        &f["signature_url"],
        w.server.url("/sigs/example-1.0.tar.gz.sig"),
        "signature_url (the template that answered)",
    );
    out.check(
        w.server.hits("/files/example-1.0.tar.gz.asc") == 1,
        "the first template is tried first",
    );
    out.check(
        w.dest_names() == ["example-1.0.tar.gz", "example-1.0.tar.gz.sig"],
        "the signature is placed as .sig, as served",
    );
    out.check(
        w.placed("example-1.0.tar.gz.sig") == sig,
        "signature bytes differ",
    );
    out.check(
        w.placed("example-1.0.tar.gz") == bytes,
        "artifact bytes differ",
    );
}

#[test]
fn missing_signature_names_every_url_tried_and_places_nothing() {
    let w = World::new("no-sig");
    let bytes = tarball("1.0");
    w.server.file("/files/example-1.0.tar.gz", bytes.clone());
    w.json_index("example", &[entry("example-1.0.tar.gz", &bytes)]);
    w.example_watch("", "");

    let out = w.fetch("example.toml", &[]);
    let msg = assert_error(&out, 1, "missing_signature");
    let url = w.server.url("/files/example-1.0.tar.gz");
    expect_contains(
        &out,
        &msg,
        &[&format!("{url}.asc"), &format!("{url}.sig")],
        "error.message",
    );
    assert_nothing_placed(&w, &out);
    out.check(
        !w.dir.join("example.toml.lock").exists(),
        "nothing is recorded",
    );
}

#[test]
fn unpinned_signer_in_the_keyring_is_rejected_and_named_by_full_fingerprint() {
    let w = World::new("unpinned");
    let other = new_key("Someone Else <else@example.org>");
    w.write_keyring(&[&w.upstream, &other]);
    let bytes = tarball("1.0");
    let files = [w.publish("example-1.0.tar.gz", &bytes, &other)];
    w.json_index("example", &files);
    w.example_watch("", "");

    let out = w.fetch("example.toml", &[]);
    let msg = assert_error(&out, 1, "verification");
    let other_fpr = pgp::fingerprint(&other);
    expect_contains(&out, &msg, &[&other_fpr, "not pinned"], "error.message");
    let f = &only_project(&out)["files"][0];
    expect(&out, &f["verdict"], "rejected", "verdict");
    expect(&out, &f["signer"], Value::Null, "signer");
    assert_nothing_placed(&w, &out);
}

#[test]
fn signature_over_other_bytes_is_rejected_and_nothing_placed() {
    let w = World::new("wrong-data");
    let bytes = tarball("1.0");
    w.server.file("/files/example-1.0.tar.gz", bytes.clone());
    w.server.file(
        "/files/example-1.0.tar.gz.asc",
        sign(&w.upstream, &tarball("something else")),
    );
    w.json_index("example", &[entry("example-1.0.tar.gz", &bytes)]);
    w.example_watch("", "");

    let out = w.fetch("example.toml", &[]);
    let msg = assert_error(&out, 1, "verification");
    expect_contains(&out, &msg, &["example-1.0.tar.gz"], "error.message");
    expect(
        &out,
        &only_project(&out)["files"][0]["verdict"],
        "rejected",
        "verdict",
    );
    assert_nothing_placed(&w, &out);
}

#[test]
fn digest_mismatch_with_the_index_is_refused_and_nothing_placed() {
    let w = World::new("digest");
    let bytes = tarball("1.0");
    w.publish("example-1.0.tar.gz", &bytes, &w.upstream);
    let claimed = sha256_hex(b"what the index says");
    let mut e = entry("example-1.0.tar.gz", &bytes);
    e["hashes"]["sha256"] = json!(claimed);
    w.json_index("example", &[e]);
    w.example_watch("", "");

    let out = w.fetch("example.toml", &[]);
    let msg = assert_error(&out, 1, "digest");
    expect_contains(
        &out,
        &msg,
        &[&claimed, &sha256_hex(&bytes)],
        "error.message",
    );
    assert_nothing_placed(&w, &out);
}

#[test]
fn html_index_sha256_fragment_is_enforced() {
    let w = World::new("html-digest");
    let bytes = tarball("1.0");
    w.publish("example-1.0.tar.gz", &bytes, &w.upstream);
    let wrong = sha256_hex(b"not these bytes");
    w.server.respond(
        "/simple/example/",
        Response::ok(format!(
            "<a href=\"../../files/example-1.0.tar.gz#sha256={wrong}\">example-1.0.tar.gz</a>"
        ))
        .header("Content-Type", "text/html"),
    );
    w.example_watch("", "");
    let out = w.fetch("example.toml", &[]);
    let msg = assert_error(&out, 1, "digest");
    expect_contains(&out, &msg, &[&wrong], "error.message");
    assert_nothing_placed(&w, &out);
}

#[test]
fn pep700_size_mismatch_is_refused_as_digest_failure() {
    for delta in [-1i64, 1] {
        let w = World::new("size");
        let bytes = tarball("1.0");
        let mut e = w.publish("example-1.0.tar.gz", &bytes, &w.upstream);
        let size = bytes.len() as i64 + delta;
        e["size"] = json!(size);
        w.json_index("example", &[e]);
        w.example_watch("", "");

        let out = w.fetch("example.toml", &[]);
        let msg = assert_error(&out, 1, "digest");
        expect_contains(&out, &msg, &[&size.to_string()], "error.message");
        assert_nothing_placed(&w, &out);
    }
}

#[test]
fn artifact_with_content_encoding_gzip_is_stored_exactly_as_served() {
    let w = World::new("gzip-artifact");
    let bytes = tarball("1.0");
    w.server.respond(
        "/files/example-1.0.tar.gz",
        Response::ok(bytes.clone())
            .header("Content-Type", "application/x-tar")
            .header("Content-Encoding", "gzip"),
    );
    w.server
        .file("/files/example-1.0.tar.gz.asc", sign(&w.upstream, &bytes));
    w.json_index("example", &[entry("example-1.0.tar.gz", &bytes)]);
    w.example_watch("", "");

    let out = w.fetch("example.toml", &[]);
    out.assert_code(0);
    expect(
        &out,
        &only_project(&out)["files"][0]["sha256"],
        sha256_hex(&bytes),
        "sha256",
    );
    out.check(
        w.placed("example-1.0.tar.gz") == bytes,
        "the placed file must be the served bytes, not decoded",
    );
}

#[test]
fn file_names_that_are_paths_never_write_outside_dest() {
    // Names a hostile index or listing might offer, reaching the file-name check through the
    // parts of a name that sigwatch does not otherwise parse (wheel tags, listing patterns).
    let cases: Vec<(&str, &str)> = vec![
        (
            "json wheel ../",
            "example-1.0-py3-none-any/../../../evil.whl",
        ),
        (
            "json wheel backslash",
            "example-1.0-py3-none-..\\..\\evil.whl",
        ),
        ("listing %2F", "..%2F..%2Fevil-1.0.tar.gz"),
        ("listing absolute", "ABSOLUTE"),
        ("listing %5C", "..%5C..%5Cevil-1.0.tar.gz"),
        ("json sdist ../", "../example-1.0.tar.gz"),
        ("json hidden", ".example-1.0.tar.gz"),
    ];
    for (case, name) in cases {
        let w = World::new("traversal");
        let bytes = tarball(case);
        let sig = sign(&w.upstream, &bytes);
        let abs_target = w.dir.join("abs-evil-1.0.tar.gz");
        let source = if case.starts_with("listing") {
            let href = if name == "ABSOLUTE" {
                abs_target.display().to_string().replace('/', "%2F")
            } else {
                name.to_string()
            };
            w.server.file(
                "/releases/",
                format!("<a href=\"{href}\"></a> <a href=\"{href}.asc\"></a>"),
            );
            w.server.file(&format!("/releases/{href}"), bytes.clone());
            w.server.file(&format!("/releases/{href}.asc"), sig);
            format!(
                "url = \"{}\"\npattern = '.*evil-(?P<version>[0-9.]+)\\.tar\\.gz'\n",
                w.server.url("/releases/")
            )
        } else {
            w.server.file("/files/evil", bytes.clone());
            w.server.file("/files/evil.asc", sig);
            w.json_index(
                "example",
                &[json!({
                    "filename": name,
                    "url": "/files/evil",
                    "hashes": {"sha256": sha256_hex(&bytes)},
                })],
            );
            format!("{}files = \"any\"\n", w.pypi("example"))
        };
        w.watch("example.toml", "", &source, &[w.fpr()], "");

        let out = w
            .dir
            .cmd(["fetch", "example.toml", "--dest", "out/dest", "--json"])
            .args(["--retries", "0", "--timeout", "5"])
            .run();
        out.assert_no_panic();
        out.check(
            out.code() != 0,
            &format!("{case}: {name:?} must be refused"),
        );
        let p = only_project(&out);
        out.check(
            p["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            &format!("{case}: the refusal needs a message"),
        );
        out.check(
            names_in(&w.dir.join("out/dest")).is_empty(),
            &format!("{case}: nothing may be placed at --dest"),
        );
        out.check(
            names_in(&w.dir.join("out")).iter().all(|n| n == "dest"),
            &format!("{case}: nothing may be written beside --dest"),
        );
        let root = names_in(w.dir.path());
        out.check(
            root.iter()
                .all(|n| ["example.toml", "keyrings", "out"].contains(&n.as_str())),
            &format!("{case}: nothing may be written above --dest: {root:?}"),
        );
        out.check(
            !abs_target.exists(),
            &format!("{case}: absolute path written"),
        );
        if case.starts_with("json wheel") || case.starts_with("listing") || case == "json hidden" {
            // These reach the file-name check, which says why.
            expect_contains(
                &out,
                &p["error"]["message"],
                &["file name", "refused"],
                &format!("{case}: error.message"),
            );
        }
    }
}

#[test]
fn tampered_file_at_destination_is_replaced_by_the_verified_download() {
    let w = World::new("tampered");
    let bytes = tarball("1.0");
    let files = [w.publish("example-1.0.tar.gz", &bytes, &w.upstream)];
    w.json_index("example", &files);
    w.example_watch("", "");
    w.dir.write("dest/example-1.0.tar.gz", b"tampered bytes");

    let out = w.fetch("example.toml", &[]);
    out.assert_code(0);
    let p = only_project(&out);
    expect(&out, &p["files"][0]["reused"], false, "reused");
    out.check(
        w.placed("example-1.0.tar.gz") == bytes,
        "the tampered file must be replaced by the verified download",
    );
    out.check(
        w.server.hits("/files/example-1.0.tar.gz") == 1,
        "the artifact is downloaded again",
    );
    let notices = p["notices"].to_string();
    out.check(
        notices.contains("does not verify"),
        &format!("a notice should say the existing file did not verify: {notices}"),
    );
}

#[test]
fn good_file_at_destination_is_verified_again_kept_and_reported_reused() {
    let w = World::new("reused");
    let bytes = tarball("1.0");
    let files = [w.publish("example-1.0.tar.gz", &bytes, &w.upstream)];
    w.json_index("example", &files);
    w.example_watch("", "");
    w.dir.write("dest/example-1.0.tar.gz", &bytes);

    let out = w.fetch("example.toml", &[]);
    out.assert_code(0);
    let f = &only_project(&out)["files"][0];
    expect(&out, &f["reused"], true, "reused");
    expect(&out, &f["verdict"], "verified", "verdict");
    expect(&out, &f["signer"], w.fpr(), "signer");
    out.check(
        w.server.hits("/files/example-1.0.tar.gz") == 0,
        "a good existing file is not downloaded again",
    );
    out.check(
        w.server.hits("/files/example-1.0.tar.gz.asc") == 1,
        "the signature is still fetched to verify the existing file",
    );
    out.check(
        w.dest_names() == ["example-1.0.tar.gz", "example-1.0.tar.gz.asc"],
        "the file is kept and its signature placed",
    );
    out.check(w.placed("example-1.0.tar.gz") == bytes, "bytes changed");
}

// ---------------------------------------------------------------------------------------------
// History: rollback, re-upload, signer change.
// ---------------------------------------------------------------------------------------------

#[test]
fn older_version_than_recorded_is_a_rollback_unless_allow_downgrade() {
    let w = World::new("rollback");
    let files = [
        w.publish("example-1.9.tar.gz", &tarball("1.9"), &w.upstream),
        w.publish("example-1.10.tar.gz", &tarball("1.10"), &w.upstream),
    ];
    w.json_index("example", &files);
    w.example_watch("", "");
    w.fetch("example.toml", &[]).assert_code(0);

    let out = w.fetch("example.toml", &["--version", "1.9"]);
    let msg = assert_error(&out, 1, "rollback");
    expect_contains(&out, &msg, &["1.9", "1.10"], "error.message");
    out.check(
        !w.dest_names().iter().any(|n| n.contains("1.9")),
        "the rolled-back release is not placed",
    );

    let out = w.fetch("example.toml", &["--version", "1.9", "--allow-downgrade"]);
    out.assert_code(0);
    let p = only_project(&out);
    expect(&out, &p["version"], "1.9", "version");
    expect(&out, &p["newest"], "1.10", "newest");
    out.check(
        p["notices"].to_string().contains("downgrade"),
        "an allowed downgrade is announced",
    );
    out.check(
        w.placed("example-1.9.tar.gz") == tarball("1.9"),
        "1.9 placed with --allow-downgrade",
    );
}

#[test]
fn recorded_file_served_later_with_different_bytes_is_refused_as_reuploaded() {
    let w = World::new("reupload");
    let original = tarball("1.0");
    let files = [w.publish("example-1.0.tar.gz", &original, &w.upstream)];
    w.json_index("example", &files);
    w.example_watch("", "");
    w.fetch("example.toml", &[]).assert_code(0);

    // Upstream (or someone with its key) replaces the file and signs the new bytes.
    let replaced = tarball("1.0 again");
    let files = [w.publish("example-1.0.tar.gz", &replaced, &w.upstream)];
    w.json_index("example", &files);

    let out = w.fetch("example.toml", &[]);
    let msg = assert_error(&out, 1, "reuploaded");
    expect_contains(
        &out,
        &msg,
        &[
            "example-1.0.tar.gz",
            &sha256_hex(&original),
            &sha256_hex(&replaced),
        ],
        "error.message",
    );
    out.check(
        w.placed("example-1.0.tar.gz") == original,
        "the recorded file at --dest is not replaced",
    );
}

#[test]
fn release_signed_by_another_pinned_key_is_accepted_with_a_signer_changed_notice() {
    let w = World::new("rotation");
    let next = new_key("Upstream New Key <up-new@example.org>");
    w.write_keyring(&[&w.upstream, &next]);
    let pins = [w.fpr(), pgp::fingerprint(&next)];
    let nine = w.publish("example-1.9.tar.gz", &tarball("1.9"), &w.upstream);
    w.json_index("example", std::slice::from_ref(&nine));
    w.watch("example.toml", "", &w.pypi("example"), &pins, "");
    w.fetch("example.toml", &[]).assert_code(0);

    let ten = w.publish("example-1.10.tar.gz", &tarball("1.10"), &next);
    w.json_index("example", &[nine, ten]);
    let out = w.fetch("example.toml", &[]);
    out.assert_code(0);
    let p = only_project(&out);
    expect(
        &out,
        &p["files"][0]["signer"],
        pgp::fingerprint(&next),
        "signer",
    );
    let notices = p["notices"].to_string();
    out.check(
        notices.contains("signer changed") && notices.contains(&pgp::fingerprint(&next)),
        &format!("a key rotation is announced: {notices}"),
    );
}

// ---------------------------------------------------------------------------------------------
// Many projects, and errors that name things.
// ---------------------------------------------------------------------------------------------

#[test]
fn many_projects_report_in_path_order_keep_going_and_exit_with_the_worst_code() {
    let w = World::new("many");
    let fpr = [w.fpr()];
    // A configuration error (exit 2).
    w.watch(
        "watch/a-config.toml",
        "",
        &format!("{}fiels = \"wheel\"\n", w.pypi("alpha")),
        &fpr,
        "",
    );
    // A good project.
    let good = tarball("good");
    let files = [w.publish("good-1.0.tar.gz", &good, &w.upstream)];
    w.json_index("good", &files);
    w.watch("watch/b-good.toml", "", &w.pypi("good"), &fpr, "");
    // A network error (exit 3).
    w.server.respond("/simple/down/", Response::status(500));
    w.watch("watch/c-network.toml", "", &w.pypi("down"), &fpr, "");

    let out = w.fetch("watch", &[]);
    out.assert_code(2);
    let json = out.json();
    let names: Vec<&str> = json["projects"]
        .as_array()
        .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    out.check(
        names == ["a-config", "b-good", "c-network"],
        &format!("projects in path order: {names:?}"),
    );
    let kinds: Vec<Value> = (0..3)
        .map(|i| json["projects"][i]["error"]["kind"].clone())
        .collect();
    out.check(
        kinds == [json!("config"), Value::Null, json!("network")],
        &format!("error kinds: {kinds:?}"),
    );
    out.check(
        w.placed("good-1.0.tar.gz") == good,
        "the good project is fetched despite the others",
    );

    // A verification failure outranks everything.
    w.server
        .file("/files/forged-1.0.tar.gz", tarball("forged").to_vec());
    w.server.file(
        "/files/forged-1.0.tar.gz.asc",
        sign(&w.upstream, b"other bytes"),
    );
    w.json_index("forged", &[entry("forged-1.0.tar.gz", &tarball("forged"))]);
    w.watch("watch/d-verify.toml", "", &w.pypi("forged"), &fpr, "");
    let out = w.fetch("watch", &[]);
    out.assert_code(1);
    let json = out.json();
    let projects = json["projects"].as_array().cloned().unwrap_or_default();
    out.check(
        projects.len() == 4,
        "four projects (lock files beside watch files are not watch files)",
    );
    expect(
        &out,
        &projects[3]["error"]["kind"],
        "verification",
        "d-verify kind",
    );
    expect(&out, &projects[1]["error"], Value::Null, "b-good error");
    out.check(
        !w.dest_names().iter().any(|n| n.starts_with("forged")),
        "the forged release is not placed",
    );

    // Network alone is 3.
    w.dir
        .cmd(["check", "watch/c-network.toml", "--retries", "0"])
        .assert_code(3);
}

#[test]
fn unknown_key_in_a_watch_file_is_a_config_error_naming_file_and_field() {
    let w = World::new("unknown-key");
    w.watch(
        "example.toml",
        "",
        &format!("{}fiels = \"wheel\"\n", w.pypi("example")),
        &[w.fpr()],
        "",
    );
    let out = w.check(&["example.toml"], &[]);
    let msg = assert_error(&out, 2, "config");
    expect_contains(&out, &msg, &["example.toml", "fiels"], "error.message");
    out.check(
        w.server.requests().is_empty(),
        "nothing is fetched for a bad watch file",
    );
}

#[test]
fn project_missing_on_the_index_is_a_source_error() {
    let w = World::new("missing-project");
    w.example_watch("", "");
    let out = w.check(&["example.toml"], &[]);
    let msg = assert_error(&out, 3, "source");
    expect_contains(
        &out,
        &msg,
        &[&w.server.url("/simple/example/"), "404"],
        "error.message",
    );
}

#[test]
fn http_500_on_the_index_is_a_network_error_naming_the_url() {
    let w = World::new("index-500");
    w.server.respond("/simple/example/", Response::status(500));
    w.example_watch("", "");
    let out = w.check(&["example.toml"], &[]);
    let msg = assert_error(&out, 3, "network");
    expect_contains(
        &out,
        &msg,
        &[&w.server.url("/simple/example/"), "500"],
        "error.message",
    );
    out.check(
        w.server.hits("/simple/example/") == 1,
        "--retries 0 asks once",
    );
}

#[test]
fn redirect_from_loopback_to_plain_http_elsewhere_is_refused_before_connecting() {
    let w = World::new("redirect");
    w.server.respond(
        "/simple/example/",
        Response::redirect("http://example.invalid/simple/example/"),
    );
    w.example_watch("", "");
    let out = w.check(&["example.toml"], &[]);
    let msg = assert_error(&out, 3, "network");
    // Refused by the redirect policy, not by a failed lookup of the name.
    expect_contains(&out, &msg, &["example.invalid", "refused"], "error.message");
    let text = msg.as_str().unwrap_or_default().to_ascii_lowercase();
    out.check(
        !text.contains("dns") && !text.contains("resolve"),
        "the redirect must be refused without resolving the host",
    );
}

// ---------------------------------------------------------------------------------------------
// Transport: redirects, broken transfers, retries, plain http.
// ---------------------------------------------------------------------------------------------

#[test]
fn relative_links_resolve_against_the_index_url_after_a_redirect() {
    let w = World::new("redirect-base");
    let bytes = tarball("1.0");
    w.server
        .file("/mirror/files/example-1.0.tar.gz", bytes.clone());
    w.server.file(
        "/mirror/files/example-1.0.tar.gz.asc",
        sign(&w.upstream, &bytes),
    );
    let body = json!({"meta": {"api-version": "1.1"}, "name": "example",
        "files": [entry("example-1.0.tar.gz", &bytes)]});
    w.server.respond(
        "/mirror/simple/example/",
        Response::ok(body.to_string()).header("Content-Type", PEP691),
    );
    w.server.respond(
        "/simple/example/",
        Response::redirect(&w.server.url("/mirror/simple/example/")),
    );
    w.example_watch("", "");
    let out = w.fetch("example.toml", &[]);
    out.assert_code(0);
    expect(
        &out,
        &only_project(&out)["files"][0]["url"],
        w.server.url("/mirror/files/example-1.0.tar.gz"),
        "url (resolved against the redirected page)",
    );
    out.check(w.placed("example-1.0.tar.gz") == bytes, "bytes differ");
}

#[test]
fn broken_transfer_is_a_network_error_and_leaves_no_temporary_file() {
    let w = World::new("broken");
    let bytes = tarball("1.0");
    w.publish("example-1.0.tar.gz", &bytes, &w.upstream);
    w.server.respond(
        "/files/example-1.0.tar.gz",
        Response::ok(bytes.clone()).fault(server::Fault::CloseEarly { after: 10 }),
    );
    w.json_index("example", &[entry("example-1.0.tar.gz", &bytes)]);
    w.example_watch("", "");
    let out = w.fetch("example.toml", &[]);
    let msg = assert_error(&out, 3, "network");
    expect_contains(
        &out,
        &msg,
        &[&w.server.url("/files/example-1.0.tar.gz")],
        "error.message",
    );
    assert_nothing_placed(&w, &out);
}

#[test]
fn download_retried_after_a_broken_transfer_verifies_the_complete_bytes() {
    let w = World::new("retry");
    let bytes = tarball("1.0");
    w.publish("example-1.0.tar.gz", &bytes, &w.upstream);
    w.server.route(
        "/files/example-1.0.tar.gz",
        vec![
            Response::ok(bytes.clone()).fault(server::Fault::CloseEarly { after: 10 }),
            Response::ok(bytes.clone()),
        ],
    );
    w.json_index("example", &[entry("example-1.0.tar.gz", &bytes)]);
    w.example_watch("", "");
    let out = w
        .dir
        .cmd(["fetch", "example.toml", "--dest", "dest", "--json"])
        .args(["--retries", "1", "--timeout", "5"])
        .run();
    out.assert_code(0);
    expect(
        &out,
        &only_project(&out)["files"][0]["verdict"],
        "verified",
        "verdict",
    );
    out.check(
        w.server.hits("/files/example-1.0.tar.gz") == 2,
        "one broken attempt, one retry",
    );
    out.check(w.placed("example-1.0.tar.gz") == bytes, "bytes differ");
    out.check(
        w.dest_names() == ["example-1.0.tar.gz", "example-1.0.tar.gz.asc"],
        "no temporary file is left",
    );
}

#[test]
fn artifact_url_over_plain_http_to_another_host_is_refused() {
    let w = World::new("plain-http");
    let bytes = tarball("1.0");
    w.json_index(
        "example",
        &[json!({
            "filename": "example-1.0.tar.gz",
            "url": "http://example.invalid/files/example-1.0.tar.gz",
            "hashes": {"sha256": sha256_hex(&bytes)},
        })],
    );
    let tail = format!(
        "[signature]\nurl = \"{}/{{filename}}.asc\"\n",
        w.server.url("/sigs")
    );
    w.server
        .file("/sigs/example-1.0.tar.gz.asc", sign(&w.upstream, &bytes));
    w.example_watch("", &tail);
    let out = w.fetch("example.toml", &[]);
    let msg = assert_error(&out, 3, "network");
    expect_contains(
        &out,
        &msg,
        &[
            "http://example.invalid/files/example-1.0.tar.gz",
            "plain http",
        ],
        "error.message",
    );
    assert_nothing_placed(&w, &out);
}

#[test]
fn project_gone_from_the_index_reports_the_status_the_server_sent() {
    let w = World::new("gone");
    w.server.respond("/simple/example/", Response::status(410));
    w.example_watch("", "");
    let out = w.check(&["example.toml"], &[]);
    out.assert_code(3);
    let msg = only_project(&out)["error"]["message"].clone();
    expect_contains(&out, &msg, &["410"], "error.message");
}

// ---------------------------------------------------------------------------------------------
// `[signature] decompress = true`: upstream signs example-1.0.tar, ships example-1.0.tar.xz.
// ---------------------------------------------------------------------------------------------

/// Publishes `file` as example-1.0.tar.xz on the index (with its sha256) and upstream's
/// signature over `tar` as example-1.0.tar.sign; writes example.toml with `signature_tail`.
fn decompress_world(name: &str, file: &[u8], tar: &[u8], signature_tail: &str) -> World {
    let w = World::new(name);
    w.server.file("/files/example-1.0.tar.xz", file.to_vec());
    w.server
        .file("/files/example-1.0.tar.sign", sign(&w.upstream, tar));
    w.json_index("example", &[entry("example-1.0.tar.xz", file)]);
    w.example_watch(
        "",
        &format!("\n[signature]\nurl = \"{{dir}}/example-{{version}}.tar.sign\"\n{signature_tail}"),
    );
    w
}

#[test]
fn fetch_with_decompress_places_the_file_only_after_its_content_verifies() {
    let tar = util::compress::tar("example 1.0");
    let xz = util::compress::xz(&tar);
    let w = decompress_world("decompress-fetch", &xz, &tar, "decompress = true\n");

    let out = w.fetch("example.toml", &[]);
    out.assert_code(0);
    let f = &only_project(&out)["files"][0];
    expect(&out, &f["verdict"], "verified", "verdict");
    expect(&out, &f["decompressed"], "xz", "decompressed");
    expect(
        &out,
        &f["sha256"],
        sha256_hex(&xz),
        "sha256 of the file as downloaded, not of its content",
    );
    out.check(
        w.dest_names() == ["example-1.0.tar.xz", "example-1.0.tar.xz.asc"],
        "the file and its signature are placed, no temporary files",
    );
    out.check(
        w.placed("example-1.0.tar.xz") == xz,
        "the compressed bytes are placed as served",
    );
    let lock = std::fs::read_to_string(w.dir.join("example.toml.lock")).unwrap_or_default();
    out.check(
        lock.contains(&sha256_hex(&xz)) && !lock.contains(&sha256_hex(&tar)),
        &format!("the lock file records the file's sha256:\n{lock}"),
    );

    // Again: the file already there is proven again over its content, not downloaded.
    let out = w.fetch("example.toml", &[]);
    out.assert_code(0);
    expect(
        &out,
        &only_project(&out)["files"][0]["reused"],
        true,
        "reused",
    );
}

#[test]
fn fetch_with_decompress_refuses_corrupt_or_other_content_and_places_nothing() {
    let tar = util::compress::tar("example 1.0");
    let mut corrupt = util::compress::xz(&tar);
    let at = corrupt.len() / 2;
    corrupt[at] ^= 0x20;
    let mut other_tar = tar.clone();
    other_tar.extend_from_slice(b"a file upstream never signed\n");
    let other = util::compress::xz(&other_tar);
    for (case, file, kind, needle) in [
        ("corrupt", corrupt, "verification", "xz stream is corrupt"),
        ("other content", other, "verification", "bad signature"),
    ] {
        let w = decompress_world("decompress-refused", &file, &tar, "decompress = true\n");
        let out = w.fetch("example.toml", &[]).in_case(case);
        let message = assert_error(&out, 1, kind);
        expect_contains(&out, &message, &["example-1.0.tar.xz", needle], "message");
        assert_nothing_placed(&w, &out);
        out.check(
            !w.dir.join("example.toml.lock").exists(),
            "nothing is recorded",
        );
    }
}

#[test]
fn fetch_without_decompress_refuses_a_signature_over_the_tar_and_the_hint_names_the_field() {
    let tar = util::compress::tar("example 1.0");
    let xz = util::compress::xz(&tar);
    let w = decompress_world("decompress-absent", &xz, &tar, "");
    let out = w.fetch("example.toml", &[]);
    assert_error(&out, 1, "verification");
    assert_nothing_placed(&w, &out);
    let p = only_project(&out);
    expect_contains(
        &out,
        &p["error"]["hint"],
        &["xz-compressed", "decompress = true", "example.toml"],
        "hint",
    );
}

// ---------------------------------------------------------------------------------------------
// `[source] directory`: releases in version directories (uscan's regex directory in the URL).
// ---------------------------------------------------------------------------------------------

#[test]
fn url_source_with_directory_reads_the_newest_version_directory_that_has_the_file() {
    for (case, directory, below) in [
        ("plain", "([0-9.]+)", ""),
        ("below", "([0-9.]+)/src", "src/"),
    ] {
        let w = World::new("directories");
        // The top listing: a parent link, an unrelated directory, version directories (3.0
        // made, but its files not uploaded yet; 4.0rc1 a pre-release) and a file.
        w.server.file(
            "/dist/",
            "<html><body>\n<a href=\"../\">Parent Directory</a>\n<a href=\"KEYS\">KEYS</a>\n\
             <a href=\"docs/\">docs/</a>\n<a href=\"1.9/\">1.9/</a>\n<a href=\"1.10/\">1.10/</a>\n\
             <a href=\"3.0/\">3.0/</a>\n<a href=\"4.0rc1/\">4.0rc1/</a>\n</body></html>\n",
        );
        let ten = tarball("1.10");
        for (version, bytes) in [("1.9", tarball("1.9")), ("1.10", ten.clone())] {
            let name = format!("tool-{version}.tar.gz");
            w.server.file(
                &format!("/dist/{version}/{below}"),
                format!("<a href=\"{name}\">{name}</a> <a href=\"{name}.asc\">sig</a>\n"),
            );
            w.server
                .file(&format!("/dist/{version}/{below}{name}"), bytes.clone());
            w.server.file(
                &format!("/dist/{version}/{below}{name}.asc"),
                sign(&w.upstream, &bytes),
            );
        }
        w.server.file(
            &format!("/dist/3.0/{below}"),
            "<html><body>empty</body></html>",
        );
        let source = format!(
            "url = \"{}\"\ndirectory = '{directory}'\npattern = 'tool-(?P<version>[0-9.]+)\\.tar\\.gz'\n",
            w.server.url("/dist/")
        );
        w.watch("tool.toml", "", &source, &[w.fpr()], "");

        let out = w.check(&["tool.toml"], &[]).in_case(case);
        out.assert_code(0);
        let p = only_project(&out);
        expect(
            &out,
            &p["newest"],
            "1.10",
            "newest: from the newest directory with files",
        );
        expect(
            &out,
            &p["files"][0]["url"],
            w.server.url(&format!("/dist/1.10/{below}tool-1.10.tar.gz")),
            "the file's URL in its directory",
        );
        let out = w.fetch("tool.toml", &[]).in_case(case);
        out.assert_code(0);
        out.check(w.placed("tool-1.10.tar.gz") == ten, "placed bytes differ");
        out.check(
            w.server.hits("/dist/1.9/") + w.server.hits("/dist/1.9/src/") == 0,
            "older directories are not read once a newer one has the file",
        );
        out.check(
            w.server.hits("/dist/4.0rc1/") + w.server.hits("/dist/4.0rc1/src/") == 0,
            "a pre-release directory is passed over without prereleases = true",
        );
    }
}

#[test]
fn directory_is_refused_where_it_cannot_apply() {
    let w = World::new("directory-refused");
    for (case, source, field) in [
        (
            "pypi",
            format!("{}directory = '([0-9.]+)'\n", w.pypi("example")),
            "source.directory",
        ),
        (
            "regex below",
            format!(
                "url = \"{}\"\ndirectory = '([0-9.]+)/(src|dist)'\npattern = 'x-(?P<version>[0-9.]+)\\.tgz'\n",
                w.server.url("/dist/")
            ),
            "source.directory",
        ),
        (
            "bad regex",
            format!(
                "url = \"{}\"\ndirectory = '([0-9.]+'\npattern = 'x-(?P<version>[0-9.]+)\\.tgz'\n",
                w.server.url("/dist/")
            ),
            "source.directory",
        ),
    ] {
        w.watch("x.toml", "", &source, &[w.fpr()], "");
        let out = w.check(&["x.toml"], &[]).in_case(case);
        out.assert_code(2);
        expect_contains(
            &out,
            &only_project(&out)["error"]["message"],
            &[field],
            "message",
        );
    }
}

/// Regression: projects fetched concurrently from one directory each write their lock file
/// through a temporary file in that directory, and each project's start cleans up a killed
/// run's temporary files there. An unlocked temporary lock file was once taken for such
/// leftovers and removed under another project's feet ("cannot move into place"), about one
/// project in eight in a 100-project run.
#[test]
fn many_projects_fetched_from_one_directory_all_record_their_history() {
    let world = World::new("many-projects-one-dir");
    const N: usize = 40;
    for i in 0..N {
        let project = format!("p{i:02}");
        let name = format!("{project}-1.0.tar.gz");
        let e = world.publish(&name, &tarball(&project), &world.upstream);
        world.json_index(&project, &[e]);
        world.watch(
            &format!("w/{project}.toml"),
            "",
            &world.pypi(&project),
            &[world.fpr()],
            "",
        );
    }
    let out = world.fetch("w", &[]);
    out.assert_code(0);
    let locks = names_in(&world.dir.join("w"))
        .into_iter()
        .filter(|n| n.ends_with(".toml.lock"))
        .count();
    out.check(locks == N, &format!("{locks} of {N} lock files written"));
    out.check(
        !names_in(&world.dir.join("w"))
            .iter()
            .any(|n| n.ends_with(".part")),
        "no temporary file left",
    );
}
