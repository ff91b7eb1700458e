//! `POST /api/files/token`: a file token for the caller — `{id, collectionId, type: "file"}`
//! signed with the record's token key and the collection's `fileToken` secret, valid for
//! `fileToken.duration` seconds (180 by default). Protected files are downloaded with it as
//! `?token=`, because a URL in an `<img>` cannot carry an `Authorization` header. Any
//! authenticated record may ask (superusers included); guests get 401.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::auth::record_tokens::{sign_record_token, TokenType};
use crate::auth::request_auth::{authenticate, bearer_token};
use crate::auth::token::TokenClaims;
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::txn;

pub async fn handle(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    let token = bearer_token(&request);
    let state = Arc::clone(&state.into_inner());
    let body = run_blocking(move || {
        txn::read(state.store.as_ref(), "", |tx| {
            let token = token.ok_or_else(ApiError::unauthorized)?;
            let auth =
                authenticate(tx, &state.schema(), &token)?.ok_or_else(ApiError::unauthorized)?;
            let claims = TokenClaims::new(auth.record.id(), &auth.collection.id, "file");
            let file_token =
                sign_record_token(&auth.collection, &auth.record, TokenType::File, claims, 0)
                    .ok_or_else(ApiError::internal)?;
            Ok(json!({ "token": file_token }))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}
