//! uscan's regular expressions and Perl substitutions, as far as a sigwatch watch file can
//! hold them: file-name patterns with a `version` group, and signature URL templates.

/// A pattern whose version sits in a directory (`…/(\d[\d.]*)/name-\1\.tar\.xz`, in the URL or
/// in a pattern that is a whole URL): the back-references become the directory's groups, so
/// the file name keeps a version group.
pub(super) fn resolve_backrefs(pattern: &str, url: &str) -> String {
    if !(1..=9).any(|n| pattern.contains(&format!("\\{n}"))) {
        return pattern.to_string();
    }
    let own = pattern.rsplit_once('/').map(|(dir, _)| groups_of(dir));
    let groups = match own {
        Some(g) if !g.is_empty() => g,
        _ => groups_of(url),
    };
    let mut out = pattern.to_string();
    for (n, g) in groups.iter().enumerate().take(9) {
        out = out.replace(&format!("\\{}", n + 1), &format!("({g})"));
    }
    out
}

/// The insides of the capturing groups of a regex, in order.
fn groups_of(text: &str) -> Vec<String> {
    let mut groups = Vec::new();
    for (i, c) in text.char_indices() {
        if c == '(' && !text[..i].ends_with('\\') && !text[i..].starts_with("(?") {
            let mut depth = 0;
            for (j, d) in text[i..].char_indices() {
                match d {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            groups.push(text[i + 1..i + j].to_string());
                            break;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    groups
}

/// Substitutes uscan's `@…@` markers; `@ANY_VERSION@`'s group becomes the version group.
pub(super) fn subst_pattern(pattern: &str, package: &str) -> String {
    let named = pattern.replace("@ANY_VERSION@", r"[-_]?(?P<version>\d[\-+\.:\~\da-zA-Z]*)");
    subst(&named, package)
}

/// A regex char-level scanner: for each char, whether it is escaped or inside `[...]`.
pub(super) fn scan(pattern: &str) -> Vec<(usize, char, bool)> {
    // (byte offset, char, is_literal: escaped or in a class)
    let mut out = Vec::new();
    let mut escaped = false;
    let mut class = false;
    let mut class_start = 0usize;
    for (i, c) in pattern.char_indices() {
        if escaped {
            out.push((i, c, true));
            escaped = false;
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                out.push((i, c, class));
            }
            '[' if !class => {
                class = true;
                class_start = i;
                out.push((i, c, false));
            }
            ']' if class && i > class_start + 1 && !pattern[class_start + 1..i].eq("^") => {
                class = false;
                out.push((i, c, false));
            }
            _ => out.push((i, c, class)),
        }
    }
    out
}

/// A regex directory of a uscan URL (`([\d.]+)`, `v?(\d\S+)`) as sigwatch's `directory`
/// pattern: it must compile for the regex crate and capture the version.
pub(super) fn dir_pattern(segment: &str) -> Option<String> {
    let re = regex::Regex::new(&format!("^(?:{segment})$")).ok()?;
    (re.captures_len() > 1).then(|| segment.to_string())
}

/// The part of a uscan matching pattern that matches a file name, with a `version` group.
///
/// uscan matches a pattern against whole links (`.*/foo-(.*)\.tar\.gz`,
/// `(?:.*?/)?foo-(.*)\.tar\.gz`, full URLs); sigwatch matches file names, so the path part is
/// dropped. Returns the pattern and notes for a human.
pub(super) fn file_pattern(pattern: &str) -> Result<(String, Vec<String>), String> {
    let mut notes = Vec::new();
    let mut p = pattern.to_string();
    // Remove optional groups that contain a '/' (`(?:.*?/)?`, `(?:refs/tags/)?`).
    loop {
        let toks = scan(&p);
        let mut removed = false;
        let mut stack: Vec<usize> = Vec::new();
        for (k, &(i, c, lit)) in toks.iter().enumerate() {
            if lit {
                continue;
            }
            if c == '(' {
                stack.push(i);
            } else if c == ')' {
                let Some(open) = stack.pop() else { continue };
                let quant = toks.get(k + 1).map(|t| t.1);
                let group = &p[open..=i];
                let optional = matches!(quant, Some('?') | Some('*'))
                    || group.ends_with("|)")
                    || group.starts_with("(?:|")
                    || group.starts_with("(|");
                // A group holding a '/' that may be empty, or that starts the pattern, is a
                // path prefix.
                if group.contains('/') && (optional || open == 0) {
                    let end = if matches!(quant, Some('?') | Some('*')) {
                        i + 2
                    } else {
                        i + 1
                    };
                    p.replace_range(open..end, "");
                    removed = true;
                    break;
                }
            }
        }
        if !removed {
            break;
        }
    }
    // Keep what follows the last top-level '/' (escaped or not).
    let toks = scan(&p);
    let mut depth = 0i32;
    let mut last_slash = None;
    for &(i, c, lit) in &toks {
        match c {
            '(' if !lit => depth += 1,
            ')' if !lit => depth -= 1,
            '/' if depth == 0 => last_slash = Some(i),
            _ => {}
        }
    }
    if let Some(i) = last_slash {
        p = p[i + 1..].to_string();
    }
    // A '/' in a character class (`[^/]*`) matches no separator; any other one does.
    let in_class = |i: usize, lit: bool| lit && !p[..i].ends_with('\\');
    if scan(&p)
        .iter()
        .any(|&(i, c, lit)| c == '/' && !in_class(i, lit))
    {
        return Err("a '/' remains inside a group; sigwatch matches file names only".into());
    }
    // Negative look-arounds (`\.tar\.gz(?!\.asc)`) only exclude other files; the regex crate
    // has none, and sigwatch matches whole file names, so they are dropped with a note.
    while let Some(at) = scan(&p)
        .iter()
        .find(|&&(i, c, lit)| {
            !lit && c == '(' && (p[i..].starts_with("(?!") || p[i..].starts_with("(?<!"))
        })
        .map(|&(i, _, _)| i)
    {
        let mut depth = 0;
        let Some(end) = scan(&p).iter().find_map(|&(i, c, lit)| {
            if i < at || lit {
                return None;
            }
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
            None
        }) else {
            break;
        };
        notes.push(format!(
            "the negative look-around {} was dropped (sigwatch matches whole file names); check the pattern matches only the release files",
            &p[at..=end]
        ));
        p.replace_range(at..=end, "");
    }
    // The version group: an existing named one, else the first capturing group.
    let toks = scan(&p);
    let capturing: Vec<usize> = toks
        .iter()
        .filter(|&&(i, c, lit)| {
            let rest = &p[i..];
            !lit && c == '('
                && (!rest.starts_with("(?")
                    || rest.starts_with("(?P<")
                    || (rest.starts_with("(?<")
                        && !rest.starts_with("(?<=")
                        && !rest.starts_with("(?<!")))
        })
        .map(|&(i, _, _)| i)
        .collect();
    if capturing.is_empty() {
        // The version only in a directory (`.*/download/([\.0-9]+)/cryfs-[\.0-9]+\.tar\.gz`):
        // where the file name repeats that group's expression, that part is the version.
        let dropped = &pattern[..pattern.len().saturating_sub(p.len())];
        let wrapped = groups_of(dropped)
            .into_iter()
            .find(|g| !g.is_empty() && p.contains(g.as_str()))
            .map(|g| p.replacen(g.as_str(), &format!("(?P<version>{g})"), 1));
        let Some(w) = wrapped else {
            return Err("it has no capture group for the version".into());
        };
        notes.push("the version is captured in a directory of the link; the same expression in the file name was taken as the version".into());
        return regex::Regex::new(&format!("^(?:{w})$"))
            .map(|_| (w, notes))
            .map_err(|e| format!("not a regular expression sigwatch understands ({e})"));
    }
    if !p.contains("(?P<version>") {
        let first = capturing[0];
        let rest = &p[first..];
        let replace_len = if rest.starts_with("(?P<") || rest.starts_with("(?<") {
            rest.find('>').map_or(1, |g| g + 1)
        } else {
            1
        };
        p.replace_range(first..first + replace_len, "(?P<version>");
    }
    if capturing.len() > 1 {
        notes.push(format!(
            "the pattern has {} capture groups: uscan joins them with '.', sigwatch takes only the version group; check the versions",
            capturing.len()
        ));
    }
    regex::Regex::new(&format!("^(?:{p})$")).map_err(|e| {
        format!(
            "not a regular expression sigwatch understands ({})",
            e.to_string().lines().last().unwrap_or_default().trim()
        )
    })?;
    Ok((p, notes))
}

// ---------------------------------------------------------------------------------------------
// Perl substitutions (`s/…/…/g;s%…%…%`), enough to run mangles on sample URLs

pub(super) struct Subst {
    pub(super) re: regex::Regex,
    pub(super) replacement: String,
    pub(super) global: bool,
}

pub(super) struct Mangle(pub(super) Vec<Subst>);

impl Mangle {
    /// Parses `;`-separated `s<d>pattern<d>replacement<d>flags` rules (uscan's form).
    pub(super) fn parse(rules: &str) -> Result<Mangle, String> {
        let mut out = Vec::new();
        let mut rest = rules.trim();
        while !rest.is_empty() {
            let body = rest
                .strip_prefix('s')
                .ok_or_else(|| format!("{rest:?} is not an s/…/…/ substitution"))?;
            let d = body.chars().next().ok_or("an empty substitution")?;
            if d.is_alphanumeric() || d.is_whitespace() || "({[<".contains(d) {
                return Err(format!("delimiter {d:?} is not supported"));
            }
            let mut parts = Vec::new();
            let mut cur = String::new();
            let mut escaped = false;
            let mut end = None;
            for (i, c) in body[d.len_utf8()..].char_indices() {
                if escaped {
                    if c != d {
                        cur.push('\\');
                    }
                    cur.push(c);
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == d {
                    parts.push(std::mem::take(&mut cur));
                    if parts.len() == 2 {
                        end = Some(d.len_utf8() + i + c.len_utf8());
                        break;
                    }
                } else {
                    cur.push(c);
                }
            }
            let end = end.ok_or_else(|| format!("{rest:?} is not a complete substitution"))?;
            let after = &body[end..];
            let flags: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            if let Some(f) = flags.chars().find(|c| !"gi".contains(*c)) {
                return Err(format!("flag {f:?} is not supported"));
            }
            let re_text = if flags.contains('i') {
                format!("(?i){}", parts[0])
            } else {
                parts[0].clone()
            };
            let re = regex::Regex::new(&re_text).map_err(|_| {
                format!(
                    "{:?} is not a regular expression sigwatch understands",
                    parts[0]
                )
            })?;
            out.push(Subst {
                re,
                replacement: perl_replacement(&parts[1])?,
                global: flags.contains('g'),
            });
            rest = after[flags.len()..].trim_start();
            rest = rest.strip_prefix(';').unwrap_or(rest).trim_start();
        }
        if out.is_empty() {
            return Err("no substitution".into());
        }
        Ok(Mangle(out))
    }

    pub(super) fn apply(&self, input: &str) -> Result<String, String> {
        let mut s = input.to_string();
        for r in &self.0 {
            s = if r.global {
                r.re.replace_all(&s, r.replacement.as_str()).into_owned()
            } else {
                r.re.replace(&s, r.replacement.as_str()).into_owned()
            };
        }
        Ok(s)
    }
}

/// A Perl replacement (`$1`, `${1}`, `\1`, `\.`) as a `regex` replacement (`${1}`, `$$`).
pub(super) fn perl_replacement(text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(d @ '1'..='9') => out.push_str(&format!("${{{d}}}")),
                Some('$') => out.push_str("$$"),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            '$' => match chars.peek() {
                Some('{') => {
                    let mut name = String::new();
                    chars.next();
                    for n in chars.by_ref() {
                        if n == '}' {
                            break;
                        }
                        name.push(n);
                    }
                    out.push_str(&format!("${{{name}}}"));
                }
                Some(d) if d.is_ascii_digit() => {
                    let mut num = String::new();
                    while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                        num.push(*d);
                        chars.next();
                    }
                    out.push_str(&format!("${{{num}}}"));
                }
                _ => return Err(format!("replacement {text:?} uses Perl variables")),
            },
            other => out.push(other),
        }
    }
    Ok(out)
}

/// A signature URL template that does what a `pgpsigurlmangle` does, found by running the
/// mangle on sample release URLs and naming the parts of the result.
pub(super) fn mangle_template(
    rules: &str,
    sample_dir: &str,
    package: &str,
) -> Result<String, String> {
    let mangle = Mangle::parse(rules)?;
    let version = "1.2.3";
    let mut found: Option<String> = None;
    for ext in [".tar.gz", ".tar.xz", ".tar.bz2", ".zip", ".tgz"] {
        let filename = format!("{package}-{version}{ext}");
        let url = format!("{sample_dir}{filename}");
        let signed = mangle.apply(&url)?;
        if signed == url {
            continue;
        }
        let dir = sample_dir.trim_end_matches('/');
        let t = if signed.contains(&url) {
            signed.replace(&url, "{url}")
        } else {
            signed
                .replace(dir, "{dir}")
                .replace(&filename, "{filename}")
                .replace(version, "{version}")
        };
        match &found {
            Some(f) if *f != t => {
                return Err(format!(
                    "it gives differently shaped URLs for different files ({f} and {t})"
                ));
            }
            _ => found = Some(t),
        }
    }
    let t = found.ok_or("it leaves release URLs unchanged")?;
    let placeholders = ["{url}", "{dir}", "{filename}", "{version}"];
    let mut bare = t.clone();
    for p in placeholders {
        bare = bare.replace(p, "");
    }
    if bare.contains(['{', '}']) || !placeholders.iter().any(|p| t.contains(p)) {
        return Err(format!("the result {t:?} does not follow the release URL"));
    }
    Ok(t)
}

/// uscan's substitutions (`@PACKAGE@`, `@ANY_VERSION@`, `@ARCHIVE_EXT@`, …).
pub(super) fn subst(text: &str, package: &str) -> String {
    debian_watch::subst::subst(text, || package.to_string(), String::new)
}
