//! Shared server state: the store, an immutable snapshot of the collections swapped atomically
//! after each schema change, the server options and the realtime hub.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use pb_core::ports::{read_with, Broker, SqlFragment, Store};
use pb_core::{Collection, CoreError};

use crate::realtime::Realtime;

/// Every collection at one moment. Handlers take an `Arc` of it and never see a half-applied
/// schema change.
#[derive(Debug, Default)]
pub struct Schema {
    collections: Vec<Arc<Collection>>,
    by_id: HashMap<String, usize>,
    by_lower_name: HashMap<String, usize>,
    /// SQL of the rules that read nothing of the request, by (collection id, rule text).
    /// It lives and dies with this snapshot, so a schema change starts it afresh.
    compiled_rules: Mutex<HashMap<(String, String), SqlFragment>>,
    /// The OpenAPI document of this snapshot, built on first request (`crate::openapi`).
    openapi: OnceLock<Arc<serde_json::Value>>,
}

impl Schema {
    pub fn new(collections: Vec<Collection>) -> Schema {
        let collections: Vec<Arc<Collection>> = collections.into_iter().map(Arc::new).collect();
        let by_id = collections
            .iter()
            .enumerate()
            .map(|(index, collection)| (collection.id.clone(), index))
            .collect();
        let by_lower_name = collections
            .iter()
            .enumerate()
            .map(|(index, collection)| (collection.name.to_lowercase(), index))
            .collect();
        Schema {
            collections,
            by_id,
            by_lower_name,
            compiled_rules: Mutex::new(HashMap::new()),
            openapi: OnceLock::new(),
        }
    }

    /// Finds a collection by id, or by name ignoring case.
    pub fn find(&self, id_or_name: &str) -> Option<Arc<Collection>> {
        self.by_id
            .get(id_or_name)
            .or_else(|| self.by_lower_name.get(&id_or_name.to_lowercase()))
            .map(|index| Arc::clone(&self.collections[*index]))
    }

    /// Like [`Schema::find`], borrowing instead of sharing.
    pub fn find_ref(&self, id_or_name: &str) -> Option<&Collection> {
        self.by_id
            .get(id_or_name)
            .or_else(|| self.by_lower_name.get(&id_or_name.to_lowercase()))
            .map(|index| self.collections[*index].as_ref())
    }

    /// The cached SQL of a request-independent rule of a collection.
    pub fn compiled_rule(&self, collection_id: &str, rule: &str) -> Option<SqlFragment> {
        let cache = self.compiled_rules.lock().ok()?;
        cache
            .get(&(collection_id.to_string(), rule.to_string()))
            .cloned()
    }

    /// Remembers the SQL of a request-independent rule for this schema version.
    pub fn remember_compiled_rule(&self, collection_id: &str, rule: &str, fragment: &SqlFragment) {
        if let Ok(mut cache) = self.compiled_rules.lock() {
            cache.insert(
                (collection_id.to_string(), rule.to_string()),
                fragment.clone(),
            );
        }
    }

    /// The OpenAPI document describing this snapshot's routes and collections.
    pub fn openapi_document(&self) -> Arc<serde_json::Value> {
        Arc::clone(
            self.openapi
                .get_or_init(|| Arc::new(crate::openapi::document(self))),
        )
    }

    pub fn all(&self) -> &[Arc<Collection>] {
        &self.collections
    }

    /// Owned copies, for validation against every collection.
    pub fn to_vec(&self) -> Vec<Collection> {
        self.collections.iter().map(|c| (**c).clone()).collect()
    }
}

/// Options fixed at start-up.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// `--dev`: more logging.
    pub dev: bool,
    /// Static files served for paths outside `/api/` and `/_/`.
    pub public_dir: Option<PathBuf>,
    /// The data dir (`--dir`); local file storage lives in its `storage` folder. `None` means
    /// `pb_data` in the working directory.
    pub data_dir: Option<PathBuf>,
    /// `--expand-all`: record responses of the records API expand every relation (see
    /// `ExpandTree::all_relations`) besides what `?expand=` names. Off by default, as in
    /// PocketBase.
    pub expand_all: bool,
}

/// The current schema snapshot, swapped whole; shared with work that outlives a request
/// (the realtime dispatcher).
#[derive(Debug, Default)]
pub struct SchemaCell {
    current: RwLock<Arc<Schema>>,
}

impl SchemaCell {
    pub fn new(schema: Schema) -> SchemaCell {
        SchemaCell {
            current: RwLock::new(Arc::new(schema)),
        }
    }

    /// The current snapshot.
    pub fn get(&self) -> Arc<Schema> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Installs a new snapshot.
    pub fn replace(&self, schema: Schema) {
        let schema = Arc::new(schema);
        match self.current.write() {
            Ok(mut guard) => *guard = schema,
            Err(poisoned) => *poisoned.into_inner() = schema,
        }
    }
}

/// The state every handler sees.
pub struct AppState {
    pub store: Arc<dyn Store>,
    schema: Arc<SchemaCell>,
    pub options: ServerOptions,
    /// Realtime clients of this process (`/api/realtime`).
    pub realtime: Arc<Realtime>,
    /// Where writers publish committed record changes: `realtime` itself unless replaced
    /// (a multi-node fan-out would forward to every node's hub).
    pub broker: Arc<dyn Broker>,
    /// Where the files of file fields are stored (local folder or S3, per the settings).
    pub files: Arc<crate::files::FileStorage>,
    /// The backup or restore in progress, if any (one at a time).
    pub backups: Arc<crate::backups::Backups>,
    /// Restart requests (after a backup restore).
    pub lifecycle: Arc<crate::lifecycle::Lifecycle>,
    /// Told about each collection change made through the API (automigrate); `None` keeps no
    /// journal.
    pub schema_journal: Option<Arc<dyn pb_core::ports::SchemaJournal>>,
    /// Request logs, rate limits, cron jobs and the settings they read.
    pub ops: crate::ops::Ops,
}

impl AppState {
    /// Loads the schema from the store and starts the realtime hub.
    pub fn new(store: Arc<dyn Store>, options: ServerOptions) -> Result<AppState, CoreError> {
        let collections = read_with(store.as_ref(), |tx| Ok(tx.collections()?))?;
        let schema = Arc::new(SchemaCell::new(Schema::new(collections)));
        let realtime = Arc::new(Realtime::start(Arc::clone(&store), Arc::clone(&schema)));
        let broker: Arc<dyn Broker> = Arc::clone(&realtime) as Arc<dyn Broker>;
        let data_dir = options
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("pb_data"));
        let files = Arc::new(crate::files::FileStorage::new(&data_dir));
        let settings = read_with(store.as_ref(), |tx| {
            Ok(tx.get_param(pb_core::settings::SETTINGS_KEY)?)
        })?
        .unwrap_or_else(pb_core::settings::defaults);
        let ops = crate::ops::Ops::new(&settings);
        Ok(AppState {
            store,
            schema,
            options,
            realtime,
            broker,
            files,
            backups: Arc::new(crate::backups::Backups::new(&data_dir)),
            lifecycle: Arc::new(crate::lifecycle::Lifecycle::default()),
            schema_journal: None,
            ops,
        })
    }

    /// Attaches the request log store and the databases the nightly optimize tends (before
    /// the state is shared; [`crate::ops::start`] then starts the background work).
    pub fn with_operations(
        mut self,
        log_store: Arc<dyn pb_core::logs::LogStore>,
        maintenance: Vec<Arc<dyn pb_core::ports::Maintenance>>,
    ) -> AppState {
        self.ops.log_store = Some(log_store);
        self.ops.maintenance = maintenance;
        self
    }

    /// The current schema snapshot.
    pub fn schema(&self) -> Arc<Schema> {
        self.schema.get()
    }

    /// Installs a new snapshot (after a committed schema change).
    pub fn replace_schema(&self, collections: Vec<Collection>) {
        self.schema.replace(Schema::new(collections));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn finds_collections_by_id_or_name_ignoring_case() {
        let schema = Schema::new(pb_core::system::fresh_collections(
            "2024-01-01 00:00:00.000Z",
        ));
        assert_eq!(schema.find("pbc_3142635823").unwrap().name, "_superusers");
        assert_eq!(schema.find("USERS").unwrap().id, "_pb_users_auth_");
        assert!(schema.find("nope").is_none());
    }

    #[test]
    fn compiled_rules_live_with_their_snapshot() {
        let schema = Schema::new(Vec::new());
        let fragment = SqlFragment {
            sql: "1=1".into(),
            binds: Vec::new(),
        };
        assert_eq!(schema.compiled_rule("c", "x = 1"), None);
        schema.remember_compiled_rule("c", "x = 1", &fragment);
        assert_eq!(schema.compiled_rule("c", "x = 1"), Some(fragment));
        assert_eq!(Schema::new(Vec::new()).compiled_rule("c", "x = 1"), None);
    }
}
