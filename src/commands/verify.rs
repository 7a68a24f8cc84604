//! `sigwatch verify`: one file against pinned fingerprints, by a detached signature or a
//! signed checksum file. Same proofs as `fetch`.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::Outcome;
use crate::base::decompress::Format;
use crate::cli::VerifyArgs;
use crate::error::{Failure, config};
use crate::exit::Exit;
use crate::report::Printer;
use crate::report::model::{ChecksumReport, SigstoreReport, VerdictWord, VerifyReport};
use crate::verify::sigstore::{self, Artifact, IdentityPin, SPEC_HINT, TrustRoot};
use crate::verify::{self, Checker, Keyring, MAX_SIGNATURE_BYTES, Proof, Proven, checksums};

/// Runs `verify`.
pub fn run(printer: &Printer, args: &VerifyArgs) -> Outcome {
    // A missing file is named first, before its signature or the keyring are looked for.
    if let Err(e) = std::fs::metadata(&args.file) {
        return Err(config(format!(
            "{}: cannot read the file to verify: {e}",
            args.file.display()
        ))
        .hint("check the path; its signature is looked for beside it (FILE.asc, FILE.sig) unless --signature names it"));
    }
    let watch = args
        .watch
        .as_deref()
        .map(crate::watch::Watch::load)
        .transpose()?;
    if let Some(bundle) = &args.sigstore {
        return match watch.as_ref().and_then(|w| w.keys.as_ref().map(|k| (w, k))) {
            Some((watch, keys)) => both(printer, args, bundle, watch, keys),
            None => {
                if args.signature.is_some() {
                    return Err(config(
                        "verify --sigstore --signature: an OpenPGP signature is checked beside a Sigstore proof only with a --watch file that pins [keys]",
                    )
                    .hint("drop --signature, or pass --watch W whose watch file has [keys] and [sigstore]"));
                }
                let (report, verdict) = sigstore_judgement(args, bundle, watch.as_ref())?;
                printer.sigstore_report(&report, &verdict);
                Ok(Exit::refused_unless(verdict.is_verified()))
            }
        };
    }
    if let Some(w) = &watch
        && w.sigstore.is_some()
    {
        let message = if w.keys.is_some() {
            format!(
                "watch file {}: pins Sigstore publishers ([sigstore]) as well as keys: both must pass, and no Sigstore proof was given",
                w.path.display()
            )
        } else {
            format!(
                "watch file {}: pins only Sigstore publishers ([sigstore]), and no Sigstore proof was given",
                w.path.display()
            )
        };
        return Err(config(message).hint(
            "pass --sigstore BUNDLE (FILE.sigstore, FILE.publish.attestation, or PyPI's FILE.provenance)",
        ));
    }
    let pins = OpenPgpPins::of(args, watch.as_ref())?;
    let keyring = pins.keyring(printer)?;
    let checker = pins.checker(&keyring)?;
    if let Some(sums) = &args.checksums {
        return through_checksums(printer, args, &checker, sums, pins.decompress.as_deref());
    }
    let (mut report, proven, sig_path) =
        detached(args, &checker, pins.decompress.as_deref(), watch.as_ref())?;
    let verdict = proven
        .openpgp()
        .expect("a detached signature gives an OpenPGP verdict");
    if pins.decompress.is_none()
        && report.hint.is_none()
        && let Some(format) = crate::base::decompress::format_of(&args.file)
    {
        let file = args.file.display().to_string();
        let how = match &args.watch {
            Some(w) => format!(
                "add `decompress = true` under [signature] in {}, or pass --decompress",
                w.display()
            ),
            None => format!(
                "sigwatch verify {file} --signature {} --decompress …",
                sig_path.display()
            ),
        };
        report.hint = verdict.decompress_hint(&file, format, &how);
    }
    printer.verify_report(&report, verdict);
    Ok(Exit::refused_unless(proven.is_trusted()))
}

/// The OpenPGP pins `verify` judges a signature by: the watch file's `[keys]`, or
/// `--keyring` and `--fingerprint`; and what asked for decompression, if anything.
struct OpenPgpPins {
    keyring: PathBuf,
    pins: Vec<verify::Pin>,
    threshold: usize,
    exceptions: Vec<verify::Exception>,
    /// The field a pin's message names: `keys.fingerprints` (indexed) or `--fingerprint`.
    field: &'static str,
    /// `--decompress`, or the watch file's `[signature] decompress = true`.
    decompress: Option<String>,
}

impl OpenPgpPins {
    fn of(args: &VerifyArgs, watch: Option<&crate::watch::Watch>) -> Result<Self, Failure> {
        Ok(match watch {
            Some(watch) => {
                let keys = watch.openpgp()?;
                OpenPgpPins {
                    keyring: keys.keyring.clone(),
                    pins: keys.pins.clone(),
                    threshold: args.threshold.unwrap_or(keys.threshold),
                    exceptions: watch.exceptions(),
                    field: "keys.fingerprints",
                    decompress: match (args.decompress, watch.decompress) {
                        (true, _) => Some("--decompress".to_string()),
                        (false, true) => Some(format!(
                            "[signature] decompress = true in {}",
                            watch.path.display()
                        )),
                        (false, false) => None,
                    },
                }
            }
            None => OpenPgpPins {
                keyring: args
                    .keyring
                    .clone()
                    .expect("clap requires --keyring without --watch"),
                pins: verify::parse_pins(&args.fingerprints, |_| "--fingerprint".to_string())?,
                threshold: args.threshold.unwrap_or(1),
                exceptions: Vec::new(),
                field: "--fingerprint",
                decompress: args.decompress.then(|| "--decompress".to_string()),
            },
        })
    }

    /// Loads the keyring, its warnings shown as details.
    fn keyring(&self, printer: &Printer) -> Result<Keyring, Failure> {
        let keyring = Keyring::load(&self.keyring)?;
        for w in &keyring.warnings {
            printer.detail(w);
        }
        Ok(keyring)
    }

    /// The checker of these pins over `keyring`, honouring the recorded exceptions.
    fn checker<'k>(&'k self, keyring: &'k Keyring) -> Result<Checker<'k>, Failure> {
        let field = self.field;
        Ok(Checker::named(keyring, &self.pins, self.threshold, &|i| {
            if field == "--fingerprint" {
                field.to_string()
            } else {
                format!("{field}[{i}]")
            }
        })?
        .with_exceptions(self.exceptions.clone()))
    }
}

/// FILE's detached signature (`--signature`, default FILE.asc then FILE.sig) judged by
/// `checker`: the report (with the hint naming the watch file, if any), the proof's result,
/// and the signature's path.
fn detached(
    args: &VerifyArgs,
    checker: &Checker<'_>,
    decompress: Option<&str>,
    watch: Option<&crate::watch::Watch>,
) -> Result<(VerifyReport, Proven, PathBuf), Failure> {
    let sig_path = match &args.signature {
        Some(p) => p.clone(),
        None => default_signature(&args.file)?,
    };
    let signature = read_signature(&sig_path)?;
    let proven = prove(
        Proof::Detached {
            signature: &signature,
            checker,
            // Only a recorded exception needs the file's sha256; a second hash over a large
            // SHA-512-signed file is otherwise wasted (decompressing, the file's own sha256
            // is reported, and always taken).
            sha256: checker.has_exceptions(),
        },
        &args.file,
        decompress,
    )?;
    let verdict = proven
        .openpgp()
        .expect("a detached signature gives an OpenPGP verdict");
    let file = args.file.display().to_string();
    let mut report = VerifyReport::new(&file, &sig_path.display().to_string(), verdict);
    let watch_name = watch.map(|w| w.path.display().to_string());
    report.hint = verdict.hint_for(&file, watch_name.as_deref());
    report.decompressed = proven.decompressed.map(Format::name);
    if proven.decompressed.is_some() {
        report.sha256 = proven.sha256.clone();
    }
    Ok((report, proven, sig_path))
}

/// Checks `proof` over FILE's bytes, or over its decompressed content when `decompress`
/// names what asked for that (the flag or the watch file's field).
pub(crate) fn prove(
    proof: Proof<'_>,
    file: &Path,
    decompress: Option<&str>,
) -> Result<Proven, Failure> {
    let data = open_data(file)?;
    match decompress {
        Some(switch) => proof
            .check_decompressed(data)
            .map_err(|e| crate::error::decompression(&file.display().to_string(), switch, e)),
        None => proof
            .check_reader(data)
            .map_err(|e| config(format!("{}: read error: {e}", file.display()))),
    }
}

/// `verify --sigstore`: a Sigstore bundle or PEP 740 attestation/provenance, judged offline.
fn sigstore_judgement(
    args: &VerifyArgs,
    proof_path: &Path,
    watch: Option<&crate::watch::Watch>,
) -> Result<(SigstoreReport, sigstore::Verdict), Failure> {
    let (pins, root_path) = match watch {
        Some(watch) => {
            let Some(section) = &watch.sigstore else {
                return Err(config(format!(
                    "watch file {}: has no [sigstore] section to pin a signer",
                    watch.path.display()
                ))
                .hint("add [sigstore] publishers = [\"github:OWNER/REPO/WORKFLOW.yml\"], or pass --publisher"));
            };
            (
                section.pins.clone(),
                args.trusted_root.clone().or(section.trusted_root.clone()),
            )
        }
        None => {
            let mut pins = Vec::new();
            if let (Some(id), Some(issuer)) = (&args.identity, &args.issuer) {
                pins.push(IdentityPin::exact(id, issuer));
            }
            for spec in &args.publisher {
                pins.push(
                    IdentityPin::from_publisher(spec)
                        .map_err(|e| config(format!("--publisher: {e}")).hint(SPEC_HINT))?,
                );
            }
            if pins.is_empty() {
                return Err(config("verify --sigstore: no signer is pinned")
                    .hint("pass --identity ID --issuer URL, --publisher SPEC, or --watch W"));
            }
            (pins, args.trusted_root.clone())
        }
    };
    let root = match &root_path {
        Some(p) => TrustRoot::from_file(p).map_err(|e| {
            config(format!("{e:#}"))
                .hint("pass a Sigstore trusted_root.json (as sigstore clients ship it)")
        })?,
        None => TrustRoot::production(),
    };
    let proof = read_proof(proof_path)?;
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let artifact = Artifact::from_reader(&name, open_data(&args.file)?)
        .map_err(|e| config(format!("{}: read error: {e}", args.file.display())))?;
    let verdict = sigstore::Checker::new(&root, &pins).verify(
        &proof,
        &artifact,
        args.release_version.as_deref(),
    );
    let report = SigstoreReport::new(
        &args.file.display().to_string(),
        &artifact.sha256_hex(),
        &proof_path.display().to_string(),
        root.origin(),
        &verdict,
    );
    Ok((report, verdict))
}

/// `verify --sigstore B --watch W` where W pins `[keys]` and `[sigstore]`: both proofs are
/// checked and both must pass. JSON: the Sigstore report with the OpenPGP one under
/// `openpgp`, and `verdict` verified only when both are.
fn both(
    printer: &Printer,
    args: &VerifyArgs,
    bundle: &Path,
    watch: &crate::watch::Watch,
    keys: &crate::watch::Keys,
) -> Outcome {
    if let Some(sums) = &watch.checksums {
        return Err(config(format!(
            "watch file {}: its [keys] proof is a signed checksum file ({sums}), which `verify --sigstore` does not read",
            watch.path.display()
        ))
        .hint(format!(
            "check the two halves one by one: `sigwatch verify FILE --checksums SUMS --keyring {} --fingerprint …` and `sigwatch verify FILE --sigstore BUNDLE --publisher …`; `sigwatch fetch {}` checks both",
            keys.keyring.display(),
            watch.path.display()
        )));
    }
    let (mut report, sverdict) = sigstore_judgement(args, bundle, Some(watch))?;
    let pins = OpenPgpPins::of(args, Some(watch))?;
    let keyring = pins.keyring(printer)?;
    let checker = pins.checker(&keyring)?;
    let (openpgp, proven, _) = detached(args, &checker, pins.decompress.as_deref(), Some(watch))?;
    let verdict = proven
        .openpgp()
        .expect("a detached signature gives an OpenPGP verdict");
    let trusted = proven.is_trusted() && sverdict.is_verified();
    if printer.json {
        for w in &verdict.warnings {
            printer.warning(w);
        }
        report.verdict = VerdictWord::of(trusted);
        report.openpgp = Some(Box::new(openpgp));
        printer.json(&report);
    } else {
        printer.verify_report(&openpgp, verdict);
        printer.sigstore_report(&report, &sverdict);
    }
    Ok(Exit::refused_unless(trusted))
}

fn read_proof(path: &Path) -> Result<Vec<u8>, Failure> {
    let file = File::open(path).map_err(|e| {
        config(format!(
            "Sigstore proof {}: cannot open: {e}",
            path.display()
        ))
    })?;
    let mut bytes = Vec::new();
    file.take(sigstore::MAX_PROOF_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            config(format!(
                "Sigstore proof {}: cannot read: {e}",
                path.display()
            ))
        })?;
    Ok(bytes)
}

/// `verify --checksums`: the checksum file's signature, then FILE's line.
fn through_checksums(
    printer: &Printer,
    args: &VerifyArgs,
    checker: &Checker<'_>,
    sums_path: &Path,
    decompress: Option<&str>,
) -> Outcome {
    const MAX_SUMS: u64 = 16 << 20;
    let mut sums_bytes = Vec::new();
    File::open(sums_path)
        .and_then(|f| f.take(MAX_SUMS + 1).read_to_end(&mut sums_bytes))
        .map_err(|e| {
            config(format!(
                "checksum file {}: cannot read: {e}",
                sums_path.display()
            ))
        })?;
    if sums_bytes.len() as u64 > MAX_SUMS {
        return Err(config(format!(
            "checksum file {}: larger than 16 MiB",
            sums_path.display()
        )));
    }
    let clearsigned = checksums::split_cleartext(&sums_bytes).is_some();
    let (sig_path, signature) = match &args.signature {
        Some(p) => (Some(p.clone()), Some(read_signature(p)?)),
        None if clearsigned => (None, None),
        None => {
            let p = default_signature(sums_path)?;
            let bytes = read_signature(&p)?;
            (Some(p), Some(bytes))
        }
    };
    let (verdict, sums) = checksums::verify(checker, &sums_bytes, signature.as_deref());
    let file = args.file.display().to_string();
    let sums_name = sums_path.display().to_string();
    let sig_name = sig_path
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| sums_name.clone());
    let mut report = VerifyReport::new(&file, &sig_name, &verdict);
    report.reason = format!("{sums_name}: {}", verdict.summary());
    report.checksums = Some(None);
    if let Some(signer) = verdict.signers().first() {
        let name = args
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match sums.get(&name) {
            None => {
                report.reason = checksums::no_line(&sums_name, &signer.cert.to_hex(), &name);
                report.verdict = VerdictWord::Rejected;
            }
            Some((algo, expected)) => {
                let proven = prove(
                    Proof::ChecksumLine {
                        algo: *algo,
                        expected,
                        verdict: &verdict,
                    },
                    &args.file,
                    decompress,
                )?;
                report.decompressed = proven.decompressed.map(Format::name);
                let line = proven.line().expect("a checksum-line proof");
                report.checksums = Some(Some(ChecksumReport {
                    file: sums_name.clone(),
                    algorithm: algo.name(),
                    expected: line.expected.clone(),
                    actual: line.actual.clone(),
                    matches: line.matches(),
                }));
                report.verdict = VerdictWord::of(proven.is_trusted());
                report.reason = if line.matches() {
                    format!("{} matches {sums_name}, {}", algo.name(), verdict.summary())
                } else {
                    format!(
                        "{} {} does not match the line in {sums_name} ({})",
                        algo.name(),
                        line.actual,
                        line.expected
                    )
                };
            }
        }
    }
    printer.verify_report(&report, &verdict);
    Ok(Exit::refused_unless(
        report.verdict == VerdictWord::Verified,
    ))
}

pub(crate) fn open_data(path: &Path) -> Result<File, Failure> {
    File::open(path).map_err(|e| {
        config(format!(
            "{}: cannot open the file to verify: {e}",
            path.display()
        ))
    })
}

/// FILE.asc, else FILE.sig.
pub(crate) fn default_signature(file: &Path) -> Result<PathBuf, Failure> {
    let candidates = ["asc", "sig"].map(|ext| {
        let mut name = file.as_os_str().to_owned();
        name.push(".");
        name.push(ext);
        PathBuf::from(name)
    });
    candidates
        .iter()
        .find(|p| p.exists())
        .cloned()
        .ok_or_else(|| {
            config(format!(
                "no signature found for {}: neither {} nor {} exists",
                file.display(),
                candidates[0].display(),
                candidates[1].display()
            ))
            .hint("name the signature file with --signature SIG")
        })
}

/// Reads a signature file, refusing absurd sizes before reading them.
pub fn read_signature(path: &Path) -> Result<Vec<u8>, Failure> {
    let file = File::open(path)
        .map_err(|e| config(format!("signature {}: cannot open: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.take(MAX_SIGNATURE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| config(format!("signature {}: cannot read: {e}", path.display())))?;
    Ok(bytes)
}
