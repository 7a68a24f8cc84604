//! Hostile networks and hostile inputs: `sigwatch fetch` and `check` against a loopback server
//! (tests/server) that stalls, trickles, lies about sizes, sends endless or compressed bombs,
//! redirects in circles, rate-limits and serves malformed indexes; then the TUF threat list
//! (arbitrary package, mix-and-match, rollback, endless data, slow retrieval, malicious
//! mirror); then crash safety (SIGKILL at random points, two concurrent runs).
//!
//! Every fault test asserts the documented exit code (3 for network and source faults), a
//! one-line reason naming the URL, a bounded wall time, and that nothing is left at --dest
//! (no artifact, no signature, no `.sigwatch-*.part`). Flags are small (`--timeout 2
//! --retries 0 --min-rate 1000`) so the suite stays fast; the defaults are checked on the
//! clap definitions and `Limits::default()`, never by waiting for them.

mod util;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;
use serde_json::json;

use util::pgp::{self, CertSpec};
use util::server::{Body, Fault, Response};
use util::world::{PEP691, entry, names_in, sign, tarball};
use util::{Output, TestDir, World, sha256_hex};

/// The artifact of the usual project.
const FILE: &str = "example-1.0.tar.gz";

/// `len` zero bytes, gzip-compressed (a decompression bomb when served as a page).
fn gzip_zeros(len: usize) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![0u8; 1 << 20];
    for _ in 0..len >> 20 {
        enc.write_all(&block).expect("gzip in memory");
    }
    enc.finish().expect("gzip in memory")
}

/// `len` zero bytes, zlib-compressed (HTTP `deflate`).
fn zlib_zeros(len: usize) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![0u8; 1 << 20];
    for _ in 0..len >> 20 {
        enc.write_all(&block).expect("zlib in memory");
    }
    enc.finish().expect("zlib in memory")
}

/// The small, fast network flags every fault test starts from; `overrides` replace them.
fn net_flags(overrides: &[(&str, &str)]) -> Vec<String> {
    let mut flags = vec![
        ("--timeout", "2"),
        ("--retries", "0"),
        ("--min-rate", "1000"),
    ];
    for (k, v) in overrides {
        match flags.iter_mut().find(|(f, _)| f == k) {
            Some(slot) => slot.1 = v,
            None => flags.push((k, v)),
        }
    }
    flags
        .into_iter()
        .flat_map(|(k, v)| [k.to_string(), v.to_string()])
        .collect()
}

/// What this file runs in a [`World`].
impl World {
    /// The binary in this world's directory, with its page cache kept inside it.
    fn cmd<I, S>(&self, args: I) -> util::TestCommand
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = self.dir.cmd(args);
        isolate_cache(&mut cmd, self.dir.path());
        cmd
    }

    /// `sigwatch fetch PATH --dest dest --json` with the fast network flags (and
    /// `overrides`), and how long it took.
    fn fetch(&self, path: &str, overrides: &[(&str, &str)]) -> (Output, Duration) {
        let start = Instant::now();
        let out = self
            .cmd(["fetch", path, "--dest", "dest", "--json"])
            .args(net_flags(overrides))
            .run();
        (out, start.elapsed())
    }

    /// The usual project: `example.toml`, one release `example-1.0.tar.gz` published and
    /// signed by upstream, listed in a JSON index. Returns the artifact's bytes.
    fn example(&self) -> Vec<u8> {
        let bytes = tarball("example 1.0");
        let files = [self.publish(FILE, &bytes, &self.upstream)];
        self.json_index("example", &files);
        self.pypi_watch("example.toml", "example");
        bytes
    }
}

/// Keeps the page cache (if this build has one) inside the test directory, so tests never
/// share cached pages through the user's cache directory.
fn isolate_cache(cmd: &mut util::TestCommand, dir: &Path) {
    cmd.env("SIGWATCH_CACHE_DIR", dir.join(".cache"))
        .env("XDG_CACHE_HOME", dir.join(".cache"));
}

/// Asserts the run took less than `limit`.
fn assert_fast(out: &Output, took: Duration, limit: Duration) {
    out.check(
        took < limit,
        &format!("took {took:?}, more than the bound of {limit:?}"),
    );
}

/// Asserts nothing is at --dest: no artifact, no signature, no temporary file.
fn assert_dest_empty(w: &World, out: &Output) {
    let names = w.dest_names();
    out.check(
        names.is_empty(),
        &format!("nothing may be left at --dest, found {names:?}"),
    );
}

/// Asserts project `i` failed with `kind`, the run exited `code`, and the reason is one line
/// containing every needle. Returns the message.
fn assert_project_error(out: &Output, i: usize, code: i32, kind: &str, needles: &[&str]) -> String {
    out.assert_code(code);
    let json = out.json();
    let err = &json["projects"][i]["error"];
    out.check(
        err["kind"] == kind,
        &format!("error.kind: expected {kind:?}, got {}", err["kind"]),
    );
    let msg = err["message"].as_str().unwrap_or_default().to_string();
    out.check(
        !msg.contains('\n'),
        &format!("the reason is not one line: {msg:?}"),
    );
    for n in needles {
        out.check(
            msg.contains(n),
            &format!("error.message {msg:?} does not contain {n:?}"),
        );
    }
    msg
}

/// [`assert_project_error`] for the only project of the run.
fn assert_error(out: &Output, code: i32, kind: &str, needles: &[&str]) -> String {
    assert_project_error(out, 0, code, kind, needles)
}

// ---------------------------------------------------------------------------------------------
// Tables: one hostile response on one URL of the usual project, and how the run must fail.
// ---------------------------------------------------------------------------------------------

/// Which URL of the usual project ([`World::example`]) misbehaves.
#[derive(Clone, Copy, Debug)]
enum At {
    /// The PEP 691 index page, `/simple/example/`.
    Index,
    /// The artifact, `/files/example-1.0.tar.gz`.
    Artifact,
    /// Its signature, `/files/example-1.0.tar.gz.asc`.
    Signature,
}

impl At {
    fn path(self) -> String {
        match self {
            At::Index => "/simple/example/".to_string(),
            At::Artifact => format!("/files/{FILE}"),
            At::Signature => format!("/files/{FILE}.asc"),
        }
    }
}

/// One case of a fault table: what one URL of the usual project serves instead, and how
/// `fetch` must fail. Every case asserts the exit code, the error kind, a one-line reason
/// containing the needles, a bounded wall time, and that nothing is left at --dest.
struct FaultCase {
    /// What the case proves (most were a test of that name); every failure message starts
    /// with it.
    name: &'static str,
    /// The URL that misbehaves.
    at: At,
    /// What it serves, given the world and the genuine artifact's bytes.
    serve: fn(&World, &[u8]) -> Response,
    /// Replacements for the fast network flags.
    flags: &'static [(&'static str, &'static str)],
    /// The exit code.
    code: i32,
    /// The error kind.
    kind: &'static str,
    /// Whether the reason names the misbehaving URL (before `needles`).
    names_url: bool,
    /// What else the reason says.
    needles: &'static [&'static str],
    /// How many requests the misbehaving URL sees, and why (unchecked when `None`).
    hits: Option<(usize, &'static str)>,
    /// When set, the artifact is never requested, for this reason.
    no_artifact: Option<&'static str>,
    /// The bound on wall time, in seconds.
    within: u64,
}

impl FaultCase {
    /// A network error (exit 3) whose reason names the URL and `needles`, within 8 s.
    fn network(
        name: &'static str,
        at: At,
        needles: &'static [&'static str],
        serve: fn(&World, &[u8]) -> Response,
    ) -> FaultCase {
        FaultCase {
            name,
            at,
            serve,
            flags: &[],
            code: 3,
            kind: "network",
            names_url: true,
            needles,
            hits: None,
            no_artifact: None,
            within: 8,
        }
    }

    /// A source error (exit 3) about the index, naming its URL and `needles`, within 5 s.
    fn source(
        name: &'static str,
        needles: &'static [&'static str],
        serve: fn(&World, &[u8]) -> Response,
    ) -> FaultCase {
        FaultCase {
            kind: "source",
            within: 5,
            ..FaultCase::network(name, At::Index, needles, serve)
        }
    }

    /// A rejected signature (exit 1, `verification`) whose reason names the file, within 8 s.
    fn rejected(name: &'static str, serve: fn(&World, &[u8]) -> Response) -> FaultCase {
        FaultCase {
            code: 1,
            kind: "verification",
            names_url: false,
            ..FaultCase::network(name, At::Signature, &[FILE], serve)
        }
    }

    /// Replaces these fast network flags.
    fn flags(self, flags: &'static [(&'static str, &'static str)]) -> FaultCase {
        FaultCase { flags, ..self }
    }

    /// Expects exactly `hits` requests of the misbehaving URL, because `why`.
    fn hits(self, hits: usize, why: &'static str) -> FaultCase {
        FaultCase {
            hits: Some((hits, why)),
            ..self
        }
    }

    /// Expects the artifact never to be requested, because `why`.
    fn no_artifact(self, why: &'static str) -> FaultCase {
        FaultCase {
            no_artifact: Some(why),
            ..self
        }
    }

    /// Bounds the wall time at `secs`.
    fn within(self, secs: u64) -> FaultCase {
        FaultCase {
            within: secs,
            ..self
        }
    }
}

/// Runs each case in a world of its own: the usual project, then the fault.
fn run_fault_cases(cases: &[FaultCase]) {
    for case in cases {
        let dir_name: String = case
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let w = World::new(&dir_name);
        let bytes = w.example();
        let path = case.at.path();
        let url = w.server.url(&path);
        w.server.respond(&path, (case.serve)(&w, &bytes));
        let (out, took) = w.fetch("example.toml", case.flags);
        let out = out.in_case(case.name);
        let mut needles: Vec<&str> = Vec::new();
        if case.names_url {
            needles.push(&url);
        }
        needles.extend(case.needles);
        assert_error(&out, case.code, case.kind, &needles);
        if let Some((hits, why)) = case.hits {
            out.check(w.server.hits(&path) == hits, why);
        }
        if let Some(why) = case.no_artifact {
            out.check(w.server.hits(&At::Artifact.path()) == 0, why);
        }
        assert_fast(&out, took, Duration::from_secs(case.within));
        assert_dest_empty(&w, &out);
    }
}

/// `bomb` (compressed bytes) served as a PEP 691 page with this `Content-Encoding`.
fn bomb_page(bomb: Vec<u8>, encoding: &str) -> Response {
    Response::ok(bomb)
        .header("Content-Type", PEP691)
        .header("Content-Encoding", encoding)
}

// ---------------------------------------------------------------------------------------------
// Time: stalls, trickles, retries.
// ---------------------------------------------------------------------------------------------

/// Stalls, trickles and failing statuses: given up after the stall timeout, the minimum rate
/// or the retries, each a one-line network error naming the URL, leaving nothing.
#[test]
fn slow_and_failing_servers_are_network_errors_that_leave_nothing() {
    run_fault_cases(&[
        FaultCase::network(
            "stall_before_headers_on_the_index_is_given_up_after_timeout",
            At::Index,
            &["no response within 2 s"],
            |_, _| Response::ok("{}").fault(Fault::StallBeforeHeaders(Duration::from_secs(60))),
        )
        .flags(&[("--retries", "2")])
        .hits(1, "a stall is not retried: the stall time is a promise"),
        FaultCase::network(
            "tuf_slow_retrieval_stall_before_headers_on_the_artifact_leaves_nothing",
            At::Artifact,
            &["no response within 2 s"],
            |_, bytes| {
                Response::ok(bytes).fault(Fault::StallBeforeHeaders(Duration::from_secs(60)))
            },
        ),
        // One byte every 50 ms never trips the 2 s stall timeout, only the rate rule.
        FaultCase::network(
            "tuf_slow_retrieval_trickle_is_aborted_by_the_minimum_rate",
            At::Artifact,
            &["too slow", "below the minimum of 1000 bytes/s"],
            |_, bytes| {
                Response::ok(bytes).fault(Fault::Trickle {
                    interval: Duration::from_millis(50),
                })
            },
        ),
        FaultCase::network(
            "http_429_with_a_long_retry_after_is_reported_not_slept_through",
            At::Index,
            &["429", "3600 s"],
            |_, _| Response::status(429).header("Retry-After", "3600"),
        )
        .flags(&[("--retries", "2")])
        .hits(1, "a long Retry-After is not retried")
        .within(5),
        FaultCase::network(
            "http_503_is_retried_retries_times_then_a_network_error",
            At::Index,
            &["503"],
            |_, _| Response::status(503),
        )
        .flags(&[("--retries", "2")])
        .hits(3, "one attempt and two retries")
        .within(15), // Backoff 1 s then 2 s.
        FaultCase::network(
            "http_500_on_the_signature_is_retried_then_a_network_error",
            At::Signature,
            &["500"],
            |_, _| Response::status(500),
        )
        .flags(&[("--retries", "1")])
        .hits(2, "one attempt and one retry")
        .no_artifact("the artifact is not downloaded without a signature")
        .within(10),
    ]);
}

#[test]
fn tuf_slow_retrieval_stall_mid_body_is_given_up_and_the_partial_file_removed() {
    let w = World::new("stall-mid-body");
    let mut bytes = w.example();
    // Make the artifact large enough that a partial body is clearly partial.
    bytes.extend(vec![7u8; 20_000]);
    let files = [w.publish(FILE, &bytes, &w.upstream)];
    w.json_index("example", &files);
    let url = w.server.url(&format!("/files/{FILE}"));
    w.server.respond(
        &format!("/files/{FILE}"),
        Response::ok(bytes).fault(Fault::StallMidBody {
            after: 1000,
            wait: Duration::from_secs(60),
        }),
    );
    let (out, took) = w.fetch("example.toml", &[]);
    assert_error(
        &out,
        3,
        "network",
        &[&url, "stopped sending for 2 s after 1000 bytes"],
    );
    assert_fast(&out, took, Duration::from_secs(8));
    assert_dest_empty(&w, &out);
}

#[test]
fn body_shorter_than_content_length_is_a_network_error_and_retried() {
    let w = World::new("close-early");
    w.example();
    let bytes = vec![b'z'; 10_000];
    let files = [w.publish(FILE, &bytes, &w.upstream)];
    w.json_index("example", &files);
    let path = format!("/files/{FILE}");
    let url = w.server.url(&path);
    w.server.respond(
        &path,
        Response::ok(bytes).fault(Fault::CloseEarly { after: 100 }),
    );
    let (out, took) = w.fetch("example.toml", &[]);
    assert_error(&out, 3, "network", &[&url]);
    out.check(w.server.hits(&path) == 1, "--retries 0 asks once");
    assert_fast(&out, took, Duration::from_secs(8));
    assert_dest_empty(&w, &out);

    let (out, took) = w.fetch("example.toml", &[("--retries", "1")]);
    assert_error(&out, 3, "network", &[&url]);
    out.check(
        w.server.hits(&path) == 3,
        &format!(
            "--retries 1 asks twice (hits now {}, 1 before)",
            w.server.hits(&path)
        ),
    );
    assert_fast(&out, took, Duration::from_secs(8));
    assert_dest_empty(&w, &out);
}

#[test]
fn http_429_with_a_short_retry_after_is_waited_for_and_retried() {
    let w = World::new("429-short");
    let bytes = w.example();
    let path = "/simple/example/";
    w.server.route(
        path,
        vec![
            Response::status(429).header("Retry-After", "1"),
            Response::ok(w.json_page("example", &[entry(FILE, &bytes)]))
                .header("Content-Type", PEP691),
        ],
    );
    let (out, took) = w.fetch("example.toml", &[("--retries", "1")]);
    out.assert_code(0);
    out.check(w.server.hits(path) == 2, "the server sees the retry");
    out.check(
        took >= Duration::from_secs(1),
        &format!("Retry-After: 1 is honoured, but the run took {took:?}"),
    );
    assert_fast(&out, took, Duration::from_secs(10));
    out.check(
        std::fs::read(w.dir.join("dest").join(FILE)).ok() == Some(bytes),
        "the artifact is fetched after the retry",
    );
}

// ---------------------------------------------------------------------------------------------
// Size: endless and huge bodies, compression bombs.
// ---------------------------------------------------------------------------------------------

/// Endless, huge, compressed and badly encoded bodies: cut at their caps (counted after
/// decoding), or refused, each a one-line network error naming the URL, leaving nothing. A
/// huge signature is a network failure too, announced by Content-Length or not.
#[test]
fn endless_huge_and_badly_encoded_bodies_are_network_errors_that_leave_nothing() {
    run_fault_cases(&[
        FaultCase::network(
            "tuf_endless_data_on_the_index_page_is_cut_at_max_page_mib",
            At::Index,
            &["larger than the cap of 1 MiB"],
            |_, _| Response::ok(Vec::new()).body(Body::Endless).header("Content-Type", PEP691),
        )
        .flags(&[("--max-page-mib", "1")]),
        FaultCase::network(
            "huge_signature_is_cut_at_max_signature_mib_as_a_network_error: announced, refused before reading",
            At::Signature,
            &["announces", "1 MiB"],
            |_, _| Response::ok(Vec::new()).body(Body::Repeat { byte: b'A', len: 64 << 20 }),
        )
        .within(5),
        FaultCase::network(
            "huge_signature_is_cut_at_max_signature_mib_as_a_network_error: endless, no Content-Length, cut at the cap",
            At::Signature,
            &["larger than the cap of 1 MiB"],
            |_, _| Response::ok(Vec::new()).body(Body::Endless),
        )
        .no_artifact("the artifact is not downloaded")
        .within(5),
        FaultCase::network(
            "gzip_bomb_index_page_counts_decoded_size_against_the_cap",
            At::Index,
            &["cap", "1 MiB"],
            |_, _| {
                let bomb = gzip_zeros(64 << 20);
                assert!(
                    bomb.len() < 200_000,
                    "case gzip_bomb_index_page_counts_decoded_size_against_the_cap: \
                     the bomb is small on the wire"
                );
                bomb_page(bomb, "gzip")
            },
        )
        .flags(&[("--max-page-mib", "1")]),
        FaultCase::network(
            "deflate_bomb_index_page_counts_decoded_size_against_the_cap",
            At::Index,
            &["cap", "1 MiB"],
            |_, _| bomb_page(zlib_zeros(64 << 20), "deflate"),
        )
        .flags(&[("--max-page-mib", "1")]),
        FaultCase::network(
            "corrupt_gzip_index_page_is_a_network_error_not_a_panic",
            At::Index,
            &["gzip"],
            |_, _| {
                let mut bomb = gzip_zeros(1 << 20);
                let mid = bomb.len() / 2;
                bomb.truncate(mid);
                bomb_page(bomb, "gzip")
            },
        ),
        FaultCase::network(
            "unsupported_content_encoding_on_the_index_is_a_network_error",
            At::Index,
            &["Content-Encoding"],
            |w, bytes| {
                Response::ok(w.json_page("example", &[entry(FILE, bytes)]))
                    .header("Content-Type", PEP691)
                    .header("Content-Encoding", "br")
            },
        )
        .within(5),
        FaultCase::network(
            "conflicting_content_length_headers_are_a_network_error_not_a_panic: on the index",
            At::Index,
            &[],
            |w, bytes| {
                let page = w.json_page("example", &[entry(FILE, bytes)]);
                let len = page.len();
                Response::ok(page)
                    .header("Content-Type", PEP691)
                    .header("Content-Length", &len.to_string())
                    .header("Content-Length", &(len + 7).to_string())
            },
        )
        .within(5),
        FaultCase::network(
            "conflicting_content_length_headers_are_a_network_error_not_a_panic: on the artifact",
            At::Artifact,
            &[],
            |_, bytes| {
                Response::ok(bytes)
                    .header("Content-Length", &bytes.len().to_string())
                    .header("Content-Length", "5")
            },
        )
        .within(5),
    ]);
}

#[test]
fn tuf_endless_data_on_the_artifact_is_cut_at_the_size_the_index_states() {
    let w = World::new("endless-artifact");
    let bytes = w.example();
    let mut e = entry(FILE, &bytes);
    e["size"] = json!(bytes.len());
    w.json_index("example", &[e]);
    let path = format!("/files/{FILE}");
    let url = w.server.url(&path);
    w.server
        .respond(&path, Response::ok(Vec::new()).body(Body::Endless));
    let (out, took) = w.fetch("example.toml", &[]);
    assert_error(
        &out,
        1,
        "digest",
        &[
            &url,
            &format!("more than the {} bytes the index states", bytes.len()),
        ],
    );
    assert_fast(&out, took, Duration::from_secs(8));
    assert_dest_empty(&w, &out);
}

#[test]
fn huge_index_page_announced_by_content_length_is_refused_before_reading() {
    let w = World::new("huge-index");
    w.example();
    let url = w.server.url("/simple/example/");
    w.server.respond(
        "/simple/example/",
        Response::ok(Vec::new())
            .body(Body::Repeat {
                byte: b' ',
                len: 300 << 20,
            })
            .header("Content-Type", PEP691),
    );
    // The default page cap (32 MiB) applies.
    let start = Instant::now();
    let out = w
        .cmd(["fetch", "example.toml", "--dest", "dest", "--json"])
        .args(["--retries", "0", "--timeout", "5"])
        .run();
    let took = start.elapsed();
    assert_error(
        &out,
        3,
        "network",
        &[&url, &format!("announces {} bytes", 300u64 << 20), "32 MiB"],
    );
    assert_fast(&out, took, Duration::from_secs(3));
    assert_dest_empty(&w, &out);
}

// ---------------------------------------------------------------------------------------------
// Redirects.
// ---------------------------------------------------------------------------------------------

#[test]
fn redirect_loop_is_a_network_error_naming_redirects() {
    let w = World::new("redirect-loop");
    w.example();
    let path = "/simple/example/";
    let url = w.server.url(path);
    w.server.respond(path, Response::redirect(&url));
    let (out, took) = w.fetch("example.toml", &[("--retries", "2")]);
    assert_error(&out, 3, "network", &[&url, "redirect"]);
    out.check(
        w.server.hits(path) <= 12,
        &format!(
            "at most ~10 redirects are followed, saw {}",
            w.server.hits(path)
        ),
    );
    assert_fast(&out, took, Duration::from_secs(8));
    assert_dest_empty(&w, &out);
}

#[test]
fn artifact_redirect_to_plain_http_on_another_host_is_refused() {
    let w = World::new("redirect-http");
    w.example();
    let path = format!("/files/{FILE}");
    let url = w.server.url(&path);
    w.server.respond(
        &path,
        Response::redirect(&format!("http://example.invalid/{FILE}")),
    );
    let (out, took) = w.fetch("example.toml", &[]);
    let msg = assert_error(&out, 3, "network", &[&url, "plain http", "refused"]);
    out.check(
        !msg.to_ascii_lowercase().contains("dns"),
        "refused by policy, not by a failed lookup",
    );
    assert_fast(&out, took, Duration::from_secs(8));
    assert_dest_empty(&w, &out);
}

// ---------------------------------------------------------------------------------------------
// Status codes.
// ---------------------------------------------------------------------------------------------

#[test]
fn http_410_on_the_signature_is_a_missing_signature() {
    let w = World::new("410-sig");
    w.example();
    let asc = format!("/files/{FILE}.asc");
    w.server.respond(&asc, Response::status(410));
    let (out, took) = w.fetch("example.toml", &[]);
    assert_error(
        &out,
        1,
        "missing_signature",
        &[
            &w.server.url(&asc),
            &w.server.url(&format!("/files/{FILE}.sig")),
        ],
    );
    out.check(
        w.server.hits(&format!("/files/{FILE}")) == 0,
        "the artifact is not downloaded without a signature",
    );
    assert_fast(&out, took, Duration::from_secs(5));
    assert_dest_empty(&w, &out);
}

// ---------------------------------------------------------------------------------------------
// Malformed indexes and headers.
// ---------------------------------------------------------------------------------------------

/// A missing, malformed or mislabelled index page is a one-line source error naming the
/// index URL; nothing is downloaded or placed.
#[test]
fn missing_malformed_and_mislabelled_index_pages_are_source_errors() {
    fn pep691(body: &'static str) -> Response {
        Response::ok(body).header("Content-Type", PEP691)
    }
    const MALFORMED: &[&str] = &["malformed PEP 691 JSON"];
    run_fault_cases(&[
        FaultCase::source(
            "http_404_on_the_index_is_a_source_error",
            &["404"],
            |_, _| Response::status(404),
        ),
        FaultCase::source(
            "malformed_html_index_is_a_source_error",
            &["no release found"],
            |_, _| {
                let garbage = b"<html><body><a href=\"x<<<<\"<<<a href=\0 </div></a <b><table><tr><td>\
                    <a>example-1.0.tar.gz</a><a href=''></a><a href='javascript:alert(1)'>example-1.0.tar.gz</a>\
                    <!-- unclosed comment <script>".to_vec();
                Response::ok(garbage).header("Content-Type", "text/html")
            },
        ),
        FaultCase::source(
            "malformed_pep691_json_is_a_source_error: truncated",
            MALFORMED,
            |_, _| pep691(r#"{"meta": {"api-version": "1.1"}, "files": [ {"#),
        ),
        FaultCase::source(
            "malformed_pep691_json_is_a_source_error: api-version 2.0",
            &["unsupported"],
            |_, _| pep691(r#"{"meta": {"api-version": "2.0"}, "files": []}"#),
        ),
        FaultCase::source(
            "malformed_pep691_json_is_a_source_error: files is not a list",
            MALFORMED,
            |_, _| pep691(r#"{"files": "nope"}"#),
        ),
        FaultCase::source(
            "malformed_pep691_json_is_a_source_error: a file's url does not parse",
            &["bad url"],
            |_, _| {
                pep691(
                    r#"{"meta": {"api-version": "1.0"}, "files": [{"filename": "example-1.0.tar.gz", "url": "http://[::1", "hashes": {}}]}"#,
                )
            },
        ),
        FaultCase::source(
            "malformed_pep691_json_is_a_source_error: an array, not an object",
            MALFORMED,
            |_, _| pep691(r#"[1, 2, 3]"#),
        ),
        FaultCase::source(
            "invalid_utf8_in_a_json_index_is_a_source_error",
            MALFORMED,
            |w, bytes| {
                let mut body = w.json_page("example", &[entry(FILE, bytes)]).into_bytes();
                let at = body.windows(7).position(|x| x == b"example").expect("name");
                body.splice(at..at, [0xff, 0xfe, 0xc3]);
                Response::ok(body).header("Content-Type", PEP691)
            },
        ),
        FaultCase::source(
            "json_index_served_as_text_html_is_parsed_as_html_and_finds_nothing",
            &["no release found"],
            |w, bytes| {
                Response::ok(w.json_page("example", &[entry(FILE, bytes)]))
                    .header("Content-Type", "text/html")
            },
        ),
    ]);
}

/// An HTML page is read leniently (invalid UTF-8 becomes U+FFFD); the good link still counts,
/// and the signature check still decides.
#[test]
fn invalid_utf8_in_an_html_index_is_tolerated_and_the_signature_still_decides() {
    let w = World::new("utf8-html");
    let bytes = w.example();
    let mut body = b"<html><body>\xff\xfe\xc3<p>\x80\x81 caf\xe9</p>".to_vec();
    body.extend(format!("<a href=\"../../files/{FILE}\">{FILE}</a>").as_bytes());
    body.extend(b"<a href=\"../../files/example-9.0.tar.gz\">example-9.0\xff.tar.gz</a></body>");
    w.server.respond(
        "/simple/example/",
        Response::ok(body).header("Content-Type", "text/html; charset=utf-8"),
    );
    let (out, took) = w.fetch("example.toml", &[]);
    out.assert_code(0);
    assert_fast(&out, took, Duration::from_secs(5));
    out.check(
        std::fs::read(w.dir.join("dest").join(FILE)).ok() == Some(bytes),
        "the verified artifact is placed",
    );
}

/// Two identical Content-Length headers are one length (RFC 9110 allows the repetition).
#[test]
fn repeated_identical_content_length_headers_are_accepted() {
    let w = World::new("same-length");
    let bytes = w.example();
    let path = format!("/files/{FILE}");
    w.server.respond(
        &path,
        Response::ok(bytes.clone())
            .header("Content-Length", &bytes.len().to_string())
            .header("Content-Length", &bytes.len().to_string()),
    );
    let (out, took) = w.fetch("example.toml", &[]);
    out.assert_code(0);
    assert_fast(&out, took, Duration::from_secs(5));
}

/// With two Content-Type headers the first one is used (here: HTML), without a panic; the
/// JSON body then holds no links, a source error.
#[test]
fn duplicate_content_type_headers_use_the_first_without_panicking() {
    let w = World::new("dup-type");
    let bytes = w.example();
    let url = w.server.url("/simple/example/");
    let page = w.json_page("example", &[entry(FILE, &bytes)]);
    w.server.respond(
        "/simple/example/",
        Response::ok(page.clone())
            .header("Content-Type", "text/html")
            .header("Content-Type", PEP691),
    );
    let (out, took) = w.fetch("example.toml", &[]);
    assert_error(&out, 3, "source", &[&url]);
    assert_fast(&out, took, Duration::from_secs(5));
    assert_dest_empty(&w, &out);

    // The other order parses the JSON and fetches.
    w.server.respond(
        "/simple/example/",
        Response::ok(page)
            .header("Content-Type", PEP691)
            .header("Content-Type", "text/html"),
    );
    let (out, _) = w.fetch("example.toml", &[]);
    out.assert_code(0);
}

// ---------------------------------------------------------------------------------------------
// Several projects; resource use; defaults.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_faulty_project_does_not_affect_a_healthy_one_in_the_same_run() {
    let w = World::new("isolation");
    // a-stalled: its index never answers.
    w.server.respond(
        "/simple/stalled/",
        Response::ok("{}").fault(Fault::StallBeforeHeaders(Duration::from_secs(60))),
    );
    w.pypi_watch("watch/a-stalled.toml", "stalled");
    // b-endless: its artifact never ends.
    let endless = tarball("endless");
    let mut e = w.publish("endless-1.0.tar.gz", &endless, &w.upstream);
    e["size"] = json!(endless.len());
    w.json_index("endless", &[e]);
    w.server.respond(
        "/files/endless-1.0.tar.gz",
        Response::ok(Vec::new()).body(Body::Endless),
    );
    w.pypi_watch("watch/b-endless.toml", "endless");
    // c-good.
    let good = tarball("good");
    let files = [w.publish("good-1.0.tar.gz", &good, &w.upstream)];
    w.json_index("good", &files);
    w.pypi_watch("watch/c-good.toml", "good");

    let (out, took) = w.fetch("watch", &[]);
    // Digest (1) outranks network (3).
    assert_project_error(&out, 1, 1, "digest", &["endless-1.0.tar.gz"]);
    assert_project_error(&out, 0, 1, "network", &[&w.server.url("/simple/stalled/")]);
    let json = out.json();
    out.check(
        json["projects"][2]["error"].is_null(),
        "the healthy project has no error",
    );
    out.check(
        std::fs::read(w.dir.join("dest/good-1.0.tar.gz")).ok() == Some(good),
        "the healthy project is fetched and verified",
    );
    let names = w.dest_names();
    out.check(
        names == ["good-1.0.tar.gz", "good-1.0.tar.gz.asc"],
        &format!("only the healthy project's files are placed: {names:?}"),
    );
    assert_fast(&out, took, Duration::from_secs(8));

    // With only the stalled and the healthy project, the exit code is the faulty one's (3).
    std::fs::remove_file(w.dir.join("watch/b-endless.toml")).expect("remove");
    let (out, _) = w.fetch("watch", &[]);
    assert_project_error(&out, 0, 3, "network", &[&w.server.url("/simple/stalled/")]);
    out.check(out.json()["projects"][1]["error"].is_null(), "healthy");
}

/// Peak RSS of a finished child, from `/usr/bin/time -v`, or else by polling VmHWM.
fn peak_rss_kib(dir: &TestDir, args: &[String]) -> Option<(i32, u64, String)> {
    if Path::new("/usr/bin/time").exists() {
        let out = Command::new("/usr/bin/time")
            .arg("-v")
            .arg(util::BIN)
            .args(args)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("SIGWATCH_CACHE_DIR", dir.join(".cache"))
            .env("XDG_CACHE_HOME", dir.join(".cache"))
            .stdin(Stdio::null())
            .output()
            .expect("running /usr/bin/time");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let kib = stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
            .and_then(|v| v.trim().parse().ok());
        if let Some(kib) = kib {
            return Some((out.status.code().unwrap_or(-1), kib, stderr));
        }
    }
    if !Path::new("/proc/self/status").exists() {
        return None;
    }
    let mut child = Command::new(util::BIN)
        .args(args)
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("SIGWATCH_CACHE_DIR", dir.join(".cache"))
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning sigwatch");
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Some(v) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(v);
        }
        if let Some(st) = child.try_wait().expect("waiting") {
            return Some((st.code().unwrap_or(-1), peak, String::new()));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn endless_index_page_under_the_default_cap_stays_under_200_mib_rss() {
    let w = World::new("rss-page");
    w.example();
    w.server.respond(
        "/simple/example/",
        Response::ok(Vec::new())
            .body(Body::Endless)
            .header("Content-Type", PEP691),
    );
    let args: Vec<String> = ["fetch", "example.toml", "--dest", "dest", "--retries", "0"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let start = Instant::now();
    let Some((code, kib, stderr)) = peak_rss_kib(&w.dir, &args) else {
        println!("note: neither /usr/bin/time nor /proc is available; RSS not measured");
        return;
    };
    let took = start.elapsed();
    println!(
        "endless page, default 32 MiB cap: peak RSS {} MiB in {took:?}",
        kib / 1024
    );
    assert_eq!(code, 3, "exit code; stderr:\n{stderr}");
    assert!(kib < 200 * 1024, "peak RSS {kib} KiB, over 200 MiB");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(w.dest_names().is_empty(), "{:?}", w.dest_names());
}

#[test]
fn a_100_mib_artifact_is_streamed_and_verified_under_200_mib_rss() {
    let w = World::new("rss-artifact");
    let bytes = vec![0x5au8; 100 << 20];
    let mut e = w.publish(FILE, &bytes, &w.upstream);
    e["size"] = json!(bytes.len());
    w.json_index("example", &[e]);
    w.pypi_watch("example.toml", "example");
    // Generated by the server while sending, so only the test process holds a copy.
    w.server.respond(
        &format!("/files/{FILE}"),
        Response::ok(Vec::new()).body(Body::Repeat {
            byte: 0x5a,
            len: 100 << 20,
        }),
    );
    let args: Vec<String> = ["fetch", "example.toml", "--dest", "dest", "--retries", "0"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let start = Instant::now();
    let Some((code, kib, stderr)) = peak_rss_kib(&w.dir, &args) else {
        println!("note: neither /usr/bin/time nor /proc is available; RSS not measured");
        return;
    };
    let took = start.elapsed();
    println!("100 MiB artifact: peak RSS {} MiB in {took:?}", kib / 1024);
    assert_eq!(code, 0, "exit code; stderr:\n{stderr}");
    assert!(kib < 200 * 1024, "peak RSS {kib} KiB, over 200 MiB");
    let placed = std::fs::metadata(w.dir.join("dest").join(FILE)).expect("placed");
    assert_eq!(placed.len(), 100 << 20);
}

#[test]
fn network_defaults_are_bounded_and_match_the_library_limits() {
    use clap::CommandFactory as _;
    let mut cmd = sigwatch::cli::Cli::command();
    cmd.build(); // subcommands' arguments are deferred until built
    for sub in ["fetch", "check"] {
        let sub = cmd.find_subcommand(sub).expect("subcommand");
        let default = |id: &str| -> u64 {
            let arg = sub
                .get_arguments()
                .find(|a| a.get_id() == id)
                .unwrap_or_else(|| panic!("no --{id}"));
            arg.get_default_values()[0]
                .to_str()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("--{id} has a numeric default"))
        };
        let limits = sigwatch::net::Limits::default();
        assert_eq!(default("timeout"), limits.stall.as_secs());
        assert_eq!(default("min_rate"), limits.min_rate);
        assert_eq!(
            u64::from(default("retries") as u32),
            u64::from(limits.retries)
        );
        assert_eq!(default("max_retry_after"), limits.max_retry_after.as_secs());
        assert_eq!(default("max_page_mib") << 20, limits.page_bytes);
        assert_eq!(default("max_signature_mib") << 20, limits.signature_bytes);
        assert_eq!(default("max_artifact_gib") << 30, limits.artifact_bytes);
        // Sane: a dead server is given up within minutes, a trickle is not waited out, a
        // flaky one is retried a few times, and caps are finite.
        assert!((5..=300).contains(&default("timeout")));
        assert!(default("min_rate") >= 1);
        assert!((1..=5).contains(&default("retries")));
        assert!(default("max_retry_after") <= 300);
        assert!((1..=256).contains(&default("max_page_mib")));
        assert!((1..=16).contains(&default("max_signature_mib")));
        assert!((1..=64).contains(&default("jobs")));
    }
    // And --help shows them.
    let dir = TestDir::new("help");
    let out = dir.cmd(["fetch", "--help"]).assert_code(0).stdout();
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "--timeout <SECS>",
        "[default: 60]",
        "--min-rate <BYTES>",
        "[default: 64]",
        "--max-retry-after <SECS>",
        "--max-page-mib <MIB>",
        "[default: 32]",
    ] {
        assert!(
            flat.contains(needle),
            "fetch --help lacks {needle:?}:\n{out}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The TUF threat list (the endless-data and slow-retrieval attacks are the `tuf_…` tests above).
// ---------------------------------------------------------------------------------------------

/// A bad signature, or a "signature" over 1 MiB that passes a raised transport cap, is a
/// rejected signature (exit 1), not a network error: raising --max-signature-mib does not
/// lift the verifier's own 1 MiB limit.
#[test]
fn hostile_signatures_are_rejected_and_nothing_is_placed() {
    run_fault_cases(&[
        FaultCase::rejected(
            "signature_over_one_mib_within_a_raised_cap_is_a_rejected_signature",
            |_, _| {
                Response::ok(Vec::new()).body(Body::Repeat {
                    byte: b'A',
                    len: 2 << 20,
                })
            },
        )
        .flags(&[("--max-signature-mib", "4")]),
        // A binary signature with its last MPI byte flipped: well-formed, cryptographically bad.
        FaultCase::rejected(
            "tuf_arbitrary_package_with_a_bad_signature_is_rejected",
            |w, bytes| {
                let mut sig =
                    pgp::sign_detached(&w.upstream, bytes, SystemTime::now(), false, false);
                let last = sig.len() - 1;
                sig[last] ^= 0x55;
                Response::ok(sig)
            },
        )
        .within(5),
    ]);
}

#[test]
fn tuf_arbitrary_package_signed_by_an_unpinned_key_is_rejected_and_the_signer_named() {
    let w = World::new("tuf-unpinned");
    let attacker = CertSpec::v4("Mallory <m@example.org>").generate();
    // In the keyring, but not pinned.
    w.write_keyring(&[&w.upstream, &attacker]);
    let bytes = tarball("evil");
    let files = [w.publish(FILE, &bytes, &attacker)];
    w.json_index("example", &files);
    w.pypi_watch("example.toml", "example");
    let (out, took) = w.fetch("example.toml", &[]);
    assert_error(&out, 1, "verification", &[FILE]);
    let json = out.json();
    let sig = &json["projects"][0]["files"][0]["signatures"][0];
    out.check(
        sig["status"] == "unpinned" && sig["certificate"] == pgp::fingerprint(&attacker),
        &format!("the signer is named as unpinned: {sig}"),
    );
    assert_fast(&out, took, Duration::from_secs(5));
    assert_dest_empty(&w, &out);

    // Not in the keyring at all: missing_key.
    w.write_keyring(&[&w.upstream]);
    let (out, _) = w.fetch("example.toml", &[]);
    assert_error(&out, 1, "verification", &[FILE]);
    let json = out.json();
    out.check(
        json["projects"][0]["files"][0]["signatures"][0]["status"] == "missing_key",
        "an unknown signer is missing_key",
    );
    assert_dest_empty(&w, &out);
}

#[test]
fn tuf_mix_and_match_signature_over_another_release_is_rejected() {
    let w = World::new("tuf-mix");
    let old = tarball("example 1.0");
    let new = tarball("example 2.0");
    let name = "example-2.0.tar.gz";
    w.server.file(&format!("/files/{name}"), new.clone());
    // A genuine signature by the pinned key, over the 1.0 file.
    w.server
        .file(&format!("/files/{name}.asc"), sign(&w.upstream, &old));
    w.json_index("example", &[entry(name, &new)]);
    w.pypi_watch("example.toml", "example");
    let (out, took) = w.fetch("example.toml", &[]);
    assert_error(&out, 1, "verification", &[name]);
    let json = out.json();
    out.check(
        json["projects"][0]["files"][0]["signatures"][0]["status"] == "bad_signature",
        "a signature over other bytes is bad_signature",
    );
    assert_fast(&out, took, Duration::from_secs(5));
    assert_dest_empty(&w, &out);
}

/// The whole 1.0 release (bytes, sha256, genuine signature) re-offered as 2.0 after 1.0 was
/// recorded. Detached signatures do not bind a file name or version, but the lock file knows
/// this exact sha256 as version 1.0, so a "new" version with an old content is a replay.
#[test]
fn tuf_mix_and_match_old_release_renamed_as_newer_is_refused() {
    let w = World::new("tuf-replay");
    let old = w.example();
    let (out, _) = w.fetch("example.toml", &[]);
    out.assert_code(0);
    let name = "example-2.0.tar.gz";
    w.server.file(&format!("/files/{name}"), old.clone());
    w.server
        .file(&format!("/files/{name}.asc"), sign(&w.upstream, &old));
    w.json_index("example", &[entry(FILE, &old), entry(name, &old)]);
    let (out, _) = w.fetch("example.toml", &[]);
    out.check(out.code() == 1, "the replayed release must be refused");
    out.check(
        !w.dir.join("dest").join(name).exists(),
        "the replayed release must not be placed",
    );
}

#[test]
fn tuf_rollback_to_an_older_version_than_recorded_is_refused() {
    let w = World::new("tuf-rollback");
    let v1 = tarball("example 1.0");
    let v2 = tarball("example 2.0");
    let e1 = w.publish(FILE, &v1, &w.upstream);
    let e2 = w.publish("example-2.0.tar.gz", &v2, &w.upstream);
    w.json_index("example", &[e1.clone(), e2]);
    w.pypi_watch("example.toml", "example");
    let (out, _) = w.fetch("example.toml", &[]);
    out.assert_code(0);
    // The mirror now hides 2.0: the newest it offers is the older, genuinely signed 1.0.
    w.json_index("example", &[e1]);
    let (out, took) = w.fetch("example.toml", &[]);
    assert_error(&out, 1, "rollback", &["1.0", "2.0", "example.toml.lock"]);
    assert_fast(&out, took, Duration::from_secs(5));
    let names = w.dest_names();
    out.check(
        names == ["example-2.0.tar.gz", "example-2.0.tar.gz.asc"],
        &format!("nothing of 1.0 is placed: {names:?}"),
    );
}

#[test]
fn tuf_malicious_mirror_serving_other_bytes_than_the_index_hash_is_refused() {
    let w = World::new("tuf-mirror");
    let bytes = w.example();
    let mut evil = bytes.clone();
    let mid = evil.len() / 2;
    evil[mid] ^= 1;
    // Same length, different content; the signature is over the good bytes.
    w.server.file(&format!("/files/{FILE}"), evil.clone());
    let (out, took) = w.fetch("example.toml", &[]);
    assert_error(
        &out,
        1,
        "digest",
        &[
            &w.server.url(&format!("/files/{FILE}")),
            &sha256_hex(&evil),
            &sha256_hex(&bytes),
        ],
    );
    assert_fast(&out, took, Duration::from_secs(5));
    assert_dest_empty(&w, &out);
}

// ---------------------------------------------------------------------------------------------
// Crash safety.
// ---------------------------------------------------------------------------------------------

/// A lock file entry, as documented (every field required, nothing else).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct LockEntry {
    version: String,
    file: String,
    sha256: String,
    key: String,
    certificate: String,
    signed: String,
    recorded: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LockFile {
    #[serde(default)]
    release: Vec<LockEntry>,
}

/// Checks the state a killed run may leave: the final paths hold verified bytes or nothing,
/// the lock file is absent or complete, and anything else in dest is a temporary file.
fn assert_crash_consistent(w: &World, bytes: &[u8], sig: &[u8], what: &str) {
    let dest = w.dir.join("dest");
    for name in names_in(&dest) {
        let path = dest.join(&name);
        if name == FILE {
            let got = std::fs::read(&path).unwrap_or_default();
            assert!(
                got == bytes,
                "{what}: {FILE} is at the final path but is not the verified artifact ({} bytes)",
                got.len()
            );
        } else if name == format!("{FILE}.asc") {
            let got = std::fs::read(&path).unwrap_or_default();
            assert!(
                got == sig,
                "{what}: the signature at the final path is incomplete"
            );
        } else {
            assert!(
                name.starts_with(".sigwatch-") && name.ends_with(".part"),
                "{what}: unexpected file at --dest: {name}\n{}",
                w.dir.listing()
            );
        }
    }
    let lock = w.dir.join("example.toml.lock");
    if let Ok(text) = std::fs::read_to_string(&lock) {
        let parsed: LockFile = toml::from_str(&text)
            .unwrap_or_else(|e| panic!("{what}: the lock file is not valid: {e}\n{text}"));
        assert!(
            parsed.release.len() <= 1,
            "{what}: one release, one entry:\n{text}"
        );
        for e in &parsed.release {
            assert_eq!(e.file, FILE, "{what}");
            assert_eq!(e.version, "1.0", "{what}");
            assert_eq!(e.sha256, sha256_hex(bytes), "{what}");
            assert_eq!(e.certificate, w.fpr(), "{what}");
            assert!(!e.signed.is_empty() && !e.recorded.is_empty() && !e.key.is_empty());
        }
    }
}

#[test]
fn sigkill_at_random_points_never_leaves_an_unverified_file_or_a_broken_lock() {
    let w = World::new("sigkill");
    // 300 bytes trickled at 2 ms each: the download takes ~0.7 s, so kills land before,
    // during and after it.
    let bytes = tarball("example 1.0")
        .into_iter()
        .cycle()
        .take(300)
        .collect::<Vec<u8>>();
    let sig = sign(&w.upstream, &bytes);
    w.server.file(&format!("/files/{FILE}.asc"), sig.clone());
    w.server.respond(
        &format!("/files/{FILE}"),
        Response::ok(bytes.clone()).fault(Fault::Trickle {
            interval: Duration::from_millis(2),
        }),
    );
    w.json_index("example", &[entry(FILE, &bytes)]);
    w.pypi_watch("example.toml", "example");
    let args = [
        "fetch",
        "example.toml",
        "--dest",
        "dest",
        "--retries",
        "0",
        "--min-rate",
        "1",
    ];

    let mut seed: u64 = 0x5167_7761_7463_6821;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    let (mut killed, mut finished) = (0, 0);
    for i in 0..30 {
        let delay = Duration::from_millis(next() % 1100);
        let mut child = Command::new(util::BIN)
            .args(args)
            .current_dir(w.dir.path())
            .env("NO_COLOR", "1")
            .env("SIGWATCH_CACHE_DIR", w.dir.join(".cache"))
            .env("XDG_CACHE_HOME", w.dir.join(".cache"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().expect("wait");
        if status.code() == Some(0) {
            finished += 1;
        } else {
            assert!(
                status.code().is_none(),
                "run {i} exited {status} on its own"
            );
            killed += 1;
        }
        assert_crash_consistent(
            &w,
            &bytes,
            &sig,
            &format!("after run {i} (killed at {delay:?})"),
        );
        // Most of the time start over, so the next kill lands in a download again.
        if next() % 3 != 0 {
            let _ = std::fs::remove_file(w.dir.join("dest").join(FILE));
            let _ = std::fs::remove_file(w.dir.join("dest").join(format!("{FILE}.asc")));
            let _ = std::fs::remove_file(w.dir.join("example.toml.lock"));
        }
    }
    println!("sigkill: {killed} runs killed, {finished} finished before the kill");
    assert!(
        killed >= 10,
        "most runs must be killed mid-way ({killed} were)"
    );

    // Leftovers younger than 5 s are kept (they may be a concurrent run's); wait them out.
    std::thread::sleep(Duration::from_millis(5500));
    let out = w.cmd(args).assert_code(0).stdout();
    let names = w.dest_names();
    assert_eq!(
        names,
        [FILE.to_string(), format!("{FILE}.asc")],
        "after a clean run only the verified files remain:\n{out}\n{}",
        w.dir.listing()
    );
    assert_crash_consistent(&w, &bytes, &sig, "after the final run");
    w.cmd([
        "verify",
        &format!("dest/{FILE}"),
        "--keyring",
        "keyrings/project.asc",
        "--fingerprint",
        &w.fpr(),
    ])
    .assert_code(0);
}

#[test]
fn two_concurrent_fetches_of_the_same_project_both_succeed_and_agree() {
    let w = World::new("concurrent");
    let bytes = tarball("example 1.0")
        .into_iter()
        .cycle()
        .take(400)
        .collect::<Vec<u8>>();
    let sig = sign(&w.upstream, &bytes);
    w.server.file(&format!("/files/{FILE}.asc"), sig.clone());
    w.server.respond(
        &format!("/files/{FILE}"),
        Response::ok(bytes.clone()).fault(Fault::Trickle {
            interval: Duration::from_millis(1),
        }),
    );
    w.json_index("example", &[entry(FILE, &bytes)]);
    w.pypi_watch("example.toml", "example");
    let spawn = || {
        Command::new(util::BIN)
            .args([
                "fetch",
                "example.toml",
                "--dest",
                "dest",
                "--retries",
                "0",
                "--min-rate",
                "1",
            ])
            .current_dir(w.dir.path())
            .env("NO_COLOR", "1")
            .env("SIGWATCH_CACHE_DIR", w.dir.join(".cache"))
            .env("XDG_CACHE_HOME", w.dir.join(".cache"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let start = Instant::now();
    let (a, b) = (spawn(), spawn());
    let (a, b) = (
        a.wait_with_output().expect("a"),
        b.wait_with_output().expect("b"),
    );
    let took = start.elapsed();
    for (name, o) in [("a", &a), ("b", &b)] {
        let text = format!(
            "{name}: {}\nstdout:\n{}\nstderr:\n{}",
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(o.status.code(), Some(0), "{text}");
        assert!(!text.contains("panicked"), "{text}");
    }
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert_crash_consistent(&w, &bytes, &sig, "after two concurrent runs");
    assert_eq!(w.dest_names(), [FILE.to_string(), format!("{FILE}.asc")]);
    let lock: LockFile =
        toml::from_str(&std::fs::read_to_string(w.dir.join("example.toml.lock")).expect("lock"))
            .expect("valid lock");
    assert_eq!(lock.release.len(), 1, "one entry for one verified file");
}

/// A killed run can also leave the lock file's temporary (`.sigwatch-lock-*.part`, beside the
/// watch file); nothing cleans those, unlike the ones at --dest.
#[test]
fn stale_lock_temporary_files_beside_the_watch_file_are_cleaned() {
    let w = World::new("stale-lock-tmp");
    w.example();
    let stale = w.dir.write(".sigwatch-lock-abc123.part", b"release = [");
    let old = SystemTime::now() - Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .expect("open")
        .set_modified(old)
        .expect("mtime");
    let (out, _) = w.fetch("example.toml", &[]);
    out.assert_code(0);
    out.check(!stale.exists(), "the stale lock temporary is removed");
}
