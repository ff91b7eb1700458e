//! Uploads while a request is read: each file part is spooled as it streams in — small ones in
//! memory, larger ones to a temporary file in the data dir's spool folder — so a request body is
//! never held in memory whole, and the bytes are only moved to storage once the record write
//! has been validated. The first bytes are kept to detect the type; the stored name is chosen
//! as soon as the part ends.
//!
//! A spool file is deleted when its upload is dropped; files a crashed process left behind are
//! removed at the next start ([`super::storage::FileStorage::clear_spool`]).

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use pb_core::files::mime;
use pb_core::files::name::stored_file_name;
use pb_core::validate::record::UploadedFile;
use tempfile::NamedTempFile;

use crate::error::ApiError;

/// Uploads up to this size stay in memory.
const IN_MEMORY_LIMIT: usize = 1 << 20;
/// Bytes gathered before each write to the spool file.
const WRITE_BATCH: usize = 1 << 20;

/// One uploaded file, spooled.
pub struct SpooledUpload {
    /// The form part's name as sent (`pics`, `pics+`, `requests.0.pics` …).
    pub part_name: String,
    /// What validation sees of it; `file.key` starts as the part name.
    pub file: UploadedFile,
    content: Spooled,
}

enum Spooled {
    Memory(Vec<u8>),
    Disk(NamedTempFile),
}

impl SpooledUpload {
    /// An upload made by the server itself from bytes it fetched (an OAuth2 avatar), as if
    /// it had been sent as form part `part_name` with file name `original_name`.
    pub fn from_bytes(part_name: &str, original_name: &str, bytes: Vec<u8>) -> SpooledUpload {
        let head_length = bytes.len().min(mime::HEAD_LENGTH);
        let content_type = mime::detect(&bytes[..head_length]).to_string();
        let stored_name = stored_file_name(original_name, &content_type);
        SpooledUpload {
            part_name: part_name.to_string(),
            file: UploadedFile {
                key: part_name.to_string(),
                original_name: original_name.to_string(),
                stored_name,
                size: bytes.len() as u64,
                content_type,
            },
            content: Spooled::Memory(bytes),
        }
    }

    /// A reader over the whole content, from the start.
    pub fn reader(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        match &self.content {
            Spooled::Memory(bytes) => Ok(Box::new(bytes.as_slice())),
            Spooled::Disk(spool) => {
                let mut file = spool.reopen()?;
                file.seek(SeekFrom::Start(0))?;
                Ok(Box::new(file))
            }
        }
    }
}

/// An upload being received.
pub struct SpoolWriter {
    part_name: String,
    original_name: String,
    spool_dir: PathBuf,
    head: Vec<u8>,
    pending: Vec<u8>,
    file: Option<NamedTempFile>,
    size: u64,
}

impl SpoolWriter {
    pub fn new(part_name: &str, original_name: &str, spool_dir: &Path) -> SpoolWriter {
        SpoolWriter {
            part_name: part_name.to_string(),
            original_name: original_name.to_string(),
            spool_dir: spool_dir.to_path_buf(),
            head: Vec::new(),
            pending: Vec::new(),
            file: None,
            size: 0,
        }
    }

    /// Adds a chunk; writes to disk (on the blocking pool) once enough has gathered.
    pub async fn push(&mut self, chunk: &[u8]) -> Result<(), ApiError> {
        self.size += chunk.len() as u64;
        if self.head.len() < mime::HEAD_LENGTH {
            let wanted = (mime::HEAD_LENGTH - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..wanted]);
        }
        self.pending.extend_from_slice(chunk);
        let threshold = if self.file.is_some() {
            WRITE_BATCH
        } else {
            IN_MEMORY_LIMIT
        };
        if self.pending.len() > threshold {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), ApiError> {
        let pending = std::mem::take(&mut self.pending);
        let file = self.file.take();
        let spool_dir = self.spool_dir.clone();
        let (file, mut pending) = crate::blocking::run_blocking(move || {
            let mut file = match file {
                Some(file) => file,
                None => {
                    std::fs::create_dir_all(&spool_dir).map_err(spool_failed)?;
                    NamedTempFile::new_in(&spool_dir).map_err(spool_failed)?
                }
            };
            file.write_all(&pending).map_err(spool_failed)?;
            Ok((file, pending))
        })
        .await?;
        pending.clear();
        self.pending = pending;
        self.file = Some(file);
        Ok(())
    }

    /// The finished upload, with its detected type and stored name.
    pub async fn finish(mut self) -> Result<SpooledUpload, ApiError> {
        let content = if self.file.is_some() {
            if !self.pending.is_empty() {
                self.flush().await?;
            }
            match self.file.take() {
                Some(file) => Spooled::Disk(file),
                None => return Err(ApiError::internal()),
            }
        } else {
            Spooled::Memory(std::mem::take(&mut self.pending))
        };
        let content_type = mime::detect(&self.head).to_string();
        let stored_name = stored_file_name(&self.original_name, &content_type);
        Ok(SpooledUpload {
            part_name: self.part_name.clone(),
            file: UploadedFile {
                key: self.part_name,
                original_name: self.original_name,
                stored_name,
                size: self.size,
                content_type,
            },
            content,
        })
    }
}

/// What validation sees of `uploads`, in the same order.
pub fn upload_infos(uploads: &[SpooledUpload]) -> Vec<UploadedFile> {
    uploads.iter().map(|upload| upload.file.clone()).collect()
}

fn spool_failed(error: std::io::Error) -> ApiError {
    tracing::error!(%error, "spooling an upload failed");
    ApiError::internal()
}

/// Opens the spool folder's file for reading back (kept for symmetry with tests).
#[cfg(test)]
fn read_all(upload: &SpooledUpload) -> Vec<u8> {
    let mut bytes = Vec::new();
    let _ = upload
        .reader()
        .and_then(|mut reader| reader.read_to_end(&mut bytes));
    bytes
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn small_uploads_stay_in_memory_and_large_ones_go_to_disk() {
        let dir = tempfile::tempdir().unwrap();
        let mut small = SpoolWriter::new("doc", "My Notes.txt", dir.path());
        small.push(b"hello ").await.unwrap();
        small.push(b"world").await.unwrap();
        let small = small.finish().await.unwrap();
        assert_eq!(small.file.size, 11);
        assert_eq!(small.file.content_type, mime::PLAIN_TEXT);
        assert!(small.file.stored_name.starts_with("my_notes_"));
        assert_eq!(read_all(&small), b"hello world");
        assert!(matches!(small.content, Spooled::Memory(_)));

        let mut large = SpoolWriter::new("doc", "big.bin", dir.path());
        let chunk = vec![7u8; 300_000];
        for _ in 0..10 {
            large.push(&chunk).await.unwrap();
        }
        let large = large.finish().await.unwrap();
        assert_eq!(large.file.size, 3_000_000);
        assert!(matches!(large.content, Spooled::Disk(_)));
        assert_eq!(read_all(&large).len(), 3_000_000);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        drop(large);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
