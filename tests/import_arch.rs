//! `sigwatch import-arch`: the real binary translating PKGBUILDs (tests/fixtures/arch, with
//! fingerprints and key files from tests/fixtures/keys filled in at test time), proving that
//! nothing in a PKGBUILD runs, and one round trip in which the imported watch file fetches and
//! verifies a release from a loopback server.

mod server;
mod util;

use std::time::SystemTime;

use serde_json::Value;

use server::Server;
use util::pgp::{self, CertSpec};
use util::{Output, TestDir, fixtures};
use util::{import_notes, strings, written};

/// A fingerprint in blocks of four, as gpg prints it.
fn spaced(fpr: &str) -> String {
    let groups: Vec<&str> = (0..fpr.len())
        .step_by(4)
        .map(|i| &fpr[i..(i + 4).min(fpr.len())])
        .collect();
    let half = groups.len() / 2;
    format!("{}  {}", groups[..half].join(" "), groups[half..].join(" "))
}

/// Copies `tests/fixtures/arch/CASE/PKGBUILD` to `CASE/PKGBUILD`, filling in `@FPR:NAME@`,
/// `@SPACED:NAME@` and `@PWNED@`, and installs `keys` as `CASE/keys/pgp/<FPR>.asc`.
fn install(dir: &TestDir, case: &str, keys: &[&str]) -> String {
    let src = fixtures().path("arch").join(case).join("PKGBUILD");
    let mut text =
        std::fs::read_to_string(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    for name in ["rsa2048", "rsa4096", "ed25519", "p256"] {
        let fpr = fixtures().fingerprint(name);
        text = text
            .replace(&format!("@FPR:{name}@"), &fpr)
            .replace(&format!("@SPACED:{name}@"), &spaced(&fpr));
    }
    text = text.replace("@PWNED@", &dir.join("pwned").display().to_string());
    dir.write(format!("{case}/PKGBUILD"), &text);
    for k in keys {
        let (path, fpr) = fixtures().key(k);
        dir.copy(path, format!("{case}/keys/pgp/{fpr}.asc"));
    }
    text
}

/// `sigwatch import-arch CASE --out out --json`.
fn import(dir: &TestDir, case: &str) -> Output {
    dir.cmd(["import-arch", case, "--out", "out", "--json"])
        .run()
}

/// Panics, explaining, unless some note has `severity`, starts with `prefix` and contains
/// `needle`.
fn has_note(out: &Output, j: &Value, severity: &str, prefix: &str, needle: &str) {
    let all = import_notes(j);
    out.check(
        all.iter()
            .any(|(s, m)| s == severity && m.starts_with(prefix) && m.contains(needle)),
        &format!("no {severity} note {prefix:?}…{needle:?}; notes: {all:#?}"),
    );
}

/// The primary fingerprints in a written keyring, via `sigwatch keys list --json`.
fn keyring_fingerprints(dir: &TestDir, name: &str) -> Vec<String> {
    let out = dir
        .cmd([
            "keys",
            "list",
            &format!("out/keyrings/{name}.asc"),
            "--json",
        ])
        .run();
    out.assert_code(0);
    let mut fprs: Vec<String> = out.json()["certificates"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c["fingerprint"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    fprs.sort();
    fprs
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// `sigwatch lint out` passes: the written files load, every pin is in the keyring.
fn lint_ok(dir: &TestDir) {
    dir.cmd(["lint", "out"]).assert_code(0);
}

#[test]
fn split_package_with_github_release_assets_becomes_a_github_source() {
    let dir = TestDir::new("arch-github");
    install(&dir, "github-split", &["rsa2048", "ed25519"]);
    let out = import(&dir, "github-split");
    out.assert_code(0);
    let j = out.json();
    out.check(j["package"] == "widget", "named after pkgbase");
    out.check(
        strings(&j["packages"]) == ["widget", "widget-docs"],
        "every pkgname",
    );
    out.check(j["current"] == "2.4.1", "pkgver, not the one build() sets");
    out.check(j["source"]["github"] == "example/widget", "GitHub source");
    out.check(
        j["source"]["pattern"] == r"widget\-(?P<version>[0-9][0-9A-Za-z.+~_-]*)\.tar\.gz",
        "pattern from the file name, pkgver as the version group",
    );
    out.check(
        j["signed_source"]
            == "https://github.com/example/widget/releases/download/v2.4.1/widget-2.4.1.tar.gz",
        "the first signed source",
    );
    out.check(
        strings(&j["signature_templates"]) == ["{url}.asc"],
        "{,.asc} is {url}.asc",
    );
    let expected = sorted(vec![
        fixtures().fingerprint("rsa2048"),
        fixtures().fingerprint("ed25519"),
    ]);
    out.check(
        sorted(strings(&j["pinned"])) == expected,
        "both validpgpkeys, the spaced one too",
    );
    out.check(j["verifies"] == true, "verifies");
    has_note(&out, &j, "info", "PKGBUILD:6: split package", "pkgbase");
    has_note(
        &out,
        &j,
        "review",
        "PKGBUILD:14: another signed source",
        "widget-docs-2.4.1.tar.gz",
    );
    let text = written(&dir, "widget");
    for needle in [
        "github = \"example/widget\"",
        "url = \"{url}.asc\"",
        "current = \"2.4.1\"",
        "read, never run",
    ] {
        out.check(text.contains(needle), &format!("{needle:?} in:\n{text}"));
    }
    lint_ok(&dir);
    out.check(
        keyring_fingerprints(&dir, "widget") == expected,
        "the keyring holds exactly the pinned certificates",
    );
}

#[test]
fn renamed_plain_url_sources_become_a_directory_listing() {
    let dir = TestDir::new("arch-url");
    install(&dir, "plain-url", &["rsa4096", "rsa2048"]);
    let out = import(&dir, "plain-url");
    out.assert_code(0);
    let j = out.json();
    out.check(j["package"] == "libfoo", "pkgname");
    out.check(
        j["source"]["url"] == "https://download.example.org/pub/foo/",
        "the directory of the upstream URL",
    );
    out.check(
        j["source"]["pattern"] == r"foo\-(?P<version>[0-9][0-9A-Za-z.+~_-]*)\.tar\.xz",
        "upstream's file name, not the local rename",
    );
    out.check(
        strings(&j["signature_templates"]) == ["{url}.sig"],
        "the .sig next to it",
    );
    out.check(
        strings(&j["pinned"]) == [fixtures().fingerprint("rsa4096")],
        "only validpgpkeys is pinned, not every key file",
    );
    has_note(
        &out,
        &j,
        "info",
        "PKGBUILD:12: libfoo-1.0.3.tar.xz:: renames",
        "",
    );
    has_note(
        &out,
        &j,
        "review",
        "PKGBUILD:15: source_aarch64",
        "not translated",
    );
    has_note(
        &out,
        &j,
        "info",
        "keys/pgp",
        &format!(
            "{} is not in validpgpkeys",
            fixtures().fingerprint("rsa2048")
        ),
    );
    lint_ok(&dir);
    out.check(
        keyring_fingerprints(&dir, "libfoo") == [fixtures().fingerprint("rsa4096")],
        "the unpinned key file is not copied",
    );
}

#[test]
fn short_and_long_key_ids_are_refused_with_their_line_and_never_pinned() {
    let dir = TestDir::new("arch-ids");
    install(&dir, "refused-ids", &["rsa2048"]);
    let out = import(&dir, "refused-ids");
    out.assert_code(2);
    let j = out.json();
    out.check(j["verifies"] == false, "does not verify");
    has_note(
        &out,
        &j,
        "error",
        "PKGBUILD:11: validpgpkeys[0]",
        "short key ID",
    );
    has_note(
        &out,
        &j,
        "error",
        "PKGBUILD:12: validpgpkeys[1]",
        "long key ID",
    );
    has_note(
        &out,
        &j,
        "error",
        "PKGBUILD:13: validpgpkeys[2]",
        "not a fingerprint",
    );
    out.check(
        strings(&j["pinned"]) == [fixtures().fingerprint("rsa2048")],
        "only the full fingerprint is pinned",
    );
    let text = written(&dir, "keyids");
    let pinned_part = text.split("fingerprints = [").nth(1).unwrap_or_default();
    out.check(
        !pinned_part.contains("DE9C9120\",") && !pinned_part.contains("not-a-fingerprint"),
        &format!("key IDs never pinned:\n{text}"),
    );
    out.check(
        text.contains("# - TODO PKGBUILD:11: validpgpkeys[0]"),
        &format!("the refusal is in the file:\n{text}"),
    );
    // Without --json, the refusals are on stderr with file:line.
    dir.cmd(["import-arch", "refused-ids", "--out", "out2"])
        .assert_code(2)
        .assert_stderr_contains(&["error: PKGBUILD:11: validpgpkeys[0]", "short key ID"])
        .assert_stdout_contains(&["out2/keyids.toml"]);
}

#[test]
fn a_fingerprint_without_a_key_file_is_not_pinned_and_fails() {
    let dir = TestDir::new("arch-missing");
    install(&dir, "missing-key", &["rsa2048"]);
    let out = import(&dir, "missing-key");
    out.assert_code(2);
    let j = out.json();
    let p256 = fixtures().fingerprint("p256");
    has_note(
        &out,
        &j,
        "error",
        &format!("keys/pgp/{p256}.asc: validpgpkeys names {p256}"),
        "the keyring must hold every pinned key",
    );
    out.check(
        strings(&j["pinned"]) == [fixtures().fingerprint("rsa2048")],
        "the key that is there",
    );
    out.check(
        strings(&j["candidates"]).contains(&p256),
        "the missing one is still a candidate",
    );
    out.check(
        keyring_fingerprints(&dir, "halfkeyed") == [fixtures().fingerprint("rsa2048")],
        "keyring",
    );
    // What was written loads and pins only keys its keyring holds.
    lint_ok(&dir);
}

#[test]
fn nothing_in_a_pkgbuild_is_executed() {
    let dir = TestDir::new("arch-pwned");
    install(&dir, "never-run", &["rsa2048"]);
    let out = import(&dir, "never-run");
    for suffix in ["subst", "backtick", "command", "eval", "array", "function"] {
        let p = dir.join(format!("pwned-{suffix}"));
        out.check(!p.exists(), &format!("{} was created", p.display()));
    }
    // The shell it cannot read is reported; the release it can read still verifies.
    out.assert_code(0);
    let j = out.json();
    has_note(&out, &j, "review", "PKGBUILD:7: $(touch", "unsupported");
    has_note(&out, &j, "review", "PKGBUILD:8: `touch", "unsupported");
    has_note(
        &out,
        &j,
        "review",
        "PKGBUILD:9: top-level command `touch",
        "not run",
    );
    has_note(
        &out,
        &j,
        "review",
        "PKGBUILD:10: top-level command `eval",
        "not run",
    );
    has_note(&out, &j, "review", "PKGBUILD:13: $(touch", "unsupported");
    has_note(&out, &j, "review", "PKGBUILD:17: pkgver()", "not run");
    out.check(j["current"] == "1.5", "the static pkgver");
    out.check(
        j["source"]["url"] == "https://example.org/neverrun/",
        "the signed source",
    );
    lint_ok(&dir);
}

#[test]
fn no_signed_source_writes_a_watch_file_that_sigwatch_refuses() {
    let dir = TestDir::new("arch-unsigned");
    install(&dir, "no-signature", &["rsa2048"]);
    let out = import(&dir, "no-signature");
    out.assert_code(2);
    let j = out.json();
    has_note(&out, &j, "error", "PKGBUILD:8: no signed source", "");
    out.check(strings(&j["pinned"]).is_empty(), "nothing pinned");
    out.check(
        strings(&j["candidates"]) == [fixtures().fingerprint("rsa2048")],
        "validpgpkeys offered",
    );
    let text = written(&dir, "unsigned");
    out.check(
        text.contains("fingerprints = []   # TODO")
            && text.contains("TODO: the PKGBUILD has no signed source"),
        &text,
    );
    dir.cmd([
        "check",
        "out/unsigned.toml",
        "--retries",
        "0",
        "--timeout",
        "2",
    ])
    .assert_code(2)
    .assert_stdout_contains(&["keys.fingerprints: no fingerprint is pinned"]);
}

#[test]
fn no_validpgpkeys_offers_the_key_files_but_pins_nothing() {
    let dir = TestDir::new("arch-anykey");
    install(&dir, "no-validpgpkeys", &["rsa2048"]);
    let out = import(&dir, "no-validpgpkeys");
    out.assert_code(2);
    let j = out.json();
    has_note(&out, &j, "error", "PKGBUILD: no usable validpgpkeys", "");
    out.check(strings(&j["pinned"]).is_empty(), "nothing pinned");
    let fpr = fixtures().fingerprint("rsa2048");
    out.check(
        strings(&j["candidates"]) == [fpr.clone()],
        "key file offered",
    );
    let text = written(&dir, "anykey");
    out.check(
        text.contains("fingerprints = []") && text.contains(&format!("#   \"{fpr}\"")),
        &text,
    );
    out.check(
        strings(&j["signature_templates"]) == ["{url}.sig"],
        "the signed source is still translated",
    );
}

#[test]
fn pypi_sources_become_pypi_with_substring_expansion() {
    let dir = TestDir::new("arch-pypi");
    install(&dir, "pypi", &["rsa2048"]);
    let out = import(&dir, "pypi");
    out.assert_code(0);
    let j = out.json();
    out.check(j["source"]["pypi"] == "flufl.lock", "PyPI project");
    out.check(
        strings(&j["signature_templates"]) == ["{url}.asc"],
        "signature",
    );
    out.check(j["package"] == "python-flufl-lock", "pkgname");
    has_note(&out, &j, "review", "PKGBUILD:9: PyPI stopped", "");
    lint_ok(&dir);
}

#[test]
fn gitlab_assets_and_github_tag_archives_are_told_apart() {
    let dir = TestDir::new("arch-forges");
    let fpr = fixtures().fingerprint("rsa2048");
    let (key, _) = fixtures().key("rsa2048");
    for name in ["lab", "tagged"] {
        dir.copy(&key, format!("{name}/keys/pgp/{fpr}.asc"));
    }
    dir.write(
        "lab/PKGBUILD",
        format!(
            "pkgname=lab\npkgver=1.4\nsource=(\"https://gitlab.example.org/group/sub/lab/-/releases/v$pkgver/downloads/lab-$pkgver.tar.gz\"{{,.sig}})\nvalidpgpkeys=({fpr})\n"
        ),
    );
    dir.write(
        "tagged/PKGBUILD",
        format!(
            "pkgname=tagged\npkgver=0.7\n_gh=https://github.com/owner/tagged\nsource=(\"tagged-$pkgver.tar.gz::$_gh/archive/refs/tags/v$pkgver.tar.gz\"\n        \"tagged-$pkgver.tar.gz.asc::$_gh/releases/download/v$pkgver/tagged-$pkgver.tar.gz.asc\")\nvalidpgpkeys=('{fpr}')\n"
        ),
    );
    let out = import(&dir, "lab");
    out.assert_code(0);
    let j = out.json();
    out.check(j["source"]["gitlab"] == "group/sub/lab", "GitLab project");
    out.check(
        j["source"]["api"] == "https://gitlab.example.org",
        "self-hosted API",
    );
    out.check(
        j["source"]["pattern"] == r"lab\-(?P<version>[0-9][0-9A-Za-z.+~_-]*)\.tar\.gz",
        "asset pattern",
    );

    let out = import(&dir, "tagged");
    out.assert_code(0);
    let j = out.json();
    out.check(
        j["source"]["url"] == "https://github.com/owner/tagged/tags",
        "a URL source on the tags page",
    );
    out.check(
        j["source"]["pattern"] == r"v(?P<version>[0-9][0-9A-Za-z.+~_-]*)\.tar\.gz",
        "the archive's file name",
    );
    out.check(
        strings(&j["signature_templates"])
            == ["https://github.com/owner/tagged/releases/download/v{version}/tagged-{version}.tar.gz.asc"],
        "the signature asset, by version",
    );
    has_note(
        &out,
        &j,
        "review",
        "PKGBUILD:4: a GitHub tag archive",
        "not a release asset",
    );
    lint_ok(&dir);
}

#[test]
fn missing_pkgbuild_and_bad_quoting_are_usage_errors() {
    let dir = TestDir::new("arch-usage");
    let out = dir
        .cmd(["import-arch", "nowhere", "--out", "out", "--json"])
        .run();
    out.assert_code(2);
    out.check(out.json()["error"]["kind"] == "config", "an error object");
    dir.write(
        "broken/PKGBUILD",
        "pkgname=broken\nsource=(\"https://e.org/x\n",
    );
    dir.cmd(["import-arch", "broken", "--out", "out"])
        .assert_code(2)
        .assert_stderr_contains(&["PKGBUILD:2: unterminated \" quote"]);
    out.check(!dir.join("out/broken.toml").exists(), "nothing written");
}

#[test]
fn imported_url_watch_file_fetches_and_verifies_a_signed_release() {
    let dir = TestDir::new("arch-roundtrip");
    let server = Server::start();
    let upstream = CertSpec::v4("Upstream <up@example.org>").generate();
    let fpr = pgp::fingerprint(&upstream);
    let tarball = b"pretend tarball of roundtrip 1.2\n".repeat(100);
    server.file(
        "/releases/",
        "<html><body><a href=\"roundtrip-1.1.tar.gz\">old</a>\n\
         <a href=\"roundtrip-1.2.tar.gz\">new</a>\n\
         <a href=\"roundtrip-1.2.tar.gz.sig\">sig</a></body></html>",
    );
    server.file("/releases/roundtrip-1.2.tar.gz", tarball.clone());
    server.file(
        "/releases/roundtrip-1.2.tar.gz.sig",
        pgp::sign_detached(&upstream, &tarball, SystemTime::now(), false, false),
    );
    dir.write(
        "roundtrip/PKGBUILD",
        format!(
            "pkgname=roundtrip\npkgver=1.1\npkgrel=1\n_base={}\nsource=(\"$_base/$pkgname-$pkgver.tar.gz\"{{,.sig}})\nvalidpgpkeys=('{fpr}') # Upstream\n",
            server.url("/releases").trim_end_matches('/')
        ),
    );
    dir.write(
        format!("roundtrip/keys/pgp/{fpr}.asc"),
        pgp::armored_public(&upstream),
    );
    let out = import(&dir, "roundtrip");
    out.assert_code(0);
    let j = out.json();
    out.check(strings(&j["pinned"]) == [fpr.clone()], "pinned");
    out.check(j["source"]["url"] == server.url("/releases/"), "listing");
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
        "/releases/roundtrip-1.2.tar.gz.sig",
        pgp::sign_detached(&other, &tarball, SystemTime::now(), false, false),
    );
    let _ = std::fs::remove_file(dir.join("out/roundtrip.toml.lock"));
    dir.cmd(["fetch", "out/roundtrip.toml", "--dest", "dest2", "--json"])
        .args(["--retries", "0", "--timeout", "5"])
        .assert_code(1);
    out.check(
        !dir.join("dest2/roundtrip-1.2.tar.gz").exists(),
        "nothing placed",
    );
}

/// Writes `files` (name, text) under `case/`, with `@FPR@` as the fixture key rsa2048's
/// fingerprint, and installs that key as `case/keys/pgp/<FPR>.asc`.
fn inline_tree(dir: &TestDir, case: &str, files: &[(&str, &str)]) -> String {
    let (key, fpr) = fixtures().key("rsa2048");
    for (name, text) in files {
        dir.write(format!("{case}/{name}"), text.replace("@FPR@", &fpr));
    }
    dir.copy(key, format!("{case}/keys/pgp/{fpr}.asc"));
    fpr
}

/// catatonit as Arch packages it: `name::url` renames of a GitHub release asset whose name
/// holds no version (the tag does).
const CATATONIT_PKGBUILD: &str = r#"# Maintainer: Test Packager <packager@example.org>

pkgname=catatonit
pkgver=0.2.0
pkgrel=1
pkgdesc="A container init that is so simple it's effectively brain-dead"
arch=(x86_64)
url="https://github.com/openSUSE/catatonit"
license=(GPL-2.0-or-later)
depends=(glibc)
source=(
  $pkgname-$pkgver.tar.xz::$url/releases/download/v$pkgver/$pkgname.tar.xz
  $pkgname-$pkgver.tar.xz.asc::$url/releases/download/v$pkgver/$pkgname.tar.xz.asc
)
sha512sums=('SKIP' 'SKIP')
validpgpkeys=(@FPR@)  # Fixture RSA2048

build() {
  cd $pkgname-$pkgver
  ./autogen.sh
  make
}
"#;

/// The same package's .SRCINFO (as `makepkg --printsrcinfo` writes it), one release later.
const CATATONIT_SRCINFO: &str = "pkgbase = catatonit
\tpkgdesc = A container init that is so simple it's effectively brain-dead
\tpkgver = 0.2.1
\tpkgrel = 1
\turl = https://github.com/openSUSE/catatonit
\tarch = x86_64
\tlicense = GPL-2.0-or-later
\tdepends = glibc
\tsource = catatonit-0.2.1.tar.xz::https://github.com/openSUSE/catatonit/releases/download/v0.2.1/catatonit.tar.xz
\tsource = catatonit-0.2.1.tar.xz.asc::https://github.com/openSUSE/catatonit/releases/download/v0.2.1/catatonit.tar.xz.asc
\tvalidpgpkeys = @FPR@
\tsha512sums = SKIP
\tsha512sums = SKIP

pkgname = catatonit
";

#[test]
fn srcinfo_is_read_first_and_renamed_release_assets_without_a_version_are_fine() {
    let dir = TestDir::new("arch-srcinfo");
    let fpr = inline_tree(
        &dir,
        "catatonit",
        &[
            ("PKGBUILD", CATATONIT_PKGBUILD),
            (".SRCINFO", CATATONIT_SRCINFO),
        ],
    );
    let out = import(&dir, "catatonit");
    out.assert_code(0);
    let j = out.json();
    out.check(
        j["current"] == "0.2.1",
        "pkgver from .SRCINFO, not the PKGBUILD",
    );
    out.check(
        j["source"]["github"] == "openSUSE/catatonit",
        "GitHub source",
    );
    out.check(
        j["source"]["pattern"] == r"catatonit\.tar\.xz",
        "upstream's asset name, not the local rename",
    );
    out.check(
        strings(&j["signature_templates"]) == ["{url}.asc"],
        "{url}.asc",
    );
    out.check(strings(&j["pinned"]) == [fpr], "validpgpkeys pinned");
    has_note(
        &out,
        &j,
        "info",
        ".SRCINFO:9: catatonit-0.2.1.tar.xz:: renames",
        "",
    );
    has_note(
        &out,
        &j,
        "info",
        ".SRCINFO:9: the asset name catatonit.tar.xz holds no version",
        "tag",
    );
    let text = written(&dir, "catatonit");
    out.check(
        text.contains("from .SRCINFO of catatonit") && !text.contains("read, never run"),
        &text,
    );
    lint_ok(&dir);
}

#[test]
fn without_srcinfo_the_pkgbuild_is_read_and_a_broken_srcinfo_falls_back_to_it() {
    for (case, srcinfo) in [
        ("no-srcinfo", None),
        ("broken-srcinfo", Some("pkgbase catatonit\n")),
    ] {
        let dir = TestDir::new(&format!("arch-{case}"));
        let mut files = vec![("PKGBUILD", CATATONIT_PKGBUILD)];
        if let Some(s) = srcinfo {
            files.push((".SRCINFO", s));
        }
        inline_tree(&dir, "catatonit", &files);
        let out = import(&dir, "catatonit");
        out.assert_code(0);
        let j = out.json();
        out.check(j["current"] == "0.2.0", "pkgver from the PKGBUILD");
        out.check(
            j["source"]["github"] == "openSUSE/catatonit",
            "GitHub source",
        );
        has_note(
            &out,
            &j,
            "info",
            "PKGBUILD:12: catatonit-0.2.0.tar.xz:: renames",
            "",
        );
        if srcinfo.is_some() {
            has_note(
                &out,
                &j,
                "review",
                ".SRCINFO: not read",
                "the PKGBUILD is read instead",
            );
        }
        lint_ok(&dir);
    }
}

#[test]
fn a_top_level_if_is_reported_not_run_and_the_rest_translates() {
    let dir = TestDir::new("arch-if");
    inline_tree(
        &dir,
        "runc",
        &[(
            "PKGBUILD",
            r#"pkgname=runc
pkgver=1.1.12
pkgrel=1
arch=(x86_64 aarch64)
url='https://github.com/opencontainers/runc'
license=(Apache-2.0)
depends=(glibc libseccomp)
if [[ $CARCH == "aarch64" ]]; then
  makedepends+=(aarch64-linux-gnu-gcc)
  options=(!lto)
elif [ "$CARCH" = x86_64 ]; then
  options=(lto)
fi
source=(runc-$pkgver.tar.xz::$url/releases/download/v$pkgver/runc.tar.xz
        runc-$pkgver.tar.xz.asc::$url/releases/download/v$pkgver/runc.tar.xz.asc
        runc.keyring::$url/raw/v$pkgver/runc.keyring)
sha256sums=(SKIP SKIP SKIP)
validpgpkeys=('@FPR@')

package() {
  install -Dm755 runc "$pkgdir/usr/bin/runc"
}
"#,
        )],
    );
    let out = import(&dir, "runc");
    out.assert_code(0);
    let j = out.json();
    out.check(
        j["source"]["github"] == "opencontainers/runc",
        "GitHub source",
    );
    out.check(j["source"]["pattern"] == r"runc\.tar\.xz", "asset name");
    has_note(
        &out,
        &j,
        "review",
        "PKGBUILD:8: `if` at top level is not evaluated",
        "",
    );
    lint_ok(&dir);
}
