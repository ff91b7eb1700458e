//! `GET /api/files/{collection}/{recordId}/{filename}`: a file of a record, streamed from
//! storage, with `Range` support, `?download=1` for an attachment and `?thumb=WxH[t|b|f]` for a
//! thumb of an image (`100x100` and the field's `thumbs` sizes; other sizes get the original).
//!
//! Who may download, as in PocketBase: files of unprotected fields are public to anyone with
//! the URL (no rule is checked — the names are unguessable). For a `protected` field the
//! collection's view rule must let the record through for the auth of `?token=` (a file token
//! from `POST /api/files/token`); the `Authorization` header is ignored, a missing or invalid
//! token means a guest, and `@request.context` is `protectedFile`. Every refusal is a 404, like
//! a missing file.

use std::io::Read;
use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::field::{FieldKind, FileOptions};
use pb_core::files::thumb::{self, ThumbSize};
use pb_core::files::{file_key, mime, names_in_value, thumb_key};
use pb_core::ports::{FileStore, StoreTx};
use pb_core::{Collection, Record};
use serde_json::Map;

use crate::access::{record_in_reach, rule_access, RuleScope};
use crate::auth::record_tokens::{find_record_by_token, TokenType};
use crate::auth::request_auth::AuthContext;
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::files::serve::{Conditions, ServedFile};
use crate::files::thumbs::make_thumb;
use crate::request_info::RequestParts;
use crate::state::{AppState, Schema};
use crate::txn::{self, Failure};

/// What the query string asks for.
struct FileQuery {
    thumb: String,
    download: bool,
    token: String,
}

impl FileQuery {
    fn from_request(request: &HttpRequest) -> FileQuery {
        let pairs = crate::query::pairs(request);
        let value = |key: &str| {
            pairs
                .iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.clone())
                .unwrap_or_default()
        };
        FileQuery {
            thumb: value("thumb"),
            download: matches!(
                value("download").as_str(),
                "1" | "t" | "T" | "TRUE" | "true" | "True"
            ),
            token: value("token"),
        }
    }
}

/// The file a request names, once found and allowed.
struct Located {
    store: Arc<dyn FileStore>,
    collection_id: String,
    record_id: String,
    filename: String,
    options: FileOptions,
}

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    let (collection_name, record_id, filename) = path.into_inner();
    let query = FileQuery::from_request(&request);
    let parts = RequestParts::from_request(&request);
    let conditions = Conditions::from_request(&request);
    let state = Arc::clone(&state.into_inner());
    let prepared = run_blocking(move || {
        let located = txn::read(
            state.store.as_ref(),
            crate::error::GENERIC_BAD_REQUEST,
            |tx| {
                locate(
                    tx,
                    &state,
                    &parts,
                    &collection_name,
                    &record_id,
                    &filename,
                    &query.token,
                )
            },
        )?;
        let served = choose_variant(&state, &located, &query)?;
        served.prepare(&conditions)
    })
    .await?;
    Ok(prepared.into_response())
}

/// Finds the collection, record and file field, and checks access to protected files.
fn locate(
    tx: &mut dyn StoreTx,
    state: &AppState,
    parts: &RequestParts,
    collection_name: &str,
    record_id: &str,
    filename: &str,
    token: &str,
) -> Result<Located, Failure> {
    let schema = state.schema();
    let collection = schema
        .find(collection_name)
        .ok_or_else(ApiError::missing_or_invalid_collection)?;
    let record = tx
        .find_record(&collection, record_id)?
        .ok_or_else(ApiError::not_found)?;
    let options =
        file_options_naming(&collection, &record, filename).ok_or_else(ApiError::not_found)?;
    if options.protected && !may_see_protected(tx, &schema, &collection, record_id, parts, token)? {
        return Err(ApiError::not_found().into());
    }
    Ok(Located {
        store: state.files.current(tx)?,
        collection_id: collection.id.clone(),
        record_id: record_id.to_string(),
        filename: filename.to_string(),
        options,
    })
}

/// The options of the file field of `record` whose value holds `filename`.
fn file_options_naming(
    collection: &Collection,
    record: &Record,
    filename: &str,
) -> Option<FileOptions> {
    collection
        .fields
        .iter()
        .find_map(|field| match &field.kind {
            FieldKind::File(options)
                if record.get(&field.name).is_some_and(|value| {
                    names_in_value(value).iter().any(|name| name == filename)
                }) =>
            {
                Some(options.clone())
            }
            _ => None,
        })
}

/// Whether the view rule lets the record through for the auth of the file token.
fn may_see_protected(
    tx: &mut dyn StoreTx,
    schema: &Arc<Schema>,
    collection: &Collection,
    record_id: &str,
    parts: &RequestParts,
    token: &str,
) -> Result<bool, Failure> {
    let auth = if token.is_empty() {
        None
    } else {
        find_record_by_token(tx, schema, token, TokenType::File)?
            .map(|(collection, record, _)| AuthContext { collection, record })
    };
    let info = parts.info(auth.as_ref(), Map::new(), "protectedFile");
    let scope = RuleScope {
        schema,
        auth: auth.as_ref(),
        request: &info,
    };
    match rule_access(&collection.view_rule, collection, &scope) {
        Ok(access) => record_in_reach(tx, collection, record_id, &access),
        Err(_) => Ok(false),
    }
}

/// The original or, when asked for and possible, a thumb of it (made on first request).
fn choose_variant(
    state: &AppState,
    located: &Located,
    query: &FileQuery,
) -> Result<ServedFile, ApiError> {
    let original_key = file_key(
        &located.collection_id,
        &located.record_id,
        &located.filename,
    );
    let original = located
        .store
        .stat(&original_key)
        .map_err(storage_failed)?
        .ok_or_else(ApiError::not_found)?;
    let content_type = match original.content_type.clone() {
        Some(content_type) => content_type,
        None => detect_type(located.store.as_ref(), &original_key, original.size)?,
    };
    let served_type = mime::served_type_override(&located.filename)
        .map(str::to_string)
        .unwrap_or_else(|| content_type.clone());
    let mut served = ServedFile {
        store: Arc::clone(&located.store),
        key: original_key.clone(),
        size: original.size,
        modified: original.modified,
        content_type: served_type,
        filename: located.filename.clone(),
        attachment: query.download,
    };
    let wants_thumb = !query.thumb.is_empty()
        && thumb::is_allowed(&query.thumb, &located.options.thumbs)
        && mime::is_thumbable(&content_type);
    if !wants_thumb {
        return Ok(served);
    }
    let Some(size) = ThumbSize::parse(&query.thumb) else {
        return Ok(served);
    };
    let key = thumb_key(
        &located.collection_id,
        &located.record_id,
        &located.filename,
        &query.thumb,
    );
    let thumb_name = format!("{}_{}", query.thumb, located.filename);
    let mut stored = located.store.stat(&key).map_err(storage_failed)?;
    if stored.is_none() {
        let _one_at_a_time = state.files.thumb_lock();
        stored = located.store.stat(&key).map_err(storage_failed)?;
        if stored.is_none() {
            match make_thumb(
                located.store.as_ref(),
                &original_key,
                &content_type,
                &size,
                &key,
                &thumb_name,
            ) {
                Ok(()) => stored = located.store.stat(&key).map_err(storage_failed)?,
                Err(reason) => {
                    tracing::debug!(%reason, key, "no thumb; serving the original");
                }
            }
        }
    }
    if let Some(thumb) = stored {
        served.key = key;
        served.size = thumb.size;
        served.modified = thumb.modified;
        served.filename = thumb_name;
    }
    Ok(served)
}

/// The type of a stored file that has none recorded (written by another tool): detected from
/// its first bytes.
fn detect_type(store: &dyn FileStore, key: &str, size: u64) -> Result<String, ApiError> {
    let head_length = size.min(mime::HEAD_LENGTH as u64);
    let content = store
        .open(key, Some(0..head_length))
        .map_err(storage_failed)?
        .ok_or_else(ApiError::not_found)?;
    let mut head = Vec::new();
    content
        .reader
        .take(head_length)
        .read_to_end(&mut head)
        .map_err(|error| {
            storage_failed(pb_core::ports::FileStoreError::Backend(error.to_string()))
        })?;
    Ok(mime::detect(&head).to_string())
}

fn storage_failed(error: pb_core::ports::FileStoreError) -> ApiError {
    tracing::error!(%error, "file storage failed");
    ApiError::internal()
}
