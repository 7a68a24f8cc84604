//! Signer history: `<watch file>.lock`, a record of every verified release.
//!
//! The lock file sits beside the watch file (named `foo.toml.lock`, so directory scans for
//! `*.toml` skip it). It is TOML, one `[[release]]` table per verified file, appended in
//! order, so it diffs well under version control. It makes trust decisions visible over
//! time: a new signer is announced (key rotation), an older version than recorded is refused
//! (rollback), and a recorded file name with new content is refused (re-upload).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Failure, VerifyError, config};

/// One verified file.
///
/// An OpenPGP signer is recorded as `key` and `certificate`, a Sigstore signer as `identity`,
/// `issuer` and `log_index`; a watch file with both `[keys]` and `[sigstore]` records both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The release version.
    pub version: String,
    /// The file name.
    pub file: String,
    /// Its sha256, lowercase hex.
    pub sha256: String,
    /// Fingerprint of the OpenPGP (sub)key that signed (empty: no OpenPGP proof).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// Primary fingerprint of the signing OpenPGP certificate (empty: no OpenPGP proof).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub certificate: String,
    /// The Sigstore certificate's identity (SAN) that published the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// The Sigstore certificate's OIDC issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The transparency-log index of the Sigstore entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    /// When the signature was made, or the log integrated it (RFC 3339 UTC).
    pub signed: String,
    /// When sigwatch recorded it (RFC 3339 UTC).
    pub recorded: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LockFile {
    #[serde(default)]
    release: Vec<Entry>,
}

/// The history of one watch file.
#[derive(Debug, Default)]
pub struct History {
    /// The lock file's path.
    pub path: PathBuf,
    /// Entries in the order they were recorded.
    pub entries: Vec<Entry>,
}

/// The lock file of a watch file: `foo.toml` → `foo.toml.lock`.
pub fn lock_path(watch: &Path) -> PathBuf {
    let mut name = watch.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

const HEADER: &str = "# sigwatch signer history: every release `sigwatch fetch` verified for this watch file.\n\
# Written by sigwatch; commit it beside the watch file. Older versions are refused as\n\
# rollbacks, recorded files whose content changed are refused, signer changes are announced.\n";

impl History {
    /// Reads the history of a watch file (empty when there is none yet).
    pub fn load(watch: &Path) -> Result<History, Failure> {
        History::load_file(lock_path(watch))
    }

    /// Reads a history from its lock file (empty when there is none yet).
    pub fn load_file(path: PathBuf) -> Result<History, Failure> {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(History {
                    path,
                    entries: Vec::new(),
                });
            }
            Err(e) => {
                return Err(config(format!(
                    "history {}: cannot read: {e}",
                    path.display()
                )));
            }
        };
        let lock: LockFile = toml::from_str(&text).map_err(|e| {
            config(format!(
                "history {}: not a valid sigwatch lock file: {}",
                path.display(),
                e.message()
            ))
            .hint("restore it from version control; sigwatch never writes a partial lock file")
        })?;
        Ok(History {
            path,
            entries: lock.release,
        })
    }

    /// The newest recorded entry by version (one ordering for the whole set, so mixed
    /// PEP 440 and other versions still order consistently).
    pub fn newest(&self) -> Option<&Entry> {
        self.newest_where(|_| true)
    }

    /// The newest of the entries `keep` admits, by version (ordered among themselves).
    fn newest_where(&self, keep: impl Fn(&Entry) -> bool) -> Option<&Entry> {
        let kept: Vec<&Entry> = self.entries.iter().filter(|e| keep(e)).collect();
        let versions: Vec<&str> = kept.iter().map(|e| e.version.as_str()).collect();
        let keys = crate::base::version::keys_for(&versions);
        kept.into_iter()
            .zip(keys)
            .max_by(|(_, a), (_, b)| crate::base::version::compare(a, b))
            .map(|(e, _)| e)
    }

    /// Whether `version` is older than `than`, ordered together with every recorded version.
    fn older(&self, version: &str, than: &str) -> bool {
        let mut versions: Vec<&str> = self.entries.iter().map(|e| e.version.as_str()).collect();
        versions.push(version);
        let keys = crate::base::version::keys_for(&versions);
        let new = keys.last().expect("pushed above");
        let old = self
            .entries
            .iter()
            .position(|e| e.version == than)
            .map(|i| &keys[i])
            .expect("`than` is a recorded version");
        crate::base::version::compare(new, old).is_lt()
    }

    /// Checks a verified file against the history. Returns notices (key rotation) or refuses.
    pub fn check(
        &self,
        version: &str,
        file: &str,
        sha256: &str,
        certificate: &str,
        allow_downgrade: bool,
    ) -> Result<Vec<String>, Failure> {
        if let Some(old) = self.entries.iter().find(|e| {
            // Per version: forge assets often carry no version in their name, so a
            // new release may reuse a recorded file name with new content.
            e.file == file
                && e.sha256 != sha256
                && crate::base::version::same_version(&e.version, version)
        }) {
            let reuploaded = VerifyError::Reuploaded {
                file: file.to_string(),
                recorded: old.recorded.clone(),
                old_sha256: old.sha256.clone(),
                sha256: sha256.to_string(),
                lock: self.path.clone(),
            };
            return Err(Failure::from(reuploaded).hint(format!(
                "ask upstream why; if the new file is legitimate, remove its entry from {}",
                self.path.display()
            )));
        }
        if let Some(old) = self.entries.iter().find(|e| {
            e.sha256 == sha256 && !crate::base::version::same_version(&e.version, version)
        }) {
            return Err(VerifyError::Replayed {
                file: file.to_string(),
                version: version.to_string(),
                sha256: sha256.to_string(),
                old_file: old.file.clone(),
                old_version: old.version.clone(),
                recorded: old.recorded.clone(),
            }
            .into());
        }
        let mut notices = Vec::new();
        if let Some(newest) = self.newest() {
            if self.older(version, &newest.version) {
                if !allow_downgrade {
                    return Err(VerifyError::Rollback {
                        version: version.to_string(),
                        newest: newest.version.clone(),
                        lock: self.path.clone(),
                    }
                    .into());
                }
                notices.push(format!(
                    "downgrade from {} to {version} allowed by --allow-downgrade",
                    newest.version
                ));
            }
            if !certificate.is_empty()
                && !newest.certificate.is_empty()
                && newest.certificate != certificate
            {
                notices.push(format!(
                    "signer changed: {version} is signed by {certificate}, {} was signed by {} (key rotation)",
                    newest.version, newest.certificate
                ));
            }
        }
        Ok(notices)
    }

    /// A notice when a file's Sigstore publisher differs from the newest recorded one's, like
    /// a signer change. `publisher_of(identity, issuer, version)` says which pin admits a
    /// signer: the same workflow at another ref (`…@refs/tags/v1.1` after `…@refs/tags/v1.0`)
    /// is the same publisher, another pin (or none, for a recorded signer whose pin was
    /// since removed) is a change.
    pub fn publisher_notice(
        &self,
        version: &str,
        identity: &str,
        issuer: &str,
        publisher_of: impl Fn(&str, &str, &str) -> Option<usize>,
    ) -> Option<String> {
        let newest = self.newest_where(|e| e.identity.is_some())?;
        let (was, was_issuer) = (newest.identity.as_deref()?, newest.issuer.as_deref()?);
        let same = (was == identity && was_issuer == issuer)
            || publisher_of(was, was_issuer, &newest.version)
                .is_some_and(|old| publisher_of(identity, issuer, version) == Some(old));
        (!same).then(|| {
            format!(
                "publisher changed: {version} was published by {identity} (issuer {issuer}), {} by {was} (issuer {was_issuer})",
                newest.version
            )
        })
    }

    /// Records an entry (replacing an identical file's entry) and writes the lock file atomically.
    pub fn record(&mut self, entry: Entry) -> Result<(), Failure> {
        if let Some(existing) = self.entries.iter_mut().find(|e| {
            e.file == entry.file
                && e.sha256 == entry.sha256
                && crate::base::version::same_version(&e.version, &entry.version)
        }) {
            // Re-verifying a recorded file keeps its first record.
            if existing.certificate == entry.certificate
                && existing.key == entry.key
                && existing.identity == entry.identity
            {
                return Ok(());
            }
            *existing = entry;
        } else {
            self.entries.push(entry);
        }
        self.save()
    }

    fn save(&self) -> Result<(), Failure> {
        let lock = LockFile {
            release: self.entries.clone(),
        };
        let body = toml::to_string(&lock)
            .map_err(|e| config(format!("history {}: {e}", self.path.display())))?;
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        // Through a locked temporary file: another project's run in the same directory
        // cleans up unlocked `.sigwatch-*.part` files as a killed run's leftovers.
        let mut text = String::with_capacity(HEADER.len() + body.len());
        text.push_str(HEADER);
        text.push_str(&body);
        crate::fetch::place_bytes(dir, &self.path, text.as_bytes())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    fn entry(version: &str, file: &str, sha: &str, cert: &str) -> Entry {
        Entry {
            version: version.into(),
            file: file.into(),
            sha256: sha.into(),
            key: cert.into(),
            certificate: cert.into(),
            signed: "2024-01-01T00:00:00Z".into(),
            recorded: "2024-01-02T00:00:00Z".into(),
            ..Entry::default()
        }
    }

    #[test]
    fn history_round_trips_and_refuses_rollback_and_reupload() {
        let dir = tempfile::tempdir().unwrap();
        let watch = dir.path().join("foo.toml");
        let mut h = History::load(&watch).unwrap();
        h.record(entry("1.10", "foo-1.10.tar.gz", "aa", "A"))
            .unwrap();
        let h = History::load(&watch).unwrap();
        assert_eq!(h.entries.len(), 1);
        assert!(
            std::fs::read_to_string(lock_path(&watch))
                .unwrap()
                .starts_with("# sigwatch")
        );
        assert_eq!(
            h.check("1.9", "foo-1.9.tar.gz", "bb", "A", false)
                .unwrap_err()
                .kind,
            Kind::Rollback
        );
        assert!(h.check("1.9", "foo-1.9.tar.gz", "bb", "A", true).is_ok());
        assert_eq!(
            h.check("1.10", "foo-1.10.tar.gz", "cc", "A", false)
                .unwrap_err()
                .kind,
            Kind::Reuploaded
        );
        let notices = h
            .check("1.11", "foo-1.11.tar.gz", "dd", "B", false)
            .unwrap();
        assert!(notices[0].contains("signer changed"), "{notices:?}");
    }

    #[test]
    fn old_content_under_a_new_version_is_a_replay_even_with_the_same_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let watch = dir.path().join("tool.toml");
        let mut h = History::load(&watch).unwrap();
        h.record(entry("1.0", "tool-linux-amd64.tar.gz", "aa", "A"))
            .unwrap();
        let e = h
            .check("2.0", "tool-linux-amd64.tar.gz", "aa", "A", false)
            .unwrap_err();
        assert_eq!(e.kind, Kind::Replayed);
        // A version-less asset name with new content in a new release is a new release.
        assert!(
            h.check("2.0", "tool-linux-amd64.tar.gz", "bb", "A", false)
                .is_ok()
        );
        h.record(entry("2.0", "tool-linux-amd64.tar.gz", "bb", "A"))
            .unwrap();
        assert_eq!(History::load(&watch).unwrap().entries.len(), 2);
        // The same version re-published with other content is a re-upload.
        let e = h
            .check("2.0", "tool-linux-amd64.tar.gz", "cc", "A", false)
            .unwrap_err();
        assert_eq!(e.kind, Kind::Reuploaded);
    }

    #[test]
    fn corrupt_lock_file_is_a_configuration_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let watch = dir.path().join("foo.toml");
        std::fs::write(lock_path(&watch), "[[release]]\nversion = 3\n").unwrap();
        let e = History::load(&watch).unwrap_err();
        assert!(e.message.contains("foo.toml.lock"), "{}", e.message);
    }
}
