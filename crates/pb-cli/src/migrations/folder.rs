//! The migrations folder (`pb_migrations` beside the data dir unless `--migrationsDir` says
//! otherwise): `<unix seconds>_<label>.json` files, applied in file-name order.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use pb_core::migration::{file_name, Migration, FILE_EXTENSION};

/// A migrations folder. Names it hands out carry strictly increasing timestamps (never below
/// now, always above every file already there), so two changes in the same second still sort
/// in the order they were made.
#[derive(Debug)]
pub(crate) struct MigrationsFolder {
    path: PathBuf,
    naming: Mutex<()>,
}

impl MigrationsFolder {
    pub(crate) fn new(path: PathBuf) -> MigrationsFolder {
        MigrationsFolder {
            path,
            naming: Mutex::new(()),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The migration files, sorted by name; none when the folder does not exist.
    pub(crate) fn files(&self) -> anyhow::Result<Vec<String>> {
        let entries = match std::fs::read_dir(&self.path) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => {
                return Err(error).with_context(|| format!("cannot read {}", self.path.display()))
            }
        };
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry?;
            if !entry.file_type()?.is_file() {
                continue;
            }
            if let Some(name) = entry.file_name().to_str() {
                if name.ends_with(FILE_EXTENSION) && !name.starts_with('.') {
                    files.push(name.to_string());
                }
            }
        }
        files.sort();
        Ok(files)
    }

    pub(crate) fn read(&self, file: &str) -> anyhow::Result<Migration> {
        let path = self.path.join(file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not a migration", path.display()))
    }

    /// A fresh file name for `label` (see the type's docs).
    pub(crate) fn new_name(&self, label: &str) -> anyhow::Result<String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let latest = self
            .files()?
            .iter()
            .filter_map(|file| file.split('_').next()?.parse::<i64>().ok())
            .max()
            .unwrap_or(0);
        Ok(file_name(now.max(latest.saturating_add(1)), label))
    }

    /// Writes `migration` as `file` (atomically: a temporary file renamed into place).
    pub(crate) fn write(&self, file: &str, migration: &Migration) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(&self.path)
            .with_context(|| format!("cannot create {}", self.path.display()))?;
        let mut text = serde_json::to_string_pretty(migration)?;
        text.push('\n');
        let path = self.path.join(file);
        let temporary = self.path.join(format!(".{file}.tmp"));
        std::fs::write(&temporary, text)
            .with_context(|| format!("cannot write {}", temporary.display()))?;
        std::fs::rename(&temporary, &path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }

    /// Held while a name is chosen and its file written.
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        match self.naming.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_grow_and_files_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let folder = MigrationsFolder::new(dir.path().join("pb_migrations"));
        assert!(folder.files().unwrap().is_empty());
        let first = folder.new_name("created_posts").unwrap();
        folder.write(&first, &Migration::default()).unwrap();
        let second = folder.new_name("updated_posts").unwrap();
        folder.write(&second, &Migration::default()).unwrap();
        let stamp = |file: &str| file.split('_').next().unwrap().parse::<i64>().unwrap();
        assert!(stamp(&second) > stamp(&first));
        std::fs::write(dir.path().join("pb_migrations/notes.txt"), "x").unwrap();
        assert_eq!(folder.files().unwrap(), [first.clone(), second]);
        assert_eq!(folder.read(&first).unwrap(), Migration::default());
    }
}
