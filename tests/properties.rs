//! Property tests for every parser that sees outside bytes, called through the library:
//! watch files, PEP 691 JSON and PEP 503 HTML indexes, listings, file names, versions,
//! signatures (including OpenPGP compression packets, refused without decompressing), keyrings
//! and file-name safety. Each case must not panic and must finish in bounded time; where there
//! is an invariant (ordering laws, round trips, "random bytes never verify") it is checked.
//!
//! A few cases go end to end through the binary (garbage signatures exit 1, random TOML-ish
//! watch files exit 2, never a panic). Failing seeds are kept in
//! `tests/regressions/properties.proptest-regressions` and replayed by proptest; raw inputs
//! that once crashed a parser go in `tests/regressions/*.bin` and are replayed through every
//! parser by `regression_corpus_replays_through_every_parser`.

mod util;

use std::cmp::Ordering;
use std::io::Write as _;
use std::path::{Component, Path};
use std::str::FromStr as _;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};
use reqwest::Url;
use sequoia_openpgp as openpgp;

use sigwatch::base::version::{compare_strs, natural_cmp};
use sigwatch::fetch::safe_filename;
use sigwatch::source::pypi::{self, DistKind};
use sigwatch::source::{anchored, group, listing_files};
use sigwatch::verify::{Checker, Keyring, Pin, parse_pin, parse_signatures};
use sigwatch::watch::Watch;

use util::TestDir;
use util::pgp::{self, CertSpec};

/// Per-case time bound: generous for a debug build, tiny next to a hang or a bomb.
const CASE_LIMIT: Duration = Duration::from_secs(2);

/// Proptest settings: `cases` cases (PROPTEST_CASES overrides, for a longer hunt), failing
/// seeds kept in tests/regressions/.
fn config(cases: u32) -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/regressions/properties.proptest-regressions",
        ))),
        ..Config::default()
    }
}

/// Runs `f`, failing the case if it takes longer than [`CASE_LIMIT`].
fn timed<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    let start = Instant::now();
    let v = f();
    let took = start.elapsed();
    if took > CASE_LIMIT {
        return Err(TestCaseError::fail(format!("{what} took {took:?}")));
    }
    Ok(v)
}

fn base() -> Url {
    Url::parse("https://idx.example/simple/foo/").expect("static URL")
}

/// A certificate, its keyring and a pin on it, made once per test binary.
struct Material {
    cert: openpgp::Cert,
    keyring: Keyring,
    pins: Vec<Pin>,
    data: Vec<u8>,
    signature: Vec<u8>,
}

fn material() -> &'static Material {
    static M: OnceLock<Material> = OnceLock::new();
    M.get_or_init(|| {
        let cert = CertSpec::v4("Prop <prop@example.org>").generate();
        let keyring = Keyring::from_bytes(&pgp::armored_public(&cert), Path::new("prop.asc"))
            .expect("a generated certificate parses");
        let pins = vec![parse_pin(&pgp::fingerprint(&cert)).expect("a full fingerprint")];
        let data = b"the release bytes\n".repeat(100);
        let signature = pgp::sign_detached(&cert, &data, SystemTime::now(), false, false);
        Material {
            cert,
            keyring,
            pins,
            data,
            signature,
        }
    })
}

fn checker() -> Checker<'static> {
    let m = material();
    Checker::new(&m.keyring, &m.pins, 1).expect("the pin is in the keyring")
}

// ---------------------------------------------------------------------------------------------
// Strategies.
// ---------------------------------------------------------------------------------------------

/// A PEP 440 version string made of parts pep440_rs must accept.
fn pep440() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(0u32..2000, 1..5),
        prop::option::of((prop_oneof!["a", "b", "rc"], 0u32..50)),
        prop::option::of(0u32..50),
        prop::option::of(0u32..50),
    )
        .prop_map(|(release, pre, post, dev)| {
            let mut v = release
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(".");
            if let Some((kind, n)) = pre {
                v.push_str(&format!("{kind}{n}"));
            }
            if let Some(n) = post {
                v.push_str(&format!(".post{n}"));
            }
            if let Some(n) = dev {
                v.push_str(&format!(".dev{n}"));
            }
            v
        })
}

/// A PEP 508 project name: starts and ends alphanumeric, separators inside.
fn project_name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]([A-Za-z0-9._-]{0,12}[A-Za-z0-9])?"
}

/// Version-ish strings: digits, dots, letters and separators, plus the odd Unicode.
fn versionish() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[0-9a-z._+!-]{0,14}",
        1 => pep440(),
        1 => "\\PC{0,8}",
    ]
}

/// Lines that look like a watch file, some right, most subtly wrong.
fn tomlish() -> impl Strategy<Value = String> {
    let fpr = pgp::fingerprint(&material().cert);
    let key = prop_oneof![
        Just("name"),
        Just("current"),
        Just("pypi"),
        Just("index"),
        Just("files"),
        Just("prereleases"),
        Just("url"),
        Just("pattern"),
        Just("keyring"),
        Just("fingerprints"),
        Just("threshold"),
        Just("fiels"),
        Just("\"quoted key\""),
    ];
    let value = prop_oneof![
        Just("\"foo\"".to_string()),
        Just("\"\"".to_string()),
        Just("\"http://127.0.0.1:1/simple/\"".to_string()),
        Just("\"https://127.0.0.1:1/releases/\"".to_string()),
        Just("\"ftp://127.0.0.1:1/\"".to_string()),
        Just("\"not a url\"".to_string()),
        Just("'foo-(?P<version>[0-9.]+)\\.tar\\.gz'".to_string()),
        Just("'foo-.*'".to_string()),
        Just("'('".to_string()),
        Just("\"[\"".to_string()),
        Just("\"*.tar.gz\"".to_string()),
        Just("\"sdist\"".to_string()),
        Just("\"prop.asc\"".to_string()),
        Just("\"missing.asc\"".to_string()),
        Just(format!("[\"{fpr}\"]")),
        Just(format!("[\"{fpr}\", \"{fpr}\"]")),
        Just(format!("\"{fpr}\"")),
        Just("[\"DEADBEEF\"]".to_string()),
        Just("[\"0123456789ABCDEF\"]".to_string()),
        Just("[]".to_string()),
        Just("[\"{url}.asc\", \"{uri}.sig\"]".to_string()),
        Just("\"{url}.sig\"".to_string()),
        Just("\"{url\"".to_string()),
        Just("true".to_string()),
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("99999999999999999999999".to_string()),
        Just("1.5".to_string()),
        Just("{ a = 1 }".to_string()),
        Just("\"\\u0000\"".to_string()),
        "\"[ -~&&[^\"\\\\]]{0,12}\"",
    ];
    let line = prop_oneof![
        3 => (key, value).prop_map(|(k, v)| format!("{k} = {v}")),
        1 => prop_oneof![
            Just("[source]".to_string()),
            Just("[keys]".to_string()),
            Just("[signature]".to_string()),
            Just("[[source]]".to_string()),
            Just("[keys.nested]".to_string()),
            Just("[source".to_string()),
        ],
        1 => "[ -~]{0,24}",
        1 => "\\PC{0,12}",
    ];
    prop::collection::vec(line, 0..14).prop_map(|lines| lines.join("\n"))
}

/// A plausible watch file with one field perturbed.
fn near_valid_watch() -> impl Strategy<Value = String> {
    let fpr = pgp::fingerprint(&material().cert);
    (0usize..8, tomlish()).prop_map(move |(which, noise)| {
        let mut lines = vec![
            "[source]".to_string(),
            "pypi = \"foo\"".to_string(),
            "index = \"http://127.0.0.1:1/simple/\"".to_string(),
            "[keys]".to_string(),
            "keyring = \"prop.asc\"".to_string(),
            format!("fingerprints = [\"{fpr}\"]"),
        ];
        let at = which.min(lines.len());
        lines.insert(at, noise);
        lines.join("\n")
    })
}

/// Bytes that look like OpenPGP packets: new-format headers with random tags and bodies.
fn packetish() -> impl Strategy<Value = Vec<u8>> {
    let packet = (0u8..64, prop::collection::vec(any::<u8>(), 0..80)).prop_map(|(tag, body)| {
        let mut p = vec![0xC0 | tag];
        p.push(body.len() as u8);
        p.extend(body);
        p
    });
    prop::collection::vec(packet, 1..5).prop_map(|ps| ps.concat())
}

/// A compressed data packet (tag 8) by hand: algorithm byte, then `body`; 5-octet length.
fn compressed_packet(algo: u8, body: &[u8]) -> Vec<u8> {
    let len = (body.len() + 1) as u32;
    let mut p = vec![0xC8, 0xFF];
    p.extend(len.to_be_bytes());
    p.push(algo);
    p.extend(body);
    p
}

/// `len` zeros, raw-deflated (OpenPGP ZIP) or zlib-compressed.
fn deflated_zeros(len: usize, zlib: bool) -> Vec<u8> {
    let block = vec![0u8; 1 << 20];
    let mut left = len;
    let write = |w: &mut dyn std::io::Write, left: &mut usize| {
        while *left > 0 {
            let n = (*left).min(block.len());
            w.write_all(&block[..n]).expect("in memory");
            *left -= n;
        }
    };
    if zlib {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        write(&mut e, &mut left);
        e.finish().expect("in memory")
    } else {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        write(&mut e, &mut left);
        e.finish().expect("in memory")
    }
}

// ---------------------------------------------------------------------------------------------
// Watch files.
// ---------------------------------------------------------------------------------------------

/// A directory holding a keyring `prop.asc`, for watch files to point at.
fn watch_dir() -> &'static TestDir {
    static D: OnceLock<TestDir> = OnceLock::new();
    D.get_or_init(|| {
        let d = TestDir::new("props-watch");
        d.write("prop.asc", pgp::armored_public(&material().cert));
        d
    })
}

fn check_watch(text: &str) -> Result<(), TestCaseError> {
    let path = watch_dir().join("w.toml");
    let parsed = timed("Watch::parse", || {
        Watch::parse(text, &path).map_err(sigwatch::error::Failure::from)
    })?;
    match parsed {
        Ok(w) => {
            // Something always pins a signer: OpenPGP keys, Sigstore publishers, or both.
            prop_assert!(
                w.keys.is_some() || w.sigstore.as_ref().is_some_and(|s| !s.pins.is_empty())
            );
            if let Some(keys) = &w.keys {
                prop_assert!(!keys.pins.is_empty());
                prop_assert!(keys.threshold >= 1 && keys.threshold <= keys.pins.len());
                prop_assert!(keys.keyring.is_file());
            }
            prop_assert!(!w.signature_templates.is_empty());
            prop_assert!(!w.name.trim().is_empty());
        }
        Err(f) => {
            prop_assert_eq!(f.kind, sigwatch::error::Kind::Config);
            prop_assert!(f.message.contains("w.toml"), "{}", f.message);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn watch_parse_never_panics_on_tomlish_text(text in tomlish()) {
        check_watch(&text)?;
    }

    #[test]
    fn watch_parse_never_panics_on_near_valid_files(text in near_valid_watch()) {
        check_watch(&text)?;
    }

    #[test]
    fn watch_parse_never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
        check_watch(&text)?;
    }

    #[test]
    fn watch_parse_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check_watch(&String::from_utf8_lossy(&bytes))?;
    }
}

// ---------------------------------------------------------------------------------------------
// Indexes and listings.
// ---------------------------------------------------------------------------------------------

fn check_index_files(files: &[sigwatch::source::IndexFile]) -> Result<(), TestCaseError> {
    for f in files {
        prop_assert!(!f.url.contains('#'), "fragment kept in {}", f.url);
        prop_assert!(Url::parse(&f.url).is_ok(), "not absolute: {}", f.url);
        if let Some(h) = &f.sha256 {
            prop_assert_eq!(h.to_ascii_lowercase(), h.clone());
        }
    }
    Ok(())
}

/// A JSON value shaped like a PEP 691 page, with hostile leaves.
fn pep691ish() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just(serde_json::json!(null)),
        Just(serde_json::json!(true)),
        Just(serde_json::json!(-1)),
        Just(serde_json::json!(u64::MAX)),
        Just(serde_json::json!("1.1")),
        Just(serde_json::json!("../../../etc/passwd")),
        Just(serde_json::json!("http://[::1")),
        Just(serde_json::json!("javascript:alert(1)")),
        "\\PC{0,16}".prop_map(serde_json::Value::from),
    ];
    let file = (
        leaf.clone(),
        leaf.clone(),
        leaf.clone(),
        leaf.clone(),
        leaf.clone(),
        any::<bool>(),
    )
        .prop_map(|(name, url, hash, yanked, size, typed)| {
            if typed {
                serde_json::json!({
                    "filename": name.as_str().unwrap_or("foo-1.0.tar.gz"),
                    "url": url.as_str().unwrap_or("foo-1.0.tar.gz#sha256=ab"),
                    "hashes": {"sha256": hash.as_str().unwrap_or("AB")},
                    "yanked": yanked,
                    "size": size.as_u64(),
                })
            } else {
                serde_json::json!({"filename": name, "url": url, "hashes": hash, "yanked": yanked, "size": size})
            }
        });
    (leaf, prop::collection::vec(file, 0..6)).prop_map(|(api, files)| {
        let api = if api.is_string() {
            api
        } else {
            serde_json::json!("1.0")
        };
        serde_json::json!({"meta": {"api-version": api}, "name": "foo", "files": files}).to_string()
    })
}

/// HTML made of anchors, fragments, base tags and junk.
fn htmlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        ("[ -~&&[^\"]]{0,30}", "\\PC{0,20}").prop_map(|(h, t)| format!("<a href=\"{h}\">{t}</a>")),
        (pep440(), "[0-9a-fA-F]{60,66}").prop_map(|(v, h)| format!(
            "<a href=\"../../f/foo-{v}.tar.gz#sha256={h}\" data-yanked>foo-{v}.tar.gz</a>"
        )),
        "[ -~]{0,20}".prop_map(|h| format!("<base href=\"{h}\">")),
        Just("<a href=\"foo&#45;1.2.tar.gz\">foo&#45;1.2.tar.gz</a>".to_string()),
        Just("<a href=".to_string()),
        Just("<!--".to_string()),
        Just("<script>".to_string()),
        Just("</a></a></div>".to_string()),
        "\\PC{0,20}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn parse_json_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let got = timed("parse_json", || pypi::parse_json(&bytes, &base()))?;
        if let Ok(files) = got {
            check_index_files(&files)?;
        }
    }

    #[test]
    fn parse_json_never_panics_on_pep691_shaped_pages(page in pep691ish()) {
        let got = timed("parse_json", || pypi::parse_json(page.as_bytes(), &base()))?;
        if let Ok(files) = got {
            check_index_files(&files)?;
        }
    }

    #[test]
    fn parse_html_never_fails_or_panics(page in htmlish(), junk in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut bytes = page.into_bytes();
        bytes.extend(junk);
        let files = timed("parse_html", || pypi::parse_html(&bytes, &base()))?;
        prop_assert!(files.is_ok());
        let files = files.unwrap_or_default();
        check_index_files(&files)?;
        for f in &files {
            if let Some(h) = &f.sha256 {
                prop_assert!(h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
            }
        }
    }

    #[test]
    fn listing_files_match_the_whole_pattern_once_each(page in htmlish(), pattern in prop_oneof![
        Just(r"foo-(?P<version>[0-9][0-9a-z.]*)\.tar\.gz".to_string()),
        Just(r"(.*)".to_string()),
        Just(r"foo-([^/]*)".to_string()),
        "[ -~]{0,12}",
    ]) {
        let Ok(re) = timed("anchored", || anchored(&pattern))? else { return Ok(()) };
        let found = timed("listing_files", || listing_files(page.as_bytes(), &base(), &re))?;
        let mut names = std::collections::HashSet::new();
        for (version, f) in &found {
            prop_assert!(!version.is_empty());
            prop_assert!(re.is_match(&f.filename));
            prop_assert!(names.insert(f.filename.clone()), "duplicate {}", f.filename);
        }
        check_index_files(&found.iter().map(|(_, f)| f.clone()).collect::<Vec<_>>())?;
        let total = found.len();
        let releases = timed("group", || group(found))?;
        prop_assert_eq!(releases.iter().map(|r| r.files.len()).sum::<usize>(), total);
    }

    #[test]
    fn anchored_never_panics_on_arbitrary_patterns(pattern in "\\PC{0,40}") {
        let _ = timed("anchored", || anchored(&pattern))?;
    }

    #[test]
    fn group_keeps_every_file_and_sorts_newest_first(
        versions in prop::collection::vec(versionish(), 0..12)
    ) {
        let files: Vec<(String, sigwatch::source::IndexFile)> = versions
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (v.clone(), sigwatch::source::IndexFile {
                    filename: format!("f{i}"),
                    url: format!("https://e.example/f{i}"),
                    sha256: None,
                    size: None,
                    yanked: i % 3 == 0,
                    provenance: None,
                })
            })
            .collect();
        let releases = timed("group", || group(files))?;
        prop_assert_eq!(releases.iter().map(|r| r.files.len()).sum::<usize>(), versions.len());
        prop_assert!(releases.iter().all(|r| !r.files.is_empty()));
        for pair in releases.windows(2) {
            prop_assert_ne!(
                sigwatch::base::version::compare(&pair[0].key, &pair[1].key),
                Ordering::Less
            );
        }
        let _ = sigwatch::source::choose(&releases, None, false);
        let _ = sigwatch::source::choose(&releases, versions.first().map(String::as_str), true);
    }
}

// ---------------------------------------------------------------------------------------------
// File names and versions.
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn sdist_file_names_round_trip(name in project_name(), version in pep440(), ext in prop::sample::select(vec![".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar"])) {
        let filename = format!("{name}-{version}{ext}");
        let want = pep440_rs::Version::from_str(&version).expect("generated PEP 440");
        let got = timed("parse_filename", || pypi::parse_filename(&filename, &name))?;
        prop_assert_eq!(got, Some((DistKind::Sdist, want.clone())), "{}", filename);
        // Any spelling of the name that normalizes the same finds it too.
        let upper = name.to_uppercase().replace('-', "_");
        prop_assert_eq!(pypi::parse_filename(&filename, &upper), Some((DistKind::Sdist, want)));
    }

    #[test]
    fn wheel_file_names_round_trip(name in project_name(), version in pep440(), build in prop::option::of(0u32..99)) {
        let escaped = name.replace(['-', '.'], "_");
        let build = build.map(|b| format!("-{b}")).unwrap_or_default();
        let filename = format!("{escaped}-{version}{build}-py3-none-any.whl");
        let want = pep440_rs::Version::from_str(&version).expect("generated PEP 440");
        let got = timed("parse_filename", || pypi::parse_filename(&filename, &name))?;
        prop_assert_eq!(got, Some((DistKind::Wheel, want)), "{}", filename);
    }

    #[test]
    fn parse_filename_never_panics_and_needs_the_project(filename in "\\PC{0,40}", project in "\\PC{0,12}") {
        if let Some((_, v)) = timed("parse_filename", || pypi::parse_filename(&filename, &project))? {
            // Whatever was found is a real version.
            prop_assert!(pep440_rs::Version::from_str(&v.to_string()).is_ok());
        }
    }

    #[test]
    fn normalize_is_idempotent_and_separator_free(name in "\\PC{0,30}") {
        let n = pypi::normalize(&name);
        prop_assert_eq!(pypi::normalize(&n), n.clone());
        prop_assert!(!n.contains(['_', '.']));
        prop_assert!(!n.contains("--"));
        prop_assert!(!n.starts_with('-') && !n.ends_with('-'));
    }

    #[test]
    fn natural_cmp_is_a_total_preorder(a in versionish(), b in versionish(), c in versionish()) {
        let ab = natural_cmp(&a, &b);
        prop_assert_eq!(ab, natural_cmp(&b, &a).reverse(), "antisymmetry {:?} {:?}", a, b);
        prop_assert_eq!(natural_cmp(&a, &a), Ordering::Equal);
        let bc = natural_cmp(&b, &c);
        let ac = natural_cmp(&a, &c);
        if ab != Ordering::Greater && bc != Ordering::Greater {
            prop_assert_ne!(ac, Ordering::Greater, "transitivity {:?} <= {:?} <= {:?}", a, b, c);
        }
        if ab == Ordering::Equal && bc == Ordering::Equal {
            prop_assert_eq!(ac, Ordering::Equal);
        }
    }

    #[test]
    fn natural_cmp_orders_digit_runs_as_numbers(x in 0u64..1_000_000, y in 0u64..1_000_000, pre in "[a-z.]{0,4}") {
        prop_assert_eq!(natural_cmp(&format!("{pre}{x}"), &format!("{pre}{y}")), x.cmp(&y));
        prop_assert_eq!(natural_cmp(&format!("{pre}{x:08}"), &format!("{pre}{x}")), Ordering::Equal);
    }

    #[test]
    fn compare_strs_is_antisymmetric_on_anything(a in versionish(), b in versionish()) {
        let ab = timed("compare_strs", || compare_strs(&a, &b))?;
        prop_assert_eq!(ab, compare_strs(&b, &a).reverse());
    }

    #[test]
    fn compare_strs_is_pep440_order_on_pep440_versions(a in pep440(), b in pep440(), c in pep440()) {
        let (va, vb) = (
            pep440_rs::Version::from_str(&a).expect("pep440"),
            pep440_rs::Version::from_str(&b).expect("pep440"),
        );
        prop_assert_eq!(compare_strs(&a, &b), va.cmp(&vb));
        if compare_strs(&a, &b).is_le() && compare_strs(&b, &c).is_le() {
            prop_assert!(compare_strs(&a, &c).is_le());
        }
    }

    #[test]
    fn safe_filename_only_accepts_plain_names(name in prop_oneof![
        "\\PC{0,20}",
        "[a./\\\\]{0,8}",
        prop::collection::vec(prop_oneof![
            Just(".."), Just("."), Just("/"), Just("\\"), Just("a"), Just("-1.0.tar.gz"),
            Just("\0"), Just("\n"), Just("\u{202e}"), Just("C:"), Just("~"),
        ], 0..6).prop_map(|p| p.concat()),
        "[a-z]{250,260}",
    ]) {
        let got = timed("safe_filename", || safe_filename(&name).map(str::to_owned))?;
        if let Ok(n) = got {
            prop_assert_eq!(&n, &name);
            prop_assert!(!n.contains(['/', '\\', '\0']));
            prop_assert!(n != "." && n != ".." && !n.starts_with('.'));
            prop_assert!(!n.chars().any(char::is_control));
            prop_assert!(n.len() <= 255);
            let comps: Vec<Component> = Path::new(&n).components().collect();
            prop_assert!(
                matches!(comps.as_slice(), [Component::Normal(c)] if *c == std::ffi::OsStr::new(&n)),
                "{:?} is not exactly one plain component", n
            );
            let dest = Path::new("/dest");
            let joined = dest.join(&n);
            prop_assert_eq!(joined.parent(), Some(dest));
        } else {
            prop_assert_eq!(
                safe_filename(&name).expect_err("refused").kind,
                sigwatch::error::Kind::Source
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Signatures and keyrings.
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(192))]

    #[test]
    fn random_bytes_never_verify(sig in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        packetish(),
    ]) {
        let _ = timed("parse_signatures", || parse_signatures(&sig))?;
        let m = material();
        let verdict = timed("verify", || checker().verify(m.data.as_slice(), &sig))?;
        prop_assert!(!verdict.expect("reading memory").is_verified());
    }

    #[test]
    fn armored_garbage_never_verifies(body in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut sig = b"-----BEGIN PGP SIGNATURE-----\n\n".to_vec();
        sig.extend(body);
        sig.extend(b"\n-----END PGP SIGNATURE-----\n");
        let verdict = timed("verify", || checker().verify(material().data.as_slice(), &sig))?;
        prop_assert!(!verdict.expect("reading memory").is_verified());
    }

    #[test]
    fn a_good_signature_never_verifies_other_data(flip in 0usize..1800, bit in 0u8..8) {
        let m = material();
        let mut data = m.data.clone();
        let i = flip % data.len();
        data[i] ^= 1 << bit;
        let verdict = timed("verify", || checker().verify(data.as_slice(), &m.signature))?;
        prop_assert!(!verdict.expect("reading memory").is_verified());
    }

    #[test]
    fn mangled_good_signatures_never_panic(cut in 0usize..400, flips in prop::collection::vec((0usize..400, any::<u8>()), 0..4)) {
        let m = material();
        let mut sig = m.signature.clone();
        for (at, x) in flips {
            let n = sig.len();
            sig[at % n] ^= x;
        }
        sig.truncate(cut.min(sig.len()));
        let verdict = timed("verify", || checker().verify(m.data.as_slice(), &sig))?;
        let verdict = verdict.expect("reading memory");
        if cut < m.signature.len() {
            prop_assert!(!verdict.is_verified(), "a truncated signature verified");
        }
    }

    #[test]
    fn compressed_packets_are_refused_whatever_they_hold(
        algo in 0u8..5,
        body in prop::collection::vec(any::<u8>(), 0..200),
        before_sig in any::<bool>(),
    ) {
        let m = material();
        let mut sig = compressed_packet(algo, &body);
        if !before_sig {
            sig = [m.signature.clone(), sig].concat();
        }
        let parsed = timed("parse_signatures", || parse_signatures(&sig))?;
        prop_assert!(parsed.is_err(), "a compressed packet was accepted as a signature");
        let verdict = timed("verify", || checker().verify(m.data.as_slice(), &sig))?;
        prop_assert!(!verdict.expect("reading memory").is_verified());
    }

    #[test]
    fn keyring_parsing_never_panics_on_random_bytes(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        packetish(),
    ]) {
        let _ = timed("Keyring::from_bytes", || Keyring::from_bytes(&bytes, Path::new("r.asc")))?;
    }

    #[test]
    fn keyring_parsing_never_panics_on_mangled_keys(armored in any::<bool>(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6), cut in any::<prop::sample::Index>()) {
        let m = material();
        let mut bytes = if armored {
            pgp::armored_public(&m.cert)
        } else {
            use openpgp::serialize::SerializeInto as _;
            m.cert.to_vec().expect("serialize")
        };
        for (at, x) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= x;
        }
        let keep = cut.index(bytes.len() + 1);
        bytes.truncate(keep.max(1));
        let _ = timed("Keyring::from_bytes", || Keyring::from_bytes(&bytes, Path::new("r.asc")))?;
    }
}

/// A 64 MiB decompression bomb inside a "signature": refused on sight, never inflated.
#[test]
fn compression_bomb_in_a_signature_is_refused_without_decompressing() {
    let m = material();
    for (algo, zlib) in [(1u8, false), (2u8, true)] {
        let bomb = compressed_packet(algo, &deflated_zeros(64 << 20, zlib));
        assert!(bomb.len() < 200_000, "the bomb is small: {}", bomb.len());
        for sig in [
            bomb.clone(),
            [m.signature.clone(), bomb.clone()].concat(),
            armor(&bomb),
        ] {
            let start = Instant::now();
            let err = parse_signatures(&sig).expect_err("a compressed packet is not a signature");
            let took = start.elapsed();
            assert!(err.contains("compressed"), "{err}");
            assert!(
                took < Duration::from_millis(500),
                "took {took:?}: it was inflated"
            );
            let start = Instant::now();
            let verdict = checker().verify(m.data.as_slice(), &sig).expect("memory");
            assert!(!verdict.is_verified());
            assert!(start.elapsed() < Duration::from_secs(1));
        }
    }
}

/// The same, made by Sequoia's own serializer (a compressed message holding a signature).
#[test]
fn sequoia_compressed_signature_message_is_refused() {
    use openpgp::serialize::stream::{Compressor, Message};
    let m = material();
    let mut out = Vec::new();
    {
        let msg = Message::new(&mut out);
        let mut w = Compressor::new(msg)
            .algo(openpgp::types::CompressionAlgorithm::Zip)
            .build()
            .expect("compressor");
        w.write_all(&m.signature).expect("write");
        w.write_all(&vec![0u8; 8 << 20]).expect("write");
        w.finalize().expect("finalize");
    }
    let start = Instant::now();
    let err = parse_signatures(&out).expect_err("refused");
    assert!(err.contains("compressed"), "{err}");
    assert!(start.elapsed() < Duration::from_millis(500));
}

fn armor(bytes: &[u8]) -> Vec<u8> {
    let mut w = openpgp::armor::Writer::new(Vec::new(), openpgp::armor::Kind::Signature)
        .expect("armor writer");
    w.write_all(bytes).expect("armor");
    w.finalize().expect("armor")
}

// ---------------------------------------------------------------------------------------------
// End to end through the binary.
// ---------------------------------------------------------------------------------------------

fn e2e_dir() -> &'static TestDir {
    static D: OnceLock<TestDir> = OnceLock::new();
    D.get_or_init(|| {
        let d = TestDir::new("props-e2e");
        d.write("prop.asc", pgp::armored_public(&material().cert));
        d.write("data.bin", &material().data);
        d
    })
}

proptest! {
    #![proptest_config(config(24))]

    #[test]
    fn binary_rejects_garbage_signatures_with_exit_1(sig in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        packetish(),
        (0u8..5, prop::collection::vec(any::<u8>(), 0..100)).prop_map(|(a, b)| compressed_packet(a, &b)),
    ]) {
        let d = e2e_dir();
        let name = format!("garbage-{}.sig", sigwatch::base::digest::hex(&sig[..sig.len().min(12)]));
        d.write(&name, &sig);
        let fpr = pgp::fingerprint(&material().cert);
        let start = Instant::now();
        let out = d
            .cmd(["verify", "data.bin", "--signature", &name, "--keyring", "prop.asc", "--fingerprint", &fpr])
            .run();
        prop_assert!(start.elapsed() < Duration::from_secs(10));
        out.assert_code(1);
    }

    #[test]
    fn binary_exits_2_on_bad_watch_files_and_never_panics(text in prop_oneof![tomlish(), near_valid_watch()]) {
        let d = e2e_dir();
        let name = format!("w-{}.toml", sigwatch::base::digest::hex(&sha2_8(text.as_bytes())));
        let path = d.write(&name, &text);
        let valid = Watch::parse(&text, &path).is_ok();
        let start = Instant::now();
        let out = d
            .cmd(["check", &name, "--retries", "0", "--timeout", "2"])
            // Nothing may leave the machine: the default index and any proxy are loopback.
            .env("PIP_INDEX_URL", "http://127.0.0.1:1/simple/")
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env("HTTPS_PROXY", "http://127.0.0.1:1")
            .env("HTTP_PROXY", "http://127.0.0.1:1")
            .env("ALL_PROXY", "http://127.0.0.1:1")
            .env("SIGWATCH_CACHE_DIR", d.join(".cache"))
            .run();
        prop_assert!(start.elapsed() < Duration::from_secs(15));
        out.assert_no_panic();
        if valid {
            // Valid files go on to the (closed) loopback port: network (3), or config (2).
            out.check(matches!(out.code(), 2 | 3), "a valid watch file exits 2 or 3");
        } else {
            out.assert_code(2);
        }
    }
}

fn sha2_8(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)[..8].to_vec()
}

// ---------------------------------------------------------------------------------------------
// The regression corpus.
// ---------------------------------------------------------------------------------------------

/// Every file in tests/regressions/ (except proptest's seed file) goes through every parser of
/// outside bytes; none may panic or take long.
#[test]
fn regression_corpus_replays_through_every_parser() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the regression corpus {} is missing: {e}", dir.display()));
    let mut n = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path
            .extension()
            .is_some_and(|e| e == "proptest-regressions" || e == "md")
        {
            continue;
        }
        let bytes = std::fs::read(&path).expect("read corpus file");
        let text = String::from_utf8_lossy(&bytes);
        let start = Instant::now();
        let _ = Watch::parse(&text, &watch_dir().join("w.toml"));
        let _ = pypi::parse_json(&bytes, &base());
        let _ = pypi::parse_html(&bytes, &base());
        if let Ok(re) = anchored(r"foo-(?P<version>[0-9][0-9a-z.]*)\.tar\.gz") {
            let _ = group(listing_files(&bytes, &base(), &re));
        }
        let _ = pypi::parse_filename(&text, "foo");
        let _ = pypi::normalize(&text);
        let _ = natural_cmp(&text, "1.0");
        let _ = compare_strs(&text, "1.0");
        let _ = safe_filename(&text);
        let _ = anchored(&text);
        let _ = parse_signatures(&bytes);
        let _ = Keyring::from_bytes(&bytes, &path);
        let verdict = checker()
            .verify(material().data.as_slice(), &bytes)
            .expect("memory");
        assert!(!verdict.is_verified(), "{} verified", path.display());
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{} took {:?}",
            path.display(),
            start.elapsed()
        );
        n += 1;
    }
    assert!(n > 0, "the regression corpus {} is empty", dir.display());
    println!("replayed {n} corpus files");
}
