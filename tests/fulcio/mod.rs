//! A private Sigstore instance made at test time: a Fulcio-style CA, a CT log key and a Rekor
//! log key, all P-256 from fixed seeds, and the `trusted_root.json` naming them.
//!
//! It signs the way Fulcio and Rekor do: a leaf certificate with the Fulcio OIDC issuer
//! extensions, a SAN and an embedded SCT; a Rekor v1 entry (hashedrekord or dsse) with a
//! signed entry timestamp and an inclusion proof in a two-leaf tree under a signed
//! checkpoint. Every piece can be spoiled to test one failure at a time. Nothing here
//! comes from elsewhere; the material is regenerated on every run.

#![allow(dead_code)]

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use der::asn1::{BitString, Ia5String, OctetString, UtcTime, Utf8StringRef};
use der::oid::{AssociatedOid, ObjectIdentifier};
use der::{Decode, Encode};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::signature::hazmat::PrehashSigner as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::EncodePublicKey;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};

/// 2025-06-15T…: when the test signatures are made.
pub const T0: u64 = 1_750_000_000;

const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
const FULCIO_ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
const FULCIO_ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
const SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");

/// PyPI's publish predicate.
pub const PUBLISH: &str = "https://docs.pypi.org/attestations/publish/v1";

/// One Sigstore instance: its CA, CT log and Rekor keys.
pub struct Instance {
    name: String,
    ca_key: SigningKey,
    ca_name: Name,
    ca_der: Vec<u8>,
    ct_key: SigningKey,
    rekor_key: SigningKey,
}

/// The signer's identity as the certificate states it.
#[derive(Clone)]
pub enum San {
    Uri(String),
    Email(String),
}

/// What to sign and how; defaults make a good signature.
#[derive(Clone)]
pub struct Signing {
    pub san: San,
    pub issuer: String,
    /// Certificate validity, seconds since the epoch.
    pub not_before: u64,
    pub not_after: u64,
    pub integrated_time: u64,
    pub log_index: u64,
    /// Include the signed entry timestamp / the inclusion proof.
    pub set: bool,
    pub proof: bool,
    /// Flip a bit of the SET signature.
    pub bad_set: bool,
    /// Sign the Rekor material with this instance instead (a log the root does not name).
    pub rekor_from: Option<u8>,
}

impl Signing {
    /// A GitHub Actions workflow identity, valid from `T0` for ten minutes.
    pub fn github(san: &str) -> Self {
        Signing {
            san: San::Uri(san.to_string()),
            issuer: "https://token.actions.githubusercontent.com".into(),
            not_before: T0,
            not_after: T0 + 600,
            integrated_time: T0 + 60,
            log_index: 1,
            set: true,
            proof: true,
            bad_set: false,
            rekor_from: None,
        }
    }
}

/// What is signed.
pub enum Content<'a> {
    /// A plain message signature over a file with this SHA-256 (hashedrekord).
    Message([u8; 32]),
    /// A DSSE envelope over this in-toto statement (dsse).
    Dsse(&'a [u8]),
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).expect("a small constant is a valid P-256 scalar")
}

fn spki(key: &SigningKey) -> Vec<u8> {
    key.verifying_key()
        .to_public_key_der()
        .expect("P-256 key encodes")
        .as_bytes()
        .to_vec()
}

fn time(secs: u64) -> Time {
    Time::UtcTime(UtcTime::from_unix_duration(Duration::from_secs(secs)).expect("in range"))
}

fn ext(oid: ObjectIdentifier, critical: bool, value: Vec<u8>) -> Extension {
    Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value).expect("extension value"),
    }
}

fn sign_tbs(tbs: TbsCertificate, key: &SigningKey) -> Vec<u8> {
    let der = tbs.to_der().expect("TBS encodes");
    let sig: Signature = key.sign(&der);
    Certificate {
        tbs_certificate: tbs,
        signature_algorithm: AlgorithmIdentifierOwned {
            oid: ECDSA_SHA256,
            parameters: None,
        },
        signature: BitString::from_bytes(sig.to_der().as_bytes()).expect("bit string"),
    }
    .to_der()
    .expect("certificate encodes")
}

fn pem(der: &[u8]) -> String {
    let b = B64.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// DSSE pre-authentication encoding.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// An in-toto statement naming one file.
pub fn statement(name: &str, sha256: &[u8; 32], predicate_type: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{ "name": name, "digest": { "sha256": hex(sha256) } }],
        "predicateType": predicate_type,
        "predicate": {},
    }))
    .expect("JSON")
}

impl Instance {
    /// An instance whose keys derive from `seed` (different seeds, different instances).
    pub fn new(seed: u8) -> Self {
        let ca_key = key(seed);
        let name = format!("sigwatch-test-{seed}");
        let ca_name: Name = format!("CN={name} CA,O=sigwatch-test")
            .parse()
            .expect("name parses");
        let tbs = TbsCertificate {
            version: Version::V3,
            serial_number: SerialNumber::new(&[1]).expect("serial"),
            signature: AlgorithmIdentifierOwned {
                oid: ECDSA_SHA256,
                parameters: None,
            },
            issuer: ca_name.clone(),
            validity: Validity {
                not_before: time(1_577_836_800), // 2020
                not_after: time(2_208_988_800),  // 2040
            },
            subject: ca_name.clone(),
            subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(&spki(&ca_key))
                .expect("SPKI"),
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(vec![
                ext(
                    BasicConstraints::OID,
                    true,
                    BasicConstraints {
                        ca: true,
                        path_len_constraint: None,
                    }
                    .to_der()
                    .expect("DER"),
                ),
                ext(
                    KeyUsage::OID,
                    true,
                    KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)
                        .to_der()
                        .expect("DER"),
                ),
            ]),
        };
        let ca_der = sign_tbs(tbs, &ca_key);
        Instance {
            name,
            ca_key,
            ca_name,
            ca_der,
            ct_key: key(seed.wrapping_add(1)),
            rekor_key: key(seed.wrapping_add(2)),
        }
    }

    fn log_id(&self) -> [u8; 32] {
        sha256(&spki(&self.rekor_key))
    }

    /// `trusted_root.json` naming this instance's CA, CT log and Rekor log.
    pub fn trusted_root(&self) -> String {
        let key = |k: &SigningKey| {
            json!({
                "rawBytes": B64.encode(spki(k)),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": { "start": "2020-01-01T00:00:00Z" },
            })
        };
        serde_json::to_string_pretty(&json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [{
                "baseUrl": format!("https://rekor.{}.test", self.name),
                "hashAlgorithm": "SHA2_256",
                "publicKey": key(&self.rekor_key),
                "logId": { "keyId": B64.encode(self.log_id()) },
            }],
            "certificateAuthorities": [{
                "subject": { "organization": "sigwatch-test", "commonName": format!("{} CA", self.name) },
                "uri": format!("https://fulcio.{}.test", self.name),
                "certChain": { "certificates": [{ "rawBytes": B64.encode(&self.ca_der) }] },
                "validFor": { "start": "2020-01-01T00:00:00Z" },
            }],
            "ctlogs": [{
                "baseUrl": format!("https://ct.{}.test", self.name),
                "hashAlgorithm": "SHA2_256",
                "publicKey": key(&self.ct_key),
                "logId": { "keyId": B64.encode(sha256(&spki(&self.ct_key))) },
            }],
            "timestampAuthorities": [],
        }))
        .expect("JSON")
    }

    /// A Fulcio-style leaf certificate for `leaf_key`, with an SCT from this CT log.
    fn leaf(&self, s: &Signing, leaf_key: &SigningKey) -> Vec<u8> {
        let san = match &s.san {
            San::Uri(u) => GeneralName::UniformResourceIdentifier(Ia5String::new(u).expect("IA5")),
            San::Email(e) => GeneralName::Rfc822Name(Ia5String::new(e).expect("IA5")),
        };
        let mut extensions = vec![
            ext(
                KeyUsage::OID,
                true,
                KeyUsage(KeyUsages::DigitalSignature.into())
                    .to_der()
                    .expect("DER"),
            ),
            ext(
                ExtendedKeyUsage::OID,
                false,
                ExtendedKeyUsage(vec![CODE_SIGNING]).to_der().expect("DER"),
            ),
            ext(
                SubjectAltName::OID,
                true,
                SubjectAltName(vec![san]).to_der().expect("DER"),
            ),
            ext(FULCIO_ISSUER_V1, false, s.issuer.as_bytes().to_vec()),
            ext(
                FULCIO_ISSUER_V2,
                false,
                Utf8StringRef::new(&s.issuer)
                    .expect("UTF-8")
                    .to_der()
                    .expect("DER"),
            ),
        ];
        let mut tbs = TbsCertificate {
            version: Version::V3,
            serial_number: SerialNumber::new(&[0x42, s.log_index as u8]).expect("serial"),
            signature: AlgorithmIdentifierOwned {
                oid: ECDSA_SHA256,
                parameters: None,
            },
            issuer: self.ca_name.clone(),
            validity: Validity {
                not_before: time(s.not_before),
                not_after: time(s.not_after),
            },
            subject: Name::default(),
            subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(&spki(leaf_key))
                .expect("SPKI"),
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(extensions.clone()),
        };
        // RFC 6962 precertificate entry: the TBS without the SCT extension, and the
        // issuer's key hash.
        let precert = tbs.to_der().expect("TBS encodes");
        let timestamp_ms = s.not_before * 1000 + 1;
        let mut signed = vec![0u8, 0u8]; // v1, certificate_timestamp
        signed.extend_from_slice(&timestamp_ms.to_be_bytes());
        signed.extend_from_slice(&1u16.to_be_bytes()); // precert_entry
        signed.extend_from_slice(&sha256(&spki(&self.ca_key)));
        signed.extend_from_slice(&(precert.len() as u32).to_be_bytes()[1..]);
        signed.extend_from_slice(&precert);
        signed.extend_from_slice(&0u16.to_be_bytes()); // no extensions
        let sct_sig: Signature = self.ct_key.sign(&signed);
        let sct_sig = sct_sig.to_der();
        let mut sct = vec![0u8];
        sct.extend_from_slice(&sha256(&spki(&self.ct_key)));
        sct.extend_from_slice(&timestamp_ms.to_be_bytes());
        sct.extend_from_slice(&0u16.to_be_bytes());
        sct.extend_from_slice(&[4, 3]); // sha256, ecdsa
        sct.extend_from_slice(&(sct_sig.as_bytes().len() as u16).to_be_bytes());
        sct.extend_from_slice(sct_sig.as_bytes());
        let mut list = ((sct.len() + 2) as u16).to_be_bytes().to_vec();
        list.extend_from_slice(&(sct.len() as u16).to_be_bytes());
        list.extend_from_slice(&sct);
        extensions.push(ext(
            SCT_LIST,
            false,
            OctetString::new(list)
                .expect("octets")
                .to_der()
                .expect("DER"),
        ));
        tbs.extensions = Some(extensions);
        sign_tbs(tbs, &self.ca_key)
    }

    /// A Sigstore bundle v0.3 (JSON) over `content`, signed and logged as `s` says.
    pub fn sign(&self, s: &Signing, content: Content) -> Value {
        let leaf_key = key(0x70 + (s.log_index as u8 % 64));
        let cert = self.leaf(s, &leaf_key);
        let cert_pem_b64 = B64.encode(pem(&cert));
        let (body, kind, signed_content) = match content {
            Content::Message(digest) => {
                let sig: Signature = leaf_key.sign_prehash(&digest).expect("prehash sign");
                let sig = B64.encode(sig.to_der().as_bytes());
                let body = format!(
                    r#"{{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{{"data":{{"hash":{{"algorithm":"sha256","value":"{}"}}}},"signature":{{"content":"{}","publicKey":{{"content":"{}"}}}}}}}}"#,
                    hex(&digest),
                    sig,
                    cert_pem_b64
                );
                let content = json!({ "messageSignature": {
                    "messageDigest": { "algorithm": "SHA2_256", "digest": B64.encode(digest) },
                    "signature": sig,
                }});
                (body, "hashedrekord", content)
            }
            Content::Dsse(payload) => {
                let payload_type = "application/vnd.in-toto+json";
                let sig: Signature = leaf_key.sign(&pae(payload_type, payload));
                let sig = B64.encode(sig.to_der().as_bytes());
                let envelope = json!({
                    "payload": B64.encode(payload),
                    "payloadType": payload_type,
                    "signatures": [{ "sig": sig }],
                });
                let body = format!(
                    r#"{{"apiVersion":"0.0.1","kind":"dsse","spec":{{"envelopeHash":{{"algorithm":"sha256","value":"{}"}},"payloadHash":{{"algorithm":"sha256","value":"{}"}},"signatures":[{{"signature":"{}","verifier":"{}"}}]}}}}"#,
                    hex(&sha256(envelope.to_string().as_bytes())),
                    hex(&sha256(payload)),
                    sig,
                    cert_pem_b64
                );
                (body, "dsse", json!({ "dsseEnvelope": envelope }))
            }
        };
        let other;
        let log = match s.rekor_from {
            Some(seed) => {
                other = Instance::new(seed);
                &other
            }
            None => self,
        };
        let mut entry = log.log_entry(s, body.as_bytes(), kind);
        let mut bundle = json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": { "rawBytes": B64.encode(&cert) },
                "tlogEntries": [],
            },
        });
        if !s.proof {
            entry
                .as_object_mut()
                .expect("object")
                .remove("inclusionProof");
        }
        bundle["verificationMaterial"]["tlogEntries"] = json!([entry]);
        for (k, v) in signed_content.as_object().expect("object") {
            bundle[k] = v.clone();
        }
        bundle
    }

    /// A Rekor v1 entry for `body`: SET, and an inclusion proof in a two-leaf tree.
    fn log_entry(&self, s: &Signing, body: &[u8], kind: &str) -> Value {
        let body_b64 = B64.encode(body);
        let log_id = self.log_id();
        let payload = format!(
            r#"{{"body":"{}","integratedTime":{},"logID":"{}","logIndex":{}}}"#,
            body_b64,
            s.integrated_time,
            hex(&log_id),
            s.log_index
        );
        let set: Signature = self.rekor_key.sign(payload.as_bytes());
        let mut set = set.to_der().as_bytes().to_vec();
        if s.bad_set {
            let last = set.len() - 1;
            set[last] ^= 1;
        }
        // Leaf 1 of a two-leaf tree; leaf 0 is some other entry.
        let mut leaf = vec![0u8];
        leaf.extend_from_slice(body);
        let leaf = sha256(&leaf);
        let other = sha256(b"\x00another entry");
        let mut node = vec![1u8];
        node.extend_from_slice(&other);
        node.extend_from_slice(&leaf);
        let root = sha256(&node);
        let note = format!("rekor.{}.test - 1234\n2\n{}\n", self.name, B64.encode(root));
        let note_sig: Signature = self.rekor_key.sign(note.as_bytes());
        let mut hint_sig = sha256(&spki(&self.rekor_key))[..4].to_vec();
        hint_sig.extend_from_slice(note_sig.to_der().as_bytes());
        let checkpoint = format!(
            "{note}\n\u{2014} rekor.{}.test {}\n",
            self.name,
            B64.encode(hint_sig)
        );
        let mut entry = json!({
            "logIndex": s.log_index.to_string(),
            "logId": { "keyId": B64.encode(log_id) },
            "kindVersion": { "kind": kind, "version": "0.0.1" },
            "integratedTime": s.integrated_time.to_string(),
            "inclusionPromise": { "signedEntryTimestamp": B64.encode(set) },
            "inclusionProof": {
                "logIndex": "1",
                "rootHash": B64.encode(root),
                "treeSize": "2",
                "hashes": [B64.encode(other)],
                "checkpoint": { "envelope": checkpoint },
            },
            "canonicalizedBody": body_b64,
        });
        if !s.set {
            entry
                .as_object_mut()
                .expect("object")
                .remove("inclusionPromise");
        }
        entry
    }
}

/// The same bundle in the v0.1 or v0.2 shape (media type parameter, certificate chain).
pub fn as_old_bundle(bundle: &Value, version: &str) -> Value {
    let mut b = bundle.clone();
    b["mediaType"] = json!(format!(
        "application/vnd.dev.sigstore.bundle+json;version={version}"
    ));
    let cert = b["verificationMaterial"]["certificate"].take();
    let vm = b["verificationMaterial"].as_object_mut().expect("object");
    vm.remove("certificate");
    vm.insert(
        "x509CertificateChain".into(),
        json!({ "certificates": [cert] }),
    );
    b
}

/// The PEP 740 attestation object carrying a DSSE bundle's signature.
pub fn as_attestation(bundle: &Value) -> Value {
    json!({
        "version": 1,
        "verification_material": {
            "certificate": bundle["verificationMaterial"]["certificate"]["rawBytes"],
            "transparency_entries": bundle["verificationMaterial"]["tlogEntries"],
        },
        "envelope": {
            "statement": bundle["dsseEnvelope"]["payload"],
            "signature": bundle["dsseEnvelope"]["signatures"][0]["sig"],
        },
    })
}

/// A PEP 740 provenance object holding `attestations` under a GitHub publisher.
pub fn as_provenance(attestations: &[Value]) -> Value {
    json!({
        "version": 1,
        "attestation_bundles": [{
            "publisher": { "kind": "GitHub", "repository": "owner/repo", "workflow": "release.yml", "environment": null },
            "attestations": attestations,
        }],
    })
}
