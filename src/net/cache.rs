//! The page cache: index pages and listings, revalidated with ETag / Last-Modified, so a
//! second `check` of unchanged projects transfers no page bodies at all.
//!
//! Lives in the user's cache directory (`$XDG_CACHE_HOME/sigwatch/pages`, override with
//! `SIGWATCH_CACHE_DIR`, disable with `--no-cache`). Only pages are cached, never signatures
//! or artifacts, and a cached page is only used after the server answered 304 for it.
//!
//! **One store, written once per run.** The whole cache is one file, `pages.bin`, read on
//! first use and rewritten at the end of the run (a temporary file renamed over it, so a
//! reader sees the old store or the new one, never half of one). A run of 1000 projects
//! costs one read and one write, not a file per page.
//!
//! **Concurrent runs** (two CI jobs, `--shard`) share a cache safely: the end-of-run write
//! holds an exclusive lock on `pages.lock`, re-reads the store if another run replaced it
//! since this run read it, and merges: per page, the entry used most recently wins (last
//! writer wins per entry), so no run loses another's pages. Where the file system cannot
//! lock, the write still replaces the store atomically (never corrupt), but a page written
//! by a concurrent run may be lost and fetched again next time.
//!
//! **Damage is not an error.** A store that is truncated, corrupt (its SHA-256 does not
//! match) or of another format version is discarded with a warning and rebuilt. Files of
//! the old layout (one `<sha256>.page` file per page) are ignored and removed when the new
//! store is first written.
//!
//! **Expiry.** An entry not used (stored or revalidated) for `SIGWATCH_CACHE_MAX_AGE`
//! (default 30 days; any duration such as `12h` or `90days`) is dropped, and the store keeps
//! at most [`MAX_BYTES`] of pages, dropping the least recently used first.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Page;

/// The store's file name inside the cache directory.
pub const STORE: &str = "pages.bin";
/// The lock file taken while the store is written.
const LOCK: &str = "pages.lock";
/// The first bytes of a store: name and format version.
const MAGIC: &[u8; 16] = b"sigwatch-pages1\n";
/// How long an unused entry is kept, unless `SIGWATCH_CACHE_MAX_AGE` says otherwise.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(30 * 24 * 3600);
/// The most page bytes the store keeps; the least recently used go first.
pub const MAX_BYTES: u64 = 64 << 20;

/// The default cache directory.
pub fn default_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("SIGWATCH_CACHE_DIR")
        && !dir.is_empty()
    {
        return Some(PathBuf::from(dir));
    }
    dirs::cache_dir().map(|d| d.join("sigwatch").join("pages"))
}

/// A page and its validators, as stored.
#[derive(Clone, Serialize, Deserialize)]
struct Entry {
    url: String,
    accept: String,
    final_url: String,
    content_type: Option<String>,
    etag: Option<String>,
    last_modified: Option<String>,
    /// When a run last stored or revalidated it, in milliseconds since the Unix epoch.
    used_ms: u64,
    #[serde(with = "serde_bytes")]
    body: Vec<u8>,
}

type Key = (String, String);

impl Entry {
    fn key(&self) -> Key {
        (self.url.clone(), self.accept.clone())
    }
}

/// The store as read from disk, and which file it was (to notice another run's rewrite).
#[derive(Default)]
struct Loaded {
    entries: HashMap<Key, Entry>,
    identity: Option<Identity>,
    /// No store file existed: old-layout files, if any, are removed on the first write.
    absent: bool,
}

/// Enough of a file's metadata to tell whether it was replaced.
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
struct Identity {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    ino: u64,
}

impl Identity {
    fn of(meta: &std::fs::Metadata) -> Identity {
        Identity {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            ino: std::os::unix::fs::MetadataExt::ino(meta),
        }
    }
}

/// The page cache of one run.
pub struct PageCache {
    dir: PathBuf,
    loaded: OnceLock<Loaded>,
    /// Entries stored or revalidated during this run: what the end-of-run write merges.
    changes: Mutex<HashMap<Key, Entry>>,
    saved: AtomicBool,
    warnings: Mutex<Vec<String>>,
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageCache").field("dir", &self.dir).finish()
    }
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

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl PageCache {
    /// A cache in `dir`; nothing is read until the first page is looked up.
    pub fn new(dir: PathBuf) -> PageCache {
        PageCache {
            dir,
            loaded: OnceLock::new(),
            changes: Mutex::new(HashMap::new()),
            saved: AtomicBool::new(false),
            warnings: Mutex::new(Vec::new()),
        }
    }

    fn warn(&self, message: String) {
        self.warnings
            .lock()
            .expect("warning list lock is never poisoned")
            .push(message);
    }

    fn store_path(&self) -> PathBuf {
        self.dir.join(STORE)
    }

    fn loaded(&self) -> &Loaded {
        self.loaded.get_or_init(|| {
            let (loaded, warning) = read_store(&self.store_path());
            if let Some(w) = warning {
                self.warn(w);
            }
            loaded
        })
    }

    /// The cached page for `url` fetched with `accept`, if any.
    pub fn load(&self, url: &str, accept: &str) -> Option<Cached> {
        let key = (url.to_string(), accept.to_string());
        let entry = {
            let changes = self.changes.lock().expect("cache lock");
            changes.get(&key).cloned()
        }
        .or_else(|| self.loaded().entries.get(&key).cloned())?;
        Some(Cached {
            page: Page {
                url: reqwest::Url::parse(&entry.final_url).ok()?,
                content_type: entry.content_type,
                body: entry.body,
                etag: entry.etag,
                last_modified: entry.last_modified,
                link_next: None,
            },
        })
    }

    /// Stores a page that has a validator (kept in memory until [`PageCache::save`]).
    pub fn store(&self, url: &str, accept: &str, page: &Page) {
        if page.etag.is_none() && page.last_modified.is_none() {
            return;
        }
        let entry = Entry {
            url: url.to_string(),
            accept: accept.to_string(),
            final_url: page.url.to_string(),
            content_type: page.content_type.clone(),
            etag: page.etag.clone(),
            last_modified: page.last_modified.clone(),
            used_ms: now_ms(),
            body: page.body.clone(),
        };
        self.changes
            .lock()
            .expect("cache lock")
            .insert(entry.key(), entry);
    }

    /// Notes that the server answered 304 for a cached page, so it does not expire.
    pub fn revalidated(&self, url: &str, accept: &str) {
        let key = (url.to_string(), accept.to_string());
        let mut changes = self.changes.lock().expect("cache lock");
        if let Some(e) = changes.get_mut(&key) {
            e.used_ms = now_ms();
        } else if let Some(e) = self.loaded().entries.get(&key) {
            let mut e = e.clone();
            e.used_ms = now_ms();
            changes.insert(key, e);
        }
    }

    /// Writes this run's pages into the store (once; later calls do nothing) and returns
    /// the warnings of the run: a damaged store that was discarded, a write that failed.
    /// The cache is an optimisation, so nothing here is an error.
    pub fn save(&self) -> Vec<String> {
        if !self.saved.swap(true, Ordering::SeqCst) {
            let changes = std::mem::take(&mut *self.changes.lock().expect("cache lock"));
            if !changes.is_empty()
                && let Err(e) = self.write(changes)
            {
                self.warn(format!(
                    "page cache {}: not saved: {e}; the next run fetches the pages again",
                    self.dir.display()
                ));
            }
        }
        std::mem::take(&mut *self.warnings.lock().expect("warning list lock"))
    }

    fn write(&self, changes: HashMap<Key, Entry>) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join(LOCK))?;
        // Best effort: where locks are unsupported, the rename below still keeps the store
        // whole; only a concurrent run's new pages may be lost.
        let _locked = lock.lock().is_ok();
        let path = self.store_path();
        let loaded = self.loaded();
        let current = std::fs::metadata(&path).ok().map(|m| Identity::of(&m));
        let mut entries = if current.is_some() && current == loaded.identity {
            loaded.entries.clone()
        } else if current.is_none() {
            HashMap::new()
        } else {
            // Another run replaced the store since this one read it: merge with its pages.
            // A damaged store was already reported when it was first read.
            read_store(&path).0.entries
        };
        for (key, entry) in changes {
            match entries.get(&key) {
                Some(old) if old.used_ms > entry.used_ms => {}
                _ => {
                    entries.insert(key, entry);
                }
            }
        }
        expire(
            &mut entries,
            now_ms(),
            max_age().as_millis() as u64,
            MAX_BYTES,
        );
        let bytes = encode(entries.into_values().collect())?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        tmp.write_all(&bytes)?;
        tmp.persist(&path).map_err(|e| e.error)?;
        if loaded.absent {
            remove_old_layout(&self.dir);
        }
        Ok(())
    }
}

impl Drop for PageCache {
    /// A run that ends without [`PageCache::save`] (an early return) still keeps its pages.
    fn drop(&mut self) {
        let _ = self.save();
    }
}

/// `SIGWATCH_CACHE_MAX_AGE`, or the default.
fn max_age() -> Duration {
    std::env::var("SIGWATCH_CACHE_MAX_AGE")
        .ok()
        .and_then(|v| humantime::parse_duration(v.trim()).ok())
        .unwrap_or(DEFAULT_MAX_AGE)
}

/// Drops entries unused for longer than `max_age_ms`, then the least recently used until the
/// bodies fit in `max_bytes`.
fn expire(entries: &mut HashMap<Key, Entry>, now: u64, max_age_ms: u64, max_bytes: u64) {
    entries.retain(|_, e| now.saturating_sub(e.used_ms) <= max_age_ms);
    let mut total: u64 = entries.values().map(|e| e.body.len() as u64).sum();
    if total <= max_bytes {
        return;
    }
    let mut by_age: Vec<(u64, Key)> = entries
        .iter()
        .map(|(k, e)| (e.used_ms, k.clone()))
        .collect();
    by_age.sort();
    for (_, key) in by_age {
        if total <= max_bytes {
            break;
        }
        if let Some(e) = entries.remove(&key) {
            total -= e.body.len() as u64;
        }
    }
}

/// The file: [`MAGIC`], the SHA-256 of the payload, the payload (postcard).
fn encode(entries: Vec<Entry>) -> std::io::Result<Vec<u8>> {
    let payload = postcard::to_allocvec(&entries).map_err(std::io::Error::other)?;
    let mut out = Vec::with_capacity(MAGIC.len() + 32 + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&Sha256::digest(&payload));
    out.extend_from_slice(&payload);
    Ok(out)
}

fn decode(bytes: &[u8]) -> Result<Vec<Entry>, &'static str> {
    let rest = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or("not a sigwatch page store of this version")?;
    if rest.len() < 32 {
        return Err("truncated");
    }
    let (sum, payload) = rest.split_at(32);
    if Sha256::digest(payload).as_slice() != sum {
        return Err("truncated or corrupt (checksum mismatch)");
    }
    postcard::from_bytes(payload).map_err(|_| "corrupt (cannot decode)")
}

/// Reads the store at `path`: its entries, or none and a warning when it is damaged.
fn read_store(path: &Path) -> (Loaded, Option<String>) {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return (
                Loaded {
                    absent: true,
                    ..Loaded::default()
                },
                None,
            );
        }
        Err(e) => {
            return (
                Loaded::default(),
                Some(format!(
                    "page cache {}: cannot read it ({e}); pages are fetched in full",
                    path.display()
                )),
            );
        }
    };
    let identity = file.metadata().ok().map(|m| Identity::of(&m));
    let mut bytes = Vec::new();
    let decoded = file
        .read_to_end(&mut bytes)
        .map_err(|_| "unreadable")
        .and_then(|_| decode(&bytes));
    match decoded {
        Ok(list) => (
            Loaded {
                entries: list.into_iter().map(|e| (e.key(), e)).collect(),
                identity,
                absent: false,
            },
            None,
        ),
        Err(why) => (
            Loaded {
                identity,
                ..Loaded::default()
            },
            Some(format!(
                "page cache {}: {why}; discarded, pages are fetched in full and the cache is rebuilt",
                path.display()
            )),
        ),
    }
}

/// Removes the old layout's `<64 hex>.page` files (and nothing else) from `dir`.
fn remove_old_layout(dir: &Path) {
    let Ok(list) = std::fs::read_dir(dir) else {
        return;
    };
    for item in list.flatten() {
        let name = item.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(stem) = name.strip_suffix(".page")
            && stem.len() == 64
            && stem.bytes().all(|b| b.is_ascii_hexdigit())
        {
            let _ = std::fs::remove_file(item.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(url: &str, used_ms: u64, len: usize) -> Entry {
        Entry {
            url: url.into(),
            accept: "a".into(),
            final_url: url.into(),
            content_type: None,
            etag: Some("\"e\"".into()),
            last_modified: None,
            used_ms,
            body: vec![b'x'; len],
        }
    }

    #[test]
    fn expiry_drops_old_entries_then_least_recently_used_over_the_size_bound() {
        let mut m: HashMap<Key, Entry> = [
            entry("old", 0, 10),
            entry("a", 900, 10),
            entry("b", 950, 10),
            entry("c", 990, 10),
        ]
        .into_iter()
        .map(|e| (e.key(), e))
        .collect();
        expire(&mut m, 1000, 500, 20);
        let mut left: Vec<_> = m.keys().map(|k| k.0.clone()).collect();
        left.sort();
        assert_eq!(left, ["b", "c"]);
    }

    #[test]
    fn a_flipped_byte_or_a_cut_is_detected() {
        let bytes = encode(vec![entry("u", 1, 100)]).expect("encode");
        assert_eq!(decode(&bytes).expect("decode").len(), 1);
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(decode(&flipped).is_err());
        assert!(decode(&bytes[..bytes.len() / 2]).is_err());
        assert!(decode(&bytes[..10]).is_err());
    }
}
