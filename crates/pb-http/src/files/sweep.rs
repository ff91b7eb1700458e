//! The orphan sweep: deletes stored files no record refers to. Such files exist only after a
//! crash (uploads written before a commit that never came, files a committed write had not
//! deleted yet) or a failed cleanup, so a pass at start-up catches nearly all of them; a pass
//! every [`SWEEP_INTERVAL`] catches the rest.
//!
//! Only files older than the pass's cutoff are deleted, as anything newer may belong to a write
//! in flight: at start-up the cutoff is the process start (minus [`REMOTE_CLOCK_MARGIN`] for S3,
//! whose timestamps come from another clock), later it is [`MIN_ORPHAN_AGE`] before the pass.
//! Only folders of existing collections are looked at, so a bucket shared with other data is
//! safe. A file is kept when its record still names it, and a thumb (`thumbs_<name>/…`) when its
//! record still names `<name>`. A local file's `.attrs` sidecar goes with it; a sidecar whose file
//! is already gone (a crash between the two deletes) is not seen and stays.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pb_core::files::{record_file_names, THUMBS_PREFIX};
use pb_core::ports::{read_with, FileStore, Store};
use pb_core::settings::SETTINGS_KEY;

use super::storage::S3Config;
use crate::state::AppState;

/// Time between the periodic passes.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(6 * 60 * 60);
/// The periodic passes leave files younger than this alone.
pub const MIN_ORPHAN_AGE: Duration = Duration::from_secs(60 * 60);
/// How far an S3 server's clock may be off ours at start-up.
pub const REMOTE_CLOCK_MARGIN: Duration = Duration::from_secs(15 * 60);
/// The pause before the start-up pass, so it does not compete with start-up itself.
const STARTUP_DELAY: Duration = Duration::from_secs(2);

/// What a sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    /// Files looked at.
    pub seen: usize,
    /// Unreferenced files deleted.
    pub deleted: usize,
}

/// Starts the sweeps on a background thread: one shortly after start-up, then one every
/// [`SWEEP_INTERVAL`].
pub fn spawn_sweeper(state: Arc<AppState>) {
    let started = SystemTime::now();
    let spawned = std::thread::Builder::new()
        .name("pb-files-sweep".into())
        .spawn(move || {
            std::thread::sleep(STARTUP_DELAY);
            let mut first = true;
            loop {
                let settings =
                    read_with(state.store.as_ref(), |tx| Ok(tx.get_param(SETTINGS_KEY)?))
                        .ok()
                        .flatten();
                let remote = settings
                    .as_ref()
                    .and_then(S3Config::from_settings)
                    .is_some();
                let age = match (first, remote) {
                    (true, false) => Duration::ZERO,
                    (true, true) => REMOTE_CLOCK_MARGIN,
                    (false, _) => MIN_ORPHAN_AGE,
                };
                let base = if first { started } else { SystemTime::now() };
                let cutoff = base.checked_sub(age).unwrap_or(SystemTime::UNIX_EPOCH);
                match state.files.for_settings(settings.as_ref()) {
                    Ok(files) => {
                        let report =
                            sweep_orphans(state.store.as_ref(), files.as_ref(), &state, cutoff);
                        tracing::info!(
                            seen = report.seen,
                            deleted = report.deleted,
                            "orphan file sweep done"
                        );
                    }
                    Err(_) => tracing::warn!("orphan sweep skipped: no file storage"),
                }
                first = false;
                std::thread::sleep(SWEEP_INTERVAL);
            }
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "could not start the orphan file sweep");
    }
}

/// Deletes the files of `files` that no record refers to and that are older than `cutoff`.
pub fn sweep_orphans(
    store: &dyn Store,
    files: &dyn FileStore,
    state: &AppState,
    cutoff: SystemTime,
) -> SweepReport {
    let mut report = SweepReport::default();
    let schema = state.schema();
    for collection in schema
        .all()
        .iter()
        .filter(|collection| !collection.is_view())
    {
        let prefix = format!("{}/", collection.id);
        let listed = match files.list(&prefix) {
            Ok(listed) => listed,
            Err(error) => {
                tracing::warn!(%error, collection = %collection.name, "orphan sweep: listing failed");
                continue;
            }
        };
        let mut by_record: BTreeMap<String, Vec<(String, SystemTime)>> = BTreeMap::new();
        for file in listed {
            let Some(rest) = file.key.strip_prefix(&prefix) else {
                continue;
            };
            let Some((record_id, relative)) = rest.split_once('/') else {
                continue;
            };
            report.seen += 1;
            by_record
                .entry(record_id.to_string())
                .or_default()
                .push((relative.to_string(), file.modified));
        }
        for (record_id, stored) in by_record {
            let referenced: HashSet<String> = match read_with(store, |tx| {
                Ok(tx.find_record(collection, &record_id)?)
            }) {
                Ok(Some(record)) => record_file_names(collection, &record).into_iter().collect(),
                Ok(None) => HashSet::new(),
                Err(error) => {
                    tracing::warn!(%error, "orphan sweep: reading a record failed");
                    continue;
                }
            };
            for (relative, modified) in stored {
                if modified >= cutoff || is_referenced(&relative, &referenced) {
                    continue;
                }
                let key = format!("{prefix}{record_id}/{relative}");
                match files.delete(&key) {
                    Ok(()) => report.deleted += 1,
                    Err(error) => tracing::warn!(%error, key, "orphan sweep: delete failed"),
                }
            }
        }
    }
    report
}

/// Whether a file at `relative` (below its record's folder) belongs to a referenced name.
fn is_referenced(relative: &str, referenced: &HashSet<String>) -> bool {
    let (first, nested) = match relative.split_once('/') {
        Some((first, _)) => (first, true),
        None => (relative, false),
    };
    let name = if nested {
        first.strip_prefix(THUMBS_PREFIX).unwrap_or(first)
    } else {
        first
    };
    referenced.contains(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbs_belong_to_their_original() {
        let referenced: HashSet<String> = ["a_1.png".to_string()].into();
        assert!(is_referenced("a_1.png", &referenced));
        assert!(is_referenced("thumbs_a_1.png/100x100_a_1.png", &referenced));
        assert!(!is_referenced("b_2.png", &referenced));
        assert!(!is_referenced(
            "thumbs_b_2.png/100x100_b_2.png",
            &referenced
        ));
        assert!(!is_referenced("thumbs_a_1.png", &referenced));
    }
}
