//! `GET /api/collections/meta/scaffolds`: the empty templates of each collection type.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::CollectionType;
use serde_json::json;

use crate::api::superuser::require_superuser;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::txn;

pub async fn handle(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    let token = bearer_token(&request);
    let state = Arc::clone(&state.into_inner());
    run_blocking(move || {
        txn::read(state.store.as_ref(), "", |tx| {
            require_superuser(tx, &state.schema(), token.as_deref())?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({
        "base": pb_core::system::scaffold(CollectionType::Base),
        "auth": pb_core::system::scaffold(CollectionType::Auth),
        "view": pb_core::system::scaffold(CollectionType::View),
    })))
}
