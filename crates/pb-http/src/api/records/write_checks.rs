//! Checks a record write needs from storage, done inside its transaction: the id is free,
//! relation targets exist, and unique-index violations become `validation_not_unique`.

use pb_core::ports::StoreTx;
use pb_core::validate::record::RelationCheck;
use pb_core::{Collection, CoreError, FieldError, StoreError, ValidationErrors};

use crate::state::Schema;

/// Reports relation values whose records do not exist.
pub fn check_relations(
    tx: &mut dyn StoreTx,
    schema: &Schema,
    checks: &[RelationCheck],
) -> Result<(), CoreError> {
    let mut errors = ValidationErrors::new();
    for check in checks.iter().filter(|check| !check.ids.is_empty()) {
        let missing = match schema.find(&check.collection_id) {
            Some(target) => {
                let existing = tx.existing_ids(&target, &check.ids)?;
                check.ids.iter().any(|id| !existing.contains(id))
            }
            None => true,
        };
        if missing {
            errors.add(
                &check.field,
                FieldError::new(
                    "validation_missing_rel_records",
                    "Failed to find all relation records with the provided ids.",
                ),
            );
        }
    }
    errors.into_result().map_err(CoreError::Validation)
}

/// Maps a unique violation on insert/update to field errors; other errors pass through.
pub fn unique_to_validation(collection: &Collection, error: StoreError) -> CoreError {
    match error {
        StoreError::UniqueViolation { columns } => {
            let mut errors = ValidationErrors::new();
            for column in columns {
                if collection.field(&column).is_some() {
                    errors.add(&column, FieldError::not_unique());
                }
            }
            if errors.is_empty() {
                CoreError::BadRequest(crate::error::GENERIC_BAD_REQUEST.into())
            } else {
                CoreError::Validation(errors)
            }
        }
        other => CoreError::Store(other),
    }
}
