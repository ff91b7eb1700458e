//! `PUT /api/collections/import`: creates or updates many collections at once, all or nothing;
//! with `deleteMissing` every non-system collection left out is deleted.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::{Collection, CoreError, FieldError, ValidationErrors};
use serde_json::Value;

use super::save;
use crate::api::superuser::require_superuser;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::txn::{self, Failure};

const FAILED: &str = "Failed to import collections.";

fn import_failure() -> Failure {
    Failure::Api(ApiError::validation(
        FAILED,
        &ValidationErrors::single(
            "collections",
            FieldError::new(
                "validation_collections_import_failure",
                "Failed to import the collections configuration.",
            ),
        ),
    ))
}

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let token = bearer_token(&request);
    let body = read_object(&request, payload).await?;
    let state = Arc::clone(&state.into_inner());
    run_blocking(move || {
        let items = match body.get("collections") {
            Some(Value::Array(items)) if !items.is_empty() => items.clone(),
            _ => {
                return Err(ApiError::validation(
                    FAILED,
                    &ValidationErrors::single("collections", FieldError::required()),
                ));
            }
        };
        let delete_missing = body
            .get("deleteMissing")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let all = txn::write(state.store.as_ref(), FAILED, |tx| {
            require_superuser(tx, &state.schema(), token.as_deref())?;
            let existing = tx.collections()?;
            let mut planned: Vec<(Collection, Option<Collection>)> = Vec::new();
            for item in &items {
                let old = find_existing(&existing, item);
                let mut collection =
                    save::build(item, old.as_ref(), FAILED).map_err(|_| import_failure())?;
                if old.is_none() {
                    save::make_generated_id_unique(&mut collection, item, &existing);
                }
                planned.push((collection, old));
            }
            let mut combined: Vec<Collection> = existing
                .iter()
                .filter(|c| !planned.iter().any(|(p, _)| p.id == c.id))
                .cloned()
                .collect();
            combined.extend(planned.iter().map(|(collection, _)| collection.clone()));
            for (collection, old) in &planned {
                let others: Vec<Collection> = combined
                    .iter()
                    .filter(|c| c.id != collection.id)
                    .cloned()
                    .collect();
                save::check(collection, old.as_ref(), &others).map_err(|_| import_failure())?;
            }
            for (collection, old) in &planned {
                save::store(tx, collection, old.as_ref()).map_err(|failure| match failure {
                    Failure::Core(CoreError::Validation(_)) => import_failure(),
                    other => other,
                })?;
            }
            let mut deleted = Vec::new();
            if delete_missing {
                for collection in existing
                    .iter()
                    .filter(|c| !c.system && !planned.iter().any(|(p, _)| p.id == c.id))
                {
                    tx.delete_collection(collection)?;
                    deleted.push(collection);
                }
            }
            // Journaled in the order the transaction made the changes.
            let all = tx.collections()?;
            for (collection, old) in &planned {
                let saved = all.iter().find(|c| c.id == collection.id);
                super::journal::record(&state, tx, old.as_ref(), saved)?;
            }
            for collection in deleted {
                super::journal::record(&state, tx, Some(collection), None)?;
            }
            Ok(all)
        })?;
        state.replace_schema(all);
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn find_existing(existing: &[Collection], item: &Value) -> Option<Collection> {
    let id = item.get("id").and_then(Value::as_str).unwrap_or("");
    let name = item.get("name").and_then(Value::as_str).unwrap_or("");
    existing
        .iter()
        .find(|c| !id.is_empty() && c.id == id)
        .or_else(|| {
            existing
                .iter()
                .find(|c| !name.is_empty() && c.name.eq_ignore_ascii_case(name))
        })
        .cloned()
}
