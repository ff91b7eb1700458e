//! `_externalAuths`: the links between an auth record and the provider accounts it signs in
//! with (`collectionRef`, `recordRef`, `provider`, `providerId`). One link per provider account
//! and collection, one per record and provider (unique indexes).

use pb_core::ports::{RecordQuery, SqlFragment, SqlValue, StoreTx};
use pb_core::{Collection, Record, StoreError};
use serde_json::Value;

use super::refs::{new_row, rows_of_record};

pub const EXTERNAL_AUTHS: &str = "_externalAuths";

fn table(external_auths: &Collection) -> String {
    format!("\"{}\"", external_auths.name.replace('"', "\"\""))
}

/// The link of provider account `provider_id` of `provider` in `auth_collection`, if any.
pub fn find_link(
    tx: &mut dyn StoreTx,
    external_auths: &Collection,
    auth_collection: &Collection,
    provider: &str,
    provider_id: &str,
) -> Result<Option<Record>, StoreError> {
    let table = table(external_auths);
    let query = RecordQuery {
        filter: Some(SqlFragment {
            sql: format!(
                "{table}.\"collectionRef\" = ? AND {table}.\"provider\" = ? AND {table}.\"providerId\" = ?"
            ),
            binds: vec![
                SqlValue::Text(auth_collection.id.clone()),
                SqlValue::Text(provider.to_string()),
                SqlValue::Text(provider_id.to_string()),
            ],
        }),
        limit: Some(1),
        ..RecordQuery::default()
    };
    Ok(tx.list_records(external_auths, &query)?.into_iter().next())
}

/// Links `record` to the provider account.
pub fn insert_link(
    tx: &mut dyn StoreTx,
    external_auths: &Collection,
    auth_collection: &Collection,
    record: &Record,
    provider: &str,
    provider_id: &str,
) -> Result<(), StoreError> {
    let mut row = new_row(
        external_auths,
        auth_collection,
        record,
        &pb_core::datetime::now(),
    );
    row.set("provider", Value::String(provider.to_string()));
    row.set("providerId", Value::String(provider_id.to_string()));
    tx.insert_record(external_auths, &row)
}

/// Removes every link of `record`.
pub fn delete_links_of(
    tx: &mut dyn StoreTx,
    external_auths: &Collection,
    auth_collection: &Collection,
    record: &Record,
) -> Result<(), StoreError> {
    for row in rows_of_record(tx, external_auths, auth_collection, record)? {
        tx.delete_record(external_auths, row.id())?;
    }
    Ok(())
}
