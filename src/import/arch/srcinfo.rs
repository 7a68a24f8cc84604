//! Reading a `.SRCINFO` (what makepkg --printsrcinfo writes, and what the AUR and Arch's
//! package repositories publish beside every PKGBUILD) with the ALPM project's parser.

use alpm_srcinfo::SourceInfoV1;

use super::translate::{Element, Text};
use super::{Recipe, SRCINFO};

/// Parses a `.SRCINFO`; `Err` says why it was not accepted.
pub(super) fn read(text: &str) -> Result<Recipe, String> {
    let info = SourceInfoV1::from_string(text).map_err(|e| one_line(&e.to_string()))?;
    let base = &info.base;
    // Lines are found by their text: the parser keeps values, not positions.
    let line_of = |key: &str, value: &str| -> usize {
        text.lines()
            .position(|l| {
                l.trim()
                    .split_once('=')
                    .is_some_and(|(k, v)| k.trim() == key && v.trim() == value)
            })
            .map_or(0, |i| i + 1)
    };
    let first_line = |key: &str| -> Option<usize> {
        text.lines()
            .position(|l| {
                l.trim()
                    .split_once('=')
                    .is_some_and(|(k, _)| k.trim() == key)
            })
            .map(|i| i + 1)
    };
    let element = |key: &str, value: String| Element {
        line: line_of(key, &value),
        value: Ok(Text::literal(&value)),
    };
    let sources = base
        .sources
        .iter()
        .map(|s| element("source", s.to_string()))
        .collect();
    let mut arch_sources = Vec::new();
    for (arch, props) in &base.architecture_properties {
        if !props.sources.is_empty() {
            let key = format!("source_{arch}");
            let line = first_line(&key).unwrap_or_default();
            arch_sources.push((key, line));
        }
    }
    let validpgpkeys = (!base.pgp_fingerprints.is_empty()).then(|| {
        Ok(base
            .pgp_fingerprints
            .iter()
            .map(|f| element("validpgpkeys", f.to_string()))
            .collect())
    });
    let lines = ["pkgbase", "pkgname", "pkgver", "source", "validpgpkeys"]
        .iter()
        .filter_map(|k| first_line(k).map(|l| (k.to_string(), l)))
        .collect();
    Ok(Recipe {
        file: SRCINFO,
        base: Some(base.name.to_string()),
        packages: info.packages.iter().map(|p| p.name.to_string()).collect(),
        pkgver: Ok(Some(base.version.pkgver.to_string())),
        sources,
        arch_sources,
        validpgpkeys,
        lines,
    })
}

/// The first line of a parser's (possibly multi-line, annotated) error.
fn one_line(e: &str) -> String {
    e.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("not a valid .SRCINFO")
        .to_string()
}
