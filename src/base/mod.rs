//! The ground floor: digests and the overlapped reader, the URL policy, version ordering.
//!
//! Every other module may use these; they use nothing of the crate.

pub mod digest;
pub mod url;
pub mod version;
