//! The RustCrypto backend plugged into `sigstore-verify`.
//!
//! `sigstore-verify` delegates every hash and signature check to a process-wide
//! [`CryptoProvider`]; its default one links aws-lc (a C build). sigwatch turns that default
//! off and installs this provider instead, made of the pure-Rust crates Sequoia already
//! builds (`sha2`, `p256`, `p384`, `ed25519-dalek`, `rsa`). Only verification is provided.

use sha2::{Digest, Sha256, Sha384, Sha512};
use sigstore_verify::crypto::{
    CryptoProvider, Error, HashContext, Result, SigningScheme, install_default_provider,
};
use sigstore_verify::types::HashAlgorithm;

/// The provider; stateless.
#[derive(Debug)]
pub struct RustCrypto;

static PROVIDER: RustCrypto = RustCrypto;

/// Installs [`RustCrypto`] as `sigstore-verify`'s provider, once per process.
pub fn install() {
    // A second call finds it installed already, which is what it wants.
    let _ = install_default_provider(&PROVIDER);
}

struct Hasher<D>(D);

impl<D: Digest + Send> HashContext for Hasher<D> {
    fn update(&mut self, data: &[u8]) {
        Digest::update(&mut self.0, data);
    }

    fn finalize(self: Box<Self>) -> Vec<u8> {
        self.0.finalize().to_vec()
    }
}

fn invalid(scheme: SigningScheme) -> Error {
    Error::Verification(format!("{} signature invalid", scheme.name()))
}

fn unsupported(scheme: SigningScheme) -> Error {
    Error::UnsupportedAlgorithm(format!("{} is not supported by sigwatch", scheme.name()))
}

/// What a message is reduced to before an ECDSA or RSA check.
enum Input<'a> {
    /// The whole message: hash it with the scheme's hash.
    Message(&'a [u8]),
    /// Its digest, made with the scheme's hash.
    Digest(&'a [u8]),
}

impl Input<'_> {
    fn digest(&self, algorithm: HashAlgorithm) -> Result<Vec<u8>> {
        Ok(match self {
            Input::Digest(d) => d.to_vec(),
            Input::Message(m) => match algorithm {
                HashAlgorithm::Sha2256 => Sha256::digest(m).to_vec(),
                HashAlgorithm::Sha2384 => Sha384::digest(m).to_vec(),
                HashAlgorithm::Sha2512 => Sha512::digest(m).to_vec(),
                other => {
                    return Err(Error::UnsupportedAlgorithm(format!("hash {other:?}")));
                }
            },
        })
    }
}

fn verify_ecdsa(scheme: SigningScheme, key: &[u8], input: Input, signature: &[u8]) -> Result<()> {
    use ecdsa::signature::hazmat::PrehashVerifier;
    let algorithm = scheme.hash_algorithm().ok_or_else(|| unsupported(scheme))?;
    let digest = input.digest(algorithm)?;
    let good = match scheme {
        SigningScheme::EcdsaP256Sha256 | SigningScheme::EcdsaP256Sha384 => {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key)
                .map_err(|e| Error::InvalidKey(format!("P-256 key: {e}")))?;
            let sig = p256::ecdsa::Signature::from_der(signature).map_err(|_| invalid(scheme))?;
            key.verify_prehash(&digest, &sig).is_ok()
        }
        SigningScheme::EcdsaP384Sha256 | SigningScheme::EcdsaP384Sha384 => {
            let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(key)
                .map_err(|e| Error::InvalidKey(format!("P-384 key: {e}")))?;
            let sig = p384::ecdsa::Signature::from_der(signature).map_err(|_| invalid(scheme))?;
            key.verify_prehash(&digest, &sig).is_ok()
        }
        _ => return Err(unsupported(scheme)),
    };
    if good { Ok(()) } else { Err(invalid(scheme)) }
}

fn verify_rsa(scheme: SigningScheme, key: &[u8], input: Input, signature: &[u8]) -> Result<()> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::{Pkcs1v15Sign, Pss, RsaPublicKey};
    let key = RsaPublicKey::from_pkcs1_der(key)
        .map_err(|e| Error::InvalidKey(format!("RSA key: {e}")))?;
    let algorithm = scheme.hash_algorithm().ok_or_else(|| unsupported(scheme))?;
    let digest = input.digest(algorithm)?;
    let result = match scheme {
        SigningScheme::RsaPkcs1Sha256 => {
            key.verify(Pkcs1v15Sign::new::<Sha256>(), &digest, signature)
        }
        SigningScheme::RsaPkcs1Sha384 => {
            key.verify(Pkcs1v15Sign::new::<Sha384>(), &digest, signature)
        }
        SigningScheme::RsaPkcs1Sha512 => {
            key.verify(Pkcs1v15Sign::new::<Sha512>(), &digest, signature)
        }
        SigningScheme::RsaPssSha256 => key.verify(Pss::new::<Sha256>(), &digest, signature),
        SigningScheme::RsaPssSha384 => key.verify(Pss::new::<Sha384>(), &digest, signature),
        SigningScheme::RsaPssSha512 => key.verify(Pss::new::<Sha512>(), &digest, signature),
        _ => return Err(unsupported(scheme)),
    };
    result.map_err(|_| invalid(scheme))
}

fn verify_ed25519(key: &[u8], data: &[u8], signature: &[u8]) -> Result<()> {
    let scheme = SigningScheme::Ed25519;
    let key: [u8; 32] = key
        .try_into()
        .map_err(|_| Error::InvalidKey("Ed25519 key is not 32 bytes".into()))?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key)
        .map_err(|e| Error::InvalidKey(format!("Ed25519 key: {e}")))?;
    let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|_| invalid(scheme))?;
    key.verify_strict(data, &sig).map_err(|_| invalid(scheme))
}

fn verify(scheme: SigningScheme, key: &[u8], input: Input, signature: &[u8]) -> Result<()> {
    match scheme {
        SigningScheme::EcdsaP256Sha256
        | SigningScheme::EcdsaP256Sha384
        | SigningScheme::EcdsaP384Sha256
        | SigningScheme::EcdsaP384Sha384 => verify_ecdsa(scheme, key, input, signature),
        SigningScheme::RsaPkcs1Sha256
        | SigningScheme::RsaPkcs1Sha384
        | SigningScheme::RsaPkcs1Sha512
        | SigningScheme::RsaPssSha256
        | SigningScheme::RsaPssSha384
        | SigningScheme::RsaPssSha512 => verify_rsa(scheme, key, input, signature),
        SigningScheme::Ed25519 => match input {
            Input::Message(data) => verify_ed25519(key, data, signature),
            Input::Digest(_) => Err(unsupported(scheme)),
        },
        _ => Err(unsupported(scheme)),
    }
}

impl CryptoProvider for RustCrypto {
    fn hash(&self, algorithm: HashAlgorithm) -> Result<Box<dyn HashContext>> {
        Ok(match algorithm {
            HashAlgorithm::Sha2256 => Box::new(Hasher(Sha256::new())),
            HashAlgorithm::Sha2384 => Box::new(Hasher(Sha384::new())),
            HashAlgorithm::Sha2512 => Box::new(Hasher(Sha512::new())),
            other => return Err(Error::UnsupportedAlgorithm(format!("hash {other:?}"))),
        })
    }

    fn verify_raw(
        &self,
        scheme: SigningScheme,
        key: &[u8],
        data: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        verify(scheme, key, Input::Message(data), signature)
    }

    fn verify_prehashed(
        &self,
        scheme: SigningScheme,
        key: &[u8],
        digest: &[u8],
        signature: &[u8],
    ) -> Result<()> {
        verify(scheme, key, Input::Digest(digest), signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer;

    #[test]
    fn p256_signature_verifies_over_message_and_digest_and_tampering_fails() {
        let key = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).expect("valid scalar");
        let public = key.verifying_key().to_encoded_point(false);
        let sig: p256::ecdsa::Signature = key.sign(b"hello");
        let der = sig.to_der();
        let scheme = SigningScheme::EcdsaP256Sha256;
        let p = RustCrypto;
        p.verify_raw(scheme, public.as_bytes(), b"hello", der.as_bytes())
            .expect("good signature");
        p.verify_prehashed(
            scheme,
            public.as_bytes(),
            &Sha256::digest(b"hello"),
            der.as_bytes(),
        )
        .expect("good signature over the digest");
        assert!(
            p.verify_raw(scheme, public.as_bytes(), b"hellp", der.as_bytes())
                .is_err()
        );
    }
}
