//! Which file store serves a request: the local `pb_data/storage` directory, or the
//! S3-compatible bucket of the settings' `s3` section when it is enabled. The choice is made per
//! operation from the stored settings, so saving new S3 settings switches storage at once, with
//! no restart; the S3 client is rebuilt only when its settings change.
//!
//! Files already stored stay where they were written (as in PocketBase, switching does not move
//! them).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use pb_core::ports::{read_with, FileStore, Store, StoreTx};
use pb_core::settings::SETTINGS_KEY;
use serde_json::Value;

use super::bridge::Bridge;
use super::object::{MetadataStyle, ObjectFileStore};
use super::unreachable::UnreachableBucket;
use crate::error::ApiError;
use crate::txn::Failure;

/// The folder of local files inside the data dir (PocketBase's).
pub const STORAGE_DIR: &str = "storage";
/// The folder uploads are spooled to while a request is read; emptied at start-up.
pub const SPOOL_DIR: &str = ".pb_temp_uploads";

/// The `s3` section of the settings, when enabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    pub bucket: String,
    pub region: String,
    pub endpoint: String,
    pub access_key: String,
    pub secret: String,
    pub force_path_style: bool,
}

impl S3Config {
    /// The enabled S3 configuration of `settings` (the stored settings document), if any.
    pub fn from_settings(settings: &Value) -> Option<S3Config> {
        let s3 = &settings["s3"];
        if s3["enabled"].as_bool() != Some(true) {
            return None;
        }
        let text = |key: &str| s3[key].as_str().unwrap_or("").to_string();
        Some(S3Config {
            bucket: text("bucket"),
            region: text("region"),
            endpoint: text("endpoint"),
            access_key: text("accessKey"),
            secret: text("secret"),
            force_path_style: s3["forcePathStyle"].as_bool().unwrap_or(false),
        })
    }

    /// Why requests to the bucket cannot be made, if they cannot: virtual-hosted style
    /// (`forcePathStyle` off) with an IP address as the endpoint's host makes a host name like
    /// `bucket.127.0.0.1`, which does not exist (see [`super::unreachable`]), nor can an
    /// endpoint that does not parse as a URL work.
    pub fn unreachable_reason(&self) -> Option<String> {
        if self.force_path_style {
            return None;
        }
        let endpoint = if self.endpoint.contains("://") {
            self.endpoint.clone()
        } else {
            format!("https://{}", self.endpoint)
        };
        let host = url::Url::parse(&endpoint)
            .ok()?
            .host()
            .map(|host| host.to_owned())?;
        match host {
            url::Host::Ipv4(_) | url::Host::Ipv6(_) => Some(format!(
                "cannot address bucket {:?} by virtual host at the IP endpoint {host}: \
                 no such host {}.{host} (enable forcePathStyle)",
                self.bucket, self.bucket
            )),
            // Any other endpoint the client could not parse (it would panic on it).
            url::Host::Domain(_) => {
                let client_endpoint = self.client_endpoint();
                url::Url::parse(&client_endpoint)
                    .err()
                    .map(|error| format!("invalid S3 endpoint {client_endpoint:?}: {error}"))
            }
        }
    }

    /// The endpoint as the S3 client wants it: with the bucket as the first host label when
    /// requests use virtual-hosted style (`forcePathStyle` off).
    pub fn client_endpoint(&self) -> String {
        if self.force_path_style {
            return self.endpoint.clone();
        }
        match self.endpoint.split_once("://") {
            Some((scheme, rest)) => format!("{scheme}://{}.{rest}", self.bucket),
            None => format!("https://{}.{}", self.bucket, self.endpoint),
        }
    }
}

/// The file stores of one data dir.
pub struct FileStorage {
    data_dir: PathBuf,
    bridge: OnceLock<Result<Arc<Bridge>, String>>,
    local: OnceLock<Result<Arc<ObjectFileStore>, String>>,
    s3: Mutex<Option<(S3Config, Arc<dyn FileStore>)>>,
    thumbs: Mutex<()>,
}

/// An S3 client builder with the bucket, region, endpoint, credentials and addressing style
/// of `config`; callers add their client options (the file stores and the settings'
/// connection test).
pub(crate) fn s3_builder(config: &S3Config) -> AmazonS3Builder {
    AmazonS3Builder::new()
        .with_bucket_name(&config.bucket)
        .with_region(&config.region)
        .with_endpoint(config.client_endpoint())
        .with_access_key_id(&config.access_key)
        .with_secret_access_key(&config.secret)
        .with_virtual_hosted_style_request(!config.force_path_style)
}

impl FileStorage {
    /// The storage of the data dir `data_dir`. Nothing is created until first used.
    pub fn new(data_dir: &Path) -> FileStorage {
        FileStorage {
            data_dir: data_dir.to_path_buf(),
            bridge: OnceLock::new(),
            local: OnceLock::new(),
            s3: Mutex::new(None),
            thumbs: Mutex::new(()),
        }
    }

    /// Where uploads are spooled while a request body is read.
    pub fn spool_dir(&self) -> PathBuf {
        self.data_dir.join(SPOOL_DIR)
    }

    /// Removes spool files a previous process left behind (it crashed mid-request).
    pub fn clear_spool(&self) {
        let dir = self.spool_dir();
        if dir.is_dir() {
            if let Err(error) = std::fs::remove_dir_all(&dir) {
                tracing::warn!(%error, dir = %dir.display(), "could not clear the upload spool");
            }
        }
    }

    fn bridge(&self) -> Result<Arc<Bridge>, ApiError> {
        self.bridge
            .get_or_init(|| {
                Bridge::new()
                    .map(Arc::new)
                    .map_err(|error| error.to_string())
            })
            .clone()
            .map_err(storage_unavailable)
    }

    /// The local store (`<data dir>/storage`).
    pub fn local(&self) -> Result<Arc<dyn FileStore>, ApiError> {
        let bridge = self.bridge()?;
        let root = self.data_dir.join(STORAGE_DIR);
        let local = self
            .local
            .get_or_init(|| {
                std::fs::create_dir_all(&root).map_err(|error| error.to_string())?;
                let inner = LocalFileSystem::new_with_prefix(&root)
                    .map_err(|error| error.to_string())?
                    .with_fsync(true)
                    .with_automatic_cleanup(true);
                Ok(Arc::new(ObjectFileStore::new(
                    Arc::new(inner),
                    bridge,
                    MetadataStyle::Sidecar,
                )))
            })
            .clone()
            .map_err(storage_unavailable)?;
        Ok(local)
    }

    /// The store the settings document `settings` selects.
    pub fn for_settings(&self, settings: Option<&Value>) -> Result<Arc<dyn FileStore>, ApiError> {
        let Some(config) = settings.and_then(S3Config::from_settings) else {
            return self.local();
        };
        let mut cached = match self.s3.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some((cached_config, store)) = cached.as_ref() {
            if *cached_config == config {
                return Ok(Arc::clone(store));
            }
        }
        let store = self.new_s3_store(&config)?;
        *cached = Some((config, Arc::clone(&store)));
        Ok(store)
    }

    /// An uncached local store rooted at `folder` (created when missing), with sidecars like
    /// the storage folder: backups live in one.
    pub fn local_folder(&self, folder: &Path) -> Result<Arc<dyn FileStore>, ApiError> {
        std::fs::create_dir_all(folder).map_err(|error| storage_unavailable(error.to_string()))?;
        let inner = LocalFileSystem::new_with_prefix(folder)
            .map_err(|error| storage_unavailable(error.to_string()))?
            .with_fsync(true);
        Ok(Arc::new(ObjectFileStore::new(
            Arc::new(inner),
            self.bridge()?,
            MetadataStyle::Sidecar,
        )))
    }

    /// An uncached store on the bucket of `config` (the backups' own S3 settings).
    pub fn s3_bucket(&self, config: &S3Config) -> Result<Arc<dyn FileStore>, ApiError> {
        self.new_s3_store(config)
    }

    /// A store on the bucket of `config`, its metadata kept as object attributes; a store
    /// that fails every operation when `config` addresses the bucket by a host name that
    /// cannot exist ([`S3Config::unreachable_reason`]).
    fn new_s3_store(&self, config: &S3Config) -> Result<Arc<dyn FileStore>, ApiError> {
        if let Some(reason) = config.unreachable_reason() {
            tracing::warn!(%reason, "the S3 settings cannot work");
            return Ok(Arc::new(UnreachableBucket::new(reason)));
        }
        let inner = s3_builder(config)
            .with_allow_http(true)
            .build()
            .map_err(|error| storage_unavailable(error.to_string()))?;
        Ok(Arc::new(ObjectFileStore::new(
            Arc::new(inner),
            self.bridge()?,
            MetadataStyle::Attributes,
        )))
    }

    /// The store the stored settings select, read in `tx`.
    pub fn current(&self, tx: &mut dyn StoreTx) -> Result<Arc<dyn FileStore>, Failure> {
        let settings = tx.get_param(SETTINGS_KEY)?;
        Ok(self.for_settings(settings.as_ref())?)
    }

    /// Removes every file of collection `collection_id` (after a committed collection delete
    /// or truncate). Failures are logged; what stays is left to the orphan sweep.
    pub fn delete_collection_files(&self, store: &dyn Store, collection_id: &str) {
        let settings = read_with(store, |tx| Ok(tx.get_param(SETTINGS_KEY)?));
        let files = match self.for_settings(settings.ok().flatten().as_ref()) {
            Ok(files) => files,
            Err(_) => return,
        };
        if let Err(error) = files.delete_prefix(&format!("{collection_id}/")) {
            tracing::warn!(%error, collection_id, "could not delete a collection's files");
        }
    }

    /// Held while a thumb is made: image decoding takes memory, so thumbs are made one at a
    /// time, and a thumb asked for twice at once is made once.
    pub fn thumb_lock(&self) -> MutexGuard<'_, ()> {
        match self.thumbs.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

fn storage_unavailable(error: String) -> ApiError {
    tracing::error!(%error, "file storage is unavailable");
    ApiError::internal()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn s3_settings_only_when_enabled() {
        assert_eq!(
            S3Config::from_settings(&json!({"s3": {"enabled": false}})),
            None
        );
        let config = S3Config::from_settings(&json!({"s3": {"enabled": true, "bucket": "b",
            "region": "r", "endpoint": "https://s3.example.com", "accessKey": "k", "secret": "s"}}))
        .unwrap();
        assert_eq!(config.client_endpoint(), "https://b.s3.example.com");
        let path_style = S3Config {
            force_path_style: true,
            ..config
        };
        assert_eq!(path_style.client_endpoint(), "https://s3.example.com");
        assert_eq!(path_style.unreachable_reason(), None);
    }

    #[test]
    fn virtual_hosts_need_a_host_name() {
        let config = |endpoint: &str, force_path_style: bool| S3Config {
            bucket: "b".into(),
            region: "r".into(),
            endpoint: endpoint.into(),
            access_key: "k".into(),
            secret: "s".into(),
            force_path_style,
        };
        let reason = config("http://127.0.0.1:9000", false).unreachable_reason();
        assert!(reason.unwrap().contains("b.127.0.0.1"));
        assert!(config("http://[::1]:9000", false)
            .unreachable_reason()
            .is_some());
        assert!(config("10.0.0.5", false).unreachable_reason().is_some());
        assert_eq!(
            config("http://127.0.0.1:9000", true).unreachable_reason(),
            None
        );
        assert_eq!(
            config("https://s3.example.com", false).unreachable_reason(),
            None
        );
        assert_eq!(
            config("http://localhost:9000", false).unreachable_reason(),
            None
        );
    }

    #[test]
    fn local_storage_lives_in_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let storage = FileStorage::new(dir.path());
        let store = storage.for_settings(None).unwrap();
        let file = pb_core::ports::NewFile {
            content_type: "text/plain",
            original_name: "a.txt",
        };
        store.put("c/r/a.txt", &mut &b"x"[..], &file).unwrap();
        assert!(dir.path().join("storage/c/r/a.txt").is_file());
    }
}
