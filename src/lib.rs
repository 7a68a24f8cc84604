//! sigwatch: watch upstream releases and hand over only those whose signature was made by a
//! key pinned by full fingerprint.
//!
//! The stages, in the order data flows through them (see ARCHITECTURE.md):
//! [`watch`] → [`source`] → [`fetch`] → [`verify`] (proofs) → [`report`], over the ground
//! floor [`base`] and the network [`net`]. [`pipeline`] runs one project through them;
//! [`commands`] holds one thin module per subcommand; [`cli`] is the clap definition.

pub mod base;
pub mod cli;
pub mod commands;
pub mod error;
pub mod exit;
pub mod fetch;
pub mod history;
pub mod import;
pub mod lint;
pub mod merge;
pub mod net;
pub mod pipeline;
pub mod refresh;
pub mod report;
pub mod source;
pub mod verify;
pub mod watch;
