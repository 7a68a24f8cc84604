//! Command-line definitions (clap). Parsing only: [`crate::commands`] carries the commands out.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Watch upstream releases and hand over only those signed by a pinned OpenPGP key.
#[derive(Debug, Parser)]
#[command(
    name = "sigwatch",
    version,
    about,
    long_about = "Watch upstream releases and hand over only those whose detached OpenPGP \
signature was made by a key pinned by full fingerprint (or, with --sigstore, whose Sigstore \
bundle or PEP 740 attestation was made by a pinned publisher).\n\n\
Exit codes: 0 ok, 1 verification failed or refused, 2 usage or configuration error, \
3 network, source or local I/O failure, 4 newer release found (check --fail-on-update). \
With several projects the worst wins, ranked 1 > 2 > 3 > 4.",
    after_help = "Examples:\n  sigwatch verify foo-1.2.tar.gz --keyring keyrings/foo.asc --fingerprint 'ABCD …'\n  sigwatch keys list keyrings/foo.asc\n  sigwatch completions bash > /etc/bash_completion.d/sigwatch"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

// Flags every subcommand takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print only results and errors (no warnings or notes).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Say more: every signature's verdict, each file's URLs and digest, HTTP totals.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// When to colour output: auto (only on a terminal, never under NO_COLOR), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,

    /// Print one JSON object on stdout instead of human text (schemas in the README); errors
    /// become {"error": {"kind", "message", "hint"}}. Every subcommand takes it.
    #[arg(long, global = true)]
    pub json: bool,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Only on a terminal, and never when NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The subcommands.
///
/// Each variant's arguments are built only when that subcommand runs (`defer`): a `verify`
/// does not build `fetch`'s forty flags first. Generators and tests call `Command::build`.
/// A deferred `Args` struct's doc comment would replace the variant's text in `--help`, so
/// the `Args` structs here carry plain comments.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Verify a file's detached signature against pinned fingerprints.
    #[command(after_help = "Examples:\n  \
sigwatch verify foo-1.2.tar.gz --keyring keyrings/foo.asc --fingerprint '0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567'\n  \
sigwatch verify foo-1.2.tar.gz --signature foo-1.2.tar.gz.sig --keyring KEYS --fingerprint A… --fingerprint B… --threshold 2 --json\n  \
sigwatch verify foo-1.2.tar.gz --checksums SHA256SUMS --keyring KEYS --fingerprint A…   # SHA256SUMS.asc beside it\n  \
sigwatch verify foo-1.2.tar.gz --watch watch/foo.toml   # the watch file's keyring and pins\n  \
sigwatch verify linux-6.1.tar.xz --signature linux-6.1.tar.sign --decompress --watch watch/linux.toml   # signed: the .tar\n\n\
Exit codes: 0 verified, 1 rejected, 2 usage or configuration error.")]
    Verify(VerifyArgs),

    /// Find each project's newest release; with -v, the URLs `fetch` would use (downloads nothing).
    #[command(after_help = "Examples:\n  \
sigwatch check watch/flufl.lock.toml\n  \
sigwatch check watch/ --json --fail-on-update   # a directory of *.toml watch files\n\n\
Exit codes: 0 ok, 2 configuration error, 3 network or source failure, \
4 newer release than `current` (with --fail-on-update); the worst project wins.")]
    Check(CheckArgs),

    /// Download the newest (or a given) release, verify digest and signature, then place it.
    #[command(after_help = "Examples:\n  \
sigwatch fetch watch/flufl.lock.toml --dest downloads/\n  \
sigwatch fetch watch/ --dest downloads/ --json\n  \
sigwatch fetch watch/foo.toml --version 1.2 --allow-downgrade\n\n\
Nothing unverified is ever left at DIR: downloads land in a temporary file and are renamed \
only after every check passed. Exit codes: 0 ok, 1 verification failed (bad, unpinned or \
missing signature, digest or size mismatch, rollback), 2 configuration error, 3 network or \
source failure; the worst project wins (1 > 2 > 3).")]
    Fetch(FetchArgs),

    /// Inspect keyrings, and refresh the pinned certificates in them.
    #[command(
        subcommand,
        after_help = "Examples:\n  \
sigwatch keys list keyrings/foo.asc   # fingerprints to pin, expiry, revocations\n  \
sigwatch keys refresh watch/          # learn expiry extensions and revocations"
    )]
    Keys(KeysCommand),

    /// Record a narrow exception: accept one exact file whose pinned signature breaks only a
    /// waivable rule (a SHA-1 data signature, or a key that had expired before it signed).
    #[command(after_help = "Examples:\n  \
sigwatch accept foo-1.2.tar.gz --watch watch/foo.toml \\\n    \
--reason \"SHA-1 signature; same bytes as Debian's foo_1.2.orig.tar.gz\"\n  \
sigwatch accept foo-1.2.tar.gz --signature foo-1.2.tar.gz.sig --watch watch/foo.toml --reason \"…\"\n\n\
Check the bytes another way first (against the tarball your distribution already ships, or \
upstream's published digest). The exception covers exactly these bytes (sha256) signed by \
that pinned key, and is written as an [[accept]] entry into the watch file, keeping its \
comments. A bad signature, an unpinned or missing key, a revocation or a weak key is never \
accepted (exit 1).")]
    Accept(AcceptArgs),

    /// Check watch files and keyrings for trust problems before they bite.
    #[command(
        after_help = "Examples:\n  sigwatch lint watch/\n  sigwatch lint watch/foo.toml --json\n\n\
Finds pinned keys that are expired, revoked or expiring within 90 days, pins missing from the \
keyring, certificates in the keyring that are not pinned, keyrings that are not minimal \
(third-party certifications, image user IDs) and weak pinned keys. Exit 1 when any finding \
is an error, else 0."
    )]
    Lint(LintArgs),

    /// Write a watch file and a minimal keyring holding only the pinned certificates (or pin
    /// Sigstore publishers).
    #[command(after_help = "Examples:\n  \
sigwatch add --pypi flufl.lock --keyring KEYS \\\n      \
--fingerprint '0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567'\n  \
sigwatch add --url https://gnupg.org/ftp/gcrypt/gnupg/ \\\n      \
--pattern 'gnupg-(?P<version>2\\.4\\.[0-9]+)\\.tar\\.bz2' \\\n      \
--keyring signing-key.asc \\\n      \
--fingerprint 6DAA6E64A76D2840571B4902528897B826403ADA \\\n      \
--signature-url '{url}.sig' --dir watch/\n  \
sigwatch add --pypi sampleproject --publisher github:pypa/sampleproject/release.yml\n\n\
The second writes watch/gnupg.toml and watch/keyrings/gnupg.asc; `sigwatch check -v \
watch/gnupg.toml` then shows the newest release and the URLs `fetch` would use. \
The third pins PyPI's Trusted Publisher instead of keys: `fetch` then verifies each file's \
PEP 740 provenance. With --dry-run, the complete watch file is printed (every field, commented) and nothing is written.")]
    Add(AddArgs),

    /// Translate a Debian source package's debian/watch and upstream signing key.
    #[command(
        name = "import-debian",
        after_help = "Examples:\n  \
sigwatch import-debian ~/src/flufl.lock --out watch/\n  \
for d in ~/debian/*/; do sigwatch import-debian \"$d\" --out watch/; done\n\n\
Exit 0 when the watch file it writes verifies signatures as strictly as the original; \
non-zero (and the watch file marks what a human must add) when debian/watch has no pgp \
option, pgpmode=none, gittag, or there is no upstream key."
    )]
    ImportDebian(ImportDebianArgs),

    /// Translate an Arch Linux PKGBUILD's signed sources and validpgpkeys (parsed, never run).
    #[command(
        name = "import-arch",
        after_help = "Examples:\n  \
sigwatch import-arch ~/aur/gnupg --out watch/\n  \
sigwatch import-arch . --out watch/ --json\n\n\
Reads source=() entries with .sig/.asc, validpgpkeys=() (full fingerprints; short IDs are \
refused) and keys/pgp/*.asc. The PKGBUILD is parsed statically, never executed."
    )]
    ImportArch(ImportArchArgs),

    /// Run a Debian source package tree as uscan would, verifying against debian/upstream's keys.
    #[command(after_help = "Examples:\n  \
sigwatch uscan                      # in the package tree: newest upstream version, nothing downloaded\n  \
sigwatch uscan --download           # fetch, verify, place ../<source>_<version>.orig.tar.<ext> and .asc\n  \
sigwatch uscan ~/src/foo --dehs     # uscan's DEHS XML on stdout, with <signer>\n\n\
Reads debian/watch (versions 3-5) and debian/upstream/signing-key.asc (or .pgp) as they are, \
translated like import-debian; every primary key in the key file is pinned. Signer history \
goes to debian/upstream/sigwatch.lock. Exit codes are sigwatch's: 0 ok (also when up to date), \
1 refused, 2 configuration, 3 network.")]
    Uscan(UscanArgs),

    /// Work with JSON reports.
    #[command(
        subcommand,
        after_help = "Examples:\n  \
sigwatch check watch/ --shard 1/2 --json > shard-1.json\n  \
sigwatch check watch/ --shard 2/2 --json > shard-2.json\n  \
sigwatch report merge shard-1.json shard-2.json > report.json"
    )]
    Report(ReportCommand),

    /// Verify OpenPGP signatures as a Stateless OpenPGP `sopv` (for uscan), with sigwatch's policy.
    #[command(
        disable_help_flag = true,
        after_help = "Examples:\n  sigwatch sopv verify foo-1.2.tar.gz.asc debian/upstream/signing-key.asc < foo-1.2.tar.gz\n  \
ln -s \"$(command -v sigwatch)\" ~/bin/sopv   # uscan runs the first sopv on PATH\n\n\
Every primary key in CERTS counts as pinned. `sigwatch sopv --help` lists the sopv subcommands \
and the spec's exit codes."
    )]
    Sopv {
        /// The sopv subcommand and its arguments (version, verify, inline-verify).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_parser = clap::value_parser!(std::ffi::OsString))]
        args: Vec<std::ffi::OsString>,
    },

    /// Print shell completions for SHELL on stdout.
    #[command(
        after_help = "Examples:\n  sigwatch completions bash > ~/.local/share/bash-completion/completions/sigwatch\n  sigwatch completions zsh > ~/.zfunc/_sigwatch\n  sigwatch completions fish > ~/.config/fish/completions/sigwatch.fish"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },

    /// Write man pages (sigwatch.1 and one per subcommand) into DIR.
    #[command(
        after_help = "Examples:\n  sigwatch man --out /usr/local/share/man/man1\n  sigwatch man --out target/man && man target/man/sigwatch.1"
    )]
    Man {
        /// Directory to write the pages to (created if missing).
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
}

// `sigwatch verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The file whose signature to check.
    pub file: PathBuf,

    /// The detached signature (default: FILE.asc, then FILE.sig).
    #[arg(long, short = 's', value_name = "SIG")]
    pub signature: Option<PathBuf>,

    /// Keyring holding the pinned certificates: armored (one or many blocks) or binary.
    #[arg(
        long,
        short = 'k',
        value_name = "K",
        required_unless_present_any = ["watch", "sigstore"],
        conflicts_with_all = ["watch", "sigstore"]
    )]
    pub keyring: Option<PathBuf>,

    /// Full fingerprint allowed to sign (40 or 64 hex digits, spaces allowed). Repeatable.
    #[arg(
        long = "fingerprint",
        short = 'f',
        value_name = "F",
        required_unless_present_any = ["watch", "sigstore"],
        conflicts_with_all = ["watch", "sigstore"]
    )]
    pub fingerprints: Vec<String>,

    /// Take the keyring, pins and threshold from a watch file instead.
    #[arg(long, short = 'w', value_name = "W")]
    pub watch: Option<PathBuf>,

    /// How many distinct pinned certificates must have signed (default 1, or the watch file's).
    #[arg(long, short = 't', value_name = "N")]
    pub threshold: Option<usize>,

    /// The signature covers FILE's decompressed content (upstream signs foo.tar and ships
    /// foo.tar.xz, as uscan's `decompress`): FILE is read through a gzip, xz, bzip2 or zstd
    /// decoder chosen by its first bytes. The watch file's `[signature] decompress` sets it
    /// with --watch.
    #[arg(long, conflicts_with = "sigstore")]
    pub decompress: bool,

    /// Verify FILE through a signed checksum file (SHA256SUMS, BSD or coreutils format):
    /// its signature (--signature, default SUMS.asc then SUMS.sig, or clearsigned) is
    /// checked against the pins, then FILE's digest must match its line.
    #[arg(long, value_name = "SUMS", conflicts_with = "sigstore")]
    pub checksums: Option<PathBuf>,

    /// Verify FILE by a Sigstore bundle (.sigstore, .sigstore.json), a PEP 740 attestation
    /// (.publish.attestation) or a PEP 740 provenance object (.provenance), offline. The
    /// signer is pinned by --identity and --issuer, --publisher, or the watch file's [sigstore].
    /// With a --watch file that pins [keys] too, FILE's OpenPGP signature (--signature, default
    /// FILE.asc then FILE.sig) is checked as well: both must pass.
    #[arg(long, value_name = "BUNDLE")]
    pub sigstore: Option<PathBuf>,

    /// The certificate identity (SAN) allowed to sign, matched exactly; needs --issuer.
    #[arg(
        long,
        value_name = "ID",
        requires = "issuer",
        requires = "sigstore",
        conflicts_with = "watch"
    )]
    pub identity: Option<String>,

    /// The OIDC issuer that must have vouched for --identity, matched exactly.
    #[arg(
        long,
        value_name = "URL",
        requires = "identity",
        conflicts_with = "watch"
    )]
    pub issuer: Option<String>,

    /// A publisher allowed to sign: github:OWNER/REPO/WORKFLOW.yml, gitlab:NAMESPACE/PROJECT/PATH,
    /// google:EMAIL or circleci:PROJECT/PIPELINE_DEFINITION. Repeatable.
    #[arg(
        long,
        value_name = "SPEC",
        conflicts_with = "watch",
        requires = "sigstore"
    )]
    pub publisher: Vec<String>,

    /// A Sigstore trusted_root.json replacing the embedded public-good one (staging, private).
    #[arg(long, value_name = "FILE", requires = "sigstore")]
    pub trusted_root: Option<PathBuf>,

    /// The release's version, filling {version} in pinned identities.
    #[arg(long = "release-version", value_name = "V", requires = "sigstore")]
    pub release_version: Option<String>,
}

// Options shared by the commands that go to the network.
#[derive(Debug, Args)]
pub struct NetArgs {
    /// Projects checked at the same time.
    #[arg(long, short = 'j', default_value_t = 16, value_name = "N")]
    pub jobs: usize,

    /// Give up on a server that sends nothing for this many seconds (also the wait for headers).
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub timeout: u64,

    /// Give up on a transfer slower than this many bytes per second, averaged over --timeout.
    #[arg(long, default_value_t = 64, value_name = "BYTES")]
    pub min_rate: u64,

    /// Retries after a 5xx answer, a timeout, a broken connection or a 429.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub retries: u32,

    /// Longest Retry-After (seconds) that is waited for; longer ones are reported.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub max_retry_after: u64,

    /// Cap on index pages and listings, in MiB (after decoding).
    #[arg(long, default_value_t = 32, value_name = "MIB")]
    pub max_page_mib: u64,

    /// Cap on signature files, in MiB.
    #[arg(long, default_value_t = 1, value_name = "MIB")]
    pub max_signature_mib: u64,

    /// Cap on artifacts, in GiB (the index's stated size, when given, is enforced exactly).
    #[arg(long, default_value_t = 4, value_name = "GIB")]
    pub max_artifact_gib: u64,

    /// Concurrent requests to one host.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub per_host: usize,

    /// Do not use or update the page cache (index pages revalidated with ETag/Last-Modified,
    /// kept in $XDG_CACHE_HOME/sigwatch/pages or $SIGWATCH_CACHE_DIR).
    #[arg(long)]
    pub no_cache: bool,

    /// Take only part K of N of the watch files (K from 1 to N), split by a stable hash of
    /// their file names, so N CI jobs each check one part; join the reports with `report merge`.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
}

/// A shard: part `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// Which part, from 1.
    pub index: u32,
    /// How many parts.
    pub count: u32,
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?} is not K/N (e.g. 2/5)"))?;
    let index: u32 = k
        .trim()
        .parse()
        .map_err(|_| format!("{k:?} is not a number"))?;
    let count: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("{n:?} is not a number"))?;
    if count == 0 || index == 0 || index > count {
        return Err(format!("{s:?}: K must be between 1 and N"));
    }
    Ok(Shard { index, count })
}

// `sigwatch check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Watch files, or directories of `*.toml` watch files.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Exit 4 when a release newer than `current` exists and nothing worse happened.
    #[arg(long)]
    pub fail_on_update: bool,

    /// First refresh pinned certificates from the watch file's `[keys] refresh` sources.
    #[arg(long)]
    pub refresh_keys: bool,

    #[command(flatten)]
    pub net: NetArgs,
}

// `sigwatch fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Watch files, or directories of `*.toml` watch files.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Where verified files and their signatures are placed.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub dest: PathBuf,

    /// Fetch this version instead of the newest.
    #[arg(long, value_name = "V")]
    pub version: Option<String>,

    /// Accept a version older than the newest one recorded in the watch file's lock file.
    #[arg(long)]
    pub allow_downgrade: bool,

    /// First refresh pinned certificates from the watch file's `[keys] refresh` sources.
    #[arg(long)]
    pub refresh_keys: bool,

    #[command(flatten)]
    pub net: NetArgs,
}

// `sigwatch uscan`.
#[derive(Debug, Args)]
pub struct UscanArgs {
    /// The source package tree (it contains debian/).
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,

    /// Only say what the newest upstream version is (the default).
    #[arg(long, conflicts_with = "download")]
    pub report: bool,

    /// Download, verify and place the release and its .orig names.
    #[arg(long)]
    pub download: bool,

    /// Print uscan's DEHS XML on stdout.
    #[arg(long)]
    pub dehs: bool,

    /// Where files are placed (default: the directory above DIR, as uscan's `..`).
    #[arg(long, value_name = "D")]
    pub destdir: Option<PathBuf>,

    /// This upstream version (as uscan shows it, after uversionmangle) instead of the newest;
    /// implies --download unless --report is given.
    #[arg(long, value_name = "V")]
    pub download_version: Option<String>,

    #[command(flatten)]
    pub net: NetArgs,
}

/// `sigwatch report …`.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ReportCommand {
    /// Join the JSON reports of `check --shard K/N --json` runs into one report.
    #[command(
        after_help = "Examples:\n  sigwatch report merge shard-1.json shard-2.json shard-3.json > report.json\n\n\
Refuses (exit 2) a missing or duplicated shard, or reports of different shard counts."
    )]
    Merge {
        /// The shard reports.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

// `sigwatch lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Watch files, or directories of `*.toml` watch files (default: the current directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

// `sigwatch add`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["pypi", "url"])))]
pub struct AddArgs {
    /// A project on the package index.
    #[arg(long, value_name = "NAME")]
    pub pypi: Option<String>,

    /// A web page or directory listing that links to the releases.
    #[arg(long, value_name = "URL", requires = "pattern")]
    pub url: Option<String>,

    /// Regex matching release file names on --url, with a (?P<version>…) group.
    #[arg(long, value_name = "RE", requires = "url")]
    pub pattern: Option<String>,

    /// Keyring holding the certificates to pin (only the pinned ones are copied).
    #[arg(
        long,
        value_name = "KEYFILE",
        required_unless_present = "publishers",
        requires = "fingerprints"
    )]
    pub keyring: Option<PathBuf>,

    /// Full fingerprint allowed to sign. Repeatable.
    #[arg(long = "fingerprint", value_name = "F", requires = "keyring")]
    pub fingerprints: Vec<String>,

    /// A Sigstore publisher allowed to publish (PEP 740, Sigstore bundles):
    /// github:OWNER/REPO/WORKFLOW.yml, gitlab:NAMESPACE/PROJECT/PATH, google:EMAIL or
    /// circleci:PROJECT/PIPELINE_DEFINITION. Repeatable. With --keyring too, both must pass.
    #[arg(long = "publisher", value_name = "SPEC")]
    pub publishers: Vec<String>,

    /// Signature URL template ({url} {filename} {version} {name} {dir}). Repeatable: tried in order.
    #[arg(long = "signature-url", value_name = "TEMPLATE")]
    pub signature_urls: Vec<String>,

    /// Project name (default: the PyPI name; with --url, the file name before the version in
    /// --pattern, else the first label of the URL's host).
    #[arg(long)]
    pub name: Option<String>,

    /// Where to write NAME.toml and keyrings/NAME.asc.
    #[arg(long, default_value = ".", value_name = "D")]
    pub dir: PathBuf,

    /// Replace an existing watch file or keyring.
    #[arg(long)]
    pub force: bool,

    /// Print the complete watch file that would be written, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

// `sigwatch accept`.
#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// The exact file to accept.
    pub file: PathBuf,

    /// Its detached signature (default: FILE.asc, then FILE.sig).
    #[arg(long, short = 's', value_name = "SIG")]
    pub signature: Option<PathBuf>,

    /// The watch file whose pins judge the signature and that records the exception.
    #[arg(long, short = 'w', value_name = "W")]
    pub watch: PathBuf,

    /// Why the exception is safe (recorded in the watch file; required).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,

    /// The release version (default: read from the file name with the watch file's source).
    #[arg(long, value_name = "V")]
    pub version: Option<String>,
}

// `sigwatch import-debian`.
#[derive(Debug, Args)]
pub struct ImportDebianArgs {
    /// A Debian source package (a directory containing debian/).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Where to write the watch file and keyrings/ (default: the current directory).
    #[arg(long, default_value = ".", value_name = "OUTDIR")]
    pub out: PathBuf,

    /// Set from the global `--json`.
    #[arg(skip)]
    pub json: bool,
}

// `sigwatch import-arch`.
#[derive(Debug, Args)]
pub struct ImportArchArgs {
    /// A directory holding a PKGBUILD (and keys/pgp/*.asc).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Where to write the watch file(s) and keyrings/ (default: the current directory).
    #[arg(long, default_value = ".", value_name = "OUTDIR")]
    pub out: PathBuf,

    /// Set from the global `--json`.
    #[arg(skip)]
    pub json: bool,
}

/// `sigwatch keys …`.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum KeysCommand {
    /// Fetch updates for pinned certificates (expiry extensions, new subkeys, revocations).
    #[command(
        after_help = "Examples:\n  sigwatch keys refresh watch/\n  sigwatch keys refresh watch/foo.toml --json\n\n\
Sources come from the watch file: [keys] refresh = [\"https://example.org/KEYS\", \"wkd\"]. \
Only certificates holding a pinned key are merged (new self-signatures, subkeys with valid \
bindings, revocations); everything else is dropped and counted, so trust never widens. \
A WKD answer with a different key for the address is reported and exits 1."
    )]
    Refresh {
        /// Watch files, or directories of `*.toml` watch files.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,

        #[command(flatten)]
        net: NetArgs,
    },

    /// List every certificate in a keyring: what to pin, and what is wrong with it.
    #[command(
        after_help = "Examples:\n  sigwatch keys list keyrings/foo.asc\n  sigwatch keys list debian/upstream/signing-key.asc --json"
    )]
    List {
        /// The keyring (armored, glued blocks, or binary).
        keyring: PathBuf,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definitions_are_consistent() {
        // debug_assert builds every (deferred) subcommand before checking it.
        Cli::command().debug_assert();
    }

    /// (name, about) of the subcommands a `Subcommand` enum declares, before any building:
    /// the text on its variants.
    fn declared<S: clap::Subcommand>() -> Vec<(String, Option<String>)> {
        S::augment_subcommands(clap::Command::new("t"))
            .get_subcommands()
            .map(|s| {
                (
                    s.get_name().to_owned(),
                    s.get_about().map(|a| a.to_string()),
                )
            })
            .collect()
    }

    #[test]
    fn deferred_subcommands_keep_their_variant_text_in_help() {
        let mut cli = Cli::command();
        cli.build();
        let cases = [
            (None, declared::<Command>()),
            (Some("keys"), declared::<KeysCommand>()),
            (Some("report"), declared::<ReportCommand>()),
        ];
        for (parent, subs) in cases {
            let parent = parent.map_or(&cli, |p| cli.find_subcommand(p).unwrap());
            assert!(!subs.is_empty());
            for (name, about) in subs {
                assert!(about.is_some(), "{name} has no about");
                let built = parent.find_subcommand(&name).unwrap();
                assert_eq!(
                    built.get_about().map(|a| a.to_string()),
                    about,
                    "`{name} --help` shows another text than its entry in the list"
                );
            }
        }
    }

    #[test]
    fn every_subcommand_has_an_example() {
        fn walk(cmd: &clap::Command, path: &str) {
            // `help` is clap's own, added by build().
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                let name = format!("{path} {}", sub.get_name());
                if sub.get_subcommands().next().is_some() {
                    walk(sub, &name);
                }
                let help = sub
                    .get_after_help()
                    .map(|h| h.to_string())
                    .unwrap_or_default();
                assert!(
                    help.contains("Examples:"),
                    "{name} has no example in its --help"
                );
            }
        }
        let mut cli = Cli::command();
        cli.build(); // subcommands' arguments (and so `keys`' and `report`'s own) are deferred
        assert!(
            cli.get_subcommands()
                .any(|s| s.get_subcommands().next().is_some())
        );
        walk(&cli, "sigwatch");
    }
}
