//! `GET /api/collections/{collection}/auth-methods`: which ways of logging in a collection
//! offers, public. Durations are 0 for disabled methods, identity fields empty when password
//! auth is off, and the legacy keys of older SDKs (`authProviders`, `usernamePassword`,
//! `emailPassword`) are still sent.
//!
//! OAuth2 providers are not implemented yet: `oauth2.providers` and `authProviders` are always
//! empty and `oauth2.enabled` reports the collection option.

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use pb_core::AuthOptions;
use serde_json::{json, Value};

use super::auth_collection;
use crate::error::ApiResult;
use crate::state::AppState;

/// The auth-methods body of a collection with `options`.
pub fn auth_methods(options: &AuthOptions) -> Value {
    let password_enabled = options.password_auth.enabled;
    let identity_fields: Vec<String> = if password_enabled {
        options.password_auth.identity_fields.clone()
    } else {
        Vec::new()
    };
    let has_identity = |name: &str| identity_fields.iter().any(|field| field == name);
    let enabled_duration = |enabled: bool, duration: i64| if enabled { duration } else { 0 };
    json!({
        "password": {"identityFields": identity_fields, "enabled": password_enabled},
        "oauth2": {"providers": [], "enabled": options.oauth2.enabled},
        "mfa": {
            "enabled": options.mfa.enabled,
            "duration": enabled_duration(options.mfa.enabled, options.mfa.duration),
        },
        "otp": {
            "enabled": options.otp.enabled,
            "duration": enabled_duration(options.otp.enabled, options.otp.duration),
        },
        "authProviders": [],
        "usernamePassword": password_enabled && has_identity("username"),
        "emailPassword": password_enabled && has_identity("email"),
    })
}

pub async fn handle(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let collection_name = path.into_inner();
    let state = Arc::clone(&state.into_inner());
    let collection = auth_collection(&state.schema(), &collection_name)?;
    let options = collection.auth.clone().unwrap_or_default();
    Ok(HttpResponse::Ok().json(auth_methods(&options)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_methods_report_zero_durations_and_legacy_keys_follow_identity_fields() {
        let mut options = AuthOptions::default();
        options.password_auth.enabled = true;
        options.password_auth.identity_fields = vec!["email".into(), "username".into()];
        options.otp.duration = 180;
        options.mfa.enabled = true;
        options.mfa.duration = 600;
        let body = auth_methods(&options);
        assert_eq!(
            body,
            json!({"password": {"identityFields": ["email", "username"], "enabled": true},
                   "oauth2": {"providers": [], "enabled": false},
                   "mfa": {"enabled": true, "duration": 600},
                   "otp": {"enabled": false, "duration": 0},
                   "authProviders": [], "usernamePassword": true, "emailPassword": true})
        );
        options.password_auth.enabled = false;
        let body = auth_methods(&options);
        assert_eq!(body["password"]["identityFields"], json!([]));
        assert_eq!(body["emailPassword"], false);
    }
}
