//! `POST /api/collections/_superusers/auth-with-password` and `…/auth-refresh`, and the JWT they
//! hand out.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::harness::{error_body, Server, SUPERUSER_EMAIL, SUPERUSER_PASSWORD};

const SUPERUSERS_ID: &str = "pbc_3142635823";
/// `_superusers` `authToken.duration`.
const SUPERUSER_TOKEN_SECONDS: i64 = 86_400;

/// Decodes unpadded base64url, as JWT segments are written.
fn base64url_decode(text: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let sextet = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("{text:?} is not unpadded base64url"),
        };
        buffer = (buffer << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    bytes
}

/// Splits a JWT into its decoded header and claims, checking it has three segments and a
/// 32-byte (HS256) signature.
fn decode_jwt(token: &str) -> (Value, Value) {
    let segments: Vec<&str> = token.split('.').collect();
    assert_eq!(segments.len(), 3, "not a JWT: {token}");
    assert_eq!(
        base64url_decode(segments[2]).len(),
        32,
        "not an HS256 signature: {token}"
    );
    let header = serde_json::from_slice(&base64url_decode(segments[0])).unwrap();
    let claims = serde_json::from_slice(&base64url_decode(segments[1])).unwrap();
    (header, claims)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Checks a superuser auth token for `record_id` and returns its `exp`.
fn assert_superuser_token(token: &str, record_id: &str) -> i64 {
    let (header, claims) = decode_jwt(token);
    assert_eq!(header, json!({"alg": "HS256", "typ": "JWT"}));
    let exp = claims["exp"].as_i64().unwrap();
    assert_eq!(
        claims,
        json!({"collectionId": SUPERUSERS_ID, "exp": exp, "id": record_id, "refreshable": true, "type": "auth"})
    );
    let now = now();
    assert!(exp > now, "exp {exp} is not in the future (now {now})");
    assert!(
        exp <= now + SUPERUSER_TOKEN_SECONDS + 5,
        "exp {exp} is beyond the 1-day token duration"
    );
    exp
}

#[test]
fn auth_with_password_returns_the_record_and_an_hs256_auth_token() {
    let server = Server::start();
    let (status, body) =
        server
            .guest()
            .auth_with_password("_superusers", SUPERUSER_EMAIL, SUPERUSER_PASSWORD);
    assert_eq!(status, 200, "{body}");

    let record = &body["record"];
    let record_id = record["id"].as_str().unwrap();
    assert_eq!(record_id.len(), 15);
    assert_eq!(record["collectionId"], SUPERUSERS_ID);
    assert_eq!(record["collectionName"], "_superusers");
    assert_eq!(record["email"], SUPERUSER_EMAIL);
    assert_eq!(record["verified"], true);
    assert!(
        record.get("password").is_none() && record.get("tokenKey").is_none(),
        "{record}"
    );
    assert!(body.get("meta").is_none(), "{body}");

    assert_superuser_token(body["token"].as_str().unwrap(), record_id);
}

#[test]
fn wrong_credentials_fail_with_an_empty_data_object() {
    let server = Server::start();
    let guest = server.guest();
    let expected = error_body(400, "Failed to authenticate.");
    assert_eq!(
        guest.auth_with_password("_superusers", SUPERUSER_EMAIL, "wrong-password"),
        (400, expected.clone())
    );
    assert_eq!(
        guest.auth_with_password("_superusers", "nobody@example.com", SUPERUSER_PASSWORD),
        (400, expected)
    );
}

#[test]
fn auth_refresh_issues_a_token_for_the_same_record() {
    let server = Server::start();
    let guest = server.guest();
    let (_, login) = guest.auth_with_password("_superusers", SUPERUSER_EMAIL, SUPERUSER_PASSWORD);
    let record_id = login["record"]["id"].as_str().unwrap();
    let first_exp = assert_superuser_token(login["token"].as_str().unwrap(), record_id);

    let superuser = guest.with_token(login["token"].as_str().unwrap());
    let (status, refreshed) =
        superuser.post("/api/collections/_superusers/auth-refresh", &json!({}));
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(refreshed["record"], login["record"]);
    let refreshed_exp = assert_superuser_token(refreshed["token"].as_str().unwrap(), record_id);
    assert!(refreshed_exp >= first_exp);

    // The refreshed token works like the first one.
    let refreshed_client = guest.with_token(refreshed["token"].as_str().unwrap());
    assert_eq!(refreshed_client.get("/api/collections/_superusers").0, 200);
}

#[test]
fn auth_refresh_without_a_valid_token_is_unauthorized() {
    let server = Server::start();
    let expected = error_body(
        401,
        "The request requires valid record authorization token.",
    );
    let path = "/api/collections/_superusers/auth-refresh";
    assert_eq!(
        server.guest().post(path, &json!({})),
        (401, expected.clone())
    );
    // An invalid token is no error by itself: the request runs as a guest.
    let forged = server
        .guest()
        .with_token("eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl");
    assert_eq!(forged.post(path, &json!({})), (401, expected));
}

#[test]
fn collections_api_needs_a_superuser_token() {
    let server = Server::start();
    let expected = error_body(
        401,
        "The request requires valid record authorization token.",
    );
    assert_eq!(server.guest().get("/api/collections"), (401, expected));
    // Both `Authorization: TOKEN` and `Authorization: Bearer TOKEN` are accepted.
    let token = server.superuser_token();
    assert_eq!(
        server.guest().with_token(&token).get("/api/collections").0,
        200
    );
    assert_eq!(
        server
            .guest()
            .with_token(&format!("Bearer {token}"))
            .get("/api/collections")
            .0,
        200
    );
}
