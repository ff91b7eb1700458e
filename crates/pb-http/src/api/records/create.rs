//! `POST /api/collections/{collection}/records`: validates the body against the collection's
//! fields, then stores the record in one write transaction (id free, relations exist, unique
//! indexes hold) and checks the create rule against the stored row — rolling everything back
//! when it does not match. Answers 200 with the record, as PocketBase does.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::validate::record::{prepare_create, Actor};
use pb_core::{CoreError, FieldError, ValidationErrors};

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

/// The message of every failed create.
pub const FAILED: &str = "Failed to create record.";

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let params = QueryParams::output_only(&request);
    let parts = RequestParts::from_request(&request);
    let token = bearer_token(&request);
    let collection_name = path.into_inner();
    let input = read_object(&request, payload).await?;
    let state = Arc::clone(&state.into_inner());
    let body = run_blocking(move || {
        let store = state.store.as_ref();
        let context = txn::read(store, FAILED, |tx| {
            let context =
                RecordsContext::load(tx, state.schema(), &collection_name, token.as_deref())
                    .map_err(super::reword_missing_collection)?;
            if context.collection.is_view() {
                return Err(ApiError::bad_request("Unsupported collection type.").into());
            }
            Ok(context)
        })?;
        if !context.is_superuser() && context.collection.create_rule.is_none() {
            return Err(ApiError::superusers_only());
        }
        let actor = Actor {
            is_superuser: context.is_superuser(),
            is_manager: context.is_superuser(),
            hasher: &Hasher,
        };
        let now = pb_core::datetime::now();
        let prepared = prepare_create(&context.collection, &input, &actor, &now)
            .map_err(|errors| ApiError::validation(FAILED, &errors))?;
        let body = rule_body(
            &context.collection,
            &input,
            Some(&prepared.record),
            context.is_superuser(),
        );
        let info = parts.info(context.auth.as_ref(), body, "default");
        let scope = RuleScope {
            schema: &context.schema,
            auth: context.auth.as_ref(),
            request: &info,
        };
        let access = rule_access(&context.collection.create_rule, &context.collection, &scope)?;
        if access == RuleAccess::Nothing {
            return Err(ApiError::bad_request(FAILED));
        }
        let collection = Arc::clone(&context.collection);
        txn::write(store, FAILED, |tx| {
            if tx.find_record(&collection, prepared.record.id())?.is_some() {
                return Err(CoreError::Validation(ValidationErrors::single(
                    "id",
                    FieldError::not_unique(),
                ))
                .into());
            }
            check_relations(tx, &context.schema, &prepared.relation_checks)?;
            tx.insert_record(&collection, &prepared.record)
                .map_err(|error| unique_to_validation(&collection, error))?;
            if !record_in_reach(tx, &collection, prepared.record.id(), &access)? {
                return Err(ApiError::bad_request(FAILED).into());
            }
            Ok(render_record(
                tx,
                &context.schema,
                &collection,
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
