//! GitHub and GitLab release sources, end to end: the real binary against a loopback server
//! answering like the forges' release APIs (`/repos/OWNER/REPO/releases`,
//! `/api/v4/projects/GROUP%2FPROJECT/releases`), release assets and detached signatures made
//! at test time with Sequoia. Every watch file points `api` at `http://127.0.0.1:PORT`;
//! nothing here reaches the internet.

mod server;
mod util;

use std::io::Write as _;
use std::path::PathBuf;
use std::time::SystemTime;

use sequoia_openpgp as openpgp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use server::{Response, Server};
use util::pgp::{self, CertSpec};
use util::{Output, TestDir};

/// The token the tests put in `SW_TOKEN`; it must never be printed.
const TOKEN: &str = "secret123";

/// The GitHub API path of the first releases page of `acme/tool`.
const GH_RELEASES: &str = "/repos/acme/tool/releases?per_page=100";

/// The same, page 2 (named by the first page's `Link` header).
const GH_RELEASES_2: &str = "/repos/acme/tool/releases?per_page=100&page=2";

/// The GitLab API path of the first releases page of `acme/tool`.
const GL_RELEASES: &str = "/api/v4/projects/acme%2Ftool/releases?per_page=100";

/// 2030-01-01T00:00:00Z as Unix seconds.
const RESET_EPOCH: &str = "1893456000";

/// Lowercase hex sha256.
fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Release bytes: a real gzip stream, different for every label.
fn tarball(label: &str) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(format!("pretend tar of {label}\n").repeat(40).as_bytes())
        .expect("gzip in memory");
    enc.finish().expect("gzip in memory")
}

/// Panics, explaining the whole run, unless `actual == expected`.
fn expect(out: &Output, actual: &Value, expected: impl Into<Value>, what: &str) {
    let expected = expected.into();
    out.check(
        *actual == expected,
        &format!("{what}: expected {expected}, got {actual}"),
    );
}

/// Panics, explaining, unless the string at `actual` contains every needle.
fn expect_contains(out: &Output, actual: &Value, needles: &[&str], what: &str) {
    let text = actual.as_str().unwrap_or_default();
    for n in needles {
        out.check(
            text.contains(n),
            &format!("{what}: {actual} does not contain {n:?}"),
        );
    }
}

/// The one project of a JSON report.
fn only_project(out: &Output) -> Value {
    let json = out.json();
    let projects = json["projects"].as_array().cloned().unwrap_or_default();
    out.check(projects.len() == 1, "expected exactly one project");
    projects[0].clone()
}

/// The `filename`s of a project report's files, in report order.
fn filenames(project: &Value) -> Vec<String> {
    project["files"]
        .as_array()
        .map(|files| {
            files
                .iter()
                .map(|f| f["filename"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts the project failed with `kind` and exit `code`; returns the error object.
fn assert_error(out: &Output, code: i32, kind: &str) -> Value {
    out.assert_code(code);
    let p = only_project(out);
    expect(out, &p["error"]["kind"], kind, "error.kind");
    p["error"].clone()
}

/// One test's world: a directory, a forge-like server, an upstream key in
/// `keyrings/project.asc`, and the watch file `tool.toml`.
struct Forge {
    dir: TestDir,
    server: Server,
    upstream: openpgp::Cert,
}

impl Forge {
    fn new(name: &str) -> Forge {
        let dir = TestDir::new(name);
        let server = Server::start();
        let upstream = CertSpec::v4("Upstream <up@example.org>").generate();
        dir.write("keyrings/project.asc", pgp::armored_public(&upstream));
        Forge {
            dir,
            server,
            upstream,
        }
    }

    /// The upstream key's primary fingerprint.
    fn fpr(&self) -> String {
        pgp::fingerprint(&self.upstream)
    }

    /// Serves `bytes` at `path` and returns the absolute URL.
    fn serve(&self, path: &str, bytes: &[u8]) -> String {
        self.server.file(path, bytes.to_vec());
        self.server.url(path)
    }

    /// A GitHub asset served at `/acme/tool/releases/download/TAG/NAME`, with `digest` as
    /// GitHub states it (`None`: no digest field at all).
    fn gh_asset(&self, tag: &str, name: &str, bytes: &[u8], digest: Option<&str>) -> Value {
        let url = self.serve(&format!("/acme/tool/releases/download/{tag}/{name}"), bytes);
        let mut asset = json!({
            "name": name,
            "browser_download_url": url,
            "size": bytes.len(),
            "content_type": "application/octet-stream",
        });
        if let Some(d) = digest {
            asset["digest"] = json!(d);
        }
        asset
    }

    /// An artifact with a correct `digest`, plus its upstream `.asc` as a second asset.
    fn gh_signed(&self, tag: &str, name: &str, bytes: &[u8]) -> Vec<Value> {
        let sig = pgp::sign_detached(&self.upstream, bytes, SystemTime::now(), false, true);
        vec![
            self.gh_asset(
                tag,
                name,
                bytes,
                Some(&format!("sha256:{}", sha256_hex(bytes))),
            ),
            self.gh_asset(tag, &format!("{name}.asc"), &sig, None),
        ]
    }

    /// The usual release: `tool-VERSION.tar.gz` with its `.asc` and a SHA256SUMS asset.
    fn gh_release(&self, version: &str) -> Value {
        let tag = format!("v{version}");
        let bytes = tarball(version);
        let mut assets = self.gh_signed(&tag, &format!("tool-{version}.tar.gz"), &bytes);
        let sums = format!("{}  tool-{version}.tar.gz\n", sha256_hex(&bytes));
        assets.push(self.gh_asset(&tag, "SHA256SUMS", sums.as_bytes(), None));
        release(&tag, assets)
    }

    /// Serves a GitHub releases page at `path`, with a `Link` to `next` when given.
    fn gh_page(&self, path: &str, releases: &[Value], next: Option<&str>) {
        let mut response = Response::ok(Value::Array(releases.to_vec()).to_string())
            .header("Content-Type", "application/json; charset=utf-8");
        if let Some(next) = next {
            // As GitHub sends it: absolute URLs, "next" and "last".
            response = response.header(
                "Link",
                &format!(
                    "<{}>; rel=\"next\", <{}>; rel=\"last\"",
                    self.server.url(next),
                    self.server.url(next)
                ),
            );
        }
        self.server.respond(path, response);
    }

    /// `[source]` for GitHub `acme/tool` on this server, plus `extra` lines.
    fn github(&self, extra: &str) -> String {
        format!(
            "github = \"acme/tool\"\napi = \"{}\"\n{extra}",
            self.server.url("/")
        )
    }

    /// `[source]` for GitLab `acme/tool` on this server, plus `extra` lines.
    fn gitlab(&self, extra: &str) -> String {
        format!(
            "gitlab = \"acme/tool\"\napi = \"{}\"\n{extra}",
            self.server.url("")
        )
    }

    /// Writes `tool.toml` with this `[source]` body, pinning upstream, then `tail`.
    fn watch(&self, source: &str, tail: &str) -> PathBuf {
        self.dir.write(
            "tool.toml",
            format!(
                "[source]\n{source}\n[keys]\nkeyring = \"keyrings/project.asc\"\nfingerprints = [\"{}\"]\n{tail}",
                self.fpr()
            ),
        )
    }

    /// `sigwatch ARGS… --retries 0 --timeout 5` with a private page cache; `env` is set for
    /// the child and `SW_TOKEN` is removed unless given there.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.dir.cmd(args);
        cmd.args(["--retries", "0", "--timeout", "5"])
            .env("SIGWATCH_CACHE_DIR", self.dir.join("cache"))
            .env_remove("SW_TOKEN");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.run()
    }

    /// `check tool.toml --json`.
    fn check(&self, env: &[(&str, &str)]) -> Output {
        self.run(&["check", "tool.toml", "--json"], env)
    }

    /// `fetch tool.toml --dest dest --json`.
    fn fetch(&self, env: &[(&str, &str)]) -> Output {
        self.run(&["fetch", "tool.toml", "--dest", "dest", "--json"], env)
    }

    /// Names in `dest/`, sorted (empty when it does not exist).
    fn dest_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.join("dest"))
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Requests whose path starts with `prefix`.
    fn requests_to(&self, prefix: &str) -> Vec<server::Request> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.path.starts_with(prefix))
            .collect()
    }
}

/// A GitHub release object.
fn release(tag: &str, assets: Vec<Value>) -> Value {
    json!({
        "tag_name": tag,
        "name": tag,
        "draft": false,
        "prerelease": false,
        "assets": assets,
    })
}

// ---------------------------------------------------------------------------------------------
// GitHub: discovery, asset choice, digests, fetch.
// ---------------------------------------------------------------------------------------------

#[test]
fn github_check_reports_newest_release_url_and_digest() {
    let f = Forge::new("gh-check");
    let releases = [
        f.gh_release("2.0"),
        f.gh_release("1.9"),
        f.gh_release("1.10"),
    ];
    f.gh_page(GH_RELEASES, &releases, None);
    f.watch(&f.github(""), "");
    let out = f.check(&[]);
    out.assert_code(0);
    let p = only_project(&out);
    expect(&out, &p["newest"], "2.0", "newest");
    expect(&out, &p["version"], "2.0", "version");
    let url = f
        .server
        .url("/acme/tool/releases/download/v2.0/tool-2.0.tar.gz");
    expect(
        &out,
        &json!(filenames(&p)),
        json!(["tool-2.0.tar.gz"]),
        "files",
    );
    expect(&out, &p["files"][0]["url"], url.as_str(), "url");
    expect(
        &out,
        &p["files"][0]["sha256"],
        sha256_hex(&tarball("2.0")),
        "sha256 from the asset's digest",
    );
    expect(
        &out,
        &p["files"][0]["signature_url"],
        format!("{url}.asc"),
        "signature_url",
    );
    // check downloads no artifact, and asks the API for its JSON media type.
    out.check(
        f.requests_to("/acme/").is_empty(),
        "check downloaded release assets",
    );
    let api = f.requests_to("/repos/");
    out.check(
        api.len() == 1 && api[0].header("accept") == Some("application/vnd.github+json"),
        &format!("expected one API request accepting application/vnd.github+json: {api:?}"),
    );
}

#[test]
fn github_fetch_verifies_and_places_the_asset_with_its_signature() {
    let f = Forge::new("gh-fetch");
    f.gh_page(
        GH_RELEASES,
        &[f.gh_release("2.0"), f.gh_release("1.0")],
        None,
    );
    f.watch(&f.github(""), "");
    let out = f.fetch(&[]);
    out.assert_code(0);
    let p = only_project(&out);
    expect(&out, &p["error"], Value::Null, "error");
    let file = &p["files"][0];
    expect(&out, &file["verdict"], "verified", "verdict");
    expect(&out, &file["signer"], f.fpr(), "signer");
    expect(&out, &file["sha256"], sha256_hex(&tarball("2.0")), "sha256");
    expect_contains(
        &out,
        &file["signature_url"],
        &["/releases/download/v2.0/tool-2.0.tar.gz.asc"],
        "signature_url",
    );
    out.check(
        f.dest_names() == ["tool-2.0.tar.gz", "tool-2.0.tar.gz.asc"],
        &format!("dest holds {:?}", f.dest_names()),
    );
    let placed = std::fs::read(f.dir.join("dest/tool-2.0.tar.gz")).expect("placed artifact");
    out.check(placed == tarball("2.0"), "the placed bytes differ");
    // SHA256SUMS is not an artifact: it was never downloaded.
    out.check(
        f.server
            .hits("/acme/tool/releases/download/v2.0/SHA256SUMS")
            == 0,
        "SHA256SUMS was downloaded as if it were an artifact",
    );
}

#[test]
fn github_wrong_digest_is_refused_and_nothing_placed() {
    let f = Forge::new("gh-digest");
    let bytes = tarball("2.0");
    let sig = pgp::sign_detached(&f.upstream, &bytes, SystemTime::now(), false, true);
    let wrong = sha256_hex(b"something else");
    let assets = vec![
        f.gh_asset(
            "v2.0",
            "tool-2.0.tar.gz",
            &bytes,
            Some(&format!("sha256:{wrong}")),
        ),
        f.gh_asset("v2.0", "tool-2.0.tar.gz.asc", &sig, None),
    ];
    f.gh_page(GH_RELEASES, &[release("v2.0", assets)], None);
    f.watch(&f.github(""), "");
    let check = f.check(&[]);
    check.assert_code(0);
    expect(
        &check,
        &only_project(&check)["files"][0]["sha256"],
        wrong.as_str(),
        "check reports the digest GitHub states",
    );
    let out = f.fetch(&[]);
    let err = assert_error(&out, 1, "digest");
    expect_contains(&out, &err["message"], &[&wrong], "error.message");
    out.check(
        f.dest_names().is_empty(),
        &format!("nothing should be placed, found {:?}", f.dest_names()),
    );
}

#[test]
fn github_pagination_follows_link_next_and_keeps_the_newest_from_page_one() {
    let f = Forge::new("gh-pages");
    f.gh_page(
        GH_RELEASES,
        &[f.gh_release("3.0"), f.gh_release("2.0")],
        Some(GH_RELEASES_2),
    );
    f.gh_page(GH_RELEASES_2, &[f.gh_release("1.0")], None);
    f.watch(&f.github(""), "");
    let out = f.check(&[]);
    out.assert_code(0);
    expect(&out, &only_project(&out)["newest"], "3.0", "newest");
    out.check(
        f.server.hits(GH_RELEASES_2) == 1,
        "the second page was not requested",
    );
    // A release only on page 2 is found: fetch it by version.
    let out = f.run(
        &[
            "fetch",
            "tool.toml",
            "--dest",
            "dest",
            "--json",
            "--version",
            "1.0",
        ],
        &[],
    );
    out.assert_code(0);
    out.check(
        f.dest_names() == ["tool-1.0.tar.gz", "tool-1.0.tar.gz.asc"],
        &format!("dest holds {:?}", f.dest_names()),
    );
}

#[test]
fn github_release_only_on_page_two_with_matching_assets_is_chosen() {
    let f = Forge::new("gh-page2");
    // Page 1: newer releases whose assets do not match the pattern (Windows builds only).
    let mut page1 = Vec::new();
    for v in ["3.1", "3.0"] {
        let tag = format!("v{v}");
        let assets = f.gh_signed(&tag, &format!("tool-{v}-windows.zip"), &tarball(v));
        page1.push(release(&tag, assets));
    }
    f.gh_page(GH_RELEASES, &page1, Some(GH_RELEASES_2));
    f.gh_page(
        GH_RELEASES_2,
        &[f.gh_release("2.5"), f.gh_release("2.4")],
        None,
    );
    f.watch(&f.github(r"pattern = 'tool-[0-9.]+\.tar\.gz'"), "");
    let out = f.fetch(&[]);
    out.assert_code(0);
    let p = only_project(&out);
    expect(&out, &p["newest"], "2.5", "newest");
    expect(
        &out,
        &json!(filenames(&p)),
        json!(["tool-2.5.tar.gz"]),
        "files",
    );
    out.check(
        f.dest_names() == ["tool-2.5.tar.gz", "tool-2.5.tar.gz.asc"],
        &format!("dest holds {:?}", f.dest_names()),
    );
}

#[test]
fn github_drafts_are_skipped() {
    let f = Forge::new("gh-draft");
    let mut draft = f.gh_release("9.0");
    draft["draft"] = json!(true);
    f.gh_page(GH_RELEASES, &[draft, f.gh_release("2.0")], None);
    f.watch(&f.github("prereleases = true"), "");
    let out = f.fetch(&[]);
    out.assert_code(0);
    expect(&out, &only_project(&out)["newest"], "2.0", "newest");
    out.check(
        f.requests_to("/acme/tool/releases/download/v9.0/")
            .is_empty(),
        "a draft's asset was downloaded",
    );
}

#[test]
fn github_prereleases_are_skipped_unless_asked_for() {
    let f = Forge::new("gh-pre");
    let mut pre = f.gh_release("3.0rc1");
    pre["prerelease"] = json!(true);
    // Marked as a pre-release on GitHub although its version looks final.
    let mut beta = f.gh_release("2.1");
    beta["prerelease"] = json!(true);
    f.gh_page(GH_RELEASES, &[pre, beta, f.gh_release("2.0")], None);

    f.watch(&f.github(""), "");
    let out = f.check(&[]);
    out.assert_code(0);
    expect(
        &out,
        &only_project(&out)["newest"],
        "2.0",
        "newest without prereleases",
    );

    f.watch(&f.github("prereleases = true"), "");
    let out = f.check(&[]);
    out.assert_code(0);
    expect(
        &out,
        &only_project(&out)["newest"],
        "3.0rc1",
        "newest with prereleases",
    );
}

#[test]
fn github_pattern_picks_one_asset_among_several() {
    let f = Forge::new("gh-pattern");
    let mut assets = Vec::new();
    for name in [
        "tool-2.0-linux-amd64.tar.gz",
        "tool-2.0-linux-arm64.tar.gz",
        "tool-2.0-darwin-arm64.tar.gz",
        "tool-2.0.zip",
    ] {
        assets.extend(f.gh_signed("v2.0", name, &tarball(name)));
    }
    f.gh_page(GH_RELEASES, &[release("v2.0", assets)], None);
    f.watch(&f.github(r"pattern = 'tool-.*-linux-amd64\.tar\.gz'"), "");
    let out = f.fetch(&[]);
    out.assert_code(0);
    let p = only_project(&out);
    expect(
        &out,
        &json!(filenames(&p)),
        json!(["tool-2.0-linux-amd64.tar.gz"]),
        "files",
    );
    out.check(
        f.dest_names()
            == [
                "tool-2.0-linux-amd64.tar.gz",
                "tool-2.0-linux-amd64.tar.gz.asc",
            ],
        &format!("dest holds {:?}", f.dest_names()),
    );
    let placed = std::fs::read(f.dir.join("dest/tool-2.0-linux-amd64.tar.gz")).expect("placed");
    out.check(
        placed == tarball("tool-2.0-linux-amd64.tar.gz"),
        "the wrong asset was placed",
    );
}

#[test]
fn github_default_selection_excludes_signatures_and_checksum_files() {
    let f = Forge::new("gh-aux");
    let mut assets = Vec::new();
    assets.extend(f.gh_signed("v2.0", "tool-2.0.tar.gz", &tarball("a")));
    assets.extend(f.gh_signed("v2.0", "tool-2.0.zip", &tarball("b")));
    for name in [
        "tool-2.0.tar.gz.sig",
        "SHA256SUMS",
        "SHA256SUMS.asc",
        "tool-2.0.tar.gz.sha256",
        "checksums.txt",
        "tool-2.0.zip.sha512",
    ] {
        assets.push(f.gh_asset("v2.0", name, b"aux", None));
    }
    f.gh_page(GH_RELEASES, &[release("v2.0", assets)], None);
    f.watch(&f.github(""), "");
    let out = f.check(&[]);
    out.assert_code(0);
    let mut names = filenames(&only_project(&out));
    names.sort();
    out.check(
        names == ["tool-2.0.tar.gz", "tool-2.0.zip"],
        &format!("expected only the two artifacts, got {names:?}"),
    );
}

#[test]
fn github_release_is_verified_through_its_signed_sha256sums_asset() {
    let f = Forge::new("gh-sums");
    let mut assets = Vec::new();
    let mut sums = String::new();
    for name in [
        "tool-2.0-linux-amd64.tar.gz",
        "tool-2.0-darwin-arm64.tar.gz",
    ] {
        let bytes = tarball(name);
        sums.push_str(&format!("{}  {name}\n", sha256_hex(&bytes)));
        assets.push(f.gh_asset(
            "v2.0",
            name,
            &bytes,
            Some(&format!("sha256:{}", sha256_hex(&bytes))),
        ));
    }
    let sig = pgp::sign_detached(&f.upstream, sums.as_bytes(), SystemTime::now(), false, true);
    assets.push(f.gh_asset("v2.0", "SHA256SUMS", sums.as_bytes(), None));
    assets.push(f.gh_asset("v2.0", "SHA256SUMS.asc", &sig, None));
    f.gh_page(GH_RELEASES, &[release("v2.0", assets)], None);
    f.watch(
        &f.github(r"pattern = 'tool-.*-linux-amd64\.tar\.gz'"),
        "[signature]\nchecksums = \"{dir}/SHA256SUMS\"\n",
    );
    let base = f.server.url("/acme/tool/releases/download/v2.0");
    let out = f.check(&[]);
    out.assert_code(0);
    expect(
        &out,
        &only_project(&out)["files"][0]["signature_url"],
        format!("{base}/SHA256SUMS"),
        "check: signature_url",
    );
    let out = f.fetch(&[]);
    out.assert_code(0);
    let file = &only_project(&out)["files"][0];
    expect(&out, &file["verdict"], "verified", "verdict");
    expect(&out, &file["signer"], f.fpr(), "signer");
    expect(
        &out,
        &file["signature_url"],
        format!("{base}/SHA256SUMS.asc"),
        "fetch: signature_url",
    );
    out.check(
        f.dest_names() == ["tool-2.0-linux-amd64.tar.gz"],
        &format!("dest holds {:?}", f.dest_names()),
    );
}

// ---------------------------------------------------------------------------------------------
// Tokens, rate limits, missing projects.
// ---------------------------------------------------------------------------------------------

#[test]
fn github_token_is_sent_as_bearer_and_never_printed() {
    let f = Forge::new("gh-token");
    f.gh_page(GH_RELEASES, &[f.gh_release("2.0")], Some(GH_RELEASES_2));
    f.gh_page(GH_RELEASES_2, &[f.gh_release("1.0")], None);
    f.watch(&f.github("token_env = \"SW_TOKEN\""), "");
    let env = [("SW_TOKEN", TOKEN)];
    let runs = [
        f.run(&["check", "tool.toml", "--json", "-v"], &env),
        f.run(&["check", "tool.toml", "-vv"], &env),
        f.run(
            &["fetch", "tool.toml", "--dest", "dest", "--json", "-vv"],
            &env,
        ),
    ];
    for out in &runs {
        out.assert_code(0);
        out.check(
            !out.stdout().contains(TOKEN) && !out.stderr().contains(TOKEN),
            "the token appears in the output",
        );
    }
    let api = f.requests_to("/repos/");
    out_check_all(&runs[0], &api, |r| {
        r.header("authorization") == Some("Bearer secret123")
    });
    // Both pages, three runs.
    runs[0].check(api.len() == 6, &format!("expected 6 API requests: {api:?}"));
}

/// Fails `out` unless every request satisfies `ok`.
fn out_check_all(
    out: &Output,
    requests: &[server::Request],
    ok: impl Fn(&server::Request) -> bool,
) {
    for r in requests {
        out.check(ok(r), &format!("unexpected request {r:?}"));
    }
}

#[test]
fn token_never_appears_even_when_the_api_fails() {
    let f = Forge::new("gh-token-fail");
    f.server.respond(
        GH_RELEASES,
        Response::status(403)
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-reset", RESET_EPOCH),
    );
    f.watch(&f.github("token_env = \"SW_TOKEN\""), "");
    for args in [
        &["check", "tool.toml", "--json", "-vv"][..],
        &["check", "tool.toml", "-vv"][..],
    ] {
        let out = f.run(args, &[("SW_TOKEN", TOKEN)]);
        out.assert_code(3);
        out.check(
            !out.stdout().contains(TOKEN) && !out.stderr().contains(TOKEN),
            "the token appears in the output",
        );
    }
}

#[test]
fn token_env_naming_an_unset_variable_is_a_config_error() {
    let f = Forge::new("gh-token-unset");
    f.gh_page(GH_RELEASES, &[f.gh_release("2.0")], None);
    f.watch(&f.github("token_env = \"SW_TOKEN\""), "");
    let out = f.check(&[]);
    let err = assert_error(&out, 2, "config");
    expect_contains(&out, &err["message"], &["token_env", "SW_TOKEN"], "message");
    out.check(
        f.server.requests().is_empty(),
        "the API was asked without the token",
    );
}

#[test]
fn rate_limit_is_reported_with_its_reset_time_and_a_token_hint() {
    let f = Forge::new("gh-ratelimit");
    f.server.respond(
        GH_RELEASES,
        Response::status(403)
            .header("x-ratelimit-limit", "60")
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-reset", RESET_EPOCH),
    );
    f.watch(&f.github(""), "");
    // Retries allowed, yet waiting cannot help: one request only.
    let out = f
        .dir
        .cmd([
            "check",
            "tool.toml",
            "--json",
            "--retries",
            "2",
            "--timeout",
            "5",
        ])
        .env("SIGWATCH_CACHE_DIR", f.dir.join("cache"))
        .run();
    let err = assert_error(&out, 3, "network");
    expect_contains(
        &out,
        &err["message"],
        &["rate limit", "2030-01-01T00:00:00Z"],
        "message",
    );
    expect_contains(&out, &err["hint"], &["token_env"], "hint");
    out.check(
        f.server.hits(GH_RELEASES) == 1,
        "a rate-limited API was asked again",
    );
    // The human form says the same: the project's error line and its hint, both on stdout
    // (one stream per message, so `check > report.txt` keeps the fix with the error).
    let human = f.run(&["check", "tool.toml"], &[]);
    human.assert_code(3);
    human.assert_stdout_contains(&["2030-01-01T00:00:00Z", "hint:", "token_env"]);
}

#[test]
fn gitlab_rate_limit_headers_are_understood_too() {
    let f = Forge::new("gl-ratelimit");
    f.server.respond(
        GL_RELEASES,
        Response::status(429)
            .header("ratelimit-remaining", "0")
            .header("ratelimit-reset", RESET_EPOCH),
    );
    f.watch(&f.gitlab(""), "");
    let out = f.check(&[]);
    let err = assert_error(&out, 3, "network");
    expect_contains(&out, &err["message"], &["2030-01-01T00:00:00Z"], "message");
}

#[test]
fn missing_repository_is_a_source_error() {
    let f = Forge::new("gh-404");
    f.watch(&f.github(""), "");
    let out = f.check(&[]);
    let err = assert_error(&out, 3, "source");
    expect_contains(
        &out,
        &err["message"],
        &["404", "/repos/acme/tool/"],
        "message",
    );
    let out = f.fetch(&[]);
    assert_error(&out, 3, "source");
    out.check(f.dest_names().is_empty(), "something was placed");
}

// ---------------------------------------------------------------------------------------------
// GitLab.
// ---------------------------------------------------------------------------------------------

/// A GitLab release whose links point at `/uploads/…` (`url`) and `/downloads/…`
/// (`direct_asset_url`, where the bytes are really served).
fn gitlab_release(f: &Forge, version: &str, upcoming: bool) -> Value {
    let bytes = tarball(version);
    let sig = pgp::sign_detached(&f.upstream, &bytes, SystemTime::now(), false, true);
    let name = format!("tool-{version}.tar.gz");
    let link = |name: &str, body: &[u8]| {
        let direct = f.serve(
            &format!("/acme/tool/-/releases/v{version}/downloads/{name}"),
            body,
        );
        json!({
            "id": 1,
            "name": name,
            "url": f.server.url(&format!("/uploads/abcdef/{name}")),
            "direct_asset_url": direct,
            "link_type": "package",
        })
    };
    json!({
        "tag_name": format!("v{version}"),
        "name": format!("Tool {version}"),
        "upcoming_release": upcoming,
        "assets": {
            "count": 2,
            "sources": [{"format": "zip", "url": f.server.url("/source.zip")}],
            "links": [link(&name, &bytes), link(&format!("{name}.asc"), &sig)],
        },
    })
}

#[test]
fn gitlab_releases_use_direct_asset_urls_and_skip_upcoming_releases() {
    let f = Forge::new("gl-fetch");
    let releases = json!([
        gitlab_release(&f, "3.0", true),
        gitlab_release(&f, "2.0", false),
        gitlab_release(&f, "1.0", false),
    ]);
    f.server.respond(
        GL_RELEASES,
        Response::ok(releases.to_string()).header("Content-Type", "application/json"),
    );
    f.watch(&f.gitlab(""), "");
    let out = f.check(&[]);
    out.assert_code(0);
    let p = only_project(&out);
    expect(&out, &p["newest"], "2.0", "newest (upcoming 3.0 skipped)");
    let direct = f
        .server
        .url("/acme/tool/-/releases/v2.0/downloads/tool-2.0.tar.gz");
    expect(
        &out,
        &json!(filenames(&p)),
        json!(["tool-2.0.tar.gz"]),
        "files",
    );
    expect(&out, &p["files"][0]["url"], direct.as_str(), "url");
    expect(&out, &p["files"][0]["sha256"], Value::Null, "sha256");

    let out = f.fetch(&[]);
    out.assert_code(0);
    let file = &only_project(&out)["files"][0];
    expect(&out, &file["verdict"], "verified", "verdict");
    expect(
        &out,
        &file["signature_url"],
        format!("{direct}.asc"),
        "signature_url",
    );
    out.check(
        f.dest_names() == ["tool-2.0.tar.gz", "tool-2.0.tar.gz.asc"],
        &format!("dest holds {:?}", f.dest_names()),
    );
    out.check(
        f.requests_to("/uploads/").is_empty() && f.requests_to("/source.zip").is_empty(),
        "a non-direct URL or a source archive was downloaded",
    );
}

#[test]
fn gitlab_token_is_sent_as_private_token() {
    let f = Forge::new("gl-token");
    let releases = json!([gitlab_release(&f, "2.0", false)]);
    f.server
        .respond(GL_RELEASES, Response::ok(releases.to_string()));
    f.watch(&f.gitlab("token_env = \"SW_TOKEN\""), "");
    let out = f.run(
        &["fetch", "tool.toml", "--dest", "dest", "--json", "-vv"],
        &[("SW_TOKEN", TOKEN)],
    );
    out.assert_code(0);
    out.check(
        !out.stdout().contains(TOKEN) && !out.stderr().contains(TOKEN),
        "the token appears in the output",
    );
    let api = f.requests_to("/api/v4/");
    out.check(
        api.len() == 1,
        &format!("expected one API request: {api:?}"),
    );
    out_check_all(&out, &api, |r| {
        r.header("private-token") == Some(TOKEN) && r.header("authorization").is_none()
    });
}

// ---------------------------------------------------------------------------------------------
// Watch-file validation.
// ---------------------------------------------------------------------------------------------

/// Writes `tool.toml` with `source` and a real keyring, runs `check`, expects exit 2 and
/// every needle in the project's error line; the server is never asked.
fn assert_watch_rejected(name: &str, source: &str, needles: &[&str]) {
    let f = Forge::new(name);
    f.watch(source, "");
    let out = f.run(&["check", "tool.toml"], &[]);
    out.assert_code(2);
    out.assert_stdout_contains(needles);
    out.check(f.server.requests().is_empty(), "the server was asked");
    let out = f.check(&[]);
    out.assert_code(2);
    let p = only_project(&out);
    expect(&out, &p["error"]["kind"], "config", "error.kind");
}

#[test]
fn github_project_must_be_owner_slash_repo() {
    assert_watch_rejected(
        "gh-justone",
        "github = \"justone\"\n",
        &["tool.toml", "source.github", "justone"],
    );
    assert_watch_rejected(
        "gh-three",
        "github = \"a/b/c\"\n",
        &["source.github", "a/b/c"],
    );
}

#[test]
fn github_together_with_pypi_is_refused() {
    assert_watch_rejected(
        "gh-pypi",
        "github = \"acme/tool\"\npypi = \"tool\"\n",
        &["source", "github", "pypi"],
    );
}

#[test]
fn api_without_a_forge_is_refused() {
    assert_watch_rejected(
        "api-pypi",
        "pypi = \"tool\"\napi = \"http://127.0.0.1:1/\"\n",
        &["source", "api"],
    );
    assert_watch_rejected(
        "token-pypi",
        "pypi = \"tool\"\ntoken_env = \"SW_TOKEN\"\n",
        &["source", "token_env"],
    );
}
