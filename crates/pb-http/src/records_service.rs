//! Record writes as units of work, shared by the records routes and by anything else that writes
//! records through the API's rules (batch requests): create in two steps (checks and password
//! hashing outside the write lock, then the write), update and delete in one. Each returns what
//! changed, so the caller can render it and publish events after the commit.
//!
//! Creates and updates take the uploaded files of the request ([`UploadedFile`]s: names, sizes,
//! types) and say which of them to store and which stored files to delete
//! ([`FileChanges`]); moving the bytes, before and after the commit, is the caller's part
//! ([`crate::files::staging`]).

use pb_core::cascade::CascadeOutcome;
use pb_core::ports::{PasswordHasher, StoreTx};
use pb_core::validate::record::{
    prepare_create_with_files, prepare_update_with_files, Actor, FileChanges, PreparedRecord,
    UploadedFile,
};
use pb_core::{Collection, CoreError, FieldError, Record, ValidationErrors};
use pb_rules::RequestInfo;
use serde_json::{Map, Value};

use crate::access::{record_in_reach, rule_access, RuleAccess, RuleScope};
use crate::api::records::rule_body::rule_body;
use crate::api::records::write_checks::{check_relations, unique_to_validation};
use crate::api::records::RecordsContext;
use crate::error::ApiError;
use crate::request_info::RequestParts;
use crate::txn::Failure;

/// The message of every failed create.
pub const CREATE_FAILED: &str = "Failed to create record.";
/// The message of every failed update.
pub const UPDATE_FAILED: &str = "Failed to update record.";
/// The message of every failed delete.
pub const DELETE_FAILED: &str = "Failed to delete record.";

/// A create that passed validation and the create rule's compilation, ready to be written.
pub struct PlannedCreate {
    prepared: PreparedRecord,
    access: RuleAccess,
    /// The request as the create rule saw it; rendering the answer reuses it.
    pub info: RequestInfo,
}

impl PlannedCreate {
    /// The record the create will write.
    pub fn record(&self) -> &Record {
        &self.prepared.record
    }

    /// The uploads to store before the write (none is removed on create).
    pub fn files(&self) -> &FileChanges {
        &self.prepared.files
    }
}

/// The outcome of an update: the record before and after.
pub struct Updated {
    pub before: Record,
    pub after: Record,
    pub info: RequestInfo,
    /// The uploads the record now names and the stored files it no longer names.
    pub files: FileChanges,
}

fn refuse_views(collection: &Collection) -> Result<(), ApiError> {
    if collection.is_view() {
        return Err(ApiError::bad_request("Unsupported collection type."));
    }
    Ok(())
}

/// Validates a create (403 for a `null` rule, 400 for field errors) and compiles its rule.
/// Runs outside the write transaction (password hashing must not hold the writer), or inside
/// one with the body's password hashed ahead (a batch): `hasher` is then a
/// [`crate::auth::password::Prehashed`].
pub fn plan_create(
    context: &RecordsContext,
    parts: &RequestParts,
    input: &Map<String, Value>,
    uploads: &[UploadedFile],
    request_context: &str,
    hasher: &dyn PasswordHasher,
) -> Result<PlannedCreate, ApiError> {
    refuse_views(&context.collection)?;
    if !context.is_superuser() && context.collection.create_rule.is_none() {
        return Err(ApiError::superusers_only());
    }
    let actor = Actor {
        is_superuser: context.is_superuser(),
        is_manager: context.is_superuser(),
        hasher,
    };
    let now = pb_core::datetime::now();
    let prepared = prepare_create_with_files(&context.collection, input, uploads, &actor, &now)
        .map_err(|errors| ApiError::validation(CREATE_FAILED, &errors))?;
    let body = rule_body(
        &context.collection,
        input,
        Some(&prepared.record),
        context.is_superuser(),
    );
    let info = parts.info(context.auth.as_ref(), body, request_context);
    let scope = RuleScope {
        schema: &context.schema,
        auth: context.auth.as_ref(),
        request: &info,
    };
    let access = rule_access(&context.collection.create_rule, &context.collection, &scope)?;
    if access == RuleAccess::Nothing {
        return Err(create_rule_failure());
    }
    Ok(PlannedCreate {
        prepared,
        access,
        info,
    })
}

/// The 400 of a create its rule refuses (logged with PocketBase's cause).
fn create_rule_failure() -> ApiError {
    ApiError::bad_request(CREATE_FAILED)
        .with_details(format!("create rule failure: {}", crate::error::NO_ROWS))
}

/// Writes a planned create: the id must be free, relations must exist, unique indexes must
/// hold, and the stored row must match the create rule (else everything rolls back).
pub fn apply_create(
    tx: &mut dyn StoreTx,
    context: &RecordsContext,
    plan: &PlannedCreate,
) -> Result<Record, Failure> {
    let collection = &context.collection;
    let record = &plan.prepared.record;
    if tx.find_record(collection, record.id())?.is_some() {
        return Err(CoreError::Validation(ValidationErrors::single(
            "id",
            FieldError::not_unique(),
        ))
        .into());
    }
    check_relations(tx, &context.schema, &plan.prepared.relation_checks)?;
    tx.insert_record(collection, record)
        .map_err(|error| unique_to_validation(collection, error))?;
    crate::installer::forget_placeholder_after_create(tx, collection, record)?;
    if !record_in_reach(tx, collection, record.id(), &plan.access)? {
        return Err(create_rule_failure().into());
    }
    Ok(record.clone())
}

/// Updates record `record_id` inside the caller's write transaction: the update rule is checked
/// against the stored record (404 when it fails), the body applied with its modifiers, the
/// result validated and written. A new password in the body should come hashed ahead, in
/// `hasher` (a [`crate::auth::password::Prehashed`]), so the writer does not wait on argon2.
#[allow(clippy::too_many_arguments)]
pub fn update(
    tx: &mut dyn StoreTx,
    context: &RecordsContext,
    parts: &RequestParts,
    record_id: &str,
    input: &Map<String, Value>,
    uploads: &[UploadedFile],
    request_context: &str,
    hasher: &dyn PasswordHasher,
) -> Result<Updated, Failure> {
    refuse_views(&context.collection)?;
    if !context.is_superuser() && context.collection.update_rule.is_none() {
        return Err(ApiError::superusers_only().into());
    }
    let current = tx
        .find_record(&context.collection, record_id)?
        .ok_or_else(ApiError::record_not_found)?;
    // The rule sees the body as it will be stored, which needs a prepared record; the manager
    // check needs the rule's request, so the body is shaped by a preparation with full rights.
    let shaping_actor = Actor {
        is_superuser: context.is_superuser(),
        is_manager: true,
        hasher,
    };
    let now = pb_core::datetime::now();
    let shaped = prepare_update_with_files(
        &context.collection,
        &current,
        input,
        uploads,
        &shaping_actor,
        &now,
    )
    .ok();
    let body = rule_body(
        &context.collection,
        input,
        shaped.as_ref().map(|prepared| &prepared.record),
        context.is_superuser(),
    );
    let info = parts.info(context.auth.as_ref(), body, request_context);
    let scope = RuleScope {
        schema: &context.schema,
        auth: context.auth.as_ref(),
        request: &info,
    };
    let access = rule_access(&context.collection.update_rule, &context.collection, &scope)?;
    if !record_in_reach(tx, &context.collection, record_id, &access)? {
        return Err(ApiError::record_not_found().into());
    }
    let is_manager = context.is_superuser() || is_manager(tx, context, record_id, &scope)?;
    let actor = Actor {
        is_superuser: context.is_superuser(),
        is_manager,
        hasher,
    };
    let prepared =
        prepare_update_with_files(&context.collection, &current, input, uploads, &actor, &now)
            .map_err(CoreError::Validation)?;
    check_relations(tx, &context.schema, &prepared.relation_checks)?;
    tx.update_record(&context.collection, &prepared.record)
        .map_err(|error| unique_to_validation(&context.collection, error))?;
    Ok(Updated {
        before: current,
        after: prepared.record,
        info,
        files: prepared.files,
    })
}

/// Deletes record `record_id` (404 when missing or the delete rule fails) with its cascade.
pub fn delete(
    tx: &mut dyn StoreTx,
    context: &RecordsContext,
    parts: &RequestParts,
    record_id: &str,
    request_context: &str,
) -> Result<CascadeOutcome, Failure> {
    refuse_views(&context.collection)?;
    let info = parts.info(context.auth.as_ref(), Map::new(), request_context);
    let scope = RuleScope {
        schema: &context.schema,
        auth: context.auth.as_ref(),
        request: &info,
    };
    let access = rule_access(&context.collection.delete_rule, &context.collection, &scope)?;
    if tx.find_record(&context.collection, record_id)?.is_none()
        || !record_in_reach(tx, &context.collection, record_id, &access)?
    {
        return Err(ApiError::record_not_found().into());
    }
    let all = context.schema.to_vec();
    Ok(pb_core::cascade::delete_record(
        tx,
        &all,
        &context.collection,
        record_id,
    )?)
}

/// Whether the caller passes the auth collection's manageRule for this record (may then change
/// its email, verified state and password without the old password).
fn is_manager(
    tx: &mut dyn StoreTx,
    context: &RecordsContext,
    record_id: &str,
    scope: &RuleScope<'_>,
) -> Result<bool, Failure> {
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
