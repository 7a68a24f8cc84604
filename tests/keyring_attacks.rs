//! Keyrings built to fool a verifier: a pinned key bound into a second certificate, and the
//! GnuPG minimal export whose only self-signature postdates a subkey's signature.
//! Generated at test time with Sequoia; they exercise `Checker` directly.

use std::io::Write as _;
use std::time::{Duration, SystemTime};

use openpgp::cert::prelude::*;
use openpgp::packet::prelude::*;
use openpgp::packet::signature::SignatureBuilder;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::SerializeInto;
use openpgp::serialize::stream::{Message, Signer};
use openpgp::types::{KeyFlags, ReasonForRevocation, SignatureType};
use openpgp::{Cert, Packet};
use sequoia_openpgp as openpgp;

use sigwatch::verify::{Checker, Keyring, parse_pin};

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}
const Y2020: u64 = 1577836800; // 2020-01-01
const DAY: u64 = 86400;

fn mkcert(uid: &str, created: SystemTime) -> Cert {
    CertBuilder::new()
        .set_cipher_suite(CipherSuite::Cv25519)
        .set_creation_time(created)
        .set_validity_period(None)
        .add_userid(uid)
        .add_signing_subkey()
        .generate()
        .unwrap()
        .0
}

fn sign_by_subkey(cert: &Cert, data: &[u8], at: SystemTime) -> Vec<u8> {
    let kp = cert
        .keys()
        .subkeys()
        .secret()
        .next()
        .unwrap()
        .key()
        .clone()
        .into_keypair()
        .unwrap();
    let mut out = Vec::new();
    {
        let m = Message::new(&mut out);
        let mut s = Signer::with_template(m, kp, SignatureBuilder::new(SignatureType::Binary))
            .unwrap()
            .creation_time(at)
            .detached()
            .build()
            .unwrap();
        s.write_all(data).unwrap();
        s.finalize().unwrap();
    }
    out
}

fn keyring(certs: &[&Cert]) -> Keyring {
    let mut bytes = Vec::new();
    for c in certs {
        let c: Cert = (*c).clone();
        bytes.extend(c.strip_secret_key_material().armored().to_vec().unwrap());
    }
    Keyring::from_bytes(&bytes, std::path::Path::new("test.asc")).unwrap()
}

/// Certificate M (Mallory) binding `s`, a signing key of another certificate, with a valid
/// backsig: what the holder of a stolen key can make.
fn impostor_binding(s: &Key<key::SecretParts, key::UnspecifiedRole>) -> Cert {
    let m = CertBuilder::new()
        .set_cipher_suite(CipherSuite::Cv25519)
        .set_creation_time(t(Y2020))
        .add_userid("Mallory")
        .generate()
        .unwrap()
        .0;
    let mut mp = m
        .primary_key()
        .key()
        .clone()
        .parts_into_secret()
        .unwrap()
        .into_keypair()
        .unwrap();
    let mut s_kp = s.clone().into_keypair().unwrap();
    let s_pub: Key<key::PublicParts, key::SubordinateRole> =
        s.clone().take_secret().0.role_into_subordinate();
    let backsig = SignatureBuilder::new(SignatureType::PrimaryKeyBinding)
        .set_signature_creation_time(t(Y2020 + DAY))
        .unwrap()
        .sign_primary_key_binding(&mut s_kp, m.primary_key().key(), &s_pub)
        .unwrap();
    let bind = SignatureBuilder::new(SignatureType::SubkeyBinding)
        .set_signature_creation_time(t(Y2020 + DAY))
        .unwrap()
        .set_key_flags(KeyFlags::empty().set_signing())
        .unwrap()
        .set_embedded_signature(backsig)
        .unwrap()
        .sign_subkey_binding(&mut mp, None, &s_pub)
        .unwrap();
    m.insert_packets(vec![Packet::from(s_pub), bind.into()])
        .unwrap()
        .0
}

#[test]
fn pinned_subkey_bound_into_a_second_certificate_is_refused_as_configuration() {
    let a = mkcert("Alice <a@example.org>", t(Y2020));
    let s = a
        .keys()
        .subkeys()
        .secret()
        .next()
        .unwrap()
        .key()
        .clone()
        .role_into_unspecified();
    let m = impostor_binding(&s);
    for certs in [[&a, &m], [&m, &a]] {
        let kr = keyring(&certs);
        let pins = vec![parse_pin(&s.fingerprint().to_hex()).unwrap()];
        let err = Checker::new(&kr, &pins, 1)
            .err()
            .expect("a keyring binding the pin twice is refused");
        assert!(
            err.message.contains("bound to 2 certificates"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains(&a.fingerprint().to_hex())
                && err.message.contains(&m.fingerprint().to_hex())
        );
    }
}

#[test]
fn hard_revoked_pinned_subkey_cannot_be_revived_by_an_impostor_certificate() {
    let a = mkcert("Alice <a@example.org>", t(Y2020));
    let data = b"evil release\n";
    let sig = sign_by_subkey(&a, data, t(Y2020 + 400 * DAY));
    let s = a
        .keys()
        .subkeys()
        .secret()
        .next()
        .unwrap()
        .key()
        .clone()
        .role_into_unspecified();
    let mut ap = a
        .primary_key()
        .key()
        .clone()
        .parts_into_secret()
        .unwrap()
        .into_keypair()
        .unwrap();
    let sub = a.keys().subkeys().next().unwrap();
    let rev = SubkeyRevocationBuilder::new()
        .set_signature_creation_time(t(Y2020 + 300 * DAY))
        .unwrap()
        .set_reason_for_revocation(ReasonForRevocation::KeyCompromised, b"stolen")
        .unwrap()
        .build(&mut ap, &a, sub.key(), None)
        .unwrap();
    let a_rev = a.clone().insert_packets(rev).unwrap().0;
    let pins = vec![parse_pin(&s.fingerprint().to_hex()).unwrap()];
    // Alone, the revoked key is rejected as revoked.
    let kr = keyring(&[&a_rev]);
    let v = Checker::new(&kr, &pins, 1)
        .unwrap()
        .verify(&data[..], &sig)
        .unwrap();
    assert!(!v.is_verified());
    assert_eq!(v.signatures[0].status, sigwatch::verify::Status::Revoked);
    // With the impostor certificate beside it, sigwatch refuses the keyring instead of
    // letting the impostor's clean record vouch for the key.
    let m = impostor_binding(&s);
    let kr = keyring(&[&a_rev, &m]);
    assert!(Checker::new(&kr, &pins, 1).is_err());
}

#[test]
fn primary_key_bound_as_a_subkey_elsewhere_is_refused_too() {
    let a = mkcert("Alice <a@example.org>", t(Y2020));
    let p = a
        .primary_key()
        .key()
        .clone()
        .parts_into_secret()
        .unwrap()
        .role_into_unspecified();
    let m = impostor_binding(&p);
    let kr = keyring(&[&a, &m]);
    let pins = vec![parse_pin(&a.fingerprint().to_hex()).unwrap()];
    assert!(Checker::new(&kr, &pins, 1).is_err());
}

#[test]
fn minimal_export_verifies_a_subkey_signature_made_before_the_only_self_signature() {
    let p = StandardPolicy::new();
    let cert = mkcert("Alice <a@example.org>", t(Y2020));
    let data = b"release bytes\n";
    let sig = sign_by_subkey(&cert, data, t(Y2020 + 150 * DAY));
    // An expiry change of the primary on 2020-12-01; the minimal export keeps only that
    // user-ID binding, which postdates the subkey's signature.
    let mut primary = cert
        .primary_key()
        .key()
        .clone()
        .parts_into_secret()
        .unwrap()
        .into_keypair()
        .unwrap();
    let uid = cert.userids().next().unwrap();
    let old = uid.binding_signature(&p, None).unwrap().clone();
    let newsig = SignatureBuilder::from(old)
        .set_signature_creation_time(t(Y2020 + 335 * DAY))
        .unwrap()
        .set_key_validity_period(Some(Duration::from_secs(10 * 365 * DAY)))
        .unwrap()
        .sign_userid_binding(&mut primary, None, uid.userid())
        .unwrap();
    let sub = cert.keys().subkeys().next().unwrap();
    let subbind = sub.self_signatures().next().unwrap().clone();
    let pkts: Vec<Packet> = vec![
        cert.primary_key().key().clone().take_secret().0.into(),
        uid.userid().clone().into(),
        newsig.into(),
        sub.key().clone().take_secret().0.into(),
        subbind.into(),
    ];
    let minimal = Cert::from_packets(pkts.into_iter()).unwrap();
    let kr = keyring(&[&minimal]);
    let pins = vec![parse_pin(&cert.fingerprint().to_hex()).unwrap()];
    let v = Checker::new(&kr, &pins, 1)
        .unwrap()
        .verify(&data[..], &sig)
        .unwrap();
    assert!(
        v.is_verified(),
        "{:?}: {}",
        v.signatures[0].status,
        v.signatures[0].reason
    );
    assert!(
        v.warnings.iter().any(|w| w.contains("minimal export")),
        "{:?}",
        v.warnings
    );
}
