//! No library code: the end-to-end tests are one integration test binary in `tests/e2e/`,
//! which starts the release `pb` binary (or `$PB_BIN`) and talks HTTP to it.
//!
//! Run them with `cargo build --release -p pb-cli && cargo nextest run -p pb-e2e --release`.
//!
//! `src/bin/fanout_load.rs` is a bounded load tool, not a test: it measures create throughput
//! with and without many realtime subscribers (see its header for how to run it).
