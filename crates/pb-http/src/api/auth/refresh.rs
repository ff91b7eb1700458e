//! `POST /api/collections/{collection}/auth-refresh`: a new token for the record the current
//! token belongs to. A non-refreshable token (impersonation) is answered with itself.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::auth_collection;
use super::response::{auth_response, new_auth_token};
use crate::auth::request_auth::{authenticate, bearer_token};
use crate::auth::token::peek;
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;
use crate::state::AppState;
use crate::txn;

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let params = QueryParams::output_only(&request);
    let token = bearer_token(&request);
    let collection_name = path.into_inner();
    let state = Arc::clone(&state.into_inner());
    let body = run_blocking(move || {
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
        let new_token = if refreshable {
            new_auth_token(&collection, &auth.record)?
        } else {
            token
        };
        Ok(auth_response(
            &collection,
            &auth.record,
            new_token,
            Some(&auth),
            &params.fields,
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}
