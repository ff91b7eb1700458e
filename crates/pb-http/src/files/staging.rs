//! The order of file and database writes that keeps them consistent through crashes:
//!
//! 1. new files are written to storage *before* the record write commits, under fresh random
//!    names nothing refers to yet — a crash before the commit leaves only unreferenced files;
//! 2. the record write commits (or fails, or rolls back: then the new files are deleted again);
//! 3. only *after* the commit are replaced and removed files, the unused uploads and the files of
//!    deleted records deleted — a crash before that leaves unreferenced files, never a record
//!    pointing at a missing file.
//!
//! Unreferenced files left by a crash in either window are removed by the orphan sweep at the
//! next start ([`super::sweep`]).

use std::sync::Arc;

use pb_core::files::{file_key, has_file_fields, record_prefix, thumbs_prefix};
use pb_core::ports::{FileStore, FileStoreError, NewFile};
use pb_core::Record;

use super::spool::SpooledUpload;
use crate::error::ApiError;
use crate::state::Schema;

/// Files written for a record write that has not committed yet, and files to delete once it
/// has. Without a store (a write that touches no files) every step is a no-op.
#[derive(Default)]
pub struct StagedFiles {
    store: Option<Arc<dyn FileStore>>,
    written: Vec<String>,
    /// Stored files to delete once the write has committed.
    obsolete: Vec<String>,
    /// Record folders (all files, all thumbs) to delete once the write has committed.
    obsolete_prefixes: Vec<String>,
}

impl StagedFiles {
    pub fn new(store: Arc<dyn FileStore>) -> StagedFiles {
        StagedFiles {
            store: Some(store),
            ..StagedFiles::default()
        }
    }

    /// Whether a store was given (set one with [`StagedFiles::use_store`] otherwise).
    pub fn has_store(&self) -> bool {
        self.store.is_some()
    }

    /// Sets the store when none was given.
    pub fn use_store(&mut self, store: Arc<dyn FileStore>) {
        if self.store.is_none() {
            self.store = Some(store);
        }
    }

    /// Stores the uploads `indexes` of `uploads` as files of record `record_id` of collection
    /// `collection_id`, under their stored names.
    pub fn write(
        &mut self,
        collection_id: &str,
        record_id: &str,
        uploads: &[SpooledUpload],
        indexes: impl IntoIterator<Item = usize>,
    ) -> Result<(), ApiError> {
        for index in indexes {
            let Some(upload) = uploads.get(index) else {
                continue;
            };
            let Some(store) = self.store.clone() else {
                tracing::error!("an upload was to be stored without a file store");
                return Err(ApiError::internal());
            };
            let key = file_key(collection_id, record_id, &upload.file.stored_name);
            if self.written.contains(&key) {
                continue;
            }
            let mut reader = upload.reader().map_err(|error| {
                tracing::error!(%error, "reading a spooled upload failed");
                ApiError::internal()
            })?;
            let new_file = NewFile {
                content_type: &upload.file.content_type,
                original_name: &upload.file.original_name,
            };
            // Recorded first: a failed write may still have left something to remove.
            self.written.push(key.clone());
            store
                .put(&key, &mut reader, &new_file)
                .map_err(write_failed)?;
        }
        Ok(())
    }

    /// Files the record of a committed write no longer names (replaced or removed), with their
    /// thumbs.
    pub fn delete_after_commit(&mut self, collection_id: &str, record_id: &str, names: &[String]) {
        for name in names {
            self.obsolete.push(file_key(collection_id, record_id, name));
            self.obsolete_prefixes
                .push(thumbs_prefix(collection_id, record_id, name));
        }
    }

    /// The files of records a committed write deletes (cascades included).
    pub fn delete_records_after_commit(&mut self, schema: &Schema, deleted: &[Record]) {
        for record in deleted {
            let has_files = schema
                .find_ref(&record.collection_id)
                .is_some_and(has_file_fields);
            if has_files {
                self.obsolete_prefixes
                    .push(record_prefix(&record.collection_id, record.id()));
            }
        }
    }

    /// The write failed or was rolled back: removes every file written for it; the stored files
    /// it would have removed stay.
    pub fn discard(self) {
        let Some(store) = self.store else {
            return;
        };
        for key in &self.written {
            log_cleanup(key, store.delete(key));
        }
    }

    /// The write committed and names every file written: removes the obsolete files and
    /// record folders.
    pub fn committed_all(self) {
        let written = self.written.clone();
        self.committed(&written);
    }

    /// The write committed: removes the written files the record does not name (`used` lists
    /// the keys it does), then the obsolete files and record folders.
    pub fn committed(self, used: &[String]) {
        let Some(store) = self.store else {
            return;
        };
        for key in self.written.iter().filter(|key| !used.contains(key)) {
            log_cleanup(key, store.delete(key));
        }
        for key in &self.obsolete {
            log_cleanup(key, store.delete(key));
        }
        for prefix in &self.obsolete_prefixes {
            log_cleanup(prefix, store.delete_prefix(prefix));
        }
    }
}

/// The keys of the uploads `indexes` once stored for record `record_id`.
pub fn upload_keys(
    collection_id: &str,
    record_id: &str,
    uploads: &[SpooledUpload],
    indexes: &[usize],
) -> Vec<String> {
    indexes
        .iter()
        .filter_map(|index| uploads.get(*index))
        .map(|upload| file_key(collection_id, record_id, &upload.file.stored_name))
        .collect()
}

/// A failed upload is the write's 400, as in PocketBase (callers reword the generic message
/// with their own, e.g. "Failed to create record."); the cause goes to the request log.
fn write_failed(error: FileStoreError) -> ApiError {
    tracing::error!(%error, "storing an uploaded file failed");
    ApiError::generic_bad_request().with_details(format!("failed to upload all files: {error}"))
}

/// A failed cleanup leaves an unreferenced file for the next sweep; it is logged, not fatal.
fn log_cleanup(key: &str, result: Result<(), FileStoreError>) {
    if let Err(error) = result {
        tracing::warn!(%error, key, "could not delete a stored file; the next sweep will");
    }
}
