//! The rules a cryptographically good signature must still pass: pinned, key valid and
//! not revoked when it signed, signature not expired, collision-resistant hash, strong key
//! (a recorded `[[accept]]` exception may waive the hash and expiry rules).

use super::*;

impl Checker<'_> {
    /// Judges a cryptographically good signature by `key_fpr` of `cert`, made at `created`.
    pub(super) fn validity(
        &self,
        sig: &Signature,
        created: SystemTime,
        cert: &Cert,
        key_fpr: &Fingerprint,
        pinned: bool,
        warnings: &mut Vec<String>,
    ) -> Result<(), (Status, String)> {
        let key_hex = key_fpr.to_hex();
        if !pinned {
            let uid = primary_user_id(cert, &self.policy)
                .map(|u| format!(" ({u})"))
                .unwrap_or_default();
            let via = if &cert.fingerprint() == key_fpr {
                String::new()
            } else {
                format!(" (subkey {key_hex})")
            };
            return Err((
                Status::Unpinned,
                format!(
                    "good signature by {}{uid}{via}, which is not pinned",
                    cert.fingerprint().to_hex()
                ),
            ));
        }
        if created > self.now + CLOCK_SKEW_TOLERANCE {
            return Err((
                Status::FutureSignature,
                format!(
                    "the signature claims to be made on {}, in the future (tolerance {} minutes)",
                    rfc3339(created),
                    CLOCK_SKEW_TOLERANCE.as_secs() / 60
                ),
            ));
        }
        if let Some(exp) = sig.signature_expiration_time()
            && exp <= self.now
        {
            return Err((
                Status::SignatureExpired,
                format!("the signature expired on {}", rfc3339(exp)),
            ));
        }
        if (matches!(
            sig.hash_algo(),
            HashAlgorithm::MD5 | HashAlgorithm::SHA1 | HashAlgorithm::RipeMD
        ) || self
            .policy
            .signature(sig, HashAlgoSecurity::CollisionResistance)
            .is_err())
            && !(sig.hash_algo() == HashAlgorithm::SHA1 && self.waives(cert, Rule::WeakHash))
        {
            return Err((
                Status::WeakHash,
                format!(
                    "weak algorithm: the signature by {key_hex} uses {}, which is broken for signatures over data",
                    sig.hash_algo()
                ),
            ));
        }
        let primary = cert.primary_key().key();
        for k in [
            primary.role_as_unspecified(),
            cert.keys()
                .key_handle(key_fpr.clone())
                .next()
                .expect("in cert")
                .key(),
        ] {
            if let Some(bits) = keyring::finite_field_bits(k)
                && bits < 2048
            {
                return Err((
                    Status::WeakKey,
                    format!(
                        "weak algorithm: key {} is {} bits, below the 2048 bits sigwatch accepts",
                        k.fingerprint().to_hex(),
                        keyring::algorithm_name(k)
                    ),
                ));
            }
        }
        // The binding in force when the signature was made; GnuPG's minimal exports keep
        // only the newest self-signature, which may postdate the signature (gpgv accepts
        // those, and so do we, judging the key by that binding).
        let at_sig = cert
            .with_policy(&self.policy, created)
            .map_err(|e| e.to_string())
            .and_then(|vc| {
                vc.keys()
                    .key_handle(key_fpr.clone())
                    .next()
                    .map(|_| vc)
                    .ok_or_else(|| {
                        format!(
                            "key {key_hex} has no valid binding signature at {}",
                            rfc3339(created)
                        )
                    })
            });
        let vcert = match at_sig {
            Ok(vc) => vc,
            Err(err_at_sig) => {
                let later = cert
                    .with_policy(&self.policy, self.now)
                    .ok()
                    .filter(|vc| vc.keys().key_handle(key_fpr.clone()).next().is_some());
                match later {
                    Some(vc) => {
                        let vka = vc
                            .keys()
                            .key_handle(key_fpr.clone())
                            .next()
                            .expect("checked");
                        // The newest binding in this view (the key's own, or the primary's
                        // when a subkey signed) is what postdates the signature.
                        let bound = [
                            vka.binding_signature().signature_creation_time(),
                            vc.primary_key()
                                .binding_signature()
                                .signature_creation_time(),
                        ]
                        .into_iter()
                        .flatten()
                        .max();
                        if vka.key().creation_time() > created || bound.is_none_or(|b| b <= created)
                        {
                            return Err((Status::NoBinding, err_at_sig));
                        }
                        warnings.push(format!(
                            "key {key_hex} is only bound by a self-signature made {}, after the signature ({}); \
                             the keyring holds no older one (a minimal export), so the key was judged by that binding, as gpgv does",
                            rfc3339(bound.expect("checked")),
                            rfc3339(created)
                        ));
                        vc
                    }
                    None => {
                        return Err((
                            Status::NoBinding,
                            format!(
                                "key {key_hex} is not validly bound to its certificate: {}",
                                first_line(&err_at_sig)
                            ),
                        ));
                    }
                }
            }
        };
        let vka = vcert
            .keys()
            .key_handle(key_fpr.clone())
            .next()
            .expect("checked above");
        for binding in [
            vcert.primary_key().binding_signature(),
            vka.binding_signature(),
        ] {
            if binding.hash_algo() == HashAlgorithm::SHA1 {
                let w = format!(
                    "key {key_hex} is bound by a SHA-1 self-signature; accepted (a second-preimage use), but ask upstream to refresh the key"
                );
                if !warnings.contains(&w) {
                    warnings.push(w);
                }
            }
        }
        // Revocations: hard ones reject every signature, soft ones only those made after.
        let in_force = vka.binding_signature().signature_creation_time();
        let key_amalgamation = cert
            .keys()
            .key_handle(key_fpr.clone())
            .next()
            .expect("in cert");
        let revs = cert.primary_key().self_revocations().chain(
            (!key_amalgamation.primary())
                .then(|| key_amalgamation.self_revocations())
                .into_iter()
                .flatten(),
        );
        for rev in revs {
            if self
                .policy
                .signature(rev, HashAlgoSecurity::SecondPreImageResistance)
                .is_err()
            {
                continue;
            }
            let info = Revocation::from_signature(rev);
            let made = rev
                .signature_creation_time()
                .unwrap_or(SystemTime::UNIX_EPOCH);
            let applies = info.is_hard() || (made <= created && in_force.is_none_or(|b| b <= made));
            if applies {
                let what = if rev.typ() == SignatureType::KeyRevocation {
                    format!("certificate {}", cert.fingerprint().to_hex())
                } else {
                    format!("key {key_hex}")
                };
                let when = if info.is_hard() {
                    "a hard revocation rejects every signature"
                } else {
                    "the signature was made after it"
                };
                return Err((
                    Status::Revoked,
                    format!("{what} is revoked: {info}; {when}"),
                ));
            }
            if made > created {
                // Upstream retired the key after signing: the signature stands, but the
                // next release will need the successor, so say so now.
                let what = if rev.typ() == SignatureType::KeyRevocation {
                    format!("certificate {}", cert.fingerprint().to_hex())
                } else {
                    format!("key {key_hex}")
                };
                warnings.push(format!(
                    "{what} has a {info}, after the signature was made on {}; accepted, since a soft revocation only rejects later signatures, \
                     but releases signed from now on need upstream's new key: pin it (`sigwatch lint` lists this pin)",
                    rfc3339(created)
                ));
            }
        }
        let signed_by_primary = &cert.fingerprint() == key_fpr;
        let expiries = [
            ("certificate", vcert.primary_key().key_expiration_time()),
            // The primary's own expiry is the certificate's: don't report it twice.
            (
                "key",
                if signed_by_primary {
                    None
                } else {
                    vka.key_expiration_time()
                },
            ),
        ];
        for (what, exp) in expiries {
            let Some(exp) = exp else { continue };
            if exp <= created && !self.waives(cert, Rule::KeyExpired) {
                return Err((
                    Status::KeyExpired,
                    format!(
                        "{what} {} expired on {}, before the signature was made on {}",
                        if what == "key" {
                            key_hex.clone()
                        } else {
                            cert.fingerprint().to_hex()
                        },
                        rfc3339(exp),
                        rfc3339(created)
                    ),
                ));
            }
            if exp <= self.now {
                warnings.push(format!(
                    "{what} {} expired on {}, after the signature was made on {}; accepted, since validity is judged when the signature was made",
                    if what == "key" { key_hex.clone() } else { cert.fingerprint().to_hex() },
                    rfc3339(exp),
                    rfc3339(created)
                ));
            }
        }
        let can_sign = match vka.key_flags() {
            Some(flags) => flags.for_signing(),
            None => vka.key().pk_algo().for_signing(),
        };
        if !can_sign {
            return Err((
                Status::NotSigningCapable,
                format!(
                    "key {key_hex} is not allowed to make signatures (its key flags lack signing)"
                ),
            ));
        }
        Ok(())
    }
}
