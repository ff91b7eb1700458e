//! `pb migrate [up|down [n]|create <name>|collections|history-sync]`, with PocketBase's
//! messages and confirmations (`down`, `create` and `collections` ask first, default no).

use std::io::{BufRead, Write};
use std::sync::Arc;

use anyhow::Context;
use pb_core::migration::{definition, Migration, Operation};
use pb_core::ports::read_with;

use crate::args::{GlobalArgs, MigrateAction, MigrateArgs};
use crate::migrations::folder::MigrationsFolder;
use crate::migrations::runner;

pub(crate) fn run(global: &GlobalArgs, migrate: MigrateArgs) -> anyhow::Result<()> {
    let folder = Arc::new(MigrationsFolder::new(global.migrations_dir()));
    match migrate.action.unwrap_or(MigrateAction::Up) {
        MigrateAction::Create { name } => {
            create(&folder, &name, &Migration::default())?;
        }
        MigrateAction::Collections => {
            let store = open_store(global)?;
            let collections = read_with(&store, |tx| Ok(tx.collections()?))
                .context("failed to fetch the collections")?;
            let snapshot = Migration {
                up: collections
                    .iter()
                    .filter(|collection| !collection.system)
                    .map(|collection| Operation::Upsert {
                        collection: definition(collection),
                    })
                    .collect(),
                down: Vec::new(),
            };
            create(&folder, "collections_snapshot", &snapshot)?;
        }
        MigrateAction::Up => {
            let store = open_store(global)?;
            let applied = runner::up(&store, &folder)?;
            if applied.is_empty() {
                println!("No new migrations to apply.");
            }
            for file in applied {
                println!("Applied {file}");
            }
        }
        MigrateAction::Down { number } => {
            let store = open_store(global)?;
            let count = match number {
                Some(number) if number < 0 => None,
                Some(number) => Some(usize::try_from(number).unwrap_or(usize::MAX)),
                None => Some(1),
            };
            let files = runner::last_applied(&store, &folder, count)?;
            let shown = count.unwrap_or(files.len());
            let question = format!(
                "\n{}\nDo you really want to revert the last {shown} applied migration(s)?",
                files.join("\n")
            );
            if !confirm(&question) {
                println!("The command has been cancelled");
                return Ok(());
            }
            let reverted = runner::down(&store, &folder, &files)?;
            if reverted.is_empty() {
                println!("No migrations to revert.");
            }
            for file in reverted {
                println!("Reverted {file}");
            }
        }
        MigrateAction::HistorySync => {
            let store = open_store(global)?;
            runner::history_sync(&store, &folder)?;
            println!("The _migrations table was synced with the available migrations.");
        }
    }
    Ok(())
}

fn open_store(global: &GlobalArgs) -> anyhow::Result<pb_store::SqliteStore> {
    pb_store::SqliteStore::open(&global.dir)
        .with_context(|| format!("failed to open the data dir {}", global.dir.display()))
}

/// Asks before writing a new migration file, then writes it.
fn create(folder: &MigrationsFolder, label: &str, migration: &Migration) -> anyhow::Result<()> {
    let _naming = folder.lock();
    let file = folder.new_name(label)?;
    let path = folder.path().join(&file);
    if !confirm(&format!(
        "Do you really want to create migration {:?}?",
        path.display().to_string()
    )) {
        println!("The command has been cancelled");
        return Ok(());
    }
    folder.write(&file, migration)?;
    println!("Successfully created file {:?}", path.display().to_string());
    Ok(())
}

/// A yes/no question on stderr, answered on stdin; anything but `y`/`yes` (or end of input)
/// is no. An unrecognised answer asks again, as PocketBase does.
fn confirm(message: &str) -> bool {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock();
    loop {
        eprint!("{message} (y/N) ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        match lines.read_line(&mut answer) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
        match answer.trim().to_lowercase().as_str() {
            "" | "n" | "no" => return false,
            "y" | "yes" => return true,
            _ => {}
        }
    }
}
