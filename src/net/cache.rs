//! A small on-disk cache of index pages and listings, revalidated with ETag / Last-Modified,
//! so a second `check` of unchanged projects transfers almost nothing.
//!
//! Lives in the user's cache directory (`$XDG_CACHE_HOME/sigwatch/pages`, override with
//! `SIGWATCH_CACHE_DIR`, disable with `--no-cache`). Only pages are cached, never signatures
//! or artifacts, and a cached page is only used after the server answered 304 for it. Every
//! write is atomic; an unreadable entry is ignored.

use std::io::Write as _;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Page;

/// The default cache directory.
pub fn default_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("SIGWATCH_CACHE_DIR")
        && !dir.is_empty()
    {
        return Some(PathBuf::from(dir));
    }
    dirs::cache_dir().map(|d| d.join("sigwatch").join("pages"))
}

/// The page cache.
#[derive(Debug)]
pub struct PageCache {
    dir: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Meta {
    url: String,
    final_url: String,
    content_type: Option<String>,
    etag: Option<String>,
    last_modified: Option<String>,
}

/// A cached page and its validators.
pub struct Cached {
    /// The page as last received.
    pub page: Page,
}

impl Cached {
    /// The conditional request headers for revalidation.
    pub fn conditional(&self) -> Vec<(reqwest::header::HeaderName, String)> {
        let mut h = Vec::new();
        if let Some(e) = &self.page.etag {
            h.push((reqwest::header::IF_NONE_MATCH, e.clone()));
        }
        if let Some(l) = &self.page.last_modified {
            h.push((reqwest::header::IF_MODIFIED_SINCE, l.clone()));
        }
        h
    }
}

impl PageCache {
    /// A cache in `dir` (created on first store).
    pub fn new(dir: PathBuf) -> PageCache {
        PageCache { dir }
    }

    fn key(url: &str, accept: &str) -> String {
        let mut h = Sha256::new();
        h.update(url.as_bytes());
        h.update([0]);
        h.update(accept.as_bytes());
        crate::base::digest::hex(&h.finalize())
    }

    /// The cached page for `url`, if any and if it has a validator.
    pub fn load(&self, url: &str, accept: &str) -> Option<Cached> {
        let key = Self::key(url, accept);
        // One file per page: a line of metadata, then the body, so a validator is never
        // paired with another run's body.
        let bytes = std::fs::read(self.dir.join(format!("{key}.page"))).ok()?;
        let split = bytes.iter().position(|&b| b == b'\n')?;
        let meta: Meta = serde_json::from_slice(&bytes[..split]).ok()?;
        if meta.url != url || (meta.etag.is_none() && meta.last_modified.is_none()) {
            return None;
        }
        let body = bytes[split + 1..].to_vec();
        Some(Cached {
            page: Page {
                url: reqwest::Url::parse(&meta.final_url).ok()?,
                content_type: meta.content_type,
                body,
                etag: meta.etag,
                last_modified: meta.last_modified,
                link_next: None,
            },
        })
    }

    /// Stores a page that has a validator (errors are ignored: the cache is an optimisation).
    pub fn store(&self, url: &str, accept: &str, page: &Page) {
        if page.etag.is_none() && page.last_modified.is_none() {
            return;
        }
        let _ = self.try_store(url, accept, page);
    }

    fn try_store(&self, url: &str, accept: &str, page: &Page) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let key = Self::key(url, accept);
        let meta = Meta {
            url: url.to_string(),
            final_url: page.url.to_string(),
            content_type: page.content_type.clone(),
            etag: page.etag.clone(),
            last_modified: page.last_modified.clone(),
        };
        let mut bytes = serde_json::to_vec(&meta).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        bytes.extend_from_slice(&page.body);
        self.write(&format!("{key}.page"), &bytes)?;
        Ok(())
    }

    fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        tmp.write_all(bytes)?;
        tmp.persist(self.dir.join(name)).map_err(|e| e.error)?;
        Ok(())
    }
}
