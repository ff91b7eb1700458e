//! Validation: of collection definitions (names, fields, indexes) and of record values per field
//! type, with PocketBase's error codes. Pure functions over the model; lookups that need storage
//! (relation targets, uniqueness) are reported back for the caller to check in its transaction.

pub mod collection;
pub mod record;
