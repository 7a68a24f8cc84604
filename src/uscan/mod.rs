//! `sigwatch uscan`: a Debian source package tree run in place of uscan.
//!
//! [`tree::read`] translates `debian/watch` on the fly (the `import-debian` translation, held
//! in memory) and pins every primary key of the upstream key file, as uscan trusts them. For
//! each entry (the upstream tarball, then components) the releases are discovered and the
//! newest is chosen by the `uversionmangle`d version. `--download` hands the release to the
//! pipeline `fetch` uses (temporary file, digests, pins, history in
//! `debian/upstream/sigwatch.lock`), and only after it placed a verified file are the names
//! dpkg-source wants made: `<source>_<version>.orig.tar.<ext>` (a link to the upstream file,
//! as uscan makes it) and its `.asc` (armored).

pub mod tree;

use std::path::{Path, PathBuf};

use crate::base::version::{compare_strs, same_version};
use crate::error::{self, Failure, config};
use crate::net::http::Http;
use crate::pipeline::{FetchOptions, Places};
use crate::report::model::{ProjectReport, UscanEntry, UscanReport};
use crate::source::{self, Release};
use crate::watch::Source;
use std::cmp::Ordering;

pub use tree::{Mangles, Tree, TreeEntry};

/// What `sigwatch uscan` does.
#[derive(Debug, Clone)]
pub struct Options {
    /// Download, verify and place the release (else only report).
    pub download: bool,
    /// Where files are placed (uscan's `--destdir`, default `..` of the package tree).
    pub destdir: PathBuf,
    /// `destdir` as reported in `target_path`: as given, or `..` (uscan's words, relative to
    /// the package tree).
    pub shown_destdir: PathBuf,
    /// A specific upstream version (after `uversionmangle`) instead of the newest.
    pub version: Option<String>,
}

/// Runs a package tree. Never fails: the report carries the error.
pub async fn run(http: &Http, tree: &Tree, opts: &Options) -> UscanReport {
    let mut report = UscanReport {
        package: tree.package.clone(),
        debian_uversion: tree.debian_uversion.clone(),
        debian_mangled_uversion: tree.mangled_uversion.clone(),
        ..UscanReport::default()
    };
    report.warnings = warnings(tree);
    if let Err(f) = run_tree(http, tree, opts, &mut report).await {
        report.error = Some(f.into());
    }
    report
}

/// The options uscan would apply that sigwatch does not, and the translation's notes a
/// human should read. Options sigwatch honours are not repeated.
fn warnings(tree: &Tree) -> Vec<String> {
    let handled = [
        "uversionmangle",
        "versionmangle",
        "dversionmangle",
        "oversionmangle",
        "filenamemangle",
        "repacksuffix",
        "component",
    ];
    let mut out: Vec<String> = tree
        .notes
        .iter()
        .filter(|n| n.severity >= crate::import::Severity::Review)
        .filter(|n| !handled.iter().any(|h| n.message.starts_with(h)))
        .map(|n| n.to_string())
        .collect();
    for e in &tree.entries {
        let which = e
            .component
            .as_deref()
            .map_or(String::new(), |c| format!(" (component {c})"));
        if let Some(r) = &e.mangles.repacksuffix {
            out.push(format!(
                "repacksuffix={r}{which}: not applied: sigwatch does not repack, the .orig tarball is upstream's file as signed"
            ));
        }
    }
    let copyright = tree.dir.join("debian/copyright");
    if std::fs::read_to_string(&copyright).is_ok_and(|t| {
        t.lines()
            .any(|l| l.to_ascii_lowercase().starts_with("files-excluded"))
    }) {
        out.push("debian/copyright has Files-Excluded: sigwatch does not repack; run mk-origtargz on the verified tarball".into());
    }
    out
}

async fn run_tree(
    http: &Http,
    tree: &Tree,
    opts: &Options,
    report: &mut UscanReport,
) -> Result<(), Failure> {
    let mut chosen = Vec::new();
    for (i, entry) in tree.entries.iter().enumerate() {
        let releases = source::discover(http, &entry.watch.source).await?;
        let wanted = if i == 0 {
            opts.version.as_deref()
        } else {
            None
        };
        let (release, version) = pick(&releases, entry, wanted, &tree.package)?;
        let file = primary_file(release);
        report.entries.push(UscanEntry {
            component: entry.component.clone(),
            upstream_version: Some(version.clone()),
            upstream_raw_version: Some(release.version.clone()),
            upstream_url: file.map(|f| f.url.clone()),
            ..UscanEntry::default()
        });
        chosen.push((release.version.clone(), version));
    }
    let main_version = chosen.first().map(|(_, v)| v.clone()).unwrap_or_default();
    let order = tree
        .mangled_uversion
        .as_deref()
        .map(|current| debian_cmp(&main_version, current));
    report.newer = order.map(|o| o.is_gt());
    report.status = order.map(|o| {
        match o {
            Ordering::Greater => "newer package available",
            Ordering::Equal => "up to date",
            Ordering::Less => "only older package available",
        }
        .to_string()
    });
    if !opts.download {
        return Ok(());
    }
    if opts.version.is_none() && report.newer == Some(false) {
        report.notices.push(format!(
            "{} {} is packaged already: nothing downloaded (pass --download-version {main_version} to fetch it anyway)",
            tree.package, main_version
        ));
        return Ok(());
    }
    let orig_version = orig_version(tree, &main_version)?;
    std::fs::create_dir_all(&opts.destdir).map_err(|e| {
        error::io(
            format_args!("--destdir {}: cannot create", opts.destdir.display()),
            &e,
        )
    })?;
    for (i, entry) in tree.entries.iter().enumerate() {
        let places = places(tree, entry.component.as_deref());
        let pipeline_opts = crate::pipeline::Options {
            fetch: Some(FetchOptions {
                dest: opts.destdir.clone(),
                version: Some(chosen[i].0.clone()),
                allow_downgrade: false,
            }),
            fail_on_update: false,
            refresh_keys: false,
        };
        let fetched = crate::pipeline::run_watch(http, &entry.watch, &places, &pipeline_opts).await;
        report.notices.extend(fetched.notices.iter().cloned());
        report.warnings.extend(fetched.warnings.iter().cloned());
        if let Some(e) = fetched.error {
            return Err(Failure {
                kind: e.kind,
                message: e.message,
                hint: e.hint,
            });
        }
        place_orig(tree, entry, &fetched, &orig_version, opts, report, i)?;
    }
    report.downloaded = true;
    Ok(())
}

/// The release to use and its version after `uversionmangle`: `wanted` (mangled or as
/// upstream wrote it), else the newest by mangled version that is not yanked and not a
/// pre-release (unless the watch file accepts them).
fn pick<'r>(
    releases: &'r [Release],
    entry: &TreeEntry,
    wanted: Option<&str>,
    package: &str,
) -> Result<(&'r Release, String), Failure> {
    let mut mangled = Vec::with_capacity(releases.len());
    for r in releases {
        mangled.push((r, uversion(entry, &r.version)?));
    }
    let prereleases = match &entry.watch.source {
        Source::Pypi { prereleases, .. }
        | Source::Url { prereleases, .. }
        | Source::Forge { prereleases, .. } => *prereleases,
    };
    let what = entry.component.as_deref().map_or(package.to_string(), |c| {
        format!("{package} (component {c})")
    });
    let found = match wanted {
        Some(v) => mangled
            .into_iter()
            .find(|(r, m)| m == v || same_version(&r.version, v))
            .ok_or_else(|| {
                error::source(format!(
                    "{what}: no upstream release {v} found ({} releases listed)",
                    releases.len()
                ))
                .hint("--download-version takes the upstream version as uscan shows it (after uversionmangle)")
            })?,
        None => mangled
            .into_iter()
            .filter(|(r, _)| !r.is_yanked() && (prereleases || !r.prerelease))
            .max_by(|(_, a), (_, b)| debian_cmp(a, b))
            .ok_or_else(|| {
                error::source(format!(
                    "{what}: no upstream release found (no file matches the watch entry)"
                ))
                .hint("check the URL and matching pattern in debian/watch")
            })?,
    };
    Ok(found)
}

/// Orders upstream versions as uscan does: as Debian versions `1:<v>-0` (so `2.0~rc1` comes
/// before `2.0`); a version that is not a valid Debian version falls back to sigwatch's order.
fn debian_cmp(a: &str, b: &str) -> Ordering {
    let parse = |v: &str| format!("1:{v}-0").parse::<debversion::Version>().ok();
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => compare_strs(a, b),
    }
}

/// An upstream version after the entry's `uversionmangle`.
fn uversion(entry: &TreeEntry, raw: &str) -> Result<String, Failure> {
    match &entry.mangles.uversionmangle {
        None => Ok(raw.to_string()),
        Some(rules) => mangle(rules, raw, "uversionmangle"),
    }
}

/// Runs a uscan mangle (`s/…/…/`, `tr/…/…/`, `;`-separated) on `input`.
fn mangle(rules: &str, input: &str, option: &str) -> Result<String, Failure> {
    let mut out = input.to_string();
    for rule in rules.split(';').map(str::trim).filter(|r| !r.is_empty()) {
        out = debian_watch::mangle::apply_mangle(rule, &out).map_err(|e| {
            config(format!("debian/watch: {option}={rules}: {e}"))
                .hint("sigwatch runs s/…/…/ and tr/…/…/ rules with Rust regular expressions; simplify the rule")
        })?;
    }
    Ok(out)
}

/// The version in the `.orig` names: the upstream version after `oversionmangle`.
fn orig_version(tree: &Tree, version: &str) -> Result<String, Failure> {
    match tree
        .entries
        .first()
        .and_then(|e| e.mangles.oversionmangle.as_deref())
    {
        None => Ok(version.to_string()),
        Some(rules) => mangle(rules, version, "oversionmangle"),
    }
}

/// The main tarball's history is debian/upstream/sigwatch.lock; a component's is
/// debian/upstream/sigwatch-<component>.lock, as its versions are its own.
fn places(tree: &Tree, component: Option<&str>) -> Places {
    let name = match component {
        None => "sigwatch.lock".to_string(),
        Some(c) => format!("sigwatch-{c}.lock"),
    };
    Places {
        history: tree.dir.join("debian/upstream").join(name),
        lock: tree.dir.join("debian/watch"),
    }
}

/// The release's file uscan would take: the first tarball, else the first file.
fn primary_file(release: &Release) -> Option<&source::IndexFile> {
    release
        .files
        .iter()
        .find(|f| tar_extension(&f.filename).is_some())
        .or_else(|| release.files.first())
}

/// The compression extension of a tarball name (`gz` for `.tar.gz` and `.tgz`).
pub fn tar_extension(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    [
        (".tar.gz", "gz"),
        (".tgz", "gz"),
        (".tar.xz", "xz"),
        (".txz", "xz"),
        (".tar.bz2", "bz2"),
        (".tbz2", "bz2"),
        (".tbz", "bz2"),
        (".tar.lzma", "lzma"),
        (".tar.zst", "zst"),
    ]
    .into_iter()
    .find(|(suffix, _)| lower.ends_with(suffix))
    .map(|(_, ext)| ext)
}

/// After the pipeline placed a verified file: the `.orig` link and its armored signature.
fn place_orig(
    tree: &Tree,
    entry: &TreeEntry,
    fetched: &ProjectReport,
    orig_version: &str,
    opts: &Options,
    report: &mut UscanReport,
    index: usize,
) -> Result<(), Failure> {
    let UscanReport {
        entries,
        warnings,
        notices: messages,
        ..
    } = report;
    let out = &mut entries[index];
    let Some(file) = fetched
        .files
        .iter()
        .filter(|f| f.fetched.as_ref().is_some_and(|x| x.path.is_some()))
        .find(|f| tar_extension(&f.filename).is_some())
        .or_else(|| fetched.files.first())
    else {
        return Ok(());
    };
    let Some(got) = &file.fetched else {
        return Ok(());
    };
    out.signer = got.signer.clone();
    out.upstream_url = Some(file.url.clone());
    let (Some(path), Some(signer)) = (&got.path, &got.signer) else {
        return Ok(());
    };
    messages.push(format!(
        "Successfully downloaded and verified upstream package: {} (signed by {signer})",
        file.filename
    ));
    out.placed.push(path.clone());
    out.placed.extend(got.signature_path.iter().cloned());
    if let Some(rules) = &entry.mangles.filenamemangle {
        let uscan_name = mangle(rules, &file.url, "filenamemangle")?;
        let uscan_name = uscan_name.rsplit('/').next().unwrap_or(&uscan_name);
        if uscan_name != file.filename {
            warnings.push(format!(
                "filenamemangle={rules}: uscan would save {} as {uscan_name}; sigwatch keeps upstream's name (its history records it) and links the .orig name to it",
                file.url,
            ));
        }
    }
    let Some(ext) = tar_extension(&file.filename) else {
        return Err(config(format!(
            "{}: not a tarball, so it has no .orig name (uscan repacks such files with mk-origtargz)",
            file.filename
        ))
        .hint("the verified file is placed under its upstream name; repack it with mk-origtargz"));
    };
    let orig = match &entry.component {
        None => format!("{}_{orig_version}.orig.tar.{ext}", tree.package),
        Some(c) => format!("{}_{orig_version}.orig-{c}.tar.{ext}", tree.package),
    };
    let orig_path = opts.destdir.join(&orig);
    if orig != file.filename {
        link(&file.filename, &orig_path)?;
    }
    out.placed.push(orig_path.display().to_string());
    if let Some(sig_path) = &got.signature_path {
        let bytes = std::fs::read(sig_path)
            .map_err(|e| error::io(format_args!("{sig_path}: cannot read"), &e))?;
        let armored = crate::verify::armored_signature(&bytes)
            .map_err(|e| config(format!("{sig_path}: {e}")))?;
        let asc = opts.destdir.join(format!("{orig}.asc"));
        crate::fetch::place_bytes(&opts.destdir, &asc, &armored)?;
        out.placed.push(asc.display().to_string());
    }
    out.target_path = Some(opts.shown_destdir.join(&orig).display().to_string());
    out.target = Some(orig);
    Ok(())
}

/// Makes `at` a symbolic link to `target` (a name in the same directory), replacing what is
/// there in one rename.
fn link(target: &str, at: &Path) -> Result<(), Failure> {
    let dir = at.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".sigwatch-link-{}.part", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    #[cfg(unix)]
    std::os::unix::fs::symlink(target, &tmp)
        .map_err(|e| error::io(format_args!("{}: cannot create a link", at.display()), &e))?;
    #[cfg(not(unix))]
    std::fs::copy(dir.join(target), &tmp)
        .map_err(|e| error::io(format_args!("{}: cannot copy", at.display()), &e))?;
    std::fs::rename(&tmp, at)
        .map_err(|e| error::io(format_args!("{}: cannot move into place", at.display()), &e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_as_debian_versions() {
        assert_eq!(debian_cmp("2.0~rc1", "2.0"), Ordering::Less);
        assert_eq!(debian_cmp("1.10", "1.9"), Ordering::Greater);
        assert_eq!(debian_cmp("1.0", "1.0"), Ordering::Equal);
        assert_eq!(debian_cmp("1.0+ds", "1.0"), Ordering::Greater);
    }

    #[test]
    fn tarball_extensions_are_named_as_dpkg_source_wants() {
        assert_eq!(tar_extension("a-1.tar.gz"), Some("gz"));
        assert_eq!(tar_extension("a-1.tgz"), Some("gz"));
        assert_eq!(tar_extension("a-1.tar.xz"), Some("xz"));
        assert_eq!(tar_extension("a-1.zip"), None);
    }
}
