//! `POST /api/collections/{collection}/impersonate/{id}` (superusers only): an auth response for
//! another record with a non-refreshable token valid for `duration` seconds (0 or absent: the
//! collection's auth token duration). The superuser is the caller, so the authRule passes; no
//! MFA and no login alert apply.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::{FieldError, ValidationErrors};
use serde_json::{json, Map, Value};

use super::form::{client_info, INVALID_FORM, LOAD_FAILED};
use super::response::{complete, Completion};
use super::{require_auth_type, route_collection};
use crate::api::superuser::require_superuser;
use crate::auth::record_tokens::{sign_record_token, TokenType};
use crate::auth::request_auth::bearer_token;
use crate::auth::token::TokenClaims;
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;
use crate::request_info::RequestParts;
use crate::state::AppState;
use crate::txn;

/// The `duration` of the body: an integer (text of one from forms), 0 when absent.
fn duration(input: &Map<String, Value>) -> Result<i64, ApiError> {
    let loading_failed = || ApiError::bad_request(LOAD_FAILED);
    match input.get("duration") {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(number)) => number.as_i64().ok_or_else(loading_failed),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(0),
        Some(Value::String(text)) => text.trim().parse().map_err(|_| loading_failed()),
        Some(_) => Err(loading_failed()),
    }
}

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let params = QueryParams::output_only(&request);
    let parts = RequestParts::from_request(&request);
    let client = client_info(&request);
    let token = bearer_token(&request);
    let (collection_name, record_id) = path.into_inner();
    let body = read_object(&request, payload).await;
    let state = Arc::clone(&state.into_inner());
    let reply = run_blocking(move || {
        let schema = state.schema();
        let (superuser, collection, record) = txn::read(state.store.as_ref(), "", |tx| {
            let collection = route_collection(&schema, &collection_name)?;
            let superuser = require_superuser(tx, &schema, token.as_deref())?;
            let collection = require_auth_type(collection)?;
            let record = tx
                .find_record(&collection, &record_id)?
                .ok_or_else(ApiError::not_found)?;
            Ok((superuser, collection, record))
        })?;
        let input = body.map_err(|error| error.reword_malformed(LOAD_FAILED))?;
        let duration = duration(&input)?;
        if duration < 0 {
            let error = FieldError::new(
                "validation_min_greater_equal_than_required",
                "Must be no less than 0.",
            )
            .with_params(json!({"threshold": 0}));
            return Err(ApiError::validation(
                INVALID_FORM,
                &ValidationErrors::single("duration", error),
            ));
        }
        let claims = TokenClaims {
            refreshable: Some(false),
            ..TokenClaims::new(record.id(), &collection.id, TokenType::Auth.claim())
        };
        let token = sign_record_token(&collection, &record, TokenType::Auth, claims, duration)
            .ok_or_else(ApiError::internal)?;
        let request_info = parts.info(Some(&superuser), input, "default");
        complete(Completion {
            state: &state,
            schema: &schema,
            collection: &collection,
            record,
            method: "",
            token: Some(token),
            caller: Some(&superuser),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn durations_are_integers() {
        assert_eq!(duration(&body(json!({}))).ok(), Some(0));
        assert_eq!(duration(&body(json!({"duration": 60}))).ok(), Some(60));
        assert_eq!(duration(&body(json!({"duration": "60"}))).ok(), Some(60));
        assert_eq!(duration(&body(json!({"duration": -1}))).ok(), Some(-1));
        assert!(duration(&body(json!({"duration": 1.5}))).is_err());
        assert!(duration(&body(json!({"duration": "abc"}))).is_err());
        assert!(duration(&body(json!({"duration": true}))).is_err());
    }
}
