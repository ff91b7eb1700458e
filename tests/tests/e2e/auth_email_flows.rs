//! The email flows of auth collections, completed from the token in the received mail:
//! verification, password reset and email change.

use serde_json::json;

use crate::auth_support::{
    claims, create_user, login_user, server_with_mail, view_as_superuser, USER_PASSWORD,
};
use crate::harness::error_body;

const INVALID_FORM: &str = "An error occurred while validating the submitted data.";

#[test]
fn verification_mail_token_verifies_the_record() {
    let (server, sink, superuser) = server_with_mail();
    let guest = server.guest();
    let user = create_user(&superuser, "verify@example.com");
    let id = user["id"].as_str().unwrap();

    let request = "/api/collections/users/request-verification";
    assert_eq!(
        guest.post(request, &json!({"email": "verify@example.com"})),
        (204, serde_json::Value::Null)
    );
    let mail = sink.mail_to("verify@example.com");
    assert!(mail.subject().contains("Verify your"), "{}", mail.subject());
    let token = mail.token();
    let token_claims = claims(&token);
    assert_eq!(token_claims["type"], "verification");
    assert_eq!(token_claims["email"], "verify@example.com");
    assert_eq!(token_claims["id"], id);

    // Unknown addresses answer the same; malformed ones are form errors.
    assert_eq!(
        guest
            .post(request, &json!({"email": "nobody@example.com"}))
            .0,
        204
    );
    let (status, body) = guest.post(request, &json!({"email": "not-an-email"}));
    assert_eq!(status, 400);
    assert_eq!(body["message"], INVALID_FORM);
    assert_eq!(body["data"]["email"]["code"], "validation_is_email");
    assert_eq!(
        guest.post(
            "/api/collections/_superusers/request-verification",
            &json!({"email": "a@example.com"})
        ),
        (
            400,
            error_body(400, "All superusers are verified by default.")
        )
    );

    let confirm = "/api/collections/users/confirm-verification";
    let (status, body) = guest.post(confirm, &json!({"token": "garbage"}));
    assert_eq!(status, 400);
    assert_eq!(
        body["data"]["token"]["code"],
        "validation_invalid_token_claims"
    );
    assert_eq!(guest.post(confirm, &json!({"token": token})).0, 204);
    assert_eq!(view_as_superuser(&superuser, "users", id)["verified"], true);
    // Replaying the token is harmless.
    assert_eq!(guest.post(confirm, &json!({"token": token})).0, 204);

    // A verified record gets no new mail: the next mail to arrive is the marker's.
    create_user(&superuser, "marker@example.com");
    assert_eq!(
        guest
            .post(request, &json!({"email": "verify@example.com"}))
            .0,
        204
    );
    assert_eq!(
        guest
            .post(request, &json!({"email": "marker@example.com"}))
            .0,
        204
    );
    let stray = sink.mails_before_marker("marker@example.com");
    assert!(stray.is_empty(), "unexpected mails: {stray:?}");
}

#[test]
fn password_reset_sets_the_new_password_and_revokes_old_tokens() {
    let (server, sink, superuser) = server_with_mail();
    let guest = server.guest();
    let user = create_user(&superuser, "reset@example.com");
    let id = user["id"].as_str().unwrap();
    let old_token = login_user(&guest, "reset@example.com");

    let request = "/api/collections/users/request-password-reset";
    assert_eq!(
        guest
            .post(request, &json!({"email": "reset@example.com"}))
            .0,
        204
    );
    assert_eq!(
        guest
            .post(request, &json!({"email": "nobody@example.com"}))
            .0,
        204
    );
    let mail = sink.mail_to("reset@example.com");
    let token = mail.token();
    assert_eq!(claims(&token)["type"], "passwordReset");
    assert_eq!(claims(&token)["email"], "reset@example.com");

    let confirm = "/api/collections/users/confirm-password-reset";
    let (status, body) = guest.post(confirm, &json!({}));
    assert_eq!(status, 400);
    for key in ["token", "password", "passwordConfirm"] {
        assert_eq!(body["data"][key]["code"], "validation_required", "{body}");
    }
    let (status, body) = guest.post(
        confirm,
        &json!({"token": token, "password": "short", "passwordConfirm": "short"}),
    );
    assert_eq!(status, 400);
    assert_eq!(
        body["data"]["password"],
        json!({"code": "validation_length_out_of_range",
               "message": "The length must be between 8 and 255.",
               "params": {"min": 8, "max": 255}})
    );
    let (status, body) = guest.post(
        confirm,
        &json!({"token": token, "password": "new-pass-123", "passwordConfirm": "new-pass-124"}),
    );
    assert_eq!(status, 400);
    assert_eq!(
        body["data"]["passwordConfirm"]["code"],
        "validation_values_mismatch"
    );
    assert!(body["data"].get("token").is_none(), "{body}");

    let (status, body) = guest.post(
        confirm,
        &json!({"token": token, "password": "new-pass-123", "passwordConfirm": "new-pass-123"}),
    );
    assert_eq!(status, 204, "{body}");

    // The old password and every earlier token are gone, the reset token included.
    assert_eq!(
        guest.auth_with_password("users", "reset@example.com", USER_PASSWORD),
        (400, error_body(400, "Failed to authenticate."))
    );
    let (status, body) = guest.auth_with_password("users", "reset@example.com", "new-pass-123");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["record"]["verified"], true,
        "the mail proved the address"
    );
    assert_eq!(
        guest
            .with_token(&old_token)
            .post("/api/collections/users/auth-refresh", &json!({}))
            .0,
        401
    );
    let (status, body) = guest.post(
        confirm,
        &json!({"token": token, "password": "other-pass-123", "passwordConfirm": "other-pass-123"}),
    );
    assert_eq!(status, 400);
    assert_eq!(body["data"]["token"]["code"], "validation_invalid_token");
    assert_eq!(view_as_superuser(&superuser, "users", id)["id"], id);
}

#[test]
fn email_change_moves_the_record_to_the_confirmed_address() {
    let (server, sink, superuser) = server_with_mail();
    let guest = server.guest();
    let user = create_user(&superuser, "old@example.com");
    let id = user["id"].as_str().unwrap();
    create_user(&superuser, "taken@example.com");
    let token = login_user(&guest, "old@example.com");
    let owner = guest.with_token(&token);

    let request = "/api/collections/users/request-email-change";
    assert_eq!(
        guest.post(request, &json!({"newEmail": "new@example.com"})),
        (
            401,
            error_body(
                401,
                "The request requires valid record authorization token."
            )
        )
    );
    let (status, body) = owner.post(request, &json!({"newEmail": "old@example.com"}));
    assert_eq!(status, 400);
    assert_eq!(
        body["data"]["newEmail"]["code"],
        "validation_not_in_invalid"
    );
    let (status, body) = owner.post(request, &json!({"newEmail": "taken@example.com"}));
    assert_eq!(status, 400);
    assert_eq!(
        body["data"]["newEmail"]["code"],
        "validation_invalid_new_email"
    );
    assert_eq!(
        owner
            .post(request, &json!({"newEmail": "new@example.com"}))
            .0,
        204
    );

    let mail = sink.mail_to("new@example.com");
    let change_token = mail.token();
    let change_claims = claims(&change_token);
    assert_eq!(change_claims["type"], "emailChange");
    assert_eq!(change_claims["email"], "old@example.com");
    assert_eq!(change_claims["newEmail"], "new@example.com");

    let confirm = "/api/collections/users/confirm-email-change";
    let (status, body) = guest.post(
        confirm,
        &json!({"token": change_token, "password": "wrong-pass"}),
    );
    assert_eq!(status, 400);
    assert_eq!(
        body["data"],
        json!({"password": {"code": "validation_invalid_password",
                            "message": "Missing or invalid auth record password."}})
    );
    let (status, body) = guest.post(confirm, &json!({"token": token, "password": USER_PASSWORD}));
    assert_eq!(status, 400, "an auth token is no email-change token");
    assert_eq!(
        body["data"]["token"]["code"],
        "validation_invalid_token_payload"
    );

    let (status, body) = guest.post(
        confirm,
        &json!({"token": change_token, "password": USER_PASSWORD}),
    );
    assert_eq!(status, 204, "{body}");
    let record = view_as_superuser(&superuser, "users", id);
    assert_eq!(record["email"], "new@example.com");
    assert_eq!(record["verified"], true);
    assert_eq!(
        owner
            .post("/api/collections/users/auth-refresh", &json!({}))
            .0,
        401
    );
    assert!(!login_user(&guest, "new@example.com").is_empty());
    assert_eq!(
        guest
            .auth_with_password("users", "old@example.com", USER_PASSWORD)
            .0,
        400
    );
}

#[test]
fn email_change_fails_when_the_mail_cannot_be_sent() {
    let server = crate::harness::Server::start();
    let superuser = server.superuser();
    // SMTP pointed at a loopback port nobody listens on.
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (status, body) = superuser.patch(
        "/api/settings",
        &json!({"smtp": {"enabled": true, "host": "127.0.0.1", "port": closed_port, "tls": false}}),
    );
    assert_eq!(status, 200, "{body}");
    create_user(&superuser, "stuck@example.com");
    let owner = server
        .guest()
        .with_token(&login_user(&server.guest(), "stuck@example.com"));
    assert_eq!(
        owner.post(
            "/api/collections/users/request-email-change",
            &json!({"newEmail": "elsewhere@example.com"})
        ),
        (400, error_body(400, "Failed to request email change."))
    );
}
