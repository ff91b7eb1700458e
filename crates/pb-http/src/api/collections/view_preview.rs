//! `POST /api/collections/meta/view-preview` (superusers only; not in PocketBase): what a view
//! collection with the posted `viewQuery` would hold — the fields inferred from the query and
//! its first rows — without creating anything. The dashboard's view query editor shows it
//! while the query is typed.
//!
//! The fields are inferred on the writer (a temporary view, dropped at once; the query is
//! compiled, not run), the rows are read on a reader, so a slow query never holds up writes. A
//! query SQLite rejects answers 400 with `viewQuery` worded as a failed save words it.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::{CoreError, FieldError, StoreError, ValidationErrors};
use serde_json::{json, Value};

use super::save;
use crate::api::superuser::ensure_superuser;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::txn::{self, Failure};

const FAILED: &str = "Failed to preview the view query.";
/// Rows shown at most.
const PREVIEW_ROWS: u64 = 10;

/// A rejected query as the `viewQuery` error of a validation failure.
fn query_failure(error: StoreError) -> Failure {
    match error {
        StoreError::InvalidStatement(reason) => {
            let mut errors = ValidationErrors::new();
            errors.add("viewQuery", save::invalid_view_query(&reason));
            Failure::Core(CoreError::Validation(errors))
        }
        other => Failure::from(other),
    }
}

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let token = bearer_token(&request);
    let state = Arc::clone(&state.into_inner());
    ensure_superuser(&state, token).await?;
    let body = read_object(&request, payload).await?;
    let query = body
        .get("viewQuery")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let answer = run_blocking(move || {
        if query.trim().is_empty() {
            let mut errors = ValidationErrors::new();
            errors.add("viewQuery", FieldError::required());
            return Err(ApiError::validation(FAILED, &errors));
        }
        let store = state.store.as_ref();
        let fields = txn::write(store, FAILED, |tx| {
            tx.infer_view_fields(&query).map_err(query_failure)
        })?;
        let rows = txn::read(store, FAILED, |tx| {
            tx.preview_view_rows(&query, &fields, PREVIEW_ROWS)
                .map_err(query_failure)
        })?;
        Ok(json!({
            "fields": fields
                .iter()
                .map(|field| json!({"name": field.name, "type": field.type_name()}))
                .collect::<Vec<_>>(),
            "items": rows
                .into_iter()
                .map(|row| Value::Object(row.values))
                .collect::<Vec<_>>(),
        }))
    })
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}
