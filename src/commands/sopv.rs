//! `sigwatch sopv`: the verification-only subset of the Stateless OpenPGP command line.
//!
//! Debian's uscan (and other tools) call the first `sopv` on `PATH` as
//! `sopv verify SIG CERTS < FILE` or `sopv inline-verify CERTS < FILE` and look only at the
//! exit status. This module speaks that interface (draft-dkg-openpgp-stateless-cli, sopv 1.1)
//! to the letter — subcommands, `@FD:`/`@ENV:` designators, dates, the VERIFICATIONS format,
//! the spec's exit codes, nothing on stdout on failure — while the judgement is sigwatch's
//! own: every primary key in CERTS is pinned and [`Checker`] decides with the same policy as
//! `sigwatch verify`, whose words explain a refusal on stderr.
//!
//! Unlike the other commands it neither prints through the `Printer` nor ends with an `Exit`:
//! its output (VERIFICATIONS, the inline message's data) and its exit codes are the draft's,
//! and they live here, whole, with the argument handling that the draft also prescribes.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::Path;
use std::time::SystemTime;

use clap::error::ErrorKind;
use clap::{Args, Parser, Subcommand};
use sequoia_openpgp as openpgp;

use openpgp::parse::Parse;
use openpgp::{Cert, Fingerprint};

use crate::verify::inline::{self, Form};
use crate::verify::keyring::MAX_KEYRING_BYTES;
use crate::verify::{Checker, Keyring, MAX_SIGNATURE_BYTES, Outcome, Pin, Reason, Status, Verdict};

/// The level of the sopv specification this implements (`sopv version --sopv`).
pub const SOPV_VERSION: &str = "1.1";

/// The SOP draft whose sopv subset this follows; `~` because sopv is only part of it.
pub const SOP_SPEC: &str = "~draft-dkg-openpgp-stateless-cli-16";

/// The exit codes sopv uses, from the draft's table of failure modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Code {
    /// Success.
    Ok = 0,
    /// A failure the table has no name for (an I/O error writing the output, say).
    UnspecifiedFailure = 1,
    /// No acceptable signature found.
    NoSignature = 3,
    /// A required argument is missing.
    MissingArg = 19,
    /// An option sopv does not support.
    UnsupportedOption = 37,
    /// The input is not what was expected (a key where CERTS were expected, garbage…).
    BadData = 41,
    /// `--verifications-out` names a file that already exists.
    OutputExists = 59,
    /// An input file (or descriptor, or environment variable) does not exist.
    MissingInput = 61,
    /// A subcommand sopv does not have.
    UnsupportedSubcommand = 69,
    /// A special designator (`@…`) sopv does not know, or cannot use there.
    UnsupportedSpecialPrefix = 71,
    /// A file exists whose name is also a special designator.
    AmbiguousInput = 73,
}

/// A sopv failure: its exit code, the reason in one line, and a next step when there is one.
#[derive(Debug)]
struct Failed {
    code: Code,
    message: String,
    hint: Option<String>,
}

fn fail(code: Code, message: impl Into<String>) -> Failed {
    Failed {
        code,
        message: message.into(),
        hint: None,
    }
}

impl Failed {
    fn hint(mut self, hint: impl Into<String>) -> Failed {
        self.hint = Some(hint.into());
        self
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "sopv",
    about = "Verify OpenPGP signatures (the sopv subset of the Stateless OpenPGP CLI) with sigwatch's policy",
    disable_version_flag = true,
    after_help = "Every primary key in CERTS counts as pinned. Exit codes (draft-dkg-openpgp-stateless-cli): \
0 ok, 3 no acceptable signature, 19 missing argument, 37 unsupported option, 41 bad data, \
59 output exists, 61 missing input, 69 unsupported subcommand, 71 unsupported special designator, \
73 ambiguous input."
)]
struct Sopv {
    /// Emit more detail on stderr (warnings about accepted signatures).
    #[arg(long, global = true)]
    debug: bool,
    #[command(subcommand)]
    command: SopvCommand,
}

#[derive(Subcommand, Debug)]
enum SopvCommand {
    /// Version, build and compatibility information.
    Version(VersionArgs),
    /// Verify detached signatures over the data on standard input.
    #[command(
        after_help = "Example:\n  sopv verify foo-1.2.tar.gz.asc debian/upstream/signing-key.asc < foo-1.2.tar.gz"
    )]
    Verify {
        #[command(flatten)]
        window: Window,
        /// The detached signatures (a file, @FD:n or @ENV:NAME).
        #[arg(value_name = "SIGNATURES", required = true, value_parser = clap::value_parser!(OsString))]
        signatures: OsString,
        /// Acceptable signers' certificates; every primary key in them is pinned.
        #[arg(value_name = "CERTS", required = true, value_parser = clap::value_parser!(OsString))]
        certs: Vec<OsString>,
    },
    /// Verify an inline-signed message on standard input and print its data.
    #[command(
        after_help = "Example:\n  sopv inline-verify signer.cert < message.signed > message.txt"
    )]
    InlineVerify {
        #[command(flatten)]
        window: Window,
        /// Where to write the VERIFICATIONS (a new file, or @FD:n).
        #[arg(long, value_name = "VERIFICATIONS", value_parser = clap::value_parser!(OsString))]
        verifications_out: Option<OsString>,
        /// Acceptable signers' certificates; every primary key in them is pinned.
        #[arg(value_name = "CERTS", required = true, value_parser = clap::value_parser!(OsString))]
        certs: Vec<OsString>,
    },
}

#[derive(Args, Debug)]
#[group(multiple = false)]
struct VersionArgs {
    /// The OpenPGP backend and its version.
    #[arg(long)]
    backend: bool,
    /// Several lines of build and policy information.
    #[arg(long)]
    extended: bool,
    /// The SOP draft this follows.
    #[arg(long)]
    sop_spec: bool,
    /// The sopv level supported.
    #[arg(long)]
    sopv: bool,
}

#[derive(Args, Debug)]
struct Window {
    /// Refuse signatures made before DATE (RFC 3339, `now`, or `-` for the beginning of time).
    #[arg(long, value_name = "DATE")]
    not_before: Option<String>,
    /// Refuse signatures made after DATE (RFC 3339, `now`, or `-` for no limit; default: now,
    /// with the same 30-minute clock-skew tolerance as `sigwatch verify`).
    #[arg(long, value_name = "DATE")]
    not_after: Option<String>,
}

/// Runs sopv with `args` (without the program name); returns its exit code.
///
/// `bin_name` names the program in help and errors: `sopv` or `sigwatch sopv`.
pub fn main(bin_name: &str, args: Vec<OsString>) -> Code {
    let argv = std::iter::once(OsString::from(bin_name)).chain(args);
    let cli = match Sopv::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let debug = cli.debug;
    match run(cli) {
        Ok(()) => Code::Ok,
        Err(f) => {
            let mut err = io::stderr().lock();
            let _ = writeln!(err, "{bin_name}: {}", f.message);
            if let Some(h) = &f.hint {
                let _ = writeln!(err, "hint: {h}");
            }
            if debug {
                let _ = writeln!(err, "exit code {}", f.code as u8);
            }
            f.code
        }
    }
}

impl From<Code> for std::process::ExitCode {
    fn from(code: Code) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}

impl From<Code> for i32 {
    fn from(code: Code) -> Self {
        i32::from(code as u8)
    }
}

/// Maps clap's verdict on the arguments to the spec's exit codes.
fn usage_error(e: clap::Error) -> Code {
    let code = match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Code::Ok,
        ErrorKind::InvalidSubcommand => Code::UnsupportedSubcommand,
        ErrorKind::MissingRequiredArgument
        | ErrorKind::MissingSubcommand
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => Code::MissingArg,
        ErrorKind::InvalidUtf8 => Code::BadData,
        // Unknown options, options given twice or together, values where none belong.
        _ => Code::UnsupportedOption,
    };
    // clap's own text names the argument and shows the usage; stdout stays empty.
    if code == Code::Ok {
        let _ = e.print();
    } else {
        eprint!("{}", e.render());
    }
    code
}

fn run(cli: Sopv) -> Result<(), Failed> {
    match cli.command {
        SopvCommand::Version(v) => version(&v),
        SopvCommand::Verify {
            window,
            signatures,
            certs,
        } => {
            let window = window.parse()?;
            let signers = Signers::load(&certs)?;
            let sig = read_input(&signatures, "SIGNATURES", MAX_SIGNATURE_BYTES as u64)?;
            let checker = signers.checker()?;
            let verdict = checker.verify(io::stdin(), &sig).map_err(|e| {
                fail(
                    Code::UnspecifiedFailure,
                    format!("reading the data on standard input: {e}"),
                )
            })?;
            let lines = judge(&verdict, &window, &signers, cli.debug)?;
            write_stdout(lines.as_bytes())
        }
        SopvCommand::InlineVerify {
            window,
            verifications_out,
            certs,
        } => {
            let window = window.parse()?;
            let out = verifications_out
                .as_deref()
                .map(Output::check)
                .transpose()?;
            let signers = Signers::load(&certs)?;
            let checker = signers.checker()?;
            // The data is held back in a temporary file until a signature is accepted.
            let mut spool = tempfile::tempfile().map_err(|e| {
                fail(
                    Code::UnspecifiedFailure,
                    format!("cannot create a temporary file: {e}"),
                )
            })?;
            let split = inline::split(io::stdin(), &mut spool).map_err(|e| {
                fail(Code::BadData, format!("standard input: {e}"))
                    .hint("inline-verify reads an OpenPGP signed message or a cleartext-signed text; for a detached signature use `verify`")
            })?;
            if split.signatures.is_empty() {
                return Err(fail(Code::NoSignature, "the message carries no signature"));
            }
            let verdict = match &split.signed {
                Some(signed) => checker.verify(signed.as_slice(), &split.signatures),
                None => spool
                    .rewind()
                    .and_then(|()| checker.verify(&spool, &split.signatures)),
            }
            .map_err(|e| {
                fail(
                    Code::UnspecifiedFailure,
                    format!("reading the spooled message: {e}"),
                )
            })?;
            let lines = judge(&verdict, &window, &signers, cli.debug)?;
            if split.form == Form::Cleartext && cli.debug {
                eprintln!("cleartext-signed message: the text is printed with LF line endings");
            }
            if let Some(out) = out {
                out.write(lines.as_bytes())?;
            }
            spool.rewind().map_err(|e| {
                fail(
                    Code::UnspecifiedFailure,
                    format!("reading the spooled message: {e}"),
                )
            })?;
            let mut stdout = io::stdout().lock();
            io::copy(&mut spool, &mut stdout)
                .and_then(|_| stdout.flush())
                .map_err(|e| {
                    fail(
                        Code::UnspecifiedFailure,
                        format!("writing standard output: {e}"),
                    )
                })
        }
    }
}

fn version(v: &VersionArgs) -> Result<(), Failed> {
    let name = format!("sigwatch {}", env!("CARGO_PKG_VERSION"));
    let backend = format!(
        "sequoia-openpgp {} (pure-Rust cryptography)",
        openpgp::VERSION
    );
    let text = if v.backend {
        backend
    } else if v.sopv {
        SOPV_VERSION.to_string()
    } else if v.sop_spec {
        format!(
            "{SOP_SPEC}\nsigwatch implements only the sopv {SOPV_VERSION} subset (version, verify, inline-verify)"
        )
    } else if v.extended {
        format!(
            "{name}\nsopv {SOPV_VERSION}\n{backend}\n\
             policy: every primary key in CERTS is pinned; validity judged when the signature was made; \
             SHA-1 refused in data signatures, accepted in key bindings; RSA/DSA/ElGamal keys below 2048 bits refused"
        )
    } else {
        name
    };
    write_stdout(format!("{text}\n").as_bytes())
}

/// The certificates of every CERTS argument, merged, and which argument named each.
struct Signers {
    keyring: Keyring,
    pins: Vec<Pin>,
    names: Vec<(Fingerprint, Vec<String>)>,
}

impl Signers {
    fn load(args: &[OsString]) -> Result<Signers, Failed> {
        let mut certs: Vec<Cert> = Vec::new();
        let mut names: Vec<(Fingerprint, Vec<String>)> = Vec::new();
        let mut warnings = Vec::new();
        for arg in args {
            let name = arg.to_string_lossy().into_owned();
            let bytes = read_input(arg, "CERTS", MAX_KEYRING_BYTES)?;
            refuse_secret_keys(&bytes, &name)?;
            let ring = Keyring::from_bytes(&bytes, Path::new(&name)).map_err(|e| {
                let mut failed = fail(Code::BadData, crate::error::one_line(&e));
                if let Some(h) = crate::error::hint_of(&e) {
                    failed = failed.hint(h);
                }
                failed
            })?;
            warnings.extend(ring.warnings);
            for cert in ring.certs {
                let fpr = cert.fingerprint();
                match names.iter_mut().find(|(f, _)| *f == fpr) {
                    Some((_, n)) if !n.contains(&name) => n.push(name.clone()),
                    Some(_) => {}
                    None => names.push((fpr.clone(), vec![name.clone()])),
                }
                match certs.iter_mut().find(|c| c.fingerprint() == fpr) {
                    Some(existing) => {
                        *existing = existing.clone().merge_public(cert).map_err(|e| {
                            fail(
                                Code::BadData,
                                format!("{name}: merging copies of {}: {e}", fpr.to_hex()),
                            )
                        })?;
                    }
                    None => certs.push(cert),
                }
            }
        }
        let pins = certs.iter().map(|c| Pin(c.fingerprint())).collect();
        let label: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        Ok(Signers {
            keyring: Keyring {
                path: label.join(", ").into(),
                certs,
                warnings,
            },
            pins,
            names,
        })
    }

    fn checker(&self) -> Result<Checker<'_>, Failed> {
        Checker::new(&self.keyring, &self.pins, 1).map_err(|f| {
            let failed = fail(Code::BadData, f.message);
            match f.hint {
                Some(h) => failed.hint(h),
                None => failed,
            }
        })
    }

    fn names_of(&self, cert: &str) -> Vec<String> {
        self.names
            .iter()
            .find(|(f, _)| f.to_hex() == cert)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    }
}

/// CERTS must be certificates: a secret key there is the caller's mistake (BAD_DATA).
fn refuse_secret_keys(bytes: &[u8], name: &str) -> Result<(), Failed> {
    let secret = if bytes.windows(15).any(|w| w == b"-----BEGIN PGP ") {
        bytes
            .windows(32)
            .any(|w| w == b"-----BEGIN PGP PRIVATE KEY BLOCK")
    } else {
        openpgp::cert::CertParser::from_bytes(bytes)
            .map(|p| p.flatten().any(|c| c.is_tsk()))
            .unwrap_or(false)
    };
    if secret {
        return Err(fail(
            Code::BadData,
            format!("CERTS {name}: this is a secret key, not a certificate"),
        )
        .hint("pass the public certificate (sop extract-cert, gpg --export)"));
    }
    Ok(())
}

/// `--not-before` and `--not-after`, parsed.
struct Bounds {
    not_before: Option<SystemTime>,
    not_after: Option<SystemTime>,
}

impl Window {
    fn parse(&self) -> Result<Bounds, Failed> {
        Ok(Bounds {
            not_before: self
                .not_before
                .as_deref()
                .map(|d| parse_date(d, "--not-before"))
                .transpose()?
                .flatten(),
            not_after: self
                .not_after
                .as_deref()
                .map(|d| parse_date(d, "--not-after"))
                .transpose()?
                .flatten(),
        })
    }
}

/// A DATE: `now`, `-` (no bound: `None`), or an RFC 3339 / ISO 8601 time with a zone.
fn parse_date(text: &str, option: &str) -> Result<Option<SystemTime>, Failed> {
    match text {
        "-" => Ok(None),
        "now" => Ok(Some(SystemTime::now())),
        _ => chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| Some(SystemTime::from(t)))
            .or_else(|_| {
                humantime::parse_rfc3339_weak(text).map(Some).map_err(|_| ())
            })
            .map_err(|()| {
                fail(
                    Code::BadData,
                    format!("{option} {text:?} is not a date"),
                )
                .hint("give an RFC 3339 time such as 2025-02-12T05:22:33Z, `now`, or `-` for no bound")
            }),
    }
}

/// The VERIFICATIONS for an accepted verdict, or why none is acceptable.
fn judge(
    verdict: &Verdict,
    window: &Bounds,
    signers: &Signers,
    debug: bool,
) -> Result<String, Failed> {
    if debug {
        for w in &verdict.warnings {
            eprintln!("warning: {w}");
        }
    }
    if let Outcome::Rejected(reason) = &verdict.outcome {
        let code = match reason {
            Reason::NotASignature(_) => Code::BadData,
            Reason::NoGoodSignature | Reason::BelowThreshold { .. } => Code::NoSignature,
        };
        let mut failed = fail(code, format!("rejected: {}", verdict.summary()));
        if let Some(h) = verdict.hint() {
            failed = failed.hint(h);
        }
        return Err(failed);
    }
    let mut lines = String::new();
    let mut outside = Vec::new();
    for r in verdict
        .signatures
        .iter()
        .filter(|r| r.status == Status::Good)
    {
        let (Some(created), Some(key), Some(cert)) = (&r.created, &r.key, &r.certificate) else {
            continue;
        };
        let when = humantime::parse_rfc3339(created).ok();
        if let (Some(nb), Some(t)) = (window.not_before, when)
            && t < nb
        {
            outside.push(format!(
                "good signature by pinned key {key} made on {created}, before --not-before {}",
                crate::verify::rfc3339(nb)
            ));
            continue;
        }
        if let (Some(na), Some(t)) = (window.not_after, when)
            && t > na
        {
            outside.push(format!(
                "good signature by pinned key {key} made on {created}, after --not-after {}",
                crate::verify::rfc3339(na)
            ));
            continue;
        }
        let trailer = serde_json::json!({ "signers": signers.names_of(cert) });
        lines.push_str(&format!(
            "{created} {key} {cert} mode:{} {trailer}\n",
            r.mode
        ));
    }
    if lines.is_empty() {
        return Err(fail(
            Code::NoSignature,
            format!("rejected: {}", outside.join("; ")),
        )
        .hint("widen --not-before/--not-after if the signature's date is expected"));
    }
    if debug {
        eprintln!("verified: {}", verdict.summary());
    }
    Ok(lines)
}

/// Reads a CERTS or SIGNATURES argument: a file, `@FD:n` or `@ENV:NAME`, at most `limit` bytes.
fn read_input(arg: &OsStr, what: &str, limit: u64) -> Result<Vec<u8>, Failed> {
    let shown = arg.to_string_lossy();
    let reader: Box<dyn Read> = match designator(arg)? {
        Some(Designator::Fd(n)) => Box::new(File::open(format!("/dev/fd/{n}")).map_err(|e| {
            fail(
                Code::MissingInput,
                format!("{what} {shown}: file descriptor {n} is not open for reading: {e}"),
            )
        })?),
        Some(Designator::Env(name)) => {
            let value = std::env::var_os(&name).ok_or_else(|| {
                fail(
                    Code::MissingInput,
                    format!("{what} {shown}: environment variable {name} is not set"),
                )
            })?;
            Box::new(io::Cursor::new(value.into_encoded_bytes()))
        }
        None => Box::new(File::open(arg).map_err(|e| {
            let code = if e.kind() == io::ErrorKind::NotFound {
                Code::MissingInput
            } else {
                Code::UnspecifiedFailure
            };
            fail(code, format!("{what} {shown}: cannot read: {e}"))
        })?),
    };
    let mut bytes = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            fail(
                Code::UnspecifiedFailure,
                format!("{what} {shown}: read error: {e}"),
            )
        })?;
    if bytes.len() as u64 > limit {
        return Err(fail(
            Code::BadData,
            format!(
                "{what} {shown}: larger than the {} KiB sigwatch reads",
                limit / 1024
            ),
        ));
    }
    Ok(bytes)
}

/// A special designator: a string starting with `@`.
enum Designator {
    Fd(u32),
    Env(String),
}

/// Recognizes `@FD:n` and `@ENV:NAME`; plain paths are `None`.
fn designator(arg: &OsStr) -> Result<Option<Designator>, Failed> {
    let Some(text) = arg.to_str().filter(|t| t.starts_with('@')) else {
        return Ok(None);
    };
    if Path::new(arg).exists() {
        return Err(fail(
            Code::AmbiguousInput,
            format!("{text} is a special designator, and a file of that name exists"),
        )
        .hint(format!("write ./{text} to mean the file")));
    }
    if let Some(n) = text.strip_prefix("@FD:") {
        return n
            .parse::<u32>()
            .map(|n| Some(Designator::Fd(n)))
            .map_err(|_| {
                fail(
                    Code::UnsupportedSpecialPrefix,
                    format!("{text}: not a file descriptor number"),
                )
            });
    }
    if let Some(name) = text.strip_prefix("@ENV:").filter(|n| !n.is_empty()) {
        return Ok(Some(Designator::Env(name.to_string())));
    }
    Err(fail(
        Code::UnsupportedSpecialPrefix,
        format!("{text}: unknown special designator"),
    )
    .hint("sopv knows @FD:n and @ENV:NAME; write ./@… to mean a file"))
}

/// Where `--verifications-out` goes, checked before any work is done.
enum Output {
    Fd(u32),
    File(OsString),
}

impl Output {
    fn check(arg: &OsStr) -> Result<Output, Failed> {
        match designator(arg)? {
            Some(Designator::Fd(n)) => Ok(Output::Fd(n)),
            Some(Designator::Env(_)) => Err(fail(
                Code::UnsupportedSpecialPrefix,
                format!(
                    "--verifications-out {}: @ENV: is for input only",
                    arg.to_string_lossy()
                ),
            )),
            None if Path::new(arg).exists() => Err(fail(
                Code::OutputExists,
                format!(
                    "--verifications-out {}: the file already exists",
                    arg.to_string_lossy()
                ),
            )
            .hint("sopv never overwrites; remove it first or name a new file")),
            None => Ok(Output::File(arg.to_os_string())),
        }
    }

    fn write(self, bytes: &[u8]) -> Result<(), Failed> {
        let (shown, file) = match self {
            Output::Fd(n) => (
                format!("@FD:{n}"),
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(format!("/dev/fd/{n}")),
            ),
            Output::File(path) => (
                path.to_string_lossy().into_owned(),
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path),
            ),
        };
        let code_for = |e: &io::Error| match e.kind() {
            io::ErrorKind::AlreadyExists => Code::OutputExists,
            _ => Code::UnspecifiedFailure,
        };
        let mut file =
            file.map_err(|e| fail(code_for(&e), format!("--verifications-out {shown}: {e}")))?;
        file.write_all(bytes).map_err(|e| {
            fail(
                Code::UnspecifiedFailure,
                format!("--verifications-out {shown}: {e}"),
            )
        })
    }
}

fn write_stdout(bytes: &[u8]) -> Result<(), Failed> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| {
            fail(
                Code::UnspecifiedFailure,
                format!("writing standard output: {e}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_take_now_dash_and_rfc3339_with_any_offset() {
        assert!(parse_date("-", "--not-before").unwrap().is_none());
        assert!(parse_date("now", "--not-after").unwrap().is_some());
        let z = parse_date("2025-02-12T05:22:33Z", "x").unwrap().unwrap();
        let off = parse_date("2025-02-12T06:22:33+01:00", "x")
            .unwrap()
            .unwrap();
        assert_eq!(z, off);
        let f = parse_date("12 Feb 2025", "--not-before").unwrap_err();
        assert_eq!(f.code, Code::BadData);
        assert!(f.message.contains("--not-before"));
    }

    #[test]
    fn designators_are_recognized_and_unknown_ones_refused() {
        assert!(matches!(
            designator(OsStr::new("@FD:3")),
            Ok(Some(Designator::Fd(3)))
        ));
        assert!(
            matches!(designator(OsStr::new("@ENV:X")), Ok(Some(Designator::Env(n))) if n == "X")
        );
        assert!(matches!(designator(OsStr::new("key.asc")), Ok(None)));
        assert_eq!(
            designator(OsStr::new("@HTTP:x")).err().map(|f| f.code),
            Some(Code::UnsupportedSpecialPrefix)
        );
    }
}
