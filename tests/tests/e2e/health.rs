//! `GET /api/health`.

use serde_json::json;

use crate::harness::Server;

#[test]
fn health_answers_with_its_fixed_body() {
    let server = Server::start();
    let (status, body) = server.guest().get("/api/health");
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"message": "API is healthy.", "code": 200, "data": {}})
    );
}
