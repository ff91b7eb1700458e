//! A file store for S3 settings no request can reach: every operation fails with the reason.
//!
//! Virtual-hosted-style addressing (`forcePathStyle` off) puts the bucket name in front of the
//! endpoint's host. With an IP address for a host that makes a name like `bucket.127.0.0.1`,
//! which no resolver knows (and which the S3 client cannot even parse). PocketBase accepts
//! such settings and then fails each file operation on the unknown host; so does this store,
//! instead of building a client that would take the request down.

use pb_core::ports::{FileContent, FileStore, FileStoreError, NewFile, StoredFile};

/// A bucket that cannot be reached, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreachableBucket {
    reason: String,
}

impl UnreachableBucket {
    pub fn new(reason: impl Into<String>) -> UnreachableBucket {
        UnreachableBucket {
            reason: reason.into(),
        }
    }

    fn fail<T>(&self, key: &str) -> Result<T, FileStoreError> {
        Err(FileStoreError::Backend(format!(
            "[key: {key}] {}",
            self.reason
        )))
    }
}

impl FileStore for UnreachableBucket {
    fn put(
        &self,
        key: &str,
        _content: &mut dyn std::io::Read,
        _file: &NewFile<'_>,
    ) -> Result<(), FileStoreError> {
        self.fail(key)
    }

    fn stat(&self, key: &str) -> Result<Option<StoredFile>, FileStoreError> {
        self.fail(key)
    }

    fn open(
        &self,
        key: &str,
        _range: Option<std::ops::Range<u64>>,
    ) -> Result<Option<FileContent>, FileStoreError> {
        self.fail(key)
    }

    fn delete(&self, key: &str) -> Result<(), FileStoreError> {
        self.fail(key)
    }

    fn delete_prefix(&self, prefix: &str) -> Result<(), FileStoreError> {
        self.fail(prefix)
    }

    fn list(&self, prefix: &str) -> Result<Vec<StoredFile>, FileStoreError> {
        self.fail(prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_fails_with_the_reason() {
        let store = UnreachableBucket::new("no such host");
        let file = NewFile {
            content_type: "text/plain",
            original_name: "a.txt",
        };
        let failure = store.put("c/r/a.txt", &mut &b"x"[..], &file);
        assert_eq!(
            failure,
            Err(FileStoreError::Backend(
                "[key: c/r/a.txt] no such host".into()
            ))
        );
        assert!(store.stat("k").is_err());
        assert!(store.open("k", None).is_err());
        assert!(store.delete("k").is_err());
        assert!(store.delete_prefix("p/").is_err());
        assert!(store.list("").is_err());
    }
}
