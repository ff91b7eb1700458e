//! Preparing a record write: a request body (JSON, or a form where every value is text) becomes
//! the full record to store, normalised and checked field by field with PocketBase's codes.
//!
//! Why here and not in the HTTP layer: the same rules apply to every way a record is written
//! (records API, batch, auth flows), and a second store must not reimplement them. What needs
//! storage is handed back instead of looked up: [`PreparedRecord::relation_checks`] lists the
//! relation ids the caller must find in its transaction, and uniqueness (ids, emails, unique
//! indexes) is left to the store's constraints.
//!
//! The steps, in PocketBase's order:
//! 1. body keys are applied shortest first (so `tags` is set before `tags+` appends), with
//!    modifiers ([`modifiers`]), lenient coercion ([`coerce`]), client autodates ignored and hidden
//!    fields dropped for non-superusers (the auth `password` excepted);
//! 2. for auth collections the credentials form is checked ([`auth`]); if it fails, only its
//!    errors are reported;
//! 3. empty text fields with an `autogeneratePattern` are generated on create, autodates stamped;
//! 4. every field is checked ([`checks`]), one error per field, all fields reported together;
//! 5. the token key is refreshed when credentials changed, and passwords are hashed last, so an
//!    invalid request never pays for hashing.
//!
//! Uploaded files ([`files`]) are folded into the body before step 1 under the names they will
//! be stored as; [`PreparedRecord::files`] then says which uploads to store before the commit
//! and which stored files to delete after it.

mod auth;
mod checks;
mod coerce;
mod draft;
pub(crate) mod errors;
mod files;
pub(crate) mod generate;
mod modifiers;
mod patterns;
mod syntax;

pub(crate) use checks::{check_text, DEFAULT_PASSWORD_MAX};

use serde_json::{Map, Value};

use crate::field::FieldKind;
use crate::ports::PasswordHasher;
use crate::{Collection, Record, ValidationErrors};

use self::auth::{check_auth_form, refresh_token_key_if_credentials_changed, PasswordForm};
use self::coerce::to_unique_strings;
use self::draft::Draft;
pub use self::files::{uploads_for_file_fields, FileChanges, UploadedFile};
use self::modifiers::{resolve_key, KeyTarget};

/// Who is writing, which decides what they may set.
#[derive(Clone, Copy)]
pub struct Actor<'a> {
    pub is_superuser: bool,
    /// Passes the auth collection's manageRule (may set email/verified/password of others without oldPassword).
    pub is_manager: bool,
    pub hasher: &'a dyn PasswordHasher,
}

/// The outcome of preparing a write: the full record to store and the lookups the caller must do in its transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedRecord {
    pub record: Record,
    /// (field name, target collection id, ids) for every relation field whose value changed; the caller checks they exist and reports `validation_missing_rel_records` on that field.
    pub relation_checks: Vec<RelationCheck>,
    /// The uploads to store before committing and the stored files to delete after it.
    pub files: FileChanges,
}

/// Relation ids the caller must find in `collection_id`; when some are missing it reports
/// `validation_missing_rel_records` / "Failed to find all relation records with the provided ids."
/// on `field`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationCheck {
    pub field: String,
    pub collection_id: String,
    pub ids: Vec<String>,
}

/// Prepares a new record of `collection` from a request body.
///
/// `id` may be given (it must satisfy the id field's options; its uniqueness is the store's
/// check), otherwise one is generated. `now` stamps the `onCreate` autodates.
pub fn prepare_create(
    collection: &Collection,
    input: &Map<String, Value>,
    actor: &Actor<'_>,
    now: &str,
) -> Result<PreparedRecord, ValidationErrors> {
    prepare_create_with_files(collection, input, &[], actor, now)
}

/// [`prepare_create`] for a body that came with uploaded files.
pub fn prepare_create_with_files(
    collection: &Collection,
    input: &Map<String, Value>,
    uploads: &[UploadedFile],
    actor: &Actor<'_>,
    now: &str,
) -> Result<PreparedRecord, ValidationErrors> {
    prepare(Draft::start(collection, None), input, uploads, actor, now)
}

/// Prepares the update of `current` from a request body (only the keys present change).
///
/// An `id` different from the stored one is refused with `validation_pk_change`, as PocketBase
/// does. `now` stamps the `onUpdate` autodates.
pub fn prepare_update(
    collection: &Collection,
    current: &Record,
    input: &Map<String, Value>,
    actor: &Actor<'_>,
    now: &str,
) -> Result<PreparedRecord, ValidationErrors> {
    prepare_update_with_files(collection, current, input, &[], actor, now)
}

/// [`prepare_update`] for a body that came with uploaded files.
pub fn prepare_update_with_files(
    collection: &Collection,
    current: &Record,
    input: &Map<String, Value>,
    uploads: &[UploadedFile],
    actor: &Actor<'_>,
    now: &str,
) -> Result<PreparedRecord, ValidationErrors> {
    prepare(
        Draft::start(collection, Some(current)),
        input,
        uploads,
        actor,
        now,
    )
}

fn prepare(
    mut draft: Draft<'_>,
    input: &Map<String, Value>,
    uploads: &[UploadedFile],
    actor: &Actor<'_>,
    now: &str,
) -> Result<PreparedRecord, ValidationErrors> {
    let merged;
    let input = if uploads.is_empty() {
        input
    } else {
        draft.uploads = files::index_by_name(uploads);
        merged = files::merge_uploads(draft.collection, input, uploads);
        &merged
    };
    for (target, operand) in writable_entries(draft.collection, input, actor) {
        draft.apply(target, operand);
    }
    if draft.collection.is_auth() {
        check_auth_form(&draft, &PasswordForm::read(input), actor).into_result()?;
    }
    draft.autogenerate_empty_texts();
    draft.stamp_autodates(now);
    check_every_field(&draft).into_result()?;
    if draft.collection.is_auth() {
        refresh_token_key_if_credentials_changed(&mut draft);
    }
    let relation_checks = changed_relations(&draft);
    let files = files::file_changes(&draft);
    draft.hash_passwords(actor.hasher);
    Ok(PreparedRecord {
        record: draft.into_record(),
        relation_checks,
        files,
    })
}

/// The body entries that write a field, shortest key first (a stable sort, so equal lengths keep
/// the body's order). Unknown keys, the auth form keys and — for non-superusers — hidden fields
/// other than the auth password are left out.
fn writable_entries<'c, 'i>(
    collection: &'c Collection,
    input: &'i Map<String, Value>,
    actor: &Actor<'_>,
) -> Vec<(KeyTarget<'c>, &'i Value)> {
    let mut keys: Vec<&String> = input.keys().collect();
    keys.sort_by_key(|key| key.len());
    keys.into_iter()
        .filter(|key| !(collection.is_auth() && auth::FORM_ONLY_KEYS.contains(&key.as_str())))
        .filter_map(|key| Some((resolve_key(&collection.fields, key)?, &input[key.as_str()])))
        .filter(|(target, _)| actor.is_superuser || may_write_hidden(collection, target))
        .collect()
}

fn may_write_hidden(collection: &Collection, target: &KeyTarget<'_>) -> bool {
    !target.field.hidden || (collection.is_auth() && target.field.name == "password")
}

fn check_every_field(draft: &Draft<'_>) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    for field in draft.fields() {
        if let Some(error) = checks::check_field(draft, field) {
            errors.add(&field.name, error);
        }
    }
    errors
}

/// The relation fields whose ids the caller must look up: all non-empty ones on create, the
/// changed non-empty ones on update.
fn changed_relations(draft: &Draft<'_>) -> Vec<RelationCheck> {
    draft
        .fields()
        .iter()
        .filter_map(|field| {
            let FieldKind::Relation(options) = &field.kind else {
                return None;
            };
            let ids = to_unique_strings(draft.value(&field.name));
            let stored = draft.stored_value(&field.name).map(to_unique_strings);
            if ids.is_empty() || stored.as_ref() == Some(&ids) {
                return None;
            }
            Some(RelationCheck {
                field: field.name.clone(),
                collection_id: options.collection_id.clone(),
                ids,
            })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
