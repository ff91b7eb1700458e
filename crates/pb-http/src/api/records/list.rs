//! `GET /api/collections/{collection}/records`: a page of the records the list rule and the
//! `filter` param both match, sorted and paged.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::ports::{RecordQuery, StoreTx};
use pb_core::Record;
use pb_rules::{compile_list_query, CompileOptions};
use serde_json::{json, Map, Value};

use super::RecordsContext;
use crate::access::filter_error;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::output::render_records;
use crate::query::QueryParams;
use crate::request_info::RequestParts;
use crate::state::AppState;
use crate::txn::{self, Failure};

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let mut params = QueryParams::from_request(&request)?;
    params.expand_all = state.options.expand_all;
    let parts = RequestParts::from_request(&request);
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
                let is_superuser = context.is_superuser();
                let rule = if is_superuser {
                    ""
                } else {
                    context
                        .collection
                        .list_rule
                        .as_deref()
                        .ok_or_else(ApiError::superusers_only)?
                };
                let info = parts.info(context.auth.as_ref(), Map::new(), "default");
                let options = CompileOptions::filter_param(is_superuser);
                let compiled = compile_list_query(
                    rule,
                    &params.filter,
                    &params.sort,
                    &context.collection,
                    context.schema.as_ref(),
                    &info,
                    &options,
                )
                .map_err(filter_error)?;
                let filter = (compiled.filter.sql != "1=1").then_some(compiled.filter);
                let order = compiled.order;
                let query = RecordQuery {
                    filter,
                    order,
                    limit: Some(params.per_page),
                    offset: (params.page - 1) * params.per_page,
                    ..RecordQuery::default()
                };
                let (items, total) = list_and_count(tx, &context, &query, params.skip_total)?;
                let items: Vec<Value> = render_records(
                    tx,
                    &context.schema,
                    &context.collection,
                    &items,
                    context.auth.as_ref(),
                    &info,
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
    tx: &mut dyn StoreTx,
    context: &RecordsContext,
    query: &RecordQuery,
    skip_total: bool,
) -> Result<(Vec<Record>, u64), Failure> {
    let items = tx.list_records(&context.collection, query)?;
    let total = if skip_total {
        0
    } else {
        tx.count_records(&context.collection, query)?
    };
    Ok((items, total))
}
