//! `[source] plain_http = true`: a watch file's explicit opt-in to plain http for its own
//! release host, which has no https. Signatures and pins stay required; no other host is
//! allowed. (No test reaches the internet: the opted-in host is a `.invalid` name, so the
//! client's attempt ends in a local DNS failure, which shows it was allowed to try.)

mod util;

use util::{TestDir, fixtures};

/// A URL-listing watch file for `url`, with `extra` lines under `[source]`.
fn watch(dir: &TestDir, url: &str, extra: &str) {
    let fx = fixtures();
    let keyring = fx.keyring_of(dir, &["rsa2048"]);
    let keyring = keyring
        .strip_prefix(dir.path())
        .expect("inside the test directory")
        .display()
        .to_string();
    dir.write(
        "foo.toml",
        format!(
            "[source]\nurl = \"{url}\"\npattern = 'foo-(?P<version>[0-9.]+)\\.tar\\.gz'\n{extra}\n\
             [keys]\nkeyring = \"{keyring}\"\nfingerprints = [\"{}\"]\n",
            fx.fingerprint("rsa2048")
        ),
    );
}

#[test]
fn plain_http_source_is_refused_without_the_opt_in_and_names_the_field() {
    let dir = TestDir::new("plain-http-refused");
    watch(&dir, "http://downloads.sigwatch-test.invalid/foo/", "");
    let out = dir
        .cmd([
            "check",
            "foo.toml",
            "--json",
            "--retries",
            "0",
            "--timeout",
            "5",
        ])
        .run();
    out.assert_code(2);
    let e = out.json()["projects"][0]["error"].clone();
    out.check(
        e["kind"] == "config"
            && e["message"]
                .as_str()
                .is_some_and(|m| m.contains("source.url") && m.contains("plain http")),
        "the watch file is refused, naming source.url",
    );
}

#[test]
fn opted_in_host_is_fetched_over_plain_http_and_nothing_else_is_allowed() {
    let dir = TestDir::new("plain-http-opt-in");
    watch(
        &dir,
        "http://downloads.sigwatch-test.invalid/foo/",
        "plain_http = true",
    );
    let out = dir
        .cmd([
            "check",
            "foo.toml",
            "--json",
            "--retries",
            "0",
            "--timeout",
            "5",
        ])
        .run();
    // The client tried the host (a DNS failure here), instead of refusing plain http.
    out.assert_code(3);
    let e = out.json()["projects"][0]["error"].clone();
    out.check(
        e["kind"] == "network"
            && e["message"].as_str().is_some_and(|m| {
                m.contains("downloads.sigwatch-test.invalid")
                    && !m.contains("plain http is refused")
            }),
        "the opted-in host was asked over plain http",
    );

    // The opt-in names no other host: `lint` still loads the file, and an https source with
    // `plain_http` is a configuration error (nothing to opt in to).
    dir.cmd(["lint", "foo.toml"]).run().assert_code(0);
    watch(
        &dir,
        "https://downloads.example.org/foo/",
        "plain_http = true",
    );
    dir.cmd(["lint", "foo.toml", "--json"])
        .run()
        .assert_code(1)
        .assert_stdout_contains(&["source.plain_http"]);
}
