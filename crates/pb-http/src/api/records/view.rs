//! `GET /api/collections/{collection}/records/{id}`: one record, if the view rule matches it
//! (404 otherwise, as for a missing record).

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Map;

use super::RecordsContext;
use crate::access::{record_in_reach, rule_access, RuleScope};
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::output::render_record;
use crate::query::QueryParams;
use crate::request_info::RequestParts;
use crate::state::AppState;
use crate::txn;

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let mut params = QueryParams::output_only(&request);
    params.expand_all = state.options.expand_all;
    let parts = RequestParts::from_request(&request);
    let token = bearer_token(&request);
    let (collection_name, record_id) = path.into_inner();
    let state = Arc::clone(&state.into_inner());
    let body = run_blocking(move || {
        txn::read(
            state.store.as_ref(),
            crate::error::GENERIC_BAD_REQUEST,
            |tx| {
                let context =
                    RecordsContext::load(tx, state.schema(), &collection_name, token.as_deref())?;
                let info = parts.info(context.auth.as_ref(), Map::new(), "default");
                let scope = RuleScope {
                    schema: &context.schema,
                    auth: context.auth.as_ref(),
                    request: &info,
                };
                let access =
                    rule_access(&context.collection.view_rule, &context.collection, &scope)?;
                let record = tx
                    .find_record(&context.collection, &record_id)?
                    .ok_or_else(ApiError::record_not_found)?;
                if !record_in_reach(tx, &context.collection, &record_id, &access)? {
                    return Err(ApiError::record_not_found().into());
                }
                render_record(
                    tx,
                    &context.schema,
                    &context.collection,
                    &record,
                    context.auth.as_ref(),
                    &info,
                    &params,
                )
            },
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}
