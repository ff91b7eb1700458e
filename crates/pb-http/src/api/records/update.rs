//! `PATCH /api/collections/{collection}/records/{id}`: checks the update rule against the stored
//! record, applies the body (plain values and `+`/`-` modifiers) and writes it back, all inside
//! one write transaction on the single writer, so concurrent `views+` requests never lose an
//! increment.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use super::RecordsContext;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::ApiResult;
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
    let params = QueryParams::output_only(&request);
    let parts = RequestParts::from_request(&request);
    let token = bearer_token(&request);
    let (collection_name, record_id) = path.into_inner();
    let input = read_object(&request, payload).await?;
    let state = Arc::clone(&state.into_inner());
    let body = run_blocking(move || {
        txn::write(state.store.as_ref(), UPDATE_FAILED, |tx| {
            let context =
                RecordsContext::load(tx, state.schema(), &collection_name, token.as_deref())
                    .map_err(super::reword_missing_collection)?;
            let updated = update(tx, &context, &parts, &record_id, &input, "default")?;
            render_record(
                tx,
                &context.schema,
                &context.collection,
                &updated.after,
                context.auth.as_ref(),
                &updated.info,
                &params,
            )
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}
