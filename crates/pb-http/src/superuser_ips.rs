//! The settings' `superuserIPs`: while the list is not empty, a request carrying a valid
//! superuser token from any other address is refused with PocketBase's 403 ("You are not
//! allowed to perform this request."), whatever it asks for.
//!
//! Costs nothing while the list is empty (the default), and nothing for requests whose token
//! does not name the superusers collection: only then is the token verified (one read).

use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse, ResponseError};

use crate::auth::request_auth::{authenticate, bearer_token};
use crate::auth::token;
use crate::blocking::run_blocking;
use crate::client_ip::client_ip;
use crate::error::ApiError;
use crate::state::AppState;
use crate::txn;

/// PocketBase's answer to a superuser outside the whitelist.
pub const NOT_ALLOWED: &str = "You are not allowed to perform this request.";

/// The middleware.
pub async fn guard_superuser_ips(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = request
        .app_data::<web::Data<AppState>>()
        .map(|data| data.clone().into_inner())
    else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    if is_refused(&state, &request).await {
        let response: HttpResponse =
            ApiError::new(StatusCode::FORBIDDEN, NOT_ALLOWED).error_response();
        return Ok(request.into_response(response));
    }
    Ok(next.call(request).await?.map_into_boxed_body())
}

/// Whether the request is a superuser's from outside the whitelist.
async fn is_refused(state: &Arc<AppState>, request: &ServiceRequest) -> bool {
    let settings = state.ops.settings.get();
    if settings.superuser_ips.is_empty() {
        return false;
    }
    let Some(raw_token) = bearer_token(request.request()) else {
        return false;
    };
    let names_superusers = token::peek(&raw_token).is_some_and(|claims| {
        state
            .schema()
            .find_ref(&claims.collection_id)
            .is_some_and(|collection| collection.name == pb_core::system::SUPERUSERS)
    });
    if !names_superusers {
        return false;
    }
    let ip = client_ip(
        request.headers(),
        request.peer_addr(),
        &settings.trusted_proxy,
    );
    if ip_allowed(&settings.superuser_ips, &ip) {
        return false;
    }
    let state = Arc::clone(state);
    let verified = run_blocking(move || {
        txn::read(state.store.as_ref(), "", |tx| {
            Ok(authenticate(tx, &state.schema(), &raw_token)?
                .is_some_and(|auth| auth.is_superuser()))
        })
    })
    .await;
    verified.unwrap_or(false)
}

/// Whether `ip` (as the client IP helper writes it) is in the whitelist.
pub fn ip_allowed(whitelist: &[String], ip: &str) -> bool {
    let address = ip.parse().ok();
    pb_core::settings::ip_allowed(whitelist, address)
}
