//! `GET /api/logs`: a page of logs (`page`, `perPage`, `sort`, `filter`, `skipTotal`,
//! `fields`), in insertion order unless sorted. Any bad param is a generic 400.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::ports::RecordQuery;
use pb_rules::{CompileOptions, RequestInfo};
use serde_json::{json, Value};

use crate::api::superuser::ensure_superuser;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;
use crate::state::AppState;

pub async fn handle(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    let state = Arc::clone(&state.into_inner());
    ensure_superuser(&state, bearer_token(&request)).await?;
    let params = QueryParams::from_request(&request)?;
    let log_store = super::log_store(&state)?;
    let collection = pb_core::logs::logs_collection();
    let no_collections: Vec<pb_core::Collection> = Vec::new();
    let compiled = pb_rules::compile_list_query(
        "",
        &params.filter,
        &params.sort,
        &collection,
        &no_collections,
        &RequestInfo::default(),
        &CompileOptions::filter_param(true),
    )
    .map_err(|error| {
        tracing::debug!(%error, "logs filter refused");
        ApiError::generic_bad_request()
    })?;
    let query = RecordQuery {
        filter: (compiled.filter.sql != "1=1").then_some(compiled.filter),
        order: compiled.order,
        limit: Some(params.per_page),
        offset: (params.page - 1) * params.per_page,
        ..RecordQuery::default()
    };
    let skip_total = params.skip_total;
    let (items, total) = run_blocking(move || {
        super::store_queued_logs(&state);
        let items = log_store.list(&query).map_err(|error| bad_query(&error))?;
        let total = if skip_total {
            0
        } else {
            log_store.count(&query).map_err(|error| bad_query(&error))?
        };
        Ok((items, total))
    })
    .await?;
    let items: Vec<Value> = items
        .iter()
        .map(|entry| crate::fields::pick(entry.to_json(), &params.fields))
        .collect();
    let (total_items, total_pages) = if params.skip_total {
        (-1, -1)
    } else {
        let total = i64::try_from(total).unwrap_or(i64::MAX);
        let per_page = i64::try_from(params.per_page).unwrap_or(1);
        (total, (total + per_page - 1) / per_page)
    };
    Ok(HttpResponse::Ok().json(json!({
        "items": items,
        "page": params.page,
        "perPage": params.per_page,
        "totalItems": total_items,
        "totalPages": total_pages,
    })))
}

/// A query the database refused (a filter naming a table `auxiliary.db` lacks, …) is the
/// client's mistake: a generic 400, as PocketBase answers.
fn bad_query(error: &pb_core::StoreError) -> ApiError {
    tracing::debug!(%error, "logs query failed");
    ApiError::generic_bad_request()
}
