//! PEP 503 / PEP 691 simple indexes: project pages in JSON when offered, HTML otherwise.

use std::str::FromStr;

use pep440_rs::Version;
use reqwest::Url;
use serde::Deserialize;

use super::{IndexFile, links};

/// PyPI's simple index, used when neither the watch file nor pip's configuration names one.
pub const PYPI_SIMPLE: &str = "https://pypi.org/simple/";

/// The Accept header asking for PEP 691 JSON, with HTML as the fallback.
pub const ACCEPT: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1";

/// PEP 503 name normalization: lowercase, runs of `-`, `_` and `.` become one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The index to use: the watch file's, else `PIP_INDEX_URL`, else pip's configuration, else PyPI.
pub fn default_index() -> String {
    if let Ok(url) = std::env::var("PIP_INDEX_URL")
        && !url.trim().is_empty()
    {
        return url.trim().to_string();
    }
    pip_config_index().unwrap_or_else(|| PYPI_SIMPLE.to_string())
}

/// PyPI's integrity API for a file's PEP 740 provenance, beside a `…/simple/` index:
/// `…/integrity/<project>/<version>/<filename>/provenance`. `None` for an index whose URL
/// does not end in `/simple/`.
pub fn integrity_url(index: &str, project: &str, version: &str, filename: &str) -> Option<String> {
    let base = index.trim_end_matches('/').strip_suffix("/simple")?;
    let mut url = Url::parse(&format!("{base}/")).ok()?;
    url.path_segments_mut().ok()?.pop_if_empty().extend([
        "integrity",
        &normalize(project),
        version,
        filename,
        "provenance",
    ]);
    Some(url.into())
}

/// `index-url` from pip's configuration files, later files winning, as pip reads them.
fn pip_config_index() -> Option<String> {
    let mut files: Vec<std::path::PathBuf> = vec!["/etc/pip.conf".into()];
    if let Some(home) = dirs::home_dir() {
        files.push(home.join(".pip/pip.conf"));
    }
    if let Some(cfg) = dirs::config_dir() {
        files.push(cfg.join("pip/pip.conf"));
    }
    if let Ok(f) = std::env::var("PIP_CONFIG_FILE") {
        files.push(f.into());
    }
    let mut found = None;
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        if let Some(url) = ini_value(&text, &["global", "install", "download"], "index-url") {
            found = Some(url);
        }
    }
    found
}

/// The value of `key` in the last of `sections` that sets it, from INI text.
fn ini_value(text: &str, sections: &[&str], key: &str) -> Option<String> {
    let mut section = String::new();
    let mut found = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        let Some((k, v)) = line.split_once(['=', ':']) else {
            continue;
        };
        if sections.contains(&section.as_str()) && k.trim().replace('_', "-") == key {
            found = Some(v.trim().to_string());
        }
    }
    found
}

/// The URL of a project's page on an index.
pub fn project_url(index: &str, project: &str) -> Result<String, String> {
    let mut base = index.trim().to_string();
    if !base.ends_with('/') {
        base.push('/');
    }
    let base = Url::parse(&base).map_err(|e| format!("{index:?} is not a URL: {e}"))?;
    base.join(&format!("{}/", normalize(project)))
        .map(String::from)
        .map_err(|e| format!("cannot build the project URL: {e}"))
}

#[derive(Deserialize)]
struct JsonPage {
    meta: JsonMeta,
    files: Vec<JsonFile>,
}

#[derive(Deserialize)]
struct JsonMeta {
    #[serde(rename = "api-version")]
    api_version: String,
}

#[derive(Deserialize)]
struct JsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: std::collections::HashMap<String, String>,
    #[serde(default)]
    yanked: Yanked,
    size: Option<u64>,
    /// PEP 740: the URL of the file's provenance object, or null.
    provenance: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Yanked {
    #[default]
    No,
    Flag(bool),
    Reason(#[allow(dead_code)] String),
}

/// True when the Content-Type is PEP 691 JSON.
pub fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|c| {
        c.trim()
            .to_ascii_lowercase()
            .starts_with("application/vnd.pypi.simple.v1+json")
    })
}

/// Parses a PEP 691 JSON project page.
pub fn parse_json(body: &[u8], base: &Url) -> Result<Vec<IndexFile>, String> {
    let page: JsonPage =
        serde_json::from_slice(body).map_err(|e| format!("malformed PEP 691 JSON: {e}"))?;
    if !page.meta.api_version.starts_with("1.") {
        return Err(format!(
            "unsupported simple API version {}",
            page.meta.api_version
        ));
    }
    let mut files = Vec::with_capacity(page.files.len());
    for f in page.files {
        let url = base
            .join(&f.url)
            .map_err(|e| format!("file {:?}: bad url {:?}: {e}", f.filename, f.url))?;
        let provenance = match &f.provenance {
            Some(p) => Some(String::from(base.join(p).map_err(|e| {
                format!("file {:?}: bad provenance url {p:?}: {e}", f.filename)
            })?)),
            None => None,
        };
        files.push(IndexFile {
            provenance,
            filename: f.filename,
            url: strip_fragment(url),
            sha256: f.hashes.get("sha256").map(|h| h.to_ascii_lowercase()),
            size: f.size,
            yanked: !matches!(f.yanked, Yanked::No | Yanked::Flag(false)),
        });
    }
    Ok(files)
}

/// Parses a PEP 503 HTML project page: each `<a>` is a file, its text the file name.
pub fn parse_html(body: &[u8], base: &Url) -> Result<Vec<IndexFile>, String> {
    let mut files = Vec::new();
    for link in links(body, base) {
        let Some(url) = link.url else { continue };
        let filename = if link.text.trim().is_empty() {
            link.last_segment.clone()
        } else {
            link.text.trim().to_string()
        };
        let sha256 = url
            .fragment()
            .and_then(|f| f.strip_prefix("sha256="))
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(|h| h.to_ascii_lowercase());
        let provenance = link
            .provenance
            .as_deref()
            .and_then(|p| base.join(p).ok())
            .map(String::from);
        files.push(IndexFile {
            filename,
            url: strip_fragment(url),
            sha256,
            size: None,
            yanked: link.yanked,
            provenance,
        });
    }
    Ok(files)
}

fn strip_fragment(mut url: Url) -> String {
    url.set_fragment(None);
    url.into()
}

/// What kind of distribution a file name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistKind {
    /// A source distribution.
    Sdist,
    /// A wheel.
    Wheel,
}

const SDIST_EXTENSIONS: [&str; 6] = [".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar"];

/// Parses a distribution file name for `project`: its kind and version, or `None`.
///
/// Wheels: `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`. Sdists:
/// `{name}-{version}.{ext}`, where the name may contain hyphens and differ in case or
/// separators (it is compared normalized).
pub fn parse_filename(filename: &str, project: &str) -> Option<(DistKind, Version)> {
    let want = normalize(project);
    if let Some(stem) = filename.strip_suffix(".whl") {
        let parts: Vec<&str> = stem.split('-').collect();
        if parts.len() != 5 && parts.len() != 6 {
            return None;
        }
        if normalize(parts[0]) != want {
            return None;
        }
        return Version::from_str(parts[1])
            .ok()
            .map(|v| (DistKind::Wheel, v));
    }
    let ext = SDIST_EXTENSIONS
        .iter()
        .find(|e| filename.to_ascii_lowercase().ends_with(*e))?;
    let stem = &filename[..filename.len() - ext.len()];
    for (i, _) in stem.match_indices('-') {
        let (name, version) = (&stem[..i], &stem[i + 1..]);
        if normalize(name) == want
            && let Ok(v) = Version::from_str(version)
        {
            return Some((DistKind::Sdist, v));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrity_api_sits_beside_the_simple_index() {
        assert_eq!(
            integrity_url(
                "https://pypi.org/simple/",
                "Foo_Bar",
                "1.0",
                "foo_bar-1.0.tar.gz"
            )
            .as_deref(),
            Some("https://pypi.org/integrity/foo-bar/1.0/foo_bar-1.0.tar.gz/provenance")
        );
        assert_eq!(
            integrity_url("http://127.0.0.1:9/x/simple", "a", "2", "a-2.whl").as_deref(),
            Some("http://127.0.0.1:9/x/integrity/a/2/a-2.whl/provenance")
        );
        assert_eq!(
            integrity_url("https://mirror.example/pypi/", "a", "2", "a"),
            None
        );
    }

    #[test]
    fn names_normalize_per_pep_503() {
        assert_eq!(normalize("Flufl.Lock"), "flufl-lock");
        assert_eq!(normalize("Example__Project"), "example-project");
        assert_eq!(normalize("a-_.b"), "a-b");
    }

    #[test]
    fn file_names_are_parsed_not_guessed() {
        let (k, v) = parse_filename("Example_Project-1.10.tar.gz", "example-project").unwrap();
        assert_eq!((k, v.to_string()), (DistKind::Sdist, "1.10".to_string()));
        let (k, v) =
            parse_filename("example_project-2.0rc1-py3-none-any.whl", "Example.Project").unwrap();
        assert_eq!((k, v.to_string()), (DistKind::Wheel, "2.0rc1".to_string()));
        let (_, v) = parse_filename("foo-bar-1.0.zip", "foo-bar").unwrap();
        assert_eq!(v.to_string(), "1.0");
        assert!(parse_filename("other-1.0.tar.gz", "foo").is_none());
        assert!(parse_filename("foo-notaversion.tar.gz", "foo").is_none());
        assert!(parse_filename("foo-1.0.exe", "foo").is_none());
    }

    #[test]
    fn project_urls_use_the_normalized_name() {
        assert_eq!(
            project_url("https://pypi.org/simple", "Flufl.Lock").unwrap(),
            "https://pypi.org/simple/flufl-lock/"
        );
    }

    #[test]
    fn pip_config_index_url_is_read_from_global_section() {
        let text = "[global]\ncert = /x\nindex-url = https://mirror.example/simple\n[other]\nindex-url = https://no/\n";
        assert_eq!(
            ini_value(text, &["global"], "index-url").as_deref(),
            Some("https://mirror.example/simple")
        );
    }

    #[test]
    fn json_pages_give_hashes_sizes_and_yanked() {
        let base = Url::parse("https://idx.example/simple/foo/").unwrap();
        let body = br#"{"meta":{"api-version":"1.1"},"name":"foo","files":[
            {"filename":"foo-1.0.tar.gz","url":"../../files/foo-1.0.tar.gz","hashes":{"sha256":"AB"},"size":10},
            {"filename":"foo-1.1.tar.gz","url":"https://cdn.example/foo-1.1.tar.gz","hashes":{},"yanked":"broken"}]}"#;
        let files = parse_json(body, &base).unwrap();
        assert_eq!(files[0].url, "https://idx.example/files/foo-1.0.tar.gz");
        assert_eq!(files[0].sha256.as_deref(), Some("ab"));
        assert_eq!(files[0].size, Some(10));
        assert!(!files[0].yanked && files[1].yanked);
    }

    #[test]
    fn html_pages_resolve_links_and_read_fragments() {
        let base = Url::parse("https://idx.example/simple/foo/").unwrap();
        let sha = "a".repeat(64);
        let body = format!(
            "<html><body><a href=\"../../f/foo-1.0.tar.gz#sha256={sha}\">foo-1.0.tar.gz</a>\
             <a href=\"/f/foo-1.1.tar.gz\" data-yanked=\"\">foo-1.1.tar.gz</a>\
             <a href=\"foo&#45;1.2.tar.gz\">foo&#45;1.2.tar.gz</a></body></html>"
        );
        let files = parse_html(body.as_bytes(), &base).unwrap();
        assert_eq!(files.len(), 3);
        assert_eq!(files[0].url, "https://idx.example/f/foo-1.0.tar.gz");
        assert_eq!(files[0].sha256.as_deref(), Some(sha.as_str()));
        assert!(files[1].yanked);
        assert_eq!(files[2].filename, "foo-1.2.tar.gz");
        assert_eq!(
            files[2].url,
            "https://idx.example/simple/foo/foo-1.2.tar.gz"
        );
    }
}
