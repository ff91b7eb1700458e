//! `PATCH /api/collections/{collection}/records/{id}`: checks the update rule against the stored
//! record, applies the body (plain values and `+`/`-` modifiers) and writes it back, all inside
//! one write transaction on the single writer, so concurrent `views+` requests never lose an
//! increment.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::validate::record::{prepare_update, Actor};
use pb_core::CoreError;

use super::rule_body::rule_body;
use super::write_checks::{check_relations, unique_to_validation};
use super::RecordsContext;
use crate::access::{record_in_reach, rule_access, RuleAccess, RuleScope};
use crate::auth::password::Hasher;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::output::render_record;
use crate::query::QueryParams;
use crate::request_info::RequestParts;
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
    let parts = RequestParts::from_request(&request);
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
            if !context.is_superuser() && context.collection.update_rule.is_none() {
                return Err(ApiError::superusers_only().into());
            }
            let current = tx
                .find_record(&context.collection, &record_id)?
                .ok_or_else(ApiError::not_found)?;
            // The manager check needs the request as rules see it, which needs the prepared
            // record: prepare as a non-manager first only to shape the body.
            let shaping_actor = Actor {
                is_superuser: context.is_superuser(),
                is_manager: true,
                hasher: &Hasher,
            };
            let now = pb_core::datetime::now();
            let shaped =
                prepare_update(&context.collection, &current, &input, &shaping_actor, &now).ok();
            let body = rule_body(
                &context.collection,
                &input,
                shaped.as_ref().map(|prepared| &prepared.record),
                context.is_superuser(),
            );
            let info = parts.info(context.auth.as_ref(), body, "default");
            let scope = RuleScope {
                schema: &context.schema,
                auth: context.auth.as_ref(),
                request: &info,
            };
            let access = rule_access(&context.collection.update_rule, &context.collection, &scope)?;
            if !record_in_reach(tx, &context.collection, &record_id, &access)? {
                return Err(ApiError::not_found().into());
            }
            let is_manager =
                context.is_superuser() || is_manager(tx, &context, &record_id, &scope)?;
            let actor = Actor {
                is_superuser: context.is_superuser(),
                is_manager,
                hasher: &Hasher,
            };
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
                &info,
                &params,
            )?)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Whether the caller passes the auth collection's manageRule for this record (may then change
/// its email, verified state and password without the old password).
fn is_manager(
    tx: &mut dyn pb_core::ports::StoreTx,
    context: &RecordsContext,
    record_id: &str,
    scope: &RuleScope<'_>,
) -> Result<bool, txn::Failure> {
    let Some(manage_rule) = context
        .collection
        .auth
        .as_ref()
        .and_then(|auth| auth.manage_rule.clone())
    else {
        return Ok(false);
    };
    if context.auth.is_none() {
        return Ok(false);
    }
    let access = rule_access(&Some(manage_rule), &context.collection, scope)?;
    if access == RuleAccess::Nothing {
        return Ok(false);
    }
    record_in_reach(tx, &context.collection, record_id, &access)
}
