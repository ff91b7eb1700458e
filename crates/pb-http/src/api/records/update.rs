//! `PATCH /api/collections/{collection}/records/{id}`: checks the update rule against the stored
//! record, applies the body (plain values and `+`/`-` modifiers) and writes it back, all inside
//! one write transaction on the single writer, so concurrent `views+` requests never lose an
//! increment.
//!
//! Uploaded files are stored before that transaction; files the record no longer names
//! (replaced, removed with `files-`, cleared) are deleted only after it commits (see
//! [`crate::files::staging`]).

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::ports::RecordEvent;
use pb_core::validate::record::uploads_for_file_fields;

use super::RecordsContext;
use crate::auth::password::{hasher_of, Prehashed};
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::body::{read_form, record_body_limit};
use crate::error::{ApiError, ApiResult};
use crate::files::spool::upload_infos;
use crate::files::staging::upload_keys;
use crate::files::{SpooledUpload, StagedFiles};
use crate::output::render_record;
use crate::query::QueryParams;
use crate::records_service::{update, UPDATE_FAILED};
use crate::request_info::RequestParts;
use crate::state::AppState;
use crate::txn;

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let mut params = QueryParams::output_only(&request);
    params.expand_all = state.options.expand_all;
    let parts = RequestParts::from_request(&request);
    let token = bearer_token(&request);
    let (collection_name, record_id) = path.into_inner();
    let limit = record_body_limit(state.schema().find(&collection_name).as_deref());
    let form = read_form(&request, payload, limit, &state.files.spool_dir()).await?;
    let state = Arc::clone(&state.into_inner());
    let body = run_blocking(move || {
        let store = state.store.as_ref();
        let uploads = upload_infos(&form.uploads);
        let mut staged = stage_uploads(&state, &collection_name, &record_id, &form.uploads)?;
        // A new password is hashed before the write begins: the writer never waits on argon2.
        let prehashed = Prehashed::of_write(
            state.schema().find(&collection_name).as_deref(),
            &form.object,
        );
        let written = txn::write(store, UPDATE_FAILED, |tx| {
            let context =
                RecordsContext::load(tx, state.schema(), &collection_name, token.as_deref())
                    .map_err(super::reword_missing_collection)?;
            let updated = update(
                tx,
                &context,
                &parts,
                &record_id,
                &form.object,
                &uploads,
                "default",
                hasher_of(&prehashed),
            )?;
            let files = if !updated.files.removed.is_empty() && !staged.has_store() {
                Some(state.files.current(tx)?)
            } else {
                None
            };
            let body = render_record(
                tx,
                &context.schema,
                &context.collection,
                &updated.after,
                context.auth.as_ref(),
                &updated.info,
                &params,
            )?;
            Ok((updated, body, files, context.collection.id.clone()))
        });
        let (updated, body, files, collection_id) = match written {
            Ok(written) => written,
            Err(error) => {
                staged.discard();
                return Err(error);
            }
        };
        state.broker.publish(RecordEvent::updated(updated.after));
        // Replaced and removed files go only now that the record no longer names them.
        if let Some(files) = files {
            staged.use_store(files);
        }
        staged.delete_after_commit(&collection_id, &record_id, &updated.files.removed);
        let used = upload_keys(
            &collection_id,
            &record_id,
            &form.uploads,
            &updated.files.uploads,
        );
        staged.committed(&used);
        Ok(body)
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Stores the uploads that may become files of record `record_id` before the update's
/// transaction, so the writer lock is not held while bytes move (the names are fresh and
/// unreferenced until the update commits). Nothing is stored for an unknown collection or
/// record: the update then fails with its 404.
fn stage_uploads(
    state: &AppState,
    collection_name: &str,
    record_id: &str,
    uploads: &[SpooledUpload],
) -> Result<StagedFiles, ApiError> {
    if uploads.is_empty() {
        return Ok(StagedFiles::default());
    }
    let Some(collection) = state.schema().find(collection_name) else {
        return Ok(StagedFiles::default());
    };
    let files = txn::read(state.store.as_ref(), UPDATE_FAILED, |tx| {
        if tx.find_record(&collection, record_id)?.is_none() {
            return Ok(None);
        }
        Ok(Some(state.files.current(tx)?))
    })?;
    let Some(files) = files else {
        return Ok(StagedFiles::default());
    };
    let mut staged = StagedFiles::new(files);
    let candidates = uploads_for_file_fields(&collection, &upload_infos(uploads));
    if let Err(error) = staged.write(&collection.id, record_id, uploads, candidates) {
        staged.discard();
        return Err(error.reword_malformed(UPDATE_FAILED));
    }
    Ok(staged)
}
