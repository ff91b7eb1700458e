//! Project automation, run as `cargo xtask <command>` (an alias in `.cargo/config.toml`).
//!
//! * `tidy`: checks the architecture invariants that the compiler cannot see: forbidden
//!   dependency edges between the crates, and a `//!` module doc at the top of every source file.
//! * `dist`: builds the release `pb` binary and copies it to `target/dist/pb-<version>-<host>`.
//! * `ui`: rebuilds the admin dashboard's committed assets (`ui/dist`) from `ui/src` (needs npm).

mod dist;
mod tidy;
mod ui;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

const USAGE: &str = "usage: cargo xtask <tidy|dist|ui>";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let root = workspace_root()?;
    let command = std::env::args().nth(1);
    match command.as_deref() {
        Some("tidy") => tidy::run(&root),
        Some("dist") => dist::run(&root),
        Some("ui") => ui::run(&root),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown command {other:?}; {USAGE}"),
        None => bail!("{USAGE}"),
    }
}

/// The workspace root: the parent of this package's directory.
fn workspace_root() -> Result<PathBuf> {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .context("xtask has no parent directory")?;
    Ok(root.to_path_buf())
}

/// `$CARGO_TARGET_DIR` (relative to the workspace root when relative), else `<root>/target`.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|dir| !dir.is_empty()) {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}
