//! The `sort` parameter of record lists: comma-separated fields, `-` for descending, `+` or
//! nothing for ascending, and the specials `@random` and `@rowid`. Unknown fields, and hidden
//! ones for non-superusers, are a 400.

use pb_core::ports::OrderTerm;
use pb_core::Collection;

use crate::error::ApiError;

/// PocketBase accepts at most this many sort terms.
const MAX_TERMS: usize = 8;

/// Parses `sort` against `collection`.
pub fn parse_sort(
    collection: &Collection,
    sort: &str,
    is_superuser: bool,
) -> Result<Vec<OrderTerm>, ApiError> {
    let mut terms = Vec::new();
    for raw in sort.split(',').map(str::trim).filter(|raw| !raw.is_empty()) {
        let (name, descending) = match raw.strip_prefix('-') {
            Some(rest) => (rest.trim(), true),
            None => (raw.strip_prefix('+').unwrap_or(raw).trim(), false),
        };
        let term = match name {
            "@random" => OrderTerm::Random,
            "@rowid" => OrderTerm::RowId { descending },
            _ => {
                let field = collection
                    .field(name)
                    .filter(|field| is_superuser || !field.hidden)
                    .ok_or_else(|| {
                        ApiError::generic_bad_request()
                            .with_details(format!("invalid sort field {name:?}"))
                    })?;
                OrderTerm::Column {
                    name: field.name.clone(),
                    descending,
                }
            }
        };
        terms.push(term);
    }
    if terms.len() > MAX_TERMS {
        return Err(ApiError::generic_bad_request());
    }
    Ok(terms)
}
