//! `DELETE /api/collections/{collection}/records/{id}`: removes a record the delete rule
//! matches, handling references to it (cascade, block, or clear) in the same transaction; 204
//! with no body. The files of every deleted record are removed after the commit.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use pb_core::files::has_file_fields;
use pb_core::ports::StoreTx;
use pb_core::Record;

use super::RecordsContext;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::error::ApiResult;
use crate::files::StagedFiles;
use crate::records_service::{delete, DELETE_FAILED};
use crate::request_info::RequestParts;
use crate::state::{AppState, Schema};
use crate::txn::{self, Failure};

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let parts = RequestParts::from_request(&request);
    let token = bearer_token(&request);
    let (collection_name, record_id) = path.into_inner();
    let state = Arc::clone(&state.into_inner());
    run_blocking(move || {
        let store = state.store.as_ref();
        let (pending, files) = txn::write(store, DELETE_FAILED, |tx| {
            let context =
                RecordsContext::load(tx, state.schema(), &collection_name, token.as_deref())?;
            let outcome = delete(tx, &context, &parts, &record_id, "default")?;
            let files = files_of_deleted(&state, tx, &context.schema, &outcome.deleted)?;
            Ok((state.realtime.prepare_cascade(store, outcome), files))
        })?;
        state.realtime.publish_cascade(pending);
        // The files of deleted records (cascades included) go once the delete has committed.
        files.committed_all();
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The files to delete once a delete of `deleted` (cascades included) commits.
fn files_of_deleted(
    state: &AppState,
    tx: &mut dyn StoreTx,
    schema: &Schema,
    deleted: &[Record],
) -> Result<StagedFiles, Failure> {
    let owns_files = deleted.iter().any(|record| {
        schema
            .find_ref(&record.collection_id)
            .is_some_and(has_file_fields)
    });
    if !owns_files {
        return Ok(StagedFiles::default());
    }
    let mut files = StagedFiles::new(state.files.current(tx)?);
    files.delete_records_after_commit(schema, deleted);
    Ok(files)
}
