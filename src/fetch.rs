//! Downloads that land in a temporary file beside the destination, hashed and verified on the
//! fly, and renamed into place only after every check passed.
//!
//! Temporary files are named `.sigwatch-*.part` and locked (flock) while in use, so a later
//! run can tell a killed run's leftovers (unlocked: removed) from a concurrent run's work
//! (locked: left alone).

use std::fs::File;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::base::digest::Consume;
use crate::error::{Failure, Kind, LocalIo, VerifyError, source};
use crate::net::{Http, Sink};

const TEMP_PREFIX: &str = ".sigwatch-";
const TEMP_SUFFIX: &str = ".part";

/// Checks that a file name from an index or a link is a plain name, never a path.
pub fn safe_filename(name: &str) -> Result<&str, Failure> {
    let bad = |why: &str| {
        Err(source(format!("the source offers the file name {name:?}, which {why}; refused"))
            .hint("file names from an index or a page are names, never paths: nothing is written outside --dest"))
    };
    if name.is_empty() || name == "." || name == ".." {
        return bad("is not a file name");
    }
    if name.contains(['/', '\\']) {
        return bad("contains a path separator");
    }
    if name.contains('\0') || name.chars().any(char::is_control) {
        return bad("contains control characters");
    }
    if name.starts_with('.') {
        return bad("is a hidden file name");
    }
    // 255 bytes is the usual file-name limit; the signature beside it adds ".asc".
    if name.len() > 250 {
        return bad("is longer than 250 bytes");
    }
    Ok(name)
}

/// Removes temporary files left by killed runs: those whose lock nobody holds.
///
/// The lock alone tells a dead owner from a live one (the kernel drops a killed process's
/// locks), so a run retried at once cleans up after the one it replaces. The one moment a
/// live file is unlocked, between its creation and its locking, is covered in [`temp_in`].
pub fn clean_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)) {
            continue;
        }
        let path = entry.path();
        if let Ok(file) = File::open(&path)
            && file.try_lock().is_ok()
        {
            // Removed while we hold the lock, so its creator, waiting for the lock in
            // `temp_in`, sees the name gone and makes another.
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// A temporary file in the destination directory, locked while we hold it.
pub fn temp_in(dir: &Path) -> Result<NamedTempFile, Failure> {
    // A concurrent `clean_stale` may take the new file for a dead run's between its creation
    // and its locking and remove it: then the locked file has lost its name, and we start over.
    for _ in 0..8 {
        let tmp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(TEMP_SUFFIX)
            .tempfile_in(dir)
            .map_err(|e| {
                LocalIo::new(
                    format_args!("{}: cannot create a temporary file", dir.display()),
                    e,
                )
            })?;
        tmp.as_file().lock().map_err(|e| {
            LocalIo::new(
                format_args!("{}: cannot lock a temporary file", dir.display()),
                e,
            )
        })?;
        if still_named(&tmp) {
            return Ok(tmp);
        }
        // The name is no longer ours: forget it rather than remove whatever it names now.
        let (_file, path) = tmp.into_parts();
        let _ = path.keep();
    }
    Err(Failure::new(
        Kind::Io,
        format!(
            "{}: temporary files keep disappearing as soon as they are made; is another program removing .sigwatch-*.part files?",
            dir.display()
        ),
    ))
}

/// True when the temporary file's path still names the file we hold.
fn still_named(tmp: &NamedTempFile) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        match (tmp.as_file().metadata(), std::fs::metadata(tmp.path())) {
            (Ok(held), Ok(named)) => held.dev() == named.dev() && held.ino() == named.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        tmp.path().exists()
    }
}

/// Renames a checked temporary file to its final path (atomic within one file system).
pub fn place(tmp: NamedTempFile, dest: &Path) -> Result<PathBuf, Failure> {
    // Temporary files are created 0600; the placed file keeps the mode of the one it
    // replaces, or gets the usual 0644, so other users and CI accounts can read it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dest)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644);
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(|e| {
                LocalIo::new(
                    format_args!("{}: cannot set permissions", dest.display()),
                    e,
                )
            })?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| LocalIo::new(format_args!("{}: cannot sync", dest.display()), e))?;
    tmp.persist(dest).map_err(|e| {
        LocalIo::new(
            format_args!("{}: cannot move into place", dest.display()),
            e.error,
        )
    })?;
    Ok(dest.to_path_buf())
}

/// Writes small bytes (a signature) to a temporary file and moves it into place.
pub fn place_bytes(dir: &Path, dest: &Path, bytes: &[u8]) -> Result<PathBuf, Failure> {
    let mut tmp = temp_in(dir)?;
    tmp.write_all(bytes)
        .map_err(|e| LocalIo::new(format_args!("{}: cannot write", dest.display()), e))?;
    place(tmp, dest)
}

/// A download waiting to be judged and placed.
pub struct Downloaded {
    /// The temporary file holding the bytes.
    pub tmp: NamedTempFile,
    /// Size in bytes.
    pub size: u64,
}

struct DownloadSink<'a> {
    tmp: NamedTempFile,
    size: u64,
    consumer: &'a mut (dyn Consume + Send),
}

impl Sink for DownloadSink<'_> {
    fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.tmp.write_all(chunk)?;
        self.consumer.update(chunk);
        self.size += chunk.len() as u64;
        Ok(())
    }

    fn reset(&mut self) -> std::io::Result<()> {
        self.tmp.as_file_mut().set_len(0)?;
        self.tmp.as_file_mut().rewind()?;
        self.consumer.reset();
        self.size = 0;
        Ok(())
    }
}

/// Downloads `url` into a temporary file in `dir`, feeding every chunk to `consumer` (a
/// proof in progress, a hasher) in the same pass. Nothing is placed: the caller asks the
/// proof and decides.
pub async fn download(
    http: &Http,
    url: &str,
    dir: &Path,
    expected_size: Option<u64>,
    consumer: &mut (dyn Consume + Send),
) -> Result<Downloaded, Failure> {
    let mut sink = DownloadSink {
        tmp: temp_in(dir)?,
        size: 0,
        consumer,
    };
    let found = http
        .download(url, http.limits.artifact_bytes, expected_size, &mut sink)
        .await?;
    if !found {
        return Err(crate::error::network(format!(
            "{url}: HTTP {} (the index lists it)",
            http.absent_status(url)
        )));
    }
    Ok(Downloaded {
        tmp: sink.tmp,
        size: sink.size,
    })
}

/// A digest mismatch between the index and the bytes.
pub fn digest_mismatch(url: &str, expected: &str, actual: &str) -> Failure {
    VerifyError::Digest {
        what: url.to_string(),
        mismatch: format!("sha256 {actual} does not match the index's {expected}"),
        hint: None,
    }
    .hint("the mirror or the index served different bytes; nothing was kept")
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_that_are_paths_are_refused() {
        for bad in [
            "../evil.tar.gz",
            "a/b.tar.gz",
            "..\\x.zip",
            "/etc/passwd",
            "",
            "..",
            ".hidden",
            "x\0y",
        ] {
            assert!(safe_filename(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(safe_filename("foo-1.0.tar.gz").unwrap(), "foo-1.0.tar.gz");
    }

    #[test]
    fn stale_temporary_files_are_removed_at_once_but_locked_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let held = temp_in(dir.path()).unwrap();
        let stale = dir.path().join(".sigwatch-old.part");
        std::fs::write(&stale, b"partial").unwrap();
        clean_stale(dir.path());
        assert!(!stale.exists(), "a fresh but unlocked leftover is removed");
        assert!(held.path().exists());
    }

    #[test]
    fn a_temporary_file_removed_before_it_was_locked_is_made_again() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = temp_in(dir.path()).unwrap();
        assert!(still_named(&tmp));
        std::fs::remove_file(tmp.path()).unwrap();
        assert!(!still_named(&tmp));
        std::fs::write(tmp.path(), b"someone else's").unwrap();
        assert!(
            !still_named(&tmp),
            "another file under the same name is not ours"
        );
    }
}
