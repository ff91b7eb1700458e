//! `PATCH /api/collections/{collection}/records/{id}`: reads the stored record, applies the body
//! (plain values and `+`/`-` modifiers) and writes it back, all inside one write transaction on
//! the single writer, so concurrent `views+` requests never lose an increment.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::validate::record::{prepare_update, Actor};
use pb_core::CoreError;

use super::write_checks::{check_relations, unique_to_validation};
use super::RecordsContext;
use crate::access::{rule_access, RuleAccess};
use crate::auth::password::Hasher;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::output::render_record;
use crate::query::QueryParams;
use crate::state::AppState;
use crate::txn;

/// The message of every failed update.
pub const FAILED: &str = "Failed to update record.";

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let params = QueryParams::output_only(&request);
    let token = bearer_token(&request);
    let (collection_name, record_id) = path.into_inner();
    let input = read_object(&request, payload).await?;
    let state = Arc::clone(&state.into_inner());
    let body = run_blocking(move || {
        txn::write(state.store.as_ref(), FAILED, |tx| {
            let context =
                RecordsContext::load(tx, state.schema(), &collection_name, token.as_deref())
                    .map_err(super::reword_missing_collection)?;
            if context.collection.is_view() {
                return Err(ApiError::bad_request("Unsupported collection type.").into());
            }
            if rule_access(&context.collection.update_rule, context.auth.as_ref())?
                == RuleAccess::Nothing
            {
                return Err(ApiError::not_found().into());
            }
            let current = tx
                .find_record(&context.collection, &record_id)?
                .ok_or_else(ApiError::not_found)?;
            let actor = Actor {
                is_superuser: context.is_superuser(),
                is_manager: context.is_superuser(),
                hasher: &Hasher,
            };
            let now = pb_core::datetime::now();
            let prepared = prepare_update(&context.collection, &current, &input, &actor, &now)
                .map_err(CoreError::Validation)?;
            check_relations(tx, &context.schema, &prepared.relation_checks)?;
            tx.update_record(&context.collection, &prepared.record)
                .map_err(|error| unique_to_validation(&context.collection, error))?;
            Ok(render_record(
                tx,
                &context.schema,
                &context.collection,
                &prepared.record,
                context.auth.as_ref(),
                &params,
            )?)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}
