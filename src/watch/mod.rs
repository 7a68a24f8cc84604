//! Watch files: one TOML file per project saying where releases come from and who may sign them.
//!
//! Parsing is strict (unknown keys and wrong types are errors naming the file and field),
//! paths are resolved relative to the watch file, and pins are normalized here so that every
//! later stage sees full fingerprints only.
pub mod accept;
mod keyserver;
mod render;
mod sections;

pub use accept::AcceptEntry;
pub use keyserver::{DEFAULT_KEYSERVER, Keyserver};
pub use render::{NewWatch, render};
use sections::{keys_section, sigstore_section};

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::WatchError;
use crate::verify::Pin;
use crate::verify::sigstore::IdentityPin;

/// The default signature templates: `{url}.asc`, then `{url}.sig`.
pub const DEFAULT_SIGNATURE_TEMPLATES: [&str; 2] = ["{url}.asc", "{url}.sig"];

/// A parsed, validated watch file.
#[derive(Debug, Clone)]
pub struct Watch {
    /// The watch file's path, as given.
    pub path: PathBuf,
    /// Project name (default: the file name without `.toml`).
    pub name: String,
    /// The version packaged now, if stated.
    pub current: Option<String>,
    /// Where releases come from.
    pub source: Source,
    /// Signature URL templates, tried in order.
    pub signature_templates: Vec<String>,
    /// A signed checksum file's URL template: when set, the artifact is trusted through its
    /// line in that file (whose own signature is `{checksums}.asc`/`.sig`, or clearsigned).
    pub checksums: Option<String>,
    /// `[signature] decompress = true`: upstream signs the uncompressed content (`foo.tar.sign`
    /// over `foo.tar`, shipped as `foo.tar.xz`), so the proof reads the decompressed stream.
    pub decompress: bool,
    /// OpenPGP pins (`[keys]`); `None` when only `[sigstore]` pins a signer.
    pub keys: Option<Keys>,
    /// Recorded exceptions (`[[accept]]`), each for one exact file.
    pub accept: Vec<AcceptEntry>,
    /// Sigstore pins (`[sigstore]`); when present, a Sigstore proof must pass as well.
    pub sigstore: Option<SigstoreWatch>,
    /// Hosts this watch file allows over plain http (`[source] plain_http = true`: the
    /// source's own host). Signatures and pins are still required.
    pub plain_http_hosts: Vec<String>,
}

/// The `[keys]` section: which OpenPGP certificates may sign, and where updates come from.
#[derive(Debug, Clone)]
pub struct Keys {
    /// The keyring, resolved relative to the watch file.
    pub keyring: PathBuf,
    /// Pinned fingerprints.
    pub pins: Vec<Pin>,
    /// How many distinct pinned certificates must sign.
    pub threshold: usize,
    /// Where `keys refresh` looks for updates of the pinned certificates: URLs, `wkd` or a
    /// keyserver (`keyserver`, `keyserver:URL`; see [`Keyserver`]).
    pub refresh: Vec<String>,
}

/// The `[sigstore]` section: who may publish, and where bundles are found.
#[derive(Debug, Clone)]
pub struct SigstoreWatch {
    /// Identities and publishers, any of which admits a signer.
    pub pins: Vec<IdentityPin>,
    /// Bundle URL templates (`{url}.sigstore`), tried in order; empty means PEP 740 provenance.
    pub bundle_templates: Vec<String>,
    /// A replacement trust root, resolved relative to the watch file.
    pub trusted_root: Option<PathBuf>,
}

impl Watch {
    /// The OpenPGP pins, or the error for a command that needs them when only `[sigstore]`
    /// pins a signer.
    pub fn openpgp(&self) -> Result<&Keys, WatchError> {
        self.keys.as_ref().ok_or_else(|| {
            WatchError::field(
                &self.path,
                "keys",
                "missing: no OpenPGP key is pinned (only [sigstore] publishers)".to_string(),
            )
            .hint("OpenPGP commands (keys, accept, verify --signature) need [keys] with keyring and fingerprints; Sigstore proofs are checked with `verify --sigstore BUNDLE --watch`")
        })
    }

    /// The recorded exceptions, for [`crate::verify::Checker::with_exceptions`].
    pub fn exceptions(&self) -> Vec<crate::verify::Exception> {
        self.accept.iter().map(|a| a.exception.clone()).collect()
    }
}

impl Watch {
    /// Said up front when the watch file looks for signatures beside PyPI's files, where
    /// there are none: PyPI stopped accepting PGP signatures in 2023. The warning and its fix.
    pub fn pypi_signature_warning(&self) -> Option<(String, String)> {
        let Source::Pypi { project, index, .. } = &self.source else {
            return None;
        };
        // Only OpenPGP looks beside the files; Sigstore proofs come from the index.
        self.keys.as_ref()?;
        let on_pypi = index
            .as_deref()
            .is_none_or(|i| i.contains("pypi.org") || i.contains("pythonhosted.org"));
        let default_location =
            self.checksums.is_none() && self.signature_templates == DEFAULT_SIGNATURE_TEMPLATES;
        (on_pypi && default_location).then(|| {
            (
                format!(
                    "source.pypi {project:?} looks for signatures beside PyPI's files ({{url}}.asc, {{url}}.sig), \
                     but PyPI has served no .asc files since 2023 (it dropped PGP signatures), so `fetch` will find none"
                ),
                "point [signature] url at upstream's own site, where its release managers publish the signatures, \
                 e.g. url = [\"https://example.org/releases/{filename}.asc\"], or name a signed checksum file with [signature] checksums"
                    .to_string(),
            )
        })
    }
}

/// Where releases are discovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A project on a PEP 503 / PEP 691 simple index.
    Pypi {
        /// The project name as written (normalized when used).
        project: String,
        /// The index URL; `None` means the default (pip's configuration, else PyPI).
        index: Option<String>,
        /// Which files of a release to take.
        files: FileSelector,
        /// Whether pre-releases count as newest.
        prereleases: bool,
    },
    /// Releases of a GitHub or GitLab project, from the forge's JSON API.
    Forge {
        /// Which forge.
        kind: ForgeKind,
        /// `owner/repo` (GitHub) or `group/project` (GitLab).
        project: String,
        /// API base URL (GitHub Enterprise, self-hosted GitLab, tests); default the public one.
        api: Option<String>,
        /// The environment variable holding an API token, if any. Never printed.
        token_env: Option<String>,
        /// Regex picking assets by file name (whole name); default: every asset that is not a
        /// signature or checksum file.
        pattern: Option<String>,
        /// Whether pre-releases count as newest.
        prereleases: bool,
    },
    /// A web page or directory listing whose links name the releases.
    Url {
        /// The page.
        url: String,
        /// Regex matched on each link's file name, with a `version` group (or the first group).
        pattern: String,
        /// Regex matched on the names of the page's directory links (`1.2/`), optionally
        /// followed by a fixed path (`([\d.]+)/src`): the files are looked for in the newest
        /// matching directory (below it, at that path) instead of on the page itself.
        directory: Option<String>,
        /// Whether pre-releases count as newest.
        prereleases: bool,
    },
}

/// A software forge with a releases API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForgeKind {
    /// GitHub or GitHub Enterprise.
    Github,
    /// GitLab.com or a self-hosted GitLab.
    Gitlab,
}

/// Which files of a PyPI release to take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSelector {
    /// Source distributions (the default).
    Sdist,
    /// Wheels.
    Wheel,
    /// Every file.
    Any,
    /// A glob on file names.
    Glob(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWatch {
    name: Option<String>,
    current: Option<String>,
    source: RawSource,
    #[serde(default)]
    signature: RawSignature,
    keys: Option<RawKeys>,
    #[serde(default)]
    accept: Vec<accept::RawAccept>,
    sigstore: Option<RawSigstore>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSigstore {
    #[serde(default)]
    identities: Vec<RawIdentity>,
    #[serde(default)]
    publishers: Vec<String>,
    bundle: Option<OneOrMany>,
    trusted_root: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    identity: String,
    issuer: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    pypi: Option<String>,
    github: Option<String>,
    gitlab: Option<String>,
    api: Option<String>,
    token_env: Option<String>,
    index: Option<String>,
    files: Option<String>,
    prereleases: Option<bool>,
    url: Option<String>,
    pattern: Option<String>,
    directory: Option<String>,
    plain_http: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignature {
    url: Option<OneOrMany>,
    checksums: Option<String>,
    decompress: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeys {
    keyring: String,
    fingerprints: Vec<String>,
    threshold: Option<usize>,
    #[serde(default)]
    refresh: Vec<String>,
}

/// The placeholders a signature template may use.
pub const PLACEHOLDERS: [&str; 5] = ["url", "filename", "version", "name", "dir"];

impl Watch {
    /// Reads and validates a watch file.
    pub fn load(path: &Path) -> Result<Watch, WatchError> {
        let text = std::fs::read_to_string(path).map_err(|error| WatchError::Read {
            file: path.to_path_buf(),
            error,
        })?;
        Watch::parse(&text, path)
    }

    /// Parses watch-file text; `path` names the file and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Watch, WatchError> {
        let raw: RawWatch = toml::from_str(text).map_err(|e| WatchError::Syntax {
            file: path.to_path_buf(),
            line: e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1),
            message: e.message().to_string(),
        })?;
        let err = |field: &str, msg: String| WatchError::field(path, field, msg);

        let name = match raw.name {
            Some(n) if n.trim().is_empty() => return Err(err("name", "must not be empty".into())),
            Some(n) => n,
            None => path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .ok_or_else(|| err("name", "not given and the file has no name".into()))?,
        };

        let s = raw.source;
        // `plain_http = true`: the source's own host has no https; allowed over http, and
        // nothing else is (signatures and pins are required as always).
        let plain_http_hosts: Vec<String> = if s.plain_http == Some(true) {
            let hosts: Vec<String> = [&s.url, &s.index, &s.api]
                .into_iter()
                .flatten()
                .filter_map(|u| url::Url::parse(u).ok())
                .filter(|u| u.scheme() == "http")
                .filter_map(|u| u.host_str().map(str::to_string))
                .collect();
            if hosts.is_empty() {
                return Err(err(
                    "source.plain_http",
                    "`plain_http = true` applies to an http:// `url`, `index` or `api`, and none is given".into(),
                )
                .hint("remove `plain_http`: https needs no opt-in"));
            }
            hosts
        } else {
            Vec::new()
        };
        let check_source = |u: &str| -> Result<(), String> {
            match url::Url::parse(u) {
                Ok(parsed)
                    if crate::base::url::allowed_with(&parsed, &plain_http_hosts).is_ok() =>
                {
                    Ok(())
                }
                _ => check_url(u),
            }
        };
        let prereleases = s.prereleases.unwrap_or(false);
        let given: Vec<&str> = [
            ("pypi", &s.pypi),
            ("url", &s.url),
            ("github", &s.github),
            ("gitlab", &s.gitlab),
        ]
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| *k)
        .collect();
        if given.len() > 1 {
            return Err(err(
                "source",
                format!(
                    "give only one of `pypi`, `url`, `github`, `gitlab` (found {})",
                    given.join(", ")
                ),
            ));
        }
        if (s.api.is_some() || s.token_env.is_some()) && s.github.is_none() && s.gitlab.is_none() {
            return Err(err(
                "source",
                "`api` and `token_env` only apply to `github` and `gitlab` sources".into(),
            ));
        }
        if let Some(project) = s.github.as_ref().or(s.gitlab.as_ref()) {
            let kind = if s.github.is_some() {
                ForgeKind::Github
            } else {
                ForgeKind::Gitlab
            };
            let field = if kind == ForgeKind::Github {
                "source.github"
            } else {
                "source.gitlab"
            };
            let parts: Vec<&str> = project.split('/').collect();
            if parts.len() < 2
                || parts.iter().any(|p| p.trim().is_empty())
                || (kind == ForgeKind::Github && parts.len() != 2)
            {
                return Err(err(field, format!("{project:?} is not owner/repo")));
            }
            if s.index.is_some() || s.files.is_some() || s.url.is_some() || s.directory.is_some() {
                return Err(err(
                    "source",
                    "`index`, `files`, `url` and `directory` do not apply to forge sources".into(),
                ));
            }
            if let Some(api) = &s.api {
                check_source(api).map_err(|m| err("source.api", m))?;
            }
            if let Some(pattern) = &s.pattern {
                regex::Regex::new(pattern).map_err(|e| {
                    err(
                        "source.pattern",
                        format!("not a valid regular expression: {e}"),
                    )
                })?;
            }
            if let Some(var) = &s.token_env
                && (var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            {
                return Err(err(
                    "source.token_env",
                    format!("{var:?} is not an environment variable name"),
                ));
            }
        }
        let source = match (&s.pypi, &s.url) {
            _ if s.github.is_some() || s.gitlab.is_some() => Source::Forge {
                kind: if s.github.is_some() {
                    ForgeKind::Github
                } else {
                    ForgeKind::Gitlab
                },
                project: s.github.clone().or(s.gitlab.clone()).expect("checked"),
                api: s.api.clone(),
                token_env: s.token_env.clone(),
                pattern: s.pattern.clone(),
                prereleases,
            },
            (Some(_), Some(_)) => {
                return Err(err(
                    "source",
                    "give either `pypi` or `url`, not both".into(),
                ));
            }
            (None, None) => {
                return Err(
                    err("source", "needs `pypi`, `url`, `github` or `gitlab`".into())
                        .hint("e.g. pypi = \"flufl.lock\", or url = \"https://…/\" with a pattern; `sigwatch add --dry-run …` prints a complete watch file"),
                );
            }
            _ if s.directory.is_some() && s.url.is_none() => {
                return Err(err(
                    "source.directory",
                    "only applies to `url` sources".into(),
                ));
            }
            (Some(project), None) => {
                if s.pattern.is_some() {
                    return Err(err(
                        "source.pattern",
                        "only applies to `url` sources".into(),
                    ));
                }
                if project.trim().is_empty() {
                    return Err(err("source.pypi", "must not be empty".into()));
                }
                if !project
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                {
                    return Err(err(
                        "source.pypi",
                        format!("{project:?} is not a project name (letters, digits, '-', '_' and '.' only)"),
                    )
                    .hint("name the project, not a URL; set `index` for another index"));
                }
                if let Some(index) = &s.index {
                    check_source(index).map_err(|m| err("source.index", m))?;
                }
                let files = match s.files.as_deref() {
                    None | Some("sdist") => FileSelector::Sdist,
                    Some("wheel") => FileSelector::Wheel,
                    Some("any") => FileSelector::Any,
                    Some(glob) => {
                        globset::Glob::new(glob).map_err(|e| {
                            err(
                                "source.files",
                                format!("{glob:?} is not sdist, wheel, any or a valid glob: {e}"),
                            )
                        })?;
                        FileSelector::Glob(glob.to_string())
                    }
                };
                Source::Pypi {
                    project: project.clone(),
                    index: s.index.clone(),
                    files,
                    prereleases,
                }
            }
            (None, Some(url)) => {
                if s.index.is_some() || s.files.is_some() {
                    return Err(err(
                        "source",
                        "`index` and `files` only apply to `pypi` sources".into(),
                    ));
                }
                check_source(url).map_err(|m| {
                    let failure = err("source.url", m);
                    match url.strip_prefix("http://") {
                        Some(rest) => failure.hint(format!(
                            "use url = \"https://{rest}\" (nearly every release site serves https too); a signature cannot protect what plain http exposes: which release you are shown, and who sees what you download"
                        )),
                        None => failure,
                    }
                })?;
                let pattern = s.pattern.clone().ok_or_else(|| {
                    err(
                        "source.pattern",
                        "a `url` source needs a pattern matching release file names".into(),
                    )
                    .hint(r#"e.g. pattern = 'example-(?P<version>[0-9][0-9a-z.]*)\.tar\.gz'"#)
                })?;
                let re = regex::Regex::new(&pattern).map_err(|e| {
                    err(
                        "source.pattern",
                        format!("not a valid regular expression: {e}"),
                    )
                })?;
                if re.captures_len() < 2 {
                    return Err(err(
                        "source.pattern",
                        "needs a capture group for the version: (?P<version>…)".into(),
                    )
                    .hint(version_group_hint(&pattern)));
                }
                let directory = match &s.directory {
                    None => None,
                    Some(d) => {
                        let d = d.trim_end_matches('/');
                        let (name, below) = split_directory(d);
                        if name.is_empty()
                            || below.split('/').any(|s| {
                                s.is_empty() || s == ".." || s.contains(['(', '[', '*', '\\', '?'])
                            }) && !below.is_empty()
                        {
                            return Err(err(
                                "source.directory",
                                format!("{d:?} must be a regex for one directory name, optionally followed by a fixed path"),
                            )
                            .hint(r#"e.g. directory = '(?P<version>[0-9][0-9.]*)' for https://example.org/releases/1.2/, or '([0-9.]+)/src' for …/1.2/src/"#));
                        }
                        regex::Regex::new(name).map_err(|e| {
                            err(
                                "source.directory",
                                format!("not a valid regular expression: {e}"),
                            )
                        })?;
                        Some(d.to_string())
                    }
                };
                Source::Url {
                    url: url.clone(),
                    pattern,
                    directory,
                    prereleases,
                }
            }
        };

        // A Sigstore-only watch file: an OpenPGP-only field would be silently ignored.
        if raw.keys.is_none() && raw.sigstore.is_some() {
            let openpgp_only = [
                ("signature.url", raw.signature.url.is_some()),
                ("signature.checksums", raw.signature.checksums.is_some()),
                ("signature.decompress", raw.signature.decompress.is_some()),
                ("accept", !raw.accept.is_empty()),
            ];
            if let Some((field, _)) = openpgp_only.iter().find(|(_, set)| *set) {
                return Err(err(
                    field,
                    "applies to OpenPGP signatures, and this watch file pins no [keys] (only [sigstore])".into(),
                )
                .hint("delete it, or add [keys] with keyring and fingerprints so that OpenPGP signatures are checked too"));
            }
        }
        let checksums = raw.signature.checksums.clone();
        if let Some(t) = &checksums {
            if raw.signature.url.is_some() {
                return Err(err(
                    "signature",
                    "give either `url` (a signature per file) or `checksums` (a signed checksum file), not both".into(),
                ));
            }
            check_template(t).map_err(|m| err("signature.checksums", m))?;
        }
        let signature_templates = match raw.signature.url {
            None => DEFAULT_SIGNATURE_TEMPLATES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            Some(OneOrMany::One(t)) => vec![t],
            Some(OneOrMany::Many(ts)) if ts.is_empty() => {
                return Err(err("signature.url", "the list of templates is empty".into())
                    .hint("there is no way to accept unsigned releases; `check` serves projects that do not sign"));
            }
            Some(OneOrMany::Many(ts)) => ts,
        };
        for (i, t) in signature_templates.iter().enumerate() {
            check_template(t).map_err(|m| err(&format!("signature.url[{i}]"), m))?;
        }

        let keys = match raw.keys {
            Some(keys) => Some(keys_section(
                keys,
                path.parent().unwrap_or(Path::new(".")),
                &err,
            )?),
            None if raw.sigstore.is_some() => None,
            None => {
                return Err(err("keys", "missing: nothing pins who may sign".into()).hint(
                    "add [keys] with keyring and fingerprints (OpenPGP), or [sigstore] with publishers (Sigstore / PEP 740), or both",
                ));
            }
        };
        let accept = raw
            .accept
            .into_iter()
            .enumerate()
            .map(|(i, a)| accept::validate(i, a).map_err(|(field, msg)| err(&field, msg)))
            .collect::<Result<Vec<_>, _>>()?;
        let sigstore = match raw.sigstore {
            None => None,
            Some(raw) => Some(sigstore_section(raw, path, &err)?),
        };
        Ok(Watch {
            plain_http_hosts,
            sigstore,
            accept,
            path: path.to_path_buf(),
            name,
            current: raw.current,
            source,
            signature_templates,
            checksums,
            keys,
            decompress: raw.signature.decompress.unwrap_or(false),
        })
    }
}

/// A `[source] directory` split into the regex for the directory name and the fixed path
/// below it (empty when none).
pub fn split_directory(directory: &str) -> (&str, &str) {
    let directory = directory.trim_end_matches('/');
    directory.split_once('/').unwrap_or((directory, ""))
}

/// How to give a pattern its version group: the user's own pattern with its first `.*` or
/// `.+` made the group, or an example.
fn version_group_hint(pattern: &str) -> String {
    const GROUP: &str = "(?P<version>[0-9][0-9a-z.]*)";
    let wild = [".*", ".+"].iter().filter_map(|w| pattern.find(w)).min();
    match wild {
        Some(at) => format!(
            "name the version part, e.g. pattern = '{}{GROUP}{}'",
            &pattern[..at],
            &pattern[at + 2..]
        ),
        None => format!(
            "name the version part, e.g. pattern = 'example-{GROUP}\\.tar\\.gz'; `sigwatch add --help` shows complete watch files"
        ),
    }
}

fn check_url(url: &str) -> Result<(), String> {
    use crate::base::url::Refusal;
    crate::base::url::check(url)
        .map(drop)
        .map_err(|refusal| match refusal {
            Refusal::Invalid(e) => format!("{url:?} is not a URL: {e}"),
            Refusal::PlainHttp => format!("{url:?}: {refusal} (http only to loopback hosts)"),
            Refusal::Scheme(_) => format!("{url:?}: {refusal} (use https)"),
        })
}

fn check_template(t: &str) -> Result<(), String> {
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("{t:?}: unclosed '{{'"))?;
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "{t:?}: unknown placeholder {{{name}}} (known: {})",
                PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" ")
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// Fills a signature template.
pub fn expand_template(
    template: &str,
    url: &str,
    filename: &str,
    version: &str,
    name: &str,
) -> String {
    let dir = url.rsplit_once('/').map_or(url, |(d, _)| d);
    template
        .replace("{url}", url)
        .replace("{filename}", filename)
        .replace("{version}", version)
        .replace("{name}", name)
        .replace("{dir}", dir)
}

/// The shard (1-based, of `count`) a watch file belongs to: a stable hash of its file name,
/// so adding a project moves no other.
pub fn shard_of(path: &Path, count: u32) -> u32 {
    use sha2::Digest as _;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let digest = sha2::Sha256::digest(name.as_bytes());
    let n = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    (n % u64::from(count.max(1))) as u32 + 1
}

/// Expands PATH arguments: a watch file, or a directory whose `*.toml` files are watch files.
///
/// Sorted by path, so reports are in a stable order.
pub fn collect_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, WatchError> {
    let list = |dir: &PathBuf| {
        let dir = dir.clone();
        move |error| WatchError::List { dir, error }
    };
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let entries = std::fs::read_dir(p).map_err(list(p))?;
            let mut found = Vec::new();
            for entry in entries {
                let entry = entry.map_err(list(p))?;
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
                    found.push(path);
                }
            }
            if found.is_empty() {
                return Err(WatchError::Missing {
                    path: p.clone(),
                    problem: "no watch files (*.toml) in this directory",
                });
            }
            found.sort();
            out.extend(found);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(WatchError::Missing {
                path: p.clone(),
                problem: "no such watch file or directory",
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Failure;

    const FPR: &str = "0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567";

    fn parse(text: &str) -> Result<Watch, Failure> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("keyrings")).unwrap();
        std::fs::write(dir.path().join("keyrings/k.asc"), "x").unwrap();
        Watch::parse(text, &dir.path().join("proj.toml")).map_err(Failure::from)
    }

    #[test]
    fn minimal_pypi_watch_gets_defaults() {
        let w = parse(&format!(
            "[source]\npypi = \"Foo\"\n[keys]\nkeyring = \"keyrings/k.asc\"\nfingerprints = [\"{FPR}\"]\n"
        ))
        .unwrap();
        assert_eq!(w.name, "proj");
        assert_eq!(w.keys.as_ref().unwrap().threshold, 1);
        assert_eq!(w.signature_templates, ["{url}.asc", "{url}.sig"]);
        assert!(matches!(
            w.source,
            Source::Pypi {
                files: FileSelector::Sdist,
                prereleases: false,
                ..
            }
        ));
        assert_eq!(
            w.keys.as_ref().unwrap().pins[0].to_string(),
            "0123456789ABCDEF0123456789ABCDEF01234567"
        );
    }

    #[test]
    fn unknown_keys_are_named_with_their_line() {
        let e = parse(&format!(
            "[source]\npypi = \"Foo\"\nfiels = \"wheel\"\n[keys]\nkeyring = \"keyrings/k.asc\"\nfingerprints = [\"{FPR}\"]\n"
        ))
        .unwrap_err();
        assert!(e.message.contains("proj.toml (line 3)"), "{}", e.message);
        assert!(e.message.contains("fiels"), "{}", e.message);
    }

    #[test]
    fn short_key_id_pin_names_the_field() {
        let e = parse("[source]\npypi = \"Foo\"\n[keys]\nkeyring = \"keyrings/k.asc\"\nfingerprints = [\"3372DCFA\"]\n")
            .unwrap_err();
        assert!(e.message.contains("keys.fingerprints[0]"), "{}", e.message);
        assert!(e.message.contains("short key ID"), "{}", e.message);
        assert!(e.hint.is_some());
    }

    #[test]
    fn missing_keyring_is_named() {
        let e = parse(&format!(
            "[source]\npypi = \"Foo\"\n[keys]\nkeyring = \"nope.asc\"\nfingerprints = [\"{FPR}\"]\n"
        ))
        .unwrap_err();
        assert!(
            e.message.contains("keys.keyring") && e.message.contains("nope.asc"),
            "{}",
            e.message
        );
    }

    #[test]
    fn templates_with_unknown_placeholders_are_refused() {
        let e = parse(&format!(
            "[source]\npypi = \"Foo\"\n[signature]\nurl = [\"{{url}}.asc\", \"{{uri}}.sig\"]\n[keys]\nkeyring = \"keyrings/k.asc\"\nfingerprints = [\"{FPR}\"]\n"
        ))
        .unwrap_err();
        assert!(
            e.message.contains("signature.url[1]") && e.message.contains("{uri}"),
            "{}",
            e.message
        );
    }

    #[test]
    fn url_source_needs_a_version_group() {
        let e = parse(&format!(
            "[source]\nurl = \"https://example.org/\"\npattern = 'foo-.*\\.tar\\.gz'\n[keys]\nkeyring = \"keyrings/k.asc\"\nfingerprints = [\"{FPR}\"]\n"
        ))
        .unwrap_err();
        assert!(e.message.contains("source.pattern"), "{}", e.message);
    }

    #[test]
    fn plain_http_to_other_hosts_and_url_like_pypi_names_are_refused_at_load() {
        let e = parse(&format!(
            "[source]\nurl = \"http://example.org/releases/\"\npattern = 'x-(?P<version>.+)\\.tgz'\n[keys]\nkeyring = \"keyrings/k.asc\"\nfingerprints = [\"{FPR}\"]\n"
        ))
        .unwrap_err();
        assert!(
            e.message.contains("source.url") && e.message.contains("plain http"),
            "{}",
            e.message
        );
        let e = parse(&format!(
            "[source]\npypi = \"https://evil.example/x\"\n[keys]\nkeyring = \"keyrings/k.asc\"\nfingerprints = [\"{FPR}\"]\n"
        ))
        .unwrap_err();
        assert!(e.message.contains("source.pypi"), "{}", e.message);
        assert!(parse(&format!(
            "[source]\nurl = \"http://127.0.0.1:8080/r/\"\npattern = 'x-(?P<version>.+)\\.tgz'\n[keys]\nkeyring = \"keyrings/k.asc\"\nfingerprints = [\"{FPR}\"]\n"
        ))
        .is_ok());
    }

    #[test]
    fn templates_expand_every_placeholder() {
        assert_eq!(
            expand_template(
                "{dir}/sigs/{name}-{version}/{filename}.asc",
                "https://e.org/d/f-1.tgz",
                "f-1.tgz",
                "1",
                "f"
            ),
            "https://e.org/d/sigs/f-1/f-1.tgz.asc"
        );
    }
}
