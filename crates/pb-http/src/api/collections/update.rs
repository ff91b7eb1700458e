//! `PATCH /api/collections/{collection}`: merges the body onto the definition and migrates the
//! table in the same transaction.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::save;
use crate::api::superuser::ensure_superuser;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::txn;

const FAILED: &str = "Failed to update collection.";

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let token = bearer_token(&request);
    let name = path.into_inner();
    let state = Arc::clone(&state.into_inner());
    ensure_superuser(&state, token.clone()).await?;
    let body = Value::Object(read_object(&request, payload).await.map_err(|error| {
        error.reword_malformed("Failed to load the submitted data due to invalid formatting.")
    })?);
    let saved = run_blocking(move || {
        let (saved, all) = txn::write(state.store.as_ref(), FAILED, |tx| {
            let existing = tx.collections()?;
            let old = existing
                .iter()
                .find(|c| c.id == name)
                .or_else(|| existing.iter().find(|c| c.name.eq_ignore_ascii_case(&name)))
                .cloned()
                .ok_or_else(ApiError::not_found)?;
            let collection = save::build(&body, Some(&old), FAILED)?;
            save::check(&collection, Some(&old), &existing)
                .map_err(|error| save::with_view_query_error(tx, &collection, error))?;
            let (saved, all) = save::store_and_reload(tx, &collection, Some(&old))?;
            super::journal::record(&state, tx, Some(&old), Some(&saved))?;
            Ok((saved, all))
        })?;
        state.replace_schema(all);
        Ok(saved.to_api_json())
    })
    .await?;
    Ok(HttpResponse::Ok().json(saved))
}
