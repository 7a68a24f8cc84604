//! `sigwatch import-debian`: the real binary translating debian/ trees (tests/fixtures/debian,
//! keys from tests/fixtures/keys installed at test time) and one round trip in which the
//! imported watch file fetches and verifies a release from a loopback server.

mod server;
mod util;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

use server::Server;
use util::pgp::{self, CertSpec};
use util::{Output, TestDir, fixtures};
use util::{import_notes, strings, written};

/// Copies `tests/fixtures/debian/NAME` into the test directory as `NAME/`, installing the key
/// file `key` (relative to tests/fixtures) as `debian/upstream/AS`.
fn tree(dir: &TestDir, name: &str, key: Option<(&str, &str)>) -> PathBuf {
    let src = fixtures().path("debian").join(name).join("debian");
    for entry in std::fs::read_dir(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display())) {
        let entry = entry.expect("listing a fixture tree");
        dir.copy(
            entry.path(),
            Path::new(name).join("debian").join(entry.file_name()),
        );
    }
    if let Some((key, to)) = key {
        dir.copy(
            fixtures().path(key),
            Path::new(name).join("debian/upstream").join(to),
        );
    }
    dir.join(name)
}

/// A debian/ tree written inline: `watch` text, package `name` at `version`, optional key.
fn inline_tree(dir: &TestDir, name: &str, version: &str, watch: &str, key: Option<&[u8]>) {
    dir.write(format!("{name}/debian/watch"), watch);
    dir.write(
        format!("{name}/debian/control"),
        format!("Source: {name}\nMaintainer: T <t@example.org>\n\nPackage: {name}\n"),
    );
    dir.write(
        format!("{name}/debian/changelog"),
        format!("{name} ({version}) unstable; urgency=medium\n\n  * Test.\n\n -- T <t@example.org>  Mon, 01 Jun 2020 00:00:00 +0000\n"),
    );
    if let Some(k) = key {
        dir.write(format!("{name}/debian/upstream/signing-key.asc"), k);
    }
}

/// `sigwatch import-debian DIR --out out --json`.
fn import(dir: &TestDir, tree: &str) -> Output {
    dir.cmd(["import-debian", tree, "--out", "out", "--json"])
        .run()
}

/// Panics, explaining, unless some note has `severity` and starts with `prefix`.
fn has_note(out: &Output, j: &Value, severity: &str, prefix: &str) {
    let all = import_notes(j);
    out.check(
        all.iter()
            .any(|(s, m)| s == severity && m.starts_with(prefix)),
        &format!("no {severity} note starting with {prefix:?}; notes: {all:#?}"),
    );
}

/// `sigwatch lint out` passes: the written files load.
fn lint_ok(dir: &TestDir) {
    dir.cmd(["lint", "out"]).assert_code(0);
}

#[test]
fn pypi_redirector_becomes_a_pypi_source_with_the_asc_template() {
    let dir = TestDir::new("imp-pypi");
    tree(
        &dir,
        "pypi-redirector",
        Some(("keys/rsa2048.asc", "signing-key.asc")),
    );
    let out = import(&dir, "pypi-redirector");
    out.assert_code(0);
    let j = out.json();
    out.check(j["package"] == "flufl.lock", "package from debian/control");
    out.check(
        j["current"] == "8.0",
        "current: epoch and Debian revision stripped",
    );
    out.check(
        j["source"]["pypi"] == "flufl.lock",
        "PyPI source from the redirector",
    );
    out.check(
        strings(&j["signature_templates"]) == ["{url}.asc"],
        "s/$/.asc/ is {url}.asc",
    );
    out.check(
        strings(&j["pinned"]) == [fixtures().fingerprint("rsa2048")],
        "the upstream key is pinned",
    );
    out.check(j["verifies"] == true, "verifies");
    out.check(j["watch"] == "out/flufl.lock.toml", "watch path");
    out.check(
        j["keyring"] == "out/keyrings/flufl.lock.asc",
        "keyring path",
    );
    has_note(&out, &j, "info", "debian/watch:2: uversionmangle=");
    let text = written(&dir, "flufl.lock");
    out.check(text.contains("pypi = \"flufl.lock\""), &text);
    out.check(text.contains("url = \"{url}.asc\""), &text);
    lint_ok(&dir);
}

#[test]
fn plain_http_redirector_url_is_pypi_too() {
    let dir = TestDir::new("imp-pypi-http");
    let key = std::fs::read(fixtures().path("keys/rsa2048.asc")).expect("fixture key");
    inline_tree(
        &dir,
        "python-foo",
        "2.0-1",
        "version=4\nopts=pgpmode=auto http://pypi.debian.net/foo-bar/foo-bar-(.+)\\.tar\\.gz\n",
        Some(&key),
    );
    let out = import(&dir, "python-foo");
    out.assert_code(0);
    let j = out.json();
    out.check(
        j["source"]["pypi"] == "foo-bar",
        "project from the redirector URL",
    );
    out.check(
        strings(&j["signature_templates"]) == ["{url}.asc", "{url}.sig"],
        "pgpmode=auto tries .asc then .sig",
    );
    lint_ok(&dir);
}

#[test]
fn pgpmode_auto_with_continuation_lines_and_a_glued_key_file_pins_each_primary_once() {
    let dir = TestDir::new("imp-glued");
    tree(
        &dir,
        "auto-glued",
        Some(("keys/glued.asc", "signing-key.asc")),
    );
    let out = import(&dir, "auto-glued");
    out.assert_code(0);
    let j = out.json();
    let glued = fixtures().keyring("glued");
    out.check(
        strings(&j["pinned"]) == glued.unique_fingerprints,
        "every primary key once, duplicates merged",
    );
    out.check(
        j["current"] == "2.4.1",
        "dversionmangle applied to the changelog version",
    );
    out.check(
        j["source"]["url"] == "https://example.org/releases/",
        "listing URL",
    );
    let pattern = j["source"]["pattern"].as_str().unwrap_or_default();
    out.check(
        pattern.starts_with("libfoo[-_]?(?P<version>\\d") && !pattern.contains('/'),
        &format!("@PACKAGE@@ANY_VERSION@ with the path part dropped: {pattern}"),
    );
    out.check(
        strings(&j["signature_templates"]) == ["{url}.asc", "{url}.sig"],
        "pgpmode=auto",
    );
    has_note(&out, &j, "info", "debian/watch:5: dversionmangle=");
    lint_ok(&dir);
    // The minimal keyring keeps both copies' user IDs.
    let keys = dir
        .cmd(["keys", "list", "out/keyrings/libfoo.asc", "--json"])
        .assert_code(0);
    let k = keys.json();
    let certs = k["certificates"].as_array().cloned().unwrap_or_default();
    keys.check(certs.len() == 2, "two certificates");
    let rsa = certs
        .iter()
        .find(|c| c["fingerprint"] == fixtures().fingerprint("rsa2048"))
        .expect("rsa2048 is in the keyring");
    keys.check(
        strings(&rsa["user_ids"]) == glued.rsa2048_uids_after_merge,
        "user IDs of both copies kept",
    );
}

#[test]
fn binary_signing_key_pgp_is_read_and_every_key_pinned() {
    let dir = TestDir::new("imp-binary");
    tree(
        &dir,
        "binary-key",
        Some(("keys/binary.pgp", "signing-key.pgp")),
    );
    let out = import(&dir, "binary-key");
    out.assert_code(0);
    let j = out.json();
    out.check(
        j["key_file"] == "debian/upstream/signing-key.pgp",
        "the .pgp file",
    );
    let mut pinned = strings(&j["pinned"]);
    let mut want = fixtures().keyring("binary").unique_fingerprints.clone();
    pinned.sort();
    want.sort();
    out.check(pinned == want, "all three keys pinned");
    out.check(
        strings(&j["signature_templates"]) == ["{url}.sig"],
        "s%$%.sig%",
    );
    out.check(
        j["source"]["pattern"] == "tool-(?P<version>[\\d.]+)\\.tar\\.xz",
        "first group becomes the version group",
    );
    let text = written(&dir, "tool");
    out.check(
        text.contains("Every primary key in debian/upstream/signing-key.pgp is pinned"),
        &text,
    );
    lint_ok(&dir);
}

#[test]
fn v5_field_names_ignore_case_and_hyphens() {
    let dir = TestDir::new("imp-v5");
    tree(
        &dir,
        "v5-hyphens",
        Some(("keys/rsa2048.asc", "signing-key.asc")),
    );
    let out = import(&dir, "v5-hyphens");
    out.assert_code(0);
    let j = out.json();
    out.check(
        strings(&j["signature_templates"]) == ["{url}.sig"],
        "pGp-SIG-url-Mangle is pgpsigurlmangle",
    );
    out.check(
        j["source"]["url"] == "https://example.org/hyphen/",
        "Source",
    );
    has_note(&out, &j, "info", "debian/watch:6: Dversion-Mangle=auto");
    lint_ok(&dir);
}

#[test]
fn v5_github_template_becomes_a_url_source() {
    let dir = TestDir::new("imp-github");
    tree(
        &dir,
        "v5-github",
        Some(("keys/ed25519.asc", "signing-key.asc")),
    );
    let out = import(&dir, "v5-github");
    out.assert_code(0);
    let j = out.json();
    out.check(
        j["source"]["url"] == "https://github.com/example/widget/tags",
        "the template's tags page",
    );
    let pattern = j["source"]["pattern"].as_str().unwrap_or_default();
    out.check(
        pattern.starts_with("v?[-_]?(?P<version>") && !pattern.contains("refs/tags"),
        &format!("file-name part of the template's pattern: {pattern}"),
    );
    out.check(
        strings(&j["signature_templates"]) == ["{url}.asc", "{url}.sig"],
        "PGP-Mode: auto",
    );
    lint_ok(&dir);
}

#[test]
fn untranslatable_mangles_are_reported_with_file_and_line() {
    let dir = TestDir::new("imp-odd");
    tree(
        &dir,
        "untranslatable",
        Some(("keys/rsa2048.asc", "signing-key.asc")),
    );
    let out = dir
        .cmd(["import-debian", "untranslatable", "--out", "out"])
        .run();
    // Signatures are still checked against the pinned key: nothing got weaker.
    out.assert_code(0);
    out.assert_stderr_contains(&[
        "debian/watch:2: uversionmangle=s/-/./g: not translated",
        "debian/watch:3: filenamemangle=",
        "debian/watch:4: downloadurlmangle=",
        "debian/watch:5: pagemangle=",
        "debian/watch:6: searchmode=plain",
        "debian/watch:7: pgpsigurlmangle=s/archive/signatures/ cannot be expressed",
        "2 capture groups",
    ]);
    out.assert_stdout_contains(&["out/odd.toml"]);
    let text = written(&dir, "odd");
    for needle in [
        "# - TODO debian/watch:3: filenamemangle=",
        "# - TODO debian/watch:7: pgpsigurlmangle=",
        "# TODO: pgpsigurlmangle=s/archive/signatures/ (debian/watch:7) could not be translated",
    ] {
        out.check(
            text.contains(needle),
            &format!("{needle:?} not in:\n{text}"),
        );
    }
    lint_ok(&dir);
}

#[test]
fn pgpmode_none_writes_a_watch_file_that_sigwatch_refuses() {
    let dir = TestDir::new("imp-none");
    tree(
        &dir,
        "pgpmode-none",
        Some(("keys/rsa2048.asc", "signing-key.asc")),
    );
    let out = import(&dir, "pgpmode-none");
    out.assert_code(2);
    let j = out.json();
    out.check(j["verifies"] == false, "does not verify");
    out.check(strings(&j["pinned"]).is_empty(), "nothing pinned");
    out.check(
        strings(&j["candidates"]) == [fixtures().fingerprint("rsa2048")],
        "the key file's keys are offered",
    );
    has_note(&out, &j, "error", "debian/watch:2: pgpmode=none");
    let text = written(&dir, "plain");
    out.check(
        text.contains("fingerprints = []   # TODO") && text.contains("TODO: nothing is pinned"),
        &text,
    );
    // Refused, not silently unverified.
    dir.cmd([
        "check",
        "out/plain.toml",
        "--retries",
        "0",
        "--timeout",
        "2",
    ])
    .assert_code(2)
    .assert_stdout_contains(&["keys.fingerprints: no fingerprint is pinned"]);
}

#[test]
fn missing_key_file_writes_a_watch_file_that_sigwatch_refuses() {
    let dir = TestDir::new("imp-nokey");
    tree(&dir, "no-key", None);
    let out = import(&dir, "no-key");
    out.assert_code(2);
    let j = out.json();
    out.check(
        j["keyring"].is_null() && j["key_file"].is_null(),
        "no keyring",
    );
    has_note(
        &out,
        &j,
        "error",
        "debian/upstream/signing-key.asc: there is no upstream key file",
    );
    out.check(
        strings(&j["signature_templates"]) == ["{url}.asc"],
        "the mangle is still translated",
    );
    let text = written(&dir, "nokey");
    out.check(text.contains("fingerprints = []   # TODO"), &text);
    dir.cmd([
        "check",
        "out/nokey.toml",
        "--retries",
        "0",
        "--timeout",
        "2",
    ])
    .assert_code(2);
}

#[test]
fn no_pgp_option_and_git_modes_do_not_verify() {
    let dir = TestDir::new("imp-nopgp");
    let key = std::fs::read(fixtures().path("keys/rsa2048.asc")).expect("fixture key");
    inline_tree(
        &dir,
        "nopgp",
        "1.0-1",
        "version=4\nhttps://example.org/dl/ nopgp-(\\d[\\d.]*)\\.tar\\.gz\n",
        Some(&key),
    );
    inline_tree(
        &dir,
        "gitty",
        "1.0-1",
        "version=4\nopts=\"mode=git, pgpmode=gittag\" https://git.example.org/gitty.git refs/tags/v([\\d.]+)\n",
        Some(&key),
    );
    let out = import(&dir, "nopgp");
    out.assert_code(2);
    has_note(
        &out,
        &out.json(),
        "error",
        "debian/watch:2: no pgpsigurlmangle or pgpmode",
    );
    let out = import(&dir, "gitty");
    out.assert_code(2);
    let j = out.json();
    has_note(&out, &j, "error", "debian/watch:2: mode=git");
    has_note(&out, &j, "error", "debian/watch:2: pgpmode=gittag");
    out.check(
        written(&dir, "gitty").contains("fingerprints = []"),
        "nothing pinned",
    );
}

#[test]
fn pgpmode_next_whose_signature_line_names_no_single_file_gives_a_list_of_templates_with_a_note() {
    let dir = TestDir::new("imp-next");
    let key = std::fs::read(fixtures().path("keys/rsa2048.asc")).expect("fixture key");
    inline_tree(
        &dir,
        "nexty",
        "1.0-1",
        "version=4\nopts=pgpmode=next https://example.org/dl/ nexty-([\\d.]+)\\.tar\\.gz debian\n\
         opts=pgpmode=previous https://example.org/dl/ nexty-([\\d.]+)\\.tar\\.(?:gz|xz)\\.sign previous uupdate\n",
        Some(&key),
    );
    let out = import(&dir, "nexty");
    out.assert_code(0);
    let j = out.json();
    out.check(
        strings(&j["signature_templates"]) == ["{url}.sig", "{url}.sign"],
        "from the signature line",
    );
    has_note(&out, &j, "review", "debian/watch:2: pgpmode=next");
    lint_ok(&dir);
}

#[test]
fn missing_debian_watch_is_a_usage_error() {
    let dir = TestDir::new("imp-nowatch");
    dir.write("pkg/debian/control", "Source: pkg\n");
    let out = dir
        .cmd(["import-debian", "pkg", "--out", "out", "--json"])
        .run();
    out.assert_code(2);
    out.check(out.json()["error"]["kind"] == "config", "an error object");
    out.check(!dir.join("out/pkg.toml").exists(), "nothing written");
    dir.cmd(["import-debian", "nowhere"]).assert_code(2);
}

#[test]
fn imported_url_watch_file_fetches_and_verifies_a_signed_release() {
    let dir = TestDir::new("imp-roundtrip");
    let server = Server::start();
    let upstream = CertSpec::v4("Upstream <up@example.org>").generate();
    let tarball = b"pretend tarball of roundtrip 1.2\n".repeat(100);
    server.file(
        "/releases/",
        "<html><body><a href=\"roundtrip-1.1.tar.gz\">old</a>\n\
         <a href=\"roundtrip-1.2.tar.gz\">new</a>\n\
         <a href=\"roundtrip-1.2.tar.gz.asc\">sig</a></body></html>",
    );
    server.file("/releases/roundtrip-1.2.tar.gz", tarball.clone());
    server.file(
        "/releases/roundtrip-1.2.tar.gz.asc",
        pgp::sign_detached(&upstream, &tarball, SystemTime::now(), false, true),
    );
    inline_tree(
        &dir,
        "roundtrip",
        "1.1-1",
        &format!(
            "version=4\nopts=pgpsigurlmangle=s/$/.asc/ \\\n  {} .*/roundtrip-(\\d[\\d.]*)\\.tar\\.gz\n",
            server.url("/releases/")
        ),
        Some(&pgp::armored_public(&upstream)),
    );
    let out = import(&dir, "roundtrip");
    out.assert_code(0);
    let j = out.json();
    out.check(
        strings(&j["pinned"]) == [pgp::fingerprint(&upstream)],
        "pinned",
    );
    let fetched = dir
        .cmd(["fetch", "out/roundtrip.toml", "--dest", "dest", "--json"])
        .args(["--retries", "0", "--timeout", "5"])
        .run();
    fetched.assert_code(0);
    let placed = std::fs::read(dir.join("dest/roundtrip-1.2.tar.gz")).unwrap_or_else(|e| {
        fetched.fail(&format!("dest/roundtrip-1.2.tar.gz: {e}"));
    });
    fetched.check(placed == tarball, "the verified release was placed");

    // A signature by anyone else is refused by the same imported file.
    let other = CertSpec::v4("Mallory <m@example.org>").generate();
    server.file(
        "/releases/roundtrip-1.2.tar.gz.asc",
        pgp::sign_detached(&other, &tarball, SystemTime::now(), false, true),
    );
    std::fs::remove_dir_all(dir.join("dest")).expect("clearing dest");
    let _ = std::fs::remove_file(dir.join("out/roundtrip.toml.lock"));
    dir.cmd(["fetch", "out/roundtrip.toml", "--dest", "dest2", "--json"])
        .args(["--retries", "0", "--timeout", "5"])
        .assert_code(1);
}

#[test]
fn github_release_page_with_an_asset_pattern_becomes_a_github_source() {
    let dir = TestDir::new("imp-gh-assets");
    let key = std::fs::read(fixtures().path("keys/rsa2048.asc")).expect("fixture key");
    inline_tree(
        &dir,
        "gadget",
        "1.0-1",
        "version=4\nopts=\"pgpsigurlmangle=s/$/.asc/\" \\\n  https://github.com/example/gadget/releases .*/download/v?@ANY_VERSION@/gadget-@ANY_VERSION@\\.tar\\.gz\n",
        Some(&key),
    );
    let out = import(&dir, "gadget");
    out.assert_code(0);
    let j = out.json();
    out.check(j["source"]["github"] == "example/gadget", "GitHub source");
    out.check(j["source"]["url"].is_null(), "not a URL source");
    let pattern = j["source"]["pattern"].as_str().unwrap_or_default();
    out.check(
        pattern.starts_with("gadget-")
            && pattern.contains("(?P<version>")
            && !pattern.contains('/'),
        &format!("the asset's file-name pattern: {pattern}"),
    );
    out.check(
        strings(&j["signature_templates"]) == ["{url}.asc"],
        "the mangle still gives the signature",
    );
    has_note(
        &out,
        &j,
        "info",
        "debian/watch:2: https://github.com/example/gadget/releases is GitHub's",
    );
    let text = written(&dir, "gadget");
    out.check(text.contains("github = \"example/gadget\""), &text);
    lint_ok(&dir);
}

#[test]
fn github_tag_archives_stay_a_url_source_with_an_explanation() {
    let dir = TestDir::new("imp-gh-archive");
    let key = std::fs::read(fixtures().path("keys/rsa2048.asc")).expect("fixture key");
    inline_tree(
        &dir,
        "gizmo",
        "0.3-2",
        "version=4\nopts=pgpsigurlmangle=s/$/.sig/ https://github.com/example/gizmo/tags .*/archive/refs/tags/v?@ANY_VERSION@\\.tar\\.gz\n",
        Some(&key),
    );
    let out = import(&dir, "gizmo");
    out.assert_code(0);
    let j = out.json();
    out.check(
        j["source"]["url"] == "https://github.com/example/gizmo/tags"
            && j["source"]["github"].is_null(),
        "a URL source on the tags page",
    );
    has_note(
        &out,
        &j,
        "review",
        "debian/watch:2: https://github.com/example/gizmo/tags is the GitHub project example/gizmo, but the pattern matches tag archives",
    );
    lint_ok(&dir);

    // The v5 GitHub template watches tag archives too, so it says the same.
    let out = {
        tree(
            &dir,
            "v5-github",
            Some(("keys/ed25519.asc", "signing-key.asc")),
        );
        import(&dir, "v5-github")
    };
    out.assert_code(0);
    has_note(
        &out,
        &out.json(),
        "review",
        "debian/watch:3: https://github.com/example/widget/tags is the GitHub project example/widget, but the pattern matches tag archives",
    );
}

#[test]
fn gitlab_release_pages_and_v5_gitlab_templates_become_gitlab_sources() {
    let dir = TestDir::new("imp-gitlab");
    let key = std::fs::read(fixtures().path("keys/rsa2048.asc")).expect("fixture key");
    inline_tree(
        &dir,
        "thing",
        "2.1-1",
        "version=4\nopts=pgpsigurlmangle=s/$/.asc/ https://salsa.debian.org/team/thing/-/releases .*/-/releases/.*/downloads/thing-@ANY_VERSION@\\.tar\\.gz\n",
        Some(&key),
    );
    inline_tree(
        &dir,
        "lab",
        "5.0-1",
        "Version: 5\n\nTemplate: GitLab\nDist: https://gitlab.example.org/group/sub/lab\nMatching-Pattern: .*/-/releases/.*/downloads/lab-@ANY_VERSION@\\.tar\\.gz\nPgp-Sig-Url-Mangle: s/$/.sig/\n",
        Some(&key),
    );
    inline_tree(
        &dir,
        "tagged",
        "1.0-1",
        "version=4\nopts=pgpsigurlmangle=s/$/.asc/ https://gitlab.com/group/tagged/-/tags .*/-/archive/.*/tagged-v?@ANY_VERSION@\\.tar\\.gz\n",
        Some(&key),
    );
    let out = import(&dir, "thing");
    out.assert_code(0);
    let j = out.json();
    out.check(j["source"]["gitlab"] == "team/thing", "GitLab project");
    out.check(
        j["source"]["api"] == "https://salsa.debian.org",
        "self-hosted GitLab API",
    );
    lint_ok(&dir);

    let out = import(&dir, "lab");
    out.assert_code(0);
    let j = out.json();
    out.check(j["source"]["gitlab"] == "group/sub/lab", "from Dist");
    out.check(
        j["source"]["api"] == "https://gitlab.example.org",
        "the instance",
    );
    out.check(
        strings(&j["signature_templates"]) == ["{url}.sig"],
        "signature",
    );
    out.check(
        !import_notes(&j)
            .iter()
            .any(|(_, m)| m.contains("mode=gitlab")),
        "mode=gitlab is what the GitLab source does: not reported",
    );

    let out = import(&dir, "tagged");
    out.assert_code(0);
    let j = out.json();
    out.check(
        j["source"]["url"] == "https://gitlab.com/group/tagged/-/tags",
        "tag archives stay a URL source",
    );
    has_note(
        &out,
        &j,
        "review",
        "debian/watch:2: https://gitlab.com/group/tagged/-/tags is the GitLab project group/tagged, but the pattern matches tag archives",
    );
}

/// The fixture key rsa2048, as a package's debian/upstream/signing-key.asc holds it.
fn rsa2048() -> Vec<u8> {
    std::fs::read(fixtures().key("rsa2048").0).expect("reading the fixture key")
}

#[test]
fn watch_files_in_their_published_shapes_translate_and_verify() {
    // (case, debian/watch, the [source] url written, a part of the pattern written)
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "spaced",
            "version = 4\nopts= pgpsigurlmangle=s/$/.asc/ https://example.org/pub/ foo-(\\d[\\d.]*)\\.tar\\.gz\n",
            "https://example.org/pub/",
            "foo-(?P<version>",
        ),
        (
            "multiline",
            "version=4\nopts=\"pgpsigurlmangle=s/$/.asc/, \\\n    uversionmangle=s/-rc/~rc/;s/-beta/~beta/\" \\\n    https://example.org/pub/ \\\n    foo-(\\d[\\d.]*)\\.tar\\.gz\n",
            "https://example.org/pub/",
            "foo-(?P<version>",
        ),
        (
            "unquoted-continued",
            "version=4\nopts=dversionmangle=s/\\+ds//,\\\n     pgpsigurlmangle=s/$/.asc/ \\\nhttps://example.org/pub/ ./foo-@ANY_VERSION@@ARCHIVE_EXT@\n",
            "https://example.org/pub/",
            "foo-[-_]?(?P<version>",
        ),
        (
            "auto",
            "version=4\nopts=pgpmode=auto https://example.org/pub/ foo-(\\d[\\d.]*)\\.tar\\.gz\n",
            "https://example.org/pub/",
            "foo-(?P<version>",
        ),
        (
            "bare-comments",
            "#\n# Upstream signs its releases.\n#\nversion=4\n#\nopts=pgpsigurlmangle=s/$/.asc/ https://example.org/pub/ foo-(\\d[\\d.]*)\\.tar\\.gz\n#\n",
            "https://example.org/pub/",
            "foo-(?P<version>",
        ),
        (
            "flags-last",
            "version=4\nopts=pgpsigurlmangle=s/$/.sig/,repack,pasv,bare https://example.org/pub/ foo-(\\d[\\d.]*)\\.tar\\.gz\n",
            "https://example.org/pub/",
            "foo-(?P<version>",
        ),
        (
            "flags-first",
            "version=4\nopts=\"bare, repack, pgpsigurlmangle=s/$/.sig/\" https://example.org/pub/ foo-(\\d[\\d.]*)\\.tar\\.gz\n",
            "https://example.org/pub/",
            "foo-(?P<version>",
        ),
        (
            "version-directory",
            "version=4\nopts=pgpsigurlmangle=s/$/.sig/ https://example.org/pub/foo/(\\d[\\d.]*)/foo-\\1\\.tar\\.xz\n",
            "https://example.org/pub/foo/",
            "foo-(?P<version>\\d[\\d.]*)\\.tar\\.xz",
        ),
        (
            "v5-together",
            "Version: 5\nSource: https://example.org/pub/\nMatching-Pattern: foo-(\\d[\\d.]*)\\.tar\\.gz\nPgp-Mode: auto\n",
            "https://example.org/pub/",
            "foo-(?P<version>",
        ),
        (
            "github-tags",
            "version=4\nopts=\"filenamemangle=s%(?:.*?)?v?(\\d[\\d.]*)\\.tar\\.gz%@PACKAGE@-$1.tar.gz%,\\\n  pgpsigurlmangle=s/$/.asc/\" \\\n  https://github.com/owner/foo/tags (?:.*?/)?v?(\\d[\\d.]*)\\.tar\\.gz\n",
            "https://github.com/owner/foo/tags",
            "v?(?P<version>",
        ),
        (
            "github-tags-class",
            "version=4\nopts=pgpsigurlmangle=s/$/.sig/ \\\nhttps://github.com/owner/foo/tags \\\nhttps://github.com/owner/foo/archive/refs/tags/([^/]*)\\.tar\\.gz\n",
            "https://github.com/owner/foo/tags",
            "(?P<version>[^/]*)",
        ),
        (
            "version-in-a-pattern-url",
            "version=3\nopts=\"pgpsigurlmangle=s/$/.asc/\" https://example.org/download https://dl.example.org/foo/(\\d+\\.\\d*[02468]\\.[\\d.]+)/foo-\\1\\.tar\\.(?:xz|bz2|gz)\n",
            "https://example.org/download",
            "foo-(?P<version>\\d+",
        ),
        (
            "version-only-in-a-directory",
            "version=4\nopts=pgpsigurlmangle=s/$/.asc/ \\\n  https://example.org/foo/releases .*/download/([\\.0-9]+)/foo-[\\.0-9]+\\.tar\\.gz\n",
            "https://example.org/foo/releases",
            "foo-(?P<version>[\\.0-9]+)\\.tar\\.gz",
        ),
        (
            "options-alone-on-a-line",
            "version=4\nopts=pgpmode=mangle\nopts=pgpsigurlmangle=s/$/.asc/ https://example.org/snaps/ foo-(\\d.*)\\.tar\\.gz\n",
            "https://example.org/snaps/",
            "foo-(?P<version>",
        ),
        (
            "negative-look-ahead",
            "version=4\nopts=\"pgpsigurlmangle=s/$/.asc/, pasv\" https://example.org/pub/ foo-(\\d[\\d.]*)\\.tar\\.gz(?!\\.asc)\n",
            "https://example.org/pub/",
            "foo-(?P<version>\\d[\\d.]*)\\.tar\\.gz",
        ),
        (
            "plain-http",
            "version=4\nopts=pgpsigurlmangle=s/$/.asc/ http://example.org/pub/ foo-(\\d[\\d.]*)\\.tar\\.gz\n",
            "https://example.org/pub/",
            "foo-(?P<version>",
        ),
    ];
    for (case, watch, url, pattern) in cases {
        let dir = TestDir::new(&format!("imp-shape-{case}"));
        inline_tree(&dir, "foo", "1.0-1", watch, Some(&rsa2048()));
        let out = import(&dir, "foo");
        out.assert_code(0);
        let j = out.json();
        out.check(
            j["source"]["url"] == *url,
            &format!("{case}: url {url}: {}", j["source"]),
        );
        let written_pattern = j["source"]["pattern"].as_str().unwrap_or_default();
        out.check(
            written_pattern.contains(pattern),
            &format!("{case}: pattern has {pattern}: {written_pattern}"),
        );
        out.check(
            strings(&j["pinned"]) == [fixtures().fingerprint("rsa2048")],
            &format!("{case}: the key is pinned"),
        );
        lint_ok(&dir);
    }
}

#[test]
fn plain_http_becomes_https_for_the_same_host_with_a_note() {
    let dir = TestDir::new("imp-http");
    inline_tree(
        &dir,
        "foo",
        "1.0-1",
        "version=4\nopts=pgpsigurlmangle=s/$/.asc/ http://example.org/pub/ foo-(\\d[\\d.]*)\\.tar\\.gz\n",
        Some(&rsa2048()),
    );
    let out = import(&dir, "foo");
    out.assert_code(0);
    let j = out.json();
    has_note(
        &out,
        &j,
        "review",
        "debian/watch:2: plain http:// upstream URL",
    );
    out.check(
        written(&dir, "foo").contains("url = \"https://example.org/pub/\""),
        "https written",
    );
}

#[test]
fn a_broken_line_is_skipped_with_a_note_and_the_good_one_translated() {
    let dir = TestDir::new("imp-broken");
    inline_tree(
        &dir,
        "foo",
        "1.0-1",
        "version=4\nopts=\"pgpsigurlmangle=s/$/.asc/ https://broken.example.org/ foo-(.*)\\.tar\\.gz\nopts=pgpsigurlmangle=s/$/.asc/ https://example.org/pub/ foo-(\\d[\\d.]*)\\.tar\\.gz\n",
        Some(&rsa2048()),
    );
    let out = import(&dir, "foo");
    out.assert_code(0);
    let j = out.json();
    has_note(
        &out,
        &j,
        "review",
        "debian/watch:2: skipped: this watch line does not parse",
    );
    out.check(
        j["source"]["url"] == "https://example.org/pub/",
        "the good line",
    );
}

#[test]
fn components_get_one_watch_file_each_pinned_from_the_same_key_file() {
    for (case, watch) in [
        (
            "v4",
            "version=4\nopts=pgpsigurlmangle=s/$/.asc/ https://example.org/pub/ foo-(\\d[\\d.]*)\\.tar\\.gz\nopts=\"component=docs,pgpsigurlmangle=s/$/.asc/\" https://example.org/docs/ foo-docs-(\\d[\\d.]*)\\.tar\\.gz\n",
        ),
        (
            "v5",
            "Version: 5\n\nSource: https://example.org/pub/\nMatching-Pattern: foo-(\\d[\\d.]*)\\.tar\\.gz\nPgp-Mode: auto\n\nComponent: docs\nSource: https://example.org/docs/\nMatching-Pattern: foo-docs-(\\d[\\d.]*)\\.tar\\.gz\nPgp-Mode: auto\n",
        ),
    ] {
        let dir = TestDir::new(&format!("imp-components-{case}"));
        inline_tree(&dir, "foo", "1.0-1", watch, Some(&rsa2048()));
        let out = import(&dir, "foo");
        out.assert_code(0);
        let j = out.json();
        out.check(
            j["source"]["url"] == "https://example.org/pub/",
            "main source",
        );
        let docs = &j["components"][0];
        out.check(
            docs["watch"] == "out/foo-docs.toml"
                && docs["source"]["url"] == "https://example.org/docs/",
            &format!("{case}: the component has its own watch file: {docs}"),
        );
        out.check(
            strings(&docs["pinned"]) == strings(&j["pinned"]) && docs["keyring"] == j["keyring"],
            "the same key file pins both",
        );
        out.check(
            written(&dir, "foo-docs").contains("name = \"foo-docs\""),
            "named after the component",
        );
        lint_ok(&dir);
    }
}

#[test]
fn decompress_becomes_the_signature_field_and_the_import_verifies_like_uscan() {
    let dir = TestDir::new("imp-decompress");
    // The published shape (a kernel.org project): the tarball line with pgpmode=next and the
    // flag `decompress` last in opts, then the .tar.sign line with pgpmode=previous.
    inline_tree(
        &dir,
        "foo",
        "2.1-1",
        "version=4\n\
         opts=\"pgpmode=next,decompress\" \\\n\
         https://example.org/pub/foo/foo-@ANY_VERSION@@ARCHIVE_EXT@ debian\n\
         opts=\"pgpmode=previous\" \\\n\
         https://example.org/pub/foo/foo-@ANY_VERSION@.tar.sign previous\n",
        Some(&rsa2048()),
    );
    let out = import(&dir, "foo");
    out.assert_code(0);
    let j = out.json();
    let notes = import_notes(&j);
    out.check(
        !notes
            .iter()
            .any(|(s, m)| s == "error" || m.contains("decompress")),
        &format!("decompress is translated, not noted: {notes:#?}"),
    );
    out.check(
        strings(&j["signature_templates"]) == ["{dir}/foo-{version}.tar.sign"],
        "the signature is the file the pgpmode=previous line names",
    );
    let text = written(&dir, "foo");
    let signature = text
        .split("[signature]\n")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .unwrap_or_default();
    out.check(
        signature
            .lines()
            .any(|l| l.trim_start().starts_with("decompress = true")),
        &format!("[signature] holds decompress = true:\n{text}"),
    );
    lint_ok(&dir);
}

#[test]
fn an_import_whose_only_key_expired_warns_and_writes_a_refresh_entry() {
    let spec = CertSpec {
        created: SystemTime::now() - std::time::Duration::from_secs(3 * 365 * 86400),
        validity: Some(std::time::Duration::from_secs(365 * 86400)),
        ..CertSpec::v4("Upstream <upstream@example.org>")
    };
    let cert = spec.generate();
    let dir = TestDir::new("imp-expired");
    inline_tree(
        &dir,
        "foo",
        "1.0-1",
        "version=4\nopts=pgpsigurlmangle=s/$/.asc/ https://example.org/pub/ foo-(\\d[\\d.]*)\\.tar\\.gz\n",
        Some(&pgp::armored_public(&cert)),
    );
    // The translation itself is faithful: exit 0, but the import says the key cannot sign.
    let out = dir
        .cmd(["import-debian", "foo", "--out", "out"])
        .assert_code(0);
    out.assert_stderr_contains(&[
        "no pinned key can sign a new release today",
        "sigwatch keys refresh out/foo.toml",
    ]);
    let text = written(&dir, "foo");
    out.check(
        !text.contains("Nothing needed a human's review")
            && text.contains("no pinned key can sign a new release today")
            && text.contains("refresh = [\"wkd\"")
            && text.contains("Keys pinned:\n# - "),
        &text,
    );
    // The written refresh entry loads: lint now names the command to run.
    dir.cmd(["lint", "out", "--json"])
        .assert_code(1)
        .assert_stdout_contains(&["run `sigwatch keys refresh out/foo.toml`"]);
    let j = dir
        .cmd(["import-debian", "foo", "--out", "out2", "--json"])
        .assert_code(0)
        .json();
    // `wkd` for the e-mail user ID (and `keyserver` too once the schema has keyservers).
    assert_eq!(
        strings(&j["refresh"]).first().map(String::as_str),
        Some("wkd")
    );
    assert_eq!(j["keys"][0]["pinned"], true);
}

#[test]
fn pinned_keys_are_listed_as_pinned_never_as_dropped() {
    let expired = CertSpec {
        created: SystemTime::now() - std::time::Duration::from_secs(3 * 365 * 86400),
        validity: Some(std::time::Duration::from_secs(365 * 86400)),
        ..CertSpec::v4("Old <old@example.org>")
    }
    .generate();
    let current = CertSpec::v4("New <new@example.org>").generate();
    let mut keys = pgp::armored_public(&expired);
    keys.extend(pgp::armored_public(&current));
    let dir = TestDir::new("imp-headings");
    inline_tree(
        &dir,
        "foo",
        "1.0-1",
        "version=4\nopts=pgpsigurlmangle=s/$/.asc/ https://example.org/pub/ foo-(\\d[\\d.]*)\\.tar\\.gz\n",
        Some(&keys),
    );
    let out = import(&dir, "foo");
    out.assert_code(0);
    let text = written(&dir, "foo");
    let pinned_at = text.find("# Keys pinned:").unwrap_or(usize::MAX);
    let dropped_at = text.find("# Dropped on purpose:").unwrap_or(text.len());
    for fpr in [pgp::fingerprint(&expired), pgp::fingerprint(&current)] {
        let at = text.find(&format!("# - {fpr}")).unwrap_or(0);
        out.check(
            at > pinned_at && at < dropped_at,
            &format!("{fpr} under Keys pinned:\n{text}"),
        );
    }
    out.check(
        text.contains("lint pin-expired"),
        "the expired key is named for review",
    );
}

#[test]
fn a_quote_inside_a_quoted_opts_value_does_not_end_it_and_the_line_translates() {
    let dir = TestDir::new("imp-quote-in-opts");
    // The published shape: a pagemangle whose regex and replacement hold `\"`, then the
    // signature mangle, in one quoted opts continued over two lines.
    inline_tree(
        &dir,
        "bar",
        "0.3.1-1",
        "version=4\n\n\
         opts=\"pagemangle=s%\\\"tarball_url\\\"[^\\\"]+\\\"[^\\\"]+/v@ANY_VERSION@\\\"%<a href=\\\"https://example.org/dl/v$1/@PACKAGE@_$1.tar.xz\\\">v$1</a>%g, \\\n\
         \x20     pgpsigurlmangle=s%$%.asc%\" \\\n\
         \x20  https://example.org/api/@PACKAGE@/tags \\\n\
         \x20  (?:.*)/@PACKAGE@@ANY_VERSION@@ARCHIVE_EXT@ debian uupdate\n",
        Some(&rsa2048()),
    );
    let out = import(&dir, "bar");
    out.assert_code(0);
    let notes = import_notes(&out.json());
    out.check(
        !notes.iter().any(|(_, m)| m.contains("unknown option")),
        &format!("the blanks inside the quoted pagemangle split no option: {notes:#?}"),
    );
    let text = written(&dir, "bar");
    out.check(
        text.contains("[signature]\nurl = \"{url}.asc\""),
        &format!("the signature mangle after the quoted regex is read:\n{text}"),
    );
    lint_ok(&dir);
}

#[test]
fn options_on_a_line_of_their_own_go_to_the_url_on_the_next_line_with_a_note() {
    let dir = TestDir::new("imp-orphan-opts");
    // The published shape: `opts="\` continued with `, \`, the closing quote ending the
    // line, the URL alone on the next one.
    inline_tree(
        &dir,
        "baz",
        "1.3.4+dfsg-1",
        "version=4\n\
         opts=\"\\\n\
         \trepack, \\\n\
         \trepacksuffix=+dfsg, \\\n\
         \tdversionmangle=s/(\\da?)[\\+\\.\\-~](?:dfsg|ds)\\.?\\d*$/$1/, \\\n\
         \tpgpsigurlmangle=s/$/.sig/\"\n\
         https://dl.example.org/stable/baz-(\\d+\\.\\d+\\.\\d+)\\.tar\\.gz\n",
        Some(&rsa2048()),
    );
    let out = import(&dir, "baz");
    out.assert_code(0);
    let j = out.json();
    has_note(
        &out,
        &j,
        "review",
        "debian/watch:2: these options stand on a line of their own",
    );
    let text = written(&dir, "baz");
    out.check(
        text.contains("[signature]\nurl = \"{url}.sig\"") && text.contains("current = \"1.3.4\""),
        &format!("the signature mangle and dversionmangle apply to the URL line:\n{text}"),
    );
    lint_ok(&dir);
}

#[test]
fn an_unsigned_second_source_of_the_same_tarball_is_dropped_and_the_signed_one_written() {
    let dir = TestDir::new("imp-unsigned-alternative");
    // The published shape: the release site with a signature mangle, a blank line, then the
    // forge's tag archives with no pgp option at all.
    inline_tree(
        &dir,
        "qux",
        "1.1.7-1",
        "version=4\n\
         opts=\"pgpsigurlmangle=s/$/.asc/\" \\\n\
         https://example.org/qux/qux-(\\d\\S+)\\.tar\\.(?:bz2|gz|xz)\n\
         \n\
         https://github.com/example/qux/tags .*/tags/v?(\\d\\S+)\\.tar\\.(?:bz2|gz|xz)\n",
        Some(&rsa2048()),
    );
    let out = import(&dir, "qux");
    out.assert_code(0);
    let j = out.json();
    has_note(
        &out,
        &j,
        "review",
        "debian/watch:5: another source of the same tarball",
    );
    out.check(
        !dir.join("out/qux-2.toml").exists(),
        "the unsigned alternative is not written",
    );
    let text = written(&dir, "qux");
    out.check(
        text.contains("url = \"https://example.org/qux/\"") && text.contains("{url}.asc"),
        &format!("the signed source is qux.toml:\n{text}"),
    );
    lint_ok(&dir);
}

#[test]
fn a_regex_directory_in_the_url_becomes_the_directory_field() {
    // (case, debian/watch in the published shape, the directory written)
    let cases = [
        (
            "last",
            "version=4\n\nopts=pgpsigurlmangle=s/$/.sig/ https://download.example.org/stable/frameworks/([\\d.]+)/quux-([\\d.]+)\\.tar\\.xz\n",
            "directory = '([\\d.]+)'",
            "debian/watch:3: the URL searches directories matching",
        ),
        (
            "with a fixed path below",
            "version=4\nopts=pgpsigurlmangle=s/$/.sig/ https://download.example.org/stable/release-service/([\\d.]+)/src/@PACKAGE@-([\\d.]+)\\.tar\\.xz\n",
            "directory = '([\\d.]+)/src'",
            "debian/watch:2: the URL searches directories matching",
        ),
    ];
    for (case, watch, want, note) in cases {
        let dir = TestDir::new("imp-directory");
        inline_tree(&dir, "quux", "5.103.0-1", watch, Some(&rsa2048()));
        let out = import(&dir, "quux").in_case(case);
        out.assert_code(0);
        let j = out.json();
        has_note(&out, &j, "info", note);
        let text = written(&dir, "quux");
        out.check(
            text.contains(want) && text.contains("url = \"https://download.example.org/stable/"),
            &format!("{want} under the listing URL:\n{text}"),
        );
        out.check(
            !import_notes(&j)
                .iter()
                .any(|(_, m)| m.contains("sigwatch reads one page")),
            "no note that sigwatch reads one page",
        );
        lint_ok(&dir);
    }
}

#[test]
fn a_plus_in_a_url_directory_is_not_taken_for_a_regex() {
    let dir = TestDir::new("imp-plus-dir");
    // The published shape: a `c++-…` directory and a `latest/` directory before the file.
    inline_tree(
        &dir,
        "saml",
        "3.2.1-1",
        "version=4\nopts=pgpsigurlmangle=s/$/.asc/ \\\n  https://example.org/downloads/c++-saml/latest/saml-(.*)\\.tar\\.bz2\n",
        Some(&rsa2048()),
    );
    let out = import(&dir, "saml");
    out.assert_code(0);
    let text = written(&dir, "saml");
    out.check(
        text.contains("url = \"https://example.org/downloads/c++-saml/latest/\"")
            && !text.contains("directory ="),
        &format!("the URL is kept whole:\n{text}"),
    );
    out.check(
        !import_notes(&out.json())
            .iter()
            .any(|(_, m)| m.contains("searches directories")),
        "no directory search",
    );
}

#[test]
fn version_directories_whose_file_downloadurlmangle_names_become_directory_and_pattern() {
    let dir = TestDir::new("imp-dir-links");
    // The published shape (an Apache archive): the pattern matches the version directories,
    // downloadurlmangle turns a directory link into the tarball inside it.
    inline_tree(
        &dir,
        "zoo",
        "3.8.0-1",
        "version=4\n\
         opts=\"downloadurlmangle=s|zoo-@ANY_VERSION@/$|zoo-$1/apache-zoo-$1.tar.gz|, \\\n\
         \x20 filenamemangle=s|zoo-@ANY_VERSION@/|zoo-$1.tar.gz|, pgpsigurlmangle=s/$/.asc/\" \\\n\
         \x20 https://archive.example.org/dist/zoo/ .*/zoo-@ANY_VERSION@/\n",
        Some(&rsa2048()),
    );
    let out = import(&dir, "zoo");
    out.assert_code(0);
    let j = out.json();
    has_note(
        &out,
        &j,
        "review",
        "debian/watch:2: the pattern matches version directories",
    );
    out.check(
        !import_notes(&j)
            .iter()
            .any(|(_, m)| m.starts_with("downloadurlmangle")),
        "the downloadurlmangle is translated, not noted as dropped",
    );
    let text = written(&dir, "zoo");
    out.check(
        text.contains("url = \"https://archive.example.org/dist/zoo/\"")
            && text.contains("directory = 'zoo-")
            && text.contains(r"pattern = 'apache\-zoo\-(?P<version>[0-9][0-9.]*)\.tar\.gz'"),
        &format!("directory and the file pattern inside it:\n{text}"),
    );
    lint_ok(&dir);
}
