//! Operating the server, the finer points checked against PocketBase 0.40.6: what a failed
//! request's log keeps as `data.details`, rate limits on the items of a batch, what a settings
//! save does to stored logs, backups kept on S3, and S3 settings that address the bucket by
//! virtual host at an IP endpoint.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::crons::{civil, insert_logs, seeded_ids};
use crate::files::Moto;
use crate::harness::{create_collection, error_body, Client, Server};
use crate::ops_support::{encode, user_token, wait_for_logs};

/// `posts`: a required `title` of at most 5 characters, public list/view/create, no updates
/// or deletes but by superusers.
fn create_posts(superuser: &Client) {
    create_collection(
        superuser,
        &json!({"name": "posts", "type": "base",
            "fields": [{"name": "title", "type": "text", "required": true, "max": 5},
                       {"name": "doc", "type": "file", "maxSelect": 1}],
            "listRule": "", "viewRule": "", "createRule": "", "updateRule": null,
            "deleteRule": null}),
    );
}

/// The one log of `method url` (waited for), its `data`.
fn logged(superuser: &Client, method: &str, url: &str) -> Value {
    let filter = format!("data.method = '{method}' && data.url = '{url}'");
    let logs = wait_for_logs(superuser, &filter, 1);
    assert_eq!(logs.len(), 1, "{logs:?}");
    logs[0]["data"].clone()
}

#[test]
fn failed_requests_log_their_cause_as_details() {
    let server = Server::start();
    let superuser = server.superuser();
    create_posts(&superuser);
    create_collection(
        &superuser,
        &json!({"name": "members", "type": "base", "fields": [{"name": "n", "type": "number", "min": 3}],
            "createRule": "@request.auth.id != ''"}),
    );
    let guest = server.guest();

    // A validation failure: each field's raw message, as the validator wrote it.
    let (status, body) = guest.post(
        "/api/collections/posts/records?case=long",
        &json!({"title": "toolong"}),
    );
    assert_eq!(status, 400, "{body}");
    let (status, _) = guest.post("/api/collections/posts/records?case=blank", &json!({}));
    assert_eq!(status, 400);
    let (status, _) = superuser.post(
        "/api/collections/members/records?case=min",
        &json!({"n": 1}),
    );
    assert_eq!(status, 400);
    // Not found, a refused create rule, bad credentials, a bad sort: the underlying cause.
    let (status, _) = guest.get("/api/collections/posts/records/missing");
    assert_eq!(status, 404);
    let (status, _) = guest.get("/api/collections/nope/records");
    assert_eq!(status, 404);
    let (status, _) = guest.post(
        "/api/collections/members/records?case=rule",
        &json!({"n": 5}),
    );
    assert_eq!(status, 400);
    let (status, _) = guest.auth_with_password("users", "nobody@example.com", "wrong-password");
    assert_eq!(status, 400);
    let (status, _) = guest.get("/api/collections/posts/records?sort=nope");
    assert_eq!(status, 400);
    // Refusals without a cause: null.
    let (status, _) = guest.patch("/api/collections/posts/records/missing", &json!({}));
    assert_eq!(status, 403);
    let (status, _) = guest.post("/api/collections/users/auth-refresh", &json!({}));
    assert_eq!(status, 401);

    let cases = [
        (
            "POST",
            "/api/collections/posts/records?case=long",
            "Failed to create record.",
            json!({"title": "Must be no more than 5 character(s)."}),
        ),
        (
            "POST",
            "/api/collections/posts/records?case=blank",
            "Failed to create record.",
            json!({"title": "cannot be blank"}),
        ),
        (
            "POST",
            "/api/collections/members/records?case=min",
            "Failed to create record.",
            json!({"n": "Must be greater or equal than 3"}),
        ),
        (
            "GET",
            "/api/collections/posts/records/missing",
            "The requested resource wasn't found.",
            json!("sql: no rows in result set"),
        ),
        (
            "GET",
            "/api/collections/nope/records",
            "Missing collection context.",
            json!("sql: no rows in result set"),
        ),
        (
            "POST",
            "/api/collections/members/records?case=rule",
            "Failed to create record.",
            json!("create rule failure: sql: no rows in result set"),
        ),
        (
            "POST",
            "/api/collections/users/auth-with-password",
            "Failed to authenticate.",
            json!("invalid login credentials"),
        ),
        (
            "GET",
            "/api/collections/posts/records?sort=nope",
            "Something went wrong while processing your request.",
            json!("invalid sort field \"nope\""),
        ),
        (
            "PATCH",
            "/api/collections/posts/records/missing",
            "Only superusers can perform this action.",
            Value::Null,
        ),
        (
            "POST",
            "/api/collections/users/auth-refresh",
            "The request requires valid record authorization token.",
            Value::Null,
        ),
    ];
    for (method, url, error, details) in cases {
        let data = logged(&superuser, method, url);
        assert_eq!(data["error"], error, "{method} {url}: {data}");
        assert_eq!(data["details"], details, "{method} {url}: {data}");
        assert!(data.as_object().unwrap().contains_key("details"), "{data}");
    }
}

#[test]
fn batch_items_count_against_the_rate_limits() {
    let server = Server::start();
    let superuser = server.superuser();
    create_posts(&superuser);
    let (status, body) = superuser.patch(
        "/api/settings",
        &json!({"batch": {"enabled": true, "maxRequests": 50, "timeout": 3, "maxBodySize": 0},
            "rateLimits": {"enabled": true, "rules": [
                {"label": "/api/collections/posts/records", "maxRequests": 2, "duration": 60,
                 "audience": ""}]}}),
    );
    assert_eq!(status, 200, "{body}");
    let create = |title: &str| json!({"method": "POST", "url": "/api/collections/posts/records", "body": {"title": title}});
    let guest = server.guest();
    let (status, body) = guest.post(
        "/api/batch",
        &json!({"requests": [create("a"), create("b"), create("c")]}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body,
        json!({"data": {"requests": {"2": {"code": "batch_request_failed",
            "message": "Batch request failed.",
            "response": {"data": {}, "message": "Too Many Requests.", "status": 429}}}},
            "message": "Batch transaction failed.", "status": 400})
    );
    // All or nothing: the two items within the limit were rolled back.
    let (_, listed) = superuser.get("/api/collections/posts/records");
    assert_eq!(listed["totalItems"], 0, "{listed}");
    // The log of the batch carries its error data.
    let data = logged(&superuser, "POST", "/api/batch");
    assert_eq!(data["details"], body["data"], "{data}");
    // Batch items keep windows of their own: a direct create is still allowed…
    let (status, body) = guest.post("/api/collections/posts/records", &json!({"title": "d"}));
    assert_eq!(status, 200, "{body}");
    // …while the items' window stays spent.
    let (status, body) = guest.post("/api/batch", &json!({"requests": [create("e")]}));
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["data"]["requests"]["0"]["response"]["status"], 429,
        "{body}"
    );
    // Superusers are never limited.
    let (status, body) = superuser.post("/api/batch", &json!({"requests": [create("f")]}));
    assert_eq!(status, 200, "{body}");
}

#[test]
fn a_settings_save_prunes_the_logs_it_no_longer_keeps() {
    let server = Server::start();
    let superuser = server.superuser();
    let guest = server.guest();
    assert_eq!(guest.get("/api/health?marker=info").0, 200);
    assert_eq!(
        guest.get("/api/collections/nope/records?marker=error").0,
        404
    );
    wait_for_logs(
        &superuser,
        "data.url ~ 'marker=info' || data.url ~ 'marker=error'",
        2,
    );
    let count = |filter: &str| {
        let (status, body) =
            superuser.get(&format!("/api/logs?perPage=1&filter={}", encode(filter)));
        assert_eq!(status, 200, "{body}");
        body["totalItems"].as_u64().unwrap()
    };
    assert!(count("level = 0") > 0);

    // Raising minLevel deletes the stored logs below it at once (the save itself is not
    // logged: it is below the new level).
    let (status, _) = superuser.patch("/api/settings", &json!({"logs": {"minLevel": 4}}));
    assert_eq!(status, 200);
    assert_eq!(count("level < 4"), 0);
    assert_eq!(count("data.url ~ 'marker=error'"), 1);

    // maxDays 0 deletes everything.
    let (status, _) = superuser.patch("/api/settings", &json!({"logs": {"maxDays": 0}}));
    assert_eq!(status, 200);
    assert_eq!(count(""), 0);

    // Back on, new requests are logged again.
    let (status, _) = superuser.patch(
        "/api/settings",
        &json!({"logs": {"maxDays": 7, "minLevel": 0}}),
    );
    assert_eq!(status, 200);
    assert_eq!(guest.get("/api/health?marker=again").0, 200);
    wait_for_logs(&superuser, "data.url ~ 'marker=again'", 1);
}

#[test]
fn logs_filter_and_count_by_data_paths() {
    let server = Server::start();
    let superuser = server.superuser();
    let (_, token) = user_token(&server, "filtered@example.com");
    let user = server.guest().with_token(&token);
    assert_eq!(
        user.get("/api/collections/users/records?marker=user").0,
        200
    );
    assert_eq!(
        server
            .guest()
            .get("/api/collections/nope/records?marker=missing")
            .0,
        404
    );
    assert_eq!(server.guest().get("/api/health?marker=ok").0, 200);
    wait_for_logs(&superuser, "data.url ~ 'marker='", 3);

    let marked = |filter: &str| {
        let (status, body) = superuser.get(&format!(
            "/api/logs?sort=created&filter={}",
            encode(&format!("data.url ~ 'marker=' && ({filter})"))
        ));
        assert_eq!(status, 200, "{body}");
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["data"]["url"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        marked("data.status >= 400"),
        ["/api/collections/nope/records?marker=missing"]
    );
    assert_eq!(
        marked("data.auth = 'users'"),
        ["/api/collections/users/records?marker=user"]
    );
    assert_eq!(
        marked("data.auth = '' && data.status < 400"),
        ["/api/health?marker=ok"]
    );

    let total = |filter: &str| {
        let (status, body) = superuser.get(&format!("/api/logs/stats?filter={}", encode(filter)));
        assert_eq!(status, 200, "{body}");
        body.as_array()
            .unwrap()
            .iter()
            .map(|hour| hour["total"].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(total("data.url ~ 'marker=' && data.status >= 400"), 1);
    assert_eq!(total("data.url ~ 'marker=' && data.auth = 'users'"), 1);
    assert_eq!(total("data.url ~ 'marker='"), 3);
}

/// The `s3` settings object of `moto`'s `bucket`.
fn s3_settings(moto: &Moto, bucket: &str, force_path_style: bool) -> Value {
    json!({"enabled": true, "bucket": bucket, "region": "us-east-1", "endpoint": moto.url,
        "accessKey": "test", "secret": "test-secret", "forcePathStyle": force_path_style})
}

/// The size of `key` in `bucket`, as the bucket lists it.
fn object_size(moto: &Moto, bucket: &str, key: &str) -> Option<u64> {
    let listing = ureq::get(&format!("{}/{bucket}?list-type=2", moto.url))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    let entry = listing.split(&format!("<Key>{key}</Key>")).nth(1)?;
    let size = entry.split("<Size>").nth(1)?.split("</Size>").next()?;
    size.parse().ok()
}

#[test]
fn backups_live_on_s3_when_the_settings_say_so() {
    let Some(moto) = Moto::start() else {
        eprintln!("moto_server is not installed; skipping the S3 backups test");
        return;
    };
    let bucket = "pb-e2e-backups";
    ureq::put(&format!("{}/{bucket}", moto.url)).call().unwrap();
    let mut server = Server::start();
    let superuser = server.superuser();
    create_posts(&superuser);
    let (status, body) = superuser.patch(
        "/api/settings",
        &json!({"backups": {"s3": s3_settings(&moto, bucket, true)}}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, kept) =
        superuser.post("/api/collections/posts/records", &json!({"title": "kept"}));
    assert_eq!(status, 200, "{kept}");

    let (status, body) = superuser.post("/api/backups", &json!({"name": "on_s3.zip"}));
    assert_eq!(status, 204, "{body}");
    assert!(!server.data_dir().join("backups").join("on_s3.zip").exists());
    let size = object_size(&moto, bucket, "on_s3.zip").expect("the backup is in the bucket");
    let (status, list) = superuser.get("/api/backups");
    assert_eq!(status, 200, "{list}");
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["key"], "on_s3.zip");
    assert_eq!(items[0]["size"], size);
    assert!(
        items[0]["modified"].as_str().unwrap().ends_with(".000Z"),
        "{list}"
    );

    // Downloadable with a superuser file token.
    let (status, token) = superuser.post("/api/files/token", &json!({}));
    assert_eq!(status, 200, "{token}");
    let token = token["token"].as_str().unwrap();
    let (status, zip) = server
        .guest()
        .get_bytes(&format!("/api/backups/on_s3.zip?token={token}"));
    assert_eq!(status, 200);
    assert_eq!(zip.len() as u64, size);
    assert_eq!(&zip[..2], b"PK");

    // Restorable: a record made after the backup is gone once it is back.
    let (status, after) =
        superuser.post("/api/collections/posts/records", &json!({"title": "after"}));
    assert_eq!(status, 200, "{after}");
    let pid = server.pid();
    let (status, body) = superuser.post("/api/backups/on_s3.zip/restore", &json!({}));
    assert_eq!(status, 204, "{body}");
    let after_path = format!(
        "/api/collections/posts/records/{}",
        after["id"].as_str().unwrap()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(
            server.try_wait().is_none(),
            "the server exited instead of restarting"
        );
        if let Ok((404, _)) = server.guest().try_send("GET", &after_path, None) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the restored data never showed up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(server.pid(), pid);
    let kept_path = format!(
        "/api/collections/posts/records/{}",
        kept["id"].as_str().unwrap()
    );
    assert_eq!(server.guest().get(&kept_path).0, 200);

    // Deletable: gone from the bucket and the list.
    let superuser = server.superuser();
    assert_eq!(
        superuser.delete("/api/backups/on_s3.zip"),
        (204, Value::Null)
    );
    assert_eq!(object_size(&moto, bucket, "on_s3.zip"), None);
    assert_eq!(superuser.get("/api/backups"), (200, json!([])));
    server.kill();
}

/// A multipart body with one text field and one file part, and its content type.
fn multipart(fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "----pbopsgapsboundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    let (name, filename, data) = file;
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: text/plain\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[test]
fn virtual_hosted_s3_at_an_ip_endpoint_fails_cleanly() {
    let Some(moto) = Moto::start() else {
        eprintln!("moto_server is not installed; skipping the S3 addressing test");
        return;
    };
    let bucket = "pb-e2e-vhost";
    ureq::put(&format!("{}/{bucket}", moto.url)).call().unwrap();
    let server = Server::start();
    let superuser = server.superuser();
    create_posts(&superuser);
    // PocketBase takes these settings and then fails to reach `<bucket>.127.0.0.1`.
    let (status, body) = superuser.patch(
        "/api/settings",
        &json!({"s3": s3_settings(&moto, bucket, false),
            "backups": {"s3": s3_settings(&moto, bucket, false)}}),
    );
    assert_eq!(status, 200, "{body}");

    let (content_type, upload) = multipart(&[("title", "x")], ("doc", "a.txt", b"hello"));
    let (status, body) = server.guest().send_raw(
        "POST",
        "/api/collections/posts/records",
        &content_type,
        &upload,
    );
    assert_eq!(
        (status, body),
        (400, error_body(400, "Failed to create record."))
    );
    let data = logged(&superuser, "POST", "/api/collections/posts/records");
    assert!(
        data["details"]
            .as_str()
            .unwrap()
            .starts_with("failed to upload all files: "),
        "{data}"
    );
    // The backups on such a bucket cannot be listed either; the server is fine.
    let (status, body) = superuser.get("/api/backups");
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Failed to retrieve backup items. Raw error: "),
        "{body}"
    );
    assert_eq!(superuser.get("/api/health").0, 200);
    assert!(object_size(&moto, bucket, "anything").is_none());
    let (_, listed) = superuser.get("/api/collections/posts/records");
    assert_eq!(listed["totalItems"], 0, "{listed}");
}

#[test]
fn start_up_prunes_the_logs_the_settings_do_not_keep() {
    let server = Server::start();
    let superuser = server.superuser();
    let (status, _) = superuser.patch("/api/settings", &json!({"logs": {"maxDays": 2}}));
    assert_eq!(status, 200);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    insert_logs(
        &server,
        &[
            ("seededold000001", &civil(now - 3 * 86_400)),
            ("seedednew000001", &civil(now - 3_600)),
        ],
    );
    assert_eq!(seeded_ids(&server).len(), 2);
    // No cron run and no settings save: loading the settings at start-up is enough.
    let server = server.restart();
    assert_eq!(seeded_ids(&server), ["seedednew000001"]);
}
