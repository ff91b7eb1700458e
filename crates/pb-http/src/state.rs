//! Shared server state: the store, an immutable snapshot of the collections swapped atomically
//! after each schema change, and the server options.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use pb_core::ports::{read_with, Store};
use pb_core::{Collection, CoreError};

/// Every collection at one moment. Handlers take an `Arc` of it and never see a half-applied
/// schema change.
#[derive(Debug, Default)]
pub struct Schema {
    collections: Vec<Arc<Collection>>,
    by_id: HashMap<String, usize>,
    by_lower_name: HashMap<String, usize>,
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
}

/// The state every handler sees.
pub struct AppState {
    pub store: Arc<dyn Store>,
    schema: RwLock<Arc<Schema>>,
    pub options: ServerOptions,
}

impl AppState {
    /// Loads the schema from the store.
    pub fn new(store: Arc<dyn Store>, options: ServerOptions) -> Result<AppState, CoreError> {
        let collections = read_with(store.as_ref(), |tx| Ok(tx.collections()?))?;
        Ok(AppState {
            store,
            schema: RwLock::new(Arc::new(Schema::new(collections))),
            options,
        })
    }

    /// The current schema snapshot.
    pub fn schema(&self) -> Arc<Schema> {
        match self.schema.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Installs a new snapshot (after a committed schema change).
    pub fn replace_schema(&self, collections: Vec<Collection>) {
        let schema = Arc::new(Schema::new(collections));
        match self.schema.write() {
            Ok(mut guard) => *guard = schema,
            Err(poisoned) => *poisoned.into_inner() = schema,
        }
    }
}
