//! `GET|PATCH /api/settings` (superusers only): the settings document in `_params`, secrets
//! masked on read and kept when a PATCH leaves them out.

pub mod test_email;
pub mod test_s3;

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::settings::{
    apply_patch, defaults, fits_shape, nulls_to_zero, to_api_json, validate, SETTINGS_KEY,
};
use pb_core::CoreError;
use serde_json::Value;

use crate::api::superuser::require_superuser;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::txn;

pub async fn get(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    let token = bearer_token(&request);
    let state = Arc::clone(&state.into_inner());
    let body = run_blocking(move || {
        txn::read(state.store.as_ref(), "", |tx| {
            require_superuser(tx, &state.schema(), token.as_deref())?;
            let stored = tx.get_param(SETTINGS_KEY)?.unwrap_or_else(defaults);
            Ok(to_api_json(&stored))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

pub async fn patch(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let token = bearer_token(&request);
    let body = Value::Object(read_object(&request, payload).await?);
    let state = Arc::clone(&state.into_inner());
    let writer_state = Arc::clone(&state);
    let saved = run_blocking(move || {
        let state = writer_state;
        txn::write(
            state.store.as_ref(),
            "An error occurred while saving the new settings.",
            |tx| {
                require_superuser(tx, &state.schema(), token.as_deref())?;
                if !fits_shape(&defaults(), &body) {
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "An error occurred while loading the submitted data.",
                    )
                    .into());
                }
                let stored = tx.get_param(SETTINGS_KEY)?.unwrap_or_else(defaults);
                let updated = apply_patch(&stored, &nulls_to_zero(&defaults(), &body));
                validate(&updated).map_err(CoreError::Validation)?;
                tx.set_param(SETTINGS_KEY, &updated)?;
                Ok(to_api_json(&updated))
            },
        )
    })
    .await?;
    state.ops.settings_changed(&saved);
    crate::backups::schedule::sync(&state, &saved);
    let pruning_state = Arc::clone(&state);
    run_blocking(move || {
        crate::request_log::retention::prune_after_settings_change(&pruning_state);
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(saved))
}
