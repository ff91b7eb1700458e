//! Cron jobs: a registry of `(id, schedule, job)` and one scheduler thread that wakes at the
//! start of every UTC minute and runs the due jobs, each on a thread of its own (a slow job
//! never delays the others or the next tick). PocketBase's schedule syntax is
//! [`pb_core::cron::Schedule`].
//!
//! Registering an id again replaces its job (and moves it to the end of the list, as in
//! PocketBase), which is how settings changes re-register jobs (an auto-backup whose
//! `backups.cron` changed). `system_jobs` registers PocketBase's own jobs;
//! `GET /api/crons` lists them all and `POST /api/crons/{id}` runs one at once.

pub mod system_jobs;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use pb_core::cron::{CronError, Schedule};

/// A job: blocking work, run on its own thread.
pub type Job = Arc<dyn Fn() + Send + Sync>;

struct Entry {
    id: String,
    schedule: Schedule,
    job: Job,
}

/// A registered job as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronInfo {
    pub id: String,
    pub expression: String,
}

/// The jobs of the process.
#[derive(Default)]
pub struct Crons {
    entries: Mutex<Vec<Entry>>,
    started: Mutex<bool>,
}

impl std::fmt::Debug for Crons {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Crons")
            .field("jobs", &self.list())
            .finish()
    }
}

impl Crons {
    pub fn new() -> Crons {
        Crons::default()
    }

    fn entries(&self) -> MutexGuard<'_, Vec<Entry>> {
        match self.entries.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Adds `job` under `id` to run on `expression`, replacing a job with that id.
    pub fn register(
        &self,
        id: &str,
        expression: &str,
        job: impl Fn() + Send + Sync + 'static,
    ) -> Result<(), CronError> {
        let schedule = Schedule::parse(expression)?;
        let mut entries = self.entries();
        entries.retain(|entry| entry.id != id);
        entries.push(Entry {
            id: id.to_string(),
            schedule,
            job: Arc::new(job),
        });
        Ok(())
    }

    /// Removes the job `id`, if any.
    pub fn remove(&self, id: &str) {
        self.entries().retain(|entry| entry.id != id);
    }

    /// The jobs in PocketBase's order: other jobs by id first, then PocketBase's own
    /// (`__pb…`) in the order they were registered.
    pub fn list(&self) -> Vec<CronInfo> {
        let entries = self.entries();
        let info = |entry: &Entry| CronInfo {
            id: entry.id.clone(),
            expression: entry.schedule.expression().to_string(),
        };
        let mut user: Vec<CronInfo> = entries
            .iter()
            .filter(|entry| !entry.id.starts_with("__pb"))
            .map(info)
            .collect();
        user.sort_by(|a, b| a.id.cmp(&b.id));
        user.extend(
            entries
                .iter()
                .filter(|entry| entry.id.starts_with("__pb"))
                .map(info),
        );
        user
    }

    /// Starts the job `id` on its own thread now; `false` when there is no such job.
    pub fn run_now(&self, id: &str) -> bool {
        let job = self
            .entries()
            .iter()
            .find(|entry| entry.id == id)
            .map(|entry| Arc::clone(&entry.job));
        match job {
            Some(job) => {
                spawn_job(id, job);
                true
            }
            None => false,
        }
    }

    /// The jobs due in the minute of `moment`.
    fn due(&self, moment: DateTime<Utc>) -> Vec<(String, Job)> {
        self.entries()
            .iter()
            .filter(|entry| entry.schedule.is_due(moment))
            .map(|entry| (entry.id.clone(), Arc::clone(&entry.job)))
            .collect()
    }

    /// Starts the scheduler thread (once).
    pub fn start(self: &Arc<Self>) {
        {
            let mut started = match self.started.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            if *started {
                return;
            }
            *started = true;
        }
        let crons = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("pb-cron".into())
            .spawn(move || loop {
                let now = Utc::now();
                std::thread::sleep(until_next_minute(now));
                let tick = Utc::now();
                for (id, job) in crons.due(tick) {
                    spawn_job(&id, job);
                }
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the cron scheduler");
        }
    }
}

/// The time from `now` to the start of the next minute (a few ms past it, so the tick lands
/// inside the minute even if the clock reads early).
fn until_next_minute(now: DateTime<Utc>) -> Duration {
    let into_minute = Duration::from_secs(u64::from(now.second()))
        + Duration::from_nanos(u64::from(now.nanosecond() % 1_000_000_000));
    Duration::from_secs(60).saturating_sub(into_minute) + Duration::from_millis(5)
}

fn spawn_job(id: &str, job: Job) {
    let name = format!("pb-cron-{id}");
    let id = id.to_string();
    let spawned = std::thread::Builder::new().name(name).spawn(move || {
        tracing::debug!(job = %id, "cron job started");
        job();
    });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start a cron job thread");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn registration_replaces_and_lists_in_pocketbase_order() {
        let crons = Crons::new();
        crons
            .register("__pbDBOptimize__", "0 0 * * *", || {})
            .unwrap();
        crons
            .register("__pbLogsCleanup__", "0 */6 * * *", || {})
            .unwrap();
        crons.register("zeta", "@daily", || {}).unwrap();
        crons.register("alpha", "* * * * *", || {}).unwrap();
        crons
            .register("__pbDBOptimize__", "0 1 * * *", || {})
            .unwrap();
        let ids: Vec<(String, String)> = crons
            .list()
            .into_iter()
            .map(|info| (info.id, info.expression))
            .collect();
        assert_eq!(
            ids,
            [
                ("alpha".to_string(), "* * * * *".to_string()),
                ("zeta".into(), "@daily".into()),
                ("__pbLogsCleanup__".into(), "0 */6 * * *".into()),
                ("__pbDBOptimize__".into(), "0 1 * * *".into()),
            ]
        );
        assert!(crons.register("bad", "* * *", || {}).is_err());
        crons.remove("zeta");
        assert_eq!(crons.list().len(), 3);
    }

    #[test]
    fn due_jobs_and_run_now() {
        let crons = Crons::new();
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&runs);
        crons
            .register("count", "30 12 * * *", move || {
                counter.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
        let noon_thirty = Utc.with_ymd_and_hms(2026, 5, 5, 12, 30, 0).unwrap();
        assert_eq!(crons.due(noon_thirty).len(), 1);
        assert!(crons
            .due(noon_thirty + chrono::Duration::minutes(1))
            .is_empty());
        assert!(!crons.run_now("missing"));
        assert!(crons.run_now("count"));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while runs.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_next_tick_is_at_the_minute() {
        let at = Utc.with_ymd_and_hms(2026, 5, 5, 12, 30, 45).unwrap();
        assert_eq!(until_next_minute(at), Duration::from_millis(15_005));
    }
}
