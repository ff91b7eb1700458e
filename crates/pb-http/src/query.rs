//! Query-string parameters of list endpoints (`page`, `perPage`, `sort`, `filter`, `fields`,
//! `skipTotal`, `expand`) with PocketBase's defaults, clamping and errors.

use actix_web::HttpRequest;

use crate::error::ApiError;

/// Default page size.
pub const DEFAULT_PER_PAGE: u64 = 30;
/// Largest page size; larger requests are clamped, not refused.
pub const MAX_PER_PAGE: u64 = 1000;

/// Parsed query parameters.
#[derive(Debug, Clone, Default)]
pub struct QueryParams {
    pub page: u64,
    pub per_page: u64,
    pub sort: String,
    pub filter: String,
    pub fields: String,
    pub expand: String,
    pub skip_total: bool,
    /// `pb serve --expand-all`: expand every relation as well as `expand` names; set by the
    /// records handlers from the server options, never by the client.
    pub expand_all: bool,
}

/// All `key=value` pairs of the query string (last one wins for repeated keys).
pub fn pairs(request: &HttpRequest) -> Vec<(String, String)> {
    serde_urlencoded::from_str(request.query_string()).unwrap_or_default()
}

fn value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value.as_str())
}

/// Parses a numeric parameter: absent or empty gives `None`, non-numeric is a 400.
fn number(pairs: &[(String, String)], key: &str) -> Result<Option<i64>, ApiError> {
    match value(pairs, key).map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ApiError::generic_bad_request()),
    }
}

impl QueryParams {
    pub fn from_request(request: &HttpRequest) -> Result<QueryParams, ApiError> {
        let pairs = pairs(request);
        let page = number(&pairs, "page")?
            .filter(|page| *page > 0)
            .unwrap_or(1) as u64;
        let per_page = number(&pairs, "perPage")?
            .filter(|per_page| *per_page > 0)
            .map_or(DEFAULT_PER_PAGE, |per_page| {
                (per_page as u64).min(MAX_PER_PAGE)
            });
        let text = |key: &str| value(&pairs, key).unwrap_or("").to_string();
        let skip_total = matches!(
            value(&pairs, "skipTotal")
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("1" | "true" | "t")
        );
        Ok(QueryParams {
            page,
            per_page,
            sort: text("sort"),
            filter: text("filter"),
            fields: text("fields"),
            expand: text("expand"),
            skip_total,
            expand_all: false,
        })
    }

    /// Reads only `fields` and `expand` (view, create, update, auth responses).
    pub fn output_only(request: &HttpRequest) -> QueryParams {
        QueryParams::from_query_string(request.query_string())
    }

    /// `fields` and `expand` of a raw query string (batch sub-requests).
    pub fn from_query_string(query: &str) -> QueryParams {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        QueryParams {
            fields: value(&pairs, "fields").unwrap_or("").to_string(),
            expand: value(&pairs, "expand").unwrap_or("").to_string(),
            ..QueryParams::default()
        }
    }
}
