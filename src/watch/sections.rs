//! Validation of the `[keys]` and `[sigstore]` sections.

use std::path::Path;

use super::{
    Keys, Keyserver, OneOrMany, RawKeys, RawSigstore, SigstoreWatch, check_template, check_url,
};
use crate::error::WatchError;
use crate::verify::sigstore::{IdentityPin, SPEC_HINT};
use crate::verify::{FINGERPRINT_HINT, Pin, parse_pin};

/// Validates `[keys]`; `base` is the watch file's directory.
pub(super) fn keys_section(
    keys: RawKeys,
    base: &Path,
    err: &dyn Fn(&str, String) -> WatchError,
) -> Result<Keys, WatchError> {
    if keys.keyring.trim().is_empty() {
        return Err(err("keys.keyring", "must not be empty".into()));
    }
    let keyring = base.join(&keys.keyring);
    if !keyring.is_file() {
        return Err(err(
            "keys.keyring",
            format!("{} does not exist or is not a file", keyring.display()),
        )
        .hint("the keyring path is relative to the watch file"));
    }
    if keys.fingerprints.is_empty() {
        return Err(
            err("keys.fingerprints", "no fingerprint is pinned".into()).hint(FINGERPRINT_HINT)
        );
    }
    let mut pins: Vec<Pin> = Vec::new();
    for (i, f) in keys.fingerprints.iter().enumerate() {
        let pin = parse_pin(f).map_err(|e| {
            err(&format!("keys.fingerprints[{i}]"), e.to_string()).hint(FINGERPRINT_HINT)
        })?;
        if !pins.contains(&pin) {
            pins.push(pin);
        }
    }
    let threshold = keys.threshold.unwrap_or(1);
    if threshold == 0 || threshold > pins.len() {
        return Err(err(
            "keys.threshold",
            format!(
                "{threshold} must be between 1 and the number of pinned fingerprints ({})",
                pins.len()
            ),
        ));
    }
    for (i, r) in keys.refresh.iter().enumerate() {
        let checked = match Keyserver::parse(r) {
            Some(keyserver) => keyserver.map(|_| ()),
            None if r == "wkd" => Ok(()),
            None => check_url(r),
        };
        checked.map_err(|m| {
            err(&format!("keys.refresh[{i}]"), m).hint(
                r#"each entry is an https URL serving certificates, "wkd", "keyserver" or "keyserver:https://HOST" (hkps://HOST for HKP)"#,
            )
        })?;
    }
    Ok(Keys {
        keyring,
        pins,
        threshold,
        refresh: keys.refresh,
    })
}

pub(super) fn sigstore_section(
    raw: RawSigstore,
    path: &Path,
    err: &dyn Fn(&str, String) -> WatchError,
) -> Result<SigstoreWatch, WatchError> {
    let mut pins = Vec::new();
    for (i, id) in raw.identities.iter().enumerate() {
        let field = format!("sigstore.identities[{i}]");
        if id.identity.trim().is_empty() || id.issuer.trim().is_empty() {
            return Err(err(&field, "identity and issuer must not be empty".into()).hint(
                "e.g. { identity = \"release@example.org\", issuer = \"https://github.com/login/oauth\" }, or pin a publisher: publishers = [\"github:OWNER/REPO/WORKFLOW.yml\"]",
            ));
        }
        if !id.issuer.starts_with("https://") {
            return Err(err(
                &format!("{field}.issuer"),
                format!("{:?} is not an https URL", id.issuer),
            )
            .hint("the issuer is the OIDC issuer URL, e.g. https://token.actions.githubusercontent.com"));
        }
        pins.push(IdentityPin::exact(&id.identity, &id.issuer));
    }
    for (i, spec) in raw.publishers.iter().enumerate() {
        let pin = IdentityPin::from_publisher(spec)
            .map_err(|e| err(&format!("sigstore.publishers[{i}]"), e.problem).hint(SPEC_HINT))?;
        pins.push(pin);
    }
    if pins.is_empty() {
        return Err(err("sigstore", "no identity or publisher is pinned".into())
            .hint("add publishers = [\"github:OWNER/REPO/WORKFLOW.yml\"] or identities = [{ identity = \"…\", issuer = \"…\" }]"));
    }
    let bundle_templates = match raw.bundle {
        None => Vec::new(),
        Some(OneOrMany::One(t)) => vec![t],
        Some(OneOrMany::Many(ts)) if ts.is_empty() => {
            return Err(err("sigstore.bundle", "the list of templates is empty".into()).hint(
                "delete the field for the defaults ({url}.sigstore.json, then {url}.sigstore; PyPI: the index's provenance), or name where upstream publishes its bundles",
            ));
        }
        Some(OneOrMany::Many(ts)) => ts,
    };
    for (i, t) in bundle_templates.iter().enumerate() {
        check_template(t).map_err(|m| {
            err(&format!("sigstore.bundle[{i}]"), m).hint(
                "placeholders are {url} {filename} {version} {name} {dir}, e.g. bundle = \"{url}.sigstore\"",
            )
        })?;
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let trusted_root = raw.trusted_root.map(|r| base.join(r));
    if let Some(r) = &trusted_root
        && !r.is_file()
    {
        return Err(err(
            "sigstore.trusted_root",
            format!("{} does not exist or is not a file", r.display()),
        )
        .hint("the path is relative to the watch file"));
    }
    Ok(SigstoreWatch {
        pins,
        bundle_templates,
        trusted_root,
    })
}
