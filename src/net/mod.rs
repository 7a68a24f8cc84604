//! The network: the HTTP client and the page cache, below sources and fetching.
//!
//! `http` (the client, its policy and retries) uses `transfer` (one exchange within the
//! limits), `headers` (Link, Retry-After, rate limits), `diagnose` (why a host did not
//! answer) and `cache`; `cache` knows only [`Page`]. Nothing here knows what a watch file,
//! a release or a signature is.

pub mod cache;
mod diagnose;
pub mod headers;
pub mod http;
pub mod transfer;

pub use crate::error::NetError as Error;
pub use http::{Http, Limits};
pub use transfer::{Sink, human_size};

use reqwest::Url;

/// A fetched page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL after redirects (links resolve against it).
    pub url: Url,
    /// The Content-Type header, if any.
    pub content_type: Option<String>,
    /// The body, content-decoded.
    pub body: Vec<u8>,
    /// The ETag validator, if any.
    pub etag: Option<String>,
    /// The Last-Modified validator, if any.
    pub last_modified: Option<String>,
    /// The next page of a paginated API answer.
    pub link_next: Option<String>,
}
