//! `POST /api/batch`: record creates, updates, upserts and deletes in one transaction, all or
//! nothing. Each item runs with its own rules and the outer request's auth (or its own
//! `Authorization` header); the first failure rolls everything back and is reported inside a
//! 400 "Batch transaction failed.". Off until the settings' batch section enables it.
//!
//! A multipart batch (the JS SDK's `pb.createBatch()` with files) carries the requests in a
//! `@jsonPayload` part and each item's files in parts named `requests.N.<field>` or
//! `requests[N].<field>`. Files are stored inside the transaction before it commits and deleted
//! again if it fails; files the batch replaces or whose records it deletes go after the commit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::files::has_file_fields;
use pb_core::ports::{RecordEvent, StoreTx};
use pb_core::settings::{defaults, SETTINGS_KEY};
use pb_core::validate::record::UploadedFile;
use pb_core::{FieldError, ValidationErrors};
use serde_json::{json, Map, Value};

use crate::api::records::RecordsContext;
use crate::auth::password::{hasher_of, Prehashed};
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::body::read_form;
use crate::error::{ApiError, ApiResult};
use crate::files::{SpooledUpload, StagedFiles};
use crate::output::render_record;
use crate::query::QueryParams;
use crate::rate_limit::sub_request::{check_batch_item, BatchItemRequest};
use crate::records_service::{self, apply_create, plan_create};
use crate::request_info::RequestParts;
use crate::state::AppState;
use crate::txn::{self, Failure};

const TRANSACTION_FAILED: &str = "Batch transaction failed.";
const INVALID_DATA: &str = "Invalid batch request data.";

/// The batch section of the settings.
struct BatchSettings {
    enabled: bool,
    max_requests: usize,
    timeout: Duration,
    /// `maxBodySize`, or 128 MiB when 0.
    max_body_size: usize,
}

/// The body limit of a batch whose settings say 0.
const DEFAULT_MAX_BODY_SIZE: usize = 128 << 20;

/// Renders a written record as the item's answer body.
type RenderFn<'a> = dyn Fn(&mut dyn StoreTx, &pb_core::Record, &pb_rules::RequestInfo) -> Result<Value, Failure>
    + 'a;

/// One sub-request, as sent.
struct Item {
    method: String,
    url: String,
    body: Map<String, Value>,
    headers: Map<String, Value>,
    /// Its uploaded files (indexes into the batch's uploads).
    uploads: Vec<usize>,
    /// The new password its body sets, hashed before the batch's transaction begins.
    password: Option<Prehashed>,
}

/// The uploads of a batch and the files its writes store and delete.
struct BatchFiles {
    uploads: Vec<SpooledUpload>,
    staged: StagedFiles,
    /// Realtime events of the writes, in order, published once the batch commits.
    events: Vec<BatchEvent>,
}

/// A realtime event held back until the batch commits.
enum BatchEvent {
    Created(pb_core::Record),
    Updated(pb_core::Record),
    /// Delete events are judged inside the transaction, while the rows still exist.
    Deleted(crate::realtime::PendingCascade),
}

/// What an item asks for, once its URL is understood.
enum Action {
    Create { collection: String },
    Upsert { collection: String },
    Update { collection: String, id: String },
    Delete { collection: String, id: String },
}

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let parts = RequestParts::from_request(&request);
    let token = bearer_token(&request);
    let state = Arc::clone(&state.into_inner());
    let client_ip = crate::client_ip::client_ip(
        request.headers(),
        request.peer_addr(),
        &state.ops.settings.get().trusted_proxy,
    );
    let settings = {
        let state = Arc::clone(&state);
        run_blocking(move || txn::read(state.store.as_ref(), "", |tx| batch_settings(tx))).await?
    };
    if !settings.enabled {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Batch requests are not allowed.",
        ));
    }
    let form = read_form(
        &request,
        payload,
        settings.max_body_size,
        &state.files.spool_dir(),
    )
    .await?;
    let mut items = parse_items(&form.object, settings.max_requests)?;
    let uploads = assign_uploads(form.uploads, &mut items);
    let responses = run_blocking(move || {
        let started = Instant::now();
        // Passwords are hashed ahead: argon2 inside the transaction would hold the one writer.
        let schema = state.schema();
        for item in &mut items {
            let collection = match action_of(&item.method, item.path_and_query().0) {
                Some(Action::Delete { .. }) | None => None,
                Some(action) => schema.find(action.collection()),
            };
            item.password = Prehashed::of_write(collection.as_deref(), &item.body);
        }
        let mut files = BatchFiles {
            uploads,
            staged: StagedFiles::default(),
            events: Vec::new(),
        };
        let outcome = txn::write(state.store.as_ref(), TRANSACTION_FAILED, |tx| {
            let mut responses = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                if started.elapsed() > settings.timeout {
                    return Err(ApiError::bad_request("Batch transaction timeout.").into());
                }
                let outcome = run_item(
                    tx,
                    &state,
                    (&parts, &client_ip),
                    token.as_deref(),
                    item,
                    &mut files,
                );
                match outcome {
                    Ok(response) => responses.push(response),
                    Err(error) => return Err(item_failed(index, error).into()),
                }
            }
            Ok(responses)
        });
        match outcome {
            Ok(responses) => {
                files.staged.committed_all();
                for event in files.events.drain(..) {
                    match event {
                        BatchEvent::Created(record) => {
                            state.broker.publish(RecordEvent::created(record))
                        }
                        BatchEvent::Updated(record) => {
                            state.broker.publish(RecordEvent::updated(record))
                        }
                        BatchEvent::Deleted(pending) => state.realtime.publish_cascade(pending),
                    }
                }
                Ok(responses)
            }
            Err(error) => {
                files.staged.discard();
                Err(error)
            }
        }
    })
    .await?;
    Ok(HttpResponse::Ok().json(Value::Array(responses)))
}

/// Gives each item the uploads named `requests.N.<field>` or `requests[N].<field>` (the key
/// becomes `<field>`); uploads naming no item are dropped.
fn assign_uploads(uploads: Vec<SpooledUpload>, items: &mut [Item]) -> Vec<SpooledUpload> {
    let mut kept = Vec::new();
    for mut upload in uploads {
        let Some((index, key)) = item_key(&upload.part_name) else {
            continue;
        };
        let Some(item) = items.get_mut(index) else {
            continue;
        };
        upload.file.key = key.to_string();
        item.uploads.push(kept.len());
        kept.push(upload);
    }
    kept
}

/// `requests.3.pics` and `requests[3].pics` are `(3, "pics")`.
fn item_key(part_name: &str) -> Option<(usize, &str)> {
    let rest = part_name.strip_prefix("requests")?;
    let (index, key) = if let Some(rest) = rest.strip_prefix('.') {
        rest.split_once('.')?
    } else {
        let rest = rest.strip_prefix('[')?;
        let (index, rest) = rest.split_once(']')?;
        (index, rest.strip_prefix('.')?)
    };
    let index = index.parse().ok()?;
    (!key.is_empty()).then_some((index, key))
}

fn batch_settings(tx: &mut dyn StoreTx) -> Result<BatchSettings, Failure> {
    let mut settings = defaults();
    if let Some(stored) = tx.get_param(SETTINGS_KEY)? {
        pb_core::json_merge::merge(&mut settings, &stored);
    }
    let batch = &settings["batch"];
    let timeout_seconds = batch["timeout"].as_u64().unwrap_or(3).max(1);
    let max_body_size = match batch["maxBodySize"].as_u64().unwrap_or(0) {
        0 => DEFAULT_MAX_BODY_SIZE,
        size => usize::try_from(size).unwrap_or(usize::MAX),
    };
    Ok(BatchSettings {
        enabled: batch["enabled"].as_bool().unwrap_or(false),
        max_requests: batch["maxRequests"].as_u64().unwrap_or(50) as usize,
        timeout: Duration::from_secs(timeout_seconds),
        max_body_size,
    })
}

fn invalid(error: FieldError) -> ApiError {
    ApiError::validation(INVALID_DATA, &ValidationErrors::single("requests", error))
}

fn parse_items(body: &Map<String, Value>, max_requests: usize) -> Result<Vec<Item>, ApiError> {
    let requests = match body.get("requests") {
        Some(Value::Array(requests)) if !requests.is_empty() => requests,
        _ => return Err(invalid(FieldError::required())),
    };
    if requests.len() > max_requests {
        return Err(invalid(
            FieldError::new(
                "validation_length_too_long",
                format!("The length must be no more than {max_requests}."),
            )
            .with_params(json!({"max": max_requests})),
        ));
    }
    Ok(requests
        .iter()
        .map(|request| Item {
            method: request["method"]
                .as_str()
                .unwrap_or("")
                .to_ascii_uppercase(),
            url: request["url"].as_str().unwrap_or("").to_string(),
            body: request["body"].as_object().cloned().unwrap_or_default(),
            headers: request["headers"].as_object().cloned().unwrap_or_default(),
            uploads: Vec::new(),
            password: None,
        })
        .collect())
}

impl Item {
    /// The path and the query of its URL.
    fn path_and_query(&self) -> (&str, &str) {
        self.url.split_once('?').unwrap_or((self.url.as_str(), ""))
    }
}

impl Action {
    /// The collection (name or id) the action writes to.
    fn collection(&self) -> &str {
        match self {
            Action::Create { collection }
            | Action::Upsert { collection }
            | Action::Update { collection, .. }
            | Action::Delete { collection, .. } => collection,
        }
    }
}

/// Understands `…/records` and `…/records/{id}` URLs with the methods batch allows.
fn action_of(method: &str, path: &str) -> Option<Action> {
    let rest = path.strip_prefix("/api/collections/")?;
    let segments: Vec<&str> = rest.split('/').collect();
    match (method, segments.as_slice()) {
        ("POST", [collection, "records"]) => Some(Action::Create {
            collection: (*collection).into(),
        }),
        ("PUT", [collection, "records"]) => Some(Action::Upsert {
            collection: (*collection).into(),
        }),
        ("PATCH", [collection, "records", id]) if !id.is_empty() => Some(Action::Update {
            collection: (*collection).into(),
            id: (*id).into(),
        }),
        ("DELETE", [collection, "records", id]) if !id.is_empty() => Some(Action::Delete {
            collection: (*collection).into(),
            id: (*id).into(),
        }),
        _ => None,
    }
}

/// Runs one item inside the batch transaction; its answer as `{status, body}`.
fn run_item(
    tx: &mut dyn StoreTx,
    state: &AppState,
    (outer, client_ip): (&RequestParts, &str),
    outer_token: Option<&str>,
    item: &Item,
    files: &mut BatchFiles,
) -> Result<Value, ApiError> {
    let (path, query) = item.path_and_query();
    let action = action_of(&item.method, path).ok_or_else(ApiError::generic_bad_request)?;
    let parts = outer.sub_request(&item.method, query, &item.headers);
    let mut params = QueryParams::from_query_string(query);
    params.expand_all = state.options.expand_all;
    let token = item
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, value)| value.as_str())
        .map(crate::auth::request_auth::strip_bearer)
        .or_else(|| outer_token.map(str::to_string));
    let collection_name = action.collection();
    let message = match &action {
        Action::Create { .. } | Action::Upsert { .. } => records_service::CREATE_FAILED,
        Action::Update { .. } => records_service::UPDATE_FAILED,
        Action::Delete { .. } => records_service::DELETE_FAILED,
    };
    let to_api = |failure: Failure| match failure {
        Failure::Api(error) => error,
        Failure::Core(error) => ApiError::from_core(error, message),
    };
    let context = RecordsContext::load(tx, state.schema(), collection_name, token.as_deref())
        .map_err(to_api)?;
    let rate_limited = |method: &str, path: &str, action: &str| {
        check_batch_item(
            state,
            &BatchItemRequest {
                client_ip,
                collection: &context.collection,
                method,
                path,
                action,
                is_auth: context.auth.is_some(),
                is_superuser: context.is_superuser(),
            },
        )
    };
    let uploads: Vec<UploadedFile> = item
        .uploads
        .iter()
        .filter_map(|index| files.uploads.get(*index))
        .map(|upload| upload.file.clone())
        .collect();
    let render = |tx: &mut dyn StoreTx, record: &pb_core::Record, info: &pb_rules::RequestInfo| {
        render_record(
            tx,
            &context.schema,
            &context.collection,
            record,
            context.auth.as_ref(),
            info,
            &params,
        )
    };
    match action {
        Action::Upsert { .. } => {
            let id = item
                .body
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let exists = !id.is_empty()
                && tx
                    .find_record(&context.collection, &id)
                    .map_err(|e| to_api(e.into()))?
                    .is_some();
            if exists {
                rate_limited("PATCH", &format!("{path}/{id}"), "update")?;
                let mut body = item.body.clone();
                body.remove("id");
                let updated = records_service::update(
                    tx,
                    &context,
                    &parts,
                    &id,
                    &body,
                    &uploads,
                    "batch",
                    hasher_of(&item.password),
                )
                .map_err(to_api)?;
                stage_update(tx, state, &context, item, &updated, files).map_err(to_api)?;
                let rendered = render(tx, &updated.after, &updated.info).map_err(to_api)?;
                Ok(json!({"status": 200, "body": rendered}))
            } else {
                rate_limited("POST", path, "create")?;
                create_item(tx, state, &context, &parts, item, &uploads, files, &render)
                    .map_err(to_api)
            }
        }
        Action::Create { .. } => {
            rate_limited(&item.method, path, "create")?;
            create_item(tx, state, &context, &parts, item, &uploads, files, &render).map_err(to_api)
        }
        Action::Update { id, .. } => {
            rate_limited(&item.method, path, "update")?;
            let updated = records_service::update(
                tx,
                &context,
                &parts,
                &id,
                &item.body,
                &uploads,
                "batch",
                hasher_of(&item.password),
            )
            .map_err(to_api)?;
            stage_update(tx, state, &context, item, &updated, files).map_err(to_api)?;
            let rendered = render(tx, &updated.after, &updated.info).map_err(to_api)?;
            Ok(json!({"status": 200, "body": rendered}))
        }
        Action::Delete { id, .. } => {
            rate_limited(&item.method, path, "delete")?;
            let outcome =
                records_service::delete(tx, &context, &parts, &id, "batch").map_err(to_api)?;
            files.events.push(BatchEvent::Deleted(
                state
                    .realtime
                    .prepare_cascade(state.store.as_ref(), outcome.clone()),
            ));
            let owns_files = outcome.deleted.iter().any(|record| {
                context
                    .schema
                    .find_ref(&record.collection_id)
                    .is_some_and(has_file_fields)
            });
            if owns_files {
                ensure_store(tx, state, files).map_err(to_api)?;
                files
                    .staged
                    .delete_records_after_commit(&context.schema, &outcome.deleted);
            }
            Ok(json!({"status": 204, "body": null}))
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn create_item(
    tx: &mut dyn StoreTx,
    state: &AppState,
    context: &RecordsContext,
    parts: &RequestParts,
    item: &Item,
    uploads: &[UploadedFile],
    files: &mut BatchFiles,
    render: &RenderFn<'_>,
) -> Result<Value, Failure> {
    let plan = plan_create(
        context,
        parts,
        &item.body,
        uploads,
        "batch",
        hasher_of(&item.password),
    )?;
    if !plan.files().uploads.is_empty() {
        ensure_store(tx, state, files)?;
        let global = global_indexes(item, &plan.files().uploads);
        files
            .staged
            .write(
                &context.collection.id,
                plan.record().id(),
                &files.uploads,
                global,
            )
            .map_err(|error| error.reword_malformed(records_service::CREATE_FAILED))?;
    }
    let record = apply_create(tx, context, &plan)?;
    files.events.push(BatchEvent::Created(record.clone()));
    let rendered = render(tx, &record, &plan.info)?;
    Ok(json!({"status": 200, "body": rendered}))
}

/// Stores an updated record's new files (inside the batch transaction, before its commit) and
/// notes the files it no longer names for deletion after the commit.
fn stage_update(
    tx: &mut dyn StoreTx,
    state: &AppState,
    context: &RecordsContext,
    item: &Item,
    updated: &records_service::Updated,
    files: &mut BatchFiles,
) -> Result<(), Failure> {
    files
        .events
        .push(BatchEvent::Updated(updated.after.clone()));
    if updated.files.uploads.is_empty() && updated.files.removed.is_empty() {
        return Ok(());
    }
    ensure_store(tx, state, files)?;
    let record_id = updated.after.id();
    let global = global_indexes(item, &updated.files.uploads);
    files
        .staged
        .write(&context.collection.id, record_id, &files.uploads, global)
        .map_err(|error| error.reword_malformed(records_service::UPDATE_FAILED))?;
    files
        .staged
        .delete_after_commit(&context.collection.id, record_id, &updated.files.removed);
    Ok(())
}

/// The batch-wide indexes of an item's uploads `local`.
fn global_indexes(item: &Item, local: &[usize]) -> Vec<usize> {
    local
        .iter()
        .filter_map(|index| item.uploads.get(*index).copied())
        .collect()
}

/// Picks the file store (per the settings) the first time an item needs one.
fn ensure_store(
    tx: &mut dyn StoreTx,
    state: &AppState,
    files: &mut BatchFiles,
) -> Result<(), Failure> {
    if !files.staged.has_store() {
        files.staged.use_store(state.files.current(tx)?);
    }
    Ok(())
}

/// The batch error naming the failed item and carrying its own error response.
fn item_failed(index: usize, error: ApiError) -> ApiError {
    let mut data = Map::new();
    let mut requests = Map::new();
    requests.insert(
        index.to_string(),
        json!({"code": "batch_request_failed", "message": "Batch request failed.", "response": error.body()}),
    );
    data.insert("requests".into(), Value::Object(requests));
    ApiError {
        status: StatusCode::BAD_REQUEST,
        message: TRANSACTION_FAILED.into(),
        // PocketBase logs the batch's own error data (not the item's cause) as its details.
        details: Some(Box::new(Value::Object(data.clone()))),
        data: Value::Object(data),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_parts_name_their_item() {
        assert_eq!(item_key("requests.0.f"), Some((0, "f")));
        assert_eq!(item_key("requests[12].pics+"), Some((12, "pics+")));
        assert_eq!(item_key("requests.1.a.b"), Some((1, "a.b")));
        assert_eq!(item_key("requests.x.f"), None);
        assert_eq!(item_key("requests.1."), None);
        assert_eq!(item_key("other.0.f"), None);
        assert_eq!(item_key("requests[1]f"), None);
    }
}
