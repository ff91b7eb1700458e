//! `cargo xtask tidy`: architecture invariants the compiler does not check.
//!
//! 1. Dependency direction. The allowed shape is `pb-cli -> pb-http -> pb-rules -> pb-core` and
//!    `pb-cli -> pb-store -> pb-core`: the model knows no database, web framework or runtime, and
//!    the HTTP layer meets the store only through traits in pb-core. [`FORBIDDEN`] lists what each
//!    crate must not name, in any dependency table (dev and build dependencies included).
//! 2. Every `.rs` file under `crates/*/src`, `xtask/src` and `tests/` starts (after blank lines)
//!    with a `//!` doc comment saying what the module is for.
//!
//! Manifests are read with plain string handling: dependency tables, `name = …` and
//! `name.workspace = true` lines, `[dependencies.name]` headers and `package = "…"` renames.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// For each crate, the dependencies it must not have. A trailing `*` matches any suffix
/// (`actix-*` covers actix-web, actix-multipart, actix-rt …).
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "pb-core",
        &[
            "diesel*",
            "actix-*",
            "tokio*",
            "libsqlite3-sys",
            // Storage, mail and image work are I/O: they live in the HTTP layer.
            "object_store",
            "lettre",
            "image",
            "pb-rules",
            "pb-store",
            "pb-http",
            "pb-cli",
        ],
    ),
    (
        "pb-rules",
        &[
            "diesel*",
            "actix-*",
            "tokio*",
            "libsqlite3-sys",
            "pb-store",
            "pb-http",
            "pb-cli",
        ],
    ),
    ("pb-store", &["actix-*", "pb-rules", "pb-http", "pb-cli"]),
    (
        "pb-http",
        &["diesel*", "libsqlite3-sys", "pb-store", "pb-cli"],
    ),
];

/// Runs every check and fails listing all problems found.
pub(crate) fn run(root: &Path) -> Result<()> {
    let mut problems = Vec::new();
    for manifest_path in crate_manifests(root)? {
        let manifest = fs::read_to_string(&manifest_path)
            .with_context(|| format!("cannot read {}", manifest_path.display()))?;
        let Some(crate_name) = package_name(&manifest) else {
            continue;
        };
        for dependency in forbidden_dependencies(&crate_name, &dependency_names(&manifest)) {
            problems.push(format!(
                "{}: {crate_name} must not depend on {dependency}",
                relative(root, &manifest_path)
            ));
        }
    }
    let mut source_dirs: Vec<PathBuf> = Vec::new();
    for crate_dir in sorted_entries(&root.join("crates"))? {
        source_dirs.push(crate_dir.join("src"));
    }
    source_dirs.push(root.join("xtask").join("src"));
    source_dirs.push(root.join("tests"));
    for dir in source_dirs {
        for file in rust_files(&dir)? {
            let text = fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            if !starts_with_module_doc(&text) {
                problems.push(format!(
                    "{}: the first line must be a `//!` module doc",
                    relative(root, &file)
                ));
            }
        }
    }
    if problems.is_empty() {
        println!("tidy: ok");
        return Ok(());
    }
    for problem in &problems {
        eprintln!("tidy: {problem}");
    }
    bail!("tidy found {} problem(s)", problems.len())
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The entries of `dir`, sorted; none when `dir` does not exist.
fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        entries.push(entry?.path());
    }
    entries.sort();
    Ok(entries)
}

/// `crates/*/Cargo.toml`.
fn crate_manifests(root: &Path) -> Result<Vec<PathBuf>> {
    let manifests = sorted_entries(&root.join("crates"))?
        .into_iter()
        .map(|dir| dir.join("Cargo.toml"));
    Ok(manifests.filter(|path| path.is_file()).collect())
}

/// Every `.rs` file below `dir`, skipping `target` folders.
fn rust_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in sorted_entries(dir)? {
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name != "target") {
                files.extend(rust_files(&path)?);
            }
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    Ok(files)
}

fn starts_with_module_doc(text: &str) -> bool {
    let first_line = text.lines().map(str::trim).find(|line| !line.is_empty());
    first_line.is_some_and(|line| line.starts_with("//!"))
}

/// The `name` in `[package]`.
fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            if let Some(("name", value)) = key_value(line) {
                return Some(unquote(value).to_owned());
            }
        }
    }
    None
}

/// Splits `key = value`, trimming both sides.
fn key_value(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once('=')?;
    Some((key.trim(), value.trim()))
}

fn unquote(text: &str) -> &str {
    text.trim().trim_matches(|c| c == '"' || c == '\'')
}

/// Dev-dependencies are not edges of the shipped graph: a crate's tests may run its SQL against a
/// real SQLite without the crate itself depending on storage.
fn is_dependency_table(name: &str) -> bool {
    matches!(name, "dependencies" | "build-dependencies")
}

/// The crate names a manifest depends on at build and run time (not its dev-dependencies), by
/// their real (`package = "…"`) names.
fn dependency_names(manifest: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    // Inside `[dependencies]` (or build-, target-specific).
    let mut in_table = false;
    // Inside `[dependencies.NAME]`: the index of NAME in `names`.
    let mut in_dependency: Option<usize> = None;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if line.starts_with('[') {
            let header = line.trim_start_matches('[').trim_end_matches(']').trim();
            let segments: Vec<&str> = header.split('.').map(str::trim).collect();
            in_table = segments
                .last()
                .is_some_and(|last| is_dependency_table(last));
            in_dependency = None;
            if segments.len() >= 2 && is_dependency_table(segments[segments.len() - 2]) {
                names.push(unquote(segments[segments.len() - 1]).to_owned());
                in_dependency = Some(names.len() - 1);
            }
            continue;
        }
        let Some((key, value)) = key_value(line) else {
            continue;
        };
        if let Some(index) = in_dependency {
            if key == "package" {
                names[index] = unquote(value).to_owned();
            }
        } else if in_table {
            // `name = …`, `"name" = …` or `name.workspace = true`.
            let name = unquote(key.split('.').next().unwrap_or(key));
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                names.push(inline_package(value).unwrap_or(name).to_owned());
            }
        }
    }
    names
}

/// The `package = "…"` inside an inline table value, if any.
fn inline_package(value: &str) -> Option<&str> {
    let after_key = &value[value.find("package")? + "package".len()..];
    let after_equals = after_key.trim_start().strip_prefix('=')?.trim_start();
    let quoted = after_equals.strip_prefix('"')?;
    Some(&quoted[..quoted.find('"')?])
}

/// The dependencies of `crate_name` that [`FORBIDDEN`] rules out.
fn forbidden_dependencies(crate_name: &str, dependencies: &[String]) -> Vec<String> {
    let Some((_, patterns)) = FORBIDDEN.iter().find(|(name, _)| *name == crate_name) else {
        return Vec::new();
    };
    let matches = |dependency: &str, pattern: &str| match pattern.strip_suffix('*') {
        Some(prefix) => dependency.starts_with(prefix),
        None => dependency == pattern,
    };
    dependencies
        .iter()
        .filter(|dependency| patterns.iter().any(|pattern| matches(dependency, pattern)))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
[package]
name = "pb-core"
version.workspace = true

[dependencies]
serde.workspace = true
"regex" = "1"
db = { package = "diesel", version = "2.3", features = [
    "sqlite",
] }
# tokio = "1"

[target.'cfg(unix)'.dependencies]
actix-web = { workspace = true }

[dev-dependencies]
tempfile.workspace = true

[dependencies.runtime]
package = "tokio"
version = "1"

[features]
default = []
"#;

    #[test]
    fn reads_every_dependency_form() {
        assert_eq!(
            dependency_names(MANIFEST),
            ["serde", "regex", "diesel", "actix-web", "tokio"]
        );
        assert_eq!(package_name(MANIFEST).as_deref(), Some("pb-core"));
    }

    #[test]
    fn flags_forbidden_edges_only() {
        let found = forbidden_dependencies("pb-core", &dependency_names(MANIFEST));
        assert_eq!(found, ["diesel", "actix-web", "tokio"]);

        let http: Vec<String> = ["pb-core", "pb-rules", "actix-web", "pb-store"]
            .map(String::from)
            .to_vec();
        assert_eq!(forbidden_dependencies("pb-http", &http), ["pb-store"]);
        let store: Vec<String> = ["pb-core", "diesel", "diesel_migrations", "libsqlite3-sys"]
            .map(String::from)
            .to_vec();
        assert!(forbidden_dependencies("pb-store", &store).is_empty());
        assert!(forbidden_dependencies("pb-cli", &http).is_empty());
    }

    #[test]
    fn module_docs_come_first() {
        assert!(starts_with_module_doc("\n//! The model.\nuse std::fs;\n"));
        assert!(!starts_with_module_doc("// a comment\n//! The model.\n"));
        assert!(!starts_with_module_doc("use std::fs;\n"));
        assert!(!starts_with_module_doc(""));
    }
}
