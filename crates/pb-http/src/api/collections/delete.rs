//! `DELETE /api/collections/{collection}`: drops a collection unless it is a system collection
//! or another collection's relation points at it. Its stored files are deleted after the commit.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::api::superuser::require_superuser;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::txn;

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let token = bearer_token(&request);
    let name = path.into_inner();
    let state = Arc::clone(&state.into_inner());
    run_blocking(move || {
        let all = txn::write(state.store.as_ref(), "Failed to delete collection.", |tx| {
            let schema = state.schema();
            require_superuser(tx, &schema, token.as_deref())?;
            let existing = tx.collections()?;
            let collection = existing
                .iter()
                .find(|c| c.id == name)
                .or_else(|| existing.iter().find(|c| c.name.eq_ignore_ascii_case(&name)))
                .cloned()
                .ok_or_else(ApiError::not_found)?;
            if collection.system {
                return Err(ApiError::bad_request("Failed to delete collection.").into());
            }
            let referencing: Vec<String> = collection
                .referencing_collections(&existing)
                .iter()
                .map(|other| other.name.clone())
                .collect();
            if !referencing.is_empty() {
                return Err(ApiError::bad_request(format!(
                    "Failed to delete collection probably due to existing reference in {}.",
                    referencing.join(", ")
                ))
                .into());
            }
            tx.delete_collection(&collection)?;
            super::journal::record(&state, tx, Some(&collection), None)?;
            Ok((tx.collections()?, collection.id))
        })?;
        let (all, collection_id) = all;
        state.replace_schema(all);
        // Its stored files go once the drop has committed.
        state
            .files
            .delete_collection_files(state.store.as_ref(), &collection_id);
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
