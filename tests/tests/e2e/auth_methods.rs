//! `GET /api/collections/{c}/auth-methods` and `POST /api/collections/{c}/impersonate/{id}`.

use serde_json::json;

use crate::auth_support::{claims, create_user, now};
use crate::harness::{create_collection, error_body, Server};

#[test]
fn auth_methods_report_the_collection_options_with_legacy_keys() {
    let server = Server::start();
    let guest = server.guest();
    let superuser = server.superuser();
    assert_eq!(
        guest.get("/api/collections/users/auth-methods"),
        (
            200,
            json!({"password": {"identityFields": ["email"], "enabled": true},
                   "oauth2": {"providers": [], "enabled": false},
                   "mfa": {"enabled": false, "duration": 0},
                   "otp": {"enabled": false, "duration": 0},
                   "authProviders": [], "usernamePassword": false, "emailPassword": true})
        )
    );

    let (status, body) = superuser.patch(
        "/api/collections/users",
        &json!({"otp": {"enabled": true, "duration": 120}, "mfa": {"enabled": true}}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, methods) = guest.get("/api/collections/users/auth-methods");
    assert_eq!(status, 200);
    assert_eq!(methods["otp"], json!({"enabled": true, "duration": 120}));
    assert_eq!(methods["mfa"], json!({"enabled": true, "duration": 600}));

    let (status, body) = superuser.patch(
        "/api/collections/users",
        &json!({"mfa": {"enabled": false}, "passwordAuth": {"enabled": false}}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, methods) = guest.get("/api/collections/users/auth-methods");
    assert_eq!(status, 200);
    assert_eq!(methods["mfa"], json!({"enabled": false, "duration": 0}));
    assert_eq!(
        methods["password"],
        json!({"identityFields": [], "enabled": false})
    );
    assert_eq!(methods["emailPassword"], false);

    assert_eq!(
        guest.get("/api/collections/nosuch/auth-methods"),
        (
            404,
            error_body(404, "Missing or invalid collection context.")
        )
    );
    create_collection(&superuser, &json!({"name": "notes", "type": "base"}));
    assert_eq!(
        guest.get("/api/collections/notes/auth-methods"),
        (
            404,
            error_body(404, "Missing or invalid auth collection context.")
        )
    );
}

#[test]
fn impersonation_gives_a_non_refreshable_token_of_the_asked_duration() {
    let server = Server::start();
    let superuser = server.superuser();
    let user = create_user(&superuser, "imp@example.com");
    let id = user["id"].as_str().unwrap();
    let path = format!("/api/collections/users/impersonate/{id}");

    let (status, body) = superuser.post(&path, &json!({"duration": 600}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["record"]["id"], id);
    assert_eq!(
        body["record"]["email"], "imp@example.com",
        "email shown in auth responses"
    );
    let token = body["token"].as_str().unwrap();
    let token_claims = claims(token);
    assert_eq!(token_claims["refreshable"], false);
    assert_eq!(token_claims["type"], "auth");
    assert_eq!(token_claims["id"], id);
    let exp = token_claims["exp"].as_i64().unwrap();
    assert!((exp - (now() + 600)).abs() < 30, "exp {exp}");

    // The token acts as the user, and refreshing it answers the same token.
    let impersonated = server.guest().with_token(token);
    let (status, refreshed) = impersonated.post("/api/collections/users/auth-refresh", &json!({}));
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(refreshed["token"], token);
    assert_eq!(refreshed["record"]["id"], id);

    // Without a duration the collection's auth token duration applies (5 days for users).
    let (status, body) = superuser.post(&path, &json!({}));
    assert_eq!(status, 200);
    let exp = claims(body["token"].as_str().unwrap())["exp"]
        .as_i64()
        .unwrap();
    assert!((exp - (now() + 432_000)).abs() < 30, "exp {exp}");

    // `fields` picks from the whole response.
    let (status, body) = superuser.post(&format!("{path}?fields=record.id"), &json!({}));
    assert_eq!((status, body), (200, json!({"record": {"id": id}})));

    let (status, body) = superuser.post(&path, &json!({"duration": -1}));
    assert_eq!(status, 400);
    assert_eq!(
        body["data"]["duration"]["code"],
        "validation_min_greater_equal_than_required"
    );
    assert_eq!(
        superuser.post(&path, &json!({"duration": "soon"})),
        (
            400,
            error_body(400, "An error occurred while loading the submitted data.")
        )
    );
    assert_eq!(
        superuser.post(
            "/api/collections/users/impersonate/nosuchrecord123",
            &json!({})
        ),
        (404, error_body(404, "The requested resource wasn't found."))
    );
}
