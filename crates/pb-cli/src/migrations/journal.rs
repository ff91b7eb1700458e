//! Automigrate: every collection created, updated or deleted through the API becomes a
//! migration file (`up` = the new state, `down` = the old one) recorded as applied in the same
//! transaction, so replaying the folder on a fresh data dir rebuilds the schema.
//!
//! As in PocketBase, the history row is written first and the file second: when the file
//! cannot be written the whole change rolls back.

use std::sync::Arc;

use pb_core::migration::{change_label, for_change};
use pb_core::ports::{SchemaJournal, StoreTx};
use pb_core::{Collection, CoreError, StoreError};

use super::folder::MigrationsFolder;
use super::now_micros;

/// Writes migration files into a folder.
#[derive(Debug)]
pub(crate) struct FileJournal {
    folder: Arc<MigrationsFolder>,
}

impl FileJournal {
    pub(crate) fn new(folder: Arc<MigrationsFolder>) -> FileJournal {
        FileJournal { folder }
    }
}

impl SchemaJournal for FileJournal {
    fn record(
        &self,
        tx: &mut dyn StoreTx,
        old: Option<&Collection>,
        new: Option<&Collection>,
    ) -> Result<(), CoreError> {
        let Some((kind, name, migration)) = for_change(old, new) else {
            return Ok(());
        };
        let failed = |error: anyhow::Error| {
            CoreError::Store(StoreError::Database(format!(
                "failed to save automigrate file: {error:#}"
            )))
        };
        let _naming = self.folder.lock();
        let file = self
            .folder
            .new_name(&change_label(kind, &name))
            .map_err(failed)?;
        tx.record_migration(&file, now_micros())?;
        self.folder.write(&file, &migration).map_err(failed)?;
        Ok(())
    }
}
