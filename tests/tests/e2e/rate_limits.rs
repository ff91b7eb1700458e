//! `settings.rateLimits`: PocketBase's default rules, a rule answering 429 until its window
//! ends, the `*:auth` tag on the login routes, audiences, excluded IPs and trusted proxies.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{error_body, Client, Server};
use crate::ops_support::{get_with_headers, user_token, wait_for_logs};

fn too_many() -> (u16, Value) {
    (429, error_body(429, "Too Many Requests."))
}

fn set_limits(superuser: &Client, limits: Value) {
    let (status, body) = superuser.patch("/api/settings", &json!({"rateLimits": limits}));
    assert_eq!(status, 200, "{body}");
}

#[test]
fn default_rules_are_pocketbase_s_and_off() {
    let server = Server::start();
    let (status, settings) = server.superuser().get("/api/settings");
    assert_eq!(status, 200);
    assert_eq!(
        settings["rateLimits"],
        json!({"rules": [
            {"label": "*:auth", "audience": "", "duration": 3, "maxRequests": 2},
            {"label": "*:create", "audience": "", "duration": 5, "maxRequests": 20},
            {"label": "/api/batch", "audience": "", "duration": 1, "maxRequests": 3},
            {"label": "/api/", "audience": "", "duration": 10, "maxRequests": 300}],
            "excludedIPs": [], "enabled": false})
    );
    // Off: password logins are not limited.
    for _ in 0..4 {
        let (status, _) = server
            .guest()
            .auth_with_password("users", "x@example.com", "wrong-pass");
        assert_eq!(status, 400);
    }
}

#[test]
fn a_rule_answers_429_until_its_window_ends() {
    let server = Server::start();
    let superuser = server.superuser();
    set_limits(
        &superuser,
        json!({"enabled": true, "rules": [
            {"label": "GET /api/health", "audience": "", "duration": 2, "maxRequests": 2}]}),
    );
    let guest = server.guest();
    assert_eq!(guest.get("/api/health").0, 200);
    assert_eq!(guest.get("/api/health").0, 200);
    assert_eq!(guest.get("/api/health"), too_many());
    // Superusers are never limited.
    assert_eq!(superuser.get("/api/health").0, 200);
    // Other routes fall under no rule.
    assert_eq!(guest.get("/api/collections/users/auth-methods").0, 200);

    let blocked_at = Instant::now();
    let deadline = blocked_at + Duration::from_secs(10);
    loop {
        let (status, _) = guest.get("/api/health");
        if status == 200 {
            break;
        }
        assert_eq!(status, 429);
        assert!(Instant::now() < deadline, "still limited after 10 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(blocked_at.elapsed() <= Duration::from_secs(3));

    let logged = wait_for_logs(&superuser, "data.status = 429", 1);
    assert_eq!(logged[0]["level"], 8);
    assert_eq!(logged[0]["data"]["error"], "Too Many Requests.");
    assert_eq!(
        logged[0]["data"]["details"],
        "triggered rate limit rule: {\"label\":\"GET /api/health\",\"audience\":\"\",\"duration\":2,\"maxRequests\":2}"
    );

    // Excluded IPs are not limited.
    set_limits(
        &superuser,
        json!({"excludedIPs": ["127.0.0.0/8"], "rules": [
            {"label": "GET /api/health", "audience": "", "duration": 60, "maxRequests": 1}]}),
    );
    for _ in 0..3 {
        assert_eq!(guest.get("/api/health").0, 200);
    }
}

#[test]
fn default_rules_limit_password_logins_by_the_auth_tag() {
    let server = Server::start();
    let superuser = server.superuser();
    set_limits(&superuser, json!({"enabled": true}));
    let guest = server.guest();
    for _ in 0..2 {
        let (status, _) = guest.auth_with_password("users", "x@example.com", "wrong-pass");
        assert_eq!(status, 400);
    }
    assert_eq!(
        guest.auth_with_password("users", "x@example.com", "wrong-pass"),
        too_many()
    );
    // The counter is per collection route: `_superusers` logins have their own window.
    assert_eq!(
        guest
            .auth_with_password("_superusers", "x@example.com", "wrong-pass")
            .0,
        400
    );
    // Routes without the tag use the other rules.
    assert_eq!(guest.get("/api/collections/users/records").0, 200);
}

#[test]
fn audiences_and_trusted_proxy_headers() {
    let server = Server::start();
    let superuser = server.superuser();
    let (_, token) = user_token(&server, "limited@example.com");
    let user = server.guest().with_token(&token);
    set_limits(
        &superuser,
        json!({"enabled": true, "rules": [
            {"label": "users:list", "audience": "@auth", "duration": 60, "maxRequests": 1},
            {"label": "GET /api/health", "audience": "@guest", "duration": 60, "maxRequests": 1}]}),
    );
    let list = "/api/collections/users/records";
    assert_eq!(user.get(list).0, 200);
    assert_eq!(user.get(list), too_many());
    assert_eq!(server.guest().get(list).0, 200, "guests are not @auth");
    assert_eq!(server.guest().get(list).0, 200);

    // Without trusted headers every client on 127.0.0.1 is one client.
    let forwarded =
        |ip: &str| get_with_headers(&server, "/api/health", &[("X-Forwarded-For", ip)]).0;
    assert_eq!(forwarded("1.1.1.1"), 200);
    assert_eq!(forwarded("2.2.2.2"), 429);
    assert_eq!(user.get("/api/health").0, 200, "users are not @guest");

    let (status, _) = superuser.patch(
        "/api/settings",
        &json!({"trustedProxy": {"headers": ["X-Forwarded-For"], "useLeftmostIP": false}}),
    );
    assert_eq!(status, 200);
    assert_eq!(forwarded("9.9.9.9, 1.1.1.1"), 200);
    assert_eq!(forwarded("1.1.1.1"), 429);
    assert_eq!(forwarded("1.1.1.1, 2.2.2.2"), 200);
    let logged = wait_for_logs(&superuser, "data.userIP = '2.2.2.2'", 1);
    assert_eq!(logged[0]["data"]["remoteIP"], "127.0.0.1");
}
