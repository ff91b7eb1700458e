//! `settings.superuserIPs`: superusers outside the list are refused with PocketBase's 403,
//! for every request their token makes and for their logins; guests and users are not
//! affected; `pb superuser ips` changes the list for the next start.

use std::process::{Command, Stdio};

use serde_json::json;

use crate::harness::{error_body, pb_bin, Server, SUPERUSER_EMAIL, SUPERUSER_PASSWORD};

const NOT_ALLOWED: &str = "You are not allowed to perform this request.";

#[test]
fn superusers_outside_the_whitelist_are_refused() {
    let server = Server::start();
    let superuser = server.superuser();
    let (status, body) =
        superuser.patch("/api/settings", &json!({"superuserIPs": ["10.0.0.0/24"]}));
    assert_eq!(status, 200, "{body}");

    assert_eq!(
        superuser.get("/api/settings"),
        (403, error_body(403, NOT_ALLOWED))
    );
    assert_eq!(
        superuser.get("/api/health"),
        (403, error_body(403, NOT_ALLOWED))
    );
    assert_eq!(
        superuser.get("/api/collections/users/records"),
        (403, error_body(403, NOT_ALLOWED))
    );
    let guest = server.guest();
    assert_eq!(guest.get("/api/health").0, 200);
    let (status, body) =
        guest.auth_with_password("_superusers", SUPERUSER_EMAIL, SUPERUSER_PASSWORD);
    assert_eq!((status, body), (403, error_body(403, NOT_ALLOWED)));
    let (status, body) = guest.auth_with_password("_superusers", SUPERUSER_EMAIL, "wrong-password");
    assert_eq!(
        (status, body),
        (400, error_body(400, "Failed to authenticate."))
    );

    // Users keep working.
    let (status, user) = guest.post(
        "/api/collections/users/records",
        &json!({"email": "u@example.com", "password": "user-pass-123", "passwordConfirm": "user-pass-123"}),
    );
    assert_eq!(status, 200, "{user}");
    let (status, _) = guest.auth_with_password("users", "u@example.com", "user-pass-123");
    assert_eq!(status, 200);

    let output = Command::new(pb_bin())
        .args(["superuser", "ips", "127.0.0.1", "10.0.0.0/24"])
        .arg(format!("--dir={}", server.data_dir().display()))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let server = server.restart();
    let superuser = server.superuser();
    let (status, settings) = superuser.get("/api/settings");
    assert_eq!(status, 200, "{settings}");
    assert_eq!(
        settings["superuserIPs"],
        json!(["127.0.0.1", "10.0.0.0/24"])
    );
}
