//! What an attacker tries against the auth endpoints: forged, tampered, expired and
//! wrong-type tokens, tokens that outlived a password change, guessing OTPs, reading another
//! user's hidden email, and superuser-only endpoints with a user token.

use serde_json::{json, Value};

use crate::auth_support::{
    base64url_encode, claims, create_user, login_user, now, server_with_mail, sign_hs256,
    users_signing_key, USER_PASSWORD,
};
use crate::harness::{create_collection, create_record, error_body, Server};

/// A token with the same header and signature but other claims.
fn tampered(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!(
        "{}.{}.{}",
        parts[0],
        base64url_encode(claims.to_string().as_bytes()),
        parts[2]
    )
}

#[test]
fn forged_tampered_expired_and_misused_tokens_are_refused() {
    let (server, sink, superuser) = server_with_mail();
    let guest = server.guest();
    let victim = create_user(&superuser, "victim@example.com");
    let victim_id = victim["id"].as_str().unwrap();
    create_user(&superuser, "mallory@example.com");
    let refresh = "/api/collections/users/auth-refresh";
    let confirm = "/api/collections/users/confirm-password-reset";
    let unauthorized = (
        401,
        error_body(
            401,
            "The request requires valid record authorization token.",
        ),
    );

    // Mallory's own reset token, re-pointed at the victim: the signature no longer holds.
    assert_eq!(
        guest
            .post(
                "/api/collections/users/request-password-reset",
                &json!({"email": "mallory@example.com"})
            )
            .0,
        204
    );
    let mallory_token = sink.mail_to("mallory@example.com").token();
    let mut forged_claims = claims(&mallory_token);
    forged_claims["id"] = json!(victim_id);
    forged_claims["email"] = json!("victim@example.com");
    let forged = tampered(&mallory_token, &forged_claims);
    let new_password =
        json!({"token": forged, "password": "owned-12345", "passwordConfirm": "owned-12345"});
    let (status, body) = guest.post(confirm, &new_password);
    assert_eq!(status, 400);
    assert_eq!(body["data"]["token"]["code"], "validation_invalid_token");

    // An unsigned token (`alg: none`) for the victim.
    let header = base64url_encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = base64url_encode(
        json!({"id": victim_id, "collectionId": "_pb_users_auth_", "type": "auth",
               "refreshable": true, "exp": now() + 3600})
        .to_string()
        .as_bytes(),
    );
    let unsigned = format!("{header}.{payload}.");
    assert_eq!(
        guest.with_token(&unsigned).post(refresh, &json!({})),
        unauthorized
    );

    // Correctly signed with the victim's real key but expired.
    let auth_key = users_signing_key(&server, "authToken", victim_id);
    let expired = sign_hs256(
        &json!({"id": victim_id, "collectionId": "_pb_users_auth_", "type": "auth",
                "refreshable": true, "exp": now() - 10}),
        &auth_key,
    );
    assert_eq!(
        guest.with_token(&expired).post(refresh, &json!({})),
        unauthorized
    );
    // The same claims unexpired do work, so the key and the signing are right.
    let valid = sign_hs256(
        &json!({"id": victim_id, "collectionId": "_pb_users_auth_", "type": "auth",
                "refreshable": true, "exp": now() + 600}),
        &auth_key,
    );
    assert_eq!(guest.with_token(&valid).post(refresh, &json!({})).0, 200);

    // An expired password-reset token signed with the right key.
    let reset_key = users_signing_key(&server, "passwordResetToken", victim_id);
    let expired_reset = sign_hs256(
        &json!({"id": victim_id, "collectionId": "_pb_users_auth_", "type": "passwordReset",
                "email": "victim@example.com", "exp": now() - 10}),
        &reset_key,
    );
    let (status, body) = guest.post(
        confirm,
        &json!({"token": expired_reset, "password": "owned-12345", "passwordConfirm": "owned-12345"}),
    );
    assert_eq!(status, 400);
    assert_eq!(body["data"]["token"]["code"], "validation_invalid_token");

    // A token of another type: the auth token is no reset token, the reset token no auth token.
    let victim_auth = login_user(&guest, "victim@example.com");
    let (status, body) = guest.post(
        confirm,
        &json!({"token": victim_auth, "password": "owned-12345", "passwordConfirm": "owned-12345"}),
    );
    assert_eq!(status, 400);
    assert_eq!(body["data"]["token"]["code"], "validation_invalid_token");
    assert_eq!(
        guest.with_token(&mallory_token).post(refresh, &json!({})),
        unauthorized
    );

    // None of it changed the victim's password.
    assert_eq!(
        guest
            .auth_with_password("users", "victim@example.com", USER_PASSWORD)
            .0,
        200
    );
}

#[test]
fn tokens_issued_before_a_password_change_stop_working() {
    let server = Server::start();
    let superuser = server.superuser();
    let (status, body) = superuser.patch(
        "/api/collections/users",
        &json!({"viewRule": "", "updateRule": "", "listRule": ""}),
    );
    assert_eq!(status, 200, "{body}");
    let user = create_user(&superuser, "rotate@example.com");
    let id = user["id"].as_str().unwrap();
    let guest = server.guest();
    let old_token = login_user(&guest, "rotate@example.com");
    let old = guest.with_token(&old_token);

    let (status, body) = old.patch(
        &format!("/api/collections/users/records/{id}"),
        &json!({"oldPassword": USER_PASSWORD, "password": "rotated-123", "passwordConfirm": "rotated-123"}),
    );
    assert_eq!(status, 200, "{body}");

    assert_eq!(
        old.post("/api/collections/users/auth-refresh", &json!({})),
        (
            401,
            error_body(
                401,
                "The request requires valid record authorization token."
            )
        )
    );
    // Acting as a guest now: the own email is hidden again.
    let (status, body) = old.get(&format!("/api/collections/users/records/{id}"));
    assert_eq!(status, 200, "{body}");
    assert!(body.get("email").is_none(), "{body}");
}

#[test]
fn otp_guessing_is_cut_off_after_five_attempts() {
    let (server, sink, superuser) = server_with_mail();
    let guest = server.guest();
    let (status, body) = superuser.patch(
        "/api/collections/users",
        &json!({"otp": {"enabled": true, "emailTemplate": {"subject": "code", "body": "<p>otp:{OTP}</p>"}}}),
    );
    assert_eq!(status, 200, "{body}");
    create_user(&superuser, "guess@example.com");
    let (status, body) = guest.post(
        "/api/collections/users/request-otp",
        &json!({"email": "guess@example.com"}),
    );
    assert_eq!(status, 200, "{body}");
    let otp_id = body["otpId"].as_str().unwrap().to_string();
    let code = sink.mail_to("guess@example.com").value_after("otp:");
    let path = "/api/collections/users/auth-with-otp";

    let wrong = if code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    for _ in 0..5 {
        assert_eq!(
            guest.post(path, &json!({"otpId": otp_id, "password": wrong})),
            (400, error_body(400, "Invalid or expired OTP."))
        );
    }
    // The sixth attempt is refused before the code is even checked, even the right code.
    let too_many = (
        429,
        error_body(
            429,
            "Too many attempts, please try again later with a new OTP.",
        ),
    );
    assert_eq!(
        guest.post(path, &json!({"otpId": otp_id, "password": code})),
        too_many
    );
}

#[test]
fn another_users_hidden_email_stays_hidden() {
    let server = Server::start();
    let superuser = server.superuser();
    create_collection(
        &superuser,
        &json!({"name": "members", "type": "auth", "listRule": "", "viewRule": "",
                "fields": [{"name": "nick", "type": "text"}]}),
    );
    let password = json!({"password": USER_PASSWORD, "passwordConfirm": USER_PASSWORD});
    let mut alice = json!({"email": "alice@example.com", "nick": "alice"});
    alice
        .as_object_mut()
        .unwrap()
        .extend(password.as_object().unwrap().clone());
    let alice = create_record(&superuser, "members", &alice);
    let mut bob = json!({"email": "bob@example.com", "nick": "bob"});
    bob.as_object_mut()
        .unwrap()
        .extend(password.as_object().unwrap().clone());
    create_record(&superuser, "members", &bob);
    let alice_id = alice["id"].as_str().unwrap();

    let guest = server.guest();
    let (status, login) = guest.auth_with_password("members", "bob@example.com", USER_PASSWORD);
    assert_eq!(status, 200, "{login}");
    assert_eq!(
        login["record"]["email"], "bob@example.com",
        "own email in the auth response"
    );
    let bob_client = guest.with_token(login["token"].as_str().unwrap());

    let (status, body) = bob_client.get(&format!("/api/collections/members/records/{alice_id}"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["nick"], "alice");
    assert!(body.get("email").is_none(), "{body}");
    let (status, body) = bob_client.get("/api/collections/members/records");
    assert_eq!(status, 200, "{body}");
    for item in body["items"].as_array().unwrap() {
        if item["id"] != alice_id {
            continue;
        }
        assert!(item.get("email").is_none(), "{item}");
    }
    // Refreshing Bob's token shows Bob's email, never Alice's.
    let (status, body) = bob_client.post("/api/collections/members/auth-refresh", &json!({}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["record"]["email"], "bob@example.com");
}

#[test]
fn superuser_only_auth_endpoints_refuse_user_tokens() {
    let server = Server::start();
    let superuser = server.superuser();
    let user = create_user(&superuser, "plain@example.com");
    let id = user["id"].as_str().unwrap();
    let guest = server.guest();
    let user_client = guest.with_token(&login_user(&guest, "plain@example.com"));
    let path = format!("/api/collections/users/impersonate/{id}");

    assert_eq!(
        guest.post(&path, &json!({})),
        (
            401,
            error_body(
                401,
                "The request requires valid record authorization token."
            )
        )
    );
    assert_eq!(
        user_client.post(&path, &json!({})),
        (
            403,
            error_body(
                403,
                "The authorized record is not allowed to perform this action."
            )
        )
    );
    // Nor can an impersonation token impersonate a superuser.
    let (status, body) = superuser.post(&path, &json!({}));
    assert_eq!(status, 200, "{body}");
    let impersonated = guest.with_token(body["token"].as_str().unwrap());
    let superuser_id = claims(&server.superuser_token())["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        impersonated
            .post(
                &format!("/api/collections/_superusers/impersonate/{superuser_id}"),
                &json!({})
            )
            .0,
        403
    );
    assert_eq!(impersonated.get("/api/settings").0, 403);
}
