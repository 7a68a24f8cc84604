//! The layering of `src/` (ARCHITECTURE.md), checked on every test run: no module uses one it
//! must not, and the modules' imports form no circle.
//!
//! A use is any `crate::NAME` path in a file's code (comments are skipped), attributed to the
//! top-level module the file belongs to (`src/verify/keyring.rs` belongs to `verify`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// (module, modules it must never use, why).
const FORBIDDEN: &[(&str, &[&str], &str)] = &[
    (
        "base",
        &[
            "error", "exit", "verify", "watch", "net", "source", "fetch", "pipeline", "report",
            "commands", "cli", "history", "lint", "refresh", "import", "merge",
        ],
        "the ground floor uses nothing of the crate",
    ),
    (
        "verify",
        &[
            "fetch", "net", "source", "watch", "pipeline", "commands", "report", "cli", "history",
            "import", "lint", "refresh", "merge",
        ],
        "verification judges bytes against pins and stands alone",
    ),
    (
        "watch",
        &[
            "net", "fetch", "source", "pipeline", "commands", "report", "cli",
        ],
        "a watch file is parsed without the network",
    ),
    (
        "net",
        &[
            "source", "fetch", "verify", "watch", "pipeline", "commands", "report", "cli",
        ],
        "the network knows nothing of releases or proofs",
    ),
    (
        "source",
        &["verify", "fetch", "pipeline", "commands", "report", "cli"],
        "discovery finds candidates; it does not judge them",
    ),
    (
        "fetch",
        &[
            "verify", "source", "watch", "pipeline", "commands", "report", "cli",
        ],
        "fetching streams bytes into a proof it does not know",
    ),
    (
        "report",
        &["commands", "pipeline", "cli", "fetch", "net", "source"],
        "the printer owns the output models and imports no command",
    ),
    (
        "pipeline",
        &["commands", "cli"],
        "stages know nothing of commands",
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src/") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Top-level module → the top-level modules its files use.
fn uses() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() > 10,
        "found only {} files under src/",
        files.len()
    );
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src/");
        let first = rel.components().next().expect("a path").as_os_str();
        let module = first.to_string_lossy().trim_end_matches(".rs").to_string();
        if module == "main" || module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read source");
        let used = graph.entry(module.clone()).or_default();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            let mut rest = code;
            while let Some(i) = rest.find("crate::") {
                rest = &rest[i + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != module {
                    used.insert(name);
                }
            }
        }
    }
    graph
}

#[test]
fn no_module_uses_a_module_it_must_not() {
    let graph = uses();
    let mut broken = Vec::new();
    for (module, never, why) in FORBIDDEN {
        let used = graph
            .get(*module)
            .unwrap_or_else(|| panic!("src/ has no module {module}"));
        for bad in used.iter().filter(|u| never.contains(&u.as_str())) {
            broken.push(format!("{module} uses crate::{bad} ({why})"));
        }
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

#[test]
fn modules_import_in_no_circle() {
    let graph = uses();
    // Depth-first search for a back edge; report the circle it closes.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut circle = path[i..].to_vec();
            circle.push(node.to_string());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(circle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("modules import in a circle: {}", circle.join(" -> "));
        }
    }
}
