//! The ground floor: digests and the chunked reader, decompression of signed content,
//! the URL policy, version ordering.
//!
//! Every other module may use these; they use nothing of the crate.

pub mod decompress;
pub mod digest;
pub mod url;
pub mod version;
