//! Records of every field type round-trip and are stored the way PocketBase stores them;
//! lists, counts and lookups build the SQL the ports promise.

use pb_core::ports::{OrderTerm, RecordQuery, SqlFragment, SqlValue};
use pb_core::{Record, StoreError};

use super::*;

fn all_types() -> Collection {
    base_collection(
        "alltypes",
        json!([
            {"name": "t", "type": "text"},
            {"name": "ed", "type": "editor"},
            {"name": "n", "type": "number"},
            {"name": "b", "type": "bool"},
            {"name": "em", "type": "email"},
            {"name": "u", "type": "url"},
            {"name": "d", "type": "date"},
            {"name": "ad", "type": "autodate", "onCreate": true},
            {"name": "s1", "type": "select", "values": ["a", "b", "c"], "maxSelect": 1},
            {"name": "sm", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3},
            {"name": "f1", "type": "file", "maxSelect": 1},
            {"name": "fm", "type": "file", "maxSelect": 5},
            {"name": "r1", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
            {"name": "rm", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 5},
            {"name": "j", "type": "json"},
            {"name": "pw", "type": "password"},
            {"name": "g", "type": "geoPoint"},
        ]),
        &["CREATE UNIQUE INDEX idx_t ON alltypes (t) WHERE t != ''"],
    )
}

fn record(collection: &Collection, id: &str, values: Value) -> Record {
    let mut record = Record::new(collection);
    record.set("id", json!(id));
    for (name, value) in values.as_object().unwrap() {
        record.set(name, value.clone());
    }
    record
}

#[test]
fn every_field_type_round_trips_and_is_stored_like_pocketbase() {
    let (_dir, store) = open_store();
    let collection = all_types();
    let records = vec![
        record(
            &collection,
            "as598tjedcotq31",
            json!({"t": "hello", "ed": "<p>x</p>", "n": 12, "b": true, "em": "A@x.com", "u": "https://x.com",
                   "d": "2024-01-02 03:04:05.000Z", "ad": "2026-11-22 20:39:24.830Z", "s1": "a", "sm": ["a", "b"],
                   "f1": "x_abc.png", "fm": ["a.png", "b.png"], "r1": "5nakkaerbahh6sk", "rm": ["5nakkaerbahh6sk"],
                   "j": {"a": [1, 2]}, "pw": "$2a$10$hash", "g": {"lon": 1.5, "lat": -2}}),
        ),
        record(
            &collection,
            "1qk0mlbkeflgpm4",
            json!({"t": "h2", "n": 12.5, "j": "{bad"}),
        ),
        record(
            &collection,
            "uymydo2oah68t99",
            json!({"t": "h3", "n": -3, "j": null}),
        ),
        record(&collection, "2bkhkk6yq8on2mu", json!({"t": "h4", "j": 12})),
        record(&collection, "qwrgp0stic4mlbe", json!({})),
    ];
    write(&store, |tx| {
        tx.insert_collection(&collection)?;
        for record in &records {
            tx.insert_record(&collection, record)?;
        }
        Ok(())
    })
    .unwrap();
    for expected in &records {
        let found = read(&store, |tx| Ok(tx.find_record(&collection, expected.id())?))
            .unwrap()
            .unwrap();
        assert_eq!(&found, expected);
    }
    // What the reference server stores for the same values (sqlite3 -json on its data.db).
    let stored = strings(
        &store,
        "SELECT typeof(n) || '|' || n || '|' || b || '|' || quote(j) || '|' || sm || '|' || fm || '|' || g \
         AS value FROM alltypes ORDER BY rowid",
    );
    assert_eq!(
        stored,
        [
            "integer|12|1|'{\"a\":[1,2]}'|[\"a\",\"b\"]|[\"a.png\",\"b.png\"]|{\"lon\":1.5,\"lat\":-2}",
            "real|12.5|0|'\"{bad\"'|[]|[]|{\"lon\":0,\"lat\":0}",
            "integer|-3|0|NULL|[]|[]|{\"lon\":0,\"lat\":0}",
            "integer|0|0|12|[]|[]|{\"lon\":0,\"lat\":0}",
            "integer|0|0|NULL|[]|[]|{\"lon\":0,\"lat\":0}",
        ]
    );
    let created = &records[0];
    let mut changed = created.clone();
    changed.set("n", json!(99.25));
    changed.set("sm", json!([]));
    changed.set("j", json!("text"));
    write(&store, |tx| Ok(tx.update_record(&collection, &changed)?)).unwrap();
    let found = read(&store, |tx| Ok(tx.find_record(&collection, created.id())?))
        .unwrap()
        .unwrap();
    assert_eq!(found, changed);
}

#[test]
fn unique_violations_name_their_columns() {
    let (_dir, store) = open_store();
    let collection = base_collection(
        "things",
        json!([{"name": "slug", "type": "text"}, {"name": "code", "type": "text"}]),
        &[
            "CREATE UNIQUE INDEX idx_slug ON things (slug)",
            "CREATE UNIQUE INDEX idx_code ON things (lower(code))",
        ],
    );
    write(&store, |tx| {
        tx.insert_collection(&collection)?;
        Ok(tx.insert_record(
            &collection,
            &record(
                &collection,
                "aaaaaaaaaaaaaa1",
                json!({"slug": "x", "code": "Q"}),
            ),
        )?)
    })
    .unwrap();
    let insert = |id: &str, values: Value| {
        write(&store, |tx| {
            Ok(tx.insert_record(&collection, &record(&collection, id, values))?)
        })
        .unwrap_err()
    };
    let unique = |columns: &[&str]| {
        CoreError::Store(StoreError::UniqueViolation {
            columns: columns.iter().map(|c| c.to_string()).collect(),
        })
    };
    assert_eq!(
        insert("aaaaaaaaaaaaaa2", json!({"slug": "x", "code": "r"})),
        unique(&["slug"])
    );
    assert_eq!(
        insert("aaaaaaaaaaaaaa2", json!({"slug": "y", "code": "q"})),
        unique(&["code"])
    );
    assert_eq!(
        insert("aaaaaaaaaaaaaa1", json!({"slug": "z", "code": "z"})),
        unique(&["id"])
    );

    let users = stored_collection(&store, "users").unwrap();
    let user = |id: &str| record(&users, id, json!({"email": "a@b.c", "tokenKey": id}));
    write(&store, |tx| {
        Ok(tx.insert_record(&users, &user("uuuuuuuuuuuuuu1"))?)
    })
    .unwrap();
    let failure = write(&store, |tx| {
        Ok(tx.insert_record(&users, &user("uuuuuuuuuuuuuu2"))?)
    })
    .unwrap_err();
    assert_eq!(failure, unique(&["email"]));
}

/// A collection of posts pointing at users, with five records.
fn posts_with_records(store: &SqliteStore) -> Collection {
    let posts = base_collection(
        "posts",
        json!([
            {"name": "title", "type": "text"},
            {"name": "views", "type": "number"},
            {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
            {"name": "readers", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 9},
        ]),
        &[],
    );
    write(store, |tx| {
        tx.insert_collection(&posts)?;
        for (index, readers) in [json!(["u1"]), json!(["u1", "u2"]), json!([]), json!(["u2"]), json!(["u3", "u1"])]
            .into_iter()
            .enumerate()
        {
            let values = json!({"title": format!("post {index}"), "views": index, "author": format!("u{}", index % 2),
                                "readers": readers});
            tx.insert_record(&posts, &record(&posts, &format!("post00000000000{index}"), values))?;
        }
        Ok(())
    })
    .unwrap();
    posts
}

fn titles(records: &[Record]) -> Vec<&str> {
    records
        .iter()
        .map(|record| record.get_str("title"))
        .collect()
}

#[test]
fn lists_filter_order_and_page() {
    let (_dir, store) = open_store();
    let posts = posts_with_records(&store);
    let query = RecordQuery {
        filter: Some(SqlFragment {
            sql: "`posts`.`views` >= ?".into(),
            binds: vec![SqlValue::Integer(1)],
        }),
        order: vec![OrderTerm::Column {
            name: "views".into(),
            descending: true,
        }],
        limit: Some(2),
        offset: 1,
        ..RecordQuery::default()
    };
    let (page, total) = read(&store, |tx| {
        Ok((
            tx.list_records(&posts, &query)?,
            tx.count_records(&posts, &query)?,
        ))
    })
    .unwrap();
    assert_eq!(titles(&page), ["post 3", "post 2"]);
    assert_eq!(total, 4);

    let everything = RecordQuery::default();
    let all = read(&store, |tx| Ok(tx.list_records(&posts, &everything)?)).unwrap();
    assert_eq!(
        titles(&all),
        ["post 0", "post 1", "post 2", "post 3", "post 4"]
    );

    let by_rowid = RecordQuery {
        order: vec![OrderTerm::RowId { descending: true }],
        offset: 3,
        ..RecordQuery::default()
    };
    let tail = read(&store, |tx| Ok(tx.list_records(&posts, &by_rowid)?)).unwrap();
    assert_eq!(titles(&tail), ["post 1", "post 0"]);

    let by_expression = RecordQuery {
        order: vec![
            OrderTerm::Expression {
                fragment: SqlFragment {
                    sql: "`posts`.`views` % ?".into(),
                    binds: vec![SqlValue::Integer(2)],
                },
                descending: false,
            },
            OrderTerm::Column {
                name: "title".into(),
                descending: false,
            },
        ],
        limit: Some(10),
        ..RecordQuery::default()
    };
    let ordered = read(&store, |tx| Ok(tx.list_records(&posts, &by_expression)?)).unwrap();
    assert_eq!(
        titles(&ordered),
        ["post 0", "post 2", "post 4", "post 1", "post 3"]
    );

    let random = RecordQuery {
        order: vec![OrderTerm::Random],
        ..RecordQuery::default()
    };
    assert_eq!(
        read(&store, |tx| Ok(tx.list_records(&posts, &random)?))
            .unwrap()
            .len(),
        5
    );
}

#[test]
fn joins_list_each_record_once() {
    let (_dir, store) = open_store();
    let posts = posts_with_records(&store);
    let query = RecordQuery {
        joins: vec![SqlFragment {
            sql: "JOIN json_each(`posts`.`readers`) AS r".into(),
            binds: vec![],
        }],
        filter: Some(SqlFragment {
            sql: "r.value IN (?, ?)".into(),
            binds: vec![SqlValue::Text("u1".into()), SqlValue::Text("u2".into())],
        }),
        order: vec![OrderTerm::Column {
            name: "title".into(),
            descending: false,
        }],
        ..RecordQuery::default()
    };
    let (list, count) = read(&store, |tx| {
        Ok((
            tx.list_records(&posts, &query)?,
            tx.count_records(&posts, &query)?,
        ))
    })
    .unwrap();
    assert_eq!(titles(&list), ["post 0", "post 1", "post 3", "post 4"]);
    assert_eq!(count, 4);
}

#[test]
fn lookups_by_id_field_and_reference() {
    let (_dir, store) = open_store();
    let posts = posts_with_records(&store);
    let author = posts.field("author").unwrap().clone();
    let readers = posts.field("readers").unwrap().clone();
    let (existing, by_field, by_author, by_reader, missing) = read(&store, |tx| {
        Ok((
            tx.existing_ids(
                &posts,
                &[
                    "post000000000001".into(),
                    "nope".into(),
                    "post000000000004".into(),
                ],
            )?,
            tx.find_records_by_field(&posts, "title", &SqlValue::Text("post 2".into()), 5)?,
            tx.find_referencing_records(&posts, &author, "u1")?,
            tx.find_referencing_records(&posts, &readers, "u1")?,
            tx.find_record(&posts, "nope")?,
        ))
    })
    .unwrap();
    assert_eq!(existing, ["post000000000001", "post000000000004"]);
    assert_eq!(titles(&by_field), ["post 2"]);
    assert_eq!(titles(&by_author), ["post 1", "post 3"]);
    assert_eq!(titles(&by_reader), ["post 0", "post 1", "post 4"]);
    assert_eq!(missing, None);
    let unknown = read(&store, |tx| {
        Ok(tx.find_records_by_field(&posts, "nope", &SqlValue::Null, 1)?)
    })
    .unwrap_err();
    assert!(
        matches!(unknown, CoreError::Store(StoreError::InvalidStatement(_))),
        "{unknown:?}"
    );

    write(&store, |tx| {
        Ok(tx.delete_record(&posts, "post000000000001")?)
    })
    .unwrap();
    assert_eq!(
        read(&store, |tx| Ok(
            tx.count_records(&posts, &RecordQuery::default())?
        ))
        .unwrap(),
        4
    );
    write(&store, |tx| Ok(tx.delete_all_records(&posts)?)).unwrap();
    assert_eq!(
        read(&store, |tx| Ok(
            tx.count_records(&posts, &RecordQuery::default())?
        ))
        .unwrap(),
        0
    );
}

#[test]
fn conditions_are_judged_on_the_given_values() {
    let (_dir, store) = open_store();
    let posts = posts_with_records(&store);
    let condition = |sql: &str, binds: Vec<SqlValue>| SqlFragment {
        sql: sql.into(),
        binds,
    };
    let conditions = [
        condition("`posts`.`views` = ?", vec![SqlValue::Text("7".into())]),
        condition("`posts`.`title` = ?", vec![SqlValue::Text("post 1".into())]),
        condition(
            "EXISTS (SELECT 1 FROM `posts` AS other WHERE other.`title` = `posts`.`title`)",
            vec![],
        ),
        condition(
            "EXISTS (SELECT 1 FROM json_each(`posts`.`readers`) AS r WHERE r.value = ?)",
            vec![SqlValue::Text("u9".into())],
        ),
        condition("NULL", vec![]),
    ];
    // Not stored at all: judged on its values; the join still reads the stored posts.
    let gone = record(
        &posts,
        "gone00000000000",
        json!({"title": "post 1", "views": 7, "readers": ["u9"]}),
    );
    let answers = read(&store, |tx| {
        Ok(tx.record_matches(&posts, &gone, &conditions)?)
    })
    .unwrap();
    assert_eq!(answers, [true, true, true, true, false]);

    // Stored with other values: the given ones win.
    let mut changed = read(&store, |tx| Ok(tx.find_record(&posts, "post000000000001")?))
        .unwrap()
        .unwrap();
    changed.set("title", json!("renamed"));
    let answers = read(&store, |tx| {
        Ok(tx.record_matches(&posts, &changed, &conditions)?)
    })
    .unwrap();
    assert_eq!(answers, [false, false, false, false, false]);

    // More conditions than one query takes.
    let many = vec![condition("`posts`.`views` > ?", vec![SqlValue::Integer(1)]); 250];
    let answers = read(&store, |tx| Ok(tx.record_matches(&posts, &gone, &many)?)).unwrap();
    assert_eq!(answers, vec![true; 250]);
    assert!(
        read(&store, |tx| Ok(tx.record_matches(&posts, &gone, &[])?))
            .unwrap()
            .is_empty()
    );
}
