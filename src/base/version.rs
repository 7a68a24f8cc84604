//! Version ordering: PEP 440 where every version parses as such, else a natural order.
//!
//! Natural order splits a version into runs of digits and runs of other characters and
//! compares digit runs as numbers (so 1.9 < 1.10) and other runs as text; when one version
//! is a prefix of the other, the longer one is newer (1.0 < 1.0.1, 1.0 < 1.0a).

use std::cmp::Ordering;
use std::str::FromStr;

use pep440_rs::Version;

/// A sortable version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionKey {
    /// A PEP 440 version.
    Pep440(Version),
    /// Anything else, in natural order.
    Natural(String),
}

impl VersionKey {
    /// True for PEP 440 pre-releases and development releases.
    pub fn is_prerelease(&self) -> bool {
        match self {
            VersionKey::Pep440(v) => v.any_prerelease(),
            VersionKey::Natural(_) => false,
        }
    }
}

/// Parses a set of version strings into keys: PEP 440 when all parse, else natural order.
pub fn keys_for(versions: &[&str]) -> Vec<VersionKey> {
    let parsed: Vec<Option<Version>> = versions.iter().map(|v| Version::from_str(v).ok()).collect();
    if parsed.iter().all(Option::is_some) {
        parsed
            .into_iter()
            .map(|v| VersionKey::Pep440(v.expect("checked")))
            .collect()
    } else {
        versions
            .iter()
            .map(|v| VersionKey::Natural(v.to_string()))
            .collect()
    }
}

/// Compares two keys made by the same [`keys_for`] call.
pub fn compare(a: &VersionKey, b: &VersionKey) -> Ordering {
    match (a, b) {
        (VersionKey::Pep440(x), VersionKey::Pep440(y)) => x.cmp(y),
        (VersionKey::Natural(x), VersionKey::Natural(y)) => natural_cmp(x, y),
        (VersionKey::Pep440(x), VersionKey::Natural(y)) => natural_cmp(&x.to_string(), y),
        (VersionKey::Natural(x), VersionKey::Pep440(y)) => natural_cmp(x, &y.to_string()),
    }
}

/// Whether two version strings name the same version (PEP 440 normalization when both parse).
pub fn same_version(a: &str, b: &str) -> bool {
    match (Version::from_str(a), Version::from_str(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Compares two version strings: PEP 440 when both parse, else natural order.
pub fn compare_strs(a: &str, b: &str) -> Ordering {
    let keys = keys_for(&[a, b]);
    compare(&keys[0], &keys[1])
}

enum Part<'a> {
    Num(&'a str),
    Text(&'a str),
}

fn parts(s: &str) -> Vec<Part<'_>> {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let digit = bytes[i].is_ascii_digit();
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() == digit {
            i += 1;
        }
        let run = &s[start..i];
        out.push(if digit {
            Part::Num(run)
        } else {
            Part::Text(run)
        });
    }
    out
}

/// Natural order, see the module documentation.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (pa, pb) = (parts(a), parts(b));
    for (x, y) in pa.iter().zip(pb.iter()) {
        let ord = match (x, y) {
            (Part::Num(x), Part::Num(y)) => {
                let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                x.len().cmp(&y.len()).then_with(|| x.cmp(y))
            }
            (Part::Text(x), Part::Text(y)) => x.cmp(y),
            (Part::Num(_), Part::Text(_)) => Ordering::Greater,
            (Part::Text(_), Part::Num(_)) => Ordering::Less,
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    pa.len().cmp(&pb.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep440_orders_1_10_after_1_9_and_rc_before_final() {
        assert_eq!(compare_strs("1.10", "1.9"), Ordering::Greater);
        assert_eq!(compare_strs("2.0rc1", "2.0"), Ordering::Less);
        assert_eq!(compare_strs("2.0.post1", "2.0"), Ordering::Greater);
        assert!(same_version("1.0", "1.0.0"));
    }

    #[test]
    fn natural_order_compares_digit_runs_as_numbers() {
        assert_eq!(natural_cmp("1.9", "1.10"), Ordering::Less);
        assert_eq!(natural_cmp("2024_01", "2023_12"), Ordering::Greater);
        assert_eq!(natural_cmp("1.0", "1.0.1"), Ordering::Less);
        assert_eq!(natural_cmp("r10", "r9"), Ordering::Greater);
        assert_eq!(natural_cmp("007", "7"), Ordering::Equal);
    }

    #[test]
    fn mixed_sets_fall_back_to_natural_order() {
        let keys = keys_for(&["1.9", "snapshot-2"]);
        assert!(matches!(keys[0], VersionKey::Natural(_)));
        assert!(VersionKey::Pep440(Version::from_str("1.0a1").unwrap()).is_prerelease());
    }
}
