//! Applying and reverting migration files against the store's `_migrations` history.
//!
//! Only rows of our own files (`.json`) are ever looked at or removed: the rows PocketBase's
//! system migrations left (`….go`) belong to the data dir's layout and stay.

use std::collections::HashSet;

use anyhow::Context;
use pb_core::migration::{apply, FILE_EXTENSION};
use pb_core::ports::{read_with, write_with, AppliedMigration, Store};

use super::folder::MigrationsFolder;
use super::now_micros;

/// Applies every migration file not in the history yet, in file-name order, each in its own
/// transaction together with its history row. Returns the files applied.
pub(crate) fn up(store: &dyn Store, folder: &MigrationsFolder) -> anyhow::Result<Vec<String>> {
    let applied: HashSet<String> = history(store)?.into_iter().map(|row| row.file).collect();
    let mut done = Vec::new();
    let mut last = 0;
    for file in folder.files()? {
        if applied.contains(&file) {
            continue;
        }
        let migration = folder.read(&file)?;
        let stamp = now_micros().max(last + 1);
        last = stamp;
        write_with(store, |tx| {
            apply(tx, &migration.up, &pb_core::datetime::now())?;
            tx.record_migration(&file, stamp)?;
            Ok(())
        })
        .with_context(|| format!("failed to apply migration {file}"))?;
        done.push(file);
    }
    Ok(done)
}

/// The last `count` applied migrations that have a file (all of them when `count` is `None`),
/// most recent first.
pub(crate) fn last_applied(
    store: &dyn Store,
    folder: &MigrationsFolder,
    count: Option<usize>,
) -> anyhow::Result<Vec<String>> {
    let files: HashSet<String> = folder.files()?.into_iter().collect();
    let mut rows: Vec<AppliedMigration> = history(store)?
        .into_iter()
        .filter(|row| files.contains(&row.file))
        .collect();
    // Older rows may hold seconds instead of microseconds (PocketBase compares them padded).
    let comparable = |applied: i64| {
        if applied < 100_000_000_000 {
            applied.saturating_mul(1_000_000)
        } else {
            applied
        }
    };
    rows.sort_by(|a, b| {
        comparable(b.applied)
            .cmp(&comparable(a.applied))
            .then(b.file.cmp(&a.file))
    });
    Ok(rows
        .into_iter()
        .take(count.unwrap_or(usize::MAX))
        .map(|row| row.file)
        .collect())
}

/// Reverts `files` in the order given (each `down`, then its history row removed), each in its
/// own transaction. Returns the files reverted.
pub(crate) fn down(
    store: &dyn Store,
    folder: &MigrationsFolder,
    files: &[String],
) -> anyhow::Result<Vec<String>> {
    let mut done = Vec::new();
    for file in files {
        let migration = folder.read(file)?;
        write_with(store, |tx| {
            apply(tx, &migration.down, &pb_core::datetime::now())?;
            tx.forget_migration(file)?;
            Ok(())
        })
        .with_context(|| format!("failed to revert migration {file}"))?;
        done.push(file.clone());
    }
    Ok(done)
}

/// Removes the history rows of our migration files that no longer exist. Returns them.
pub(crate) fn history_sync(
    store: &dyn Store,
    folder: &MigrationsFolder,
) -> anyhow::Result<Vec<String>> {
    let files: HashSet<String> = folder.files()?.into_iter().collect();
    let gone: Vec<String> = history(store)?
        .into_iter()
        .map(|row| row.file)
        .filter(|file| file.ends_with(FILE_EXTENSION) && !files.contains(file))
        .collect();
    write_with(store, |tx| {
        for file in &gone {
            tx.forget_migration(file)?;
        }
        Ok(())
    })
    .context("failed to sync the migrations history")?;
    Ok(gone)
}

fn history(store: &dyn Store) -> anyhow::Result<Vec<AppliedMigration>> {
    read_with(store, |tx| Ok(tx.applied_migrations()?))
        .context("failed to read the migrations history")
}
