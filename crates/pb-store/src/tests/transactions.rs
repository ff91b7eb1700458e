//! Units of work are atomic: an `Err` rolls everything back and comes out unchanged, and
//! concurrent read-modify-write units never lose an update.

use std::sync::atomic::{AtomicBool, Ordering};

use pb_core::ports::Store;
use pb_core::Record;

use super::*;

fn counter_collection() -> Collection {
    base_collection("counters", json!([{"name": "n", "type": "number"}]), &[])
}

#[test]
fn an_error_rolls_back_everything_and_passes_through() {
    let (_dir, store) = open_store();
    let counters = counter_collection();
    let failure = write(&store, |tx| {
        tx.insert_collection(&counters)?;
        let mut record = Record::new(&counters);
        record.set("id", json!("ccccccccccccccc"));
        tx.insert_record(&counters, &record)?;
        tx.set_param("settings", &json!({"gone": true}))?;
        Err::<(), _>(CoreError::BadRequest("changed my mind".into()))
    })
    .unwrap_err();
    assert_eq!(failure, CoreError::BadRequest("changed my mind".into()));
    assert!(stored_collection(&store, "counters").is_none());
    assert!(strings(
        &store,
        "SELECT name AS value FROM sqlite_master WHERE name = 'counters'"
    )
    .is_empty());
    let settings = read(&store, |tx| Ok(tx.get_param("settings")?)).unwrap();
    assert_eq!(settings, Some(pb_core::settings::defaults()));
    // Nothing half-done is left behind: the same collection can be created now.
    write(&store, |tx| Ok(tx.insert_collection(&counters)?)).unwrap();
}

#[test]
fn readers_cannot_write() {
    let (_dir, store) = open_store();
    let counters = counter_collection();
    let failure = read(&store, |tx| Ok(tx.insert_collection(&counters)?)).unwrap_err();
    assert!(matches!(failure, CoreError::Store(_)), "{failure:?}");
}

#[test]
fn a_panicking_unit_does_not_wedge_the_writer() {
    let (_dir, store) = open_store();
    let counters = counter_collection();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = write(&store, |tx| -> Result<(), CoreError> {
            tx.insert_collection(&counters)?;
            panic!("boom");
        });
    }));
    assert!(panicked.is_err());
    assert!(stored_collection(&store, "counters").is_none());
    write(&store, |tx| Ok(tx.insert_collection(&counters)?)).unwrap();
}

#[test]
fn concurrent_read_modify_write_loses_no_increment() {
    const THREADS: usize = 4;
    const INCREMENTS: usize = 50;
    let (_dir, store) = open_store();
    let counters = counter_collection();
    write(&store, |tx| {
        tx.insert_collection(&counters)?;
        let mut record = Record::new(&counters);
        record.set("id", json!("ccccccccccccccc"));
        Ok(tx.insert_record(&counters, &record)?)
    })
    .unwrap();
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let writers: Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(|| {
                    for _ in 0..INCREMENTS {
                        write(&store, |tx| {
                            let mut record = tx.find_record(&counters, "ccccccccccccccc")?.unwrap();
                            let n = record.get("n").and_then(Value::as_i64).unwrap();
                            record.set("n", json!(n + 1));
                            Ok(tx.update_record(&counters, &record)?)
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        // Readers run next to the writers and always see a whole number of increments.
        scope.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                let n = read(&store, |tx| {
                    Ok(tx.find_record(&counters, "ccccccccccccccc")?)
                })
                .unwrap()
                .unwrap();
                assert!(
                    n.get("n").and_then(Value::as_i64).unwrap() <= (THREADS * INCREMENTS) as i64
                );
            }
        });
        for writer in writers {
            writer.join().unwrap();
        }
        done.store(true, Ordering::Relaxed);
    });
    let record = read(&store, |tx| {
        Ok(tx.find_record(&counters, "ccccccccccccccc")?)
    })
    .unwrap()
    .unwrap();
    assert_eq!(record.get("n"), Some(&json!(THREADS * INCREMENTS)));
}

#[test]
fn the_store_is_shareable() {
    fn assert_store<T: Store + Send + Sync + 'static>() {}
    assert_store::<SqliteStore>();
}
