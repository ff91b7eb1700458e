//! `GET /api/collections`: a page of collection definitions.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::api::superuser::require_superuser;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;
use crate::state::AppState;
use crate::txn;

pub async fn handle(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    let params = QueryParams::from_request(&request)?;
    let token = bearer_token(&request);
    let state = Arc::clone(&state.into_inner());
    let body = run_blocking(move || {
        let schema = state.schema();
        txn::read(state.store.as_ref(), "", |tx| {
            require_superuser(tx, &schema, token.as_deref())?;
            Ok(())
        })?;
        if !params.filter.trim().is_empty() {
            // Filters compile with the rule language, which lands with its own issue.
            return Err(ApiError::generic_bad_request());
        }
        let mut collections: Vec<Value> = schema
            .all()
            .iter()
            .map(|collection| collection.to_api_json())
            .collect();
        sort_collections(&mut collections, &params.sort)?;
        let total = collections.len() as u64;
        let start = ((params.page - 1) * params.per_page).min(total) as usize;
        let end = (start as u64 + params.per_page).min(total) as usize;
        let items: Vec<Value> = collections[start..end]
            .iter()
            .cloned()
            .map(|item| crate::fields::pick(item, &params.fields))
            .collect();
        let (total_items, total_pages) = if params.skip_total {
            (-1i64, -1i64)
        } else {
            (total as i64, total.div_ceil(params.per_page) as i64)
        };
        Ok(
            json!({"items": items, "page": params.page, "perPage": params.per_page,
                  "totalItems": total_items, "totalPages": total_pages}),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Sorts by the collection keys PocketBase allows (`id,name,type,system,created,updated`).
fn sort_collections(collections: &mut [Value], sort: &str) -> Result<(), ApiError> {
    let terms: Vec<(String, bool)> = sort
        .split(',')
        .map(str::trim)
        .filter(|term| !term.is_empty())
        .map(|term| match term.strip_prefix('-') {
            Some(name) => (name.to_string(), true),
            None => (term.trim_start_matches('+').to_string(), false),
        })
        .collect();
    for (name, _) in &terms {
        if !["id", "name", "type", "system", "created", "updated"].contains(&name.as_str()) {
            return Err(ApiError::generic_bad_request());
        }
    }
    collections.sort_by(|left, right| {
        for (name, descending) in &terms {
            let ordering = compare(&left[name], &right[name]);
            let ordering = if *descending {
                ordering.reverse()
            } else {
                ordering
            };
            if ordering != std::cmp::Ordering::Equal {
                return ordering;
            }
        }
        std::cmp::Ordering::Equal
    });
    Ok(())
}

fn compare(left: &Value, right: &Value) -> std::cmp::Ordering {
    match (left, right) {
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        _ => left
            .as_str()
            .unwrap_or("")
            .cmp(right.as_str().unwrap_or("")),
    }
}
