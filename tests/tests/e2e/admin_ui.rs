//! The admin dashboard's server side: the first-run installer link `pb serve` prints and what its
//! token may do (checked against PocketBase 0.40.6: a 30-minute non-refreshable auth token of
//! the placeholder superuser `__pbinstaller@example.com`, which creating the first real
//! superuser deletes), and the `/_/` routes' caching and security headers.

use serde_json::json;

use crate::harness::{pb_bin, Server};

const INSTALLER_EMAIL: &str = "__pbinstaller@example.com";

/// The token of the installer link in the server's log (stdout), if it printed one.
fn installer_token(server: &Server) -> Option<String> {
    let log = std::fs::read_to_string(server.data_dir().with_extension("log")).unwrap();
    let start = log.find("/_/#/pbinstall/")? + "/_/#/pbinstall/".len();
    let token: String = log[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    Some(token)
}

#[test]
fn the_installer_link_creates_the_first_superuser_and_then_dies() {
    let temp_dir = tempfile::tempdir().unwrap();
    let data_dir = temp_dir.path().join("pb_data");
    let server = Server::start_in(&pb_bin(), &data_dir, false);
    let token = installer_token(&server).expect("a fresh data dir prints the installer link");
    let installer = server.guest().with_token(&token);

    let (status, list) = installer.get("/api/collections/_superusers/records");
    assert_eq!(status, 200);
    assert_eq!(list["totalItems"], 1);
    assert_eq!(list["items"][0]["email"], INSTALLER_EMAIL);
    // Not refreshable: a refresh hands back the same token, which cannot outlive its 30 minutes.
    let (status, refreshed) =
        installer.post("/api/collections/_superusers/auth-refresh", &json!({}));
    assert_eq!(status, 200);
    assert_eq!(refreshed["token"], token.as_str());

    let (status, created) = installer.post(
        "/api/collections/_superusers/records",
        &json!({"email": "first@example.com", "password": "passpass123", "passwordConfirm": "passpass123"}),
    );
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["email"], "first@example.com");

    let (status, body) = installer.get("/api/collections/_superusers/records");
    assert_eq!(status, 403);
    assert_eq!(
        body,
        json!({"data": {}, "message": "Only superusers can perform this action.", "status": 403})
    );
    let token = server
        .guest()
        .login("_superusers", "first@example.com", "passpass123");
    let (_, list) = server
        .guest()
        .with_token(&token)
        .get("/api/collections/_superusers/records");
    assert_eq!(list["totalItems"], 1);
    assert_eq!(list["items"][0]["email"], "first@example.com");

    let server = server.restart();
    assert_eq!(installer_token(&server), None);
    drop(temp_dir);
}

#[test]
fn a_restart_before_setup_reuses_the_placeholder() {
    let temp_dir = tempfile::tempdir().unwrap();
    let data_dir = temp_dir.path().join("pb_data");
    let server = Server::start_in(&pb_bin(), &data_dir, false);
    let first = installer_token(&server).unwrap();
    let server = server.restart();
    let second = installer_token(&server).unwrap();
    let (status, list) = server
        .guest()
        .with_token(&second)
        .get("/api/collections/_superusers/records");
    assert_eq!(status, 200);
    assert_eq!(list["totalItems"], 1);
    // Both tokens belong to the same placeholder record.
    let (status, _) = server
        .guest()
        .with_token(&first)
        .get("/api/collections/_superusers/records");
    assert_eq!(status, 200);
    drop(temp_dir);
}

#[test]
fn the_dashboard_is_served_with_caching_and_security_headers() {
    let server = Server::start();
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let url = |path: &str| format!("{}{path}", server.base_url());

    let index = agent.get(&url("/_/")).call().unwrap();
    assert_eq!(index.status(), 200);
    assert_eq!(index.header("cache-control"), Some("no-cache"));
    assert_eq!(index.content_type(), "text/html");
    let policy = index.header("content-security-policy").unwrap().to_owned();
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let html = index.into_string().unwrap();
    let start = html.find("src=\"./assets/").unwrap() + "src=\"./".len();
    let script = &html[start..start + html[start..].find('"').unwrap()];

    let asset = agent.get(&url(&format!("/_/{script}"))).call().unwrap();
    assert_eq!(
        asset.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(asset.content_type(), "text/javascript");

    let extensions = agent.get(&url("/_/extensions.js")).call().unwrap();
    assert_eq!(extensions.status(), 200);
    assert_eq!(extensions.into_string().unwrap(), "");

    let redirect = agent.get(&url("/_")).call().unwrap();
    assert_eq!(redirect.status(), 307);
    assert_eq!(redirect.header("location"), Some("/_/"));

    let (status, body) = server.guest().get("/_/missing.js");
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"data": {}, "message": "File not found.", "status": 404})
    );
}
