//! `GET /api/collections/{collection}/records`: a page of records the list rule lets through.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::ports::RecordQuery;
use serde_json::{json, Value};

use super::sort::parse_sort;
use super::RecordsContext;
use crate::access::{rule_access, RuleAccess};
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::output::render_records;
use crate::query::QueryParams;
use crate::state::AppState;
use crate::txn;

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let params = QueryParams::from_request(&request)?;
    let token = bearer_token(&request);
    let collection_name = path.into_inner();
    let state = Arc::clone(&state.into_inner());
    let body = run_blocking(move || {
        txn::read(
            state.store.as_ref(),
            crate::error::GENERIC_BAD_REQUEST,
            |tx| {
                let context =
                    RecordsContext::load(tx, state.schema(), &collection_name, token.as_deref())?;
                let access = rule_access(&context.collection.list_rule, context.auth.as_ref())?;
                if !params.filter.trim().is_empty() {
                    // Filters compile with the rule language; until it lands a filter is refused
                    // rather than ignored, which would return records the caller did not ask for.
                    return Err(ApiError::generic_bad_request().into());
                }
                let order = parse_sort(&context.collection, &params.sort, context.is_superuser())?;
                let mut query = RecordQuery {
                    order,
                    limit: Some(params.per_page),
                    offset: (params.page - 1) * params.per_page,
                    ..RecordQuery::default()
                };
                let (items, total) = match access {
                    RuleAccess::Nothing => (Vec::new(), 0),
                    RuleAccess::Matching(fragment) => {
                        query.filter = Some(fragment);
                        list_and_count(tx, &context, &query, params.skip_total)?
                    }
                    RuleAccess::All => list_and_count(tx, &context, &query, params.skip_total)?,
                };
                let items: Vec<Value> = render_records(
                    tx,
                    &context.schema,
                    &context.collection,
                    &items,
                    context.auth.as_ref(),
                    &params,
                )?;
                let (total_items, total_pages) = if params.skip_total {
                    (-1, -1)
                } else {
                    let total = total as i64;
                    let per_page = params.per_page as i64;
                    (total, (total + per_page - 1) / per_page)
                };
                Ok(json!({
                    "items": items,
                    "page": params.page,
                    "perPage": params.per_page,
                    "totalItems": total_items,
                    "totalPages": total_pages,
                }))
            },
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

fn list_and_count(
    tx: &mut dyn pb_core::ports::StoreTx,
    context: &RecordsContext,
    query: &RecordQuery,
    skip_total: bool,
) -> Result<(Vec<pb_core::Record>, u64), txn::Failure> {
    let items = tx.list_records(&context.collection, query)?;
    let total = if skip_total {
        0
    } else {
        tx.count_records(&context.collection, query)?
    };
    Ok((items, total))
}
