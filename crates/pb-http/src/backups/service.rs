//! The backup operations. Every function blocks (snapshots, zip, storage): run them on a
//! blocking thread.

use pb_core::ports::{write_with, FileStore, NewFile};
use std::fs::File;
use std::path::Path;

use super::names::{self, AUTO_PREFIX};
use super::storage::{backups_store, settings};
use super::{archive, ActiveBackup, BackupError, TEMP_DIR};
use crate::state::AppState;

/// The cron job id automatic backups run under (PocketBase's), on the schedule of
/// `settings.backups.cron`.
pub const AUTO_BACKUP_CRON_ID: &str = "__pbAutoBackup__";

/// The content type backups are stored with.
const ZIP: &str = "application/zip";

/// Creates the backup `name` (a generated `pb_backup_…` name when `None`), replacing a backup
/// of that name. Fails with [`BackupError::Busy`] while another backup or restore runs.
pub fn create_backup(state: &AppState, name: Option<&str>) -> Result<String, BackupError> {
    let settings = settings(state)?;
    let name = match name {
        Some(name) => name.to_string(),
        None => names::generate(names::MANUAL_PREFIX, settings.as_ref()),
    };
    let _active = state.backups.begin(&name)?;
    let store = backups_store(state, settings.as_ref())?;
    let temp_root = state.backups.data_dir().join(TEMP_DIR);
    std::fs::create_dir_all(&temp_root)?;
    let work = tempfile::Builder::new()
        .prefix("pb_backup_")
        .tempdir_in(&temp_root)?;
    let snapshot_dir = work.path().join("snapshot");
    std::fs::create_dir_all(&snapshot_dir)?;
    let snapshots = state
        .store
        .snapshot_into(&snapshot_dir)
        .map_err(BackupError::Store)?;
    let zip_path = work.path().join("backup.zip");
    archive::create(
        state.backups.data_dir(),
        &snapshot_dir,
        &snapshots,
        &zip_path,
    )?;
    let mut zip = File::open(&zip_path)?;
    store
        .put(
            &name,
            &mut zip,
            &NewFile {
                content_type: ZIP,
                original_name: &name,
            },
        )
        .map_err(|error| BackupError::Storage(error.to_string()))?;
    Ok(name)
}

/// The automatic backup job: creates an `@auto_pb_backup_<app>_<time>.zip` backup, then keeps
/// only the newest `settings.backups.cronMaxKeep` automatic backups (all of them when it is 0).
/// Backups made on request are never pruned. Returns the new backup's name.
///
/// The scheduler registers it under [`AUTO_BACKUP_CRON_ID`] when `settings.backups.cron` is set.
pub fn run_auto_backup(state: &AppState) -> Result<String, BackupError> {
    let settings = settings(state)?;
    let name = names::generate(AUTO_PREFIX, settings.as_ref());
    create_backup(state, Some(&name))?;
    let max_keep = settings
        .as_ref()
        .and_then(|settings| settings["backups"]["cronMaxKeep"].as_u64())
        .unwrap_or(0);
    if max_keep > 0 {
        prune_auto_backups(
            backups_store(state, settings.as_ref())?.as_ref(),
            usize::try_from(max_keep).unwrap_or(usize::MAX),
        )?;
    }
    Ok(name)
}

/// Deletes the automatic backups beyond the `keep` most recent ones.
fn prune_auto_backups(store: &dyn FileStore, keep: usize) -> Result<(), BackupError> {
    let mut automatic: Vec<_> = store
        .list("")
        .map_err(|error| BackupError::Storage(error.to_string()))?
        .into_iter()
        .filter(|file| file.key.starts_with(AUTO_PREFIX))
        .collect();
    automatic.sort_by(|a, b| b.modified.cmp(&a.modified).then(b.key.cmp(&a.key)));
    for file in automatic.iter().skip(keep) {
        if let Err(error) = store.delete(&file.key) {
            tracing::error!(%error, key = %file.key, "failed to remove an old automatic backup");
        }
    }
    Ok(())
}

/// Restores the backup `key` over the data dir and asks the process to restart.
///
/// The zip is fetched and extracted into the scratch folder and checked (a `data.db` that is a
/// database); then, with writes held off by the store's write lock, the data dir's content
/// (all but the backups and the scratch folder) moves into the scratch folder, which the next
/// start deletes, and the extracted content moves in. If that second move fails, the old
/// content is moved back. `active` is kept until the process restarts.
pub fn restore_backup(
    state: &AppState,
    key: &str,
    active: ActiveBackup,
) -> Result<(), BackupError> {
    let settings = settings(state)?;
    let store = backups_store(state, settings.as_ref())?;
    let data_dir = state.backups.data_dir().to_path_buf();
    let temp_root = data_dir.join(TEMP_DIR);
    std::fs::create_dir_all(&temp_root)?;
    let random = || pb_core::ids::random_string(8, pb_core::ids::RECORD_ID_ALPHABET);
    let zip_path = temp_root.join(format!("pb_restore_zip_{}", random()));
    let extracted = temp_root.join(format!("pb_restore_{}", random()));
    let old = temp_root.join(format!("old_pb_data_{}", random()));
    let fetched = fetch(store.as_ref(), key, &zip_path)
        .and_then(|()| archive::extract(&zip_path, &extracted));
    let _ = std::fs::remove_file(&zip_path);
    if let Err(error) = fetched {
        let _ = std::fs::remove_dir_all(&extracted);
        return Err(error);
    }
    let excluded = [
        super::BACKUPS_DIR,
        TEMP_DIR,
        ".autocert_cache",
        "lost+found",
    ];
    let swapped = write_with(state.store.as_ref(), |_tx| {
        Ok(swap(&data_dir, &extracted, &old, &excluded))
    })
    .map_err(BackupError::Store)?;
    let _ = std::fs::remove_dir_all(&extracted);
    swapped?;
    active.keep();
    state.lifecycle.request_restart();
    Ok(())
}

/// Copies the stored backup `key` to the local file `target`.
fn fetch(store: &dyn FileStore, key: &str, target: &Path) -> Result<(), BackupError> {
    let content = store
        .open(key, None)
        .map_err(|error| BackupError::Storage(error.to_string()))?
        .ok_or_else(|| BackupError::Missing(key.to_string()))?;
    let mut reader = content.reader;
    let mut output = File::create(target)?;
    std::io::copy(&mut reader, &mut output)?;
    output.sync_all()?;
    Ok(())
}

/// Moves the data dir's content out to `old` and the extracted content in; reverts the first
/// move when the second fails.
fn swap(
    data_dir: &Path,
    extracted: &Path,
    old: &Path,
    excluded: &[&str],
) -> Result<(), BackupError> {
    move_content(data_dir, old, excluded)?;
    if let Err(error) = move_content(extracted, data_dir, excluded) {
        let reverted = move_content(data_dir, extracted, excluded)
            .and_then(|()| move_content(old, data_dir, excluded));
        if let Err(revert_error) = reverted {
            tracing::error!(%revert_error, "could not move the old data back after a failed restore");
        }
        return Err(error);
    }
    Ok(())
}

/// Renames every top-level entry of `from` (but `excluded`) into `to`.
fn move_content(from: &Path, to: &Path, excluded: &[&str]) -> Result<(), BackupError> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if excluded.iter().any(|excluded| name == *excluded) {
            continue;
        }
        std::fs::rename(entry.path(), to.join(&name))?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    use std::sync::Mutex;
    use std::time::{Duration, SystemTime};

    use pb_core::ports::{FileContent, FileStoreError, StoredFile};

    /// Backups in memory: names with their modification times.
    struct Listed(Mutex<Vec<StoredFile>>);

    impl FileStore for Listed {
        fn put(
            &self,
            _: &str,
            _: &mut dyn std::io::Read,
            _: &NewFile<'_>,
        ) -> Result<(), FileStoreError> {
            unreachable!("pruning never stores")
        }
        fn stat(&self, _: &str) -> Result<Option<StoredFile>, FileStoreError> {
            Ok(None)
        }
        fn open(
            &self,
            _: &str,
            _: Option<std::ops::Range<u64>>,
        ) -> Result<Option<FileContent>, FileStoreError> {
            Ok(None)
        }
        fn delete(&self, key: &str) -> Result<(), FileStoreError> {
            self.0.lock().unwrap().retain(|file| file.key != key);
            Ok(())
        }
        fn delete_prefix(&self, _: &str) -> Result<(), FileStoreError> {
            Ok(())
        }
        fn list(&self, _: &str) -> Result<Vec<StoredFile>, FileStoreError> {
            Ok(self.0.lock().unwrap().clone())
        }
    }

    #[test]
    fn pruning_keeps_the_newest_automatic_backups_only() {
        let file = |key: &str, age: u64| StoredFile {
            key: key.into(),
            size: 1,
            modified: SystemTime::UNIX_EPOCH + Duration::from_secs(1000 - age),
            content_type: None,
        };
        let store = Listed(Mutex::new(vec![
            file("@auto_pb_backup_a_1.zip", 30),
            file("@auto_pb_backup_a_2.zip", 20),
            file("manual.zip", 40),
            file("@auto_pb_backup_a_3.zip", 10),
        ]));
        prune_auto_backups(&store, 2).unwrap();
        let mut left: Vec<String> = store.list("").unwrap().into_iter().map(|f| f.key).collect();
        left.sort();
        assert_eq!(
            left,
            [
                "@auto_pb_backup_a_2.zip",
                "@auto_pb_backup_a_3.zip",
                "manual.zip"
            ]
        );
    }

    #[test]
    fn moving_content_leaves_excluded_entries() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("from");
        std::fs::create_dir_all(from.join("backups")).unwrap();
        std::fs::create_dir_all(from.join("storage")).unwrap();
        std::fs::write(from.join("data.db"), b"x").unwrap();
        let to = dir.path().join("to");
        move_content(&from, &to, &["backups"]).unwrap();
        assert!(from.join("backups").is_dir());
        assert!(!from.join("data.db").exists());
        assert!(to.join("data.db").is_file() && to.join("storage").is_dir());
    }
}
