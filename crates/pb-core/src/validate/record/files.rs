//! Uploaded files in a record write. The caller (the HTTP layer) keeps the bytes; the model sees
//! each upload as an [`UploadedFile`] — the form key it came under, its names, size and detected
//! type — and decides, as PocketBase does:
//!
//! * which value each file field ends up with: uploads under `files` replace the value (merged
//!   after any names sent under the same key, so a form can keep some files and add others),
//!   under `files+` / `+files` they are appended / prepended, under keys that name no writable
//!   file field they are ignored; a single file field keeps the last file;
//! * whether each upload fits its field (`maxSize`, `mimeTypes`), checked with the field's other
//!   rules;
//! * which uploads the caller must store (those the record names after the write) and which
//!   stored files it must delete once the write has committed (names the record no longer has).

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::error::FieldError;
use crate::field::{FieldKind, FileOptions};
use crate::files::{mime, DEFAULT_MAX_FILE_SIZE};
use crate::Collection;

use super::coerce::to_unique_strings;
use super::draft::Draft;
use super::modifiers::{resolve_key, Operation};

/// A file sent with a record write, as validation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedFile {
    /// The form key it came under: `files`, `files+` or `+files` (batch prefixes removed).
    pub key: String,
    /// The name the client gave it (directory part removed, see
    /// [`crate::files::name::original_name`]).
    pub original_name: String,
    /// The name it will be stored under ([`crate::files::name::stored_file_name`]).
    pub stored_name: String,
    pub size: u64,
    /// The type detected from its content ([`crate::files::mime::detect`]).
    pub content_type: String,
}

/// What a prepared write does to stored files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileChanges {
    /// Indexes (into the uploads given) of the files the record names after the write: the caller
    /// stores them before committing. Uploads not listed are not part of the record.
    pub uploads: Vec<usize>,
    /// Names the stored record had and the written one no longer has: the caller deletes them
    /// after the commit (never before, so a rollback keeps them).
    pub removed: Vec<String>,
}

/// The body with the uploads folded in: for every key with uploads that resolves to a file field
/// (`files`, `files+`, `+files`), the value becomes a list of names — the names sent under a plain
/// key first, then the stored names of the uploads in form order.
pub(super) fn merge_uploads(
    collection: &Collection,
    input: &Map<String, Value>,
    uploads: &[UploadedFile],
) -> Map<String, Value> {
    let mut merged = input.clone();
    let mut keys: Vec<&str> = Vec::new();
    for upload in uploads {
        if !keys.contains(&upload.key.as_str()) {
            keys.push(&upload.key);
        }
    }
    for key in keys {
        let Some(target) = resolve_key(&collection.fields, key) else {
            continue;
        };
        if !matches!(target.field.kind, FieldKind::File(_)) {
            continue;
        }
        let mut names: Vec<Value> = match target.operation {
            Operation::Set => input
                .get(key)
                .filter(|value| !value.is_null())
                .map(to_unique_strings)
                .unwrap_or_default()
                .into_iter()
                .map(Value::String)
                .collect(),
            Operation::Append | Operation::Prepend => Vec::new(),
            _ => continue,
        };
        names.extend(
            uploads
                .iter()
                .filter(|upload| upload.key == key)
                .map(|upload| Value::String(upload.stored_name.clone())),
        );
        merged.insert(key.to_string(), Value::Array(names));
    }
    merged
}

/// The uploads (indexes into `uploads`) whose key names a file field of `collection` (`files`,
/// `files+`, `+files`): the only ones a write of that collection can keep. A caller that stores
/// uploads before validating (an update, whose record id is known up front) stores these.
pub fn uploads_for_file_fields(collection: &Collection, uploads: &[UploadedFile]) -> Vec<usize> {
    uploads
        .iter()
        .enumerate()
        .filter(|(_, upload)| {
            resolve_key(&collection.fields, &upload.key).is_some_and(|target| {
                matches!(target.field.kind, FieldKind::File(_))
                    && matches!(
                        target.operation,
                        Operation::Set | Operation::Append | Operation::Prepend
                    )
            })
        })
        .map(|(index, _)| index)
        .collect()
}

/// Uploads by stored name, with their index in the caller's list.
pub(super) fn index_by_name(uploads: &[UploadedFile]) -> HashMap<String, (usize, UploadedFile)> {
    uploads
        .iter()
        .enumerate()
        .map(|(index, upload)| (upload.stored_name.clone(), (index, upload.clone())))
        .collect()
}

/// The file changes of a draft that passed validation.
pub(super) fn file_changes(draft: &Draft<'_>) -> FileChanges {
    let mut changes = FileChanges::default();
    for field in draft.fields() {
        if !matches!(field.kind, FieldKind::File(_)) {
            continue;
        }
        let names = to_unique_strings(draft.value(&field.name));
        for name in &names {
            if let Some((index, _)) = draft.uploads.get(name) {
                changes.uploads.push(*index);
            }
        }
        let stored = draft
            .stored_value(&field.name)
            .map(to_unique_strings)
            .unwrap_or_default();
        changes
            .removed
            .extend(stored.into_iter().filter(|name| !names.contains(name)));
    }
    changes.uploads.sort_unstable();
    changes
}

/// Files: blank and `required`; names the record did not have (`validation_invalid_file`); more
/// than `maxSelect`; then each upload's size and detected type.
pub(super) fn check_file(
    draft: &Draft<'_>,
    field_name: &str,
    options: &FileOptions,
    value: &Value,
) -> Option<FieldError> {
    let names = to_unique_strings(value);
    if names.is_empty() {
        return options.required.then(super::errors::required);
    }
    let stored = draft
        .stored_value(field_name)
        .map(to_unique_strings)
        .unwrap_or_default();
    let unknown: Vec<String> = names
        .iter()
        .filter(|name| !stored.contains(name) && !draft.uploads.contains_key(*name))
        .map(|name| name.chars().take(250).collect())
        .collect();
    if !unknown.is_empty() {
        return Some(
            FieldError::new(
                "validation_invalid_file",
                format!("Invalid new files: [{}].", unknown.join(" ")),
            )
            .with_params(json!({ "invalidFiles": unknown })),
        );
    }
    let max_select = options.max_select.max(1);
    if names.len() as u64 > max_select {
        return Some(
            FieldError::new(
                "validation_too_many_files",
                format!("The maximum allowed files is {max_select}."),
            )
            .with_params(json!({ "maxSelect": max_select })),
        );
    }
    let max_size = if options.max_size == 0 {
        DEFAULT_MAX_FILE_SIZE
    } else {
        options.max_size
    };
    names
        .iter()
        .filter(|name| !stored.contains(name))
        .filter_map(|name| draft.uploads.get(name).map(|(_, upload)| upload))
        .find_map(|upload| check_upload(upload, max_size, &options.mime_types))
}

fn check_upload(upload: &UploadedFile, max_size: u64, mime_types: &[String]) -> Option<FieldError> {
    if upload.size > max_size {
        return Some(
            FieldError::new(
                "validation_file_size_limit",
                format!(
                    "Failed to upload {} - the maximum allowed file size is {max_size} bytes.",
                    upload.original_name
                ),
            )
            .with_params(json!({ "file": upload.original_name, "maxSize": max_size })),
        );
    }
    if !mime_types.is_empty() && !mime::is_allowed(&upload.content_type, mime_types) {
        return Some(FieldError::new(
            "validation_invalid_mime_type",
            format!(
                "\"{}\" mime type must be one of: {}.",
                upload.stored_name,
                mime_types.join(", ")
            ),
        ));
    }
    None
}
