//! Request bodies as one JSON object, whatever they arrived as: `application/json`,
//! `multipart/form-data` (repeated keys become arrays; every `@jsonPayload` part is merged in, in
//! order) or `application/x-www-form-urlencoded`. Bodies over the limit answer 413.
//!
//! File parts (parts with a non-empty filename) are spooled as they stream in
//! ([`crate::files::spool`]) for the routes that take uploads ([`read_form`]); the other routes
//! drop them. The limit counts every byte of the body as received, so a client cannot get a
//! larger body through by splitting it.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix_multipart::Multipart;
use actix_web::error::PayloadError;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use pb_core::field::FieldKind;
use pb_core::files::name::original_name;
use pb_core::files::DEFAULT_MAX_FILE_SIZE;
use pb_core::Collection;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::files::spool::{SpoolWriter, SpooledUpload};

/// PocketBase's default body limit: 32 MiB.
pub const BODY_LIMIT: usize = 32 << 20;

/// A body with the files that came with it.
#[derive(Default)]
pub struct FormBody {
    pub object: Map<String, Value>,
    /// File parts in the order they arrived.
    pub uploads: Vec<SpooledUpload>,
}

fn too_large() -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request entity too large.")
}

/// The body limit of a record create or update: 32 MiB plus, for each file field,
/// `maxSize × maxSelect` (PocketBase's per-collection limit).
pub fn record_body_limit(collection: Option<&Collection>) -> usize {
    let files: u64 = collection
        .map(|collection| {
            collection
                .fields
                .iter()
                .filter_map(|field| match &field.kind {
                    FieldKind::File(options) => {
                        let max_size = if options.max_size == 0 {
                            DEFAULT_MAX_FILE_SIZE
                        } else {
                            options.max_size
                        };
                        Some(max_size.saturating_mul(options.max_select.max(1)))
                    }
                    _ => None,
                })
                .fold(0u64, u64::saturating_add)
        })
        .unwrap_or(0);
    usize::try_from((BODY_LIMIT as u64).saturating_add(files)).unwrap_or(usize::MAX)
}

/// Reads the body into a JSON object (an empty body is `{}`); file parts are dropped.
pub async fn read_object(
    request: &HttpRequest,
    payload: web::Payload,
) -> Result<Map<String, Value>, ApiError> {
    Ok(read_body(request, payload, BODY_LIMIT, None).await?.object)
}

/// Reads the body with its file parts, spooled under `spool_dir`, allowing `limit` bytes.
pub async fn read_form(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    spool_dir: &Path,
) -> Result<FormBody, ApiError> {
    read_body(request, payload, limit, Some(spool_dir)).await
}

async fn read_body(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    spool_dir: Option<&Path>,
) -> Result<FormBody, ApiError> {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        return read_multipart(request, payload, limit, spool_dir).await;
    }
    let bytes = read_bytes(payload, limit).await?;
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| ApiError::generic_bad_request())?;
        let mut object = Map::new();
        for (key, value) in pairs {
            push_form_value(&mut object, key, Value::String(value));
        }
        return Ok(FormBody {
            object,
            uploads: Vec::new(),
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(FormBody::default());
    }
    if content_type.starts_with("application/json") || content_type.is_empty() {
        return match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(object)) => Ok(FormBody {
                object,
                uploads: Vec::new(),
            }),
            _ => Err(ApiError::generic_bad_request()),
        };
    }
    Err(ApiError::generic_bad_request())
}

async fn read_bytes(mut payload: web::Payload, limit: usize) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::generic_bad_request())?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

async fn read_multipart(
    request: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    spool_dir: Option<&Path>,
) -> Result<FormBody, ApiError> {
    let exceeded = Arc::new(AtomicBool::new(false));
    let counted = {
        let exceeded = Arc::clone(&exceeded);
        let mut total = 0usize;
        payload.map(move |chunk| {
            let chunk = chunk?;
            total = total.saturating_add(chunk.len());
            if total > limit {
                exceeded.store(true, Ordering::Relaxed);
                return Err(PayloadError::Overflow);
            }
            Ok(chunk)
        })
    };
    let failed = |exceeded: &AtomicBool| {
        if exceeded.load(Ordering::Relaxed) {
            too_large()
        } else {
            ApiError::generic_bad_request()
        }
    };
    let mut multipart = Multipart::new(request.headers(), counted);
    let mut form = FormBody::default();
    let mut json_payloads: Vec<Map<String, Value>> = Vec::new();
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| failed(&exceeded))?;
        let name = field.name().unwrap_or("").to_string();
        let filename = field.content_disposition().and_then(|disposition| {
            disposition
                .get_filename_ext()
                .and_then(|extended| String::from_utf8(extended.value.clone()).ok())
                .or_else(|| disposition.get_filename().map(str::to_string))
        });
        match (filename.filter(|filename| !filename.is_empty()), spool_dir) {
            (Some(filename), Some(spool_dir)) if !name.is_empty() => {
                let mut writer = SpoolWriter::new(&name, &original_name(&filename), spool_dir);
                while let Some(chunk) = field.next().await {
                    writer.push(&chunk.map_err(|_| failed(&exceeded))?).await?;
                }
                form.uploads.push(writer.finish().await?);
            }
            (Some(_), _) => {
                while let Some(chunk) = field.next().await {
                    chunk.map_err(|_| failed(&exceeded))?;
                }
            }
            (None, _) => {
                let mut data = Vec::new();
                while let Some(chunk) = field.next().await {
                    data.extend_from_slice(&chunk.map_err(|_| failed(&exceeded))?);
                }
                if name.is_empty() {
                    continue;
                }
                let text = String::from_utf8(data).map_err(|_| ApiError::generic_bad_request())?;
                if name == "@jsonPayload" {
                    match serde_json::from_str::<Value>(&text) {
                        Ok(Value::Object(payload_object)) => json_payloads.push(payload_object),
                        _ => return Err(ApiError::generic_bad_request()),
                    }
                    continue;
                }
                push_form_value(&mut form.object, name, Value::String(text));
            }
        }
    }
    for payload_object in json_payloads {
        form.object.extend(payload_object);
    }
    Ok(form)
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn record_limits_grow_with_file_fields() {
        let collection = Collection::from_json(&json!({"name": "f", "type": "base", "fields": [
            {"name": "one", "type": "file", "maxSelect": 1, "maxSize": 1000},
            {"name": "many", "type": "file", "maxSelect": 3},
            {"name": "title", "type": "text"}
        ]}))
        .unwrap();
        assert_eq!(
            record_body_limit(Some(&collection)),
            BODY_LIMIT + 1000 + 3 * (5 << 20)
        );
        assert_eq!(record_body_limit(None), BODY_LIMIT);
    }
}
