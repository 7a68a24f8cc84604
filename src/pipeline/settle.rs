//! The last steps for a trusted file: the history's judgement, the file and its proof files
//! moved into place, the record in the lock file.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::{self, Failure};
use crate::fetch;
use crate::history::Entry;
use crate::report::model::{Fetched, FileReport};
use crate::verify::sigstore;
use crate::verify::{Signer, rfc3339};

use super::Run;

/// A proof file placed beside the fetched file.
pub(super) struct Beside<'a> {
    pub(super) path: PathBuf,
    pub(super) bytes: &'a [u8],
    pub(super) proof: ProofFile,
}

/// Which proof a [`Beside`] file holds.
#[derive(Clone, Copy)]
pub(super) enum ProofFile {
    Signature,
    Sigstore,
}

/// A trusted file and who vouched for it.
pub(super) struct Settled<'a> {
    pub(super) filename: &'a str,
    pub(super) sha256: String,
    /// The pinned OpenPGP signer, with `[keys]`.
    pub(super) signer: Option<&'a Signer>,
    /// The pinned Sigstore publisher, with `[sigstore]`.
    pub(super) publisher: Option<&'a sigstore::Signer>,
}

/// The last steps for a trusted file: the history's judgement (rollback, re-upload,
/// replay, rotation notice), then the rename into place (with its proof files beside it),
/// then the record. `tmp` is `None` when the file already there was proven again.
pub(super) fn settle(
    run: &mut Run<'_>,
    file: Settled<'_>,
    dest: &Path,
    tmp: Option<tempfile::NamedTempFile>,
    beside: &[Beside<'_>],
    out: &mut FileReport,
) -> Result<(), Failure> {
    let certificate = file.signer.map(|s| s.cert.to_hex()).unwrap_or_default();
    run.notices.extend(run.history.check(
        run.version,
        file.filename,
        &file.sha256,
        &certificate,
        run.opts.allow_downgrade,
    )?);
    if let Some(p) = file.publisher {
        let pins = run
            .watch
            .sigstore
            .as_ref()
            .map(|s| s.pins.as_slice())
            .unwrap_or_default();
        run.notices.extend(run.history.publisher_notice(
            run.version,
            &p.identity,
            &p.issuer,
            |identity, issuer, version| {
                pins.iter()
                    .position(|pin| pin.admits(identity, issuer, Some(version)))
            },
        ));
    }
    // Proof files go into temporary files first, so a failure to write one leaves nothing
    // placed.
    let mut staged = Vec::new();
    for b in beside {
        let mut t = fetch::temp_in(&run.opts.dest)?;
        std::io::Write::write_all(&mut t, b.bytes)
            .map_err(|e| error::io(format_args!("{}: cannot write", b.path.display()), &e))?;
        staged.push((t, b));
    }
    let fetched = out.fetched.get_or_insert_with(Fetched::default);
    fetched.reused = tmp.is_none();
    match tmp {
        Some(tmp) => {
            fetch::place(tmp, dest)?;
        }
        None => run.notices.push(format!(
            "{}: already present; verified again",
            dest.display()
        )),
    }
    fetched.path = Some(dest.display().to_string());
    for (t, b) in staged {
        fetch::place(t, &b.path)?;
        let placed = Some(b.path.display().to_string());
        match b.proof {
            ProofFile::Signature => fetched.signature_path = placed,
            ProofFile::Sigstore => {
                if let Some(s) = fetched.sigstore.as_mut() {
                    s.path = placed;
                }
            }
        }
    }
    let signed = match (file.signer, file.publisher) {
        (Some(s), _) => rfc3339(s.created),
        (None, Some(p)) => p.integrated_time.map(rfc3339).unwrap_or_default(),
        (None, None) => String::new(),
    };
    run.history.record(Entry {
        version: run.version.to_string(),
        file: file.filename.to_string(),
        sha256: file.sha256,
        key: file.signer.map(|s| s.key.to_hex()).unwrap_or_default(),
        certificate,
        identity: file.publisher.map(|p| p.identity.clone()),
        issuer: file.publisher.map(|p| p.issuer.clone()),
        // TOML integers are i64; a Rekor index beyond that cannot have passed the log's
        // inclusion proof, but would make the lock file unwritable.
        log_index: file
            .publisher
            .and_then(|p| p.log_index)
            .filter(|i| i64::try_from(*i).is_ok()),
        signed,
        recorded: rfc3339(SystemTime::now()),
    })
}
