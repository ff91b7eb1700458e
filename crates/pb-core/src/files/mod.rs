//! Files of `file` fields, as far as the model knows them: the names they are stored under, the
//! keys of the storage layout, the MIME type a file's first bytes reveal and the thumb sizes a
//! field allows.
//!
//! Why here: the same names, keys and checks are needed by every way a record is written (records
//! API, batch) and read (downloads, cleanup), and none of it needs I/O. The bytes themselves stay
//! with the caller, who moves them through a [`crate::ports::FileStore`].
//!
//! Layout (PocketBase's, so a data dir or bucket can move between the two servers):
//! `<collectionId>/<recordId>/<filename>`, thumbs in
//! `<collectionId>/<recordId>/thumbs_<filename>/<size>_<filename>`; a local store may keep a
//! `<key>.attrs` JSON sidecar beside each file.

pub mod mime;
pub mod name;
pub mod thumb;

/// The suffix of the metadata sidecar PocketBase keeps beside each local file.
pub const ATTRS_SUFFIX: &str = ".attrs";

/// The folder prefix under which thumbs of `filename` are kept.
pub const THUMBS_PREFIX: &str = "thumbs_";

/// PocketBase's default `maxSize` of a file field (when the option is 0): 5 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 5 << 20;

/// `<collectionId>/<recordId>/`: everything stored for one record.
pub fn record_prefix(collection_id: &str, record_id: &str) -> String {
    format!("{collection_id}/{record_id}/")
}

/// The key of a record's file.
pub fn file_key(collection_id: &str, record_id: &str, filename: &str) -> String {
    format!("{collection_id}/{record_id}/{filename}")
}

/// `<collectionId>/<recordId>/thumbs_<filename>/`: every thumb of one file.
pub fn thumbs_prefix(collection_id: &str, record_id: &str, filename: &str) -> String {
    format!("{collection_id}/{record_id}/{THUMBS_PREFIX}{filename}/")
}

/// The key of the `size` thumb of a record's file.
pub fn thumb_key(collection_id: &str, record_id: &str, filename: &str, size: &str) -> String {
    format!("{collection_id}/{record_id}/{THUMBS_PREFIX}{filename}/{size}_{filename}")
}

/// The file names a stored file-field value holds (a string for single fields, an array for
/// multiple ones); empty names are skipped.
pub fn names_in_value(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::String(name) if !name.is_empty() => vec![name.clone()],
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(serde_json::Value::as_str)
            .filter(|name| !name.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// Every file name `record` holds in the file fields of `collection`.
pub fn record_file_names(collection: &crate::Collection, record: &crate::Record) -> Vec<String> {
    collection
        .fields
        .iter()
        .filter(|field| matches!(field.kind, crate::FieldKind::File(_)))
        .flat_map(|field| {
            record
                .get(&field.name)
                .map(names_in_value)
                .unwrap_or_default()
        })
        .collect()
}

/// Whether `collection` has a file field (only then can its records own stored files).
pub fn has_file_fields(collection: &crate::Collection) -> bool {
    collection
        .fields
        .iter()
        .any(|field| matches!(field.kind, crate::FieldKind::File(_)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_follow_pocketbase_layout() {
        assert_eq!(file_key("pbc_1", "abc", "a_x.png"), "pbc_1/abc/a_x.png");
        assert_eq!(
            thumb_key("pbc_1", "abc", "a_x.png", "100x100"),
            "pbc_1/abc/thumbs_a_x.png/100x100_a_x.png"
        );
        assert_eq!(thumbs_prefix("c", "r", "f"), "c/r/thumbs_f/");
        assert_eq!(record_prefix("c", "r"), "c/r/");
    }

    #[test]
    fn names_of_single_and_multiple_values() {
        assert_eq!(names_in_value(&json!("a.txt")), ["a.txt"]);
        assert!(names_in_value(&json!("")).is_empty());
        assert_eq!(names_in_value(&json!(["a", "", "b"])), ["a", "b"]);
        assert!(names_in_value(&json!(null)).is_empty());
    }
}
