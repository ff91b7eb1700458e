//! `POST /api/settings/test/email` and `POST /api/settings/test/s3`: the dashboard's checks of
//! the mail and S3 settings. Bodies and codes as PocketBase 0.40 answers them.

use serde_json::{json, Value};

use crate::auth_support::server_with_mail;
use crate::files::Moto;
use crate::harness::{create_record, Server};

const EMAIL_FAILED: &str = "Failed to send the test email.";
const S3_FAILED: &str = "Failed to test the S3 filesystem.";

fn validation(message: &str, data: Value) -> Value {
    json!({"status": 400, "message": message, "data": data})
}

#[test]
fn test_email_sends_each_template_to_the_address() {
    let (_server, sink, superuser) = server_with_mail();
    let (status, body) = superuser.patch(
        "/api/settings",
        &json!({"meta": {"appName": "Mailtest", "senderAddress": "noreply@example.com"}}),
    );
    assert_eq!(status, 200, "{body}");

    let (status, body) = superuser.post(
        "/api/settings/test/email",
        &json!({"email": "probe@example.com", "template": "verification"}),
    );
    assert_eq!((status, &body), (204, &Value::Null));
    let mail = sink.mail_to("probe@example.com");
    assert_eq!(mail.subject(), "Verify your Mailtest email");
    assert!(mail.header("From").unwrap().contains("noreply@example.com"));

    let (status, _) = superuser.post(
        "/api/settings/test/email",
        &json!({"email": "otp@example.com", "template": "otp", "collection": "users"}),
    );
    assert_eq!(status, 204);
    let mail = sink.mail_to("otp@example.com");
    assert_eq!(mail.subject(), "OTP for Mailtest");
    assert!(mail.text().contains("123456"), "{}", mail.text());

    for template in ["password-reset", "email-change", "login-alert"] {
        let address = format!("{template}@example.com");
        let (status, body) = superuser.post(
            "/api/settings/test/email",
            &json!({"email": address, "template": template}),
        );
        assert_eq!(status, 204, "{template}: {body}");
        assert!(!sink.mail_to(&address).subject().is_empty());
    }
}

#[test]
fn test_email_reports_field_errors_and_transport_failures() {
    let server = Server::start();
    let superuser = server.superuser();
    let (status, body) = superuser.post("/api/settings/test/email", &json!({}));
    assert_eq!(status, 400);
    assert_eq!(
        body,
        validation(
            EMAIL_FAILED,
            json!({
                "email": {"code": "validation_required", "message": "Cannot be blank."},
                "template": {"code": "validation_required", "message": "Cannot be blank."},
            })
        )
    );
    let (_, body) = superuser.post(
        "/api/settings/test/email",
        &json!({"email": "x", "template": "nope"}),
    );
    assert_eq!(
        body,
        validation(
            EMAIL_FAILED,
            json!({
                "email": {"code": "validation_is_email", "message": "Must be a valid email address."},
                "template": {"code": "validation_in_invalid", "message": "Must be a valid value."},
            })
        )
    );
    let (_, body) = superuser.post(
        "/api/settings/test/email",
        &json!({"email": "a@example.com", "template": "otp", "collection": "_mfas"}),
    );
    assert_eq!(
        body,
        validation(
            EMAIL_FAILED,
            json!({"collection": {"code": "validation_invalid_auth_collection",
                "message": "Must be a valid auth collection id or name."}})
        )
    );

    // SMTP off: nothing can carry the mail; PocketBase answers 400 with the raw error.
    let (status, body) = superuser.post(
        "/api/settings/test/email",
        &json!({"email": "a@example.com", "template": "verification"}),
    );
    assert_eq!(status, 400);
    assert_eq!(body["data"], json!({}));
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("Failed to send the test email. Raw error: \n"),
        "{message}"
    );

    // A mail server that is not there: the failure is reported, not swallowed.
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (status, _) = superuser.patch(
        "/api/settings",
        &json!({"smtp": {"enabled": true, "host": "127.0.0.1", "port": closed_port}}),
    );
    assert_eq!(status, 200);
    let (status, body) = superuser.post(
        "/api/settings/test/email",
        &json!({"email": "a@example.com", "template": "password-reset"}),
    );
    assert_eq!(status, 400);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("Failed to send the test email. Raw error: \n"),
        "{message}"
    );
}

#[test]
fn test_endpoints_need_a_superuser() {
    let server = Server::start();
    let superuser = server.superuser();
    create_record(
        &superuser,
        "users",
        &json!({"email": "user@example.com", "password": "pass-12345",
            "passwordConfirm": "pass-12345"}),
    );
    let user = server.guest().with_token(&server.guest().login(
        "users",
        "user@example.com",
        "pass-12345",
    ));
    for path in ["/api/settings/test/email", "/api/settings/test/s3"] {
        let (status, body) = server.guest().post(path, &json!({}));
        assert_eq!(
            (status, body),
            (
                401,
                json!({"status": 401, "data": {},
                    "message": "The request requires valid record authorization token."})
            ),
            "{path}"
        );
        let (status, body) = user.post(path, &json!({}));
        assert_eq!(
            (status, body),
            (
                403,
                json!({"status": 403, "data": {},
                    "message": "The authorized record is not allowed to perform this action."})
            ),
            "{path}"
        );
    }
}

#[test]
fn test_s3_checks_the_form_and_that_s3_is_enabled() {
    let server = Server::start();
    let superuser = server.superuser();
    let (status, body) = superuser.post("/api/settings/test/s3", &json!({}));
    assert_eq!(status, 400);
    assert_eq!(
        body,
        validation(
            S3_FAILED,
            json!({"filesystem": {"code": "validation_required", "message": "Cannot be blank."}})
        )
    );
    let (_, body) = superuser.post("/api/settings/test/s3", &json!({"filesystem": "x"}));
    assert_eq!(
        body,
        validation(
            S3_FAILED,
            json!({"filesystem": {"code": "validation_in_invalid", "message": "Must be a valid value."}})
        )
    );
    for filesystem in ["storage", "backups"] {
        let (_, body) = superuser.post("/api/settings/test/s3", &json!({"filesystem": filesystem}));
        assert_eq!(
            body,
            validation(
                "Failed to test the S3 filesystem. Raw error: \nS3 storage filesystem is not enabled.",
                json!({})
            )
        );
    }
}

#[test]
fn test_s3_against_an_unreachable_endpoint_answers_400() {
    let server = Server::start();
    let superuser = server.superuser();
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s3 = json!({"enabled": true, "bucket": "b", "region": "us-east-1",
        "endpoint": format!("http://127.0.0.1:{port}"), "accessKey": "k", "secret": "s",
        "forcePathStyle": true});
    let (status, body) =
        superuser.patch("/api/settings", &json!({"s3": s3, "backups": {"s3": s3}}));
    assert_eq!(status, 200, "{body}");
    for filesystem in ["storage", "backups"] {
        let started = std::time::Instant::now();
        let (status, body) =
            superuser.post("/api/settings/test/s3", &json!({"filesystem": filesystem}));
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["data"], json!({}));
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with(
                "Failed to test the S3 filesystem. Raw error: \nfailed to upload a test file: [key: pb_settings_test_"
            ),
            "{message}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    // Virtual-hosted style puts the bucket before an IP address: no valid URL, a 400 (and the
    // server keeps serving).
    let (status, _) = superuser.patch("/api/settings", &json!({"s3": {"forcePathStyle": false}}));
    assert_eq!(status, 200);
    let (status, body) = superuser.post("/api/settings/test/s3", &json!({"filesystem": "storage"}));
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Failed to test the S3 filesystem. Raw error: \ninvalid S3 endpoint"),
        "{body}"
    );
    assert_eq!(server.guest().get("/api/health").0, 200);
}

#[test]
fn test_s3_against_a_working_bucket_answers_204_and_leaves_nothing() {
    let Some(moto) = Moto::start() else {
        eprintln!("moto_server is not installed; skipping the S3 test");
        return;
    };
    let bucket = "pb-e2e-settings";
    ureq::put(&format!("{}/{bucket}", moto.url)).call().unwrap();
    let server = Server::start();
    let superuser = server.superuser();
    let s3 = json!({"enabled": true, "bucket": bucket, "region": "us-east-1",
        "endpoint": moto.url, "accessKey": "test", "secret": "test-secret",
        "forcePathStyle": true});
    let (status, body) = superuser.patch("/api/settings", &json!({"backups": {"s3": s3}}));
    assert_eq!(status, 200, "{body}");
    let (status, body) = superuser.post("/api/settings/test/s3", &json!({"filesystem": "backups"}));
    assert_eq!((status, &body), (204, &Value::Null), "{body}");
    assert!(moto.keys(bucket).is_empty());
    // The files' own S3 section is still off.
    let (status, _) = superuser.post("/api/settings/test/s3", &json!({"filesystem": "storage"}));
    assert_eq!(status, 400);
}
