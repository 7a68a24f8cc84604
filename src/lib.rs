//! sigwatch: watch upstream releases and hand over only those whose detached OpenPGP
//! signature was made by a key pinned by full fingerprint.
//!
//! The stages, in the order data flows through them:
//! `watch` → `source` → `fetch` → [`verify`] → [`report`]; [`cli`] parses, [`run`] wires them.

pub mod add;
pub mod cache;
pub mod cli;
pub mod error;
pub mod fetch;
pub mod history;
pub mod http;
pub mod import;
pub mod lint;
pub mod merge;
pub mod pipeline;
pub mod refresh;
pub mod report;
pub mod run;
pub mod sopv;
pub mod source;
pub mod verify;
pub mod watch;
