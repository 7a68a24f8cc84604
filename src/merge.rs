//! `sigwatch report merge`: joins the JSON reports of sharded `check` runs.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::error::{Failure, config};

/// Merges shard reports; refuses a missing or duplicated shard and mixed shard counts.
pub fn merge(files: &[PathBuf]) -> Result<Value, Failure> {
    let mut count: Option<u64> = None;
    let mut seen: Vec<u64> = Vec::new();
    let mut projects: Vec<Value> = Vec::new();
    let (mut requests, mut bytes, mut not_modified) = (0u64, 0u64, 0u64);
    for file in files {
        let text = std::fs::read(file)
            .map_err(|e| config(format!("{}: cannot read: {e}", file.display())))?;
        let report: Value = serde_json::from_slice(&text).map_err(|e| {
            config(format!(
                "{}: not a sigwatch JSON report: {e}",
                file.display()
            ))
        })?;
        let shard = report.get("shard").ok_or_else(|| {
            config(format!(
                "{}: no `shard` field; was it made with `check --shard K/N --json`?",
                file.display()
            ))
        })?;
        let (Some(index), Some(n)) = (shard["index"].as_u64(), shard["count"].as_u64()) else {
            return Err(config(format!(
                "{}: malformed `shard` field",
                file.display()
            )));
        };
        match count {
            None => count = Some(n),
            Some(c) if c != n => {
                return Err(config(format!(
                    "{}: shard {index}/{n} does not belong with shards of {c}",
                    file.display()
                )));
            }
            Some(_) => {}
        }
        if seen.contains(&index) {
            return Err(config(format!(
                "{}: shard {index}/{n} is given twice",
                file.display()
            )));
        }
        seen.push(index);
        let Some(list) = report["projects"].as_array() else {
            return Err(config(format!("{}: no `projects` list", file.display())));
        };
        projects.extend(list.iter().cloned());
        requests += report["http"]["requests"].as_u64().unwrap_or(0);
        bytes += report["http"]["bytes"].as_u64().unwrap_or(0);
        not_modified += report["http"]["not_modified"].as_u64().unwrap_or(0);
    }
    let count = count.unwrap_or(0);
    let missing: Vec<String> = (1..=count)
        .filter(|k| !seen.contains(k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(config(format!("missing shard(s): {}", missing.join(", ")))
            .hint("pass every shard's report; a missing shard would silently hide its projects"));
    }
    projects.sort_by(|a, b| a["watch"].as_str().cmp(&b["watch"].as_str()));
    Ok(json!({
        "projects": projects,
        "shards": count,
        "http": { "requests": requests, "bytes": bytes, "not_modified": not_modified },
    }))
}
