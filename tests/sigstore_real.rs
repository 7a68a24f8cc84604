//! Real PEP 740 material under the embedded production trust root (not run by default).
//!
//! The `pypi-attestations` sdist ships real attestations and provenance of real releases in
//! `test/assets/`. Fetch it and point this test at that directory:
//!
//! ```text
//! pip download --no-deps --no-binary :all: pypi-attestations && tar xzf pypi_attestations-*.tar.gz
//! SIGWATCH_REAL_ASSETS=$PWD/pypi_attestations-0.0.31/test/assets \
//!     cargo test --test sigstore_real -- --ignored --nocapture
//! ```
//!
//! Each proof must verify with its own publisher's pin, and fail with every other pin, with
//! tampered bytes and against another file; the staging ones (rfc8785) must fail under the
//! production root and verify under staging's. It prints the table of results.
//! A second test runs `sigwatch fetch` over a loopback index serving the real provenance.

mod util;

use std::path::PathBuf;

use sigwatch::verify::sigstore::{Artifact, Checker, IdentityPin, Outcome, Reason, TrustRoot};

struct Case {
    file: &'static str,
    proof: &'static str,
    pin: fn() -> IdentityPin,
}

fn github() -> IdentityPin {
    IdentityPin::from_publisher("github:trailofbits/pypi-attestations/release.yml").expect("spec")
}
fn github_models() -> IdentityPin {
    IdentityPin::from_publisher("github:trailofbits/pypi-attestation-models/release.yml")
        .expect("spec")
}
fn gitlab() -> IdentityPin {
    IdentityPin::from_publisher("gitlab:facutuesca/gitlab-oidc-project/.gitlab-ci.yml")
        .expect("spec")
}
fn google() -> IdentityPin {
    IdentityPin::from_publisher("google:919436158236-compute@developer.gserviceaccount.com")
        .expect("spec")
}
fn circleci() -> IdentityPin {
    IdentityPin::from_publisher(
        "circleci:fdd9283f-e619-46af-8f9c-851f7d3e8b2b/8e4f8ab2-8d7c-4827-9f15-de076d6d647f",
    )
    .expect("spec")
}
fn email() -> IdentityPin {
    IdentityPin::exact("william@yossarian.net", "https://github.com/login/oauth")
}

const CASES: &[Case] = &[
    Case {
        file: "pypi_attestations-0.0.19.tar.gz",
        proof: ".publish.attestation",
        pin: github,
    },
    Case {
        file: "pypi_attestations-0.0.19.tar.gz",
        proof: ".provenance",
        pin: github,
    },
    Case {
        file: "pypi_attestation_models-0.0.4a2.tar.gz",
        proof: ".attestation",
        pin: github_models,
    },
    Case {
        file: "gitlab_oidc_project-0.0.3.tar.gz",
        proof: ".publish.attestation",
        pin: gitlab,
    },
    Case {
        file: "gcb_attestation_test-0.0.0.tar.gz",
        proof: ".provenance",
        pin: google,
    },
    Case {
        file: "circleci_sign_publish_example-0.0.1.dev137-py3-none-any.whl",
        proof: ".publish.attestation",
        pin: circleci,
    },
    Case {
        file: "circleci_sign_publish_example-0.0.1.dev137-py3-none-any.whl",
        proof: ".provenance",
        pin: circleci,
    },
    Case {
        file: "pypi_attestation_models-0.0.4a2.tar.gz",
        proof: ".sigstore",
        pin: github_models,
    },
];

fn label(o: &Outcome) -> String {
    match o {
        Outcome::Verified(_) => "verified".into(),
        Outcome::Rejected(Reason::Unpinned { .. }) => "unpinned".into(),
        Outcome::Rejected(Reason::WrongFile { .. }) => "wrong file".into(),
        Outcome::Rejected(Reason::WrongPredicate { .. }) => "wrong predicate".into(),
        Outcome::Rejected(Reason::Invalid { step, .. }) => format!("{step} invalid"),
        Outcome::Rejected(Reason::NotAProof(_)) => "not a proof".into(),
    }
}

#[test]
#[ignore = "needs SIGWATCH_REAL_ASSETS (see the module documentation)"]
fn real_attestations_verify_with_their_pin_only() {
    let dir = PathBuf::from(std::env::var("SIGWATCH_REAL_ASSETS").expect("SIGWATCH_REAL_ASSETS"));
    let root = TrustRoot::production();
    let pins: Vec<fn() -> IdentityPin> =
        vec![github, github_models, gitlab, google, circleci, email];
    let mut failures = Vec::new();
    println!("| file | proof | own pin | other pins | tampered | other file | time |");
    println!("|---|---|---|---|---|---|---|");
    for (n, case) in CASES.iter().enumerate() {
        let bytes = std::fs::read(dir.join(case.file)).expect("dist file");
        let proof = std::fs::read(dir.join(format!("{}{}", case.file, case.proof))).expect("proof");
        let file = Artifact::from_reader(case.file, &bytes[..]).expect("hash");
        let own = [(case.pin)()];
        let start = std::time::Instant::now();
        let v = Checker::new(&root, &own).verify(&proof, &file, None);
        let took = start.elapsed();
        if !v.is_verified() {
            failures.push(format!("{}{}: {}", case.file, case.proof, v.summary()));
        }
        let mut others = Vec::new();
        for p in &pins {
            let pin = [p()];
            if pin[0] == own[0] {
                continue;
            }
            let o = Checker::new(&root, &pin).verify(&proof, &file, None);
            if o.is_verified() {
                failures.push(format!(
                    "{}{} verified with {}",
                    case.file, case.proof, pin[0]
                ));
            }
            others.push(label(&o.outcome));
        }
        others.dedup();
        let mut tampered = bytes.clone();
        tampered[bytes.len() / 2] ^= 1;
        let t = Artifact::from_reader(case.file, &tampered[..]).expect("hash");
        let tv = Checker::new(&root, &own).verify(&proof, &t, None);
        let other_case = (1..CASES.len())
            .map(|k| &CASES[(n + k) % CASES.len()])
            .find(|c| c.file != case.file)
            .expect("several files");
        let other_bytes = std::fs::read(dir.join(other_case.file)).expect("dist file");
        let of = Artifact::from_reader(other_case.file, &other_bytes[..]).expect("hash");
        let ov = Checker::new(&root, &own).verify(&proof, &of, None);
        for (what, v) in [("tampered", &tv), ("other file", &ov)] {
            if v.is_verified() {
                failures.push(format!("{}{} verified {what}", case.file, case.proof));
            }
        }
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.1} ms |",
            case.file,
            case.proof,
            label(&v.outcome),
            others.join(", "),
            label(&tv.outcome),
            label(&ov.outcome),
            took.as_secs_f64() * 1000.0
        );
    }
    let slsa =
        std::fs::read(dir.join("pypi_attestations-0.0.19.tar.gz.slsa.attestation")).expect("slsa");
    let bytes = std::fs::read(dir.join("pypi_attestations-0.0.19.tar.gz")).expect("dist");
    let file = Artifact::from_reader("pypi_attestations-0.0.19.tar.gz", &bytes[..]).expect("hash");
    let v = Checker::new(&root, &[github()]).verify(&slsa, &file, None);
    println!(
        "slsa attestation as PEP 740 publish proof: {}",
        label(&v.outcome)
    );
    if v.is_verified() {
        failures.push("slsa attestation verified as publish attestation".into());
    }
    // Staging signatures: refused under the production root, accepted under staging's.
    let staging = TrustRoot::from_json(
        sigstore_verify::trust_root::SIGSTORE_STAGING_TRUSTED_ROOT,
        "staging",
    )
    .expect("staging root");
    let whl = "rfc8785-0.1.2-py3-none-any.whl";
    let bytes = std::fs::read(dir.join(whl)).expect("dist");
    let file = Artifact::from_reader(whl, &bytes[..]).expect("hash");
    for proof in [".publish.attestation", ".attestation", ".sigstore"] {
        let raw = std::fs::read(dir.join(format!("{whl}{proof}"))).expect("proof");
        let prod = Checker::new(&root, &[email()]).verify(&raw, &file, None);
        let stag = Checker::new(&staging, &[email()]).verify(&raw, &file, None);
        println!(
            "staging {whl}{proof}: production root: {}; staging root: {}",
            prod.summary(),
            label(&stag.outcome)
        );
        if prod.is_verified() || !stag.is_verified() {
            failures.push(format!(
                "staging {whl}{proof}: {} / {}",
                prod.summary(),
                stag.summary()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// `sigwatch fetch` end to end on real provenance: a loopback index (PEP 503 HTML with
/// `data-provenance`) serves the real files and their real provenance objects; the watch
/// files pin the real publishers under the embedded production root. The right pin places
/// file and provenance; another publisher's pin places nothing.
#[test]
#[ignore = "needs SIGWATCH_REAL_ASSETS (see the module documentation)"]
fn real_provenance_fetched_from_a_loopback_index_places_file_and_proof() {
    let assets =
        PathBuf::from(std::env::var("SIGWATCH_REAL_ASSETS").expect("SIGWATCH_REAL_ASSETS"));
    let server = util::server::Server::start();
    let dir = util::TestDir::new("sigstore-real-fetch");
    let projects = [
        (
            "pypi-attestations",
            "pypi_attestations-0.0.19.tar.gz",
            "github:trailofbits/pypi-attestations/release.yml",
        ),
        (
            "gcb-attestation-test",
            "gcb_attestation_test-0.0.0.tar.gz",
            "google:919436158236-compute@developer.gserviceaccount.com",
        ),
        (
            "circleci-sign-publish-example",
            "circleci_sign_publish_example-0.0.1.dev137-py3-none-any.whl",
            "circleci:fdd9283f-e619-46af-8f9c-851f7d3e8b2b/8e4f8ab2-8d7c-4827-9f15-de076d6d647f",
        ),
    ];
    for (i, (project, file, publisher)) in projects.iter().enumerate() {
        let bytes = std::fs::read(assets.join(file)).expect("asset");
        let proof = std::fs::read(assets.join(format!("{file}.provenance"))).expect("provenance");
        server.file(&format!("/files/{file}"), bytes);
        server.file(&format!("/files/{file}.provenance"), proof);
        server.respond(
            &format!("/simple/{project}/"),
            util::server::Response::ok(format!(
                "<a href=\"../../files/{file}\" data-provenance=\"../../files/{file}.provenance\">{file}</a>"
            ))
            .header("Content-Type", "text/html"),
        );
        let watch = |name: &str, publisher: &str| {
            dir.write(
                format!("{name}.toml"),
                format!(
                    "name = \"{project}\"\n[source]\npypi = \"{project}\"\nindex = \"{}\"\nfiles = \"any\"\nprereleases = true\n[sigstore]\npublishers = [\"{publisher}\"]\n",
                    server.url("/simple/")
                ),
            )
        };
        watch(&format!("good{i}"), publisher);
        let other = projects[(i + 1) % projects.len()].2;
        watch(&format!("other{i}"), other);
        let out = dir
            .cmd([
                "fetch",
                &format!("good{i}.toml"),
                "--dest",
                &format!("good{i}"),
            ])
            .run();
        out.assert_code(0);
        println!("{}", out.stdout().trim());
        let placed = util::world::names_in(&dir.join(format!("good{i}")));
        assert_eq!(placed, vec![file.to_string(), format!("{file}.provenance")]);
        let out = dir
            .cmd([
                "fetch",
                &format!("other{i}.toml"),
                "--dest",
                &format!("other{i}"),
            ])
            .run();
        out.assert_code(1);
        assert!(util::world::names_in(&dir.join(format!("other{i}"))).is_empty());
    }
}
