//! `POST /api/realtime` `{clientId, subscriptions}`: replaces the client's subscriptions and
//! binds the client to this request's auth, which every later rule check of its events uses.
//! 204 on success; 400 for an invalid form, 404 for an unknown client, 400 when the request
//! comes from another address than the stream, 403 when the client is already bound to a
//! different auth record (it has to reconnect instead).

use std::sync::Arc;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::{FieldError, ValidationErrors};
use serde_json::{json, Map, Value};

use crate::auth::request_auth::{authenticate, bearer_token};
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult, GENERIC_BAD_REQUEST};
use crate::state::AppState;
use crate::txn;

/// PocketBase's limits on the form.
const MAX_CLIENT_ID_LENGTH: usize = 255;
const MAX_SUBSCRIPTIONS: usize = 1000;
const MAX_SUBSCRIPTION_LENGTH: usize = 2500;

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let token = bearer_token(&request);
    let remote_ip = request.peer_addr().map(|address| address.ip());
    let is_form = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            let value = value.to_ascii_lowercase();
            value.starts_with("application/x-www-form-urlencoded")
                || value.starts_with("multipart/form-data")
        });
    let input = read_object(&request, payload).await?;
    let form = SubscribeForm::from_input(&input, is_form)?;
    let client = state
        .realtime
        .client(&form.client_id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "Missing or invalid client id."))?;
    if !client.accepts_from(remote_ip) {
        return Err(ApiError::bad_request("Invalid realtime client."));
    }
    let auth = match token {
        None => None,
        Some(token) => {
            let state = Arc::clone(&state);
            run_blocking(move || {
                txn::read(state.store.as_ref(), GENERIC_BAD_REQUEST, |tx| {
                    Ok(authenticate(tx, &state.schema(), &token)?)
                })
            })
            .await?
        }
    };
    state
        .realtime
        .subscribe(&client, auth, &form.subscriptions)
        .map_err(|_mismatch| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "The current and the previous request authorization don't match.",
            )
        })?;
    Ok(HttpResponse::NoContent().finish())
}

/// The request body.
struct SubscribeForm {
    client_id: String,
    subscriptions: Vec<String>,
}

impl SubscribeForm {
    /// Reads and validates the body: a wrongly typed value is the generic 400, limits are
    /// field errors. In a form body a single `subscriptions` value is a list of one.
    fn from_input(input: &Map<String, Value>, is_form: bool) -> Result<SubscribeForm, ApiError> {
        let client_id = match input.get("clientId") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(id)) => id.clone(),
            Some(_) => return Err(ApiError::generic_bad_request()),
        };
        let subscriptions = match input.get("subscriptions") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(one)) if is_form => vec![one.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().map(str::to_string))
                .collect::<Option<Vec<String>>>()
                .ok_or_else(ApiError::generic_bad_request)?,
            Some(_) => return Err(ApiError::generic_bad_request()),
        };
        let mut errors = ValidationErrors::new();
        let id_length = client_id.chars().count();
        if id_length == 0 {
            errors.add("clientId", FieldError::required());
        } else if id_length > MAX_CLIENT_ID_LENGTH {
            errors.add(
                "clientId",
                FieldError::new(
                    "validation_length_out_of_range",
                    format!("The length must be between 1 and {MAX_CLIENT_ID_LENGTH}."),
                )
                .with_params(json!({"max": MAX_CLIENT_ID_LENGTH, "min": 1})),
            );
        }
        if subscriptions.len() > MAX_SUBSCRIPTIONS {
            errors.add("subscriptions", too_long(MAX_SUBSCRIPTIONS));
        } else {
            let mut items = ValidationErrors::new();
            for (index, subscription) in subscriptions.iter().enumerate() {
                if subscription.chars().count() > MAX_SUBSCRIPTION_LENGTH {
                    items.add(&index.to_string(), too_long(MAX_SUBSCRIPTION_LENGTH));
                }
            }
            errors.nest("subscriptions", items);
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(GENERIC_BAD_REQUEST, &errors));
        }
        Ok(SubscribeForm {
            client_id,
            subscriptions,
        })
    }
}

fn too_long(max: usize) -> FieldError {
    FieldError::new(
        "validation_length_too_long",
        format!("The length must be no more than {max}."),
    )
    .with_params(json!({"max": max, "min": 0}))
}
