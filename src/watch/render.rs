//! Writing a watch file (`add`, the importers): a [`NewWatch`] rendered as commented TOML.

/// A watch file to write (`add`, `import-debian`): rendered as commented TOML.
#[derive(Debug, Clone, Default)]
pub struct NewWatch {
    /// Project name.
    pub name: String,
    /// Version packaged now.
    pub current: Option<String>,
    /// Comment lines at the top: where it came from, what a human must check.
    pub notes: Vec<String>,
    /// `[source]` lines, already TOML (`pypi = "x"`, `url = "…"`, `pattern = '…'`).
    pub source: Vec<(String, toml::Value)>,
    /// Signature templates (empty: the defaults apply).
    pub signature_templates: Vec<String>,
    /// A comment above `[signature]`.
    pub signature_note: Option<String>,
    /// `[signature] decompress = true`: upstream signs the uncompressed content.
    pub decompress: bool,
    /// Keyring path relative to the watch file.
    pub keyring: String,
    /// Pins with a comment each (the user ID).
    pub pins: Vec<(String, String)>,
    /// A comment above `[keys]`.
    pub keys_note: Option<String>,
    /// Sigstore publisher specs for `[sigstore]` (none: no such section).
    pub publishers: Vec<String>,
}

/// A comment line's text with control characters (which TOML forbids in comments) replaced.
fn comment_text(line: &str) -> String {
    line.chars()
        .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
        .collect()
}

/// Renders a watch file; every value is TOML-escaped, every comment sanitized.
pub fn render(w: &NewWatch) -> String {
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut out = String::new();
    for n in &w.notes {
        for line in n.lines() {
            out.push_str(&format!("# {}\n", comment_text(line)));
        }
    }
    if !w.notes.is_empty() {
        out.push('\n');
    }
    out.push_str(&format!("name = {}\n", q(&w.name)));
    if let Some(c) = &w.current {
        out.push_str(&format!("current = {}\n", q(c)));
    }
    out.push_str("\n[source]\n");
    for (k, v) in &w.source {
        let value = match v {
            toml::Value::String(s)
                if s.contains('\\') && !s.contains('\'') && !s.chars().any(char::is_control) =>
            {
                format!("'{s}'")
            }
            other => other.to_string(),
        };
        out.push_str(&format!("{k} = {value}\n"));
    }
    // Only Sigstore publishers pinned (`add --publisher` alone): no [signature] or [keys].
    if !w.keyring.is_empty() {
        out.push('\n');
        if let Some(n) = &w.signature_note {
            for line in n.lines() {
                out.push_str(&format!("# {}\n", comment_text(line)));
            }
        }
        out.push_str("[signature]\n");
        match w.signature_templates.as_slice() {
            [] => out.push_str("# url = [\"{url}.asc\", \"{url}.sig\"]   # the default\n"),
            [one] => out.push_str(&format!("url = {}\n", q(one))),
            many => {
                let items: Vec<String> = many.iter().map(|t| q(t)).collect();
                out.push_str(&format!("url = [{}]\n", items.join(", ")));
            }
        }
        if w.decompress {
            out.push_str("decompress = true               # the signature covers the uncompressed content (foo.tar)\n");
        }
        out.push('\n');
        if let Some(n) = &w.keys_note {
            for line in n.lines() {
                out.push_str(&format!("# {}\n", comment_text(line)));
            }
        }
        out.push_str("[keys]\n");
        out.push_str(&format!("keyring = {}\n", q(&w.keyring)));
        if w.pins.is_empty() {
            out.push_str(
                "fingerprints = []   # TODO: pin the full fingerprint of every key allowed to sign\n",
            );
        } else {
            out.push_str("fingerprints = [\n");
            for (fpr, comment) in &w.pins {
                if comment.is_empty() {
                    out.push_str(&format!("    {},\n", q(fpr)));
                } else {
                    out.push_str(&format!(
                        "    {},   # {}\n",
                        q(fpr),
                        comment_text(&comment.replace('\n', " "))
                    ));
                }
            }
            out.push_str("]\n");
        }
    }
    if !w.publishers.is_empty() {
        let items: Vec<String> = w.publishers.iter().map(|p| q(p)).collect();
        out.push_str(&format!(
            "\n[sigstore]\npublishers = [{}]\n# bundle = \"{{url}}.sigstore\"   # URL and forge sources; PyPI serves PEP 740 provenance\n",
            items.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::{Source, Watch};

    #[test]
    fn rendered_watch_files_parse_back() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("keyrings")).unwrap();
        std::fs::write(dir.path().join("keyrings/foo.asc"), "x").unwrap();
        let w = NewWatch {
            name: "foo \"quoted\"".into(),
            current: Some("1.0".into()),
            notes: vec!["imported\nby a test".into()],
            source: vec![
                ("url".into(), toml::Value::String("https://e.org/".into())),
                (
                    "pattern".into(),
                    toml::Value::String(r"foo-(?P<version>[\d.]+)\.tar\.gz".into()),
                ),
            ],
            signature_templates: vec!["{url}.asc".into(), "{url}.sig".into()],
            keyring: "keyrings/foo.asc".into(),
            pins: vec![(
                "0123456789ABCDEF0123456789ABCDEF01234567".into(),
                "Foo <f@e.org>".into(),
            )],
            ..NewWatch::default()
        };
        let text = render(&w);
        let parsed = Watch::parse(&text, &dir.path().join("foo.toml")).unwrap();
        assert_eq!(parsed.name, "foo \"quoted\"");
        assert_eq!(parsed.signature_templates.len(), 2);
        assert!(
            matches!(parsed.source, Source::Url { ref pattern, .. } if pattern == r"foo-(?P<version>[\d.]+)\.tar\.gz")
        );
    }
}
