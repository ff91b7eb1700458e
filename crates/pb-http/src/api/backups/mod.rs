//! `/api/backups`: list, create, upload, download, delete and restore backups of the data dir
//! (see `crate::backups`). Superusers only; the download authenticates with a superuser's file
//! token in `?token=` instead of the `Authorization` header, so a plain link can fetch it.

pub mod create;
pub mod delete;
pub mod download;
pub mod list;
pub mod restore;
pub mod upload;

use crate::backups::BackupError;
use crate::error::ApiError;

/// A storage or settings failure the handlers answer with `status` and `message`, logged.
fn failure(error: &BackupError, message: &str) -> ApiError {
    tracing::error!(%error, "{message}");
    ApiError::bad_request(message)
}
