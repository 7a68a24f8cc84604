//! Output: human text on a terminal or in a pipe, one JSON object with `--json`.
//!
//! The only module that prints. Results go to stdout — for `check` and `fetch` that is one
//! line per project, a failed project's line included, with its hint on the next line —
//! while warnings, notes and command errors (with their hints) go to stderr, so pipes carry
//! results only. Colour follows `--color` (default: only on a terminal
//! and never under `NO_COLOR`, which `anstream` handles).

use std::io::Write;

use anstyle::{AnsiColor, Style};
use serde::Serialize;
use serde_json::json;

pub mod dehs;
pub mod model;

use crate::error::{Failure, Kind};
use crate::exit::Exit;
use model::{ErrorReport, ProjectReport, VerifyReport};

use crate::verify::keyring::CertInfo;
use crate::verify::{Status, Verdict};

const GOOD: Style = AnsiColor::Green.on_default().bold();
const BAD: Style = AnsiColor::Red.on_default().bold();
const WARN: Style = AnsiColor::Yellow.on_default().bold();
const HINT: Style = AnsiColor::Cyan.on_default().bold();
const DIM: Style = Style::new().dimmed();

/// How much to say, and in which form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Printer {
    /// Only results and errors.
    pub quiet: bool,
    /// Extra detail (0 = normal).
    pub verbose: u8,
    /// One JSON object on stdout instead of human text (`--json`).
    pub json: bool,
}

impl Printer {
    /// A warning on stderr (suppressed by `-q`).
    pub fn warning(&self, msg: &str) {
        if !self.quiet {
            let _ = writeln!(anstream::stderr(), "{WARN}warning{WARN:#}: {msg}");
        }
    }

    /// A plain result line on stdout.
    pub fn result(&self, line: &str) {
        let _ = writeln!(anstream::stdout(), "{line}");
    }

    /// A note on stderr (suppressed by `-q`).
    pub fn note(&self, msg: &str) {
        if !self.quiet {
            let _ = writeln!(anstream::stderr(), "{HINT}note{HINT:#}: {msg}");
        }
    }

    /// Detail on stderr, shown with `-v`.
    pub fn detail(&self, msg: &str) {
        if self.verbose > 0 {
            let _ = writeln!(anstream::stderr(), "{DIM}{msg}{DIM:#}");
        }
    }

    /// A command's error: with its hint on stderr (never suppressed), and under `--json`
    /// also as `{"error": {…}}` on stdout.
    pub fn error(&self, failure: &Failure) {
        let mut out = anstream::stderr();
        let _ = writeln!(out, "{BAD}error{BAD:#}: {}", failure.message);
        if let Some(hint) = &failure.hint {
            let _ = writeln!(out, "{HINT}hint{HINT:#}: {hint}");
        }
        if self.json {
            self.json(&json!({ "error": ErrorReport::from(failure) }));
        }
    }

    /// The outcome of `sigwatch verify`: JSON, or the human verdict.
    pub fn verify_report(&self, report: &VerifyReport, verdict: &Verdict) {
        for w in &verdict.warnings {
            self.warning(w);
        }
        if self.json {
            self.json(report);
            return;
        }
        self.verdict_lines(&report.file, report, verdict);
    }

    /// `sigwatch uscan`: DEHS XML (`--dehs`), JSON, or human text; warnings on stderr.
    pub fn uscan(&self, r: &model::UscanReport, dehs: bool) {
        if dehs {
            let _ = write!(anstream::stdout(), "{}", dehs::render(r));
            return;
        }
        for w in &r.warnings {
            self.warning(w);
        }
        if self.json {
            self.json(r);
            return;
        }
        for n in &r.notices {
            self.note(n);
        }
        for e in &r.entries {
            let name = match &e.component {
                None => r.package.clone(),
                Some(c) => format!("{} (component {c})", r.package),
            };
            let version = e.upstream_version.as_deref().unwrap_or("?");
            let url = e.upstream_url.as_deref().unwrap_or("?");
            let packaged = match (&e.component, &r.debian_mangled_uversion, &r.status) {
                (None, Some(v), Some(status)) => format!(", packaged {v}: {status}"),
                _ => String::new(),
            };
            self.result(&format!(
                "{name}: newest upstream {version} ({url}){packaged}"
            ));
            if let Some(signer) = &e.signer {
                self.result(&format!("  {GOOD}verified{GOOD:#}: signed by {signer}"));
            }
            for p in &e.placed {
                self.result(&format!("  placed {p}"));
            }
        }
    }

    /// The verdict of `sigwatch verify --sigstore`, as JSON or one line (and a hint).
    pub fn sigstore_report(
        &self,
        report: &model::SigstoreReport,
        verdict: &crate::verify::sigstore::Verdict,
    ) {
        if self.json {
            self.json(report);
            return;
        }
        let style = if verdict.is_verified() { GOOD } else { BAD };
        let _ = writeln!(
            anstream::stdout(),
            "{style}{}{style:#}: {}: {}",
            report.verdict.as_str(),
            report.file,
            report.reason
        );
        if let Some(hint) = verdict.hint()
            && !self.quiet
        {
            let _ = writeln!(anstream::stderr(), "{HINT}hint{HINT:#}: {hint}");
        }
    }

    /// A JSON value on stdout, pretty-printed.
    pub fn json(&self, value: &impl Serialize) {
        let mut out = anstream::stdout();
        let text = serde_json::to_string_pretty(value).expect("report values serialize");
        let _ = writeln!(out, "{text}");
    }

    /// The verdict of `sigwatch verify` as human text (warnings were printed already).
    fn verdict_lines(&self, file: &str, report: &VerifyReport, verdict: &Verdict) {
        let mut out = anstream::stdout();
        let style = if report.verdict == model::VerdictWord::Verified {
            GOOD
        } else {
            BAD
        };
        let _ = writeln!(
            out,
            "{style}{}{style:#}: {file}: {}",
            report.verdict.as_str(),
            report.reason
        );
        if self.verbose > 0
            || (!verdict.is_verified() && verdict.signatures.len() > 1 && !self.quiet)
        {
            for (i, s) in verdict.signatures.iter().enumerate() {
                let style = if s.status == Status::Good { GOOD } else { BAD };
                let _ = writeln!(
                    out,
                    "  signature {}: {style}{}{style:#}: {} [{} {}, {}, made {}]",
                    i + 1,
                    status_name(s.status),
                    s.reason,
                    s.public_key_algorithm,
                    s.hash_algorithm,
                    s.mode,
                    s.created.as_deref().unwrap_or("?")
                );
            }
        }
        if let Some(hint) = &report.hint
            && !self.quiet
        {
            let _ = writeln!(anstream::stderr(), "{HINT}hint{HINT:#}: {hint}");
        }
    }

    /// A progress bar on stderr: drawn only when stderr is a terminal and not under `-q`.
    pub fn progress(&self, len: u64) -> indicatif::ProgressBar {
        if self.quiet || len < 2 {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(len),
            indicatif::ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} projects {elapsed}")
                .expect("static template"),
        );
        bar
    }

    /// `check` and `fetch` reports as human text: one line per project, then its details.
    pub fn projects(&self, reports: &[ProjectReport], fetched: bool) {
        let mut out = anstream::stdout();
        for r in reports {
            if let Some(e) = &r.error {
                let _ = writeln!(
                    out,
                    "{BAD}{}{BAD:#}: {} ({}): {}",
                    error_label(e.kind),
                    r.name,
                    r.watch,
                    e.message
                );
                // On stdout with its error, so `check > report.txt` keeps the fix too.
                if let Some(h) = &e.hint {
                    let _ = writeln!(out, "{HINT}hint{HINT:#}: {}: {h}", r.name);
                }
                for f in &r.files {
                    for s in f.fetched.iter().flat_map(|x| x.signatures.iter()) {
                        if self.verbose > 0 || s.status != Status::Good {
                            let _ = writeln!(
                                out,
                                "  {}: signature: {}: {}",
                                f.filename,
                                status_name(s.status),
                                s.reason
                            );
                        }
                    }
                }
            } else if fetched {
                for f in &r.files {
                    let Some(x) = &f.fetched else { continue };
                    let publisher = x.sigstore.as_ref().map(|s| {
                        format!(
                            "published by {}, issuer {}, log index {}",
                            s.identity.as_deref().unwrap_or("?"),
                            s.issuer.as_deref().unwrap_or("?"),
                            s.log_index.map_or("?".to_string(), |i| i.to_string())
                        )
                    });
                    let who = match (&x.signer, publisher) {
                        (Some(signer), Some(p)) => format!("signed by {signer}, {p}"),
                        (Some(signer), None) => format!("signed by {signer}"),
                        (None, Some(p)) => p,
                        (None, None) => "signed by ?".to_string(),
                    };
                    let _ = writeln!(
                        out,
                        "{GOOD}verified{GOOD:#}: {} {}: {} ({who})",
                        r.name,
                        r.version.as_deref().unwrap_or("?"),
                        x.path.as_deref().unwrap_or(&f.filename),
                    );
                }
            } else {
                let newest = r.newest.as_deref().unwrap_or("?");
                let state = match (r.update_available, r.current.as_deref()) {
                    (Some(true), Some(c)) => {
                        format!("{WARN}update available{WARN:#}: {c} -> {newest}")
                    }
                    (Some(false), Some(c)) => format!("{GOOD}up to date{GOOD:#}: {c}"),
                    _ => format!("newest {newest}"),
                };
                let _ = writeln!(out, "{}: {state}", r.name);
                if self.verbose > 0 {
                    for f in &r.files {
                        let _ = writeln!(
                            out,
                            "  {} {}",
                            f.url,
                            f.sha256.as_deref().unwrap_or("(no sha256)")
                        );
                        if let Some(s) = &f.signature_url {
                            let _ = writeln!(out, "  {s}");
                        }
                    }
                }
            }
            for n in &r.notices {
                self.note(&format!("{}: {n}", r.name));
            }
            for w in &r.warnings {
                self.warning(&format!("{}: {w}", r.name));
            }
        }
    }

    /// `sigwatch keys refresh` for one watch file as human text.
    pub fn refresh(&self, r: &crate::refresh::RefreshReport) {
        let mut out = anstream::stdout();
        for w in &r.warnings {
            let _ = writeln!(anstream::stderr(), "{BAD}WARNING{BAD:#}: {w}");
        }
        if r.changes.is_empty() {
            let _ = writeln!(out, "{}: {} unchanged", r.watch, r.keyring);
        }
        for c in &r.changes {
            let _ = writeln!(out, "{GOOD}updated{GOOD:#}: {}: {}", r.watch, c.certificate);
            if c.expiry_before != c.expiry_after {
                let show = |e: &Option<String>| e.clone().unwrap_or_else(|| "never".into());
                let _ = writeln!(
                    out,
                    "  expiry: {} -> {}",
                    show(&c.expiry_before),
                    show(&c.expiry_after)
                );
            }
            for k in &c.subkey_expiry {
                let show = |e: &Option<String>| e.clone().unwrap_or_else(|| "never".into());
                let _ = writeln!(
                    out,
                    "  subkey {} expiry: {} -> {}",
                    k.key,
                    show(&k.before),
                    show(&k.after)
                );
            }
            for k in &c.subkeys_added {
                let _ = writeln!(out, "  subkey added: {k}");
            }
            for rev in &c.revocations_added {
                let _ = writeln!(out, "  revocation learned: {rev}");
            }
            for u in &c.user_ids_added {
                let _ = writeln!(out, "  user ID added: {u}");
            }
        }
        if r.dropped_certificates + r.dropped_parts > 0 {
            self.note(&format!(
                "{}: dropped {} certificate(s) without a pinned key and {} third-party certification(s)/image user ID(s)",
                r.watch, r.dropped_certificates, r.dropped_parts
            ));
        }
        for c in &r.conflicts {
            let _ = writeln!(out, "{BAD}refused{BAD:#}: {}: {c}", r.watch);
        }
        for e in &r.source_errors {
            self.warning(&format!("{}: {e}", r.watch));
        }
    }

    /// `sigwatch lint` findings as human text.
    pub fn findings(&self, findings: &[model::Finding], files: usize) {
        let mut out = anstream::stdout();
        for f in findings {
            let (style, label) = match f.severity {
                model::FindingSeverity::Error => (BAD, "error"),
                model::FindingSeverity::Warning => (WARN, "warning"),
            };
            let _ = writeln!(
                out,
                "{style}{label}{style:#}[{}]: {}: {}",
                f.code, f.watch, f.message
            );
            let _ = writeln!(out, "  {HINT}fix{HINT:#}: {}", f.fix);
        }
        let errors = findings
            .iter()
            .filter(|f| f.severity == model::FindingSeverity::Error)
            .count();
        if !self.quiet {
            let _ = writeln!(
                anstream::stderr(),
                "{files} watch file(s): {errors} error(s), {} warning(s)",
                findings.len() - errors
            );
        }
    }

    /// `sigwatch keys list` as human text.
    pub fn certs(&self, certs: &[CertInfo]) {
        let mut out = anstream::stdout();
        for (i, c) in certs.iter().enumerate() {
            if i > 0 {
                let _ = writeln!(out);
            }
            let _ = writeln!(out, "{GOOD}{}{GOOD:#}", spaced(&c.fingerprint));
            for uid in &c.user_ids {
                let _ = writeln!(out, "  user ID: {uid}");
            }
            let mut key_line = |label: &str, k: &crate::verify::keyring::KeyInfo| {
                let caps = if k.capabilities.is_empty() {
                    "-".to_string()
                } else {
                    k.capabilities.join(",")
                };
                let _ = writeln!(out, "  {label}: {} {} [{caps}]", k.fingerprint, k.algorithm);
                let mut facts = vec![format!("created {}", k.created)];
                if let Some(e) = &k.expires {
                    facts.push(format!("expires {e}"));
                }
                if let Some(r) = &k.revocation {
                    facts.push(format!("REVOKED: {r}"));
                }
                if let Some(why) = &k.invalid {
                    facts.push(format!("unusable: {why}"));
                }
                let _ = writeln!(out, "    {}", facts.join(", "));
            };
            key_line("primary", &c.primary);
            for s in &c.subkeys {
                key_line("subkey ", s);
            }
            for w in &c.warnings {
                self.warning(w);
            }
        }
    }

    /// An import (`import-debian`, `import-arch`) as human text: notes on stderr, the watch
    /// file written on stdout. `origin` says what the pins reproduce.
    pub fn imported(
        &self,
        notes: &[model::Note],
        verifies: bool,
        watch: &str,
        pinned: usize,
        origin: &str,
    ) {
        use model::NoteSeverity as Severity;
        for n in notes {
            match n.severity {
                Severity::Info => self.note(&n.to_string()),
                Severity::Review => self.warning(&n.to_string()),
                Severity::Error => {
                    let _ = writeln!(anstream::stderr(), "{BAD}error{BAD:#}: {n}");
                }
            }
        }
        if !self.quiet {
            let mut err = anstream::stderr();
            if verifies {
                let _ = writeln!(
                    err,
                    "{GOOD}imported{GOOD:#}: {watch} pins {pinned} key(s) {origin}"
                );
            } else {
                let _ = writeln!(
                    err,
                    "{BAD}not verifying{BAD:#}: {watch} was written with TODOs; sigwatch refuses it until a human fixes them"
                );
            }
        }
        let _ = writeln!(anstream::stdout(), "{watch}");
    }
}

fn error_label(kind: Kind) -> &'static str {
    match kind.exit() {
        Exit::Refused => "rejected",
        _ => "error",
    }
}

/// Groups a fingerprint in blocks of four, as GnuPG prints it.
pub fn spaced(fpr: &str) -> String {
    let groups: Vec<&str> = fpr
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect();
    let half = groups.len() / 2;
    format!("{}  {}", groups[..half].join(" "), groups[half..].join(" "))
}

/// The JSON name of a signature status.
pub fn status_name(status: Status) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_grouped_like_gnupg() {
        assert_eq!(
            spaced("0123456789ABCDEF0123456789ABCDEF01234567"),
            "0123 4567 89AB CDEF 0123  4567 89AB CDEF 0123 4567"
        );
    }
}
