//! One-time passwords (`request-otp`, `auth-with-otp`) from the mailed code, and MFA: a first
//! method answers `401 {"mfaId"}`, a second, different one completes the login.

use serde_json::{json, Value};

use crate::auth_support::{
    create_user, server_with_mail, view_as_superuser, SmtpSink, USER_PASSWORD,
};
use crate::harness::{error_body, Client};

/// Enables OTP (and MFA when asked) on `users`, with a template that is easy to read back.
fn enable_otp(superuser: &Client, mfa: bool) {
    let (status, body) = superuser.patch(
        "/api/collections/users",
        &json!({"otp": {"enabled": true, "emailTemplate": {
                    "subject": "Code for {APP_NAME}",
                    "body": "<p>otp:{OTP} id:{OTP_ID} name:{RECORD:email}</p>"}},
                "mfa": {"enabled": mfa}}),
    );
    assert_eq!(status, 200, "{body}");
}

/// Requests an OTP for `email` and returns `(otpId, code)` from the answer and the mail.
fn request_otp(guest: &Client, sink: &SmtpSink, email: &str) -> (String, String) {
    let (status, body) = guest.post(
        "/api/collections/users/request-otp",
        &json!({"email": email}),
    );
    assert_eq!(status, 200, "{body}");
    let otp_id = body["otpId"].as_str().unwrap().to_string();
    let mail = sink.mail_to(email);
    assert_eq!(mail.subject(), "Code for Acme");
    assert_eq!(mail.value_after("id:"), otp_id);
    assert_eq!(mail.value_after("name:"), email);
    (otp_id, mail.value_after("otp:"))
}

/// Waits until the `_otps` row says where its mail went. Our server stores `sentTo` with the
/// OTP; PocketBase stores it after its mailer returns, a moment after the sink has the mail,
/// so against PocketBase this polls briefly.
fn wait_for_sent_to(superuser: &Client, otp_id: &str, email: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, row) = superuser.get(&format!("/api/collections/_otps/records/{otp_id}"));
        assert_eq!(status, 200, "{row}");
        if row["sentTo"] == email {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "sentTo never set: {row}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn auth_with_otp(guest: &Client, body: &Value) -> (u16, Value) {
    guest.post("/api/collections/users/auth-with-otp", body)
}

#[test]
fn otp_from_the_mail_logs_in_once_and_verifies_the_address() {
    let (server, sink, superuser) = server_with_mail();
    let guest = server.guest();
    assert_eq!(
        guest.post(
            "/api/collections/users/request-otp",
            &json!({"email": "a@example.com"})
        ),
        (
            403,
            error_body(
                403,
                "The collection is not configured to allow OTP authentication."
            )
        )
    );
    enable_otp(&superuser, false);
    let user = create_user(&superuser, "otp@example.com");
    let id = user["id"].as_str().unwrap();

    // Unknown addresses get an id too, which never logs anyone in.
    let (status, body) = guest.post(
        "/api/collections/users/request-otp",
        &json!({"email": "ghost@example.com"}),
    );
    assert_eq!(status, 200);
    let ghost_id = body["otpId"].as_str().unwrap();
    assert_eq!(ghost_id.len(), 15);
    assert_eq!(
        auth_with_otp(&guest, &json!({"otpId": ghost_id, "password": "12345678"})),
        (400, error_body(400, "Invalid or expired OTP."))
    );

    let (otp_id, code) = request_otp(&guest, &sink, "otp@example.com");
    assert_eq!(code.len(), 8);
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{code}");
    let (status, body) = auth_with_otp(&guest, &json!({}));
    assert_eq!(status, 400);
    assert_eq!(body["data"]["otpId"]["code"], "validation_required");
    assert_eq!(body["data"]["password"]["code"], "validation_required");

    wait_for_sent_to(&superuser, &otp_id, "otp@example.com");
    let (status, body) = auth_with_otp(&guest, &json!({"otpId": otp_id, "password": code}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["record"]["id"], id);
    assert_eq!(body["record"]["email"], "otp@example.com");
    assert_eq!(
        body["record"]["verified"], true,
        "the OTP went to the record's address"
    );
    assert_eq!(view_as_superuser(&superuser, "users", id)["verified"], true);
    let token = body["token"].as_str().unwrap();
    assert_eq!(
        guest
            .with_token(token)
            .post("/api/collections/users/auth-refresh", &json!({}))
            .0,
        200
    );

    // Used once, gone.
    assert_eq!(
        auth_with_otp(&guest, &json!({"otpId": otp_id, "password": code})),
        (400, error_body(400, "Invalid or expired OTP."))
    );
}

#[test]
fn mfa_needs_a_second_different_method() {
    let (server, sink, superuser) = server_with_mail();
    let guest = server.guest();
    enable_otp(&superuser, true);
    create_user(&superuser, "mfa@example.com");
    create_user(&superuser, "other@example.com");

    // The first method answers 401 with only the session id.
    let (status, body) = guest.auth_with_password("users", "mfa@example.com", USER_PASSWORD);
    assert_eq!(status, 401, "{body}");
    let object = body.as_object().unwrap();
    assert_eq!(object.len(), 1, "{body}");
    let mfa_id = body["mfaId"].as_str().unwrap().to_string();
    assert_eq!(mfa_id.len(), 15);

    // Wrong password with a session: still just a failed login.
    let login = "/api/collections/users/auth-with-password";
    assert_eq!(
        guest.post(
            login,
            &json!({"identity": "mfa@example.com", "password": "nope-nope", "mfaId": mfa_id})
        ),
        (400, error_body(400, "Failed to authenticate."))
    );
    assert_eq!(
        guest.post(
            login,
            &json!({"identity": "mfa@example.com", "password": USER_PASSWORD, "mfaId": mfa_id})
        ),
        (
            400,
            error_body(400, "A different authentication method is required.")
        )
    );
    assert_eq!(
        guest.post(
            login,
            &json!({"identity": "other@example.com", "password": USER_PASSWORD, "mfaId": mfa_id})
        ),
        (400, error_body(400, "Invalid MFA session."))
    );
    assert_eq!(
        guest.post(login, &json!({"identity": "other@example.com", "password": USER_PASSWORD, "mfaId": "nosuchsession12"})),
        (400, error_body(400, "Invalid or expired MFA session."))
    );

    // The second factor, with the session id as a query param.
    let (otp_id, code) = request_otp(&guest, &sink, "mfa@example.com");
    let (status, body) = guest.post(
        &format!("/api/collections/users/auth-with-otp?mfaId={mfa_id}"),
        &json!({"otpId": otp_id, "password": code}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["record"]["email"], "mfa@example.com");
    assert!(body["token"].as_str().unwrap().starts_with("eyJ"));

    // The session is closed once used.
    let (otp_id, code) = request_otp(&guest, &sink, "mfa@example.com");
    assert_eq!(
        auth_with_otp(
            &guest,
            &json!({"otpId": otp_id, "password": code, "mfaId": mfa_id})
        ),
        (400, error_body(400, "Invalid or expired MFA session."))
    );
}
