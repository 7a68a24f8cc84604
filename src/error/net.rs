//! The network's boundary: a URL that may not be fetched, a host that does not answer, an
//! HTTP error, a transfer broken off or over its limits.

use reqwest::StatusCode;

use super::{Boundary, Kind, LocalIo};
use crate::base::url::Refusal;

/// A request that failed, naming its URL and the status or cause.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The URL policy refused the URL before any request.
    #[error("{url}: {refusal}")]
    Policy {
        /// The URL as given.
        url: String,
        /// Why it may not be fetched.
        refusal: Refusal,
    },
    /// No answer: the name does not resolve, nothing listens, TLS failed, no connection.
    #[error("cannot reach {host} for {url}: {why}")]
    Unreachable {
        /// The URL requested.
        url: String,
        /// Its host.
        host: String,
        /// Why there was no answer.
        why: String,
        /// What to check (with a note on proxies).
        check: String,
    },
    /// Connected, but no response headers within the stall time.
    #[error("{url}: {host} sent no response within {stall_secs} s")]
    NoResponse {
        /// The URL requested.
        url: String,
        /// Its host.
        host: String,
        /// The stall time, in seconds.
        stall_secs: u64,
        /// What to do (with a note on proxies).
        check: String,
    },
    /// An HTTP error status (a page that must exist, a server error after retries).
    #[error("{url}: HTTP {status}")]
    Status {
        /// The URL requested.
        url: String,
        /// The status.
        status: StatusCode,
    },
    /// A forge API answered 403/404/410 for the project.
    #[error("{url}: HTTP {status} (no such project, or it is private)")]
    NoProject {
        /// The API URL.
        url: String,
        /// The status.
        status: StatusCode,
    },
    /// An API rate limit is exhausted.
    #[error("{url}: HTTP {status}: the API rate limit is exhausted until {until}")]
    RateLimited {
        /// The API URL.
        url: String,
        /// 403 or 429.
        status: StatusCode,
        /// When it resets, in RFC 3339.
        until: String,
    },
    /// The server asks to wait longer than sigwatch waits (429 or 5xx with Retry-After).
    #[error(
        "{url}: HTTP {status}; the server asks to wait {wait_secs} s, longer than the {max_secs} s sigwatch waits"
    )]
    WaitTooLong {
        /// The URL requested.
        url: String,
        /// 429 or a 5xx.
        status: StatusCode,
        /// The wait asked for, in seconds.
        wait_secs: u64,
        /// The longest wait sigwatch honours, in seconds.
        max_secs: u64,
    },
    /// The transfer broke off, stalled, crawled, exceeded its cap or could not be decoded,
    /// or a redirect was refused.
    #[error("{url}: {cause}")]
    Transfer {
        /// The URL requested.
        url: String,
        /// What happened.
        cause: String,
    },
    /// The size the server announces or sends differs from the size the index states.
    #[error("{url}: {mismatch}")]
    Size {
        /// The URL requested.
        url: String,
        /// The sizes that differ.
        mismatch: String,
    },
    /// The bytes arrived but could not be stored locally.
    #[error(transparent)]
    Store(#[from] LocalIo),
}

impl Boundary for NetError {
    fn kind(&self) -> Kind {
        match self {
            NetError::Policy {
                refusal: Refusal::Invalid(_),
                ..
            } => Kind::Config,
            NetError::NoProject { .. } => Kind::Source,
            NetError::Size { .. } => Kind::Digest,
            NetError::Store(io) => io.kind(),
            _ => Kind::Network,
        }
    }

    fn next_step(&self) -> Option<&str> {
        match self {
            NetError::Policy { refusal, .. } => refusal.hint(),
            NetError::Unreachable { check, .. } | NetError::NoResponse { check, .. } => Some(check),
            NetError::NoProject { .. } => {
                Some("check the project in the watch file; private projects need token_env")
            }
            NetError::RateLimited { .. } => Some(
                "run again after that time, or set token_env in the watch file to an API token",
            ),
            NetError::WaitTooLong { status, .. } if *status == StatusCode::TOO_MANY_REQUESTS => {
                Some("run again later, or lower --jobs")
            }
            NetError::WaitTooLong { .. } => Some("run again later"),
            NetError::Store(io) => io.next_step(),
            _ => None,
        }
    }
}
