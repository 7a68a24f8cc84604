//! uscan's DEHS XML (`uscan --dehs`), for `sigwatch uscan --dehs`: the same elements in the
//! same order, one per line, plus `signer` (the primary fingerprint that signed) for the
//! tarball and `component-signer` for each component. A component's `component-debian-*`
//! versions are left out, as uscan 2.25 leaves them out for components it does not version
//! against the changelog. Written with `quick-xml`, so every
//! value is escaped once and correctly.

use quick_xml::Writer;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};

use super::model::UscanReport;

/// The DEHS document for a `sigwatch uscan` report.
pub fn render(r: &UscanReport) -> String {
    let mut w = Writer::new(Vec::new());
    // Writing into a Vec cannot fail; the results are checked all the same.
    let ok = write(&mut w, r).is_ok();
    debug_assert!(ok, "writing XML into memory does not fail");
    String::from_utf8(w.into_inner()).unwrap_or_default()
}

type Result = std::io::Result<()>;

fn write(w: &mut Writer<Vec<u8>>, r: &UscanReport) -> Result {
    w.write_event(Event::Start(BytesStart::new("dehs")))?;
    newline(w)?;
    let main = r.entries.first();
    elem(w, "package", Some(&r.package))?;
    elem(w, "debian-uversion", r.debian_uversion.as_deref())?;
    elem(
        w,
        "debian-mangled-uversion",
        r.debian_mangled_uversion.as_deref(),
    )?;
    elem(
        w,
        "upstream-version",
        main.and_then(|m| m.upstream_version.as_deref()),
    )?;
    elem(
        w,
        "upstream-url",
        main.and_then(|m| m.upstream_url.as_deref()),
    )?;
    elem(w, "status", r.status.as_deref())?;
    elem(w, "target", main.and_then(|m| m.target.as_deref()))?;
    elem(
        w,
        "target-path",
        main.and_then(|m| m.target_path.as_deref()),
    )?;
    elem(w, "signer", main.and_then(|m| m.signer.as_deref()))?;
    for n in &r.notices {
        elem(w, "messages", Some(n))?;
    }
    for warning in &r.warnings {
        elem(w, "warnings", Some(warning))?;
    }
    if let Some(e) = &r.error {
        let text = match &e.hint {
            Some(h) => format!("{} (hint: {h})", e.message),
            None => e.message.clone(),
        };
        elem(w, "errors", Some(&text))?;
    }
    for c in r.entries.iter().skip(1) {
        let mut start = BytesStart::new("component");
        start.push_attribute(("id", c.component.as_deref().unwrap_or_default()));
        w.write_event(Event::Start(start))?;
        newline(w)?;
        for (tag, value) in [
            ("component-upstream-version", c.upstream_version.as_deref()),
            ("component-upstream-url", c.upstream_url.as_deref()),
            ("component-target", c.target.as_deref()),
            ("component-target-path", c.target_path.as_deref()),
            ("component-signer", c.signer.as_deref()),
        ] {
            if value.is_some() {
                w.write_event(Event::Text(BytesText::new("  ")))?;
            }
            elem(w, tag, value)?;
        }
        w.write_event(Event::End(BytesEnd::new("component")))?;
        newline(w)?;
    }
    w.write_event(Event::End(BytesEnd::new("dehs")))?;
    newline(w)
}

/// `<tag>value</tag>` and a newline, when there is a value (uscan leaves absent tags out).
fn elem(w: &mut Writer<Vec<u8>>, tag: &str, value: Option<&str>) -> Result {
    let Some(value) = value else {
        return Ok(());
    };
    w.write_event(Event::Start(BytesStart::new(tag)))?;
    w.write_event(Event::Text(BytesText::new(value)))?;
    w.write_event(Event::End(BytesEnd::new(tag)))?;
    newline(w)
}

fn newline(w: &mut Writer<Vec<u8>>) -> Result {
    w.write_event(Event::Text(BytesText::new("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::UscanEntry;

    #[test]
    fn values_are_escaped_and_absent_tags_left_out() {
        let r = UscanReport {
            package: "a&b".into(),
            entries: vec![UscanEntry {
                upstream_url: Some("https://e/x?a=1&b=<2>".into()),
                ..UscanEntry::default()
            }],
            ..UscanReport::default()
        };
        let xml = render(&r);
        assert!(xml.contains("<package>a&amp;b</package>"), "{xml}");
        assert!(
            xml.contains("<upstream-url>https://e/x?a=1&amp;b=&lt;2&gt;</upstream-url>"),
            "{xml}"
        );
        assert!(!xml.contains("<target>"), "{xml}");
        assert!(
            xml.starts_with("<dehs>\n") && xml.ends_with("</dehs>\n"),
            "{xml}"
        );
    }
}
