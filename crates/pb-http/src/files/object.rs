//! [`FileStore`] over `object_store`: one implementation for the local directory
//! (`LocalFileSystem`, fsync on, empty folders removed) and for S3-compatible buckets
//! (`AmazonS3`), so the local path that every test exercises is the S3 path too.
//!
//! Writes are atomic in both: a local file is written beside its key and renamed into place
//! (after an fsync), an S3 object appears when its single PUT or its multipart upload completes.
//! Contents larger than one part stream through in parts of [`PART_SIZE`] bytes, at most
//! [`PARTS_IN_FLIGHT`] at a time, so memory stays flat whatever the file size.
//!
//! Content types: S3 keeps them as object attributes; the local store keeps PocketBase's
//! `<key>.attrs` JSON sidecar (`user.content_type`, `user.metadata.original-filename`), so a data
//! dir written here serves the same types under PocketBase and the other way round.

use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::sync::Arc;
use std::time::SystemTime;

use actix_web::web::Bytes;
use futures_util::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, AttributeValue, Attributes, GetOptions, GetRange, GetResultPayload, ObjectStore,
    ObjectStoreExt, PutMultipartOptions, PutOptions, PutPayload, WriteMultipart,
};
use pb_core::files::ATTRS_SUFFIX;
use pb_core::ports::{FileContent, FileStore, FileStoreError, NewFile, StoredFile};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::bridge::Bridge;

/// Bytes per chunk of a streamed upload (S3's smallest multipart part is 5 MiB).
pub const PART_SIZE: usize = 5 << 20;
/// Parts uploaded concurrently.
const PARTS_IN_FLIGHT: usize = 2;
/// The metadata key of the client's file name (PocketBase's).
const ORIGINAL_NAME_KEY: &str = "original-filename";

/// How the backing store keeps content types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataStyle {
    /// In a `<key>.attrs` JSON sidecar (local directories).
    Sidecar,
    /// As object attributes (S3).
    Attributes,
}

/// A [`FileStore`] backed by an `object_store`.
pub struct ObjectFileStore {
    inner: Arc<dyn ObjectStore>,
    bridge: Arc<Bridge>,
    metadata: MetadataStyle,
}

/// What the upload task is fed: content chunks, or the news that reading the content failed.
enum Feed {
    Chunk(Bytes),
    Failed,
}

impl ObjectFileStore {
    pub fn new(
        inner: Arc<dyn ObjectStore>,
        bridge: Arc<Bridge>,
        metadata: MetadataStyle,
    ) -> ObjectFileStore {
        ObjectFileStore {
            inner,
            bridge,
            metadata,
        }
    }

    fn run<T: Send + 'static>(
        &self,
        future: impl std::future::Future<Output = Result<T, object_store::Error>> + Send + 'static,
    ) -> Result<T, object_store::Error> {
        self.bridge
            .run(future)
            .unwrap_or_else(|| Err(generic_error("the storage runtime stopped")))
    }

    fn attributes(&self, file: &NewFile<'_>) -> Attributes {
        let mut attributes = Attributes::new();
        if self.metadata == MetadataStyle::Attributes {
            attributes.insert(
                Attribute::ContentType,
                AttributeValue::from(file.content_type.to_string()),
            );
            attributes.insert(
                Attribute::Metadata(ORIGINAL_NAME_KEY.into()),
                AttributeValue::from(metadata_safe(file.original_name)),
            );
        }
        attributes
    }

    /// The content type kept in a local sidecar, if any.
    fn sidecar_content_type(&self, key: &str) -> Option<String> {
        let path = object_path(&format!("{key}{ATTRS_SUFFIX}")).ok()?;
        let inner = Arc::clone(&self.inner);
        let bytes = self
            .run(async move { inner.get(&path).await?.bytes().await })
            .ok()?;
        let attrs: Value = serde_json::from_slice(&bytes).ok()?;
        attrs["user.content_type"]
            .as_str()
            .filter(|content_type| !content_type.is_empty())
            .map(str::to_string)
    }

    fn write_sidecar(&self, key: &str, file: &NewFile<'_>) -> Result<(), object_store::Error> {
        let attrs = json!({
            "user.cache_control": "",
            "user.content_disposition": "",
            "user.content_encoding": "",
            "user.content_language": "",
            "user.content_type": file.content_type,
            "user.metadata": {ORIGINAL_NAME_KEY: metadata_safe(file.original_name)},
        });
        let path = object_path(&format!("{key}{ATTRS_SUFFIX}"))
            .map_err(|error| generic_error(&error.to_string()))?;
        let payload = PutPayload::from(attrs.to_string().into_bytes());
        let inner = Arc::clone(&self.inner);
        self.run(async move { inner.put(&path, payload).await.map(|_| ()) })
    }

    /// Every key under `prefix`, sidecars included.
    fn list_all(&self, prefix: &str) -> Result<Vec<StoredFile>, FileStoreError> {
        let path = object_path(prefix.trim_end_matches('/'))?;
        let inner = Arc::clone(&self.inner);
        // One unreadable entry (a name the store cannot represent) must not hide the others.
        let listed = self.run(async move {
            Ok::<_, object_store::Error>(inner.list(Some(&path)).collect::<Vec<_>>().await)
        });
        let mut metas = Vec::new();
        for entry in listed.map_err(backend)? {
            match entry {
                Ok(meta) => metas.push(meta),
                Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => tracing::warn!(%error, prefix, "skipping an unlistable file"),
            }
        }
        Ok(metas
            .into_iter()
            .map(|meta| StoredFile {
                key: meta.location.to_string(),
                size: meta.size,
                modified: SystemTime::from(meta.last_modified),
                content_type: None,
            })
            .collect())
    }
}

impl FileStore for ObjectFileStore {
    fn put(
        &self,
        key: &str,
        content: &mut dyn Read,
        file: &NewFile<'_>,
    ) -> Result<(), FileStoreError> {
        let path = object_path(key)?;
        let first = read_chunk(content)?;
        if first.len() < PART_SIZE {
            let options = PutOptions {
                attributes: self.attributes(file),
                ..PutOptions::default()
            };
            let inner = Arc::clone(&self.inner);
            let payload = PutPayload::from(first);
            self.run(async move { inner.put_opts(&path, payload, options).await.map(|_| ()) })
                .map_err(backend)?;
        } else {
            self.put_in_parts(path, first, content, file)?;
        }
        if self.metadata == MetadataStyle::Sidecar {
            self.write_sidecar(key, file).map_err(backend)?;
        }
        Ok(())
    }

    fn stat(&self, key: &str) -> Result<Option<StoredFile>, FileStoreError> {
        let path = object_path(key)?;
        let inner = Arc::clone(&self.inner);
        let options = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        let result = match self.run(async move { inner.get_opts(&path, options).await }) {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(backend(error)),
        };
        let content_type = match self.metadata {
            MetadataStyle::Sidecar => self.sidecar_content_type(key),
            MetadataStyle::Attributes => result
                .attributes
                .get(&Attribute::ContentType)
                .map(|value| value.to_string()),
        };
        Ok(Some(StoredFile {
            key: key.to_string(),
            size: result.meta.size,
            modified: SystemTime::from(result.meta.last_modified),
            content_type,
        }))
    }

    fn open(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> Result<Option<FileContent>, FileStoreError> {
        let path = object_path(key)?;
        let empty_range = range.as_ref().is_some_and(|range| range.start >= range.end);
        let options = GetOptions {
            range: range
                .clone()
                .filter(|_| !empty_range)
                .map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let inner = Arc::clone(&self.inner);
        let result = match self.run(async move { inner.get_opts(&path, options).await }) {
            Ok(result) => result,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(backend(error)),
        };
        let file = StoredFile {
            key: key.to_string(),
            size: result.meta.size,
            modified: SystemTime::from(result.meta.last_modified),
            content_type: result
                .attributes
                .get(&Attribute::ContentType)
                .map(|value| value.to_string()),
        };
        let served = result.range.clone();
        let reader: Box<dyn Read + Send> = if empty_range {
            Box::new(std::io::empty())
        } else {
            match result.payload {
                GetResultPayload::File(mut local, _) => {
                    local
                        .seek(SeekFrom::Start(served.start))
                        .map_err(|error| FileStoreError::Backend(error.to_string()))?;
                    Box::new(local.take(served.end - served.start))
                }
                GetResultPayload::Stream(stream) => Box::new(
                    self.bridge.read_stream(
                        stream
                            .map(|chunk| chunk.map_err(std::io::Error::other))
                            .boxed(),
                    ),
                ),
            }
        };
        Ok(Some(FileContent { file, reader }))
    }

    fn delete(&self, key: &str) -> Result<(), FileStoreError> {
        let mut keys = vec![object_path(key)?];
        if self.metadata == MetadataStyle::Sidecar {
            keys.push(object_path(&format!("{key}{ATTRS_SUFFIX}"))?);
        }
        for path in keys {
            let inner = Arc::clone(&self.inner);
            match self.run(async move { inner.delete(&path).await }) {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(backend(error)),
            }
        }
        Ok(())
    }

    fn delete_prefix(&self, prefix: &str) -> Result<(), FileStoreError> {
        for file in self.list_all(prefix)? {
            let path = object_path(&file.key)?;
            let inner = Arc::clone(&self.inner);
            match self.run(async move { inner.delete(&path).await }) {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(backend(error)),
            }
        }
        Ok(())
    }

    fn list(&self, prefix: &str) -> Result<Vec<StoredFile>, FileStoreError> {
        let mut files = self.list_all(prefix)?;
        if self.metadata == MetadataStyle::Sidecar {
            files.retain(|file| !file.key.ends_with(ATTRS_SUFFIX));
        }
        Ok(files)
    }
}

impl ObjectFileStore {
    /// A multipart upload fed part by part from `content` (the first part already read); a
    /// failure on either side aborts it, leaving nothing under the key.
    fn put_in_parts(
        &self,
        path: ObjectPath,
        first: Vec<u8>,
        content: &mut dyn Read,
        file: &NewFile<'_>,
    ) -> Result<(), FileStoreError> {
        let (sender, mut receiver) = mpsc::channel::<Feed>(1);
        let options = PutMultipartOptions {
            attributes: self.attributes(file),
            ..PutMultipartOptions::default()
        };
        let inner = Arc::clone(&self.inner);
        let (done_sender, done_receiver) = std::sync::mpsc::sync_channel(1);
        self.bridge.handle().spawn(async move {
            let outcome = async {
                let upload = inner.put_multipart_opts(&path, options).await?;
                let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
                while let Some(feed) = receiver.recv().await {
                    match feed {
                        Feed::Chunk(chunk) => {
                            if let Err(error) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                                let _ = writer.abort().await;
                                return Err(error);
                            }
                            writer.put(chunk);
                        }
                        Feed::Failed => {
                            writer.abort().await?;
                            return Err(generic_error("the upload's content could not be read"));
                        }
                    }
                }
                writer.finish().await.map(|_| ())
            }
            .await;
            let _ = done_sender.send(outcome);
        });
        let mut feed_error = None;
        let mut next = Some(first);
        while let Some(chunk) = next.take() {
            if chunk.is_empty() {
                break;
            }
            if sender
                .blocking_send(Feed::Chunk(Bytes::from(chunk)))
                .is_err()
            {
                break;
            }
            match read_chunk(content) {
                Ok(chunk) => next = Some(chunk),
                Err(error) => {
                    let _ = sender.blocking_send(Feed::Failed);
                    feed_error = Some(error);
                }
            }
        }
        drop(sender);
        let outcome = done_receiver
            .recv()
            .unwrap_or_else(|_| Err(generic_error("the storage runtime stopped")));
        if let Some(error) = feed_error {
            return Err(error);
        }
        outcome.map_err(backend)
    }
}

/// Reads up to [`PART_SIZE`] bytes (fewer only at the end of the content).
fn read_chunk(content: &mut dyn Read) -> Result<Vec<u8>, FileStoreError> {
    let mut chunk = Vec::with_capacity(PART_SIZE);
    content
        .take(PART_SIZE as u64)
        .read_to_end(&mut chunk)
        .map_err(|error| FileStoreError::Source(error.to_string()))?;
    Ok(chunk)
}

/// A key as an object path: `/`-separated segments, none empty, `.` or `..`, none holding a
/// control character.
pub fn object_path(key: &str) -> Result<ObjectPath, FileStoreError> {
    ObjectPath::parse(key).map_err(|_| FileStoreError::InvalidKey(key.to_string()))
}

/// Metadata values must be printable ASCII for S3 headers; other characters become `_`.
fn metadata_safe(text: &str) -> String {
    text.chars()
        .map(|character| {
            if character.is_ascii_graphic() || character == ' ' {
                character
            } else {
                '_'
            }
        })
        .collect()
}

fn generic_error(message: &str) -> object_store::Error {
    object_store::Error::Generic {
        store: "pb-files",
        source: message.to_string().into(),
    }
}

fn backend(error: object_store::Error) -> FileStoreError {
    FileStoreError::Backend(error.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use object_store::local::LocalFileSystem;

    fn local_store(dir: &std::path::Path) -> ObjectFileStore {
        let inner = LocalFileSystem::new_with_prefix(dir)
            .unwrap()
            .with_automatic_cleanup(true);
        ObjectFileStore::new(
            Arc::new(inner),
            Arc::new(Bridge::new().unwrap()),
            MetadataStyle::Sidecar,
        )
    }

    fn new_file() -> NewFile<'static> {
        NewFile {
            content_type: "text/plain; charset=utf-8",
            original_name: "notes.txt",
        }
    }

    #[test]
    fn local_round_trip_with_ranges_sidecars_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let store = local_store(dir.path());
        store
            .put("c/r/a.txt", &mut &b"hello world"[..], &new_file())
            .unwrap();
        let stat = store.stat("c/r/a.txt").unwrap().unwrap();
        assert_eq!(stat.size, 11);
        assert_eq!(
            stat.content_type.as_deref(),
            Some("text/plain; charset=utf-8")
        );
        let attrs = std::fs::read_to_string(dir.path().join("c/r/a.txt.attrs")).unwrap();
        assert!(
            attrs.contains("\"original-filename\":\"notes.txt\""),
            "{attrs}"
        );
        let mut text = String::new();
        let mut content = store.open("c/r/a.txt", Some(6..11)).unwrap().unwrap();
        content.reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, "world");
        let listed = store.list("c/").unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].key, "c/r/a.txt");
        store.delete("c/r/a.txt").unwrap();
        store.delete("c/r/a.txt").unwrap();
        assert!(store.stat("c/r/a.txt").unwrap().is_none());
        assert!(store.open("c/r/a.txt", None).unwrap().is_none());
        assert!(!dir.path().join("c/r").exists());
    }

    #[test]
    fn large_contents_go_up_in_parts() {
        let dir = tempfile::tempdir().unwrap();
        let store = local_store(dir.path());
        let size = PART_SIZE * 2 + 123;
        let content: Vec<u8> = (0..size).map(|index| (index % 251) as u8).collect();
        store
            .put("c/r/big.bin", &mut content.as_slice(), &new_file())
            .unwrap();
        let mut read_back = Vec::new();
        store
            .open("c/r/big.bin", None)
            .unwrap()
            .unwrap()
            .reader
            .read_to_end(&mut read_back)
            .unwrap();
        assert!(read_back == content);
        store.delete_prefix("c/r/").unwrap();
        assert!(store.list("c/").unwrap().is_empty());
    }

    #[test]
    fn a_failing_source_leaves_nothing() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
                if self.0 == 0 {
                    return Err(std::io::Error::other("boom"));
                }
                let length = buffer.len().min(self.0);
                self.0 -= length;
                Ok(length)
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let store = local_store(dir.path());
        let error = store
            .put("c/r/x.bin", &mut Failing(PART_SIZE + 10), &new_file())
            .unwrap_err();
        assert!(matches!(error, FileStoreError::Source(_)), "{error:?}");
        assert!(store.stat("c/r/x.bin").unwrap().is_none());
    }

    #[test]
    fn keys_with_traversal_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = local_store(dir.path());
        for key in ["c/../x", "c//x", "c/./x", "c/\0x"] {
            assert!(matches!(
                store.put(key, &mut &b""[..], &new_file()),
                Err(FileStoreError::InvalidKey(_))
            ));
        }
    }
}
