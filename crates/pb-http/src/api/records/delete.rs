//! `DELETE /api/collections/{collection}/records/{id}`: removes a record the delete rule
//! matches, handling references to it (cascade, block, or clear) in the same transaction; 204
//! with no body.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use super::RecordsContext;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::error::ApiResult;
use crate::records_service::{delete, DELETE_FAILED};
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
        txn::write(state.store.as_ref(), DELETE_FAILED, |tx| {
            let context =
                RecordsContext::load(tx, state.schema(), &collection_name, token.as_deref())?;
            delete(tx, &context, &parts, &record_id, "default")?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
