//! `DELETE /api/collections/{collection}/records/{id}`: removes a record the delete rule
//! matches, handling references to it (cascade, block, or clear) in the same transaction; 204
//! with no body.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Map;

use super::RecordsContext;
use crate::access::{record_in_reach, rule_access, RuleScope};
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::request_info::RequestParts;
use crate::state::AppState;
use crate::txn;

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
        txn::write(state.store.as_ref(), "Failed to delete record.", |tx| {
            let context =
                RecordsContext::load(tx, state.schema(), &collection_name, token.as_deref())?;
            if context.collection.is_view() {
                return Err(ApiError::bad_request("Unsupported collection type.").into());
            }
            let info = parts.info(context.auth.as_ref(), Map::new(), "default");
            let scope = RuleScope {
                schema: &context.schema,
                auth: context.auth.as_ref(),
                request: &info,
            };
            let access = rule_access(&context.collection.delete_rule, &context.collection, &scope)?;
            if tx.find_record(&context.collection, &record_id)?.is_none()
                || !record_in_reach(tx, &context.collection, &record_id, &access)?
            {
                return Err(ApiError::not_found().into());
            }
            let all = context.schema.to_vec();
            pb_core::cascade::delete_record(tx, &all, &context.collection, &record_id)?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
