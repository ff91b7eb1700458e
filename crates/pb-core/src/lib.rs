//! The model of a PocketBase-compatible backend: collections, their fields, records, validation
//! errors and the ports (traits) that storage layers implement.
//!
//! This crate does no I/O. It knows the shapes PocketBase clients see (the JSON of a collection, of
//! a field, of a record) and the rules for what is valid; persistence lives behind [`ports::Store`]
//! so that a SQLite store and, later, a PostgreSQL store can slot in without the HTTP layer changing.

pub mod cascade;
pub mod collection;
pub mod cron;
pub mod datetime;
pub mod error;
pub mod field;
pub mod files;
pub mod ids;
pub mod inflect;
pub mod json_merge;
pub mod logs;
pub mod migration;
pub mod oauth2;
pub mod ports;
pub mod record;
pub mod settings;
pub mod system;
pub mod validate;

pub use collection::{AuthOptions, Collection, CollectionType};
pub use error::{CoreError, FieldError, StoreError, ValidationErrors};
pub use field::{Field, FieldKind};
pub use ports::{Store, StoreTx};
pub use record::Record;
