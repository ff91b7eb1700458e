//! `DELETE /api/collections/{collection}/truncate`: deletes every record, handling references
//! like single deletes do. The files of the deleted records are deleted after the commit.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::ports::RecordQuery;

use crate::api::superuser::require_superuser;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::files::StagedFiles;
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
        let (collection_id, cascaded) = txn::write(
            state.store.as_ref(),
            "Failed to truncate collection.",
            |tx| {
                let schema = state.schema();
                require_superuser(tx, &schema, token.as_deref())?;
                let collection = schema.find(&name).ok_or_else(ApiError::not_found)?;
                if collection.is_view() {
                    return Err(ApiError::bad_request("Failed to truncate collection.").into());
                }
                let all = schema.to_vec();
                let mut cascaded = StagedFiles::default();
                if collection.referencing_collections(&all).is_empty() {
                    tx.delete_all_records(&collection)?;
                    return Ok((collection.id.clone(), cascaded));
                }
                let mut deleted = Vec::new();
                for record in tx.list_records(&collection, &RecordQuery::default())? {
                    let outcome =
                        pb_core::cascade::delete_record(tx, &all, &collection, record.id())?;
                    deleted.extend(
                        outcome
                            .deleted
                            .into_iter()
                            .filter(|deleted| deleted.collection_id != collection.id),
                    );
                }
                if !deleted.is_empty() {
                    cascaded = StagedFiles::new(state.files.current(tx)?);
                    cascaded.delete_records_after_commit(&schema, &deleted);
                }
                Ok((collection.id.clone(), cascaded))
            },
        )?;
        // The files of the deleted records go once the truncate has committed.
        state
            .files
            .delete_collection_files(state.store.as_ref(), &collection_id);
        cascaded.committed_all();
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
