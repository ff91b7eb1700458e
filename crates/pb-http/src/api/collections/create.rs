//! `POST /api/collections`: creates a collection and its table.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::save;
use crate::api::superuser::ensure_superuser;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::txn;

const FAILED: &str = "Failed to create collection.";

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let token = bearer_token(&request);
    let state = Arc::clone(&state.into_inner());
    ensure_superuser(&state, token.clone()).await?;
    let body = Value::Object(read_object(&request, payload).await.map_err(|error| {
        error.reword_malformed("Failed to load the collection type data due to invalid formatting.")
    })?);
    let saved = run_blocking(move || {
        let mut collection = save::build(&body, None, FAILED)?;
        let (saved, all) = txn::write(state.store.as_ref(), FAILED, |tx| {
            let existing = tx.collections()?;
            save::make_generated_id_unique(&mut collection, &body, &existing);
            save::check(&collection, None, &existing)
                .map_err(|error| save::with_view_query_error(tx, &collection, error))?;
            let (saved, all) = save::store_and_reload(tx, &collection, None)?;
            super::journal::record(&state, tx, None, Some(&saved))?;
            Ok((saved, all))
        })?;
        state.replace_schema(all);
        Ok(saved.to_api_json())
    })
    .await?;
    Ok(HttpResponse::Ok().json(saved))
}
