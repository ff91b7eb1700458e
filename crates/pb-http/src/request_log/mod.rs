//! Request logs, as PocketBase keeps them in `auxiliary.db`'s `_logs`: one row per API request,
//! written in the background so that logging costs a request one copy into a reused buffer.
//!
//! * [`log_requests`] (middleware) captures each request and its outcome as a [`PendingLog`]
//!   and queues it; it does no I/O, never waits and allocates nothing for it.
//! * [`writer::RequestLogger`] is the bounded queue (per-thread buffers) and its writer thread;
//!   [`encoding`] is how a log sits in those buffers.
//! * [`entry`] turns a captured request into PocketBase's row.
//! * [`start_writer`] connects the writer to the [`LogStore`]: it resolves auth tokens to
//!   their records (the request path does not pay for that lookup; a short-lived memo keeps
//!   repeated tokens cheap) and inserts each batch in one transaction, under ids that grow
//!   with time ([`TimeOrderedIds`]: appending to the id index instead of scattering rows
//!   over it is most of what keeps a busy server's log writes cheap).
//!
//! As in PocketBase: `settings.logs.maxDays = 0` turns logging off; logs below `minLevel` are
//! not stored; successful requests to `/api/logs…`, the realtime connection and the OAuth2
//! redirect are not logged (failures are). A failure's `details` is the [`ApiError`]'s cause.
//! A settings save prunes what the new settings do not keep ([`retention`]).

pub mod encoding;
pub mod entry;
pub mod retention;
pub mod writer;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;
use pb_core::ids::TimeOrderedIds;
use pb_core::logs::{LogStore, NewLog};
use pb_core::ports::read_with;
use serde_json::Value;

pub use entry::{AuthFacts, FailureText, LogFailure, PendingLog};
pub use writer::RequestLogger;

use crate::auth::request_auth::{authenticate, token_of_header};
use crate::client_ip::{client_ip, remote_ip};
use crate::error::ApiError;
use crate::state::AppState;

/// How long a resolved token is trusted by the writer (a revoked token may be logged as its
/// record for this long).
const AUTH_MEMO_TTL: Duration = Duration::from_secs(30);
/// Tokens remembered at most; the memo starts afresh when full.
const AUTH_MEMO_SIZE: usize = 4096;

/// Whether a successful request to `method path` goes unlogged.
fn skips_success(method: &Method, path: &str) -> bool {
    path == "/api/logs"
        || path.starts_with("/api/logs/")
        || (method == Method::GET && path == "/api/realtime")
        || path == "/api/oauth2-redirect"
}

/// A header's value as text, `""` when it is missing or not visible ASCII.
fn header_text(value: Option<&HeaderValue>) -> &str {
    value.and_then(|value| value.to_str().ok()).unwrap_or("")
}

/// Captures every request for the request log (see the module docs).
pub async fn log_requests(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    let settings = state.ops.settings.get();
    if settings.logs.max_days <= 0 || !state.ops.has_log_store() {
        return Ok(next.call(request).await?.map_into_boxed_body());
    }
    let started = Instant::now();
    // Cheap handles (shared bytes, no copies) on what the log needs once the request is gone.
    let method = request.method().clone();
    let uri = request.uri().clone();
    let quiet_on_success = skips_success(&method, request.path());
    let headers = request.headers();
    let referer = headers.get(header::REFERER).cloned();
    let user_agent = headers.get(header::USER_AGENT).cloned();
    let authorization = headers.get(header::AUTHORIZATION).cloned();
    let ips = settings.logs.log_ip.then(|| {
        let peer = request.peer_addr();
        (
            client_ip(request.headers(), peer, &settings.trusted_proxy),
            remote_ip(peer),
        )
    });
    let outcome = next.call(request).await;
    let (status, failure) = match &outcome {
        Ok(response) => {
            let status = response.status();
            let answer = response.response();
            let failure = answer
                .extensions()
                .get::<LogFailure>()
                .cloned()
                .or_else(|| {
                    answer
                        .error()
                        .map(|error| match error.as_error::<ApiError>() {
                            Some(api) => LogFailure {
                                message: api.message.clone(),
                                details: api.log_details(),
                            },
                            None => LogFailure {
                                message: error.to_string(),
                                details: Value::Null,
                            },
                        })
                })
                .or_else(|| {
                    (status.is_client_error() || status.is_server_error()).then(|| LogFailure {
                        message: status.canonical_reason().unwrap_or("").to_string(),
                        details: Value::Null,
                    })
                });
            (status.as_u16(), failure)
        }
        Err(error) => (
            error.as_response_error().status_code().as_u16(),
            Some(LogFailure {
                message: error.to_string(),
                details: Value::Null,
            }),
        ),
    };
    let skipped = failure.is_none() && quiet_on_success;
    let level = if failure.is_some() {
        pb_core::logs::LEVEL_ERROR
    } else {
        pb_core::logs::LEVEL_INFO
    };
    // The settings as they are now: a request that just changed them (a settings save) is
    // logged by the new ones, as PocketBase decides when the log is written.
    let settings = state.ops.settings.get();
    if !skipped && settings.logs.max_days > 0 && level >= settings.logs.min_level {
        let details = failure.as_ref().map(|failure| failure.details.to_string());
        state.ops.request_log.submit(&PendingLog {
            created: chrono::Utc::now(),
            method: method.as_str(),
            uri: uri
                .path_and_query()
                .map_or_else(|| uri.path(), |path_and_query| path_and_query.as_str()),
            status,
            exec_time_ms: started.elapsed().as_secs_f64() * 1000.0,
            referer: header_text(referer.as_ref()),
            user_agent: header_text(user_agent.as_ref()),
            ips: ips
                .as_ref()
                .map(|(user_ip, remote_ip)| (user_ip.as_str(), remote_ip.as_str())),
            token: authorization
                .as_ref()
                .and_then(|value| value.to_str().ok())
                .and_then(token_of_header),
            log_auth_id: settings.logs.log_auth_id,
            failure: failure
                .as_ref()
                .zip(details.as_deref())
                .map(|(failure, details)| FailureText {
                    message: &failure.message,
                    details,
                }),
        });
    }
    outcome.map(ServiceResponse::map_into_boxed_body)
}

/// Tokens the writer has resolved lately.
#[derive(Debug, Default)]
struct AuthMemo {
    entries: HashMap<String, (Instant, Option<AuthFacts>)>,
}

impl AuthMemo {
    fn get(&self, token: &str, now: Instant) -> Option<&Option<AuthFacts>> {
        self.entries
            .get(token)
            .filter(|(resolved_at, _)| now.duration_since(*resolved_at) < AUTH_MEMO_TTL)
            .map(|(_, facts)| facts)
    }

    fn put(&mut self, token: String, facts: Option<AuthFacts>, now: Instant) {
        if self.entries.len() >= AUTH_MEMO_SIZE {
            self.entries.clear();
        }
        self.entries.insert(token, (now, facts));
    }
}

/// Resolves the tokens of `batch` the memo does not know, in one read transaction.
fn resolve_tokens(state: &AppState, memo: &mut AuthMemo, batch: &[PendingLog<'_>]) {
    let now = Instant::now();
    let mut unknown: Vec<&str> = batch
        .iter()
        .filter_map(|log| log.token)
        .filter(|token| memo.get(token, now).is_none())
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    if unknown.is_empty() {
        return;
    }
    let schema = state.schema();
    let resolved = read_with(state.store.as_ref(), |tx| {
        let mut resolved = Vec::with_capacity(unknown.len());
        for token in &unknown {
            let facts = authenticate(tx, &schema, token)?.map(|auth| AuthFacts {
                collection_name: auth.collection.name.clone(),
                record_id: auth.record.id().to_string(),
            });
            resolved.push((token.to_string(), facts));
        }
        Ok(resolved)
    });
    match resolved {
        Ok(resolved) => {
            for (token, facts) in resolved {
                memo.put(token, facts, now);
            }
        }
        Err(error) => tracing::warn!(%error, "cannot resolve the auth of logged requests"),
    }
}

/// Starts the writer thread of `state`'s request logger, inserting into `log_store`.
pub fn start_writer(state: &Arc<AppState>, log_store: Arc<dyn LogStore>) {
    let writer_state = Arc::clone(state);
    let mut memo = AuthMemo::default();
    let mut ids = TimeOrderedIds::default();
    state
        .ops
        .request_log
        .start(move |batch: &[PendingLog<'_>]| {
            resolve_tokens(&writer_state, &mut memo, batch);
            let now = Instant::now();
            let mut logs = batch.iter();
            let mut next_row = |row: &mut NewLog| {
                let Some(log) = logs.next() else {
                    return false;
                };
                let auth = log
                    .token
                    .and_then(|token| memo.get(token, now))
                    .and_then(Option::as_ref);
                entry::fill_row(row, log, auth, &mut ids);
                true
            };
            if let Err(error) = log_store.insert_each(&mut next_row) {
                tracing::warn!(%error, count = batch.len(), "cannot write request logs");
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_is_skipped_only_where_pocketbase_skips_it() {
        assert!(skips_success(&Method::GET, "/api/logs"));
        assert!(skips_success(&Method::GET, "/api/logs/stats"));
        assert!(skips_success(&Method::GET, "/api/realtime"));
        assert!(!skips_success(&Method::POST, "/api/realtime"));
        assert!(!skips_success(&Method::GET, "/api/logsx"));
        assert!(skips_success(&Method::DELETE, "/api/logs"));
        assert!(!skips_success(&Method::GET, "/api/health"));
    }

    #[test]
    fn the_memo_forgets_after_its_ttl() {
        let mut memo = AuthMemo::default();
        let start = Instant::now();
        memo.put("t".into(), None, start);
        assert_eq!(memo.get("t", start), Some(&None));
        assert_eq!(memo.get("t", start + AUTH_MEMO_TTL), None);
        assert_eq!(memo.get("other", start), None);
    }
}
