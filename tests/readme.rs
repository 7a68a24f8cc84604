//! README's examples are run: every ```console block of README.md, against fixtures, with
//! trycmd. A command whose output no longer matches what README shows fails here, so the
//! README cannot drift from the binary. `[..]` in README stands for text that differs per
//! fixture (a user ID); blocks that need the network are ```sh and not run.

mod util;

use std::path::Path;

use util::fixtures;

/// The fingerprint README pins: the fixture key `rsa2048`, which signed `foo-1.2.tar.gz`.
const README_PIN: &str = "B312 CF2E 680D 1E0B DCF4  61F3 6E7F 30F2 DE9C 9120";

#[test]
fn readme_console_blocks_run_as_shown() {
    let f = fixtures();
    // Fixtures are regenerated with fresh keys now and then: say what to update.
    assert_eq!(
        README_PIN.replace(' ', ""),
        f.fingerprint("rsa2048"),
        "tests/fixtures were regenerated: put rsa2048's new fingerprint into README.md and README_PIN"
    );
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("reading README.md");
    assert!(
        readme.contains(README_PIN),
        "README.md no longer pins {README_PIN}"
    );
    // trycmd runs README.md in README.in/ beside it: both in a fresh directory, so the
    // checkout stays clean.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let case = dir.path().join("README.md");
    std::fs::write(&case, &readme).expect("copying README.md");
    let sandbox = dir.path().join("README.in");
    std::fs::create_dir_all(sandbox.join("keyrings")).expect("creating README.in");
    for (from, to) in [
        ("data.bin", "foo-1.2.tar.gz"),
        ("sigs/rsa2048.asc", "foo-1.2.tar.gz.asc"),
        ("keys/rsa2048.asc", "keyrings/foo.asc"),
    ] {
        std::fs::copy(f.path(from), sandbox.join(to))
            .unwrap_or_else(|e| panic!("copying {from}: {e}"));
    }
    trycmd::TestCases::new()
        .register_bin("sigwatch", Path::new(util::BIN))
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .case(&case);
}
