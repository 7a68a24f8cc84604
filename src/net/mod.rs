//! The network: the HTTP client and the page cache, below sources and fetching.
//!
//! `http` uses `cache`; `cache` knows only [`Page`]. Nothing here knows what a watch file,
//! a release or a signature is.

pub mod cache;
pub mod http;

pub use http::{Http, Limits, Sink};

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
