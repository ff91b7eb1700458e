//! The backup zip: writing it from the data dir plus the database snapshots, and extracting
//! one without letting an entry escape the target folder.
//!
//! Entries are deflated at the fastest level (as PocketBase writes them): database pages and
//! uploaded media compress little, and a backup should not hold a core for long.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::BackupError;

/// The top-level entries of the data dir never archived: the backups themselves, scratch and
/// spool folders, and folders of the host (as PocketBase leaves them out).
pub const EXCLUDED: [&str; 6] = [
    super::BACKUPS_DIR,
    super::TEMP_DIR,
    ".pb_temp_uploads",
    ".notify",
    ".autocert_cache",
    "lost+found",
];

/// The SQLite files whose live copies are never archived: the snapshots stand in for the
/// databases, and their journals belong to the live files only.
fn is_live_database_file(name: &str, snapshots: &[String]) -> bool {
    snapshots.iter().any(|database| {
        name == database
            || [
                format!("{database}-wal"),
                format!("{database}-shm"),
                format!("{database}-journal"),
            ]
            .contains(&name.to_string())
    })
}

/// Writes `target`: every file of `data_dir` except [`EXCLUDED`] and the live databases, then
/// each of `snapshots` (names of files in `snapshot_dir`) under its own name.
pub fn create(
    data_dir: &Path,
    snapshot_dir: &Path,
    snapshots: &[String],
    target: &Path,
) -> Result<(), BackupError> {
    let mut zip = ZipWriter::new(BufWriter::new(File::create(target)?));
    add_folder(&mut zip, data_dir, "", snapshots)?;
    for name in snapshots {
        add_file(&mut zip, &snapshot_dir.join(name), name)?;
    }
    let mut output = zip
        .finish()
        .map_err(|error| BackupError::Io(error.to_string()))?;
    output.flush()?;
    output
        .into_inner()
        .map_err(|error| BackupError::Io(error.to_string()))?
        .sync_all()?;
    Ok(())
}

fn add_folder(
    zip: &mut ZipWriter<BufWriter<File>>,
    folder: &Path,
    prefix: &str,
    snapshots: &[String],
) -> Result<(), BackupError> {
    let mut entries: Vec<_> = std::fs::read_dir(folder)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            tracing::warn!(path = %entry.path().display(), "skipping a file whose name is not UTF-8");
            continue;
        };
        if prefix.is_empty()
            && (EXCLUDED.contains(&name.as_str()) || is_live_database_file(&name, snapshots))
        {
            continue;
        }
        let file_type = match entry.file_type() {
            Ok(file_type) => file_type,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error.into()),
        };
        let entry_name = format!("{prefix}{name}");
        if file_type.is_dir() {
            add_folder(zip, &entry.path(), &format!("{entry_name}/"), snapshots)?;
        } else if file_type.is_file() {
            add_file(zip, &entry.path(), &entry_name)?;
        }
        // Symbolic links and special files are left out, as they would not restore.
    }
    Ok(())
}

fn add_file(
    zip: &mut ZipWriter<BufWriter<File>>,
    path: &Path,
    entry_name: &str,
) -> Result<(), BackupError> {
    // A stored file deleted since the folder was listed is simply not part of the backup.
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    let size = file.metadata()?.len();
    let options = SimpleFileOptions::default()
        .last_modified_time(modified_time(&file))
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(size >= u64::from(u32::MAX));
    zip.start_file(entry_name, options)
        .map_err(|error| BackupError::Io(error.to_string()))?;
    std::io::copy(&mut BufReader::new(file), zip)?;
    Ok(())
}

/// The file's modification time (UTC) as a zip timestamp; the zip epoch when unknown.
fn modified_time(file: &File) -> zip::DateTime {
    use chrono::{Datelike, Timelike};
    let Ok(modified) = file.metadata().and_then(|metadata| metadata.modified()) else {
        return zip::DateTime::default();
    };
    let time = chrono::DateTime::<chrono::Utc>::from(modified);
    let part = |value: u32| u8::try_from(value).unwrap_or(0);
    zip::DateTime::from_date_and_time(
        u16::try_from(time.year()).unwrap_or(1980),
        part(time.month()),
        part(time.day()),
        part(time.hour()),
        part(time.minute()),
        part(time.second()),
    )
    .unwrap_or_default()
}

/// The first bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Extracts the zip at `source` into the empty folder `target` and checks that it is a data
/// dir: a `data.db` that is an SQLite database. Entries whose path would leave `target`
/// (absolute, `..`) make the whole archive invalid.
pub fn extract(source: &Path, target: &Path) -> Result<(), BackupError> {
    let invalid = |reason: String| BackupError::InvalidArchive(reason);
    let mut archive = ZipArchive::new(BufReader::new(File::open(source)?))
        .map_err(|error| invalid(error.to_string()))?;
    std::fs::create_dir_all(target)?;
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|error| invalid(error.to_string()))?;
        let relative = entry
            .enclosed_name()
            .ok_or_else(|| invalid(format!("the entry {:?} leaves the folder", entry.name())))?;
        let path = target.join(&relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&path)?;
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut output = BufWriter::new(File::create(&path)?);
        std::io::copy(&mut entry, &mut output)
            .map_err(|error| invalid(format!("{}: {error}", relative.display())))?;
        output.flush()?;
    }
    let mut header = [0u8; 16];
    let database = target.join("data.db");
    let readable = File::open(&database).and_then(|mut file| file.read_exact(&mut header));
    if readable.is_err() || &header != SQLITE_HEADER {
        return Err(invalid("data.db file is missing or invalid".into()));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn write(path: &Path, content: &[u8]) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    #[test]
    fn archives_the_data_dir_without_live_databases_or_excluded_folders() {
        let data = tempfile::tempdir().unwrap();
        let snapshot = tempfile::tempdir().unwrap();
        let root = data.path();
        write(&root.join("data.db"), b"live");
        write(&root.join("data.db-wal"), b"live wal");
        write(&root.join("storage/c1/r1/a.txt"), b"file a");
        write(&root.join("backups/old.zip"), b"old");
        write(&root.join(".pb_temp_to_delete/x"), b"tmp");
        write(&root.join("types.d.ts"), b"types");
        let mut database = SQLITE_HEADER.to_vec();
        database.extend_from_slice(b"snapshot");
        write(&snapshot.path().join("data.db"), &database);

        let zip_path = snapshot.path().join("backup.zip");
        create(root, snapshot.path(), &["data.db".into()], &zip_path).unwrap();
        let mut archive = ZipArchive::new(File::open(&zip_path).unwrap()).unwrap();
        let mut names: Vec<String> = archive
            .file_names()
            .map(|name| name.unwrap().to_string())
            .collect();
        names.sort();
        assert_eq!(names, ["data.db", "storage/c1/r1/a.txt", "types.d.ts"]);
        let mut content = Vec::new();
        archive
            .by_name("data.db")
            .unwrap()
            .read_to_end(&mut content)
            .unwrap();
        assert_eq!(content, database);

        let restored = tempfile::tempdir().unwrap();
        extract(&zip_path, &restored.path().join("out")).unwrap();
        let out = restored.path().join("out");
        assert_eq!(
            std::fs::read(out.join("storage/c1/r1/a.txt")).unwrap(),
            b"file a"
        );
        assert_eq!(std::fs::read(out.join("data.db")).unwrap(), database);
    }

    #[test]
    fn rejects_archives_that_are_not_data_dirs_or_escape() {
        let dir = tempfile::tempdir().unwrap();
        let escaping = dir.path().join("escape.zip");
        let mut zip = ZipWriter::new(File::create(&escaping).unwrap());
        zip.start_file("../evil.txt", SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"x").unwrap();
        zip.finish().unwrap();
        assert!(matches!(
            extract(&escaping, &dir.path().join("a")),
            Err(BackupError::InvalidArchive(_))
        ));
        assert!(!dir.path().join("evil.txt").exists());

        let no_database = dir.path().join("empty.zip");
        let mut zip = ZipWriter::new(File::create(&no_database).unwrap());
        zip.start_file("types.d.ts", SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"x").unwrap();
        zip.finish().unwrap();
        assert!(matches!(
            extract(&no_database, &dir.path().join("b")),
            Err(BackupError::InvalidArchive(_))
        ));

        std::fs::write(dir.path().join("text.zip"), b"not a zip").unwrap();
        assert!(matches!(
            extract(&dir.path().join("text.zip"), &dir.path().join("c")),
            Err(BackupError::InvalidArchive(_))
        ));
    }
}
