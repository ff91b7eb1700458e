//! Rate limits from `settings.rateLimits`, enforced before a request reaches its handler, and
//! answered with PocketBase's `429 {"status":429,"message":"Too Many Requests.","data":{}}`.
//!
//! Nothing is checked while limits are disabled (the default), for superusers, or for clients
//! in `excludedIPs`. Otherwise the request's labels ([`rules`]) pick one rule, and the client
//! (its IP, [`crate::client_ip`]) gets a fixed window of `maxRequests` per `duration` seconds
//! ([`counter`]). Routes of a collection count per route and collection; other routes share one
//! counter per rule, as in PocketBase. The token is only resolved (one read) when limits are on.
//!
//! The items of `/api/batch` are checked one by one as well ([`sub_request`]), besides the
//! batch request itself (labels `/api/batch`).

pub mod counter;
pub mod rules;
pub mod sub_request;

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};
use serde_json::Value;

use crate::auth::request_auth::{authenticate, bearer_token};
use crate::blocking::run_blocking;
use crate::client_ip::client_ip;
use crate::error::ApiError;
use crate::live_settings::{LiveSettings, RateLimitRule};
use crate::request_log::LogFailure;
use crate::state::AppState;
use crate::txn;

/// PocketBase's message for a request over its limit.
pub const TOO_MANY_REQUESTS: &str = "Too Many Requests.";

/// Whether `ip` is one of `list` (addresses or CIDR subnets).
pub fn ip_in_list(list: &[String], ip: &str) -> bool {
    let Ok(address) = ip.parse::<IpAddr>() else {
        return false;
    };
    list.iter().any(|item| match item.split_once('/') {
        Some((network, bits)) => match (network.parse::<IpAddr>(), bits.parse::<u32>()) {
            (Ok(network), Ok(bits)) => in_subnet(address, network, bits),
            _ => false,
        },
        None => item.parse::<IpAddr>().is_ok_and(|item| item == address),
    })
}

fn in_subnet(address: IpAddr, network: IpAddr, bits: u32) -> bool {
    let (address, network, width) = match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u128::from(u32::from(a)), u128::from(u32::from(n)), 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (u128::from(a), u128::from(n), 128),
        _ => return false,
    };
    if bits > width {
        return false;
    }
    let shift = width - bits;
    let high = |value: u128| value.checked_shr(shift).unwrap_or(0);
    high(address) == high(network)
}

/// Who is asking, as far as rate limits care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Requester {
    Guest,
    Auth,
    Superuser,
}

async fn requester(state: &Arc<AppState>, token: Option<String>) -> Requester {
    let Some(token) = token else {
        return Requester::Guest;
    };
    let state = Arc::clone(state);
    let resolved = run_blocking(move || {
        txn::read(state.store.as_ref(), "", |tx| {
            Ok(authenticate(tx, &state.schema(), &token)?.map(|auth| auth.is_superuser()))
        })
    })
    .await;
    match resolved {
        Ok(Some(true)) => Requester::Superuser,
        Ok(Some(false)) => Requester::Auth,
        Ok(None) | Err(_) => Requester::Guest,
    }
}

/// The rule `request` broke, if it broke one (and counts it against its window).
async fn broken_rule(
    state: &Arc<AppState>,
    settings: &LiveSettings,
    request: &ServiceRequest,
) -> Option<RateLimitRule> {
    let limits = &settings.rate_limits;
    let ip = client_ip(
        request.headers(),
        request.peer_addr(),
        &settings.trusted_proxy,
    );
    if ip.is_empty() || ip_in_list(&limits.excluded_ips, &ip) {
        return None;
    }
    let method = request.method().as_str();
    let path = request.path();
    let (labels, route_key) = match rules::collection_route(method, path) {
        Some(route) => {
            // An unknown collection is the handler's 404, not a rate limit matter.
            let collection = state.schema().find(route.collection)?;
            let labels = rules::collection_labels(&collection.name, route.tags, method, path);
            let key = format!("{}{}{}", collection.id, route.pattern, route.tags.concat());
            (labels, Some(key))
        }
        None => (rules::path_labels(method, path), None),
    };
    let is_auth = match requester(state, bearer_token(request.request())).await {
        Requester::Superuser => return None,
        Requester::Auth => true,
        Requester::Guest => false,
    };
    let rule = rules::find_rule(&limits.rules, &labels, is_auth)?;
    state.ops.ensure_rate_limit_cleanup();
    let limiter = format!(
        "{}{}",
        route_key.unwrap_or_else(|| rule.label.clone()),
        rule.audience.as_str()
    );
    let allowed = state.ops.rate_limits.allow(
        &limiter,
        &ip,
        rule.max_requests,
        rule.duration,
        crate::ops::unix_now(),
    );
    (!allowed).then(|| rule.clone())
}

/// Answers 429 for a request over its rate limit; passes everything else on.
pub async fn limit_requests(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .map(|data| Arc::clone(&data.clone().into_inner()));
    if let Some(state) = state {
        let settings = state.ops.settings.get();
        if settings.rate_limits.enabled {
            if let Some(rule) = broken_rule(&state, &settings, &request).await {
                let error = ApiError::new(StatusCode::TOO_MANY_REQUESTS, TOO_MANY_REQUESTS);
                let mut response = error.error_response();
                response.extensions_mut().insert(LogFailure {
                    message: TOO_MANY_REQUESTS.to_string(),
                    details: Value::String(format!(
                        "triggered rate limit rule: {}",
                        rule.to_json_text()
                    )),
                });
                return Ok(request.into_response(response));
            }
        }
    }
    Ok(next.call(request).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excluded_ips_and_subnets() {
        let list = vec![
            "10.0.0.0/8".to_string(),
            "192.168.1.5".to_string(),
            "::1".to_string(),
            "2001:db8::/32".to_string(),
            "junk".to_string(),
        ];
        assert!(ip_in_list(&list, "10.20.30.40"));
        assert!(ip_in_list(&list, "192.168.1.5"));
        assert!(!ip_in_list(&list, "192.168.1.6"));
        assert!(ip_in_list(&list, "0000:0000:0000:0000:0000:0000:0000:0001"));
        assert!(ip_in_list(&list, "2001:db8:1::7"));
        assert!(!ip_in_list(&list, "2001:db9::7"));
        assert!(!ip_in_list(&list, ""));
        assert!(ip_in_list(&["0.0.0.0/0".to_string()], "8.8.8.8"));
    }
}
