//! The rules of an authentication: `authRule` (checked on every auth response, impersonation
//! excepted since a superuser asks) and `mfa.rule` (which records need a second factor).

use serde_json::json;

use crate::auth_support::{create_user, login_user, USER_PASSWORD};
use crate::harness::{create_collection, create_record, error_body, Server};

const REFUSED: &str = "The request doesn't satisfy the collection requirements to authenticate.";

#[test]
fn the_auth_rule_decides_who_may_log_in() {
    let server = Server::start();
    let superuser = server.superuser();
    let guest = server.guest();
    let refresh = "/api/collections/users/auth-refresh";
    let user = create_user(&superuser, "pending@example.com");
    let id = user["id"].as_str().unwrap();
    assert!(!login_user(&guest, "pending@example.com").is_empty());

    let (status, body) = superuser.patch(
        "/api/collections/users",
        &json!({"authRule": "verified = true"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        guest.auth_with_password("users", "pending@example.com", USER_PASSWORD),
        (403, error_body(403, REFUSED))
    );
    // A superuser may still impersonate the record, but the token cannot be refreshed past
    // the rule (the record itself is the caller then).
    let (status, body) = superuser.post(
        &format!("/api/collections/users/impersonate/{id}"),
        &json!({}),
    );
    assert_eq!(status, 200, "{body}");
    let impersonated = guest.with_token(body["token"].as_str().unwrap());
    assert_eq!(
        impersonated.post(refresh, &json!({})),
        (403, error_body(403, REFUSED))
    );

    let (status, body) = superuser.patch(
        &format!("/api/collections/users/records/{id}"),
        &json!({"verified": true}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        guest
            .auth_with_password("users", "pending@example.com", USER_PASSWORD)
            .0,
        200
    );

    // `null`: nobody logs in on their own.
    create_collection(
        &superuser,
        &json!({"name": "locked", "type": "auth", "authRule": null}),
    );
    create_record(
        &superuser,
        "locked",
        &json!({"email": "in@example.com", "password": USER_PASSWORD, "passwordConfirm": USER_PASSWORD}),
    );
    assert_eq!(
        guest.auth_with_password("locked", "in@example.com", USER_PASSWORD),
        (403, error_body(403, REFUSED))
    );
    // A wrong password is still just a failed login.
    assert_eq!(
        guest.auth_with_password("locked", "in@example.com", "wrong-password"),
        (400, error_body(400, "Failed to authenticate."))
    );
}

#[test]
fn the_mfa_rule_selects_the_records_that_need_a_second_factor() {
    let server = Server::start();
    let superuser = server.superuser();
    let guest = server.guest();
    let (status, body) = superuser.patch(
        "/api/collections/users",
        &json!({"otp": {"enabled": true}, "mfa": {"enabled": true, "rule": "verified = true"}}),
    );
    assert_eq!(status, 200, "{body}");
    create_user(&superuser, "casual@example.com");
    let careful = create_user(&superuser, "careful@example.com");
    let (status, body) = superuser.patch(
        &format!(
            "/api/collections/users/records/{}",
            careful["id"].as_str().unwrap()
        ),
        &json!({"verified": true}),
    );
    assert_eq!(status, 200, "{body}");

    assert_eq!(
        guest
            .auth_with_password("users", "casual@example.com", USER_PASSWORD)
            .0,
        200
    );
    let (status, body) = guest.auth_with_password("users", "careful@example.com", USER_PASSWORD);
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["mfaId"].as_str().unwrap().len(), 15);
}
