//! `POST /api/collections/{collection}/auth-refresh`: a new token for the record the current
//! token belongs to. A non-refreshable token (impersonation) is answered with itself. The
//! collection's authRule is checked again, with the record as the caller.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Map;

use super::auth_collection;
use super::form::client_info;
use super::response::{complete, Completion};
use crate::auth::request_auth::{authenticate, bearer_token};
use crate::auth::token::peek;
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;
use crate::request_info::RequestParts;
use crate::state::AppState;
use crate::txn;

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let params = QueryParams::output_only(&request);
    let parts = RequestParts::from_request(&request);
    let client = client_info(&request);
    let token = bearer_token(&request);
    let collection_name = path.into_inner();
    let state = Arc::clone(&state.into_inner());
    let reply = run_blocking(move || {
        let schema = state.schema();
        let collection = auth_collection(&schema, &collection_name)?;
        let token = token.ok_or_else(ApiError::unauthorized)?;
        let auth = txn::read(state.store.as_ref(), "", |tx| {
            Ok(authenticate(tx, &schema, &token)?)
        })?
        .ok_or_else(ApiError::unauthorized)?;
        if auth.collection.id != collection.id {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "The request requires auth record from {} collection.",
                    collection.name
                ),
            ));
        }
        let refreshable = peek(&token)
            .and_then(|claims| claims.refreshable)
            .unwrap_or(false);
        let request_info = parts.info(Some(&auth), Map::new(), "default");
        complete(Completion {
            state: &state,
            schema: &schema,
            collection: &collection,
            record: auth.record.clone(),
            method: "",
            token: (!refreshable).then_some(token),
            caller: Some(&auth),
            request: &request_info,
            mfa_id: "",
            client: &client,
            fields: &params.fields,
            expand: &params.expand,
            meta: None,
        })
    })
    .await?;
    Ok(reply.into_response())
}
