//! Reading a PKGBUILD without running it: a small bash lexer and evaluator of top-level
//! assignments, for trees without a .SRCINFO.

use std::collections::HashMap;

use super::lex::{LexError, Seg, Tok, Word, lex};
use super::translate::{Element, Taint, Text};
use super::{Note, PKGBUILD, Recipe, Severity, note};

/// Reads a PKGBUILD's top-level assignments, never running it.
pub(super) fn read(text: &str, notes: &mut Vec<Note>) -> Result<Recipe, LexError> {
    let toks = lex(text)?;
    let vars = evaluate(&toks, notes);
    let packages = match vars.get("pkgname") {
        Some(Var::Array(a)) => a
            .iter()
            .filter_map(|e| e.value.as_ref().ok())
            .map(Text::string)
            .collect(),
        Some(Var::Scalar(Ok(t))) => vec![t.string()],
        _ => Vec::new(),
    };
    let base = match vars.get("pkgbase") {
        Some(Var::Scalar(Ok(t))) => Some(t.string()),
        _ => None,
    };
    let pkgver = match vars.get("pkgver") {
        Some(Var::Scalar(Ok(t))) => Ok(Some(t.string())),
        Some(Var::Scalar(Err(why))) => Err(why.clone()),
        Some(Var::Array(_)) => Err("it is an array".into()),
        None => Ok(None),
    };
    let sources = match vars.get("source") {
        Some(Var::Array(a)) => a.clone(),
        Some(Var::Scalar(v)) => vec![Element {
            value: v.clone(),
            line: vars.line("source").unwrap_or_default(),
        }],
        None => Vec::new(),
    };
    let validpgpkeys = match vars.get("validpgpkeys") {
        Some(Var::Array(a)) => Some(Ok(a.clone())),
        Some(Var::Scalar(_)) => Some(Err("is not an array".to_string())),
        None => None,
    };
    Ok(Recipe {
        file: PKGBUILD,
        base,
        packages,
        pkgver,
        sources,
        arch_sources: vars
            .order
            .iter()
            .filter(|(n, _)| n.starts_with("source_"))
            .cloned()
            .collect(),
        validpgpkeys,
        lines: vars
            .order
            .iter()
            .map(|(n, first)| (n.clone(), vars.line(n).unwrap_or(*first)))
            .collect(),
    })
}

/// A variable's value; `Err` says why it cannot be known without running the PKGBUILD.
#[derive(Debug, Clone)]
enum Var {
    Scalar(Result<Text, String>),
    Array(Vec<Element>),
}

#[derive(Debug, Default)]
struct Vars {
    map: HashMap<String, Var>,
    lines: HashMap<String, usize>,
    /// Variables in order of first assignment, with that line.
    order: Vec<(String, usize)>,
}

impl Vars {
    fn get(&self, name: &str) -> Option<&Var> {
        self.map.get(name)
    }

    fn line(&self, name: &str) -> Option<usize> {
        self.lines.get(name).copied()
    }

    fn set(&mut self, name: &str, var: Var, line: usize, append: bool) {
        if !self.lines.contains_key(name) {
            self.order.push((name.to_string(), line));
        }
        self.lines.insert(name.to_string(), line);
        let var = match (append, self.map.remove(name), var) {
            (true, Some(Var::Array(mut a)), Var::Array(b)) => {
                a.extend(b);
                Var::Array(a)
            }
            (true, Some(Var::Scalar(Ok(mut a))), Var::Scalar(Ok(b))) => {
                a.extend(&b);
                Var::Scalar(Ok(a))
            }
            (true, Some(Var::Scalar(a)), Var::Array(b)) => {
                let mut all = vec![Element { value: a, line }];
                all.extend(b);
                Var::Array(all)
            }
            (_, _, v) => v,
        };
        self.map.insert(name.to_string(), var);
    }
}

/// Variables makepkg sets while building: never known when reading.
const BUILD_TIME: [&str; 6] = ["srcdir", "pkgdir", "startdir", "CARCH", "CHOST", "SRCDEST"];

/// `NAME=` or `NAME+=` at the start of a word: (name, append, the value's segments).
fn assignment(word: &Word) -> Option<(String, bool, Vec<Seg>)> {
    let Some(Seg::Lit {
        text,
        quoted: false,
    }) = word.segs.first()
    else {
        return None;
    };
    let eq = text.find('=')?;
    let (name, append) = match text[..eq].strip_suffix('+') {
        Some(n) => (n, true),
        None => (&text[..eq], false),
    };
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
    if !valid {
        return None;
    }
    let mut rest = Vec::new();
    let after = &text[eq + 1..];
    if !after.is_empty() {
        rest.push(Seg::Lit {
            text: after.to_string(),
            quoted: false,
        });
    }
    rest.extend(word.segs[1..].iter().cloned());
    Some((name.to_string(), append, rest))
}

/// Walks the top level: assignments are evaluated; functions are skipped; control flow and
/// commands are reported and skipped. Nothing is executed.
fn evaluate(toks: &[Tok], notes: &mut Vec<Note>) -> Vars {
    let mut vars = Vars::default();
    let mut i = 0;
    let mut depth: usize = 0;
    let unsafe_note = |notes: &mut Vec<Note>, w: &Word, what: &str| {
        if let Some(t) = w.unsafe_text() {
            notes.push(note(
                Some(w.line),
                Severity::Review,
                format!("{t} is unsupported: command substitutions are never run (sigwatch reads a PKGBUILD, it never executes it); {what}"),
            ));
        }
    };
    while i < toks.len() {
        let Tok::Word(w) = &toks[i] else {
            i += 1;
            continue;
        };
        let plain = w.plain().unwrap_or_default();
        // Control flow: assignments inside are conditional, so they are not used.
        match plain {
            "if" | "case" | "for" | "while" | "until" | "select" => {
                if depth == 0 {
                    notes.push(note(
                        Some(w.line),
                        Severity::Review,
                        format!("`{plain}` at top level is not evaluated (sigwatch never executes a PKGBUILD): assignments inside it are ignored"),
                    ));
                }
                depth += 1;
                i = skip_command(toks, i + 1);
                continue;
            }
            "fi" | "esac" | "done" => {
                depth = depth.saturating_sub(1);
                i = skip_command(toks, i + 1);
                continue;
            }
            _ => {}
        }
        // Function definitions: `name() {…}`, `function name {…}`.
        let is_fn = matches!(
            (toks.get(i + 1), toks.get(i + 2)),
            (Some(Tok::Op(a)), Some(Tok::Op(b))) if a == "(" && b == ")"
        );
        if is_fn || plain == "function" {
            let name = if is_fn {
                w.display()
            } else {
                match toks.get(i + 1) {
                    Some(Tok::Word(n)) => n.display(),
                    _ => String::new(),
                }
            };
            if name == "pkgver" {
                notes.push(note(
                    Some(w.line),
                    Severity::Review,
                    "pkgver() computes the version while building (a VCS package?); it is not run: `current` is the static pkgver".into(),
                ));
            }
            i = skip_function(toks, i + if is_fn { 3 } else { 2 });
            continue;
        }
        if depth > 0 {
            i += 1;
            continue;
        }
        match assignment(w) {
            Some((name, append, value)) => {
                let is_array =
                    value.is_empty() && matches!(toks.get(i + 1), Some(Tok::Op(o)) if o == "(");
                if is_array {
                    let mut j = i + 2;
                    let mut elements = Vec::new();
                    while j < toks.len() {
                        match &toks[j] {
                            Tok::Op(o) if o == ")" => break,
                            Tok::Word(e) => {
                                unsafe_note(
                                    notes,
                                    e,
                                    &format!("this element of {name} is left out"),
                                );
                                for b in brace_expand(e) {
                                    elements.push(Element {
                                        value: expand(&b, &vars),
                                        line: e.line,
                                    });
                                }
                            }
                            _ => {}
                        }
                        j += 1;
                    }
                    vars.set(&name, Var::Array(elements), w.line, append);
                    i = j + 1;
                } else {
                    let vw = Word {
                        segs: value,
                        line: w.line,
                    };
                    unsafe_note(notes, &vw, &format!("{name} is left unknown"));
                    let mut v = expand(&vw, &vars);
                    if name == "pkgver"
                        && let Ok(t) = &mut v
                    {
                        for p in &mut t.0 {
                            p.taint = Taint::Version;
                        }
                    }
                    vars.set(&name, Var::Scalar(v), w.line, append);
                    i += 1;
                    // `a=1 cmd` runs cmd with a in its environment: a command.
                    if let Some(Tok::Word(next)) = toks.get(i)
                        && assignment(next).is_none()
                    {
                        notes.push(note(
                            Some(next.line),
                            Severity::Review,
                            format!("top-level command `{}` is not run", next.display()),
                        ));
                        i = skip_command(toks, i);
                    }
                }
            }
            None => {
                unsafe_note(notes, w, "the command is not run");
                if w.unsafe_text().is_none() {
                    notes.push(note(
                        Some(w.line),
                        Severity::Review,
                        format!("top-level command `{}` is not run (sigwatch never executes a PKGBUILD)", w.display()),
                    ));
                }
                i = skip_command(toks, i + 1);
            }
        }
    }
    vars
}

/// The index after the current command (its `;` or newline).
fn skip_command(toks: &[Tok], mut i: usize) -> usize {
    let mut parens = 0usize;
    while i < toks.len() {
        match &toks[i] {
            Tok::Op(o) if o == "(" => parens += 1,
            Tok::Op(o) if o == ")" => parens = parens.saturating_sub(1),
            Tok::Newline if parens == 0 => return i + 1,
            Tok::Op(o) if parens == 0 && (o == ";" || o == "&&" || o == "||") => return i + 1,
            _ => {}
        }
        i += 1;
    }
    i
}

/// The index after a function body starting at `i` (`{ … }` or `( … )`).
fn skip_function(toks: &[Tok], mut i: usize) -> usize {
    while matches!(toks.get(i), Some(Tok::Newline)) {
        i += 1;
    }
    let (open, close) = match toks.get(i) {
        Some(Tok::Op(o)) if o == "(" => ("(", ")"),
        _ => ("{", "}"),
    };
    let mut depth = 0usize;
    while i < toks.len() {
        let t = match &toks[i] {
            Tok::Word(w) => w.plain().unwrap_or_default(),
            Tok::Op(o) => o.as_str(),
            Tok::Newline => "",
        };
        if t == open {
            depth += 1;
        } else if t == close {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return i + 1;
            }
        }
        i += 1;
    }
    i
}

/// One character of a word, or a non-literal segment, for brace expansion.
#[derive(Debug, Clone)]
enum Atom {
    Char(char, bool),
    Seg(Seg),
}

/// Bash brace expansion of unquoted `{a,b}` (`foo{,.sig}` → `foo`, `foo.sig`).
fn brace_expand(word: &Word) -> Vec<Word> {
    let atoms: Vec<Atom> = word
        .segs
        .iter()
        .flat_map(|s| match s {
            Seg::Lit { text, quoted } => text.chars().map(|c| Atom::Char(c, *quoted)).collect(),
            other => vec![Atom::Seg(other.clone())],
        })
        .collect();
    expand_atoms(&atoms)
        .into_iter()
        .map(|atoms| {
            let mut segs: Vec<Seg> = Vec::new();
            for a in atoms {
                match a {
                    Atom::Char(c, q) => match segs.last_mut() {
                        Some(Seg::Lit { text, quoted }) if *quoted == q => text.push(c),
                        _ => segs.push(Seg::Lit {
                            text: c.to_string(),
                            quoted: q,
                        }),
                    },
                    Atom::Seg(s) => segs.push(s),
                }
            }
            Word {
                segs,
                line: word.line,
            }
        })
        .collect()
}

fn expand_atoms(atoms: &[Atom]) -> Vec<Vec<Atom>> {
    let is = |a: &Atom, ch: char| matches!(a, Atom::Char(c, false) if *c == ch);
    for open in 0..atoms.len() {
        if !is(&atoms[open], '{') {
            continue;
        }
        let mut depth = 0;
        let mut commas = Vec::new();
        let mut close = None;
        for (k, a) in atoms.iter().enumerate().skip(open) {
            if is(a, '{') {
                depth += 1;
            } else if is(a, '}') {
                depth -= 1;
                if depth == 0 {
                    close = Some(k);
                    break;
                }
            } else if is(a, ',') && depth == 1 {
                commas.push(k);
            }
        }
        let Some(close) = close else { continue };
        if commas.is_empty() {
            continue;
        }
        let mut bounds = vec![open];
        bounds.extend(&commas);
        bounds.push(close);
        let mut out = Vec::new();
        for w in bounds.windows(2) {
            let mut v: Vec<Atom> = atoms[..open].to_vec();
            v.extend_from_slice(&atoms[w[0] + 1..w[1]]);
            v.extend_from_slice(&atoms[close + 1..]);
            out.extend(expand_atoms(&v));
        }
        return out;
    }
    vec![atoms.to_vec()]
}

/// Expands parameters in a word; `Err` says why it cannot be known statically.
fn expand(word: &Word, vars: &Vars) -> Result<Text, String> {
    let mut out = Text::default();
    for seg in &word.segs {
        match seg {
            Seg::Lit { text, .. } => out.push(text, Taint::None),
            Seg::Unsafe { text } => return Err(format!("{text} is never run")),
            Seg::Param { name, op } => {
                if name.is_empty() {
                    return Err(format!("${{{op}}} is not supported"));
                }
                let value = match vars.get(name) {
                    Some(Var::Scalar(v)) => v.clone()?,
                    Some(Var::Array(a)) => match a.first() {
                        Some(e) => e.value.clone()?,
                        None => Text::default(),
                    },
                    None if BUILD_TIME.contains(&name.as_str()) => {
                        return Err(format!("${name} is set by makepkg while building"));
                    }
                    None => return Err(format!("${name} is not assigned at top level")),
                };
                if op.is_empty() {
                    out.extend(&value);
                } else {
                    let s = modify(&value.string(), op)
                        .ok_or_else(|| format!("${{{name}{op}}} is not supported"))?;
                    let taint = if value.0.iter().any(|p| p.taint != Taint::None) {
                        Taint::Derived
                    } else {
                        Taint::None
                    };
                    out.push(&s, taint);
                }
            }
        }
    }
    Ok(out)
}

/// `${var%pat}`, `%%`, `#`, `##` (glob `*` and `?`), `/pat/rep` and `//pat/rep` (literal).
fn modify(value: &str, op: &str) -> Option<String> {
    let glob = |p: &str| -> Option<String> {
        if p.contains(['[', '$', '`', '\\', '"', '\'']) {
            return None;
        }
        Some(
            p.chars()
                .map(|c| match c {
                    '*' => ".*".to_string(),
                    '?' => ".".to_string(),
                    c => regex::escape(&c.to_string()),
                })
                .collect(),
        )
    };
    // `${var:offset}` and `${var:offset:length}` with literal numbers (`${_name::1}`).
    if let Some(rest) = op.strip_prefix(':')
        && !rest.starts_with(['-', '=', '+', '?'])
    {
        let (off, len) = rest.split_once(':').unwrap_or((rest, ""));
        let number = |s: &str| -> Option<usize> {
            match s.trim() {
                "" => Some(0),
                t => t.parse().ok(),
            }
        };
        let chars: Vec<char> = value.chars().collect();
        let start = number(off)?.min(chars.len());
        let end = if rest.contains(':') {
            (start + number(len)?).min(chars.len())
        } else {
            chars.len()
        };
        return Some(chars[start..end].iter().collect());
    }
    if let Some(rest) = op.strip_prefix('/') {
        let (all, rest) = match rest.strip_prefix('/') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let (pat, rep) = rest.split_once('/').unwrap_or((rest, ""));
        if pat.is_empty()
            || pat.contains(['*', '?', '[', '$', '\\', '#', '%'])
            || rep.contains(['$', '\\'])
        {
            return None;
        }
        return Some(if all {
            value.replace(pat, rep)
        } else {
            value.replacen(pat, rep, 1)
        });
    }
    let (suffix, longest, pat) = if let Some(p) = op.strip_prefix("%%") {
        (true, true, p)
    } else if let Some(p) = op.strip_prefix('%') {
        (true, false, p)
    } else if let Some(p) = op.strip_prefix("##") {
        (false, true, p)
    } else if let Some(p) = op.strip_prefix('#') {
        (false, false, p)
    } else {
        return None;
    };
    let re = regex::Regex::new(&format!("^(?s:{})$", glob(pat)?)).ok()?;
    // Try every split point, shortest or longest match first.
    let cuts: Vec<usize> = (0..=value.len())
        .filter(|i| value.is_char_boundary(*i))
        .collect();
    let order: Box<dyn Iterator<Item = &usize>> = match (suffix, longest) {
        (true, false) => Box::new(cuts.iter().rev()),
        (true, true) => Box::new(cuts.iter()),
        (false, false) => Box::new(cuts.iter()),
        (false, true) => Box::new(cuts.iter().rev()),
    };
    for &i in order {
        if suffix && re.is_match(&value[i..]) {
            return Some(value[..i].to_string());
        }
        if !suffix && re.is_match(&value[..i]) {
            return Some(value[i..].to_string());
        }
    }
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::super::VERSION_GROUP;
    use super::super::translate::version_pattern;
    use super::*;

    fn vars_of(text: &str) -> (Vars, Vec<Note>) {
        let toks = lex(text).unwrap();
        let mut notes = Vec::new();
        let vars = evaluate(&toks, &mut notes);
        (vars, notes)
    }

    fn strings(vars: &Vars, name: &str) -> Vec<String> {
        match vars.get(name) {
            Some(Var::Array(a)) => a
                .iter()
                .map(|e| {
                    e.value
                        .as_ref()
                        .map(Text::string)
                        .unwrap_or_else(|e| format!("ERR {e}"))
                })
                .collect(),
            Some(Var::Scalar(v)) => vec![
                v.as_ref()
                    .map(Text::string)
                    .unwrap_or_else(|e| format!("ERR {e}")),
            ],
            None => Vec::new(),
        }
    }

    #[test]
    fn brace_pairs_quotes_and_renames_expand() {
        let (v, _) = vars_of(
            "pkgname=foo\npkgver=1.2\n_n=${pkgname}\nurl='https://e.org'\n\
             source=(\"${url}/dl/${pkgname}-${pkgver}.tar.gz\"{,.sig}\n  x-$pkgver.zip::https://e.org/$_n/v${pkgver}.zip # c\n  'lit{,a}')\n",
        );
        assert_eq!(
            strings(&v, "source"),
            [
                "https://e.org/dl/foo-1.2.tar.gz",
                "https://e.org/dl/foo-1.2.tar.gz.sig",
                "x-1.2.zip::https://e.org/foo/v1.2.zip",
                "lit{,a}"
            ]
        );
    }

    #[test]
    fn functions_commands_and_substitutions_are_not_evaluated() {
        let (v, notes) = vars_of(
            "pkgver=$(touch /tmp/x)\nbuild() {\n  pkgname=evil\n  if true; then :; fi\n}\npkgname=ok\nif true; then\n  pkgname=cond\nfi\necho hi\n",
        );
        assert!(strings(&v, "pkgver")[0].starts_with("ERR"));
        assert_eq!(strings(&v, "pkgname"), ["ok"]);
        assert!(
            notes
                .iter()
                .any(|n| n.line == Some(1) && n.message.contains("unsupported"))
        );
        assert!(
            notes
                .iter()
                .any(|n| n.line == Some(7) && n.message.contains("`if`"))
        );
        assert!(
            notes
                .iter()
                .any(|n| n.line == Some(10) && n.message.contains("echo"))
        );
    }

    #[test]
    fn simple_modifiers_work_and_others_are_unsupported() {
        assert_eq!(modify("1.2.3", "%.*").as_deref(), Some("1.2"));
        assert_eq!(modify("1.2.3", "%%.*").as_deref(), Some("1"));
        assert_eq!(modify("1.2.3", "#*.").as_deref(), Some("2.3"));
        assert_eq!(modify("1.2.3", "//./_").as_deref(), Some("1_2_3"));
        assert_eq!(modify("flufl.lock", "::1").as_deref(), Some("f"));
        assert_eq!(modify("flufl.lock", ":6").as_deref(), Some("lock"));
        assert_eq!(modify("1.2.3", "^^"), None);
    }

    #[test]
    fn version_pieces_become_the_version_group() {
        let (v, _) = vars_of("pkgver=2.0\nsource=(foo-${pkgver}-x.tar.gz)\n");
        let Some(Var::Array(a)) = v.get("source") else {
            panic!()
        };
        let t = a[0].value.clone().unwrap();
        let (p, found) = version_pattern(&t, Some("2.0"));
        assert!(found);
        assert_eq!(p, format!("foo\\-{VERSION_GROUP}\\-x\\.tar\\.gz"));
    }
}
