//! HTTP transport shared by discovery and downloads: bounded in size, time and retries.
//!
//! - https only, except loopback hosts (for tests); redirects never downgrade to http.
//! - The system's trust store (reqwest's rustls with the platform verifier), so private CAs
//!   and TLS proxies work as they do for curl and pip.
//! - Every response is capped; a server that stops sending, or trickles below a minimum
//!   rate, is given up; 5xx, timeouts and 429 (with a short Retry-After) are retried a
//!   bounded number of times with backoff.
//! - Bodies are never content-decoded on download: artifacts are stored byte for byte as
//!   served. Pages (index HTML/JSON) sent with gzip/deflate Content-Encoding anyway are
//!   decoded here, and the decoded size counts against the cap.
//!
//! This file is the client and its policy (URL checks, redirects, per-host slots, the page
//! cache) and the retry loop; one exchange and its limits are in `transfer`, the headers
//! it reads in `headers`, and why a host did not answer in `diagnose`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{self, HeaderMap};
use reqwest::{StatusCode, Url};
use tokio::sync::Semaphore;

use super::Page;
use super::headers::link_next;
use super::transfer::{Sink, decode_body};
use crate::error::{LocalIo, NetError};

/// Limits for every request; all configurable from the command line.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest index page or listing, in bytes (after decoding).
    pub page_bytes: u64,
    /// Largest signature or checksum file.
    pub signature_bytes: u64,
    /// Largest artifact.
    pub artifact_bytes: u64,
    /// Give up when no byte arrives for this long (also the wait for response headers).
    pub stall: Duration,
    /// Give up when fewer than `min_rate` bytes per second arrive, averaged over `stall`.
    pub min_rate: u64,
    /// Retries after the first attempt, for 5xx, timeouts, connection errors and 429.
    pub retries: u32,
    /// The first backoff; doubled for each retry.
    pub backoff: Duration,
    /// The longest Retry-After that is waited for; longer ones are reported instead.
    pub max_retry_after: Duration,
    /// Concurrent requests per host.
    pub per_host: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            page_bytes: 32 << 20,
            signature_bytes: 1 << 20,
            artifact_bytes: 4 << 30,
            stall: Duration::from_secs(60),
            min_rate: 64,
            retries: 2,
            backoff: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(60),
            per_host: 8,
        }
    }
}

/// A page of an API answer.
#[derive(Debug, Clone)]
pub struct ApiPage {
    /// The body, content-decoded.
    pub body: Vec<u8>,
    /// The next page (`Link: <…>; rel="next"`), if any.
    pub next: Option<String>,
}

/// The HTTP client: one per run, so connections are reused across projects.
pub struct Http {
    pub(super) client: reqwest::Client,
    /// The limits in force.
    pub limits: Limits,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// The status of URLs found absent (404, 410 or 403; see [`is_absent`]), for messages.
    pub(super) absent: Mutex<HashMap<String, StatusCode>>,
    cache: Option<crate::net::cache::PageCache>,
    /// Hosts watch files allowed over plain http (`[source] plain_http = true`).
    plain_http: Arc<Mutex<Vec<String>>>,
    /// Counters for this run.
    pub stats: Stats,
}

/// Requests and bytes of one run (reported with `-v` and in JSON).
#[derive(Debug, Default)]
pub struct Stats {
    /// HTTP requests sent (retries included).
    pub requests: AtomicU64,
    /// Body bytes received.
    pub bytes: AtomicU64,
    /// Pages answered 304 Not Modified from the cache.
    pub not_modified: AtomicU64,
}

impl Stats {
    /// A JSON summary.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "requests": self.requests.load(Ordering::Relaxed),
            "bytes": self.bytes.load(Ordering::Relaxed),
            "not_modified": self.not_modified.load(Ordering::Relaxed),
        })
    }
}

/// Parses a URL and checks it against the URL policy ([`crate::base::url`]).
pub fn check_url(url: &str) -> Result<Url, NetError> {
    crate::base::url::check(url).map_err(|refusal| NetError::Policy {
        url: url.to_string(),
        refusal,
    })
}

/// What one successful exchange gave (the body went to the sink).
pub(super) struct Got {
    pub(super) url: Url,
    pub(super) headers: HeaderMap,
    pub(super) not_modified: bool,
    /// 200, 304, or 404/410 for an absent resource (then nothing went to the sink).
    pub(super) status: StatusCode,
}

/// How one exchange ended: done, or worth another try (after the wait the server asked).
pub(super) enum Attempt<T> {
    Done(T),
    Retry(NetError, Option<Duration>),
}

impl Http {
    /// Builds the client; `cache` is the page cache directory, if any.
    pub fn new(limits: Limits, cache: Option<std::path::PathBuf>) -> anyhow::Result<Http> {
        let plain_http: Arc<Mutex<Vec<String>>> = Arc::default();
        let allowed_hosts = plain_http.clone();
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            let to = attempt.url().clone();
            if attempt.previous().len() >= 10 {
                return attempt.error(format!("more than 10 redirects (last to {to})"));
            }
            let from_https = attempt.previous().iter().any(|u| u.scheme() == "https");
            let http_allowed = crate::base::url::is_loopback(&to)
                || allowed_hosts
                    .lock()
                    .is_ok_and(|hosts| crate::base::url::allowed_with(&to, &hosts).is_ok());
            if to.scheme() == "http" && (from_https || !http_allowed) {
                return attempt.error(format!("redirect to plain http ({to}) refused"));
            }
            if to.scheme() != "http" && to.scheme() != "https" {
                return attempt.error(format!("redirect to {to} refused"));
            }
            attempt.follow()
        });
        // rustls's crypto: ring (see Cargo.toml). Installing twice (a second client in one
        // process) is refused by rustls and harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("sigwatch/", env!("CARGO_PKG_VERSION")))
            .redirect(policy)
            .connect_timeout(limits.stall.min(Duration::from_secs(30)))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| anyhow::anyhow!("cannot set up the HTTP client: {e}"))?;
        Ok(Http {
            client,
            limits,
            hosts: Mutex::new(HashMap::new()),
            absent: Mutex::new(HashMap::new()),
            cache: cache.map(crate::net::cache::PageCache::new),
            plain_http,
            stats: Stats::default(),
        })
    }

    /// Allows plain http to `hosts` for the rest of the run: a watch file's
    /// `[source] plain_http = true` for a release host that has no https.
    pub fn allow_plain_http(&self, hosts: &[String]) {
        if hosts.is_empty() {
            return;
        }
        if let Ok(mut allowed) = self.plain_http.lock() {
            for h in hosts {
                if !allowed.iter().any(|a| a.eq_ignore_ascii_case(h)) {
                    allowed.push(h.clone());
                }
            }
        }
    }

    /// [`check_url`], honouring the hosts allowed over plain http.
    fn check_url(&self, url: &str) -> Result<Url, NetError> {
        if let Ok(parsed) = Url::parse(url)
            && parsed.scheme() == "http"
            && self
                .plain_http
                .lock()
                .is_ok_and(|hosts| crate::base::url::allowed_with(&parsed, &hosts).is_ok())
        {
            return Ok(parsed);
        }
        check_url(url)
    }

    /// Ends the run: writes the page cache (once) and returns its warnings, if any.
    pub fn finish(&self) -> Vec<String> {
        self.cache.as_ref().map(|c| c.save()).unwrap_or_default()
    }

    /// How an absent URL answered: "404 Not Found", "410 Gone" or "403 Forbidden".
    pub fn absent_status(&self, url: &str) -> String {
        self.absent_code(url).to_string()
    }

    /// Remembers how `url` answered when it was found absent, for [`Http::absent_code`].
    pub(super) fn note_absent(&self, url: &str, status: StatusCode) {
        self.absent
            .lock()
            .expect("absent-status lock")
            .insert(url.to_string(), status);
    }

    /// How an absent URL answered: 404, 410 or 403.
    pub fn absent_code(&self, url: &str) -> StatusCode {
        self.absent
            .lock()
            .expect("absent-status lock")
            .get(url)
            .copied()
            .unwrap_or(StatusCode::NOT_FOUND)
    }

    fn host_slot(&self, url: &Url) -> Arc<Semaphore> {
        let key = format!(
            "{}:{}",
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(0)
        );
        let mut hosts = self
            .hosts
            .lock()
            .expect("host table lock is never poisoned by a panic-free section");
        hosts
            .entry(key)
            .or_insert_with(|| Arc::new(Semaphore::new(self.limits.per_host.max(1))))
            .clone()
    }

    /// Fetches a page (index, listing): capped, content-decoded. 404 and other errors fail.
    ///
    /// With a cache directory, pages are revalidated with ETag / Last-Modified, so an
    /// unchanged page costs a 304 and no body.
    pub async fn get_page(&self, url: &str, accept: &str) -> Result<Page, NetError> {
        let cached = self.cache.as_ref().and_then(|c| c.load(url, accept));
        let conditional = cached.as_ref().map(|c| c.conditional()).unwrap_or_default();
        match self
            .get(url, accept, self.limits.page_bytes, true, &conditional)
            .await?
        {
            Some((page, true)) => {
                if let (Some(cache), Some(_)) = (&self.cache, &cached) {
                    cache.revalidated(url, accept);
                }
                Ok(cached.map(|c| c.page).unwrap_or(page))
            }
            Some((page, false)) => {
                if let Some(cache) = &self.cache {
                    cache.store(url, accept, &page);
                }
                Ok(page)
            }
            None => Err(NetError::Status {
                url: url.to_string(),
                status: self.absent_code(url),
            }),
        }
    }

    /// Fetches one page of a JSON API with extra request headers (e.g. a token, which is
    /// never logged), and the `Link: rel="next"` URL of the following page.
    pub async fn get_api(
        &self,
        url: &str,
        accept: &str,
        headers: &[(header::HeaderName, String)],
    ) -> Result<ApiPage, NetError> {
        match self
            .get(url, accept, self.limits.page_bytes, true, headers)
            .await?
        {
            Some((page, _)) => {
                let next = page.link_next.clone();
                Ok(ApiPage {
                    body: page.body,
                    next,
                })
            }
            None => Err(NetError::NoProject {
                url: url.to_string(),
                status: self.absent_code(url),
            }),
        }
    }

    /// Fetches a small file (signature, checksums) that may be absent: 404, 410 and 403 give
    /// `None`.
    pub async fn get_optional(&self, url: &str) -> Result<Option<Page>, NetError> {
        Ok(self
            .get(url, "*/*", self.limits.signature_bytes, false, &[])
            .await?
            .map(|(page, _)| page))
    }

    async fn get(
        &self,
        url: &str,
        accept: &str,
        cap: u64,
        decode: bool,
        conditional: &[(header::HeaderName, String)],
    ) -> Result<Option<(Page, bool)>, NetError> {
        let mut body = Vec::new();
        let got = self
            .fetch(url, accept, cap, None, &mut body, conditional)
            .await?;
        let Some(Got {
            url: final_url,
            headers,
            not_modified,
            status,
        }) = got
        else {
            return Ok(None);
        };
        if is_absent(status) {
            // Recorded under the caller's spelling of the URL too, for messages.
            self.note_absent(url, status);
            return Ok(None);
        }
        let encoding = headers
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let body = if decode && !encoding.is_empty() && encoding != "identity" {
            decode_body(&encoding, &body, cap).map_err(|cause| NetError::Transfer {
                url: url.to_string(),
                cause,
            })?
        } else {
            body
        };
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let etag = headers
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let last_modified = headers
            .get(header::LAST_MODIFIED)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let link_next = link_next(&headers, &final_url);
        Ok(Some((
            Page {
                url: final_url,
                content_type,
                body,
                etag,
                last_modified,
                link_next,
            },
            not_modified,
        )))
    }

    /// Streams `url` into `sink`, at most `cap` bytes (and exactly `expected_size` when known).
    /// Returns false on 404/410. Never content-decodes.
    pub async fn download(
        &self,
        url: &str,
        cap: u64,
        expected_size: Option<u64>,
        sink: &mut (dyn Sink + Send),
    ) -> Result<bool, NetError> {
        let got = self
            .fetch(url, "*/*", cap, expected_size, sink, &[])
            .await?;
        Ok(got.is_some_and(|g| g.status.is_success()))
    }

    /// The retry loop around one request.
    async fn fetch(
        &self,
        url: &str,
        accept: &str,
        cap: u64,
        expected_size: Option<u64>,
        sink: &mut (dyn Sink + Send),
        conditional: &[(header::HeaderName, String)],
    ) -> Result<Option<Got>, NetError> {
        let parsed = self.check_url(url)?;
        let slot = self.host_slot(&parsed);
        let mut backoff = self.limits.backoff;
        let mut attempt = 0;
        loop {
            let permit = slot.acquire().await.expect("semaphores are never closed");
            let result = self
                .attempt(&parsed, accept, cap, expected_size, sink, conditional)
                .await;
            drop(permit);
            match result {
                Ok(Attempt::Done(v)) => return Ok(v),
                Ok(Attempt::Retry(failure, wait)) => {
                    if attempt >= self.limits.retries {
                        return Err(failure);
                    }
                    attempt += 1;
                    let wait = wait.unwrap_or(backoff);
                    backoff = backoff.saturating_mul(2);
                    sink.reset().map_err(|e| {
                        LocalIo::new(format_args!("{url}: cannot restart the download"), e)
                    })?;
                    tokio::time::sleep(wait).await;
                }
                Err(failure) => return Err(failure),
            }
        }
    }
}

/// Whether `status` means the resource is absent: 404, 410, and 403, which object stores
/// (S3) answer for a missing file. Callers decide what absence means: a page must exist, a
/// signature template may be absent.
pub(super) fn is_absent(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::NOT_FOUND | StatusCode::GONE | StatusCode::FORBIDDEN
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_only_allowed_to_loopback() {
        assert!(check_url("http://127.0.0.1:8080/x").is_ok());
        assert!(check_url("http://localhost/x").is_ok());
        assert!(check_url("http://[::1]/x").is_ok());
        assert!(check_url("https://example.org/x").is_ok());
        let e = crate::error::Failure::from(check_url("http://example.org/x").unwrap_err());
        assert!(e.message.contains("plain http"));
        assert!(check_url("ftp://example.org/x").is_err());
    }
}
