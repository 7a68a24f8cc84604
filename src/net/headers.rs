//! Reading response headers: pagination (`Link`), `Retry-After` and API rate limits.
//!
//! The grammars are other people's solved problems: HTTP dates are read by `httpdate`
//! (IMF-fixdate and the obsolete RFC 850 and asctime forms RFC 9110 says to accept) and
//! `Link` by `http-link` (RFC 8288, appendix B).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Url;
use reqwest::header::{self, HeaderMap};

/// The `rel="next"` target of a Link header (RFC 8288), resolved against `base`.
///
/// A header that does not parse is read as no next page, as is a header with no `next`.
pub fn link_next(headers: &HeaderMap, base: &Url) -> Option<String> {
    headers
        .get_all(header::LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| http_link::parse_link_header(value, base).ok())
        .flatten()
        .find(|link| link.rel == "next")
        .map(|link| String::from(link.target))
}

/// When an exhausted API rate limit resets: GitHub's `x-ratelimit-remaining: 0` with
/// `x-ratelimit-reset` (epoch seconds), GitLab's `ratelimit-remaining`/`ratelimit-reset`.
pub(super) fn rate_limit_reset(headers: &HeaderMap) -> Option<Option<SystemTime>> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let remaining = get("x-ratelimit-remaining").or_else(|| get("ratelimit-remaining"))?;
    if remaining != "0" {
        return None;
    }
    let reset: u64 = get("x-ratelimit-reset")
        .or_else(|| get("ratelimit-reset"))?
        .parse()
        .ok()?;
    // A hostile value must not overflow: Some(None) is "exhausted, until who knows when".
    Some(UNIX_EPOCH.checked_add(Duration::from_secs(reset)))
}

/// RFC 3339 for times humantime can print (years up to 9999), else seconds since the epoch.
pub(super) fn rfc3339_checked(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if secs < 253_402_300_800 {
        humantime::format_rfc3339_seconds(t).to_string()
    } else {
        format!("{secs} seconds after 1970")
    }
}

/// The Retry-After header as a duration (delta-seconds or an HTTP date).
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = http_date(value)?;
    Some(when.duration_since(SystemTime::now()).unwrap_or_default())
}

/// An HTTP date in any of its three forms; RFC 3339, which some servers send instead, too.
fn http_date(value: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(value)
        .ok()
        .or_else(|| humantime::parse_rfc3339_weak(value).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, value.parse().unwrap());
        h
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let h = with(header::RETRY_AFTER, "120");
        assert_eq!(retry_after(&h), Some(Duration::from_secs(120)));
        let h = with(header::RETRY_AFTER, "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
    }

    #[test]
    fn http_dates_are_read_in_all_three_forms_and_nonsense_is_not() {
        let expected = UNIX_EPOCH + Duration::from_secs(784_111_777);
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",  // IMF-fixdate
            "Sunday, 06-Nov-94 08:49:37 GMT", // obsolete RFC 850, refused before httpdate
            "Sun Nov  6 08:49:37 1994",       // obsolete asctime, refused before httpdate
            "1994-11-06T08:49:37Z",           // RFC 3339, kept for servers that send it
        ] {
            assert_eq!(http_date(form), Some(expected), "{form}");
        }
        // The hand-written reader ignored the time zone and the weekday.
        for bad in [
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Mon, 06 Nov 1994 08:49:37 GMT",
            "soon",
        ] {
            assert_eq!(http_date(bad), None, "{bad}");
        }
        let h = with(header::RETRY_AFTER, "Sun Nov  6 08:49:37 1994");
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
    }

    #[test]
    fn next_page_link_is_found_among_several_relations() {
        let base = Url::parse("https://forge.test/api/releases?page=1").unwrap();
        let next = |value: &str| link_next(&with(header::LINK, value), &base);
        assert_eq!(
            next(
                r#"<https://forge.test/api/releases?page=2>; rel="next", <https://forge.test/api/releases?page=9>; rel="last""#
            ),
            Some("https://forge.test/api/releases?page=2".into())
        );
        assert_eq!(
            next("</api/releases?page=3>; rel=next"),
            Some("https://forge.test/api/releases?page=3".into()),
            "relative targets resolve against the page's URL"
        );
        // RFC 8288: rel may list several relation types, and quoted parameters may hold
        // commas; the hand-written splitter missed both.
        assert_eq!(
            next(r#"<?page=4>; rel="last next""#),
            Some("https://forge.test/api/releases?page=4".into())
        );
        assert_eq!(
            next(r#"<?page=1>; rel="first"; title="a, b", <?page=5>; rel="next""#),
            Some("https://forge.test/api/releases?page=5".into())
        );
        assert_eq!(next(r#"<?page=1>; rel="prev""#), None);
        assert_eq!(next("not a link header"), None);
    }

    #[test]
    fn absurd_rate_limit_resets_neither_overflow_nor_break_formatting() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-reset", u64::MAX.to_string().parse().unwrap());
        assert_eq!(rate_limit_reset(&h), Some(None));
        h.insert("x-ratelimit-reset", "300000000000".parse().unwrap());
        let t = rate_limit_reset(&h).unwrap().unwrap();
        assert!(rfc3339_checked(t).contains("seconds after 1970"));
        h.insert("x-ratelimit-reset", "1893456000".parse().unwrap());
        assert_eq!(
            rfc3339_checked(rate_limit_reset(&h).unwrap().unwrap()),
            "2030-01-01T00:00:00Z"
        );
    }
}
