//! Request logs (`auxiliary.db` `_logs`) and `GET /api/logs`, `/api/logs/{id}`,
//! `/api/logs/stats`: what a log row holds, filters and stats, the superuser guard, and the
//! `logs` settings.

use serde_json::{json, Value};

use crate::harness::{error_body, Server};
use crate::ops_support::{encode, get_with_headers, user_token, wait_for_logs};

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

/// The sum of a `/api/logs/stats` answer's per-hour totals.
fn logged_in_hours(stats: &Value) -> u64 {
    stats
        .as_array()
        .unwrap()
        .iter()
        .map(|hour| hour["total"].as_u64().unwrap())
        .sum()
}

#[test]
fn requests_are_logged_as_pocketbase_logs_them() {
    let server = Server::start();
    let superuser = server.superuser();
    let (status, _) = get_with_headers(
        &server,
        "/api/health?probe=ok%20done",
        &[
            ("User-Agent", "e2e-agent"),
            ("Referer", "http://example.com/page"),
        ],
    );
    assert_eq!(status, 200);
    let agent = ureq::AgentBuilder::new().build();
    let failed = agent
        .post(&format!(
            "{}/api/collections/users/impersonate/abc",
            server.base_url()
        ))
        .set("User-Agent", "e2e-agent")
        .call();
    assert!(matches!(failed, Err(ureq::Error::Status(401, _))));

    let ok = wait_for_logs(&superuser, "data.url = '/api/health?probe=ok%20done'", 1);
    assert_eq!(ok.len(), 1);
    let ok = &ok[0];
    assert_eq!(ok["message"], "GET /api/health?probe=ok done");
    assert_eq!(ok["level"], 0);
    assert_eq!(
        keys(ok),
        ["created", "data", "id", "level", "message"].map(String::from)
    );
    let data = &ok["data"];
    assert_eq!(
        keys(data),
        [
            "auth",
            "execTime",
            "method",
            "referer",
            "remoteIP",
            "status",
            "type",
            "url",
            "userAgent",
            "userIP"
        ]
        .map(String::from)
    );
    assert_eq!(data["type"], "request");
    assert_eq!(data["method"], "GET");
    assert_eq!(data["status"], 200);
    assert_eq!(data["auth"], "");
    assert_eq!(data["referer"], "http://example.com/page");
    assert_eq!(data["userAgent"], "e2e-agent");
    assert_eq!(data["userIP"], "127.0.0.1");
    assert_eq!(data["remoteIP"], "127.0.0.1");
    assert!(data["execTime"].as_f64().unwrap() >= 0.0);
    assert_eq!(ok["id"].as_str().unwrap().len(), 15);

    let failed = wait_for_logs(&superuser, "level = 8 && data.userAgent = 'e2e-agent'", 1);
    let failed = &failed[0];
    assert_eq!(
        failed["message"],
        "POST /api/collections/users/impersonate/abc"
    );
    assert_eq!(failed["data"]["method"], "POST");
    assert_eq!(failed["data"]["status"], 401);
    assert_eq!(
        failed["data"]["error"],
        "The request requires valid record authorization token."
    );
    assert_eq!(failed["data"]["details"], Value::Null);

    // One log by id, and 404 for an unknown one.
    let (status, viewed) = superuser.get(&format!("/api/logs/{}", ok["id"].as_str().unwrap()));
    assert_eq!(status, 200);
    assert_eq!(&viewed, ok);
    let (status, body) = superuser.get("/api/logs/missing0000000");
    assert_eq!(
        (status, body),
        (404, error_body(404, "The requested resource wasn't found."))
    );

    // Successful requests to the logs API itself are not logged; failed ones are.
    let (status, _) = superuser.get("/api/logs?filter=");
    assert_eq!(status, 200);
    let (status, _) = superuser.get("/api/logs?sort=nope");
    assert_eq!(status, 400);
    let logged = wait_for_logs(&superuser, "data.url ~ '/api/logs?sort='", 1);
    assert_eq!(logged[0]["data"]["auth"], "_superusers");
    let (_, body) = superuser.get(&format!(
        "/api/logs?filter={}",
        encode("data.url = '/api/logs?filter='")
    ));
    assert_eq!(body["totalItems"], 0);
}

#[test]
fn lists_page_sort_and_count_per_hour() {
    let server = Server::start();
    let superuser = server.superuser();
    for index in 0..5 {
        let (status, _) = server.guest().get(&format!("/api/health?n={index}"));
        assert_eq!(status, 200);
    }
    let (status, _) = server.guest().get("/api/collections/nope/records");
    assert_eq!(status, 404);
    wait_for_logs(&superuser, "data.url ~ '/api/health?n='", 5);
    wait_for_logs(&superuser, "data.status = 404", 1);

    let path = format!(
        "/api/logs?filter={}&sort=-data.url&perPage=2&page=2&fields=message",
        encode("data.url ~ '/api/health?n='")
    );
    let (status, body) = superuser.get(&path);
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"items": [{"message": "GET /api/health?n=2"}, {"message": "GET /api/health?n=1"}],
               "page": 2, "perPage": 2, "totalItems": 5, "totalPages": 3})
    );
    let (_, body) = superuser.get(&format!("{path}&skipTotal=1"));
    assert_eq!(body["totalItems"], -1);
    assert_eq!(body["totalPages"], -1);

    let (status, stats) = superuser.get(&format!(
        "/api/logs/stats?filter={}",
        encode("data.url ~ '/api/health?n=' || data.status = 404")
    ));
    assert_eq!(status, 200);
    assert_eq!(logged_in_hours(&stats), 6);
    for hour in stats.as_array().unwrap() {
        let date = hour["date"].as_str().unwrap();
        assert!(date.ends_with(":00:00.000Z"), "{date}");
        assert_eq!(keys(hour), ["date", "total"].map(String::from));
    }
    let (_, errors) = superuser.get(&format!("/api/logs/stats?filter={}", encode("level > 0")));
    assert_eq!(logged_in_hours(&errors), 1);

    let (status, body) = superuser.get("/api/logs/stats?filter=nope%3D1");
    assert_eq!(
        (status, body),
        (400, error_body(400, "Invalid filter format."))
    );
    let (status, body) = superuser.get("/api/logs?filter=nope%3D1");
    assert_eq!(
        (status, body),
        (
            400,
            error_body(400, "Something went wrong while processing your request.")
        )
    );
}

#[test]
fn only_superusers_read_logs() {
    let server = Server::start();
    let (_, user) = user_token(&server, "reader@example.com");
    let user = server.guest().with_token(&user);
    for path in ["/api/logs", "/api/logs/stats", "/api/logs/abc"] {
        let (status, body) = server.guest().get(path);
        assert_eq!(
            (status, body),
            (
                401,
                error_body(
                    401,
                    "The request requires valid record authorization token."
                )
            ),
            "{path}"
        );
        let (status, body) = user.get(path);
        assert_eq!(
            (status, body),
            (
                403,
                error_body(
                    403,
                    "The authorized record is not allowed to perform this action."
                )
            ),
            "{path}"
        );
    }
}

#[test]
fn the_logs_settings_decide_what_is_kept() {
    let server = Server::start();
    let superuser = server.superuser();
    let (user_id, token) = user_token(&server, "logged@example.com");
    let user = server.guest().with_token(&token);

    let (status, _) = superuser.patch(
        "/api/settings",
        &json!({"logs": {"logIP": false, "logAuthId": true}}),
    );
    assert_eq!(status, 200);
    let (status, _) = user.get("/api/collections/users/records?marker=auth");
    assert_eq!(status, 200);
    let logged = wait_for_logs(&superuser, "data.url ~ 'marker=auth'", 1);
    let data = &logged[0]["data"];
    assert_eq!(data["auth"], "users");
    assert_eq!(data["authId"], user_id.as_str());
    assert!(
        data.get("userIP").is_none() && data.get("remoteIP").is_none(),
        "{data}"
    );

    // maxDays 0 turns logging off; minLevel 8 keeps only failures.
    let (status, _) = superuser.patch("/api/settings", &json!({"logs": {"maxDays": 0}}));
    assert_eq!(status, 200);
    let (status, _) = server.guest().get("/api/health?marker=off");
    assert_eq!(status, 200);
    let (status, _) = superuser.patch(
        "/api/settings",
        &json!({"logs": {"maxDays": 3, "minLevel": 8}}),
    );
    assert_eq!(status, 200);
    let (status, _) = server.guest().get("/api/health?marker=info");
    assert_eq!(status, 200);
    let (status, _) = server
        .guest()
        .get("/api/collections/nope/records?marker=error");
    assert_eq!(status, 404);
    // Logs are written in order: once the last one is there, the others would be too.
    wait_for_logs(&superuser, "data.url ~ 'marker=error'", 1);
    let (_, body) = superuser.get(&format!(
        "/api/logs?filter={}",
        encode("data.url ~ 'marker=off' || data.url ~ 'marker=info'")
    ));
    assert_eq!(body["totalItems"], 0, "{body}");
}

#[test]
fn deleting_all_logs() {
    let server = Server::start();
    let superuser = server.superuser();
    assert_eq!(
        server.guest().delete("/api/logs"),
        (
            401,
            error_body(
                401,
                "The request requires valid record authorization token."
            )
        )
    );
    let (status, _) = server.guest().get("/api/health?marker=before");
    assert_eq!(status, 200);
    wait_for_logs(&superuser, "data.url ~ 'marker=before'", 1);
    assert_eq!(superuser.delete("/api/logs"), (204, Value::Null));
    let (status, _) = server.guest().get("/api/health?marker=after");
    assert_eq!(status, 200);
    wait_for_logs(&superuser, "data.url ~ 'marker=after'", 1);
    // Everything logged before is gone; the delete itself is not logged.
    let (_, body) = superuser.get("/api/logs?fields=message");
    assert_eq!(
        body["items"],
        json!([{"message": "GET /api/health?marker=after"}]),
        "{body}"
    );
}

#[test]
fn the_logs_api_sees_every_request_that_finished_before_it() {
    // The writer batches logs every few seconds; the logs API has it store what it holds
    // first, so no polling is needed here.
    let server = Server::start();
    let superuser = server.superuser();
    for index in 0..3 {
        let (status, _) = server.guest().get(&format!("/api/health?seen={index}"));
        assert_eq!(status, 200);
    }
    let filter = encode("data.url ~ 'seen='");
    let (status, body) = superuser.get(&format!(
        "/api/logs?filter={filter}&sort=created&fields=message"
    ));
    assert_eq!(status, 200);
    assert_eq!(
        body["items"],
        json!([
            {"message": "GET /api/health?seen=0"},
            {"message": "GET /api/health?seen=1"},
            {"message": "GET /api/health?seen=2"}
        ]),
        "{body}"
    );

    let (status, _) = server.guest().get("/api/health?seen=3");
    assert_eq!(status, 200);
    let (status, stats) = superuser.get(&format!("/api/logs/stats?filter={filter}"));
    assert_eq!(status, 200);
    assert_eq!(logged_in_hours(&stats), 4);

    // A request answered just before the delete is deleted with the rest.
    let (status, _) = server.guest().get("/api/health?seen=4");
    assert_eq!(status, 200);
    assert_eq!(superuser.delete("/api/logs"), (204, Value::Null));
    let (_, body) = superuser.get("/api/logs");
    assert_eq!(body["totalItems"], 0, "{body}");
}
