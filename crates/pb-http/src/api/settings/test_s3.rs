//! `POST /api/settings/test/s3` (superusers only): `{filesystem: "storage"|"backups"}` checks
//! the saved S3 settings of the files' storage (`s3`) or of the backups (`backups.s3`) by
//! writing a small object under a fresh `pb_settings_test_…/` prefix, then listing and deleting
//! that prefix. 204 when all of it worked; otherwise 400 "Failed to test the S3 filesystem."
//! with field errors, or with the raw error on its own line, as PocketBase answers.
//!
//! Why a client of its own rather than the cached storage client: a probe must fail fast, so
//! it has no retries and short timeouts (the storage client retries for minutes), and it must
//! not replace the client that serves files.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::{FutureExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};
use pb_core::ids::random_string;
use pb_core::settings::SETTINGS_KEY;
use pb_core::{FieldError, ValidationErrors};
use serde_json::{Map, Value};

use crate::api::superuser::require_superuser;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::files::storage::{s3_builder, S3Config};
use crate::state::AppState;
use crate::txn;

/// The message of every failure of this endpoint.
const FAILED: &str = "Failed to test the S3 filesystem.";
const LOAD_FAILED: &str = "An error occurred while loading the submitted data.";
/// How long connecting to the endpoint may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one request may take in all.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
const LOWER_ALPHANUMERIC: &str = "abcdefghijklmnopqrstuvwxyz0123456789";

/// Which S3 settings to test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filesystem {
    Storage,
    Backups,
}

/// Reads and checks the body's `filesystem`.
pub fn parse_filesystem(body: &Map<String, Value>) -> Result<Filesystem, ApiError> {
    let name = match body.get("filesystem") {
        None | Some(Value::Null) => "",
        Some(Value::String(name)) => name.as_str(),
        Some(_) => return Err(ApiError::bad_request(LOAD_FAILED)),
    };
    let error = match name {
        "storage" => return Ok(Filesystem::Storage),
        "backups" => return Ok(Filesystem::Backups),
        "" => FieldError::required(),
        _ => FieldError::new("validation_in_invalid", "Must be a valid value."),
    };
    Err(ApiError::validation(
        FAILED,
        &ValidationErrors::single("filesystem", error),
    ))
}

/// The enabled S3 settings of `filesystem` in the stored settings document, if any.
pub fn config_of(settings: &Value, filesystem: Filesystem) -> Option<S3Config> {
    match filesystem {
        Filesystem::Storage => S3Config::from_settings(settings),
        Filesystem::Backups => S3Config::from_settings(&settings["backups"]),
    }
}

/// PocketBase's wording for an error raised below the form: the raw error on its own line.
fn raw_failure(error: &str) -> ApiError {
    let mut message = format!("{FAILED} Raw error: \n{error}");
    if !message.ends_with(['.', '!', '?']) {
        message.push('.');
    }
    ApiError::bad_request(message)
}

/// A client for `config` that gives up quickly.
///
/// The endpoint (with the bucket as first host label unless path style is forced) must parse
/// as a URL first: the S3 client panics on one that does not (e.g. `bucket.127.0.0.1`).
fn probe_client(config: &S3Config) -> Result<Arc<dyn ObjectStore>, String> {
    let endpoint = config.client_endpoint();
    if let Err(error) = url::Url::parse(&endpoint) {
        return Err(format!("invalid S3 endpoint {endpoint:?}: {error}"));
    }
    let retry = RetryConfig {
        max_retries: 0,
        retry_timeout: REQUEST_TIMEOUT,
        ..RetryConfig::default()
    };
    let options = ClientOptions::new()
        .with_allow_http(true)
        .with_connect_timeout(CONNECT_TIMEOUT)
        .with_timeout(REQUEST_TIMEOUT);
    s3_builder(config)
        .with_retry(retry)
        .with_client_options(options)
        .build()
        .map(|store| Arc::new(store) as Arc<dyn ObjectStore>)
        .map_err(|error| format!("failed to initialize the S3 client: {error}"))
}

/// Writes, lists and deletes a test object; the first failure is described.
async fn probe(store: Arc<dyn ObjectStore>) -> Result<(), String> {
    let prefix = format!("pb_settings_test_{}", random_string(5, LOWER_ALPHANUMERIC));
    let key = ObjectPath::from(format!("{prefix}/test.txt"));
    store
        .put(&key, PutPayload::from_static(b"test"))
        .await
        .map_err(|error| format!("failed to upload a test file: [key: {key}] {error}"))?;
    let listed: Vec<_> = store
        .list(Some(&ObjectPath::from(prefix.as_str())))
        .try_collect()
        .await
        .map_err(|error| format!("failed to list the test folder: {error}"))?;
    if !listed.iter().any(|object| object.location == key) {
        return Err(format!(
            "the uploaded test file {key} is missing from the bucket listing"
        ));
    }
    for object in listed {
        store
            .delete(&object.location)
            .await
            .map_err(|error| format!("failed to delete a test file: {error}"))?;
    }
    Ok(())
}

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let token = bearer_token(&request);
    let body = read_object(&request, payload).await;
    let state = Arc::clone(&state.into_inner());
    let settings = run_blocking(move || {
        txn::read(state.store.as_ref(), "", |tx| {
            require_superuser(tx, &state.schema(), token.as_deref())?;
            Ok(tx.get_param(SETTINGS_KEY)?)
        })
    })
    .await?;
    let body = body.map_err(|error| error.reword_malformed(LOAD_FAILED))?;
    let filesystem = parse_filesystem(&body)?;
    let config = settings
        .as_ref()
        .and_then(|settings| config_of(settings, filesystem))
        .ok_or_else(|| raw_failure("S3 storage filesystem is not enabled."))?;
    let store = probe_client(&config).map_err(|error| raw_failure(&error))?;
    // A panic inside the S3 client must not take the request (or the worker) down with it.
    let outcome = AssertUnwindSafe(probe(store)).catch_unwind().await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return Err(raw_failure(&error)),
        Err(_) => return Err(raw_failure("the S3 client failed unexpectedly")),
    }
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn the_filesystem_is_required_and_one_of_two() {
        let missing = parse_filesystem(&body(json!({}))).unwrap_err();
        assert_eq!(missing.message, FAILED);
        assert_eq!(
            missing.data,
            json!({"filesystem": {"code": "validation_required", "message": "Cannot be blank."}})
        );
        let other = parse_filesystem(&body(json!({"filesystem": "x"}))).unwrap_err();
        assert_eq!(other.data["filesystem"]["code"], "validation_in_invalid");
        let number = parse_filesystem(&body(json!({"filesystem": 1}))).unwrap_err();
        assert_eq!(number.message, LOAD_FAILED);
        assert_eq!(
            parse_filesystem(&body(json!({"filesystem": "backups"}))).unwrap(),
            Filesystem::Backups
        );
    }

    #[test]
    fn each_filesystem_reads_its_own_section() {
        let settings = json!({
            "s3": {"enabled": true, "bucket": "files"},
            "backups": {"s3": {"enabled": false, "bucket": "dumps"}},
        });
        assert_eq!(
            config_of(&settings, Filesystem::Storage).unwrap().bucket,
            "files"
        );
        assert!(config_of(&settings, Filesystem::Backups).is_none());
    }

    #[test]
    fn an_endpoint_that_is_no_url_is_refused_before_any_request() {
        let config = S3Config {
            bucket: "bucket".into(),
            region: "us-east-1".into(),
            endpoint: "http://127.0.0.1:9000".into(),
            access_key: "key".into(),
            secret: "secret".into(),
            force_path_style: false,
        };
        let error = probe_client(&config).err().unwrap();
        assert!(error.starts_with("invalid S3 endpoint"), "{error}");
        let path_style = S3Config {
            force_path_style: true,
            ..config
        };
        assert!(probe_client(&path_style).is_ok());
    }

    #[test]
    fn the_not_enabled_message_matches_pocketbase() {
        assert_eq!(
            raw_failure("S3 storage filesystem is not enabled.").message,
            "Failed to test the S3 filesystem. Raw error: \nS3 storage filesystem is not enabled."
        );
    }
}
