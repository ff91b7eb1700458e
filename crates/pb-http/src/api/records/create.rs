//! `POST /api/collections/{collection}/records`: validates the body against the collection's
//! fields, then stores the record in one write transaction (id free, relations exist, unique
//! indexes hold) and checks the create rule against the stored row — rolling everything back
//! when it does not match. Answers 200 with the record, as PocketBase does.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use super::RecordsContext;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::ApiResult;
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
    let params = QueryParams::output_only(&request);
    let parts = RequestParts::from_request(&request);
    let token = bearer_token(&request);
    let collection_name = path.into_inner();
    let input = read_object(&request, payload).await?;
    let state = Arc::clone(&state.into_inner());
    let body = run_blocking(move || {
        let store = state.store.as_ref();
        let context = txn::read(store, CREATE_FAILED, |tx| {
            RecordsContext::load(tx, state.schema(), &collection_name, token.as_deref())
                .map_err(super::reword_missing_collection)
        })?;
        let plan = plan_create(&context, &parts, &input, "default")?;
        txn::write(store, CREATE_FAILED, |tx| {
            let record = apply_create(tx, &context, &plan)?;
            render_record(
                tx,
                &context.schema,
                &context.collection,
                &record,
                context.auth.as_ref(),
                &plan.info,
                &params,
            )
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}
