//! `GET|POST /api/oauth2-redirect`: where a provider sends the browser back in the all-in-one
//! (popup) OAuth2 flow of the JS SDK. The `state` is the id of the realtime client that started
//! the flow; `{"state", "code", "error"?}` goes to that client on the `@oauth2` topic, and the
//! browser is redirected to the admin UI's success page, or its failure page when the state
//! names no client subscribed to `@oauth2`, the request comes from another IP than the
//! client's stream, or the provider sent an error or no code. Delivering ends the client's
//! `@oauth2` subscription, as in PocketBase.
//!
//! GET (query) answers 307, POST (a form, Apple's `response_mode=form_post`) 303, both with
//! PocketBase's relative `Location` (`../_/#/auth/oauth2-redirect-success|failure`). A state
//! that names no client delivers nothing, so a forged redirect cannot reach anyone's popup.

use std::sync::Arc;

use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};

use crate::body::read_object;
use crate::error::ApiResult;
use crate::state::AppState;

/// The topic the SDK listens on while the popup is open.
pub const OAUTH2_TOPIC: &str = "@oauth2";
const SUCCESS: &str = "../_/#/auth/oauth2-redirect-success";
const FAILURE: &str = "../_/#/auth/oauth2-redirect-failure";

/// What the provider sent back.
#[derive(Debug, Default, Clone, PartialEq)]
struct RedirectData {
    state: String,
    code: String,
    error: String,
}

impl RedirectData {
    fn from_pairs(pairs: &Map<String, Value>) -> RedirectData {
        let text = |key: &str| match pairs.get(key) {
            Some(Value::String(text)) => text.clone(),
            _ => String::new(),
        };
        RedirectData {
            state: text("state"),
            code: text("code"),
            error: text("error"),
        }
    }

    /// The `@oauth2` message: `error` only when there is one.
    fn message(&self) -> Value {
        let mut message = Map::new();
        message.insert("state".into(), Value::String(self.state.clone()));
        message.insert("code".into(), Value::String(self.code.clone()));
        if !self.error.is_empty() {
            message.insert("error".into(), Value::String(self.error.clone()));
        }
        Value::Object(message)
    }
}

fn redirect(method: &Method, location: &str) -> HttpResponse {
    let status = if method == Method::GET {
        StatusCode::TEMPORARY_REDIRECT
    } else {
        StatusCode::SEE_OTHER
    };
    HttpResponse::build(status)
        .insert_header((header::LOCATION, location))
        .finish()
}

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let method = request.method().clone();
    let data = if method == Method::POST {
        match read_object(&request, payload).await {
            Ok(body) => RedirectData::from_pairs(&body),
            Err(_) => return Ok(redirect(&method, FAILURE)),
        }
    } else {
        let mut query = Map::new();
        for (key, value) in crate::query::pairs(&request) {
            query.entry(key).or_insert(Value::String(value));
        }
        RedirectData::from_pairs(&query)
    };
    if data.state.is_empty() {
        return Ok(redirect(&method, FAILURE));
    }
    let realtime = Arc::clone(&state.realtime);
    let Some(client) = realtime.client(&data.state) else {
        return Ok(redirect(&method, FAILURE));
    };
    let remote_ip = request.peer_addr().map(|address| address.ip());
    if client.is_closed()
        || !client.has_subscription(OAUTH2_TOPIC)
        || !client.accepts_from(remote_ip)
    {
        return Ok(redirect(&method, FAILURE));
    }
    realtime.notify(&data.state, OAUTH2_TOPIC, &data.message());
    // One answer per popup: a second redirect with the same state delivers nothing.
    realtime.unsubscribe(&client, OAUTH2_TOPIC);
    if !data.error.is_empty() || data.code.is_empty() {
        return Ok(redirect(&method, FAILURE));
    }
    Ok(redirect(&method, SUCCESS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_message_names_the_error_only_when_there_is_one() {
        let mut pairs = Map::new();
        pairs.insert("state".into(), json!("s"));
        pairs.insert("code".into(), json!("c"));
        assert_eq!(
            RedirectData::from_pairs(&pairs).message().to_string(),
            r#"{"state":"s","code":"c"}"#
        );
        pairs.insert("error".into(), json!("access_denied"));
        assert_eq!(
            RedirectData::from_pairs(&pairs).message().to_string(),
            r#"{"state":"s","code":"c","error":"access_denied"}"#
        );
    }
}
