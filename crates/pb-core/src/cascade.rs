//! Deleting a record together with what points at it, as PocketBase does: referencing records
//! with `cascadeDelete` go too, a non-cascading *required* reference blocks the delete, and an
//! optional reference is cleared. Runs inside one write transaction, so it is all or nothing.

use serde_json::Value;

use crate::collection::Collection;
use crate::error::CoreError;
use crate::field::{Field, FieldKind};
use crate::ports::{SqlValue, StoreTx};
use crate::record::Record;

/// The message PocketBase answers when a required reference blocks a delete.
pub const REQUIRED_REFERENCE_MESSAGE: &str =
    "Failed to delete record. Make sure that the record is not part of a required relation reference.";

/// Deep cascades stop here instead of recursing without end on cyclic schemas.
const MAX_DEPTH: usize = 32;

/// What one delete changed besides the record itself.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CascadeOutcome {
    /// Every deleted record (the target last), as it was, with its collection id.
    pub deleted: Vec<Record>,
    /// Records whose reference to a deleted record was cleared, as they are now.
    pub updated: Vec<Record>,
}

/// Deletes record `id` of `collection` and handles every reference to it in `all`.
pub fn delete_record(
    tx: &mut dyn StoreTx,
    all: &[Collection],
    collection: &Collection,
    id: &str,
) -> Result<CascadeOutcome, CoreError> {
    let mut outcome = CascadeOutcome::default();
    delete_at_depth(tx, all, collection, id, 0, &mut outcome)?;
    Ok(outcome)
}

fn delete_at_depth(
    tx: &mut dyn StoreTx,
    all: &[Collection],
    collection: &Collection,
    id: &str,
    depth: usize,
    outcome: &mut CascadeOutcome,
) -> Result<(), CoreError> {
    if depth > MAX_DEPTH {
        return Err(CoreError::BadRequest(
            REQUIRED_REFERENCE_MESSAGE.to_string(),
        ));
    }
    let Some(target) = tx.find_record(collection, id)? else {
        return Ok(());
    };
    for referencing in all.iter().filter(|other| !other.is_view()) {
        for field in referencing
            .fields
            .iter()
            .filter(|field| points_at(field, collection))
        {
            for mut record in tx.find_referencing_records(referencing, field, id)? {
                if cascades(field) {
                    let referencing_id = record.id().to_string();
                    if referencing.id == collection.id && referencing_id == id {
                        continue;
                    }
                    delete_at_depth(tx, all, referencing, &referencing_id, depth + 1, outcome)?;
                } else if field.required() {
                    return Err(CoreError::BadRequest(
                        REQUIRED_REFERENCE_MESSAGE.to_string(),
                    ));
                } else {
                    let cleared = without_id(record.get(&field.name), id, field.is_multiple());
                    record.set(&field.name, cleared);
                    tx.update_record(referencing, &record)?;
                    outcome.updated.push(record);
                }
            }
        }
    }
    tx.delete_record(collection, id)?;
    if collection.is_auth() {
        delete_auth_bookkeeping(tx, all, collection, id)?;
    }
    outcome.deleted.push(target);
    Ok(())
}

/// The system collections that keep rows about an auth record (`collectionRef`, `recordRef`).
const AUTH_BOOKKEEPING: [&str; 4] = ["_otps", "_mfas", "_authOrigins", "_externalAuths"];

/// Deletes the OTPs, MFA sessions, login origins and external auth links of a deleted auth
/// record, so nothing keeps pointing at it.
fn delete_auth_bookkeeping(
    tx: &mut dyn StoreTx,
    all: &[Collection],
    collection: &Collection,
    id: &str,
) -> Result<(), CoreError> {
    for name in AUTH_BOOKKEEPING {
        let Some(bookkeeping) = all.iter().find(|other| other.name == name) else {
            continue;
        };
        let rows = tx.find_records_by_field(
            bookkeeping,
            "recordRef",
            &SqlValue::Text(id.to_string()),
            u64::MAX >> 1,
        )?;
        for row in rows
            .iter()
            .filter(|row| row.get_str("collectionRef") == collection.id)
        {
            tx.delete_record(bookkeeping, row.id())?;
        }
    }
    Ok(())
}

fn points_at(field: &Field, target: &Collection) -> bool {
    matches!(&field.kind, FieldKind::Relation(options) if options.collection_id == target.id)
}

fn cascades(field: &Field) -> bool {
    matches!(&field.kind, FieldKind::Relation(options) if options.cascade_delete)
}

fn without_id(value: Option<&Value>, id: &str, multiple: bool) -> Value {
    if !multiple {
        return Value::String(String::new());
    }
    let kept = value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter(|item| item.as_str() != Some(id))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    Value::Array(kept)
}
