//! Translating one watch entry into a `[source]` and `[signature]` of a sigwatch watch file.

use super::parse::Entry;
use super::pattern::{
    Mangle, dir_pattern, file_pattern, mangle_template, resolve_backrefs, subst, subst_pattern,
};
use super::{Note, Severity, WATCH, note};
use crate::watch::ForgeKind;

// Translation

pub(super) struct Translation {
    pub(super) format: String,
    pub(super) source: Vec<(String, toml::Value)>,
    pub(super) templates: Vec<String>,
    pub(super) signature_note: Option<String>,
    /// `decompress`: upstream signs the uncompressed content.
    pub(super) decompress: bool,
    /// Why the original does not verify signatures (empty: it does).
    pub(super) not_verifying: Vec<String>,
}

pub(super) const PYPI_HOSTS: [&str; 5] = [
    "pypi.debian.net",
    "pypi.org",
    "www.pypi.org",
    "pypi.python.org",
    "files.pythonhosted.org",
];

pub(super) fn translate(
    entry: &Entry,
    next: Option<&Entry>,
    package: &str,
    notes: &mut Vec<Note>,
) -> Translation {
    let mut not_verifying = Vec::new();
    let mut refuse = |notes: &mut Vec<Note>, line: usize, msg: String| {
        notes.push(note(Some(line), Severity::Error, msg.clone()));
        not_verifying.push(msg);
    };

    // Source.
    let url = subst(&entry.url, package);
    let pattern = entry
        .pattern
        .as_deref()
        .map(|p| resolve_backrefs(&subst_pattern(p, package), &url));
    let mut decompress = false;
    let parsed_url = url::Url::parse(&url).ok();
    let host = parsed_url
        .as_ref()
        .and_then(|u| u.host_str().map(str::to_lowercase))
        .unwrap_or_default();
    let pypi_name = PYPI_HOSTS
        .contains(&host.as_str())
        .then(|| parsed_url.as_ref().and_then(pypi_project))
        .flatten()
        .or_else(|| {
            entry
                .template
                .as_deref()
                .filter(|t| t.eq_ignore_ascii_case("pypi"))
                .and_then(|_| entry.opt("dist").map(|d| d.value.clone()))
        });
    let is_pypi = pypi_name.is_some();
    let mut source = Vec::new();
    let mut forge_used = false;
    let mut download_mangle_used = false;
    if let Some(name) = &pypi_name {
        source.push(("pypi".to_string(), toml::Value::String(name.clone())));
        notes.push(note(
            Some(entry.line),
            Severity::Info,
            format!("{url} is PyPI: translated to the PyPI source `pypi = {name:?}`, which also checks the index's sha256 digests"),
        ));
    } else if let Some(forge) = forge_source(&url, pattern.as_deref(), entry, notes) {
        forge_used = true;
        source = forge;
    } else {
        let (listing, directory, listing_notes) = listing_url(&url, entry.line);
        notes.extend(listing_notes);
        source.push(("url".to_string(), toml::Value::String(listing)));
        if let Some(d) = directory {
            source.push(("directory".to_string(), toml::Value::String(d)));
        }
        // A pattern of version directories (`.*/foo-@ANY_VERSION@/`) whose file inside is
        // named by downloadurlmangle: the same search, written as `directory` and `pattern`.
        let in_directories = pattern
            .as_deref()
            .filter(|p| p.ends_with('/') && !source.iter().any(|(k, _)| k == "directory"))
            .and_then(|p| directory_from_links(p, entry, package));
        if let Some((directory, file)) = in_directories {
            download_mangle_used = true;
            notes.push(note(
                Some(entry.line),
                Severity::Review,
                format!("the pattern matches version directories and downloadurlmangle names the file in them: written as `directory = '{directory}'` (the newest matching directory is read) and `pattern = '{file}'`; check the file name's version part"),
            ));
            source.push(("directory".to_string(), toml::Value::String(directory)));
            source.push(("pattern".to_string(), toml::Value::String(file)));
        } else {
            match &pattern {
                None => notes.push(note(
                    Some(entry.line),
                    Severity::Error,
                    "no matching pattern: write `pattern` with a (?P<version>…) group by hand"
                        .into(),
                )),
                Some(p) => match file_pattern(p) {
                    Ok((fp, extra)) => {
                        for m in extra {
                            notes.push(note(Some(entry.line), Severity::Review, m));
                        }
                        source.push(("pattern".to_string(), toml::Value::String(fp)));
                    }
                    Err(why) => {
                        notes.push(note(
                            Some(entry.line),
                            Severity::Error,
                            format!("matching pattern {p:?} cannot be translated: {why}"),
                        ));
                        source.push(("pattern".to_string(), toml::Value::String(p.clone())));
                    }
                },
            }
        }
    }

    // Options other than the pgp ones.
    for o in &entry.opts {
        let here = Some(o.line);
        let msg = |what: &str| format!("{}={}: {what}", o.raw_key, o.value);
        match o.key.as_str() {
            "pgpmode" | "pgpsigurlmangle" | "template" | "component" => {}
            "dversionmangle" | "oversionmangle" => notes.push(note(
                here,
                Severity::Info,
                msg("dropped: it only maps Debian versions for uscan's comparison (applied to `current`)"),
            )),
            "uversionmangle" | "versionmangle" if is_pypi => notes.push(note(
                here,
                Severity::Info,
                msg("dropped: it only makes upstream versions sort as Debian versions; PyPI versions are ordered by PEP 440"),
            )),
            "uversionmangle" | "versionmangle" => notes.push(note(
                here,
                Severity::Review,
                msg("not translated: sigwatch orders the versions as written; check that the newest release is picked"),
            )),
            "searchmode" if o.value.trim() == "html" => {}
            "searchmode" if is_pypi => notes.push(note(
                here,
                Severity::Info,
                msg("dropped: the PyPI source reads the index, not a page"),
            )),
            "searchmode" => notes.push(note(
                here,
                Severity::Review,
                msg("not translated: sigwatch reads the links (<a href>) of the page, not its plain text; check the page has links"),
            )),
            "filenamemangle" => notes.push(note(
                here,
                Severity::Review,
                msg("not translated: sigwatch keeps the upstream file name; check the pattern still matches the links' file names"),
            )),
            "downloadurlmangle" if download_mangle_used => {}
            "downloadurlmangle" => notes.push(note(
                here,
                Severity::Review,
                msg("not translated: sigwatch downloads the linked URL itself; check it is the release file"),
            )),
            "pagemangle" => notes.push(note(
                here,
                Severity::Review,
                msg("not translated: sigwatch reads the page as served; check its links match"),
            )),
            "dirversionmangle" => notes.push(note(
                here,
                Severity::Review,
                msg("not translated: sigwatch orders the version directories as written"),
            )),
            "useragent" => notes.push(note(
                here,
                Severity::Review,
                msg("not translated: sigwatch sends its own User-Agent"),
            )),
            "mode" => match o.value.trim() {
                "lwp" | "http" => {}
                "gitlab" if forge_used => {}
                "git" | "svn" => refuse(
                    notes,
                    o.line,
                    msg("releases come from a version-control repository, not files with detached signatures; sigwatch cannot verify them"),
                ),
                _ => notes.push(note(
                    here,
                    Severity::Review,
                    msg("not translated: sigwatch reads the links of a page; check it lists the releases"),
                )),
            },
            // Upstream signs the uncompressed tarball: `[signature] decompress = true`.
            "decompress" => decompress = true,
            // Packaging-only options: how uscan repacks or names things locally.
            "pasv" | "passive" | "active" | "nopasv" => {}
            "ctype" | "compression" | "repack" | "repacksuffix" | "bare"
            | "unzipopt" | "script" | "updatescript" | "versionpolicy" | "gitexport"
            | "gitmode" | "pretty" | "date" | "releaseonly" | "versiontype" | "dist"
            | "owner" | "project" | "package" | "source" | "matchingpattern" => {}
            _ => notes.push(note(
                here,
                Severity::Review,
                msg("unknown option, not translated"),
            )),
        }
    }

    // Signatures.
    let mode = entry.pgpmode().map(str::to_lowercase);
    let mangle = entry.opt("pgpsigurlmangle");
    let next_is_sig = next.is_some_and(|n| n.pgpmode() == Some("previous"));
    let mut templates = Vec::new();
    let mut signature_note = None;
    let pgp_line = entry.opt("pgpmode").map_or(entry.line, |o| o.line);
    let next_mode =
        mode.as_deref() == Some("next") || (mode.is_none() && mangle.is_none() && next_is_sig);
    let next_template = next_mode
        .then(|| next.and_then(|n| next_line_template(entry, n, package)))
        .flatten();
    match mode.as_deref() {
        Some("none") => refuse(
            notes,
            pgp_line,
            "pgpmode=none: debian/watch does not check signatures".into(),
        ),
        Some("gittag") => refuse(
            notes,
            pgp_line,
            "pgpmode=gittag verifies signed git tags; sigwatch verifies detached signatures on release files".into(),
        ),
        Some("self") => refuse(
            notes,
            pgp_line,
            "pgpmode=self: releases are inline-signed files; sigwatch verifies detached signatures only".into(),
        ),
        Some("auto") => {
            templates = vec!["{url}.asc".to_string(), "{url}.sig".to_string()];
            signature_note = Some(format!(
                "From pgpmode=auto ({WATCH}:{pgp_line}): the signature next to the file, .asc tried first."
            ));
            if let Some(m) = mangle {
                notes.push(note(
                    Some(m.line),
                    Severity::Info,
                    format!("pgpsigurlmangle={} is ignored under pgpmode=auto (as uscan does)", m.value),
                ));
            }
        }
        _ if next_template.is_some() => {
            // The next line names one file per version (`foo-@ANY_VERSION@.tar.sign`).
            signature_note = Some(format!(
                "From pgpmode=next ({WATCH}:{pgp_line}): the signature is the file the next watch line names."
            ));
            templates = next_template.into_iter().collect();
        }
        _ if next_mode => {
            // The signature is found by the next watch line, so its URL is not fixed.
            let sig_pattern = next.and_then(|n| n.pattern.clone()).unwrap_or_default();
            let mut exts: Vec<&str> = ["asc", "sig", "sign", "gpg", "pgp"]
                .into_iter()
                .filter(|e| sig_pattern.contains(e))
                .collect();
            if exts.is_empty() {
                exts = vec!["asc", "sig"];
            }
            templates = exts.iter().map(|e| format!("{{url}}.{e}")).collect();
            signature_note = Some(format!(
                "From pgpmode=next ({WATCH}:{pgp_line}): uscan finds the signature with the next watch line, so it has no fixed URL; these templates are tried in order."
            ));
            notes.push(note(
                Some(pgp_line),
                Severity::Review,
                format!(
                    "pgpmode=next: the signature URL is not fixed; translated to {} tried in order; check where upstream puts signatures",
                    templates.join(", ")
                ),
            ));
        }
        Some("default") | Some("mangle") | None => match mangle {
            Some(m) => {
                let rules = subst(&m.value, package);
                let sample_dir = if is_pypi {
                    "https://files.pythonhosted.org/packages/ab/cd/".to_string()
                } else {
                    let u = subst(&entry.url, package);
                    if u.ends_with('/') { u } else { format!("{u}/") }
                };
                match mangle_template(&rules, &sample_dir, package) {
                    Ok(t) => {
                        signature_note = Some(format!(
                            "From pgpsigurlmangle={} ({WATCH}:{}).",
                            m.value, m.line
                        ));
                        templates = vec![t];
                    }
                    Err(why) => {
                        templates = vec!["{url}.asc".to_string(), "{url}.sig".to_string()];
                        signature_note = Some(format!(
                            "TODO: pgpsigurlmangle={} ({WATCH}:{}) could not be translated; these are guesses.",
                            m.value, m.line
                        ));
                        notes.push(note(
                            Some(m.line),
                            Severity::Review,
                            format!(
                                "pgpsigurlmangle={} cannot be expressed as a signature URL template ({why}); wrote {{url}}.asc, {{url}}.sig: check where upstream puts signatures",
                                m.value
                            ),
                        ));
                    }
                }
            }
            None if mode.is_some() => refuse(
                notes,
                pgp_line,
                format!("pgpmode={} without pgpsigurlmangle: uscan has no signature URL and does not check signatures", mode.as_deref().unwrap_or_default()),
            ),
            None => refuse(
                notes,
                entry.line,
                "no pgpsigurlmangle or pgpmode option: uscan does not check signatures for this source".into(),
            ),
        },
        Some(other) => refuse(
            notes,
            pgp_line,
            format!("pgpmode={other} is not known; nothing is verified"),
        ),
    }

    Translation {
        decompress,
        format: entry.format.clone(),
        source,
        templates,
        signature_note,
        not_verifying,
    }
}

/// For a matching pattern of version directories (`.*/foo-@ANY_VERSION@/`) and a
/// downloadurlmangle of one rule whose result's file name holds the version (`$1`): the
/// `directory` pattern and the file pattern inside it.
fn directory_from_links(pattern: &str, entry: &Entry, package: &str) -> Option<(String, String)> {
    let (directory, _) = file_pattern(pattern.trim_end_matches('/')).ok()?;
    regex::Regex::new(&directory).ok()?;
    let rules = subst(&entry.opt("downloadurlmangle")?.value, package);
    let mangle = Mangle::parse(&rules).ok()?;
    let [rule] = mangle.0.as_slice() else {
        return None;
    };
    let name = rule.replacement.rsplit('/').next()?;
    let parts: Vec<&str> = name.split("${1}").collect();
    if parts.len() < 2 || parts.iter().any(|p| p.contains('$')) {
        return None;
    }
    // The file's version is its directory's; `[0-9][0-9.]*` keeps `-bin` builds out.
    let mut file = regex::escape(parts[0]);
    for (i, part) in parts[1..].iter().enumerate() {
        file.push_str(if i == 0 {
            "(?P<version>[0-9][0-9.]*)"
        } else {
            "[0-9][0-9.]*"
        });
        file.push_str(&regex::escape(part));
    }
    Some((directory, file))
}

/// The signature URL template for `pgpmode=next` when the next (`pgpmode=previous`) line's
/// pattern names exactly one file per version: its version group (or `@ANY_VERSION@`) becomes
/// `{version}` and the rest is literal (`\.` a dot). In the entry's own directory it is
/// `{dir}/…`, else the next line's directory.
fn next_line_template(entry: &Entry, next: &Entry, package: &str) -> Option<String> {
    let pattern = next.pattern.as_deref()?.replace("@PACKAGE@", package);
    let named = if pattern.contains("@ANY_VERSION@") {
        pattern.replacen("@ANY_VERSION@", "{version}", 1)
    } else {
        let open = pattern.find('(')?;
        let close = open + pattern[open..].find(')')?;
        if pattern[open + 1..close].contains('(') {
            return None;
        }
        format!("{}{{version}}{}", &pattern[..open], &pattern[close + 1..])
    };
    let name = named.replace("\\.", ".").replace("\\-", "-");
    let rest = name.replacen("{version}", "", 1);
    if rest.is_empty() || rest.chars().any(|c| "()[]{}*+?|\\^$@/ ".contains(c)) {
        return None;
    }
    let dir = |e: &Entry| subst(&e.url, package).trim_end_matches('/').to_string();
    let base = if dir(next) == dir(entry) {
        "{dir}".to_string()
    } else {
        dir(next)
    };
    url::Url::parse(&format!("{}/x", dir(next))).ok()?;
    Some(format!("{base}/{name}"))
}

/// A GitHub or GitLab project named by a watch URL (a project, releases or tags page):
/// (kind, project, API base for self-hosted GitLab).
pub(super) fn forge_project(
    url: &url::Url,
    gitlab_mode: bool,
) -> Option<(ForgeKind, String, Option<String>)> {
    let host = url.host_str()?.to_ascii_lowercase();
    let segs: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    if host == "github.com" {
        let page_ok = segs.len() == 2
            || (segs.len() >= 3 && ["releases", "tags", "downloads"].contains(&segs[2]));
        return (segs.len() >= 2 && page_ok)
            .then(|| (ForgeKind::Github, format!("{}/{}", segs[0], segs[1]), None));
    }
    let gitlab_host = host == "gitlab.com" || host.contains("gitlab") || host == "salsa.debian.org";
    if !(gitlab_host || gitlab_mode) {
        return None;
    }
    let project: Vec<&str> = match segs.iter().position(|s| *s == "-") {
        Some(d) if ["tags", "releases"].contains(segs.get(d + 1).unwrap_or(&"")) => {
            segs[..d].to_vec()
        }
        Some(_) => return None,
        None if gitlab_mode => segs.clone(),
        None => return None,
    };
    if project.len() < 2 {
        return None;
    }
    let api = (host != "gitlab.com").then(|| format!("{}://{host}", url.scheme()));
    Some((ForgeKind::Gitlab, project.join("/"), api))
}

/// A `github`/`gitlab` source when the watch URL is a forge's release or tag page and the
/// pattern names release assets. Tag archives (`/archive/…`) are not release assets, so those
/// stay URL sources, with a note saying why.
pub(super) fn forge_source(
    url: &str,
    pattern: Option<&str>,
    entry: &Entry,
    notes: &mut Vec<Note>,
) -> Option<Vec<(String, toml::Value)>> {
    let parsed = url::Url::parse(url).ok()?;
    let gitlab_mode = entry
        .opt("mode")
        .is_some_and(|m| m.value.trim() == "gitlab");
    let (kind, project, api) = forge_project(&parsed, gitlab_mode)?;
    let (forge, field) = match kind {
        ForgeKind::Github => ("GitHub", "github"),
        ForgeKind::Gitlab => ("GitLab", "gitlab"),
    };
    let p = pattern?;
    let (fp, extra) = file_pattern(p).ok()?;
    let lower = p.to_ascii_lowercase();
    let names_assets = [
        "releases/download",
        "/-/releases/",
        "downloads/",
        "/uploads/",
    ]
    .iter()
    .any(|m| lower.contains(m));
    let names_archives = [
        "archive/",
        "/tarball/",
        "/zipball/",
        "refs/tags",
        "-/archive",
    ]
    .iter()
    .any(|m| lower.contains(m));
    // A file name that starts with the version (`v1.2.tar.gz`) is how forges name tag archives.
    let bare = fp
        .trim_start_matches("v?")
        .trim_start_matches('v')
        .trim_start_matches("[-_]?")
        .starts_with("(?P<version>");
    let web = format!(
        "{}{project}",
        match kind {
            ForgeKind::Github => "https://github.com/".to_string(),
            ForgeKind::Gitlab => format!(
                "{}://{}/",
                parsed.scheme(),
                parsed.host_str().unwrap_or_default()
            ),
        }
    );
    if !names_assets && (names_archives || bare) {
        notes.push(note(
            Some(entry.line),
            Severity::Review,
            format!("{url} is the {forge} project {project}, but the pattern matches tag archives (/archive/…), which the forge makes on demand and which are not release assets: the `{field}` source reads release assets only, so this stays a URL source; check the page lists the archives (GitHub's tags page does), and if upstream attaches signed release files, use `{field} = {project:?}` with a pattern for them"),
        ));
        return None;
    }
    for m in extra {
        notes.push(note(Some(entry.line), Severity::Review, m));
    }
    notes.push(note(
        Some(entry.line),
        Severity::Info,
        format!("{url} is {forge}'s {web}: translated to the {forge} source `{field} = {project:?}`, which lists release assets through the forge's API"),
    ));
    if !names_assets {
        notes.push(note(
            Some(entry.line),
            Severity::Review,
            format!("the pattern {p:?} was taken to name release assets (files attached to {forge} releases); check them, as tag archives would need a URL source"),
        ));
    }
    let mut source = vec![(field.to_string(), toml::Value::String(project))];
    if let Some(api) = api {
        source.push(("api".to_string(), toml::Value::String(api)));
    }
    source.push(("pattern".to_string(), toml::Value::String(fp)));
    Some(source)
}

/// The PyPI project named by a PyPI URL (index page, project page, sdist path, redirector).
pub(super) fn pypi_project(url: &url::Url) -> Option<String> {
    let segs: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    let host = url.host_str()?.to_lowercase();
    let name = match (host.as_str(), segs.as_slice()) {
        ("pypi.debian.net", [name, ..]) => name,
        (_, ["project" | "simple" | "pypi", name, ..]) => name,
        (_, ["packages", "source", _, name, ..]) => name,
        _ => return None,
    };
    let ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    ok.then(|| name.to_string())
}

/// The listing URL: ftp becomes https, and regex directories are cut off (both reviewed).
/// A regex in the last directory of the URL (`…/frameworks/([\d.]+)/`) is uscan's search of
/// version directories: it comes back as the `directory` to write.
pub(super) fn listing_url(url: &str, line: usize) -> (String, Option<String>, Vec<Note>) {
    let mut notes = Vec::new();
    let mut url = url.to_string();
    if let Some(rest) = url.strip_prefix("ftp://") {
        url = format!("https://{rest}");
        notes.push(note(
            Some(line),
            Severity::Review,
            format!("ftp:// is not supported: wrote {url}; check the server offers the same listing over https"),
        ));
    }
    if let Some(rest) = url.strip_prefix("http://").filter(|_| !loopback(&url)) {
        url = format!("https://{rest}");
        notes.push(note(
            Some(line),
            Severity::Review,
            format!("plain http:// upstream URL: wrote {url} for the same host (sigwatch fetches over https only); check the host serves it"),
        ));
    }
    // `+` and `?` alone are not enough: `c++-lib` is a directory, `?per_page=100` a query.
    let is_regex = |s: &str| s.contains(['(', '[', '*', '\\', '|']);
    if let Some(scheme_end) = url.find("://") {
        let after = &url[scheme_end + 3..];
        let mut kept = url[..scheme_end + 3].to_string();
        let mut cut = None;
        let mut below = String::new();
        for (i, seg) in after.split('/').enumerate() {
            if cut.is_some() {
                below.push_str(seg);
                below.push('/');
                continue;
            }
            if i > 0 && is_regex(seg) {
                cut = Some(seg.to_string());
                continue;
            }
            kept.push_str(seg);
            kept.push('/');
        }
        if let Some(seg) = cut {
            // One regex directory, maybe with a fixed path below it: searched the same way.
            let below = below.trim_matches('/');
            let pattern = (!is_regex(below))
                .then(|| dir_pattern(&seg))
                .flatten()
                .map(|d| {
                    if below.is_empty() {
                        d
                    } else {
                        format!("{d}/{below}")
                    }
                });
            match pattern {
                Some(d) => {
                    notes.push(note(
                        Some(line),
                        Severity::Info,
                        format!("the URL searches directories matching {seg:?}: written as `directory` under {kept}, whose newest matching directory sigwatch reads"),
                    ));
                    return (kept, Some(d), notes);
                }
                None => notes.push(note(
                    Some(line),
                    Severity::Review,
                    format!("the URL searches directories matching {seg:?}; sigwatch reads one page: wrote {kept}, check it lists the releases (or point it at the newest directory)"),
                )),
            }
            url = kept;
        }
    }
    (url, None, notes)
}

/// Whether `url` names a loopback host, where sigwatch allows plain http (local mirrors, tests).
fn loopback(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| crate::base::url::is_loopback(&u))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn common_mangles_become_templates() {
        let dir = "https://e.org/pub/";
        assert_eq!(
            mangle_template("s/$/.asc/", dir, "foo").unwrap(),
            "{url}.asc"
        );
        assert_eq!(
            mangle_template("s%$%.sig%", dir, "foo").unwrap(),
            "{url}.sig"
        );
        assert_eq!(
            mangle_template(r"s/$/\.sign/", dir, "foo").unwrap(),
            "{url}.sign"
        );
        assert_eq!(
            mangle_template(r"s%(\.tar\.[a-z]+)$%$1.asc%", dir, "foo").unwrap(),
            "{url}.asc"
        );
        assert_eq!(
            mangle_template(r"s%^(.*)/([^/]+)$%$1/sigs/$2.asc%", dir, "foo").unwrap(),
            "{dir}/sigs/{filename}.asc"
        );
        assert!(mangle_template("s/foo/bar/", "https://x.org/", "baz").is_err());
    }

    #[test]
    pub(super) fn patterns_keep_only_the_file_name_part() {
        let p = |s: &str| file_pattern(&subst_pattern(s, "foo")).map(|(p, _)| p);
        assert_eq!(
            p(r".*/foo-(\d[\d.]*)\.tar\.gz").unwrap(),
            r"foo-(?P<version>\d[\d.]*)\.tar\.gz"
        );
        assert_eq!(
            p(r"(?:.*?/)?foo-(\d\S+)\.tar\.gz").unwrap(),
            r"foo-(?P<version>\d\S+)\.tar\.gz"
        );
        assert_eq!(
            p(r"https://e.org/dl/foo-([\d.]+)\.tar\.gz").unwrap(),
            r"foo-(?P<version>[\d.]+)\.tar\.gz"
        );
        assert!(
            p(r".*/(?:refs/tags/)?v?@ANY_VERSION@@ARCHIVE_EXT@")
                .unwrap()
                .starts_with("v?[-_]?(?P<version>")
        );
        assert_eq!(
            p(r"(?:.*[/=]|)wget(?:[_\-]?|[_\-]v)(\d\S*)\.tar\.gz").unwrap(),
            r"wget(?:[_\-]?|[_\-]v)(?P<version>\d\S*)\.tar\.gz"
        );
        assert!(p(r"foo-\.tar\.gz").is_err());
    }

    #[test]
    pub(super) fn pypi_urls_name_the_project() {
        let n = |u: &str| pypi_project(&url::Url::parse(u).unwrap());
        assert_eq!(
            n("https://pypi.debian.net/flufl.lock/flufl.lock-(.+)").as_deref(),
            Some("flufl.lock")
        );
        assert_eq!(
            n("https://pypi.org/project/requests/").as_deref(),
            Some("requests")
        );
        assert_eq!(
            n("https://pypi.python.org/packages/source/r/requests/").as_deref(),
            Some("requests")
        );
    }
}
