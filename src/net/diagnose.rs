//! Why a request got no answer, in sigwatch's words: the cause read from reqwest's error
//! chain (DNS, refused, TLS, timeout), what to check, and a note on proxies.

use std::time::Duration;

use reqwest::Url;

use crate::error::NetError;

/// Why a request got no answer, as far as the error chain tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    /// The host name does not resolve.
    Dns,
    /// Nothing listens at the host's port.
    Refused,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// Connecting took too long.
    Timeout,
    /// Anything else.
    Other,
}

/// Reads why a request failed from reqwest's error chain.
fn cause_of(e: &reqwest::Error) -> Cause {
    let mut chain: Vec<&dyn std::error::Error> = Vec::new();
    let mut next: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = next {
        chain.push(err);
        next = err.source();
    }
    let io_kind = |kind: std::io::ErrorKind| {
        chain.iter().any(|err| {
            err.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == kind)
        })
    };
    // hyper's connector names its failures ("dns error", "tcp connect error"); rustls's
    // say "certificate", "handshake" or "tls". There is no typed way to tell them apart.
    let text = chain
        .iter()
        .map(|err| err.to_string().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(": ");
    if e.is_timeout() || io_kind(std::io::ErrorKind::TimedOut) {
        Cause::Timeout
    } else if io_kind(std::io::ErrorKind::ConnectionRefused) {
        Cause::Refused
    } else if text.contains("dns error") || text.contains("failed to lookup address") {
        Cause::Dns
    } else if ["certificate", "handshake", "tls", "alert"]
        .iter()
        .any(|w| text.contains(w))
    {
        Cause::Tls
    } else {
        Cause::Other
    }
}

/// Says, when a proxy variable is set, that requests go through it (never its value, which
/// may hold a password).
pub(super) fn proxy_note() -> String {
    let set: Vec<&str> = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
        .into_iter()
        .filter(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
        .collect();
    match set.first() {
        Some(v) => format!(
            "; {v} is set, so requests go through that proxy: check it, and list hosts to reach directly in NO_PROXY"
        ),
        None => "; behind a proxy, set HTTPS_PROXY (and NO_PROXY for hosts to reach directly)"
            .to_string(),
    }
}

/// A request that got no answer, in sigwatch's words: which host, for which URL, why, and
/// what to check.
pub(super) fn unreachable(url: &Url, e: &reqwest::Error, stall: Duration) -> NetError {
    let host = url.host_str().unwrap_or("the server");
    let port = url.port_or_known_default().unwrap_or(443);
    let (why, check) = match cause_of(e) {
        Cause::Dns => (
            "the host name does not resolve (DNS lookup failed)".to_string(),
            "check the host name in the URL and that this machine resolves names (try `getent hosts HOST`)".to_string(),
        ),
        Cause::Refused => (
            format!("connection refused on port {port} (nothing listens there)"),
            "check the URL's host and port, and that the server is up".to_string(),
        ),
        Cause::Tls => (
            format!("the TLS handshake failed ({})", describe(e)),
            "check the URL; a TLS-inspecting proxy needs its CA certificate in the system trust store".to_string(),
        ),
        Cause::Timeout => (
            format!("no connection within {} s", stall.as_secs().min(30)),
            format!(
                "check the network; on a slow network wait longer with --timeout (now {} s)",
                stall.as_secs()
            ),
        ),
        Cause::Other => (
            format!("the request failed ({})", describe(e)),
            "check the URL and the network".to_string(),
        ),
    };
    NetError::Unreachable {
        url: url.to_string(),
        host: host.to_string(),
        why,
        check: format!("{check}{}", proxy_note()),
    }
}

/// Describes a reqwest error by its causes, on one line, without repeating the URL.
pub(super) fn describe(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    if e.is_timeout() {
        parts.push("timed out".into());
    }
    // The top level says "error sending request for url (…)": the causes say what happened.
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    if source.is_none() {
        parts.push(e.to_string());
    }
    while let Some(err) = source {
        let text = err.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = err.source();
    }
    parts.join(": ")
}
