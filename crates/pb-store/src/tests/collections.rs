//! Changing a collection migrates its table with the data kept: fields added, renamed, removed
//! and retyped, indexes replaced, the collection renamed, deleted.

use pb_core::ports::RecordQuery;
use pb_core::{Record, StoreError};

use super::*;

fn posts() -> Collection {
    base_collection(
        "posts",
        json!([
            {"name": "title", "type": "text"},
            {"name": "views", "type": "number"},
            {"name": "tags", "type": "select", "values": ["a", "b", "c"], "maxSelect": 1},
            {"name": "old", "type": "text"},
        ]),
        &[
            "CREATE INDEX idx_posts_title ON posts (title)",
            "CREATE UNIQUE INDEX idx_posts_old ON posts (old)",
        ],
    )
}

fn insert_posts(store: &SqliteStore, collection: &Collection) {
    write(store, |tx| {
        tx.insert_collection(collection)?;
        for (index, tag) in ["a", "", "c"].iter().enumerate() {
            let mut record = Record::new(collection);
            record.set("id", json!(format!("post00000000000{index}")));
            record.set("title", json!(format!("title {index}")));
            record.set("views", json!(index * 10));
            record.set("tags", json!(tag));
            record.set("old", json!(format!("old {index}")));
            tx.insert_record(collection, &record)?;
        }
        Ok(())
    })
    .unwrap();
}

fn all_records(store: &SqliteStore, collection: &Collection) -> Vec<Record> {
    read(store, |tx| {
        Ok(tx.list_records(collection, &RecordQuery::default())?)
    })
    .unwrap()
}

fn index_sql(store: &SqliteStore, table: &str) -> Vec<String> {
    strings(
        store,
        &format!("SELECT sql AS value FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}' AND sql IS NOT NULL ORDER BY name"),
    )
}

#[test]
fn fields_added_renamed_removed_and_retyped_keep_their_data() {
    let (_dir, store) = open_store();
    let old = posts();
    insert_posts(&store, &old);

    let mut new = old.clone();
    new.fields.retain(|field| field.name != "old");
    new.fields
        .iter_mut()
        .find(|field| field.name == "title")
        .unwrap()
        .name = "heading".into();
    if let pb_core::FieldKind::Select(options) = &mut new
        .fields
        .iter_mut()
        .find(|field| field.name == "tags")
        .unwrap()
        .kind
    {
        options.max_select = 3;
    }
    new.fields.push(Field::new(
        "extra",
        pb_core::FieldKind::Bool(Default::default()),
    ));
    new.indexes = vec!["CREATE INDEX idx_posts_title ON posts (heading)".into()];
    write(&store, |tx| Ok(tx.update_collection(&old, &new)?)).unwrap();

    assert_eq!(stored_collection(&store, "posts").unwrap(), new);
    let records = all_records(&store, &new);
    let summary: Vec<Value> = records
        .iter()
        .map(|record| {
            json!([
                record.get("heading"),
                record.get("views"),
                record.get("tags"),
                record.get("extra")
            ])
        })
        .collect();
    assert_eq!(
        summary,
        [
            json!(["title 0", 0, ["a"], false]),
            json!(["title 1", 10, [], false]),
            json!(["title 2", 20, ["c"], false])
        ]
    );
    assert!(records.iter().all(|record| record.get("old").is_none()));
    assert_eq!(
        index_sql(&store, "posts"),
        ["CREATE INDEX idx_posts_title ON posts (heading)"]
    );

    // And back from multiple to single: the last item is kept.
    let mut single = new.clone();
    if let pb_core::FieldKind::Select(options) = &mut single
        .fields
        .iter_mut()
        .find(|field| field.name == "tags")
        .unwrap()
        .kind
    {
        options.max_select = 1;
    }
    write(&store, |tx| {
        let mut record = tx.find_record(&new, "post000000000000")?.unwrap();
        record.set("tags", json!(["a", "b"]));
        tx.update_record(&new, &record)?;
        Ok(tx.update_collection(&new, &single)?)
    })
    .unwrap();
    let tags: Vec<Value> = all_records(&store, &single)
        .iter()
        .map(|record| value(record, "tags").clone())
        .collect();
    assert_eq!(tags, [json!("b"), json!(""), json!("c")]);
}

fn value<'a>(record: &'a Record, name: &str) -> &'a Value {
    record.get(name).unwrap_or(&Value::Null)
}

#[test]
fn swapped_names_and_unchanged_indexes() {
    let (_dir, store) = open_store();
    let old = posts();
    insert_posts(&store, &old);
    let mut new = old.clone();
    for field in &mut new.fields {
        field.name = match field.name.as_str() {
            "title" => "old".into(),
            "old" => "title".into(),
            _ => continue,
        };
    }
    new.indexes = vec![old.indexes[0].clone()];
    new.list_rule = Some("views > 0".into());
    write(&store, |tx| Ok(tx.update_collection(&old, &new)?)).unwrap();
    let first = &all_records(&store, &new)[0];
    assert_eq!(value(first, "old"), &json!("title 0"));
    assert_eq!(value(first, "title"), &json!("old 0"));
    assert_eq!(
        index_sql(&store, "posts"),
        ["CREATE INDEX idx_posts_title ON posts (title)"]
    );

    // A rule-only change keeps the index as it is.
    let mut ruled = new.clone();
    ruled.list_rule = None;
    write(&store, |tx| Ok(tx.update_collection(&new, &ruled)?)).unwrap();
    assert_eq!(stored_collection(&store, "posts").unwrap().list_rule, None);
    assert_eq!(
        index_sql(&store, "posts"),
        ["CREATE INDEX idx_posts_title ON posts (title)"]
    );
}

#[test]
fn renaming_a_collection_keeps_records_and_retargets_indexes() {
    let (_dir, store) = open_store();
    let old = posts();
    insert_posts(&store, &old);
    let mut new = old.clone();
    new.name = "articles".into();
    write(&store, |tx| Ok(tx.update_collection(&old, &new)?)).unwrap();
    assert!(stored_collection(&store, "posts").is_none());
    let stored = stored_collection(&store, "articles").unwrap();
    assert_eq!(
        stored.indexes,
        [
            "CREATE INDEX idx_posts_title ON `articles` (title)",
            "CREATE UNIQUE INDEX idx_posts_old ON `articles` (old)"
        ]
    );
    assert_eq!(all_records(&store, &stored).len(), 3);
    assert_eq!(index_sql(&store, "articles").len(), 2);

    // A change of case only goes through a temporary name.
    let mut cased = stored.clone();
    cased.name = "Articles".into();
    write(&store, |tx| Ok(tx.update_collection(&stored, &cased)?)).unwrap();
    let stored = stored_collection(&store, "Articles").unwrap();
    assert_eq!(all_records(&store, &stored).len(), 3);
    assert_eq!(
        strings(
            &store,
            "SELECT name AS value FROM sqlite_master WHERE name LIKE 'articles'"
        ),
        ["Articles"]
    );
}

#[test]
fn bad_indexes_and_taken_names_are_reported() {
    let (_dir, store) = open_store();
    let broken = base_collection(
        "broken",
        json!([{"name": "a", "type": "text"}]),
        &["CREATE INDEX idx_b ON broken (nope)"],
    );
    let failure = write(&store, |tx| Ok(tx.insert_collection(&broken)?)).unwrap_err();
    assert!(
        matches!(&failure, CoreError::Store(StoreError::InvalidStatement(message)) if message.contains("nope")),
        "{failure:?}"
    );
    let sneaky = base_collection(
        "sneaky",
        json!([]),
        &["CREATE INDEX idx_s ON sneaky (id); DROP TABLE users"],
    );
    let failure = write(&store, |tx| Ok(tx.insert_collection(&sneaky)?)).unwrap_err();
    assert!(
        matches!(failure, CoreError::Store(StoreError::InvalidStatement(_))),
        "{failure:?}"
    );
    assert!(stored_collection(&store, "users").is_some());

    let mut taken = base_collection("USERS", json!([]), &[]);
    taken.id = "someotherid".into();
    let failure = write(&store, |tx| Ok(tx.insert_collection(&taken)?)).unwrap_err();
    assert_eq!(
        failure,
        CoreError::Store(StoreError::UniqueViolation {
            columns: vec!["name".into()]
        })
    );
}

#[test]
fn deleting_a_collection_drops_its_table() {
    let (_dir, store) = open_store();
    let old = posts();
    insert_posts(&store, &old);
    write(&store, |tx| Ok(tx.delete_collection(&old)?)).unwrap();
    assert!(stored_collection(&store, "posts").is_none());
    assert!(strings(
        &store,
        "SELECT name AS value FROM sqlite_master WHERE tbl_name = 'posts'"
    )
    .is_empty());
    // The name is free again.
    write(&store, |tx| Ok(tx.insert_collection(&old)?)).unwrap();
}
