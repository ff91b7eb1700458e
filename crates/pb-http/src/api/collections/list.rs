//! `GET /api/collections`: a page of collection definitions. `filter` and `sort` run through
//! the rule language against the `_collections` table itself (filterable: `id`, `name`, `type`,
//! `system`, `created`, `updated` and the rules), as in PocketBase.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::field::{BoolOptions, FieldKind, TextOptions};
use pb_core::ports::{RecordQuery, StoreTx};
use pb_core::{Collection, CollectionType, Field};
use pb_rules::{compile_filter, compile_sort, CompileOptions, RequestInfo};
use serde_json::{json, Value};

use crate::access::filter_error;
use crate::api::superuser::require_superuser;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::error::ApiResult;
use crate::query::QueryParams;
use crate::state::{AppState, Schema};
use crate::txn::{self, Failure};

pub async fn handle(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    let params = QueryParams::from_request(&request)?;
    let token = bearer_token(&request);
    let state = Arc::clone(&state.into_inner());
    let body = run_blocking(move || {
        let schema = state.schema();
        txn::read(
            state.store.as_ref(),
            crate::error::GENERIC_BAD_REQUEST,
            |tx| {
                require_superuser(tx, &schema, token.as_deref())?;
                let (ids, total) = matching_ids(tx, &schema, &params)?;
                let items: Vec<Value> = ids
                    .iter()
                    .filter_map(|id| schema.find(id))
                    .map(|collection| crate::fields::pick(collection.to_api_json(), &params.fields))
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
            },
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Ids of the collections on the requested page, in order, and the total that match.
fn matching_ids(
    tx: &mut dyn StoreTx,
    schema: &Schema,
    params: &QueryParams,
) -> Result<(Vec<String>, u64), Failure> {
    let table = collections_table();
    let lookup = vec![table.clone()];
    let options = CompileOptions::filter_param(true);
    let filter = if params.filter.trim().is_empty() {
        None
    } else {
        Some(
            compile_filter(
                &params.filter,
                &table,
                &lookup,
                &RequestInfo::default(),
                &options,
            )
            .map_err(filter_error)?,
        )
    };
    let order = compile_sort(&params.sort, &table, &lookup, &options).map_err(filter_error)?;
    let query = RecordQuery {
        filter,
        order,
        limit: Some(params.per_page),
        offset: (params.page - 1) * params.per_page,
        ..RecordQuery::default()
    };
    let rows = tx.list_records(&table, &query)?;
    let total = if params.skip_total {
        0
    } else {
        tx.count_records(&table, &query)?
    };
    let ids = rows
        .iter()
        .map(|row| row.id().to_string())
        .filter(|id| schema.find(id).is_some())
        .collect();
    Ok((ids, total))
}

/// The `_collections` table described as a collection, so filters compile against its columns.
fn collections_table() -> Collection {
    let text = |name: &str| Field::new(name, FieldKind::Text(TextOptions::default()));
    let mut fields = vec![Field::new(
        "id",
        FieldKind::Text(TextOptions {
            primary_key: true,
            ..TextOptions::default()
        }),
    )];
    fields.extend(["name", "type", "created", "updated"].map(text));
    fields.push(Field::new(
        "system",
        FieldKind::Bool(BoolOptions::default()),
    ));
    fields.extend(
        [
            "listRule",
            "viewRule",
            "createRule",
            "updateRule",
            "deleteRule",
        ]
        .map(text),
    );
    Collection {
        system: true,
        ..Collection::bare("_collections", CollectionType::Base, fields)
    }
}
