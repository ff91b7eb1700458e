//! `cargo xtask ui`: rebuilds the admin dashboard (`ui/` sources -> `ui/dist`, which is
//! committed and embedded by pb-http) with the locked npm dependencies: `npm ci`, then
//! `vite build`. The build is deterministic (content-hashed names, no timestamps), so CI can
//! run this and then `git diff --exit-code ui/dist` to prove the committed files match.

use std::path::Path;
use std::process::Command;

use anyhow::{ensure, Context, Result};

pub(crate) fn run(root: &Path) -> Result<()> {
    let ui = root.join("ui");
    npm(&ui, &["ci", "--no-audit", "--no-fund"])?;
    npm(&ui, &["run", "build"])?;
    println!("{}", ui.join("dist").display());
    Ok(())
}

fn npm(dir: &Path, args: &[&str]) -> Result<()> {
    let status = Command::new("npm")
        .args(args)
        .current_dir(dir)
        .status()
        .context("cannot run npm (is Node.js installed?)")?;
    ensure!(status.success(), "npm {} failed ({status})", args.join(" "));
    Ok(())
}
