//! `GET /api/crons`, `POST /api/crons/{id}`, and the logs cleanup job pruning old logs.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::{json, Value};

use crate::harness::{error_body, Server};
use crate::ops_support::{encode, user_token, wait_for_logs};

#[test]
fn system_jobs_are_listed_and_run_on_demand() {
    let server = Server::start();
    let superuser = server.superuser();
    let (status, body) = superuser.get("/api/crons");
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!([
            {"id": "__pbDBOptimize__", "expression": "0 0 * * *"},
            {"id": "__pbMFACleanup__", "expression": "0 * * * *"},
            {"id": "__pbOTPCleanup__", "expression": "0 * * * *"},
            {"id": "__pbLogsCleanup__", "expression": "0 */6 * * *"}
        ])
    );
    for id in ["__pbDBOptimize__", "__pbMFACleanup__", "__pbOTPCleanup__"] {
        let (status, body) = superuser.post(&format!("/api/crons/{id}"), &json!({}));
        assert_eq!((status, body), (204, Value::Null), "{id}");
    }
    let (status, body) = superuser.post("/api/crons/nope", &json!({}));
    assert_eq!(
        (status, body),
        (404, error_body(404, "Missing or invalid cron job."))
    );

    let (_, user) = user_token(&server, "cron@example.com");
    let user = server.guest().with_token(&user);
    let unauthorized = error_body(
        401,
        "The request requires valid record authorization token.",
    );
    let forbidden = error_body(
        403,
        "The authorized record is not allowed to perform this action.",
    );
    assert_eq!(
        server.guest().get("/api/crons"),
        (401, unauthorized.clone())
    );
    assert_eq!(
        server
            .guest()
            .post("/api/crons/__pbDBOptimize__", &json!({})),
        (401, unauthorized)
    );
    assert_eq!(user.get("/api/crons"), (403, forbidden.clone()));
    assert_eq!(
        user.post("/api/crons/__pbDBOptimize__", &json!({})),
        (403, forbidden)
    );
}

/// Writes log rows straight into `auxiliary.db`, as an older process would have left them.
pub(crate) fn insert_logs(server: &Server, rows: &[(&str, &str)]) {
    let path = server.data_dir().join("auxiliary.db");
    let mut connection = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    diesel::sql_query("PRAGMA busy_timeout = 10000")
        .execute(&mut connection)
        .unwrap();
    for (id, created) in rows {
        diesel::sql_query(
            "INSERT INTO _logs (id, level, message, data, created) VALUES (?, 0, ?, ?, ?)",
        )
        .bind::<diesel::sql_types::Text, _>(*id)
        .bind::<diesel::sql_types::Text, _>(format!("GET /seeded/{id}"))
        .bind::<diesel::sql_types::Text, _>(
            json!({"type": "request", "url": format!("/seeded/{id}")}).to_string(),
        )
        .bind::<diesel::sql_types::Text, _>(*created)
        .execute(&mut connection)
        .unwrap();
    }
}

pub(crate) fn seeded_ids(server: &Server) -> Vec<String> {
    let superuser = server.superuser();
    let (status, body) = superuser.get(&format!(
        "/api/logs?sort=id&fields=id&filter={}",
        encode("message ~ 'GET /seeded/'")
    ));
    assert_eq!(status, 200, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn logs_cleanup_prunes_logs_older_than_max_days() {
    let server = Server::start();
    let superuser = server.superuser();
    let (status, _) = superuser.patch("/api/settings", &json!({"logs": {"maxDays": 2}}));
    assert_eq!(status, 200);
    let format = |days_ago: i64, extra_minutes: i64| {
        let seconds = days_ago * 86_400 + extra_minutes * 60;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        civil(now - seconds)
    };
    insert_logs(
        &server,
        &[
            ("seededold000001", &format(30, 0)),
            ("seededold000002", &format(2, 5)),
            ("seedednew000001", &format(1, 0)),
            ("seedednew000002", &format(0, 1)),
        ],
    );
    assert_eq!(seeded_ids(&server).len(), 4);
    // A live request log must survive too.
    let (status, _) = server.guest().get("/api/health?marker=recent");
    assert_eq!(status, 200);
    wait_for_logs(&superuser, "data.url ~ 'marker=recent'", 1);

    let (status, _) = superuser.post("/api/crons/__pbLogsCleanup__", &json!({}));
    assert_eq!(status, 204);
    let deadline = Instant::now() + Duration::from_secs(15);
    while seeded_ids(&server).len() > 2 {
        assert!(
            Instant::now() < deadline,
            "old logs still there: {:?}",
            seeded_ids(&server)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(seeded_ids(&server), ["seedednew000001", "seedednew000002"]);
    wait_for_logs(&superuser, "data.url ~ 'marker=recent'", 1);
}

/// `YYYY-MM-DD HH:MM:SS.000Z` of a Unix time (days-from-civil, inverted).
pub(crate) fn civil(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let seconds = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.000Z",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

#[test]
fn civil_dates() {
    assert_eq!(civil(0), "1970-01-01 00:00:00.000Z");
    assert_eq!(civil(1_795_391_999), "2026-11-22 23:59:59.000Z");
}
