//! `keys.refresh` entries that name a keyserver.

use super::check_url;

/// The keyserver `keyserver` names in `keys.refresh`.
pub const DEFAULT_KEYSERVER: &str = "https://keys.openpgp.org";

/// A `keys.refresh` entry naming a keyserver, asked by fingerprint: `keyserver`
/// (keys.openpgp.org), `keyserver:https://HOST` (the VKS interface) or `keyserver:hkps://HOST`
/// (HKP over TLS). Plain `http://`/`hkp://` only to loopback hosts, like every URL here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyserver {
    /// The server's base URL (https, or http to loopback), without a trailing slash.
    pub base: String,
    /// True for HKP (`/pks/lookup`), false for VKS (`/vks/v1/by-fingerprint/`).
    pub hkp: bool,
}

impl Keyserver {
    /// `None` when the entry names no keyserver; else the keyserver or why it is refused.
    pub fn parse(entry: &str) -> Option<Result<Keyserver, String>> {
        let address = match entry {
            "keyserver" => DEFAULT_KEYSERVER,
            _ => entry.strip_prefix("keyserver:")?,
        };
        let (base, hkp) = if let Some(rest) = address.strip_prefix("hkps://") {
            (format!("https://{rest}"), true)
        } else if let Some(rest) = address.strip_prefix("hkp://") {
            (format!("http://{rest}"), true)
        } else {
            (address.to_string(), false)
        };
        let base = base.trim_end_matches('/').to_string();
        Some(
            check_url(&base)
                .map_err(|m| m.replace(&format!("{base:?}"), &format!("{entry:?}")))
                .and_then(|()| {
                    if base.contains(['?', '#']) {
                        Err(format!(
                            "{entry:?}: a keyserver is named by its base URL, without a query"
                        ))
                    } else {
                        Ok(Keyserver { base, hkp })
                    }
                }),
        )
    }
}
