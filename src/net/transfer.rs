//! One exchange with a server, within the limits: status handling (absent, not modified,
//! rate limits, retries), then the body streamed into a [`Sink`] under the size cap, the
//! stall time and the minimum rate; pages' Content-Encoding decoded under the same cap.

use std::io::Write as _;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap};
use reqwest::{StatusCode, Url};

use super::diagnose::{describe, proxy_note, unreachable};
use super::headers::{rate_limit_reset, retry_after, rfc3339_checked};
use super::http::{Attempt, Got, Http, Limits, is_absent};
use crate::error::{LocalIo, NetError};

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

impl Http {
    /// One request and its response, within the limits: the body goes to `sink`.
    pub(super) async fn attempt(
        &self,
        url: &Url,
        accept: &str,
        cap: u64,
        expected_size: Option<u64>,
        sink: &mut (dyn Sink + Send),
        conditional: &[(header::HeaderName, String)],
    ) -> Result<Attempt<Option<Got>>, NetError> {
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
                return Err(NetError::NoResponse {
                    url: url.to_string(),
                    host: url.host_str().unwrap_or("the server").to_string(),
                    stall_secs: limits.stall.as_secs(),
                    check: format!(
                        "the server or the network is slow: run again, or wait longer with --timeout (now {} s){}",
                        limits.stall.as_secs(),
                        proxy_note()
                    ),
                });
            }
            Ok(Err(e)) => {
                let failure = if e.is_redirect() || e.is_builder() {
                    // Refused by sigwatch's own policy: its text says why.
                    NetError::Transfer {
                        url: url.to_string(),
                        cause: describe(&e),
                    }
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
            return Err(NetError::RateLimited {
                url: url.to_string(),
                status,
                until: reset.map_or_else(|| "a time too far to print".to_string(), rfc3339_checked),
            });
        }
        if is_absent(status) {
            self.note_absent(url.as_str(), status);
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
                Some(w) if w > limits.max_retry_after => Err(wait_too_long(url, status, w, limits)),
                w => Ok(Attempt::Retry(status_error(url, status), w)),
            };
        }
        if status.is_server_error() {
            return match retry_after(response.headers()) {
                Some(w) if w > limits.max_retry_after => Err(wait_too_long(url, status, w, limits)),
                wait => Ok(Attempt::Retry(status_error(url, status), wait)),
            };
        }
        if !status.is_success() {
            return Err(status_error(url, status));
        }
        let final_url = response.url().clone();
        let headers = response.headers().clone();
        let declared = response.content_length();
        if let Some(len) = declared {
            if len > cap {
                return Err(transfer(
                    url,
                    format!(
                        "the server announces {len} bytes, more than the cap of {}",
                        human_size(cap)
                    ),
                ));
            }
            if let Some(expected) = expected_size
                && len != expected
            {
                return Err(NetError::Size {
                    url: url.to_string(),
                    mismatch: format!(
                        "the server announces {len} bytes, but the index says {expected}"
                    ),
                });
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
                    return Err(transfer(
                        url,
                        format!(
                            "the server stopped sending for {} s after {total} bytes",
                            limits.stall.as_secs()
                        ),
                    ));
                }
                Ok(Err(e)) => {
                    return Ok(Attempt::Retry(
                        transfer(
                            url,
                            format!("the transfer broke after {total} bytes: {}", describe(&e)),
                        ),
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
                    return Err(NetError::Size {
                        url: url.to_string(),
                        mismatch: format!(
                            "the server sent more than the {} bytes the index states",
                            cap
                        ),
                    });
                } else {
                    human_size(cap)
                };
                return Err(transfer(
                    url,
                    format!("the response is larger than the cap of {what}"),
                ));
            }
            // The local disk, not the network: a full disk or a --dest sigwatch may not
            // write names itself (exit 3), never "configuration".
            sink.write(&chunk)
                .map_err(|e| LocalIo::new(format_args!("{url}: cannot store the download"), e))?;
            window_bytes += chunk.len() as u64;
            let elapsed = window_start.elapsed();
            if elapsed >= limits.stall {
                if window_bytes < limits.min_rate.saturating_mul(elapsed.as_secs()) {
                    return Err(transfer(
                        url,
                        format!(
                            "too slow: {window_bytes} bytes in {} s, below the minimum of {} bytes/s",
                            elapsed.as_secs(),
                            limits.min_rate
                        ),
                    ));
                }
                window_start = Instant::now();
                window_bytes = 0;
            }
        }
        if let Some(len) = declared
            && total < len
        {
            return Ok(Attempt::Retry(
                transfer(
                    url,
                    format!("the connection closed after {total} of {len} bytes"),
                ),
                None,
            ));
        }
        if let Some(expected) = expected_size
            && total != expected
        {
            return Err(NetError::Size {
                url: url.to_string(),
                mismatch: format!(
                    "received {total} bytes, but the index says the file has {expected}"
                ),
            });
        }
        Ok(Attempt::Done(Some(Got {
            url: final_url,
            headers,
            not_modified: false,
            status,
        })))
    }
}

/// A transfer that failed at `url` for `cause`.
fn transfer(url: &Url, cause: String) -> NetError {
    NetError::Transfer {
        url: url.to_string(),
        cause,
    }
}

/// An HTTP error status at `url`.
fn status_error(url: &Url, status: StatusCode) -> NetError {
    NetError::Status {
        url: url.to_string(),
        status,
    }
}

/// A 429 or 5xx whose Retry-After is longer than sigwatch waits.
fn wait_too_long(url: &Url, status: StatusCode, wait: Duration, limits: &Limits) -> NetError {
    NetError::WaitTooLong {
        url: url.to_string(),
        status,
        wait_secs: wait.as_secs(),
        max_secs: limits.max_retry_after.as_secs(),
    }
}

pub(super) fn decode_body(encoding: &str, body: &[u8], cap: u64) -> Result<Vec<u8>, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A sink on a full disk.
    struct FullDisk;

    impl Sink for FullDisk {
        fn write(&mut self, _: &[u8]) -> std::io::Result<()> {
            Err(std::io::ErrorKind::StorageFull.into())
        }
        fn reset(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_download_the_disk_cannot_take_is_local_io_naming_the_url_not_configuration() {
        use std::io::{Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/x.tar.gz", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = [0u8; 4096];
            let _ = conn.read(&mut request).unwrap();
            conn.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nbytes",
            )
            .unwrap();
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let http = Http::new(Limits::default(), None).unwrap();
        let err = runtime
            .block_on(http.download(&url, 1 << 20, None, &mut FullDisk))
            .unwrap_err();
        server.join().unwrap();
        let failure = crate::error::Failure::from(err);
        assert_eq!(failure.kind, crate::error::Kind::Io);
        assert_eq!(failure.kind.exit().code(), 3);
        assert!(
            failure
                .message
                .starts_with(&format!("{url}: cannot store the download: ")),
            "{}",
            failure.message
        );
        assert!(failure.hint.is_some_and(|h| h.contains("disk is full")));
    }
}
