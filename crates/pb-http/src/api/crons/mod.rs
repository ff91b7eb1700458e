//! `GET /api/crons` and `POST /api/crons/{id}` (superusers only): the registered cron jobs,
//! and running one at once.

pub mod list;
pub mod run;
