//! Login origins and alerts: with `authAlert.enabled` (the default of `users`), a login from a
//! new device (IP + user agent) after the first one mails the record a "new login" alert.

use serde_json::{json, Value};

use crate::auth_support::{create_user, server_with_mail, USER_PASSWORD};
use crate::harness::Server;

/// Logs `email` into `users` sending `user_agent`; returns the status.
fn login_from(server: &Server, user_agent: &str, email: &str) -> u16 {
    let agent = ureq::AgentBuilder::new().user_agent(user_agent).build();
    let url = format!(
        "{}/api/collections/users/auth-with-password",
        server.base_url()
    );
    let result = agent
        .post(&url)
        .send_json(json!({"identity": email, "password": USER_PASSWORD}));
    match result {
        Ok(response) => response.status(),
        Err(ureq::Error::Status(status, _)) => status,
        Err(error) => panic!("login failed: {error}"),
    }
}

/// Sends the marker mail (a password reset for `marker`) that proves earlier mails arrived.
fn send_marker(server: &Server, marker: &str) {
    let (status, _) = server.guest().post(
        "/api/collections/users/request-password-reset",
        &json!({"email": marker}),
    );
    assert_eq!(status, 204);
}

#[test]
fn a_login_from_a_new_device_mails_an_alert() {
    let (server, sink, superuser) = server_with_mail();
    create_user(&superuser, "traveller@example.com");
    create_user(&superuser, "marker1@example.com");
    create_user(&superuser, "marker2@example.com");

    // The first login ever only records the device.
    assert_eq!(login_from(&server, "laptop", "traveller@example.com"), 200);
    assert_eq!(login_from(&server, "laptop", "traveller@example.com"), 200);
    send_marker(&server, "marker1@example.com");
    let stray = sink.mails_before_marker("marker1@example.com");
    assert!(stray.is_empty(), "no alert for known devices: {stray:?}");

    // A new device gets an alert naming it.
    assert_eq!(login_from(&server, "phone", "traveller@example.com"), 200);
    let alert = sink.mail_to("traveller@example.com");
    assert_eq!(alert.subject(), "Login from a new location");
    assert!(alert.text().contains("127.0.0.1 phone"), "{}", alert.text());

    // Known again from now on.
    assert_eq!(login_from(&server, "phone", "traveller@example.com"), 200);
    send_marker(&server, "marker2@example.com");
    let stray = sink.mails_before_marker("marker2@example.com");
    assert!(stray.is_empty(), "no second alert: {stray:?}");

    // The origins are stored rows of `_authOrigins`.
    let (status, body) = superuser.get("/api/collections/_authOrigins/records");
    assert_eq!(status, 200, "{body}");
    let fingerprints: Vec<&Value> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| &item["fingerprint"])
        .collect();
    assert!(fingerprints.len() >= 2, "{body}");
}
