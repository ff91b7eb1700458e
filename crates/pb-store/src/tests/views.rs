//! View collections: their fields are inferred like PocketBase infers them, their records read
//! through the view, and bad queries are refused with SQLite's or PocketBase's reason.

use pb_core::ports::RecordQuery;
use pb_core::{FieldKind, Record, StoreError};

use super::*;

fn posts(store: &SqliteStore) -> Collection {
    let posts = base_collection(
        "posts",
        json!([
            {"name": "title", "type": "text", "required": true},
            {"name": "views", "type": "number"},
            {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
        ]),
        &[],
    );
    write(store, |tx| {
        tx.insert_collection(&posts)?;
        for index in 0..3 {
            let mut record = Record::new(&posts);
            record.set("id", json!(format!("post00000000000{index}")));
            record.set("title", json!(format!("post {index}")));
            record.set("views", json!(index * 5));
            tx.insert_record(&posts, &record)?;
        }
        Ok(())
    })
    .unwrap();
    posts
}

fn summary(fields: &[Field]) -> Vec<(String, String, String)> {
    fields
        .iter()
        .map(|field| {
            let id = if field.id.starts_with("_clone_") {
                "_clone_".to_string()
            } else {
                field.id.clone()
            };
            (field.name.clone(), field.type_name().to_string(), id)
        })
        .collect()
}

const STATS_QUERY: &str = "select p.id, p.title, p.views as v, count(*) as c, max(p.views) as mx, \
    cast(p.views as int) as vi, p.author, u.id as uid from posts p left join users u on u.id = p.author group by p.id";

#[test]
fn fields_are_inferred_and_records_read_through_the_view() {
    let (_dir, store) = open_store();
    let posts = posts(&store);
    let stats = view_collection("stats", STATS_QUERY);
    write(&store, |tx| Ok(tx.insert_collection(&stats)?)).unwrap();
    let stored = stored_collection(&store, "stats").unwrap();
    let text = |name: &str| (name.to_string(), "text".to_string(), "_clone_".to_string());
    assert_eq!(
        summary(&stored.fields),
        [
            ("id".into(), "text".into(), "text3208210256".into()),
            text("title"),
            ("v".into(), "number".into(), "_clone_".into()),
            (
                "c".into(),
                "number".into(),
                pb_core::ids::field_id("number", "c")
            ),
            (
                "mx".into(),
                "json".into(),
                pb_core::ids::field_id("json", "mx")
            ),
            (
                "vi".into(),
                "number".into(),
                pb_core::ids::field_id("number", "vi")
            ),
            ("author".into(), "relation".into(), "_clone_".into()),
            (
                "uid".into(),
                "relation".into(),
                pb_core::ids::field_id("relation", "uid")
            ),
        ]
    );
    let id = serde_json::to_value(&stored.fields[0]).unwrap();
    assert_eq!(
        (
            id["min"].clone(),
            id["max"].clone(),
            id["autogeneratePattern"].clone()
        ),
        (json!(0), json!(0), json!(""))
    );
    assert!(
        stored.fields[1].required(),
        "a clone keeps the source's options"
    );
    assert!(matches!(&stored.fields[3].kind, FieldKind::Number(options) if options.only_int));
    assert!(
        matches!(&stored.fields[7].kind, FieldKind::Relation(options) if options.collection_id == "_pb_users_auth_")
    );
    assert_eq!(
        strings(
            &store,
            "SELECT sql AS value FROM sqlite_master WHERE name = 'stats'"
        ),
        [format!(
            "CREATE VIEW `stats` AS SELECT * FROM ({STATS_QUERY})"
        )]
    );

    let records = read(&store, |tx| {
        Ok(tx.list_records(&stored, &RecordQuery::default())?)
    })
    .unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(records[2].get("v"), Some(&json!(10)));
    assert_eq!(records[2].get("c"), Some(&json!(1)));
    let failure = write(&store, |tx| Ok(tx.insert_record(&stored, &records[0])?)).unwrap_err();
    assert!(matches!(
        failure,
        CoreError::Store(StoreError::InvalidStatement(_))
    ));

    // Saving again keeps the ids of fields that stay the same; a changed query changes fields.
    let mut changed = stored.clone();
    changed.view_query = "select id, title, views from posts".into();
    write(&store, |tx| Ok(tx.update_collection(&stored, &changed)?)).unwrap();
    let again = stored_collection(&store, "stats").unwrap();
    assert_eq!(again.fields[1].id, stored.fields[1].id);
    assert_eq!(
        summary(&again.fields)[2],
        ("views".into(), "number".into(), "_clone_".into())
    );
    let renamed_source = {
        let mut renamed = posts.clone();
        renamed.name = "articles".into();
        renamed
    };
    // The view follows a renamed source table (SQLite rewrites the view).
    write(&store, |tx| {
        Ok(tx.update_collection(&posts, &renamed_source)?)
    })
    .unwrap();
    let records = read(&store, |tx| {
        Ok(tx.list_records(&again, &RecordQuery::default())?)
    })
    .unwrap();
    assert_eq!(records.len(), 3);

    write(&store, |tx| Ok(tx.delete_collection(&again)?)).unwrap();
    assert!(strings(
        &store,
        "SELECT name AS value FROM sqlite_master WHERE name = 'stats'"
    )
    .is_empty());
}

#[test]
fn bad_view_queries_are_invalid_statements() {
    let (_dir, store) = open_store();
    posts(&store);
    for (query, reason) in [
        ("select id, title from nowhere", "no such table"),
        ("select title from posts", "missing required id column"),
        ("select * from posts", "wildcard columns"),
        ("select id from posts; drop table posts", "single SELECT"),
    ] {
        let failure = write(&store, |tx| {
            Ok(tx.insert_collection(&view_collection("bad", query))?)
        })
        .unwrap_err();
        match failure {
            CoreError::Store(StoreError::InvalidStatement(message)) => {
                assert!(message.contains(reason), "{message}")
            }
            other => panic!("{query}: {other:?}"),
        }
    }
    assert!(stored_collection(&store, "bad").is_none());
    assert!(stored_collection(&store, "posts").is_some());
}

#[test]
fn inference_without_a_collection_leaves_nothing_behind() {
    let (_dir, store) = open_store();
    posts(&store);
    let collections = read(&store, |tx| Ok(tx.collections()?)).unwrap();
    let mut conn = store.connections.writer().unwrap();
    let fields = crate::infer_view_fields(
        &mut conn,
        "select id, title as name, 1 + 1 as two from posts",
        &collections,
    )
    .unwrap();
    assert_eq!(
        summary(&fields),
        [
            ("id".into(), "text".into(), "text3208210256".into()),
            ("name".into(), "text".into(), "_clone_".into()),
            (
                "two".into(),
                "json".into(),
                pb_core::ids::field_id("json", "two")
            ),
        ]
    );
    let failure =
        crate::infer_view_fields(&mut conn, "select nope from posts", &collections).unwrap_err();
    assert!(matches!(failure, StoreError::InvalidStatement(_)));
    drop(conn);
    assert!(strings(&store, "SELECT name AS value FROM sqlite_temp_master").is_empty());
}
