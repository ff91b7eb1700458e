//! The records routes: `/api/collections/{collection}/records[/{id}]`.

pub mod create;
pub mod delete;
pub mod list;
pub mod rule_body;
pub mod sort;
pub mod update;
pub mod view;
pub mod write_checks;

use std::sync::Arc;

use pb_core::ports::StoreTx;
use pb_core::Collection;

use crate::auth::request_auth::{authenticate, AuthContext};
use crate::error::ApiError;
use crate::state::Schema;
use crate::txn::Failure;

/// The collection a records request addresses and who is asking.
pub struct RecordsContext {
    pub schema: Arc<Schema>,
    pub collection: Arc<Collection>,
    pub auth: Option<AuthContext>,
}

/// Create and update word the unknown-collection 404 differently from the other routes.
pub fn reword_missing_collection(failure: Failure) -> Failure {
    match failure {
        Failure::Api(error) if error == ApiError::missing_collection() => {
            Failure::Api(ApiError::missing_or_invalid_collection())
        }
        other => other,
    }
}

impl RecordsContext {
    /// Resolves the token and the collection (404 "Missing collection context." when unknown).
    pub fn load(
        tx: &mut dyn StoreTx,
        schema: Arc<Schema>,
        collection_name: &str,
        token: Option<&str>,
    ) -> Result<RecordsContext, Failure> {
        let auth = match token {
            Some(token) => authenticate(tx, &schema, token)?,
            None => None,
        };
        let collection = schema
            .find(collection_name)
            .ok_or_else(ApiError::missing_collection)?;
        Ok(RecordsContext {
            schema,
            collection,
            auth,
        })
    }

    pub fn is_superuser(&self) -> bool {
        self.auth.as_ref().is_some_and(AuthContext::is_superuser)
    }
}
