//! Turning records into response JSON for a given viewer, with `fields` applied.

use pb_core::record::Visibility;
use pb_core::{Collection, Record};
use serde_json::Value;

use crate::auth::request_auth::AuthContext;

/// What `viewer` may see of `record`: hidden fields for superusers, the email of an auth record
/// for itself and superusers (and always in auth responses, via `force_email`).
pub fn visibility_for(
    viewer: Option<&AuthContext>,
    record: &Record,
    force_email: bool,
) -> Visibility {
    let is_superuser = viewer.is_some_and(AuthContext::is_superuser);
    let is_self = viewer.is_some_and(|auth| {
        auth.collection.id == record.collection_id && auth.record.id() == record.id()
    });
    Visibility {
        show_hidden: is_superuser,
        show_email: force_email || is_superuser || is_self,
    }
}

/// The record as JSON for `viewer`, with `fields` picked.
pub fn record_json(
    collection: &Collection,
    record: &Record,
    viewer: Option<&AuthContext>,
    fields: &str,
) -> Value {
    let visibility = visibility_for(viewer, record, false);
    let value = Value::Object(record.to_api_json(collection, visibility));
    crate::fields::pick(value, fields)
}
