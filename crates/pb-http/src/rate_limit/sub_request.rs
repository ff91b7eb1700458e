//! Rate limits of the record writes inside `POST /api/batch`.
//!
//! PocketBase checks every batch item against the rules of its collection and action, as the
//! records routes do, so a batch cannot carry more creates than a rule allows; an item over
//! its limit fails the whole batch with the item's 429 inside the batch's 400. The items keep
//! windows of their own: PocketBase keys a collection route's window by the matched route
//! pattern, which a batch item has none of, so items and direct requests do not share counts.

use actix_web::http::StatusCode;
use pb_core::Collection;

use super::{ip_in_list, rules, TOO_MANY_REQUESTS};
use crate::error::ApiError;
use crate::state::AppState;

/// One batch item as its rate limit sees it.
#[derive(Debug, Clone, Copy)]
pub struct BatchItemRequest<'a> {
    /// The client's IP (the outer request's, as the trusted proxy settings read it).
    pub client_ip: &'a str,
    pub collection: &'a Collection,
    /// The item's method and URL path once understood (an upsert is a `POST` create or a
    /// `PATCH` of `…/records/{id}`).
    pub method: &'a str,
    pub path: &'a str,
    /// `create`, `update` or `delete`.
    pub action: &'a str,
    /// Whether the item acts as an auth record (superusers are never limited).
    pub is_auth: bool,
    pub is_superuser: bool,
}

/// Counts `item` against its rule; PocketBase's 429 when it is over the limit.
pub fn check_batch_item(state: &AppState, item: &BatchItemRequest<'_>) -> Result<(), ApiError> {
    let settings = state.ops.settings.get();
    let limits = &settings.rate_limits;
    if !limits.enabled
        || item.is_superuser
        || item.client_ip.is_empty()
        || ip_in_list(&limits.excluded_ips, item.client_ip)
    {
        return Ok(());
    }
    let labels = rules::collection_labels(
        &item.collection.name,
        &[item.action],
        item.method,
        item.path,
    );
    let Some(rule) = rules::find_rule(&limits.rules, &labels, item.is_auth) else {
        return Ok(());
    };
    state.ops.ensure_rate_limit_cleanup();
    // The collection, no route pattern, the action: see the module docs.
    let limiter = format!(
        "{}{}{}",
        item.collection.id,
        item.action,
        rule.audience.as_str()
    );
    let allowed = state.ops.rate_limits.allow(
        &limiter,
        item.client_ip,
        rule.max_requests,
        rule.duration,
        crate::ops::unix_now(),
    );
    if allowed {
        return Ok(());
    }
    Err(
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, TOO_MANY_REQUESTS).with_details(format!(
            "triggered rate limit rule: {}",
            rule.to_json_text()
        )),
    )
}
