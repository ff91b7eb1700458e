//! Where backups are kept: `pb_data/backups`, or the bucket of `settings.backups.s3` when it is
//! enabled (its own S3 settings, separate from the files' storage), chosen per operation from
//! the stored settings.

use std::sync::Arc;

use pb_core::ports::{read_with, FileStore};
use pb_core::settings::SETTINGS_KEY;
use serde_json::Value;

use super::{BackupError, BACKUPS_DIR};
use crate::files::storage::S3Config;
use crate::state::AppState;

/// The stored settings document.
pub fn settings(state: &AppState) -> Result<Option<Value>, BackupError> {
    read_with(state.store.as_ref(), |tx| Ok(tx.get_param(SETTINGS_KEY)?))
        .map_err(BackupError::Store)
}

/// The backups store the settings select.
pub fn backups_store(
    state: &AppState,
    settings: Option<&Value>,
) -> Result<Arc<dyn FileStore>, BackupError> {
    let unavailable = |_| BackupError::Storage("failed to load the backups filesystem".into());
    match settings.and_then(|settings| S3Config::from_settings(&settings["backups"])) {
        Some(config) => state.files.s3_bucket(&config).map_err(unavailable),
        None => state
            .files
            .local_folder(&state.backups.data_dir().join(BACKUPS_DIR))
            .map_err(unavailable),
    }
}
