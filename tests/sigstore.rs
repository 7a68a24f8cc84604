//! Sigstore bundles and PEP 740 attestations against a private test instance (tests/fulcio).

mod fulcio;

use fulcio::{Content, Instance, PUBLISH, San, Signing, T0};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sigwatch::verify::sigstore::{
    Artifact, Checker, IdentityPin, Kind, Outcome, Reason, Step, TrustRoot, Verdict,
};

const WORKFLOW: &str = "https://github.com/owner/repo/.github/workflows/release.yml";
const SAN: &str = "https://github.com/owner/repo/.github/workflows/release.yml@refs/tags/v1.0";
const GITHUB: &str = "https://token.actions.githubusercontent.com";
const FILE: &str = "demo-1.0.tar.gz";
const BYTES: &[u8] = b"the release tarball";

fn artifact() -> Artifact {
    Artifact::from_reader(FILE, BYTES).expect("reading a slice")
}

fn root(i: &Instance) -> TrustRoot {
    TrustRoot::from_json(&i.trusted_root(), "test root").expect("test root loads")
}

fn pin() -> Vec<IdentityPin> {
    vec![IdentityPin::from_publisher("github:owner/repo/release.yml").expect("spec")]
}

fn judge(i: &Instance, proof: &Value, pins: &[IdentityPin]) -> Verdict {
    let root = root(i);
    Checker::new(&root, pins).verify(proof.to_string().as_bytes(), &artifact(), Some("1.0"))
}

fn publish_bundle(i: &Instance, s: &Signing) -> Value {
    let digest: [u8; 32] = Sha256::digest(BYTES).into();
    i.sign(s, Content::Dsse(&fulcio::statement(FILE, &digest, PUBLISH)))
}

fn message_bundle(i: &Instance, s: &Signing) -> Value {
    i.sign(s, Content::Message(Sha256::digest(BYTES).into()))
}

fn assert_verified(v: &Verdict) {
    assert!(v.is_verified(), "expected verified, got: {}", v.summary());
    let s = v.signer().expect("signer");
    assert_eq!(s.identity, SAN);
    assert_eq!(s.issuer, GITHUB);
    assert_eq!(s.log_index, Some(1));
    assert_eq!(
        s.integrated_time,
        Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(T0 + 60))
    );
}

fn rejected_at(v: &Verdict, want: Step) -> String {
    match &v.outcome {
        Outcome::Rejected(Reason::Invalid { step, detail }) => {
            assert_eq!(*step, want, "{detail}");
            v.summary()
        }
        other => panic!("expected a {want} failure, got {other:?}: {}", v.summary()),
    }
}

#[test]
fn good_message_bundle_verifies_with_its_publisher_pin() {
    let i = Instance::new(1);
    let v = judge(&i, &message_bundle(&i, &Signing::github(SAN)), &pin());
    assert_verified(&v);
    assert_eq!(v.kind, Some(Kind::Bundle("0.3".into())));
    assert!(v.summary().contains("log index 1"), "{}", v.summary());
}

#[test]
fn bundle_versions_0_1_0_2_and_0_3_all_verify() {
    let i = Instance::new(1);
    let b = message_bundle(&i, &Signing::github(SAN));
    for version in ["0.1", "0.2"] {
        let old = fulcio::as_old_bundle(&b, version);
        let v = judge(&i, &old, &pin());
        assert_verified(&v);
        assert_eq!(v.kind, Some(Kind::Bundle(version.into())));
    }
    let dsse = publish_bundle(&i, &Signing::github(SAN));
    assert_verified(&judge(&i, &dsse, &pin()));
}

#[test]
fn exact_identity_and_issuer_pin_verifies_and_version_is_substituted() {
    let i = Instance::new(1);
    let pins = [IdentityPin::exact(
        format!("{WORKFLOW}@refs/tags/v{{version}}"),
        GITHUB,
    )];
    assert_verified(&judge(
        &i,
        &message_bundle(&i, &Signing::github(SAN)),
        &pins,
    ));
}

#[test]
fn unpinned_identity_is_rejected_and_the_certificate_identity_named() {
    let i = Instance::new(1);
    let b = message_bundle(&i, &Signing::github(SAN));
    let pins = [IdentityPin::from_publisher("github:owner/other/release.yml").expect("spec")];
    let v = judge(&i, &b, &pins);
    match &v.outcome {
        Outcome::Rejected(Reason::Unpinned { identity, issuer }) => {
            assert_eq!(identity, SAN);
            assert_eq!(issuer, GITHUB);
        }
        other => panic!("expected unpinned, got {other:?}"),
    }
    let line = v.summary();
    for part in [
        SAN,
        GITHUB,
        "log index 1",
        "owner/other",
        "2025-06-15T15:07:40Z",
    ] {
        assert!(line.contains(part), "{part} missing from: {line}");
    }
    assert!(v.hint().expect("hint").contains(SAN));
}

#[test]
fn wrong_issuer_is_rejected_even_with_the_right_identity() {
    let i = Instance::new(1);
    let b = message_bundle(&i, &Signing::github(SAN));
    let pins = [IdentityPin::exact(SAN, "https://gitlab.com")];
    let v = judge(&i, &b, &pins);
    assert!(
        matches!(v.outcome, Outcome::Rejected(Reason::Unpinned { .. })),
        "{}",
        v.summary()
    );
}

#[test]
fn prefix_of_the_identity_is_not_a_match() {
    let i = Instance::new(1);
    let b = message_bundle(&i, &Signing::github(SAN));
    for prefix in [
        WORKFLOW,
        "https://github.com/owner/repo",
        "https://github.com/owner/",
    ] {
        let v = judge(&i, &b, &[IdentityPin::exact(prefix, GITHUB)]);
        assert!(!v.is_verified(), "prefix {prefix} admitted");
    }
    // A longer workflow name sharing the pinned one as prefix.
    let evil = SAN.replace("release.yml@", "release.yml-evil@");
    let v = judge(&i, &message_bundle(&i, &Signing::github(&evil)), &pin());
    assert!(
        matches!(v.outcome, Outcome::Rejected(Reason::Unpinned { .. })),
        "{}",
        v.summary()
    );
}

#[test]
fn email_identity_from_google_verifies_with_google_spec_only() {
    let i = Instance::new(1);
    let mut s = Signing::github(SAN);
    s.san = San::Email("ci@demo.iam.gserviceaccount.com".into());
    s.issuer = "https://accounts.google.com".into();
    let b = message_bundle(&i, &s);
    let google =
        [IdentityPin::from_publisher("google:ci@demo.iam.gserviceaccount.com").expect("spec")];
    assert!(judge(&i, &b, &google).is_verified());
    let other =
        [IdentityPin::from_publisher("google:cd@demo.iam.gserviceaccount.com").expect("spec")];
    assert!(!judge(&i, &b, &other).is_verified());
}

#[test]
fn tampered_file_is_rejected_for_message_and_attestation() {
    let i = Instance::new(1);
    let root = root(&i);
    let pins = pin();
    let checker = Checker::new(&root, &pins);
    let tampered = Artifact::from_reader(FILE, &b"the release tarbalL"[..]).expect("slice");
    for proof in [
        message_bundle(&i, &Signing::github(SAN)),
        fulcio::as_attestation(&publish_bundle(&i, &Signing::github(SAN))),
    ] {
        let v = checker.verify(proof.to_string().as_bytes(), &tampered, None);
        assert!(
            matches!(v.outcome, Outcome::Rejected(Reason::WrongFile { .. })),
            "{}",
            v.summary()
        );
    }
}

#[test]
fn another_files_attestation_is_rejected_and_its_subject_named() {
    let i = Instance::new(1);
    let digest: [u8; 32] = Sha256::digest(BYTES).into();
    // Same bytes, other name: the statement is about another file.
    let other = i.sign(
        &Signing::github(SAN),
        Content::Dsse(&fulcio::statement(
            "demo-1.0-py3-none-any.whl",
            &digest,
            PUBLISH,
        )),
    );
    let v = judge(&i, &fulcio::as_attestation(&other), &pin());
    match &v.outcome {
        Outcome::Rejected(Reason::WrongFile { signed }) => {
            assert!(
                signed[0].starts_with("demo-1.0-py3-none-any.whl sha256:"),
                "{signed:?}"
            )
        }
        o => panic!("expected wrong file, got {o:?}"),
    }
    // Other bytes, same name.
    let other = i.sign(
        &Signing::github(SAN),
        Content::Dsse(&fulcio::statement(FILE, &[9u8; 32], PUBLISH)),
    );
    let v = judge(&i, &fulcio::as_attestation(&other), &pin());
    assert!(
        matches!(v.outcome, Outcome::Rejected(Reason::WrongFile { .. })),
        "{}",
        v.summary()
    );
}

#[test]
fn attestation_with_another_predicate_type_is_rejected() {
    let i = Instance::new(1);
    let digest: [u8; 32] = Sha256::digest(BYTES).into();
    let slsa = i.sign(
        &Signing::github(SAN),
        Content::Dsse(&fulcio::statement(
            FILE,
            &digest,
            "https://slsa.dev/provenance/v1",
        )),
    );
    let v = judge(&i, &fulcio::as_attestation(&slsa), &pin());
    assert!(
        matches!(&v.outcome, Outcome::Rejected(Reason::WrongPredicate { found }) if found.contains("slsa")),
        "{}",
        v.summary()
    );
}

#[test]
fn attestation_and_provenance_objects_verify() {
    let i = Instance::new(1);
    let att = fulcio::as_attestation(&publish_bundle(&i, &Signing::github(SAN)));
    let v = judge(&i, &att, &pin());
    assert_verified(&v);
    assert_eq!(v.kind, Some(Kind::Attestation));
    let prov = fulcio::as_provenance(&[att]);
    let v = judge(&i, &prov, &pin());
    assert_verified(&v);
    assert_eq!(
        v.kind,
        Some(Kind::Provenance(vec![
            "github:owner/repo/release.yml".into()
        ]))
    );
}

#[test]
fn provenance_with_one_bad_attestation_is_rejected() {
    let i = Instance::new(1);
    let good = fulcio::as_attestation(&publish_bundle(&i, &Signing::github(SAN)));
    let mut bad = good.clone();
    bad["envelope"]["signature"] = good["envelope"]["signature"]
        .as_str()
        .map(|s| Value::from(s.replacen('A', "B", 1)))
        .expect("string");
    let v = judge(&i, &fulcio::as_provenance(&[good, bad]), &pin());
    assert!(!v.is_verified(), "{}", v.summary());
}

#[test]
fn certificate_expired_at_integrated_time_is_rejected() {
    let i = Instance::new(1);
    let mut s = Signing::github(SAN);
    s.integrated_time = s.not_after + 1;
    let v = judge(&i, &message_bundle(&i, &s), &pin());
    let line = rejected_at(&v, Step::Certificate);
    assert!(line.contains("Expired"), "{line}");
}

#[test]
fn bad_signed_entry_timestamp_is_rejected() {
    let i = Instance::new(1);
    let mut s = Signing::github(SAN);
    s.bad_set = true;
    let v = judge(&i, &message_bundle(&i, &s), &pin());
    rejected_at(&v, Step::TransparencyLog);
}

#[test]
fn missing_inclusion_proof_is_rejected() {
    let i = Instance::new(1);
    let mut s = Signing::github(SAN);
    s.proof = false;
    let v = judge(&i, &message_bundle(&i, &s), &pin());
    assert!(!v.is_verified(), "{}", v.summary());
}

#[test]
fn log_entry_under_another_log_key_is_rejected() {
    let i = Instance::new(1);
    let mut s = Signing::github(SAN);
    s.rekor_from = Some(40);
    let v = judge(&i, &message_bundle(&i, &s), &pin());
    assert!(!v.is_verified(), "{}", v.summary());
}

#[test]
fn altered_integrated_time_is_rejected() {
    let i = Instance::new(1);
    let mut b = message_bundle(&i, &Signing::github(SAN));
    b["verificationMaterial"]["tlogEntries"][0]["integratedTime"] =
        Value::from((T0 + 61).to_string());
    let v = judge(&i, &b, &pin());
    rejected_at(&v, Step::TransparencyLog);
}

#[test]
fn bundle_from_another_instance_fails_under_this_root() {
    // Like a staging bundle checked against the production root.
    let staging = Instance::new(20);
    let production = Instance::new(1);
    let b = message_bundle(&staging, &Signing::github(SAN));
    let v = judge(&production, &b, &pin());
    assert!(
        matches!(
            &v.outcome,
            Outcome::Rejected(Reason::Invalid {
                step: Step::Certificate | Step::TransparencyLog,
                ..
            })
        ),
        "{}",
        v.summary()
    );
    assert!(v.hint().expect("hint").contains("--trusted-root"));
    // And with its own root it verifies.
    assert_verified(&judge(&staging, &b, &pin()));
}

#[test]
fn real_bundle_from_test_instance_fails_under_the_embedded_production_root() {
    let i = Instance::new(1);
    let b = message_bundle(&i, &Signing::github(SAN));
    let prod = TrustRoot::production();
    let pins = pin();
    let v = Checker::new(&prod, &pins).verify(b.to_string().as_bytes(), &artifact(), None);
    assert!(!v.is_verified(), "{}", v.summary());
}

#[test]
fn garbage_is_not_a_proof() {
    let i = Instance::new(1);
    let root = root(&i);
    let pins = pin();
    for bytes in [&b""[..], b"-----BEGIN PGP SIGNATURE-----", b"{}", b"[1]"] {
        let v = Checker::new(&root, &pins).verify(bytes, &artifact(), None);
        assert!(
            matches!(v.outcome, Outcome::Rejected(Reason::NotAProof(_))),
            "{bytes:?}"
        );
    }
}

#[test]
fn signature_swapped_between_bundles_is_rejected() {
    let i = Instance::new(1);
    let a = publish_bundle(&i, &Signing::github(SAN));
    let digest: [u8; 32] = Sha256::digest(b"another file").into();
    let b = i.sign(
        &Signing::github(SAN),
        Content::Dsse(&fulcio::statement(FILE, &digest, PUBLISH)),
    );
    let mut mixed = a.clone();
    mixed["dsseEnvelope"] = b["dsseEnvelope"].clone();
    let v = judge(&i, &mixed, &pin());
    assert!(!v.is_verified(), "{}", v.summary());
}
