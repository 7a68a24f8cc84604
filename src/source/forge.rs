//! GitHub and GitLab releases, from the forges' JSON APIs (never HTML scraping).
//!
//! Drafts are skipped; pre-releases count only when the watch file asks. The version is
//! the tag name without a leading `v` (or other letters before the first digit, such as
//! `release-` or `project-`). Assets are picked by `pattern`, else every asset that is not
//! itself a signature or checksum file; signatures are then found with the signature
//! templates, which by default name the matching `.asc`/`.sig` asset.

use reqwest::header::{AUTHORIZATION, HeaderName};
use serde::Deserialize;

use super::{IndexFile, Release, group};
use crate::error::{Failure, Kind, source};
use crate::net::http::Http;
use crate::watch::{ForgeKind, Source};

/// Pages of 100 releases followed at most (newest first, so 500 releases).
const MAX_PAGES: usize = 5;

/// The first page of a project's releases.
pub fn releases_url(kind: ForgeKind, project: &str, api: Option<&str>) -> String {
    match kind {
        ForgeKind::Github => {
            let base = api
                .unwrap_or("https://api.github.com")
                .trim_end_matches('/');
            format!("{base}/repos/{project}/releases?per_page=100")
        }
        ForgeKind::Gitlab => {
            let base = api.unwrap_or("https://gitlab.com").trim_end_matches('/');
            let id: String = url::form_urlencoded::byte_serialize(project.as_bytes()).collect();
            format!("{base}/api/v4/projects/{id}/releases?per_page=100")
        }
    }
}

#[derive(Deserialize)]
struct GithubRelease {
    tag_name: String,
    #[serde(default)]
    draft: bool,
    #[serde(default)]
    prerelease: bool,
    #[serde(default)]
    assets: Vec<GithubAsset>,
}

#[derive(Deserialize)]
struct GithubAsset {
    name: String,
    browser_download_url: String,
    size: Option<u64>,
    digest: Option<String>,
}

#[derive(Deserialize)]
struct GitlabRelease {
    tag_name: String,
    #[serde(default)]
    upcoming_release: bool,
    #[serde(default)]
    assets: GitlabAssets,
}

#[derive(Deserialize, Default)]
struct GitlabAssets {
    #[serde(default)]
    links: Vec<GitlabLink>,
}

#[derive(Deserialize)]
struct GitlabLink {
    name: String,
    url: String,
    direct_asset_url: Option<String>,
}

/// One release as both forges describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeRelease {
    /// The tag.
    pub tag: String,
    /// Draft (GitHub) or upcoming (GitLab): never used.
    pub draft: bool,
    /// Marked as a pre-release.
    pub prerelease: bool,
    /// Assets.
    pub assets: Vec<IndexFile>,
}

/// Parses one page of a forge's releases JSON.
pub fn parse_releases(kind: ForgeKind, body: &[u8]) -> Result<Vec<ForgeRelease>, String> {
    match kind {
        ForgeKind::Github => {
            let list: Vec<GithubRelease> = serde_json::from_slice(body)
                .map_err(|e| format!("malformed GitHub releases JSON: {e}"))?;
            Ok(list
                .into_iter()
                .map(|r| ForgeRelease {
                    tag: r.tag_name,
                    draft: r.draft,
                    prerelease: r.prerelease,
                    assets: r
                        .assets
                        .into_iter()
                        .map(|a| IndexFile {
                            filename: a.name,
                            url: a.browser_download_url,
                            sha256: a
                                .digest
                                .and_then(|d| {
                                    d.strip_prefix("sha256:").map(str::to_ascii_lowercase)
                                })
                                .filter(|h| {
                                    h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())
                                }),
                            size: a.size,
                            yanked: false,
                            provenance: None,
                        })
                        .collect(),
                })
                .collect())
        }
        ForgeKind::Gitlab => {
            let list: Vec<GitlabRelease> = serde_json::from_slice(body)
                .map_err(|e| format!("malformed GitLab releases JSON: {e}"))?;
            Ok(list
                .into_iter()
                .map(|r| ForgeRelease {
                    tag: r.tag_name,
                    draft: r.upcoming_release,
                    prerelease: false,
                    assets: r
                        .assets
                        .links
                        .into_iter()
                        .map(|l| IndexFile {
                            filename: l.name,
                            url: l.direct_asset_url.unwrap_or(l.url),
                            sha256: None,
                            size: None,
                            yanked: false,
                            provenance: None,
                        })
                        .collect(),
                })
                .collect())
        }
    }
}

/// The version in a tag: `v1.2.3` → `1.2.3`, `project-2.0` → `2.0`; letters, `-` and `_`
/// before the first digit are dropped.
pub fn tag_version(tag: &str) -> Option<&str> {
    let start = tag.find(|c: char| c.is_ascii_digit())?;
    let prefix = &tag[..start];
    prefix
        .chars()
        .all(|c| c.is_ascii_alphabetic() || c == '-' || c == '_' || c == '.')
        .then(|| &tag[start..])
}

/// True for assets that are signatures or checksum files, not artifacts.
pub fn is_auxiliary(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        ".asc",
        ".sig",
        ".sign",
        ".sha256",
        ".sha512",
        ".sha1",
        ".md5",
        ".sha256sum",
        ".sha512sum",
        ".pem",
        ".minisig",
        ".intoto.jsonl",
        ".sbom",
        ".spdx.json",
    ]
    .iter()
    .any(|ext| lower.ends_with(ext))
        || lower.ends_with("sums")
        || lower.ends_with("sums.txt")
        || [
            "sha256sums",
            "sha512sums",
            "sha1sums",
            "md5sums",
            "b2sums",
            "checksums",
        ]
        .iter()
        .any(|p| lower.starts_with(p))
}

fn same_origin(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// Fetches a forge's releases (following `Link: rel="next"`), newest first.
pub async fn discover(http: &Http, src: &Source) -> Result<Vec<Release>, Failure> {
    let Source::Forge {
        kind,
        project,
        api,
        token_env,
        pattern,
        ..
    } = src
    else {
        unreachable!("forge::discover is only called for forge sources")
    };
    let mut headers: Vec<(HeaderName, String)> = Vec::new();
    if let Some(var) = token_env {
        match std::env::var(var) {
            Ok(token) if !token.is_empty() => match kind {
                ForgeKind::Github => headers.push((AUTHORIZATION, format!("Bearer {token}"))),
                ForgeKind::Gitlab => {
                    headers.push((HeaderName::from_static("private-token"), token))
                }
            },
            _ => {
                return Err(Failure::new(
                    Kind::Config,
                    format!("source.token_env: the environment variable {var} is not set"),
                ));
            }
        }
    }
    let accept = match kind {
        ForgeKind::Github => "application/vnd.github+json",
        ForgeKind::Gitlab => "application/json",
    };
    let re = match pattern {
        Some(p) => Some(
            super::anchored(p)
                .map_err(|e| Failure::new(Kind::Config, format!("source.pattern: {e}")))?,
        ),
        None => None,
    };
    let mut url = releases_url(*kind, project, api.as_deref());
    let mut all = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = http.get_api(&url, accept, &headers).await?;
        let releases =
            parse_releases(*kind, &page.body).map_err(|m| source(format!("{url}: {m}")))?;
        let empty = releases.is_empty();
        all.extend(releases);
        match page.next {
            // The token goes with every page: follow only links to the same origin.
            Some(next) if !empty && same_origin(&next, &url) => url = next,
            Some(next) if !empty => {
                return Err(source(format!(
                    "{url}: the next page is on another host ({next}); not followed"
                )));
            }
            _ => break,
        }
    }
    let mut versioned = Vec::new();
    let mut flagged = Vec::new();
    for r in all.into_iter().filter(|r| !r.draft) {
        let Some(version) = tag_version(&r.tag) else {
            continue;
        };
        if r.prerelease {
            flagged.push(version.to_string());
        }
        for asset in r.assets {
            let keep = match &re {
                Some(re) => re.is_match(&asset.filename),
                None => !is_auxiliary(&asset.filename),
            };
            if keep {
                versioned.push((version.to_string(), asset));
            }
        }
    }
    let mut releases = group(versioned);
    for r in &mut releases {
        if flagged.iter().any(|v| v == &r.version) {
            r.prerelease = true;
        }
    }
    Ok(releases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_map_to_versions() {
        assert_eq!(tag_version("v1.2.3"), Some("1.2.3"));
        assert_eq!(tag_version("gnupg-2.4.5"), Some("2.4.5"));
        assert_eq!(tag_version("1.0"), Some("1.0"));
        assert_eq!(tag_version("nightly"), None);
        assert_eq!(tag_version("2024/01"), Some("2024/01"));
    }

    #[test]
    fn github_releases_parse_with_digests() {
        let body = br#"[{"tag_name":"v2.0","draft":false,"prerelease":true,"assets":[
            {"name":"foo-2.0.tar.gz","browser_download_url":"https://gh/foo-2.0.tar.gz","size":3,"digest":"sha256:ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB"}]},
            {"tag_name":"v1.0","draft":true,"assets":[]}]"#;
        let r = parse_releases(ForgeKind::Github, body).unwrap();
        assert_eq!(r.len(), 2);
        assert!(r[0].prerelease && r[1].draft);
        assert_eq!(
            r[0].assets[0].sha256.as_deref(),
            Some("abababababababababababababababababababababababababababababababab")
        );
    }

    #[test]
    fn auxiliary_assets_are_not_artifacts() {
        for name in [
            "foo.tar.gz.asc",
            "foo.sig",
            "SHA256SUMS",
            "checksums.txt",
            "foo.tar.gz.sha256",
        ] {
            assert!(is_auxiliary(name), "{name}");
        }
        assert!(!is_auxiliary("foo-1.0.tar.gz"));
        assert!(!is_auxiliary("gosums-1.0.tar.gz"));
        assert!(is_auxiliary("foo-1.0-SHA256SUMS.txt"));
    }

    #[test]
    fn pagination_stays_on_the_first_pages_origin() {
        assert!(same_origin(
            "https://api.github.com/x?page=2",
            "https://api.github.com/repos/a/b/releases"
        ));
        assert!(!same_origin(
            "https://evil.example/x",
            "https://api.github.com/repos/a/b/releases"
        ));
        assert!(!same_origin(
            "http://api.github.com/x",
            "https://api.github.com/x"
        ));
    }

    #[test]
    fn gitlab_project_paths_are_url_encoded() {
        assert_eq!(
            releases_url(ForgeKind::Gitlab, "group/sub/proj", None),
            "https://gitlab.com/api/v4/projects/group%2Fsub%2Fproj/releases?per_page=100"
        );
    }
}
