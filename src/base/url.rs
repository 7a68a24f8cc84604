//! The one URL policy: sigwatch fetches over https, and over plain http only from loopback
//! hosts (tests, local mirrors). Watch files check their URLs with it when they are loaded,
//! the HTTP client checks every request and redirect with it.

use std::fmt;
use std::net::IpAddr;

pub use url::Url;

/// Why a URL may not be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a URL at all.
    Invalid(String),
    /// `http://` to a host that is not loopback.
    PlainHttp,
    /// Another scheme (ftp, file, …).
    Scheme(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Invalid(e) => write!(f, "not a valid URL: {e}"),
            Refusal::PlainHttp => {
                f.write_str("plain http is refused; sigwatch fetches over https only")
            }
            Refusal::Scheme(s) => write!(f, "scheme {s:?} is not supported"),
        }
    }
}

impl Refusal {
    /// What to do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Refusal::Invalid(_) => None,
            Refusal::PlainHttp => {
                Some("use the https:// URL; plain http is only allowed to loopback hosts")
            }
            Refusal::Scheme(_) => Some("use an https:// URL"),
        }
    }
}

/// True for hosts that may be spoken to over plain http: loopback addresses and localhost.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Whether a parsed URL may be fetched.
pub fn allowed(url: &Url) -> Result<(), Refusal> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(Refusal::PlainHttp),
        other => Err(Refusal::Scheme(other.to_string())),
    }
}

/// Whether a parsed URL may be fetched when a watch file opted in to plain http for
/// `plain_http_hosts` (`[source] plain_http = true`: the source's own host, which has no https).
pub fn allowed_with(url: &Url, plain_http_hosts: &[String]) -> Result<(), Refusal> {
    match allowed(url) {
        Err(Refusal::PlainHttp)
            if url
                .host_str()
                .is_some_and(|h| plain_http_hosts.iter().any(|a| a.eq_ignore_ascii_case(h))) =>
        {
            Ok(())
        }
        other => other,
    }
}

/// Parses a URL and checks that sigwatch may fetch it.
pub fn check(url: &str) -> Result<Url, Refusal> {
    let parsed = Url::parse(url).map_err(|e| Refusal::Invalid(e.to_string()))?;
    allowed(&parsed)?;
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_and_loopback_http_are_allowed_nothing_else() {
        assert!(check("http://127.0.0.1:8080/x").is_ok());
        assert!(check("http://localhost/x").is_ok());
        assert!(check("http://[::1]/x").is_ok());
        assert!(check("https://example.org/x").is_ok());
        assert_eq!(check("http://example.org/x"), Err(Refusal::PlainHttp));
        assert!(matches!(
            check("ftp://example.org/x"),
            Err(Refusal::Scheme(_))
        ));
        assert!(matches!(check("not a url"), Err(Refusal::Invalid(_))));
    }

    #[test]
    fn plain_http_is_allowed_only_to_the_hosts_opted_in() {
        let hosts = ["downloads.example.org".to_string()];
        let ok = Url::parse("http://downloads.example.org/foo/").unwrap();
        let other = Url::parse("http://mirror.example.net/foo/").unwrap();
        let ftp = Url::parse("ftp://downloads.example.org/foo/").unwrap();
        assert_eq!(allowed_with(&ok, &hosts), Ok(()));
        assert_eq!(allowed_with(&other, &hosts), Err(Refusal::PlainHttp));
        assert!(matches!(
            allowed_with(&ftp, &hosts),
            Err(Refusal::Scheme(_))
        ));
        assert_eq!(allowed_with(&ok, &[]), Err(Refusal::PlainHttp));
    }
}
