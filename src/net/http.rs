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

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap};
use reqwest::{StatusCode, Url};
use tokio::sync::Semaphore;

use super::Page;
use crate::error::{Failure, Kind, network};

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

/// Something a download streams into; `reset` starts over before a retry.
pub trait Sink {
    /// Takes the next chunk.
    fn write(&mut self, chunk: &[u8]) -> std::io::Result<()>;
    /// Discards what was written so far.
    fn reset(&mut self) -> std::io::Result<()>;
}

impl Sink for Vec<u8> {
    fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.extend_from_slice(chunk);
        Ok(())
    }
    fn reset(&mut self) -> std::io::Result<()> {
        self.clear();
        Ok(())
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

/// The `rel="next"` target of a Link header (RFC 8288), resolved against `base`.
pub fn link_next(headers: &HeaderMap, base: &Url) -> Option<String> {
    for value in headers.get_all(header::LINK) {
        let Ok(value) = value.to_str() else { continue };
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let target = pieces.next()?.trim();
            let target = target.strip_prefix('<')?.strip_suffix('>')?;
            let is_next = pieces.any(|p| {
                let p = p.trim();
                p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
            });
            if is_next {
                return base.join(target).ok().map(String::from);
            }
        }
    }
    None
}

/// The HTTP client: one per run, so connections are reused across projects.
pub struct Http {
    client: reqwest::Client,
    /// The limits in force.
    pub limits: Limits,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// The status of URLs found absent (404 or 410), for messages.
    absent: Mutex<HashMap<String, StatusCode>>,
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
pub fn check_url(url: &str) -> Result<Url, Failure> {
    use crate::base::url::Refusal;
    crate::base::url::check(url).map_err(|refusal| {
        let kind = match refusal {
            Refusal::Invalid(_) => Kind::Config,
            Refusal::PlainHttp | Refusal::Scheme(_) => Kind::Network,
        };
        let failure = Failure::new(kind, format!("{url}: {refusal}"));
        match refusal.hint() {
            Some(h) if kind == Kind::Network => failure.hint(h),
            _ => failure,
        }
    })
}

/// What one successful exchange gave (the body went to the sink).
struct Got {
    url: Url,
    headers: HeaderMap,
    not_modified: bool,
    /// 200, 304, or 404/410 for an absent resource (then nothing went to the sink).
    status: StatusCode,
}

enum Attempt<T> {
    Done(T),
    Retry(Failure, Option<Duration>),
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
    fn check_url(&self, url: &str) -> Result<Url, Failure> {
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

    /// How an absent URL answered: "404 Not Found" or "410 Gone".
    pub fn absent_status(&self, url: &str) -> String {
        self.absent
            .lock()
            .expect("absent-status lock")
            .get(url)
            .copied()
            .unwrap_or(StatusCode::NOT_FOUND)
            .to_string()
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
    pub async fn get_page(&self, url: &str, accept: &str) -> Result<Page, Failure> {
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
            None => Err(network(format!("{url}: HTTP {}", self.absent_status(url)))),
        }
    }

    /// Fetches one page of a JSON API with extra request headers (e.g. a token, which is
    /// never logged), and the `Link: rel="next"` URL of the following page.
    pub async fn get_api(
        &self,
        url: &str,
        accept: &str,
        headers: &[(header::HeaderName, String)],
    ) -> Result<ApiPage, Failure> {
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
            None => Err(crate::error::source(format!(
                "{url}: HTTP {} (no such project, or it is private)",
                self.absent_status(url)
            ))
            .hint("check the project in the watch file; private projects need token_env")),
        }
    }

    /// Fetches a small file (signature, checksums) that may be absent: 404/410 give `None`.
    pub async fn get_optional(&self, url: &str) -> Result<Option<Page>, Failure> {
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
    ) -> Result<Option<(Page, bool)>, Failure> {
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
        if matches!(
            status,
            StatusCode::NOT_FOUND | StatusCode::GONE | StatusCode::FORBIDDEN
        ) {
            // Recorded under the caller's spelling of the URL too, for messages.
            self.absent
                .lock()
                .expect("absent-status lock")
                .insert(url.to_string(), status);
            return Ok(None);
        }
        let encoding = headers
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let body = if decode && !encoding.is_empty() && encoding != "identity" {
            decode_body(&encoding, &body, cap).map_err(|m| network(format!("{url}: {m}")))?
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
    ) -> Result<bool, Failure> {
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
    ) -> Result<Option<Got>, Failure> {
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
                    sink.reset()
                        .map_err(|e| network(format!("{url}: cannot restart the download: {e}")))?;
                    tokio::time::sleep(wait).await;
                }
                Err(failure) => return Err(failure),
            }
        }
    }

    async fn attempt(
        &self,
        url: &Url,
        accept: &str,
        cap: u64,
        expected_size: Option<u64>,
        sink: &mut (dyn Sink + Send),
        conditional: &[(header::HeaderName, String)],
    ) -> Result<Attempt<Option<Got>>, Failure> {
        let limits = &self.limits;
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let mut request = self.client.get(url.clone()).header(header::ACCEPT, accept);
        for (name, value) in conditional {
            request = request.header(name, value);
        }
        let request = request.send();
        let response = match tokio::time::timeout(limits.stall, request).await {
            // A stalled server is given up, not retried: the stall time is a promise.
            Err(_) => {
                return Err(network(format!(
                    "{url}: {} sent no response within {} s",
                    url.host_str().unwrap_or("the server"),
                    limits.stall.as_secs()
                ))
                .hint(format!(
                    "the server or the network is slow: run again, or wait longer with --timeout (now {} s){}",
                    limits.stall.as_secs(),
                    proxy_note()
                )));
            }
            Ok(Err(e)) => {
                let failure = if e.is_redirect() || e.is_builder() {
                    // Refused by sigwatch's own policy: its text says why.
                    network(format!("{url}: {}", describe(&e)))
                } else {
                    unreachable(url, &e, limits.stall)
                };
                return if e.is_redirect() || e.is_builder() {
                    Err(failure)
                } else {
                    Ok(Attempt::Retry(failure, None))
                };
            }
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED && !conditional.is_empty() {
            self.stats.not_modified.fetch_add(1, Ordering::Relaxed);
            return Ok(Attempt::Done(Some(Got {
                url: response.url().clone(),
                headers: response.headers().clone(),
                not_modified: true,
                status,
            })));
        }
        if (status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS)
            && let Some(reset) = rate_limit_reset(response.headers())
        {
            return Err(network(format!(
                "{url}: HTTP {status}: the API rate limit is exhausted until {}",
                reset.map_or_else(|| "a time too far to print".to_string(), rfc3339_checked)
            ))
            .hint(
                "run again after that time, or set token_env in the watch file to an API token",
            ));
        }
        // Absent: 404 and 410, and 403, which object stores (S3) answer for a missing file.
        // Callers decide: a page must exist, a signature template may be absent.
        if matches!(
            status,
            StatusCode::NOT_FOUND | StatusCode::GONE | StatusCode::FORBIDDEN
        ) {
            self.absent
                .lock()
                .expect("absent-status lock")
                .insert(url.to_string(), status);
            return Ok(Attempt::Done(Some(Got {
                url: response.url().clone(),
                headers: HeaderMap::new(),
                not_modified: false,
                status,
            })));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait = retry_after(response.headers());
            return match wait {
                Some(w) if w > limits.max_retry_after => Err(network(format!(
                    "{url}: HTTP 429 Too Many Requests; the server asks to wait {} s, longer than the {} s sigwatch waits",
                    w.as_secs(),
                    limits.max_retry_after.as_secs()
                ))
                .hint("run again later, or lower --jobs")),
                w => Ok(Attempt::Retry(network(format!("{url}: HTTP 429 Too Many Requests")), w)),
            };
        }
        if status.is_server_error() {
            return match retry_after(response.headers()) {
                Some(w) if w > limits.max_retry_after => Err(network(format!(
                    "{url}: HTTP {status}; the server asks to wait {} s, longer than the {} s sigwatch waits",
                    w.as_secs(),
                    limits.max_retry_after.as_secs()
                ))
                .hint("run again later")),
                wait => Ok(Attempt::Retry(network(format!("{url}: HTTP {status}")), wait)),
            };
        }
        if !status.is_success() {
            return Err(network(format!("{url}: HTTP {status}")));
        }
        let final_url = response.url().clone();
        let headers = response.headers().clone();
        let declared = response.content_length();
        if let Some(len) = declared {
            if len > cap {
                return Err(network(format!(
                    "{url}: the server announces {len} bytes, more than the cap of {}",
                    human_size(cap)
                )));
            }
            if let Some(expected) = expected_size
                && len != expected
            {
                return Err(Failure::new(
                    Kind::Digest,
                    format!(
                        "{url}: the server announces {len} bytes, but the index says {expected}"
                    ),
                ));
            }
        }
        let cap = expected_size.map_or(cap, |e| e.min(cap));
        let mut response = response;
        let mut total: u64 = 0;
        let mut window_start = Instant::now();
        let mut window_bytes: u64 = 0;
        loop {
            let chunk = match tokio::time::timeout(limits.stall, response.chunk()).await {
                Err(_) => {
                    return Err(network(format!(
                        "{url}: the server stopped sending for {} s after {total} bytes",
                        limits.stall.as_secs()
                    )));
                }
                Ok(Err(e)) => {
                    return Ok(Attempt::Retry(
                        network(format!(
                            "{url}: the transfer broke after {total} bytes: {}",
                            describe(&e)
                        )),
                        None,
                    ));
                }
                Ok(Ok(None)) => break,
                Ok(Ok(Some(c))) => c,
            };
            total += chunk.len() as u64;
            self.stats
                .bytes
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
            if total > cap {
                let what = if expected_size.is_some_and(|e| e <= cap) {
                    return Err(Failure::new(
                        Kind::Digest,
                        format!(
                            "{url}: the server sent more than the {} bytes the index states",
                            cap
                        ),
                    ));
                } else {
                    human_size(cap)
                };
                return Err(network(format!(
                    "{url}: the response is larger than the cap of {what}"
                )));
            }
            sink.write(&chunk).map_err(|e| {
                Failure::new(
                    Kind::Config,
                    format!("{url}: cannot store the download: {e}"),
                )
            })?;
            window_bytes += chunk.len() as u64;
            let elapsed = window_start.elapsed();
            if elapsed >= limits.stall {
                if window_bytes < limits.min_rate.saturating_mul(elapsed.as_secs()) {
                    return Err(network(format!(
                        "{url}: too slow: {window_bytes} bytes in {} s, below the minimum of {} bytes/s",
                        elapsed.as_secs(),
                        limits.min_rate
                    )));
                }
                window_start = Instant::now();
                window_bytes = 0;
            }
        }
        if let Some(len) = declared
            && total < len
        {
            return Ok(Attempt::Retry(
                network(format!(
                    "{url}: the connection closed after {total} of {len} bytes"
                )),
                None,
            ));
        }
        if let Some(expected) = expected_size
            && total != expected
        {
            return Err(Failure::new(
                Kind::Digest,
                format!(
                    "{url}: received {total} bytes, but the index says the file has {expected}"
                ),
            ));
        }
        Ok(Attempt::Done(Some(Got {
            url: final_url,
            headers,
            not_modified: false,
            status,
        })))
    }
}

/// When an exhausted API rate limit resets: GitHub's `x-ratelimit-remaining: 0` with
/// `x-ratelimit-reset` (epoch seconds), GitLab's `ratelimit-remaining`/`ratelimit-reset`.
fn rate_limit_reset(headers: &HeaderMap) -> Option<Option<std::time::SystemTime>> {
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
    Some(std::time::UNIX_EPOCH.checked_add(Duration::from_secs(reset)))
}

/// RFC 3339 for times humantime can print (years up to 9999), else seconds since the epoch.
fn rfc3339_checked(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if secs < 253_402_300_800 {
        humantime::format_rfc3339_seconds(t).to_string()
    } else {
        format!("{secs} seconds after 1970")
    }
}

/// The Retry-After header as a duration (delta-seconds or an HTTP date).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate_parse(value)?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

fn httpdate_parse(value: &str) -> Option<std::time::SystemTime> {
    humantime::parse_rfc3339_weak(value).ok().or_else(|| {
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
        let parts: Vec<&str> = value.split_whitespace().collect();
        if parts.len() != 6 {
            return None;
        }
        let month = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ]
        .iter()
        .position(|m| *m == parts[2])?
            + 1;
        let text = format!(
            "{}-{:02}-{:02}T{}Z",
            parts[3],
            month,
            parts[1].parse::<u8>().ok()?,
            parts[4]
        );
        humantime::parse_rfc3339(&text).ok()
    })
}

fn decode_body(encoding: &str, body: &[u8], cap: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let reader: Box<dyn Read + '_> = match encoding {
        "gzip" | "x-gzip" => Box::new(flate2::read::MultiGzDecoder::new(body)),
        "deflate" => Box::new(flate2::read::ZlibDecoder::new(body)),
        other => return Err(format!("unsupported Content-Encoding {other:?}")),
    };
    let mut out = Vec::new();
    let n = reader
        .take(cap + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("cannot decode the {encoding} body: {e}"))?;
    if n as u64 > cap {
        return Err(format!(
            "the decoded body is larger than the cap of {}",
            human_size(cap)
        ));
    }
    Ok(out)
}

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
fn proxy_note() -> String {
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
fn unreachable(url: &Url, e: &reqwest::Error, stall: Duration) -> Failure {
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
    network(format!("cannot reach {host} for {url}: {why}"))
        .hint(format!("{check}{}", proxy_note()))
}

/// Describes a reqwest error by its causes, on one line, without repeating the URL.
fn describe(e: &reqwest::Error) -> String {
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

/// Bytes as KiB/MiB/GiB for messages.
pub fn human_size(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes.is_multiple_of(1 << 30) {
        format!("{} GiB", bytes >> 30)
    } else if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// Writes into a `Vec`, for small bodies.
impl Sink for std::io::Cursor<Vec<u8>> {
    fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.write_all(chunk)
    }
    fn reset(&mut self) -> std::io::Result<()> {
        self.get_mut().clear();
        self.set_position(0);
        Ok(())
    }
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
        let e = check_url("http://example.org/x").unwrap_err();
        assert!(e.message.contains("plain http"));
        assert!(check_url("ftp://example.org/x").is_err());
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, "120".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(120)));
        h.insert(
            header::RETRY_AFTER,
            "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
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

    #[test]
    fn decoded_size_counts_against_the_cap() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![0u8; 1 << 20]).unwrap();
        let bomb = enc.finish().unwrap();
        assert!(bomb.len() < 10_000);
        assert!(
            decode_body("gzip", &bomb, 1 << 16)
                .unwrap_err()
                .contains("cap")
        );
        assert_eq!(decode_body("gzip", &bomb, 2 << 20).unwrap().len(), 1 << 20);
    }
}
