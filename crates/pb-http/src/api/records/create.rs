//! `POST /api/collections/{collection}/records`: validates the body against the collection's
//! fields, then stores the record in one write transaction (id free, relations exist, unique
//! indexes hold) and checks the create rule against the stored row — rolling everything back
//! when it does not match. Answers 200 with the record, as PocketBase does.
//!
//! Uploaded files (multipart) are stored before that transaction and deleted again if it fails
//! (see [`crate::files::staging`]); the body may be as large as the collection's file fields
//! allow.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::ports::RecordEvent;

use super::RecordsContext;
use crate::auth::password::Hasher;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::body::{read_form, record_body_limit};
use crate::error::ApiResult;
use crate::files::spool::upload_infos;
use crate::files::StagedFiles;
use crate::output::render_record;
use crate::query::QueryParams;
use crate::records_service::{apply_create, plan_create, CREATE_FAILED};
use crate::request_info::RequestParts;
use crate::state::AppState;
use crate::txn;

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let mut params = QueryParams::output_only(&request);
    params.expand_all = state.options.expand_all;
    let parts = RequestParts::from_request(&request);
    let token = bearer_token(&request);
    let collection_name = path.into_inner();
    let limit = record_body_limit(state.schema().find(&collection_name).as_deref());
    let form = read_form(&request, payload, limit, &state.files.spool_dir()).await?;
    let state = Arc::clone(&state.into_inner());
    let body = run_blocking(move || {
        let store = state.store.as_ref();
        let (context, files) = txn::read(store, CREATE_FAILED, |tx| {
            let context =
                RecordsContext::load(tx, state.schema(), &collection_name, token.as_deref())
                    .map_err(super::reword_missing_collection)?;
            let files = if form.uploads.is_empty() {
                None
            } else {
                Some(state.files.current(tx)?)
            };
            Ok((context, files))
        })?;
        let uploads = upload_infos(&form.uploads);
        let plan = plan_create(&context, &parts, &form.object, &uploads, "default", &Hasher)?;
        // New files go to storage before the record that names them commits.
        let mut staged = files.map(StagedFiles::new).unwrap_or_default();
        let stored = staged
            .write(
                &context.collection.id,
                plan.record().id(),
                &form.uploads,
                plan.files().uploads.iter().copied(),
            )
            .map_err(|error| error.reword_malformed(CREATE_FAILED));
        let written = stored.and_then(|()| {
            txn::write(store, CREATE_FAILED, |tx| {
                let record = apply_create(tx, &context, &plan)?;
                let body = render_record(
                    tx,
                    &context.schema,
                    &context.collection,
                    &record,
                    context.auth.as_ref(),
                    &plan.info,
                    &params,
                )?;
                Ok((record, body))
            })
        });
        let (record, body) = match written {
            Ok(written) => written,
            Err(error) => {
                staged.discard();
                return Err(error);
            }
        };
        staged.committed_all();
        state.broker.publish(RecordEvent::created(record));
        Ok(body)
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}
