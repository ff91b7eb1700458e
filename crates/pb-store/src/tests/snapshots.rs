//! Snapshots taken while a writer keeps committing are whole databases holding at least every
//! commit made before they started; and the migration history round-trips.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use pb_core::ports::Store;
use pb_core::Record;

use super::*;

#[test]
fn a_snapshot_taken_during_writes_is_consistent_and_complete() {
    let (_dir, store) = open_store();
    let store = Arc::new(store);
    let items = base_collection("items", json!([{"name": "n", "type": "number"}]), &[]);
    write(&store, |tx| Ok(tx.insert_collection(&items)?)).unwrap();
    let insert = |n: i64| {
        let mut record = Record::new(&items);
        record.set("id", json!(format!("{n:015}")));
        record.set("n", json!(n));
        write(&store, |tx| Ok(tx.insert_record(&items, &record)?)).unwrap();
    };
    for n in 0..100 {
        insert(n);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, items, stop) = (Arc::clone(&store), items.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut n = 100;
            while !stop.load(Ordering::Relaxed) {
                let mut record = Record::new(&items);
                record.set("id", json!(format!("{n:015}")));
                record.set("n", json!(n));
                write_with(store.as_ref(), |tx| Ok(tx.insert_record(&items, &record)?)).unwrap();
                n += 1;
            }
            n
        })
    };
    let target = tempfile::tempdir().unwrap();
    let written = store.snapshot_into(target.path()).unwrap();
    stop.store(true, Ordering::Relaxed);
    let last = writer.join().unwrap();
    assert_eq!(written, ["data.db", "auxiliary.db"]);

    let copy = SqliteStore::open(target.path()).unwrap();
    let check = strings(
        &copy,
        "SELECT integrity_check AS value FROM pragma_integrity_check",
    );
    assert_eq!(check, ["ok"]);
    let ids = strings(&copy, "SELECT id AS value FROM items ORDER BY n");
    assert!(ids.len() >= 100 && ids.len() <= usize::try_from(last).unwrap());
    // No gaps: the snapshot is one committed moment, so it holds a prefix of the inserts.
    for (n, id) in ids.iter().enumerate() {
        assert_eq!(*id, format!("{n:015}"));
    }
}

#[test]
fn the_migration_history_records_and_forgets() {
    let (_dir, store) = open_store();
    let before = read(&store, |tx| Ok(tx.applied_migrations()?)).unwrap();
    assert!(before.iter().any(|row| row.file == "1640988000_init.go"));
    write(&store, |tx| {
        tx.record_migration("1_a.json", 5)?;
        tx.record_migration("1_a.json", 7)?;
        Ok(())
    })
    .unwrap();
    let rows = read(&store, |tx| Ok(tx.applied_migrations()?)).unwrap();
    let row = rows.iter().find(|row| row.file == "1_a.json").unwrap();
    assert_eq!(row.applied, 7);
    write(&store, |tx| Ok(tx.forget_migration("1_a.json")?)).unwrap();
    let rows = read(&store, |tx| Ok(tx.applied_migrations()?)).unwrap();
    assert_eq!(rows.len(), before.len());
}
