//! The crate's tests that need more than one module: blessed inputs and outputs under
//! `test_data/`, the parse → print → parse round trip, compiled SQL run against a real
//! SQLite, and the differential cases recorded from a real PocketBase 0.40.6.

mod binds;
mod blessed;
mod check;
mod oracle;
mod robustness;
mod sqlite;
