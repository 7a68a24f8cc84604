//! Release discovery: a PyPI-style simple index or any web page / directory listing.
//!
//! Parsing is separate from fetching ([`pypi::parse_json`], [`pypi::parse_html`],
//! [`listing_files`]) so that every parser of outside bytes can be tested on its own.

pub mod forge;
pub mod pypi;

use std::collections::BTreeMap;

use reqwest::{StatusCode, Url};

use crate::base::version::{self, VersionKey};
use crate::error::{Failure, Kind, source};
use crate::net::http::Http;
use crate::watch::{FileSelector, Source};

/// A file offered by an index or page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFile {
    /// The file name as offered (not yet checked to be a safe local name).
    pub filename: String,
    /// Absolute URL, without fragment.
    pub url: String,
    /// The index's sha256 (lowercase hex), when it gives one.
    pub sha256: Option<String>,
    /// The index's size in bytes (PEP 700), when it gives one.
    pub size: Option<u64>,
    /// Yanked (PEP 592).
    pub yanked: bool,
    /// Where the index serves the file's PEP 740 provenance (`provenance` in PEP 691 JSON,
    /// `data-provenance` in HTML), resolved.
    pub provenance: Option<String>,
}

/// One version and its files.
#[derive(Debug, Clone)]
pub struct Release {
    /// The version as written in the file name.
    pub version: String,
    /// Its sort key.
    pub key: VersionKey,
    /// Matching files.
    pub files: Vec<IndexFile>,
    /// A pre-release: by its PEP 440 version, or flagged so by a forge.
    pub prerelease: bool,
}

impl Release {
    /// True when every file of the release is yanked.
    pub fn is_yanked(&self) -> bool {
        self.files.iter().all(|f| f.yanked)
    }
}

/// A link on a page.
#[derive(Debug, Clone)]
pub struct Link {
    /// The resolved URL (None when the href does not resolve).
    pub url: Option<Url>,
    /// The link text.
    pub text: String,
    /// The last path segment of the URL, percent-decoded.
    pub last_segment: String,
    /// `data-yanked` present.
    pub yanked: bool,
    /// `data-provenance` (PEP 740), as written.
    pub provenance: Option<String>,
}

/// Every `<a href>` of an HTML page, resolved against `base` (or the page's `<base href>`).
///
/// The page is read by a WHATWG tokenizer (html5gum), not a tree builder: a link is an `a`
/// start tag with an `href`, its text every string up to the next `</a>` or `<a>`. Character
/// references in attributes and text are decoded as a browser would.
pub fn links(body: &[u8], base: &Url) -> Vec<Link> {
    let text = String::from_utf8_lossy(body);
    let mut emitter = html5gum::DefaultEmitter::default();
    // Script, style, title and textarea content is text, not markup.
    emitter.naively_switch_states(true);
    let attr = |tag: &html5gum::StartTag<()>, name: &str| {
        tag.attributes
            .get(name.as_bytes())
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    // Some once the first <base href> is seen (a browser ignores later ones, and falls back
    // to the page's own URL when that one does not resolve).
    let mut page_base: Option<Option<Url>> = None;
    // (href, yanked, provenance, text) of each link, in page order.
    let mut found: Vec<(String, bool, Option<String>, String)> = Vec::new();
    let mut open = false;
    for token in html5gum::Tokenizer::new_with_emitter(text.as_ref(), emitter) {
        let Ok(token) = token;
        match token {
            html5gum::Token::StartTag(tag) if tag.name.as_slice() == b"a" => {
                open = false;
                if let Some(href) = attr(&tag, "href") {
                    let yanked = tag.attributes.contains_key(b"data-yanked".as_slice());
                    found.push((href, yanked, attr(&tag, "data-provenance"), String::new()));
                    open = true;
                }
            }
            html5gum::Token::StartTag(tag)
                if tag.name.as_slice() == b"base" && page_base.is_none() =>
            {
                if let Some(href) = attr(&tag, "href") {
                    page_base = Some(base.join(href.trim()).ok());
                }
            }
            html5gum::Token::EndTag(tag) if tag.name.as_slice() == b"a" => open = false,
            html5gum::Token::String(s) if open => {
                if let Some(last) = found.last_mut() {
                    last.3.push_str(&String::from_utf8_lossy(&s));
                }
            }
            _ => {}
        }
    }
    let page_base = page_base.flatten();
    let base = page_base.as_ref().unwrap_or(base);
    found
        .into_iter()
        .map(|(href, yanked, provenance, text)| {
            let url = base
                .join(href.trim())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"));
            let last_segment = url
                .as_ref()
                .and_then(|u| {
                    u.path_segments()
                        .and_then(|mut s| s.next_back().map(str::to_owned))
                })
                .map(|s| {
                    percent_encoding::percent_decode_str(&s)
                        .decode_utf8_lossy()
                        .into_owned()
                })
                .unwrap_or_default();
            Link {
                url,
                text,
                last_segment,
                yanked,
                provenance,
            }
        })
        .collect()
}

/// The files of a listing page whose name matches `pattern`, with their versions.
///
/// The pattern must match the whole file name; its `version` group (or else its first
/// group) is the version.
pub fn listing_files(body: &[u8], base: &Url, pattern: &regex::Regex) -> Vec<(String, IndexFile)> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for link in links(body, base) {
        let Some(url) = link.url else { continue };
        let Some(caps) = pattern.captures(&link.last_segment) else {
            continue;
        };
        let Some(version) = caps.name("version").or_else(|| caps.get(1)) else {
            continue;
        };
        if version.as_str().is_empty() || !seen.insert(link.last_segment.clone()) {
            continue;
        }
        let mut url = url;
        url.set_fragment(None);
        out.push((
            version.as_str().to_string(),
            IndexFile {
                filename: link.last_segment.clone(),
                url: url.into(),
                sha256: None,
                size: None,
                yanked: false,
                provenance: None,
            },
        ));
    }
    out
}

/// How many of the newest matching directories `directory` reads before giving up.
const DIRECTORIES_TRIED: usize = 3;

/// The directory links of a listing page (`href` ending in `/`) whose name matches
/// `pattern` (whole), with their versions: its `version` group, else its first group, else
/// the whole name. The "file" is the directory, its URL ending in `/`.
pub fn listing_directories(
    body: &[u8],
    base: &Url,
    pattern: &regex::Regex,
) -> Vec<(String, IndexFile)> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for link in links(body, base) {
        let Some(mut url) = link.url else { continue };
        // Only links below the page: a listing's parent link ("../") or another site's
        // directory is not one of its version directories.
        if !url.path().ends_with('/')
            || !url.as_str().starts_with(base.as_str())
            || url.as_str() == base.as_str()
        {
            continue;
        }
        url.set_fragment(None);
        url.set_query(None);
        let Some(name) = url
            .path_segments()
            .and_then(|mut s| s.rfind(|s| !s.is_empty()))
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
        else {
            continue;
        };
        let Some(caps) = pattern.captures(&name) else {
            continue;
        };
        let version = caps
            .name("version")
            .or_else(|| caps.get(1))
            .map_or(name.as_str(), |m| m.as_str())
            .to_string();
        if version.is_empty() || !seen.insert(name.clone()) {
            continue;
        }
        out.push((
            version,
            IndexFile {
                filename: name,
                url: url.into(),
                sha256: None,
                size: None,
                yanked: false,
                provenance: None,
            },
        ));
    }
    out
}

/// Anchors a user's pattern so it must match the whole file name.
pub fn anchored(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::Regex::new(&format!("^(?:{pattern})$"))
}

/// Groups versioned files into releases, newest first.
pub fn group(files: Vec<(String, IndexFile)>) -> Vec<Release> {
    // PEP 440 spellings of one version (1.0 and 1.0.0) are one release: pep440_rs hashes
    // them alike. A map keeps this linear, whatever a hostile page lists.
    #[derive(PartialEq, Eq, Hash)]
    enum Same {
        Pep440(pep440_rs::Version),
        Raw(String),
    }
    let mut first_spelling: std::collections::HashMap<Same, String> =
        std::collections::HashMap::new();
    let mut by_version: BTreeMap<String, Vec<IndexFile>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for (version, file) in files {
        let same = match <pep440_rs::Version as std::str::FromStr>::from_str(&version) {
            Ok(v) => Same::Pep440(v),
            Err(_) => Same::Raw(version.clone()),
        };
        let key = first_spelling
            .entry(same)
            .or_insert_with(|| {
                order.push(version.clone());
                version.clone()
            })
            .clone();
        by_version.entry(key).or_default().push(file);
    }
    let versions: Vec<&str> = order.iter().map(String::as_str).collect();
    let keys = version::keys_for(&versions);
    let mut releases: Vec<Release> = order
        .iter()
        .zip(keys)
        .map(|(v, key)| Release {
            version: v.clone(),
            prerelease: key.is_prerelease(),
            key,
            files: by_version.remove(v).unwrap_or_default(),
        })
        .collect();
    releases.sort_by(|a, b| version::compare(&b.key, &a.key));
    releases
}

/// Fetches and parses the source's releases, newest first, files filtered by the selector.
pub async fn discover(http: &Http, src: &Source) -> Result<Vec<Release>, Failure> {
    match src {
        Source::Pypi {
            project,
            index,
            files,
            ..
        } => {
            let index = index.clone().unwrap_or_else(pypi::default_index);
            let url =
                pypi::project_url(&index, project).map_err(|m| Failure::new(Kind::Config, m))?;
            let page = http
                .get_page(&url, pypi::ACCEPT)
                .await
                .map_err(|e| match e {
                    crate::net::Error::Status { status, .. }
                        if status == StatusCode::NOT_FOUND || status == StatusCode::GONE =>
                    {
                        source(format!(
                            "{url}: no project {project:?} on the index (HTTP {status})"
                        ))
                        .hint("check the `pypi` name in the watch file")
                    }
                    other => other.into(),
                })?;
            let parsed = if pypi::is_json(page.content_type.as_deref()) {
                pypi::parse_json(&page.body, &page.url)
            } else {
                pypi::parse_html(&page.body, &page.url)
            }
            .map_err(|m| source(format!("{url}: {m}")))?;
            let glob = match files {
                FileSelector::Glob(g) => Some(
                    globset::Glob::new(g)
                        .map_err(|e| Failure::new(Kind::Config, format!("files glob {g:?}: {e}")))?
                        .compile_matcher(),
                ),
                _ => None,
            };
            let versioned = parsed
                .into_iter()
                .filter_map(|f| {
                    let (kind, version) = pypi::parse_filename(&f.filename, project)?;
                    let keep = match files {
                        FileSelector::Sdist => kind == pypi::DistKind::Sdist,
                        FileSelector::Wheel => kind == pypi::DistKind::Wheel,
                        FileSelector::Any => true,
                        FileSelector::Glob(_) => {
                            glob.as_ref().is_some_and(|g| g.is_match(&f.filename))
                        }
                    };
                    keep.then(|| (version.to_string(), f))
                })
                .collect();
            Ok(group(versioned))
        }
        Source::Forge { .. } => forge::discover(http, src).await,
        Source::Url {
            url,
            pattern,
            directory,
            prereleases,
        } => {
            let page = http.get_page(url, "text/html, */*;q=0.5").await?;
            let re = anchored(pattern)
                .map_err(|e| Failure::new(Kind::Config, format!("pattern: {e}")))?;
            let Some(directory) = directory else {
                return Ok(group(listing_files(&page.body, &page.url, &re)));
            };
            let (name, below) = crate::watch::split_directory(directory);
            let dir_re = anchored(name)
                .map_err(|e| Failure::new(Kind::Config, format!("directory: {e}")))?;
            // The newest directories first; the first that offers a matching file is read
            // (a directory made before its files were uploaded is passed over).
            let dirs = group(listing_directories(&page.body, &page.url, &dir_re));
            // A pre-release directory (`6.0-rc1/`) holds pre-releases only.
            let wanted = dirs.iter().filter(|d| *prereleases || !d.prerelease);
            for dir in wanted.take(DIRECTORIES_TRIED) {
                let Some(mut dir_url) = dir.files.first().map(|f| f.url.clone()) else {
                    continue;
                };
                if !below.is_empty() {
                    dir_url = format!("{dir_url}{below}/");
                }
                let listing = http.get_page(&dir_url, "text/html, */*;q=0.5").await?;
                let files = listing_files(&listing.body, &listing.url, &re);
                if !files.is_empty() {
                    return Ok(group(files));
                }
            }
            Ok(Vec::new())
        }
    }
}

/// Picks the release to use: `wanted` exactly, or the newest that is not yanked and (unless
/// `prereleases`) not a pre-release.
pub fn choose<'a>(
    releases: &'a [Release],
    wanted: Option<&str>,
    prereleases: bool,
) -> Option<&'a Release> {
    match wanted {
        Some(v) => releases
            .iter()
            .find(|r| version::same_version(&r.version, v)),
        None => releases
            .iter()
            .find(|r| !r.is_yanked() && (prereleases || !r.prerelease)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str) -> IndexFile {
        IndexFile {
            filename: name.into(),
            url: format!("https://e/{name}"),
            sha256: None,
            size: None,
            yanked: false,
            provenance: None,
        }
    }

    #[test]
    fn links_decode_references_follow_base_and_skip_script_and_comments() {
        let page = br#"<!DOCTYPE html><html><head><base target="_top"><base href="/pub/"><base href="/other/">
            <script>var s = '<a href="from-script.tar.gz">no</a>';</script></head><body>
            <!-- <a href="commented.tar.gz">no</a> -->
            <a href="foo-1.0.tar.gz?x=1&amp;y=2">foo&nbsp;<b>1.0</b> &lt;new&gt;</a>
            <a href="foo-2.0.tar.gz" data-yanked="" data-provenance="p&#x2F;2">foo-2.0</a>
            <A HREF="sub/foo%2B3.0.tar.gz">three<a href="ftp://e/x.tar.gz">ftp</a>
            <a name="anchor-only">none</a></body></html>"#;
        let base = Url::parse("https://e.invalid/downloads/index.html").unwrap();
        let got = links(page, &base);
        let urls: Vec<_> = got
            .iter()
            .map(|l| l.url.as_ref().map(Url::as_str))
            .collect();
        assert_eq!(
            urls,
            [
                Some("https://e.invalid/pub/foo-1.0.tar.gz?x=1&y=2"),
                Some("https://e.invalid/pub/foo-2.0.tar.gz"),
                Some("https://e.invalid/pub/sub/foo%2B3.0.tar.gz"),
                None, // not http(s)
            ]
        );
        assert_eq!(got[0].text, "foo\u{a0}1.0 <new>");
        assert_eq!(got[0].last_segment, "foo-1.0.tar.gz");
        assert!(!got[0].yanked && got[1].yanked);
        assert_eq!(got[1].provenance.as_deref(), Some("p/2"));
        // An <a> opened before the previous one closed ends it, as in a browser.
        assert_eq!(got[2].text, "three");
        assert_eq!(got[2].last_segment, "foo+3.0.tar.gz");
    }

    #[test]
    fn newest_skips_yanked_and_prereleases_unless_asked() {
        let mut yanked = file("foo-1.10.tar.gz");
        yanked.yanked = true;
        let releases = group(vec![
            ("1.9".into(), file("foo-1.9.tar.gz")),
            ("1.10".into(), yanked),
            ("1.8".into(), file("foo-1.8.tar.gz")),
            ("2.0rc1".into(), file("foo-2.0rc1.tar.gz")),
        ]);
        assert_eq!(releases[0].version, "2.0rc1");
        assert_eq!(choose(&releases, None, false).unwrap().version, "1.9");
        assert_eq!(choose(&releases, None, true).unwrap().version, "2.0rc1");
        assert_eq!(
            choose(&releases, Some("1.10"), false).unwrap().version,
            "1.10"
        );
        assert!(choose(&releases, Some("3"), false).is_none());
    }

    #[test]
    fn many_versions_group_in_linear_time_and_spellings_merge() {
        let mut files: Vec<(String, IndexFile)> = (0..20_000)
            .map(|i| (format!("1.{i}"), file(&format!("x-1.{i}.tar.gz"))))
            .collect();
        files.push(("1.0.0".into(), file("x-1.0.0.zip")));
        let releases = group(files);
        assert_eq!(releases.len(), 20_000);
        assert_eq!(releases[0].version, "1.19999");
        let one = releases.iter().find(|r| r.version == "1.0").unwrap();
        assert_eq!(one.files.len(), 2, "1.0 and 1.0.0 are one release");
    }

    #[test]
    fn listing_patterns_match_whole_file_names() {
        let base = Url::parse("https://example.org/releases/").unwrap();
        let body = b"<a href='example-1.9.tar.gz'>a</a> <a href='example-1.10.tar.gz'>b</a>\
            <a href='example-1.10.tar.gz.asc'>sig</a> <a href='/other/example-1.2.tar.gz?x=1'>c</a>\
            <a href='example-1.10.tar.gz'>dup</a>";
        let re = anchored(r"example-(?P<version>[0-9][0-9a-z.]*)\.tar\.gz").unwrap();
        let found = listing_files(body, &base, &re);
        let names: Vec<&str> = found.iter().map(|(_, f)| f.filename.as_str()).collect();
        assert_eq!(
            names,
            [
                "example-1.9.tar.gz",
                "example-1.10.tar.gz",
                "example-1.2.tar.gz"
            ]
        );
        assert_eq!(
            found[2].1.url,
            "https://example.org/other/example-1.2.tar.gz?x=1"
        );
        let releases = group(found);
        assert_eq!(releases[0].version, "1.10");
    }
}
