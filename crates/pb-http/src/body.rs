//! Request bodies as one JSON object, whatever they arrived as: `application/json`,
//! `multipart/form-data` (repeated keys become arrays; a `@jsonPayload` part is merged in) or
//! `application/x-www-form-urlencoded`. Bodies over the limit answer 413.

use actix_multipart::Multipart;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// PocketBase's default body limit: 32 MiB.
pub const BODY_LIMIT: usize = 32 << 20;

fn too_large() -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request entity too large.")
}

/// Reads the body into a JSON object (an empty body is `{}`).
pub async fn read_object(
    request: &HttpRequest,
    payload: web::Payload,
) -> Result<Map<String, Value>, ApiError> {
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        return read_multipart(request, payload).await;
    }
    let bytes = read_bytes(payload).await?;
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| ApiError::generic_bad_request())?;
        let mut object = Map::new();
        for (key, value) in pairs {
            push_form_value(&mut object, key, Value::String(value));
        }
        return Ok(object);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    if content_type.starts_with("application/json") || content_type.is_empty() {
        return match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(object)) => Ok(object),
            _ => Err(ApiError::generic_bad_request()),
        };
    }
    Err(ApiError::generic_bad_request())
}

async fn read_bytes(mut payload: web::Payload) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::generic_bad_request())?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

async fn read_multipart(
    request: &HttpRequest,
    payload: web::Payload,
) -> Result<Map<String, Value>, ApiError> {
    let mut multipart = Multipart::new(request.headers(), payload);
    let mut object = Map::new();
    let mut json_payload: Option<Map<String, Value>> = None;
    let mut total = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| ApiError::generic_bad_request())?;
        let name = field.name().unwrap_or("").to_string();
        let is_file = field
            .content_disposition()
            .and_then(|disposition| disposition.get_filename())
            .is_some();
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| ApiError::generic_bad_request())?;
            total += chunk.len();
            if total > BODY_LIMIT {
                return Err(too_large());
            }
            data.extend_from_slice(&chunk);
        }
        if is_file || name.is_empty() {
            // File uploads arrive with the files issue; until then parts with a filename are
            // not stored.
            continue;
        }
        let text = String::from_utf8(data).map_err(|_| ApiError::generic_bad_request())?;
        if name == "@jsonPayload" {
            match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(payload_object)) => json_payload = Some(payload_object),
                _ => return Err(ApiError::generic_bad_request()),
            }
            continue;
        }
        push_form_value(&mut object, name, Value::String(text));
    }
    if let Some(payload_object) = json_payload {
        object.extend(payload_object);
    }
    Ok(object)
}

/// Adds a form value; a repeated key turns the value into an array.
fn push_form_value(object: &mut Map<String, Value>, key: String, value: Value) {
    match object.get_mut(&key) {
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            object.insert(key, value);
        }
    }
}
