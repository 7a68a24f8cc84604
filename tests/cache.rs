//! The page cache as a user meets it: the real binary, a loopback index, a cache directory in
//! the test's temp dir. A warm run re-downloads no page body; a damaged store or a directory
//! of the old layout is a warning at most, never an error; concurrent runs keep each other's
//! pages; unused pages expire.

mod server;
mod util;

use std::time::Duration;

use serde_json::{Value, json};
use server::{Fault, Response, Server};
use util::{Output, TestDir, fixtures};

const PEP691: &str = "application/vnd.pypi.simple.v1+json";
/// The store inside the cache directory.
const STORE: &str = "pages.bin";

/// A loopback index, watch files and a cache directory, all in one temp dir.
struct World {
    dir: TestDir,
    server: Server,
}

impl World {
    fn new(name: &str) -> World {
        World {
            dir: TestDir::new(name),
            server: Server::start(),
        }
    }

    fn cache(&self) -> std::path::PathBuf {
        self.dir.join("cache")
    }

    /// Writes `GROUP/PROJECT.toml` (a pypi watch file pinned to a fixture key).
    fn watch(&self, group: &str, project: &str) {
        let (key, fpr) = fixtures().key("rsa2048");
        self.dir.copy(&key, format!("{group}/keyrings/rsa2048.asc"));
        self.dir.write(
            format!("{group}/{project}.toml"),
            format!(
                "[source]\npypi = \"{project}\"\nindex = \"{}\"\n\n[keys]\nkeyring = \"keyrings/rsa2048.asc\"\nfingerprints = [\"{fpr}\"]\n",
                self.server.url("/simple/"),
            ),
        );
    }

    /// Serves `project`'s page in full (200, with an ETag), optionally after a stall.
    fn serve_full(&self, project: &str, stall: Option<Duration>) {
        let mut r = Response::ok(page(project))
            .header("Content-Type", PEP691)
            .header("ETag", &etag(project));
        if let Some(wait) = stall {
            r = r.fault(Fault::StallBeforeHeaders(wait));
        }
        self.server.respond(&path(project), r);
    }

    /// Answers 304 Not Modified for `project`'s page.
    fn serve_unchanged(&self, project: &str) {
        self.server.respond(
            &path(project),
            Response::status(304).header("ETag", &etag(project)),
        );
    }

    /// `sigwatch check --json` over `groups` with this world's cache directory and `env`.
    fn check(&self, groups: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self
            .dir
            .cmd(["check", "--json", "--retries", "0", "--timeout", "5"]);
        cmd.args(groups).env("SIGWATCH_CACHE_DIR", self.cache());
        cmd.env_remove("SIGWATCH_CACHE_MAX_AGE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.run()
    }

    /// The If-None-Match header of each request for `project`'s page so far, in order.
    fn conditionals(&self, project: &str) -> Vec<Option<String>> {
        self.server
            .requests()
            .iter()
            .filter(|r| r.path == path(project))
            .map(|r| r.header("if-none-match").map(str::to_string))
            .collect()
    }

    /// The files in the cache directory.
    fn cache_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.cache())
            .map(|list| {
                list.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

fn path(project: &str) -> String {
    format!("/simple/{project}/")
}

fn etag(project: &str) -> String {
    format!("\"{project}-v1\"")
}

fn page(project: &str) -> String {
    let files: Vec<Value> = ["1.0", "1.1", "2.0"]
        .iter()
        .map(|v| {
            json!({
                "filename": format!("{project}-{v}.tar.gz"),
                "url": format!("../../files/{project}-{v}.tar.gz"),
                "hashes": {},
            })
        })
        .collect();
    json!({"meta": {"api-version": "1.1"}, "name": project, "files": files}).to_string()
}

/// Checks a run: exit 0 and every project reported at 2.0.
fn assert_all_found(out: &Output, count: usize) {
    out.assert_code(0);
    let projects = out.json()["projects"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    out.check(
        projects.len() == count && projects.iter().all(|p| p["newest"] == "2.0"),
        &format!("expected {count} projects at 2.0"),
    );
}

fn http(out: &Output, field: &str) -> u64 {
    out.json()["http"][field]
        .as_u64()
        .unwrap_or_else(|| out.fail(&format!("http.{field} missing")))
}

#[test]
fn warm_run_revalidates_every_page_and_downloads_no_body() {
    let w = World::new("cache-warm");
    let projects = ["alpha", "beta", "gamma"];
    for p in projects {
        w.watch("watch", p);
        w.serve_full(p, None);
    }
    let first = w.check(&["watch"], &[]);
    assert_all_found(&first, 3);
    first.check(
        http(&first, "bytes") > 0,
        "the first run downloads the pages",
    );

    for p in projects {
        w.serve_unchanged(p);
    }
    let warm = w.check(&["watch"], &[]);
    assert_all_found(&warm, 3);
    warm.check(
        http(&warm, "bytes") == 0,
        "the warm run received page bodies",
    );
    warm.check(http(&warm, "not_modified") == 3, "three 304s expected");
    warm.check(
        warm.json()["projects"] == first.json()["projects"],
        "the warm run reports what the first did",
    );
    for p in projects {
        let sent = w.conditionals(p);
        warm.check(
            sent == [None, Some(etag(p))],
            &format!("{p}: first unconditional, then If-None-Match; got {sent:?}"),
        );
    }
    // One store, not a file per page.
    let files = w.cache_files();
    warm.check(
        files.iter().all(|f| f == STORE || f == "pages.lock"),
        &format!("the cache directory holds one store: {files:?}"),
    );
}

#[test]
fn corrupt_cache_is_discarded_with_a_warning_and_rebuilt() {
    let w = World::new("cache-corrupt");
    w.watch("watch", "alpha");
    w.serve_full("alpha", None);
    w.dir.write(
        format!("cache/{STORE}"),
        b"sigwatch-pages1\nthis is not a store",
    );
    let out = w.check(&["watch"], &[]);
    assert_all_found(&out, 1);
    out.assert_stderr_contains(&["warning", "page cache", "discarded"]);
    out.check(
        w.conditionals("alpha") == [None],
        "a corrupt store gives no validator",
    );

    w.serve_unchanged("alpha");
    let next = w.check(&["watch"], &[]);
    assert_all_found(&next, 1);
    next.assert_stderr_lacks("page cache");
    next.check(
        w.conditionals("alpha")[1] == Some(etag("alpha")),
        "the rebuilt store revalidates",
    );
}

#[test]
fn truncated_cache_is_discarded_with_a_warning() {
    let w = World::new("cache-truncated");
    w.watch("watch", "alpha");
    w.serve_full("alpha", None);
    assert_all_found(&w.check(&["watch"], &[]), 1);
    let store = w.cache().join(STORE);
    let bytes = std::fs::read(&store).expect("the first run wrote the store");
    std::fs::write(&store, &bytes[..bytes.len() / 2]).expect("truncating the store");

    let out = w.check(&["watch"], &[]);
    assert_all_found(&out, 1);
    out.assert_stderr_contains(&["warning", "page cache", "truncated"]);
    out.check(
        w.conditionals("alpha") == [None, None],
        "a truncated store gives no validator",
    );
}

#[test]
fn old_layout_cache_directory_is_no_error_and_its_page_files_are_removed() {
    let w = World::new("cache-old-layout");
    w.watch("watch", "alpha");
    w.serve_full("alpha", None);
    // The old layout: one `<sha256 hex>.page` file per page, a JSON line then the body.
    let old = format!("{}.page", "ab".repeat(32));
    w.dir.write(
        format!("cache/{old}"),
        format!(
            "{{\"url\":\"{}\",\"final_url\":\"{}\",\"content_type\":null,\"etag\":\"\\\"x\\\"\",\"last_modified\":null}}\n{}",
            w.server.url("/simple/alpha/"),
            w.server.url("/simple/alpha/"),
            page("alpha")
        ),
    );
    w.dir.write("cache/unrelated.txt", "not ours");
    let out = w.check(&["watch"], &[]);
    assert_all_found(&out, 1);
    out.assert_stderr_lacks("error");
    out.assert_stderr_lacks("warning");
    let files = w.cache_files();
    out.check(
        files == ["pages.bin", "pages.lock", "unrelated.txt"],
        &format!("old page files removed, others kept: {files:?}"),
    );
}

#[test]
fn concurrent_runs_on_one_cache_keep_each_others_pages() {
    let w = World::new("cache-concurrent");
    w.watch("shard1", "alpha");
    w.watch("shard2", "beta");
    w.serve_full("alpha", None);
    // beta's page stalls, so its run reads the (empty) store before alpha's run writes it,
    // and writes after: it must merge, not overwrite.
    w.serve_full("beta", Some(Duration::from_millis(1500)));
    std::thread::scope(|s| {
        let slow = s.spawn(|| w.check(&["shard2"], &[]));
        let started = std::time::Instant::now();
        while w.conditionals("beta").is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "beta's run never asked for its page"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_all_found(&w.check(&["shard1"], &[]), 1);
        let store_after_alpha = std::fs::metadata(w.cache().join(STORE));
        assert!(store_after_alpha.is_ok(), "alpha's run wrote the store");
        assert_all_found(&slow.join().expect("beta's run"), 1);
    });

    w.serve_unchanged("alpha");
    w.serve_unchanged("beta");
    let both = w.check(&["shard1", "shard2"], &[]);
    assert_all_found(&both, 2);
    both.check(http(&both, "not_modified") == 2, "both pages were kept");
    for p in ["alpha", "beta"] {
        let sent = w.conditionals(p);
        both.check(
            sent.last() == Some(&Some(etag(p))),
            &format!("{p} revalidated: {sent:?}"),
        );
    }
}

#[test]
fn pages_unused_for_longer_than_max_age_expire() {
    let w = World::new("cache-expiry");
    w.watch("watch", "alpha");
    w.watch("watch", "beta");
    w.watch("only-alpha", "alpha");
    w.serve_full("alpha", None);
    w.serve_full("beta", None);
    assert_all_found(&w.check(&["watch"], &[]), 2);

    // alpha is revalidated (and so kept); beta is not used and is older than the bound.
    std::thread::sleep(Duration::from_millis(800));
    w.serve_unchanged("alpha");
    let out = w.check(&["only-alpha"], &[("SIGWATCH_CACHE_MAX_AGE", "400ms")]);
    assert_all_found(&out, 1);

    w.serve_full("beta", None);
    let last = w.check(&["watch"], &[]);
    assert_all_found(&last, 2);
    last.check(
        w.conditionals("alpha").last() == Some(&Some(etag("alpha"))),
        "alpha was kept",
    );
    last.check(
        w.conditionals("beta") == [None, None],
        &format!("beta expired: {:?}", w.conditionals("beta")),
    );
}
