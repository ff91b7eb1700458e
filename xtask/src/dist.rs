//! `cargo xtask dist`: a release build of `pb`, copied to `target/dist/pb-<version>-<host triple>`
//! so that one file can be handed out and named after what it is.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{ensure, Context, Result};

pub(crate) fn run(root: &Path) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "pb-cli"])
        .current_dir(root)
        .status()
        .context("cannot run cargo")?;
    ensure!(
        status.success(),
        "cargo build --release -p pb-cli failed ({status})"
    );

    let manifest = fs::read_to_string(root.join("Cargo.toml")).context("cannot read Cargo.toml")?;
    let version = workspace_version(&manifest).context("no version in [workspace.package]")?;
    let triple = host_triple()?;

    let target_dir = crate::target_dir(root);
    let exe = std::env::consts::EXE_SUFFIX;
    let binary = target_dir.join("release").join(format!("pb{exe}"));
    let dist_dir = target_dir.join("dist");
    fs::create_dir_all(&dist_dir)
        .with_context(|| format!("cannot create {}", dist_dir.display()))?;
    let artifact = dist_dir.join(format!("pb-{version}-{triple}{exe}"));
    fs::copy(&binary, &artifact)
        .with_context(|| format!("cannot copy {} to {}", binary.display(), artifact.display()))?;
    println!("{}", artifact.display());
    Ok(())
}

/// The `version` of `[workspace.package]` in the root manifest (all crates inherit it).
fn workspace_version(manifest: &str) -> Option<String> {
    let mut in_workspace_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_workspace_package = line == "[workspace.package]";
        } else if in_workspace_package {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            if key.trim() == "version" {
                return Some(value.trim().trim_matches('"').to_owned());
            }
        }
    }
    None
}

/// The `host:` line of `rustc -vV`, e.g. `x86_64-unknown-linux-gnu`.
fn host_triple() -> Result<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc)
        .arg("-vV")
        .output()
        .context("cannot run rustc -vV")?;
    ensure!(
        output.status.success(),
        "rustc -vV failed ({})",
        output.status
    );
    let text = String::from_utf8(output.stdout).context("rustc -vV printed non-UTF-8")?;
    let host = text.lines().find_map(|line| line.strip_prefix("host:"));
    Ok(host
        .context("no host: line in rustc -vV")?
        .trim()
        .to_owned())
}

#[cfg(test)]
mod tests {
    use super::workspace_version;

    #[test]
    fn reads_the_workspace_package_version() {
        let manifest = "[workspace]\nmembers = []\n\n[workspace.package]\nedition = \"2021\"\nversion = \"1.2.3\"\n\n[workspace.dependencies]\nversion = \"9\"\n";
        assert_eq!(workspace_version(manifest).as_deref(), Some("1.2.3"));
        assert_eq!(workspace_version("[package]\nversion = \"1.0.0\"\n"), None);
    }
}
