//! `GET|HEAD /api/health`: liveness, with a few extra facts for superusers.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::auth::request_auth::{authenticate, bearer_token};
use crate::blocking::run_blocking;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::txn;

pub async fn handle(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    let token = bearer_token(&request);
    let real_ip = request
        .peer_addr()
        .map(|address| address.ip().to_string())
        .unwrap_or_default();
    // No backup or restore is running (PocketBase's `canBackup`).
    let can_backup = !state.backups.is_busy();
    let is_superuser = match token {
        None => false,
        Some(token) => {
            let state = Arc::clone(&state.into_inner());
            run_blocking(move || {
                txn::read(state.store.as_ref(), "", |tx| {
                    let auth = authenticate(tx, &state.schema(), &token)?;
                    Ok(auth.is_some_and(|auth| auth.is_superuser()))
                })
            })
            .await?
        }
    };
    let data = if is_superuser {
        json!({"canBackup": can_backup, "realIP": real_ip, "possibleProxyHeader": ""})
    } else {
        json!({})
    };
    Ok(HttpResponse::Ok().json(json!({"message": "API is healthy.", "code": 200, "data": data})))
}
