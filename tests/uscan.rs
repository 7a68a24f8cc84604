//! `sigwatch uscan`: the real binary run in Debian package trees written here (v4 and v5
//! watch files, a component tarball, a binary `.sig`) against loopback servers. Keys and
//! signatures are made at test time.

mod server;
mod util;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

use sequoia_openpgp as openpgp;

use server::Server;
use util::pgp::{self, CertSpec};
use util::{Output, TestDir};

/// A package tree `DIR/name` with `watch`, at Debian version `version`, trusting `key`.
fn package(dir: &TestDir, name: &str, version: &str, watch: &str, key: Option<&[u8]>) {
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

/// A release listing at /releases/ with `files`, each served with its bytes.
fn serve(server: &Server, files: &[(&str, &[u8])]) {
    let links: String = files
        .iter()
        .map(|(n, _)| format!("<a href=\"{n}\">{n}</a>\n"))
        .collect();
    server.file("/releases/", format!("<html><body>\n{links}</body></html>"));
    for (name, bytes) in files {
        server.file(&format!("/releases/{name}"), bytes.to_vec());
    }
}

/// A v4 watch file: releases of `name` under /releases/, signatures at `{url}.asc`.
fn watch_v4(server: &Server, name: &str, extra_opts: &str) -> String {
    format!(
        "version=4\nopts=\"pgpsigurlmangle=s/$/.asc/{extra_opts}\" \\\n  {} .*/{name}-(\\d[\\d.]*)\\.tar\\.gz\n",
        server.url("/releases/")
    )
}

/// The DEHS document's elements: `tag` → text, and `component:ID/tag` → text.
fn dehs(out: &Output) -> BTreeMap<String, String> {
    use quick_xml::events::Event;
    let xml = out.stdout();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut fields = BTreeMap::new();
    let mut path: Vec<String> = Vec::new();
    let mut component = None;
    let mut root = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let tag = e.name().0.to_string();
                if tag == "dehs" {
                    root = true;
                }
                if tag == "component" {
                    component = e
                        .try_get_attribute("id")
                        .ok()
                        .flatten()
                        .map(|a| a.value.into_owned());
                }
                path.push(tag);
            }
            Ok(Event::Text(t)) => {
                let text = t.xml10_content();
                if text.trim().is_empty() {
                    continue;
                }
                let tag = path.last().cloned().unwrap_or_default();
                let key = match &component {
                    Some(c) if tag != "component" => format!("component:{c}/{tag}"),
                    _ => tag,
                };
                fields
                    .entry(key)
                    .and_modify(|v: &mut String| v.push_str(&text))
                    .or_insert_with(|| text.into_owned());
            }
            Ok(Event::GeneralRef(r)) => {
                // Entity references arrive on their own (`&amp;`): put them back as text.
                let tag = path.last().cloned().unwrap_or_default();
                let name = r.to_string();
                let ch = match name.as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => out.fail(&format!("unexpected entity &{name};")),
                };
                fields.entry(tag).or_default().push_str(ch);
            }
            Ok(Event::End(e)) => {
                if e.name().0 == "component" {
                    component = None;
                }
                path.pop();
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => out.fail(&format!("stdout is not XML: {e}")),
        }
    }
    out.check(root, "no <dehs> element");
    fields
}

/// Names in `dir` (not recursive), sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn report_names_the_newest_upstream_version_after_dversionmangle_and_downloads_nothing() {
    let dir = TestDir::new("uscan-report");
    let server = Server::start();
    let up = CertSpec::v4("Upstream <up@example.org>").generate();
    serve(
        &server,
        &[
            ("hello-1.1.tar.gz", b"one one"),
            ("hello-1.10.tar.gz", b"one ten"),
            ("hello-1.9.tar.gz", b"one nine"),
        ],
    );
    package(
        &dir,
        "hello",
        "1:1.9+dfsg-2",
        &watch_v4(&server, "hello", r",dversionmangle=s/\+dfsg//"),
        Some(&pgp::armored_public(&up)),
    );
    let out = dir.cmd(["uscan", "hello", "--json"]).run();
    out.assert_code(0);
    let j = out.json();
    out.check(j["status"] == "newer package available", "status");
    out.check(j["debian_uversion"] == "1.9+dfsg", "debian_uversion");
    out.check(j["debian_mangled_uversion"] == "1.9", "mangled version");
    out.check(j["entries"][0]["upstream_version"] == "1.10", "newest");
    out.check(
        j["entries"][0]["upstream_url"] == server.url("/releases/hello-1.10.tar.gz").as_str(),
        "url",
    );
    out.check(j["downloaded"] == false, "downloaded");
    assert_eq!(names(dir.path()), ["hello"], "{}", dir.listing());
    assert_eq!(server.hits("/releases/hello-1.10.tar.gz"), 0);
    out.check(
        !dir.join("hello/debian/upstream/sigwatch.lock").exists()
            && !dir.join("hello/debian/hello.toml").exists(),
        "report mode writes nothing in the tree",
    );
}

#[test]
fn download_places_release_and_orig_names_byte_for_byte_after_verification() {
    let dir = TestDir::new("uscan-download");
    let server = Server::start();
    let up = CertSpec::v4("Upstream <up@example.org>").generate();
    let tarball = b"hello 2.0 tarball\n".repeat(500);
    let sig = pgp::sign_detached(&up, &tarball, SystemTime::now(), false, true);
    serve(
        &server,
        &[
            ("hello-1.0.tar.gz", b"old"),
            ("hello-2.0.tar.gz", &tarball),
            ("hello-2.0.tar.gz.asc", &sig),
        ],
    );
    package(
        &dir,
        "hello",
        "1.0-1",
        &watch_v4(&server, "hello", ""),
        Some(&pgp::armored_public(&up)),
    );
    let out = dir.cmd(["uscan", "hello", "--download", "--json"]).run();
    out.assert_code(0);
    let j = out.json();
    out.check(j["downloaded"] == true, "downloaded");
    out.check(
        j["entries"][0]["signer"] == pgp::fingerprint(&up).as_str(),
        "signer named",
    );
    let top = dir.path();
    assert_eq!(
        names(top),
        [
            "hello",
            "hello-2.0.tar.gz",
            "hello-2.0.tar.gz.asc",
            "hello_2.0.orig.tar.gz",
            "hello_2.0.orig.tar.gz.asc"
        ],
        "{}",
        dir.listing()
    );
    assert_eq!(
        std::fs::read(top.join("hello-2.0.tar.gz")).unwrap(),
        tarball
    );
    let link = std::fs::read_link(top.join("hello_2.0.orig.tar.gz")).unwrap();
    assert_eq!(
        link,
        Path::new("hello-2.0.tar.gz"),
        "a relative link, as uscan makes"
    );
    assert_eq!(
        std::fs::read(top.join("hello_2.0.orig.tar.gz")).unwrap(),
        tarball
    );
    assert_eq!(
        std::fs::read(top.join("hello_2.0.orig.tar.gz.asc")).unwrap(),
        sig
    );
    let lock = std::fs::read_to_string(dir.join("hello/debian/upstream/sigwatch.lock"))
        .unwrap_or_else(|e| out.fail(&format!("no history in debian/upstream: {e}")));
    out.check(
        lock.contains(&pgp::fingerprint(&up)),
        "history names the signer",
    );
    out.check(
        names(&dir.join("hello/debian")) == ["changelog", "control", "upstream", "watch"],
        "no watch TOML written in debian/",
    );

    // Up to date now that the changelog says 2.0: nothing is downloaded again.
    package(
        &dir,
        "hello",
        "2.0-1",
        &watch_v4(&server, "hello", ""),
        Some(&pgp::armored_public(&up)),
    );
    let hits = server.hits("/releases/hello-2.0.tar.gz");
    let again = dir.cmd(["uscan", "hello", "--download", "--json"]).run();
    again.assert_code(0);
    again.check(again.json()["status"] == "up to date", "up to date");
    assert_eq!(server.hits("/releases/hello-2.0.tar.gz"), hits);
}

#[test]
fn v5_watch_with_a_component_and_a_binary_sig_places_armored_orig_signatures() {
    let dir = TestDir::new("uscan-v5");
    let server = Server::start();
    let up = CertSpec::v6("Upstream <up@example.org>").generate();
    let main = b"main tarball 3.1\n".repeat(300);
    let extra = b"docs component 0.7\n".repeat(200);
    let main_sig = pgp::sign_detached(&up, &main, SystemTime::now(), false, false);
    let extra_sig = pgp::sign_detached(&up, &extra, SystemTime::now(), false, false);
    serve(
        &server,
        &[
            ("tool-3.0.tar.xz", b"older"),
            ("tool-3.1.tar.xz", &main),
            ("tool-3.1.tar.xz.sig", &main_sig),
            ("tool-docs-0.7.tar.gz", &extra),
            ("tool-docs-0.7.tar.gz.sig", &extra_sig),
        ],
    );
    let watch = format!(
        "Version: 5\n\n\
         Source: {url}\n\
         Matching-Pattern: .*/tool-(\\d[\\d.]*)\\.tar\\.xz\n\
         Pgp-Sig-Url-Mangle: s/$/.sig/\n\n\
         Source: {url}\n\
         Matching-Pattern: .*/tool-docs-(\\d[\\d.]*)\\.tar\\.gz\n\
         Component: docs\n\
         Pgp-Sig-Url-Mangle: s/$/.sig/\n",
        url = server.url("/releases/")
    );
    package(
        &dir,
        "tool",
        "3.0-1",
        &watch,
        Some(&pgp::armored_public(&up)),
    );
    let dest = dir.join("out");
    let out = dir
        .cmd(["uscan", "tool", "--download", "--dehs", "--destdir"])
        .arg(&dest)
        .run();
    out.assert_code(0);
    let d = dehs(&out);
    let fpr = pgp::fingerprint(&up);
    assert_eq!(d["upstream-version"], "3.1", "{d:#?}");
    assert_eq!(d["target"], "tool_3.1.orig.tar.xz", "{d:#?}");
    assert_eq!(d["signer"], fpr, "{d:#?}");
    assert_eq!(
        d["component:docs/component-upstream-version"], "0.7",
        "{d:#?}"
    );
    assert_eq!(
        d["component:docs/component-target"], "tool_3.1.orig-docs.tar.gz",
        "{d:#?}"
    );
    assert_eq!(d["component:docs/component-signer"], fpr, "{d:#?}");
    assert_eq!(
        names(&dest),
        [
            "tool-3.1.tar.xz",
            "tool-3.1.tar.xz.sig",
            "tool-docs-0.7.tar.gz",
            "tool-docs-0.7.tar.gz.sig",
            "tool_3.1.orig-docs.tar.gz",
            "tool_3.1.orig-docs.tar.gz.asc",
            "tool_3.1.orig.tar.xz",
            "tool_3.1.orig.tar.xz.asc",
        ],
        "{}",
        dir.listing()
    );
    assert_eq!(
        std::fs::read(dest.join("tool_3.1.orig.tar.xz")).unwrap(),
        main
    );
    assert_eq!(
        std::fs::read(dest.join("tool_3.1.orig-docs.tar.gz")).unwrap(),
        extra
    );
    assert_eq!(
        std::fs::read(dest.join("tool-3.1.tar.xz.sig")).unwrap(),
        main_sig
    );
    // The .asc beside the .orig is the same signature, armored.
    for (asc, binary) in [
        ("tool_3.1.orig.tar.xz.asc", &main_sig),
        ("tool_3.1.orig-docs.tar.gz.asc", &extra_sig),
    ] {
        let armored = std::fs::read(dest.join(asc)).unwrap();
        assert!(
            armored.starts_with(b"-----BEGIN PGP SIGNATURE-----"),
            "{asc}"
        );
        let mut reader = openpgp::armor::Reader::from_bytes(
            &armored,
            openpgp::armor::ReaderMode::Tolerant(Some(openpgp::armor::Kind::Signature)),
        );
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut reader, &mut bytes).unwrap();
        assert_eq!(&bytes, binary, "{asc} dearmors to the signature served");
    }
    out.check(
        dir.join("tool/debian/upstream/sigwatch.lock").is_file()
            && dir
                .join("tool/debian/upstream/sigwatch-docs.lock")
                .is_file(),
        "one history per tarball in debian/upstream",
    );
}

#[test]
fn dehs_report_has_uscan_fields_and_no_target_before_download() {
    let dir = TestDir::new("uscan-dehs");
    let server = Server::start();
    let up = CertSpec::v4("Upstream <up@example.org>").generate();
    serve(
        &server,
        &[("hello-0.9.tar.gz", b"x"), ("hello-1.0.tar.gz", b"y")],
    );
    package(
        &dir,
        "hello",
        "1.0-3",
        &watch_v4(&server, "hello", ""),
        Some(&pgp::armored_public(&up)),
    );
    let out = dir.cmd(["uscan", "hello", "--dehs"]).run();
    out.assert_code(0);
    let d = dehs(&out);
    let want: BTreeMap<String, String> = [
        ("package", "hello".to_string()),
        ("debian-uversion", "1.0".to_string()),
        ("debian-mangled-uversion", "1.0".to_string()),
        ("upstream-version", "1.0".to_string()),
        ("upstream-url", server.url("/releases/hello-1.0.tar.gz")),
        ("status", "up to date".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(d, want, "{}", out.stdout());
}

#[test]
fn tampered_release_is_refused_and_nothing_is_placed() {
    let dir = TestDir::new("uscan-tampered");
    let server = Server::start();
    let up = CertSpec::v4("Upstream <up@example.org>").generate();
    let tarball = b"the real tarball".repeat(100);
    let sig = pgp::sign_detached(&up, &tarball, SystemTime::now(), false, true);
    let mut tampered = tarball.clone();
    tampered[7] ^= 1;
    serve(
        &server,
        &[
            ("hello-2.0.tar.gz", &tampered),
            ("hello-2.0.tar.gz.asc", &sig),
        ],
    );
    package(
        &dir,
        "hello",
        "1.0-1",
        &watch_v4(&server, "hello", ""),
        Some(&pgp::armored_public(&up)),
    );
    let out = dir.cmd(["uscan", "hello", "--download", "--dehs"]).run();
    out.assert_code(1);
    let d = dehs(&out);
    out.check(d.contains_key("errors"), "DEHS carries the error");
    out.check(
        !d.contains_key("target") && !d.contains_key("signer"),
        "no target",
    );
    assert_eq!(names(dir.path()), ["hello"], "{}", dir.listing());
}

#[test]
fn unsigned_release_is_refused_and_nothing_is_placed() {
    let dir = TestDir::new("uscan-unsigned");
    let server = Server::start();
    let up = CertSpec::v4("Upstream <up@example.org>").generate();
    serve(&server, &[("hello-2.0.tar.gz", b"no signature for me")]);
    package(
        &dir,
        "hello",
        "1.0-1",
        &watch_v4(&server, "hello", ""),
        Some(&pgp::armored_public(&up)),
    );
    let out = dir.cmd(["uscan", "hello", "--download"]).run();
    out.assert_code(1);
    out.assert_stderr_contains(&["no signature found", "hello-2.0.tar.gz.asc"]);
    assert_eq!(names(dir.path()), ["hello"], "{}", dir.listing());
}

#[test]
fn unpinned_signer_is_refused_and_named() {
    let dir = TestDir::new("uscan-unpinned");
    let server = Server::start();
    let up = CertSpec::v4("Upstream <up@example.org>").generate();
    let other = CertSpec::v4("Mallory <m@example.org>").generate();
    let tarball = b"tarball".repeat(100);
    let sig = pgp::sign_detached(&other, &tarball, SystemTime::now(), false, true);
    serve(
        &server,
        &[
            ("hello-2.0.tar.gz", &tarball),
            ("hello-2.0.tar.gz.asc", &sig),
        ],
    );
    package(
        &dir,
        "hello",
        "1.0-1",
        &watch_v4(&server, "hello", ""),
        Some(&pgp::armored_public(&up)),
    );
    let out = dir.cmd(["uscan", "hello", "--download"]).run();
    out.assert_code(1);
    assert_eq!(names(dir.path()), ["hello"], "{}", dir.listing());
}

#[test]
fn watch_that_checks_no_signature_is_a_configuration_error() {
    let dir = TestDir::new("uscan-nosig");
    let server = Server::start();
    let up = CertSpec::v4("Upstream <up@example.org>").generate();
    package(
        &dir,
        "hello",
        "1.0-1",
        &format!(
            "version=4\n{} .*/hello-(\\d[\\d.]*)\\.tar\\.gz\n",
            server.url("/releases/")
        ),
        Some(&pgp::armored_public(&up)),
    );
    let out = dir.cmd(["uscan", "hello"]).run();
    out.assert_code(2);
    out.assert_stderr_contains(&["debian/watch", "does not check signatures"]);
}

#[test]
fn uversionmangle_and_oversionmangle_are_honoured_filenamemangle_and_repacksuffix_reported() {
    let dir = TestDir::new("uscan-mangle");
    let server = Server::start();
    let up = CertSpec::v4("Upstream <up@example.org>").generate();
    let tarball = b"rc tarball".repeat(50);
    let sig = pgp::sign_detached(&up, &tarball, SystemTime::now(), false, true);
    serve(
        &server,
        &[
            ("hello-2.0.tar.gz", b"final"),
            ("hello-2.0rc1.tar.gz", &tarball),
            ("hello-2.0rc1.tar.gz.asc", &sig),
        ],
    );
    package(
        &dir,
        "hello",
        "1.0-1",
        &format!(
            "version=4\nopts=\"pgpsigurlmangle=s/$/.asc/,uversionmangle=s/rc/~rc/,oversionmangle=s/$/+ds/,filenamemangle=s%.*/%upstream-%,repacksuffix=+repack\" \\\n  {} .*/hello-(\\d[\\d.]*(?:rc\\d+)?)\\.tar\\.gz\n",
            server.url("/releases/")
        ),
        Some(&pgp::armored_public(&up)),
    );
    // Ordered as Debian versions after uversionmangle: 2.0 is newer than 2.0~rc1.
    let report = dir.cmd(["uscan", "hello", "--json"]).run();
    report.assert_code(0);
    report.check(
        report.json()["entries"][0]["upstream_version"] == "2.0",
        "2.0 is newest, after 2.0~rc1",
    );
    let out = dir
        .cmd(["uscan", "hello", "--download-version", "2.0~rc1", "--json"])
        .run();
    out.assert_code(0);
    let j = out.json();
    out.check(
        j["entries"][0]["upstream_version"] == "2.0~rc1",
        "mangled version",
    );
    out.check(
        j["entries"][0]["target"] == "hello_2.0~rc1+ds.orig.tar.gz",
        "oversionmangle names the .orig",
    );
    assert_eq!(
        std::fs::read(dir.join("hello_2.0~rc1+ds.orig.tar.gz")).unwrap(),
        tarball
    );
    let warnings = util::strings(&j["warnings"]);
    out.check(
        warnings.iter().any(|w| {
            w.starts_with("filenamemangle=") && w.contains("upstream-hello-2.0rc1.tar.gz")
        }),
        "filenamemangle reported with the name uscan would use",
    );
    out.check(
        warnings
            .iter()
            .any(|w| w.starts_with("repacksuffix=+repack")),
        "repacksuffix reported",
    );
}

#[test]
fn decompress_checks_the_signature_over_the_uncompressed_tar_and_places_the_orig_tarball() {
    let dir = TestDir::new("uscan-decompress");
    let server = Server::start();
    let up = CertSpec::v4("Upstream <up@example.org>").generate();
    let tar = util::compress::tar("hello 2.0");
    let gz = util::compress::gzip(&tar);
    // Upstream signs hello-2.0.tar; the mangle turns hello-2.0.tar.gz into hello-2.0.tar.sign.
    let sig = pgp::sign_detached(&up, &tar, SystemTime::now(), false, true);
    serve(
        &server,
        &[("hello-2.0.tar.gz", &gz), ("hello-2.0.tar.sign", &sig)],
    );
    let watch = |opts: &str| {
        format!(
            "version=4\nopts=\"pgpsigurlmangle=s/\\.gz$/.sign/{opts}\" \\\n  {} .*/hello-(\\d[\\d.]*)\\.tar\\.gz\n",
            server.url("/releases/")
        )
    };
    package(
        &dir,
        "hello",
        "1.0-1",
        &watch(""),
        Some(&pgp::armored_public(&up)),
    );
    let out = dir.cmd(["uscan", "hello", "--download", "--json"]).run();
    out.assert_code(1);
    assert_eq!(names(dir.path()), ["hello"], "{}", dir.listing());

    package(
        &dir,
        "hello",
        "1.0-1",
        &watch(",decompress"),
        Some(&pgp::armored_public(&up)),
    );
    let out = dir.cmd(["uscan", "hello", "--download", "--json"]).run();
    out.assert_code(0);
    out.check(
        out.json()["entries"][0]["signer"] == pgp::fingerprint(&up).as_str(),
        "signer named",
    );
    assert_eq!(
        std::fs::read(dir.join("hello_2.0.orig.tar.gz")).unwrap(),
        gz,
        "the compressed tarball is placed as served"
    );
}
