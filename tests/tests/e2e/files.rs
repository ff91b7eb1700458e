//! Files: multipart uploads on record create and update (and in batches), downloads with ranges
//! and PocketBase's headers, thumbs, protected files with file tokens, deletion only after the
//! commit, hostile file names, a 200 MB upload streamed in bounded memory, the orphan sweep,
//! and S3 storage (against a local `moto_server`, when one is installed).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{json, Value};

use crate::harness::{create_collection, Client, Server};

/// One part of a multipart body.
struct Part {
    name: String,
    filename: Option<String>,
    data: Vec<u8>,
}

fn field(name: &str, value: &str) -> Part {
    Part {
        name: name.to_string(),
        filename: None,
        data: value.as_bytes().to_vec(),
    }
}

fn file(name: &str, filename: &str, data: &[u8]) -> Part {
    Part {
        name: name.to_string(),
        filename: Some(filename.to_string()),
        data: data.to_vec(),
    }
}

const BOUNDARY: &str = "pbE2eBoundary7MA4YWxkTrZu0gW";

fn multipart_body(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match &part.filename {
            Some(filename) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{}\"; filename=\"{filename}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n",
                    part.name
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                    part.name
                )
                .as_bytes(),
            ),
        }
        body.extend_from_slice(&part.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn send_multipart(client: &Client, method: &str, path: &str, parts: &[Part]) -> (u16, Value) {
    client.send_raw(
        method,
        path,
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        &multipart_body(parts),
    )
}

/// A GET of a file: status, headers by lower-case name, body.
struct Download {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Download {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

fn download(server: &Server, path: &str, headers: &[(&str, &str)]) -> Download {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build();
    let mut request = agent.get(&format!("{}{path}", server.base_url()));
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let response = match request.call() {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("GET {path}: {error}"),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .map(|name| {
            let value = response.header(&name).unwrap_or("").to_string();
            (name.to_ascii_lowercase(), value)
        })
        .collect();
    let mut body = Vec::new();
    response.into_reader().read_to_end(&mut body).unwrap();
    Download {
        status,
        headers,
        body,
    }
}

fn file_url(record: &Value, filename: &str) -> String {
    format!(
        "/api/files/{}/{}/{}",
        record["collectionId"].as_str().unwrap(),
        record["id"].as_str().unwrap(),
        filename
    )
}

/// The folder of a record's files in local storage.
fn record_dir(server: &Server, record: &Value) -> PathBuf {
    server
        .data_dir()
        .join("storage")
        .join(record["collectionId"].as_str().unwrap())
        .join(record["id"].as_str().unwrap())
}

/// The names in a record's folder (sidecars and thumb folders included), sorted.
fn stored_names(server: &Server, record: &Value) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(record_dir(server, record)) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 5) as u8, (y * 7) as u8, 100])
    });
    let mut output = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut output, image::ImageFormat::Png)
        .unwrap();
    output.into_inner()
}

fn image_size(bytes: &[u8]) -> (u32, u32) {
    let image = image::load_from_memory(bytes).unwrap();
    (image.width(), image.height())
}

/// A public collection `docs` with a single file field, a multi file field with thumbs and a
/// type filter, and a text field.
fn create_docs(superuser: &Client) -> Value {
    create_collection(
        superuser,
        &json!({
            "name": "docs", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "",
            "deleteRule": "",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "doc", "type": "file", "maxSelect": 1, "maxSize": 100000},
                {"name": "pics", "type": "file", "maxSelect": 4, "maxSize": 1000000,
                 "mimeTypes": ["image/png", "text/plain"], "thumbs": ["10x10", "0x20", "20x10t", "30x30f"]}
            ]
        }),
    )
}

fn matches_stored_name(name: &str, stem: &str, extension: &str) -> bool {
    let Some(rest) = name.strip_prefix(&format!("{stem}_")) else {
        return false;
    };
    let Some(random) = rest.strip_suffix(extension) else {
        return false;
    };
    random.len() == 10
        && random
            .chars()
            .all(|character| character.is_ascii_lowercase() || character.is_ascii_digit())
}

#[test]
fn upload_and_download_round_trip() {
    let server = Server::start();
    create_docs(&server.superuser());
    let guest = server.guest();
    let (status, record) = send_multipart(
        &guest,
        "POST",
        "/api/collections/docs/records",
        &[
            field("title", "hello"),
            file("doc", "My Report (final).txt", b"line one\nline two\n"),
        ],
    );
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["title"], "hello");
    let name = record["doc"].as_str().unwrap();
    assert!(
        matches_stored_name(name, "my_report_final", ".txt"),
        "{name}"
    );
    assert_eq!(record["pics"], json!([]));

    let fetched = download(&server, &file_url(&record, name), &[]);
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body, b"line one\nline two\n");
    assert_eq!(
        fetched.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        fetched.header("content-disposition"),
        Some(format!("attachment; filename=\"{name}\"").as_str())
    );
    assert_eq!(
        fetched.header("content-security-policy"),
        Some("default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox")
    );
    assert_eq!(
        fetched.header("cache-control"),
        Some("max-age=2592000, stale-while-revalidate=86400")
    );
    assert_eq!(fetched.header("accept-ranges"), Some("bytes"));
    assert!(fetched.header("last-modified").is_some());
    assert_eq!(fetched.header("x-frame-options"), None);

    // The collection name works as well as its id.
    let by_name = format!("/api/files/docs/{}/{name}", record["id"].as_str().unwrap());
    assert_eq!(
        download(&server, &by_name, &[]).body,
        b"line one\nline two\n"
    );

    let partial = download(&server, &file_url(&record, name), &[("Range", "bytes=5-7")]);
    assert_eq!(partial.status, 206);
    assert_eq!(partial.body, b"one");
    assert_eq!(partial.header("content-range"), Some("bytes 5-7/18"));
    let beyond = download(
        &server,
        &file_url(&record, name),
        &[("Range", "bytes=100-")],
    );
    assert_eq!(beyond.status, 416);
    assert_eq!(beyond.header("content-range"), Some("bytes */18"));
    let last_modified = fetched.header("last-modified").unwrap().to_string();
    let cached = download(
        &server,
        &file_url(&record, name),
        &[("If-Modified-Since", &last_modified)],
    );
    assert_eq!(cached.status, 304);

    // The stored file and PocketBase's metadata sidecar.
    assert_eq!(
        stored_names(&server, &record),
        [name.to_string(), format!("{name}.attrs")]
    );
    let attrs: Value = serde_json::from_str(
        &std::fs::read_to_string(record_dir(&server, &record).join(format!("{name}.attrs")))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(attrs["user.content_type"], "text/plain; charset=utf-8");
    assert_eq!(
        attrs["user.metadata"]["original-filename"],
        "My Report (final).txt"
    );

    let missing = download(&server, &file_url(&record, "missing_abcdefghij.txt"), &[]);
    assert_eq!(missing.status, 404);
}

#[test]
fn multiple_files_append_prepend_remove_and_replace() {
    let server = Server::start();
    create_docs(&server.superuser());
    let guest = server.guest();
    let image = png(40, 30);
    let (status, record) = send_multipart(
        &guest,
        "POST",
        "/api/collections/docs/records",
        &[
            file("pics", "first.png", &image),
            file("pics", "second.txt", b"txt"),
        ],
    );
    assert_eq!(status, 200, "{record}");
    let pics: Vec<String> = serde_json::from_value(record["pics"].clone()).unwrap();
    assert!(matches_stored_name(&pics[0], "first", ".png"), "{pics:?}");
    assert!(matches_stored_name(&pics[1], "second", ".txt"), "{pics:?}");
    let images = download(&server, &file_url(&record, &pics[0]), &[]);
    assert_eq!(images.header("content-type"), Some("image/png"));
    assert!(images
        .header("content-disposition")
        .unwrap()
        .starts_with("inline; "));

    let id = record["id"].as_str().unwrap();
    let path = format!("/api/collections/docs/records/{id}");
    let (status, appended) = send_multipart(
        &guest,
        "PATCH",
        &path,
        &[
            file("+pics", "pre.txt", b"pre"),
            file("pics+", "post.txt", b"post"),
        ],
    );
    assert_eq!(status, 200, "{appended}");
    let names: Vec<String> = serde_json::from_value(appended["pics"].clone()).unwrap();
    assert_eq!(names.len(), 4);
    assert!(matches_stored_name(&names[0], "pre", ".txt"));
    assert_eq!(names[1..3], pics[..]);
    assert!(matches_stored_name(&names[3], "post", ".txt"));

    // A fifth file is one too many: nothing changes, nothing new is left in storage.
    let before = stored_names(&server, &record);
    let (status, error) =
        send_multipart(&guest, "PATCH", &path, &[file("pics+", "extra.txt", b"x")]);
    assert_eq!(status, 400);
    assert_eq!(error["data"]["pics"]["code"], "validation_too_many_files");
    assert_eq!(stored_names(&server, &record), before);

    // Removing by name deletes the file once the update has committed.
    let (status, removed) = guest.patch(&path, &json!({"pics-": [names[0].clone()]}));
    assert_eq!(status, 200, "{removed}");
    assert_eq!(removed["pics"], json!(names[1..]));
    assert_eq!(
        download(&server, &file_url(&record, &names[0]), &[]).status,
        404
    );
    assert!(!stored_names(&server, &record).contains(&names[0]));

    // Plain names sent with new files keep those files; the others are replaced.
    let (status, replaced) = send_multipart(
        &guest,
        "PATCH",
        &path,
        &[field("pics", &names[1]), file("pics", "new.txt", b"new")],
    );
    assert_eq!(status, 200, "{replaced}");
    let kept: Vec<String> = serde_json::from_value(replaced["pics"].clone()).unwrap();
    assert_eq!(kept[0], names[1]);
    assert!(matches_stored_name(&kept[1], "new", ".txt"));
    let mut expected: Vec<String> = kept
        .iter()
        .flat_map(|name| [name.clone(), format!("{name}.attrs")])
        .collect();
    expected.sort();
    assert_eq!(stored_names(&server, &record), expected);

    // Clearing a field removes every file; `null` clears a single file field.
    let (status, cleared) = guest.patch(&path, &json!({"pics": []}));
    assert_eq!(status, 200, "{cleared}");
    assert_eq!(cleared["pics"], json!([]));
    assert!(stored_names(&server, &record).is_empty());
}

#[test]
fn file_validation_uses_pocketbase_codes() {
    let server = Server::start();
    create_docs(&server.superuser());
    let guest = server.guest();
    let create =
        |parts: &[Part]| send_multipart(&guest, "POST", "/api/collections/docs/records", parts);
    let (status, error) = create(&[file("pics", "x.pdf", b"%PDF-1.4 fake")]);
    assert_eq!(status, 400);
    assert_eq!(
        error["data"]["pics"]["code"],
        "validation_invalid_mime_type"
    );
    let (status, error) = create(&[file("doc", "big.txt", &vec![b'a'; 150_000])]);
    assert_eq!(status, 400);
    assert_eq!(error["data"]["doc"]["code"], "validation_file_size_limit");
    assert_eq!(
        error["data"]["doc"]["params"],
        json!({"file": "big.txt", "maxSize": 100000})
    );
    let five: Vec<Part> = (0..5).map(|_| file("pics", "f.txt", b"f")).collect();
    let (status, error) = create(&five);
    assert_eq!(status, 400);
    assert_eq!(error["data"]["pics"]["code"], "validation_too_many_files");
    // A body over 32 MiB plus the collection's file allowance is refused whole.
    let (status, _) = create(&[file("doc", "huge.bin", &vec![0u8; 40 << 20])]);
    assert_eq!(status, 413);
    // No failed create left a file behind.
    let storage = server.data_dir().join("storage");
    let leftovers = walk(&storage);
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Every file below `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn thumbs_are_made_once_in_every_format() {
    let server = Server::start();
    create_docs(&server.superuser());
    let original = png(40, 30);
    let (status, record) = send_multipart(
        &server.guest(),
        "POST",
        "/api/collections/docs/records",
        &[file("pics", "thumb.png", &original)],
    );
    assert_eq!(status, 200, "{record}");
    let name = record["pics"][0].as_str().unwrap().to_string();
    for (size, expected) in [
        ("10x10", (10, 10)),
        ("0x20", (27, 20)),
        ("20x10t", (20, 10)),
        ("30x30f", (30, 22)),
        ("100x100", (100, 100)),
    ] {
        let thumb = download(
            &server,
            &format!("{}?thumb={size}", file_url(&record, &name)),
            &[],
        );
        assert_eq!(thumb.status, 200, "{size}");
        assert_eq!(thumb.header("content-type"), Some("image/png"));
        assert_eq!(image_size(&thumb.body), expected, "{size}");
        assert_eq!(
            thumb.header("content-disposition"),
            Some(format!("inline; filename=\"{size}_{name}\"").as_str())
        );
        let stored = record_dir(&server, &record)
            .join(format!("thumbs_{name}"))
            .join(format!("{size}_{name}"));
        assert!(stored.is_file(), "{}", stored.display());
    }
    // Sizes the field does not list, and nonsense, get the original.
    for size in ["5x5", "0x0", "abc"] {
        let original_back = download(
            &server,
            &format!("{}?thumb={size}", file_url(&record, &name)),
            &[],
        );
        assert_eq!(original_back.body, original, "{size}");
    }
    // Removing the file removes its thumbs too.
    let path = format!(
        "/api/collections/docs/records/{}",
        record["id"].as_str().unwrap()
    );
    let (status, _) = server.guest().patch(&path, &json!({"pics-": name}));
    assert_eq!(status, 200);
    assert!(stored_names(&server, &record).is_empty());
}

#[test]
fn protected_files_need_a_file_token_that_passes_the_view_rule() {
    let server = Server::start();
    let superuser = server.superuser();
    let users = create_collection(&superuser, &json!({"name": "members", "type": "auth"}));
    create_collection(
        &superuser,
        &json!({
            "name": "vault", "createRule": "", "viewRule": "owner = @request.auth.id",
            "fields": [
                {"name": "owner", "type": "relation", "collectionId": users["id"], "maxSelect": 1},
                {"name": "secret", "type": "file", "maxSelect": 1, "protected": true},
                {"name": "open", "type": "file", "maxSelect": 1}
            ]
        }),
    );
    let mut member_ids = Vec::new();
    let mut tokens = Vec::new();
    for email in ["a@example.com", "b@example.com"] {
        let (status, member) = superuser.post(
            "/api/collections/members/records",
            &json!({"email": email, "password": "Passw0rd!123", "passwordConfirm": "Passw0rd!123"}),
        );
        assert_eq!(status, 200, "{member}");
        member_ids.push(member["id"].as_str().unwrap().to_string());
        tokens.push(server.guest().login("members", email, "Passw0rd!123"));
    }
    let (status, record) = send_multipart(
        &superuser,
        "POST",
        "/api/collections/vault/records",
        &[
            field("owner", &member_ids[0]),
            file("secret", "secret.txt", b"top secret"),
            file("open", "open.txt", b"public"),
        ],
    );
    assert_eq!(status, 200, "{record}");
    let secret_url = file_url(&record, record["secret"].as_str().unwrap());
    let open_url = file_url(&record, record["open"].as_str().unwrap());
    // Unprotected files need nothing; protected ones 404 without a passing token.
    assert_eq!(download(&server, &open_url, &[]).status, 200);
    assert_eq!(download(&server, &secret_url, &[]).status, 404);
    // The Authorization header does not count on this route.
    let with_header = download(&server, &secret_url, &[("Authorization", &tokens[0])]);
    assert_eq!(with_header.status, 404);

    let (status, body) = server.guest().post("/api/files/token", &json!({}));
    assert_eq!(status, 401, "{body}");
    let file_token = |token: &str| {
        let (status, body) = server
            .guest()
            .with_token(token)
            .post("/api/files/token", &json!({}));
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().unwrap().to_string()
    };
    let owner_token = file_token(&tokens[0]);
    let allowed = download(&server, &format!("{secret_url}?token={owner_token}"), &[]);
    assert_eq!(allowed.status, 200);
    assert_eq!(allowed.body, b"top secret");
    let other_token = file_token(&tokens[1]);
    assert_eq!(
        download(&server, &format!("{secret_url}?token={other_token}"), &[]).status,
        404
    );
    // An auth token is not a file token.
    assert_eq!(
        download(&server, &format!("{secret_url}?token={}", tokens[0]), &[]).status,
        404
    );
    let superuser_token = file_token(&server.superuser_token());
    assert_eq!(
        download(
            &server,
            &format!("{secret_url}?token={superuser_token}"),
            &[]
        )
        .status,
        200
    );
}

#[test]
fn files_go_only_after_the_commit_and_with_their_records() {
    let server = Server::start();
    let superuser = server.superuser();
    let parents = create_collection(
        &superuser,
        &json!({"name": "parents", "createRule": "", "updateRule": "", "deleteRule": "",
            "fields": [{"name": "f", "type": "file", "maxSelect": 2},
                       {"name": "n", "type": "number", "max": 10}]}),
    );
    create_collection(
        &superuser,
        &json!({"name": "children", "createRule": "", "deleteRule": "",
            "fields": [{"name": "f", "type": "file", "maxSelect": 1},
                       {"name": "parent", "type": "relation", "collectionId": parents["id"],
                        "cascadeDelete": true, "maxSelect": 1}]}),
    );
    let guest = server.guest();
    let (_, parent) = send_multipart(
        &guest,
        "POST",
        "/api/collections/parents/records",
        &[file("f", "keep.txt", b"keep")],
    );
    let parent_id = parent["id"].as_str().unwrap();
    let (_, child) = send_multipart(
        &guest,
        "POST",
        "/api/collections/children/records",
        &[field("parent", parent_id), file("f", "child.txt", b"child")],
    );
    assert_eq!(stored_names(&server, &child).len(), 2);

    // A failed update (the number is out of range) keeps the old file and stores no new one.
    let before = stored_names(&server, &parent);
    let (status, _) = send_multipart(
        &guest,
        "PATCH",
        &format!("/api/collections/parents/records/{parent_id}"),
        &[field("n", "99"), file("f", "replacement.txt", b"new")],
    );
    assert_eq!(status, 400);
    assert_eq!(stored_names(&server, &parent), before);
    assert_eq!(
        download(
            &server,
            &file_url(&parent, parent["f"][0].as_str().unwrap()),
            &[]
        )
        .body,
        b"keep"
    );

    // A create that the create rule rejects after the insert rolls back and leaves no file.
    create_collection(
        &superuser,
        &json!({"name": "picky", "createRule": "title = 'ok'",
            "fields": [{"name": "title", "type": "text"}, {"name": "f", "type": "file", "maxSelect": 1}]}),
    );
    let (status, _) = send_multipart(
        &guest,
        "POST",
        "/api/collections/picky/records",
        &[field("title", "no"), file("f", "x.txt", b"x")],
    );
    assert_eq!(status, 400);
    let picky_id = superuser.get("/api/collections/picky").1["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(walk(&server.data_dir().join("storage").join(picky_id)).is_empty());

    // Deleting the parent cascades to the child; both folders go.
    let (status, _) = guest.delete(&format!("/api/collections/parents/records/{parent_id}"));
    assert_eq!(status, 204);
    assert!(!record_dir(&server, &parent).exists());
    assert!(!record_dir(&server, &child).exists());
}

#[test]
fn hostile_file_names_are_stored_safely() {
    let server = Server::start();
    create_collection(
        &server.superuser(),
        &json!({"name": "dropbox", "createRule": "", "viewRule": "",
            "fields": [{"name": "f", "type": "file", "maxSelect": 10}]}),
    );
    let names = [
        "../../../../etc/passwd",
        "..\\..\\windows\\win.ini",
        "evil%0D%0AX-Injected: 1.txt",
        "quote\\\".txt",
        "semi;colon=1.html",
        "....",
        "/",
    ];
    let parts: Vec<Part> = names.iter().map(|name| file("f", name, b"x")).collect();
    let (status, record) = send_multipart(
        &server.guest(),
        "POST",
        "/api/collections/dropbox/records",
        &parts,
    );
    assert_eq!(status, 200, "{record}");
    let stored: Vec<String> = serde_json::from_value(record["f"].clone()).unwrap();
    assert_eq!(stored.len(), names.len());
    for name in &stored {
        assert!(
            name.chars()
                .all(|character| character.is_ascii_alphanumeric() || "_.-*+=#".contains(character)),
            "{name:?}"
        );
        assert!(!name.starts_with('.') && !name.contains(".."), "{name:?}");
        let fetched = download(&server, &file_url(&record, name), &[]);
        assert_eq!(fetched.status, 200, "{name}");
        assert_eq!(
            fetched.header("content-disposition"),
            Some(format!("attachment; filename=\"{name}\"").as_str())
        );
        assert!(fetched.header("x-injected").is_none());
    }
    // Everything stayed inside the record's folder.
    let storage = server.data_dir().join("storage");
    for path in walk(&storage) {
        assert!(
            path.starts_with(record_dir(&server, &record)),
            "{}",
            path.display()
        );
    }
    assert!(!server.data_dir().join("etc").exists());
    // A NUL byte in a part header makes the whole body malformed (as for PocketBase).
    let before = walk(&storage);
    let (status, _) = send_multipart(
        &server.guest(),
        "POST",
        "/api/collections/dropbox/records",
        &[file("f", "nul\u{0}byte.txt", b"x")],
    );
    assert_eq!(status, 400);
    assert_eq!(walk(&storage), before);
}

#[test]
fn batch_uploads_are_stored_and_rolled_back_with_the_batch() {
    let server = Server::start();
    let superuser = server.superuser();
    let (status, body) = superuser.patch("/api/settings", &json!({"batch": {"enabled": true}}));
    assert_eq!(status, 200, "{body}");
    create_collection(
        &superuser,
        &json!({"name": "bfiles", "createRule": "", "viewRule": "",
            "fields": [{"name": "title", "type": "text", "required": true},
                       {"name": "f", "type": "file", "maxSelect": 1}]}),
    );
    let payload = json!({"requests": [
        {"method": "POST", "url": "/api/collections/bfiles/records", "body": {"title": "a"}},
        {"method": "POST", "url": "/api/collections/bfiles/records", "body": {"title": "b"}}
    ]});
    let (status, results) = send_multipart(
        &server.guest(),
        "POST",
        "/api/batch",
        &[
            field("@jsonPayload", &payload.to_string()),
            file("requests.0.f", "one.txt", b"one"),
            file("requests[1].f", "two.txt", b"two"),
        ],
    );
    assert_eq!(status, 200, "{results}");
    for (index, content) in [(0, "one"), (1, "two")] {
        let record = &results[index]["body"];
        let name = record["f"].as_str().unwrap();
        assert!(matches_stored_name(name, content, ".txt"), "{name}");
        assert_eq!(
            download(&server, &file_url(record, name), &[]).body,
            content.as_bytes()
        );
    }
    let collection_id = results[0]["body"]["collectionId"]
        .as_str()
        .unwrap()
        .to_string();
    let before = walk(&server.data_dir().join("storage").join(&collection_id));

    // The second item fails: the first item's file is removed with the rollback.
    let failing = json!({"requests": [
        {"method": "POST", "url": "/api/collections/bfiles/records", "body": {"title": "c"}},
        {"method": "POST", "url": "/api/collections/bfiles/records", "body": {}}
    ]});
    let (status, _) = send_multipart(
        &server.guest(),
        "POST",
        "/api/batch",
        &[
            field("@jsonPayload", &failing.to_string()),
            file("requests.0.f", "three.txt", b"three"),
        ],
    );
    assert_eq!(status, 400);
    assert_eq!(
        walk(&server.data_dir().join("storage").join(&collection_id)),
        before
    );
}

/// A multipart body of one `size`-byte file generated on the fly, never held in memory.
struct GeneratedUpload {
    head: Vec<u8>,
    tail: Vec<u8>,
    size: u64,
    position: u64,
    state: u64,
    checksum: u64,
}

impl GeneratedUpload {
    fn new(field_name: &str, size: u64) -> GeneratedUpload {
        GeneratedUpload {
            head: format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field_name}\"; \
                 filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .into_bytes(),
            tail: format!("\r\n--{BOUNDARY}--\r\n").into_bytes(),
            size,
            position: 0,
            state: 0x9E37_79B9_7F4A_7C15,
            checksum: 0,
        }
    }

    fn total_length(&self) -> u64 {
        self.head.len() as u64 + self.size + self.tail.len() as u64
    }
}

/// Folds bytes into a running checksum (order-sensitive).
fn fold(checksum: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(checksum, |sum, byte| sum.rotate_left(5) ^ u64::from(*byte))
}

impl Read for GeneratedUpload {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let head_length = self.head.len() as u64;
        let end_of_data = head_length + self.size;
        let total = self.total_length();
        if self.position >= total || buffer.is_empty() {
            return Ok(0);
        }
        let written = if self.position < head_length {
            let start = self.position as usize;
            let length = (self.head.len() - start).min(buffer.len());
            buffer[..length].copy_from_slice(&self.head[start..start + length]);
            length
        } else if self.position < end_of_data {
            let length = ((end_of_data - self.position) as usize).min(buffer.len());
            for byte in &mut buffer[..length] {
                self.state ^= self.state << 13;
                self.state ^= self.state >> 7;
                self.state ^= self.state << 17;
                *byte = (self.state >> 24) as u8;
            }
            self.checksum = fold(self.checksum, &buffer[..length]);
            length
        } else {
            let start = (self.position - end_of_data) as usize;
            let length = (self.tail.len() - start).min(buffer.len());
            buffer[..length].copy_from_slice(&self.tail[start..start + length]);
            length
        };
        self.position += written as u64;
        Ok(written)
    }
}

/// The peak resident memory of process `pid`, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn a_200_megabyte_upload_streams_through_in_bounded_memory() {
    const SIZE: u64 = 200 << 20;
    let server = Server::start();
    create_collection(
        &server.superuser(),
        &json!({"name": "large", "createRule": "", "viewRule": "",
            "fields": [{"name": "f", "type": "file", "maxSelect": 1, "maxSize": 300 << 20}]}),
    );
    let mut upload = GeneratedUpload::new("f", SIZE);
    let length = upload.total_length();
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(300))
        .build();
    let started = Instant::now();
    let response = agent
        .post(&format!(
            "{}/api/collections/large/records",
            server.base_url()
        ))
        .set(
            "Content-Type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .set("Content-Length", &length.to_string())
        .send(&mut upload)
        .unwrap();
    let record: Value = response.into_json().unwrap();
    let elapsed = started.elapsed();
    let name = record["f"].as_str().unwrap().to_string();
    let uploaded_checksum = upload.checksum;

    let response = agent
        .get(&format!(
            "{}{}",
            server.base_url(),
            file_url(&record, &name)
        ))
        .call()
        .unwrap();
    assert_eq!(
        response.header("content-length"),
        Some(SIZE.to_string().as_str())
    );
    let mut reader = response.into_reader();
    let mut buffer = vec![0u8; 1 << 16];
    let (mut received, mut checksum) = (0u64, 0u64);
    loop {
        let read = reader.read(&mut buffer).unwrap();
        if read == 0 {
            break;
        }
        received += read as u64;
        checksum = fold(checksum, &buffer[..read]);
    }
    assert_eq!(received, SIZE);
    assert_eq!(checksum, uploaded_checksum);

    let peak = peak_rss_kib(server.pid());
    eprintln!("200 MiB upload took {elapsed:?}; server peak RSS {peak} KiB");
    assert!(peak < 100 * 1024, "peak RSS {peak} KiB");
    // Nothing is left in the upload spool.
    assert!(walk(&server.data_dir().join(".pb_temp_uploads")).is_empty());
}

#[test]
fn the_startup_sweep_removes_files_no_record_names() {
    let server = Server::start();
    create_docs(&server.superuser());
    let (status, record) = send_multipart(
        &server.guest(),
        "POST",
        "/api/collections/docs/records",
        &[file("doc", "kept.txt", b"kept")],
    );
    assert_eq!(status, 200, "{record}");
    let kept = record["doc"].as_str().unwrap().to_string();
    let dir = record_dir(&server, &record);
    let collection_dir = dir.parent().unwrap().to_path_buf();
    // What a crash between storing uploads and committing (or committing and deleting) leaves.
    let orphans = [
        dir.join("orphan_abcdefghij.txt"),
        dir.join("thumbs_gone_abcdefghij.png")
            .join("100x100_gone_abcdefghij.png"),
        collection_dir
            .join("nosuchrecord123")
            .join("lost_abcdefghij.txt"),
    ];
    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    for orphan in &orphans {
        std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
        std::fs::write(orphan, b"orphan").unwrap();
        std::fs::File::options()
            .write(true)
            .open(orphan)
            .unwrap()
            .set_modified(an_hour_ago)
            .unwrap();
    }
    let server = server.restart();
    let deadline = Instant::now() + Duration::from_secs(20);
    while orphans.iter().any(|orphan| orphan.exists()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    for orphan in &orphans {
        assert!(!orphan.exists(), "{} survived the sweep", orphan.display());
    }
    assert!(dir.join(&kept).is_file());
    assert_eq!(
        download(&server, &file_url(&record, &kept), &[]).body,
        b"kept"
    );
}

/// A `moto_server` (S3 API) on a free loopback port, killed when dropped; `None` when it is not
/// installed (`pip install 'moto[server]'`).
pub(crate) struct Moto {
    child: Child,
    pub(crate) url: String,
}

impl Moto {
    pub(crate) fn start() -> Option<Moto> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if ureq::get(&moto.url).call().is_ok() {
                return Some(moto);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        None
    }

    pub(crate) fn keys(&self, bucket: &str) -> Vec<String> {
        let listing = ureq::get(&format!("{}/{bucket}?list-type=2", self.url))
            .call()
            .unwrap()
            .into_string()
            .unwrap();
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>").map(|(key, _)| key.to_string()))
            .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn s3_storage_follows_the_settings_live() {
    let Some(moto) = Moto::start() else {
        eprintln!("moto_server is not installed; skipping the S3 test");
        return;
    };
    let bucket = "pb-e2e-files";
    ureq::put(&format!("{}/{bucket}", moto.url)).call().unwrap();
    let server = Server::start();
    let superuser = server.superuser();
    create_docs(&superuser);
    let s3 = |enabled: bool| {
        json!({"s3": {"enabled": enabled, "bucket": bucket, "region": "us-east-1",
            "endpoint": moto.url, "accessKey": "test", "secret": "test-secret",
            "forcePathStyle": true}})
    };
    let (status, body) = superuser.patch("/api/settings", &s3(true));
    assert_eq!(status, 200, "{body}");

    let image = png(40, 30);
    let (status, record) = send_multipart(
        &server.guest(),
        "POST",
        "/api/collections/docs/records",
        &[
            file("pics", "cloud.png", &image),
            file("doc", "cloud.txt", b"in the cloud"),
        ],
    );
    assert_eq!(status, 200, "{record}");
    let picture = record["pics"][0].as_str().unwrap().to_string();
    let text = record["doc"].as_str().unwrap().to_string();
    let fetched = download(&server, &file_url(&record, &text), &[]);
    assert_eq!(fetched.body, b"in the cloud");
    assert_eq!(
        fetched.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    let ranged = download(
        &server,
        &file_url(&record, &text),
        &[("Range", "bytes=3-5")],
    );
    assert_eq!((ranged.status, ranged.body.as_slice()), (206, &b"the"[..]));
    let thumb = download(
        &server,
        &format!("{}?thumb=10x10", file_url(&record, &picture)),
        &[],
    );
    assert_eq!(image_size(&thumb.body), (10, 10));
    let prefix = format!(
        "{}/{}/",
        record["collectionId"].as_str().unwrap(),
        record["id"].as_str().unwrap()
    );
    let mut keys = moto.keys(bucket);
    keys.sort();
    let mut expected = vec![
        format!("{prefix}{text}"),
        format!("{prefix}{picture}"),
        format!("{prefix}thumbs_{picture}/10x10_{picture}"),
    ];
    expected.sort();
    assert_eq!(keys, expected);
    assert!(!record_dir(&server, &record).exists());

    // Deleting the record empties its folder in the bucket.
    let path = format!(
        "/api/collections/docs/records/{}",
        record["id"].as_str().unwrap()
    );
    assert_eq!(server.guest().delete(&path).0, 204);
    assert!(moto.keys(bucket).is_empty());

    // Switching S3 off sends new files to the local folder at once.
    let (status, _) = superuser.patch("/api/settings", &s3(false));
    assert_eq!(status, 200);
    let (status, local) = send_multipart(
        &server.guest(),
        "POST",
        "/api/collections/docs/records",
        &[file("doc", "local.txt", b"local")],
    );
    assert_eq!(status, 200, "{local}");
    assert!(record_dir(&server, &local)
        .join(local["doc"].as_str().unwrap())
        .is_file());
    assert!(moto.keys(bucket).is_empty());
}

#[test]
fn truncating_or_deleting_a_collection_removes_its_files() {
    let server = Server::start();
    let superuser = server.superuser();
    let collection = create_docs(&superuser);
    let storage = server
        .data_dir()
        .join("storage")
        .join(collection["id"].as_str().unwrap());
    let upload = || {
        let (status, record) = send_multipart(
            &server.guest(),
            "POST",
            "/api/collections/docs/records",
            &[file("doc", "a.txt", b"a")],
        );
        assert_eq!(status, 200, "{record}");
    };
    upload();
    upload();
    assert_eq!(walk(&storage).len(), 4);
    let (status, _) = superuser.delete("/api/collections/docs/truncate");
    assert_eq!(status, 204);
    assert!(walk(&storage).is_empty());
    upload();
    assert_eq!(walk(&storage).len(), 2);
    let (status, _) = superuser.delete("/api/collections/docs");
    assert_eq!(status, 204);
    assert!(walk(&storage).is_empty());
}
