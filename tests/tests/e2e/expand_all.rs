//! `pb serve --expand-all`: record responses expand every relation as `?expand=` would, with
//! the target's view rule applied for the requester; off by default (and with
//! `--no-expand-all`), so responses stay PocketBase's. Beyond PocketBase.

use serde_json::{json, Value};

use crate::harness::{create_collection, create_record, Client, Server};

/// `authors` (public), `vault` (superusers only) and `books` pointing at both.
struct Library {
    book_id: String,
    author_id: String,
    vault_id: String,
}

fn library(superuser: &Client) -> Library {
    let authors = create_collection(
        superuser,
        &json!({"name": "authors", "type": "base", "listRule": "", "viewRule": "",
                "fields": [{"name": "name", "type": "text"}]}),
    );
    let vault = create_collection(
        superuser,
        &json!({"name": "vault", "type": "base", "listRule": null, "viewRule": null,
                "fields": [{"name": "code", "type": "text"}]}),
    );
    create_collection(
        superuser,
        &json!({"name": "books", "type": "base",
        "listRule": "", "viewRule": "", "createRule": "", "updateRule": "",
        "fields": [
            {"name": "title", "type": "text"},
            {"name": "author", "type": "relation", "collectionId": authors["id"], "maxSelect": 1},
            {"name": "secret", "type": "relation", "collectionId": vault["id"], "maxSelect": 1},
        ]}),
    );
    let author = create_record(superuser, "authors", &json!({"name": "Ann"}));
    let secret = create_record(superuser, "vault", &json!({"code": "42"}));
    let book = create_record(
        superuser,
        "books",
        &json!({"title": "T", "author": author["id"], "secret": secret["id"]}),
    );
    Library {
        book_id: book["id"].as_str().unwrap().to_string(),
        author_id: author["id"].as_str().unwrap().to_string(),
        vault_id: secret["id"].as_str().unwrap().to_string(),
    }
}

fn get_ok(client: &Client, path: &str) -> Value {
    let (status, body) = client.get(path);
    assert_eq!(status, 200, "{path}: {body}");
    body
}

#[test]
fn expand_all_is_off_by_default_and_with_no_expand_all() {
    for args in [&[][..], &["--no-expand-all"][..]] {
        let server = Server::start_with_args(args);
        let library = library(&server.superuser());
        let guest = server.guest();
        let book = get_ok(
            &guest,
            &format!("/api/collections/books/records/{}", library.book_id),
        );
        assert!(book.get("expand").is_none(), "{args:?}: {book}");
        let list = get_ok(&guest, "/api/collections/books/records");
        assert!(list["items"][0].get("expand").is_none(), "{args:?}: {list}");
        // An explicit expand works as ever.
        let expanded = get_ok(
            &guest,
            &format!(
                "/api/collections/books/records/{}?expand=author",
                library.book_id
            ),
        );
        assert_eq!(
            expanded["expand"]["author"]["id"],
            library.author_id.as_str()
        );
    }
}

#[test]
fn expand_all_expands_every_relation_the_requester_may_view() {
    let server = Server::start_with_args(&["--expand-all"]);
    let superuser = server.superuser();
    let library = library(&superuser);
    let guest = server.guest();
    let path = format!("/api/collections/books/records/{}", library.book_id);

    let book = get_ok(&guest, &path);
    assert_eq!(book["expand"]["author"]["id"], library.author_id.as_str());
    assert_eq!(book["expand"]["author"]["name"], "Ann");
    assert!(
        book["expand"].get("secret").is_none(),
        "the guest may not view vault records: {book}"
    );
    let as_superuser = get_ok(&superuser, &path);
    assert_eq!(
        as_superuser["expand"]["secret"]["id"],
        library.vault_id.as_str()
    );
    assert_eq!(
        as_superuser["expand"]["author"]["id"],
        library.author_id.as_str()
    );

    let list = get_ok(&guest, "/api/collections/books/records");
    assert_eq!(list["items"][0]["expand"]["author"]["name"], "Ann");
    assert!(list["items"][0]["expand"].get("secret").is_none());

    let created = create_record(
        &guest,
        "books",
        &json!({"title": "U", "author": library.author_id}),
    );
    assert_eq!(
        created["expand"]["author"]["id"],
        library.author_id.as_str()
    );
    let (status, updated) = guest.patch(
        &format!(
            "/api/collections/books/records/{}",
            created["id"].as_str().unwrap()
        ),
        &json!({"title": "V"}),
    );
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["expand"]["author"]["name"], "Ann");

    // `fields` still picks from the expanded record.
    let picked = get_ok(&guest, &format!("{path}?fields=id,expand.author.name"));
    assert_eq!(
        picked,
        json!({"id": library.book_id, "expand": {"author": {"name": "Ann"}}})
    );
}

#[test]
fn expand_all_stops_at_cycles() {
    let server = Server::start_with_args(&["--expand-all"]);
    let superuser = server.superuser();
    let a = create_collection(
        &superuser,
        &json!({"name": "a", "type": "base", "listRule": "", "viewRule": "",
                "fields": [{"name": "label", "type": "text"}]}),
    );
    let b = create_collection(
        &superuser,
        &json!({"name": "b", "type": "base", "listRule": "", "viewRule": "",
                "fields": [{"name": "to_a", "type": "relation", "collectionId": a["id"], "maxSelect": 1}]}),
    );
    let mut fields = a["fields"].as_array().unwrap().clone();
    fields
        .push(json!({"name": "to_b", "type": "relation", "collectionId": b["id"], "maxSelect": 1}));
    fields
        .push(json!({"name": "self", "type": "relation", "collectionId": a["id"], "maxSelect": 1}));
    let (status, body) = superuser.patch("/api/collections/a", &json!({"fields": fields}));
    assert_eq!(status, 200, "{body}");

    let a1 = create_record(&superuser, "a", &json!({"label": "one"}));
    let a1_id = a1["id"].as_str().unwrap();
    let b1 = create_record(&superuser, "b", &json!({"to_a": a1_id}));
    let b1_id = b1["id"].as_str().unwrap();
    let (status, body) = superuser.patch(
        &format!("/api/collections/a/records/{a1_id}"),
        &json!({"to_b": b1_id, "self": a1_id}),
    );
    assert_eq!(status, 200, "{body}");

    let guest = server.guest();
    let record = get_ok(&guest, &format!("/api/collections/a/records/{a1_id}"));
    assert_eq!(record["expand"]["to_b"]["id"], b1_id);
    assert!(
        record["expand"]["to_b"].get("expand").is_none(),
        "b's relation back to a is not followed: {record}"
    );
    assert!(
        record["expand"].get("self").is_none(),
        "a self-relation is not followed: {record}"
    );
    // An explicit path still goes round the cycle.
    let explicit = get_ok(
        &guest,
        &format!("/api/collections/a/records/{a1_id}?expand=to_b.to_a"),
    );
    assert_eq!(explicit["expand"]["to_b"]["expand"]["to_a"]["id"], a1_id);
    assert_eq!(explicit["expand"]["to_b"]["expand"]["to_a"]["label"], "one");
}
