//! Files of `file` fields on the HTTP side: where they are stored (a local folder or an
//! S3-compatible bucket, through `object_store`), how uploads are received, when they are
//! written and deleted relative to the record write's commit, how downloads and thumbs are
//! served, and the sweep that removes what a crash left behind.
//!
//! The model's side (names, types, thumb geometry, which uploads a write keeps) lives in
//! `pb_core::files` and `pb_core::validate::record`; this module moves the bytes.

pub mod bridge;
pub mod object;
pub mod serve;
pub mod spool;
pub mod staging;
pub mod storage;
pub mod sweep;
pub mod thumbs;
pub mod unreachable;

pub use spool::SpooledUpload;
pub use staging::StagedFiles;
pub use storage::FileStorage;
