//! Backups of the data dir, as PocketBase makes them: a zip of `pb_data` (the `backups` folder
//! and temporary folders left out) kept in `pb_data/backups` or in the bucket of
//! `settings.backups.s3`; restoring one swaps the data dir's content and restarts the process.
//!
//! Each database goes into the zip as a consistent snapshot the store takes while writers go
//! on writing ([`pb_core::ports::Store::snapshot_into`]), never as a copy of the live file.
//! Local files of `pb_data/storage` are zipped as they are when the walk reaches them; they are
//! written atomically (renamed into place), so each is whole, but a file uploaded after the
//! snapshot may be in the zip without a record naming it (the orphan sweep removes it after a
//! restore), and a file deleted in the meantime may be missing.
//!
//! * `archive`: writing and safely extracting the zip.
//! * `names`: backup names (default and automatic ones, PocketBase's format) and their checks.
//! * `storage`: where backups are kept.
//! * `service`: create, the automatic backup (with pruning) and restore.

pub mod archive;
pub mod names;
pub mod schedule;
pub mod service;
pub mod storage;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use service::{create_backup, restore_backup, run_auto_backup, AUTO_BACKUP_CRON_ID};

/// The folder of local backups inside the data dir.
pub const BACKUPS_DIR: &str = "backups";
/// PocketBase's scratch folder inside the data dir, emptied at every start.
pub const TEMP_DIR: &str = ".pb_temp_to_delete";

/// Why a backup operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Another backup or restore is running.
    #[error("try again later - another backup/restore operation has already been started")]
    Busy,
    /// The named backup does not exist.
    #[error("missing or invalid backup file {0:?}")]
    Missing(String),
    /// The zip is not a backup of a data dir (no `data.db`, an entry escaping the folder, …).
    #[error("invalid backup archive: {0}")]
    InvalidArchive(String),
    /// Reading or writing local files failed.
    #[error("{0}")]
    Io(String),
    /// The backups storage failed.
    #[error("{0}")]
    Storage(String),
    /// The store could not take its snapshot or read the settings.
    #[error("{0}")]
    Store(pb_core::CoreError),
}

impl From<std::io::Error> for BackupError {
    fn from(error: std::io::Error) -> BackupError {
        BackupError::Io(error.to_string())
    }
}

/// The data dir's backup state: which backup or restore is running (one at a time).
#[derive(Debug)]
pub struct Backups {
    data_dir: PathBuf,
    active: Mutex<Option<String>>,
}

impl Backups {
    pub fn new(data_dir: &Path) -> Backups {
        Backups {
            data_dir: data_dir.to_path_buf(),
            active: Mutex::new(None),
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Marks `name` as the running backup or restore, or fails with [`BackupError::Busy`].
    pub fn begin(self: &Arc<Self>, name: &str) -> Result<ActiveBackup, BackupError> {
        let mut active = self.lock();
        if active.is_some() {
            return Err(BackupError::Busy);
        }
        *active = Some(name.to_string());
        Ok(ActiveBackup {
            backups: Arc::clone(self),
            released: false,
        })
    }

    /// Whether a backup or restore is running.
    pub fn is_busy(&self) -> bool {
        self.lock().is_some()
    }

    /// Whether `name` is the backup being written or restored.
    pub fn is_active(&self, name: &str) -> bool {
        self.lock().as_deref() == Some(name)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        match self.active.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// The mark of a running backup or restore; cleared when dropped.
#[derive(Debug)]
pub struct ActiveBackup {
    backups: Arc<Backups>,
    released: bool,
}

impl ActiveBackup {
    /// Keeps the mark until the process ends (a restore about to restart the process).
    pub fn keep(mut self) {
        self.released = true;
    }
}

impl Drop for ActiveBackup {
    fn drop(&mut self) {
        if !self.released {
            *self.backups.lock() = None;
        }
    }
}

/// Removes the scratch folder a previous run left (an interrupted backup, the old data of a
/// restore). Called at start-up, before the store opens the data dir.
pub fn clear_temp_dir(data_dir: &Path) {
    let temp = data_dir.join(TEMP_DIR);
    if temp.exists() {
        if let Err(error) = std::fs::remove_dir_all(&temp) {
            tracing::warn!(%error, dir = %temp.display(), "could not remove the temp dir");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn one_backup_or_restore_at_a_time() {
        let backups = Arc::new(Backups::new(Path::new("pb_data")));
        let first = backups.begin("a.zip").unwrap();
        assert!(backups.is_active("a.zip"));
        assert!(matches!(backups.begin("b.zip"), Err(BackupError::Busy)));
        drop(first);
        assert!(!backups.is_busy());
        backups.begin("b.zip").unwrap().keep();
        assert!(backups.is_active("b.zip"));
    }
}
