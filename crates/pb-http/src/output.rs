//! Turning records into response JSON for a given viewer, with `expand` and `fields` applied.

use pb_core::ports::StoreTx;
use pb_core::record::Visibility;
use pb_core::{Collection, Record};
use pb_rules::RequestInfo;
use serde_json::Value;

use crate::auth::request_auth::AuthContext;
use crate::expand::{ExpandTree, Expander};
use crate::query::QueryParams;
use crate::state::Schema;
use crate::txn::Failure;

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

/// The records as JSON for `viewer`: `expand` resolved, then `fields` picked.
pub fn render_records(
    tx: &mut dyn StoreTx,
    schema: &Schema,
    collection: &Collection,
    records: &[Record],
    viewer: Option<&AuthContext>,
    request: &RequestInfo,
    params: &QueryParams,
) -> Result<Vec<Value>, Failure> {
    let mut tree = ExpandTree::parse(&params.expand);
    if params.expand_all {
        let mut all = ExpandTree::all_relations(schema, collection);
        all.merge(tree);
        tree = all;
    }
    let expander = Expander {
        schema,
        viewer,
        request,
    };
    let rendered = expander.render(tx, collection, records, &tree)?;
    Ok(rendered
        .into_iter()
        .map(|value| crate::fields::pick(value, &params.fields))
        .collect())
}

/// One record as JSON for `viewer`, with `expand` and `fields` applied.
pub fn render_record(
    tx: &mut dyn StoreTx,
    schema: &Schema,
    collection: &Collection,
    record: &Record,
    viewer: Option<&AuthContext>,
    request: &RequestInfo,
    params: &QueryParams,
) -> Result<Value, Failure> {
    let mut rendered = render_records(
        tx,
        schema,
        collection,
        std::slice::from_ref(record),
        viewer,
        request,
        params,
    )?;
    Ok(rendered.pop().unwrap_or(Value::Null))
}
