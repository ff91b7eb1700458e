//! Building and running the actix-web server: workers, the route table, middleware, and a
//! graceful stop on SIGINT/SIGTERM (in-flight requests finish, then the process exits; SIGQUIT
//! stops at once).
//!
//! Signals are handled here rather than by actix, because realtime streams never finish on
//! their own: they are closed first, so that they do not hold the graceful stop up until its
//! timeout.

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use actix_web::{middleware::from_fn, web, App, HttpServer};

use crate::state::AppState;

/// Where and how to listen.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub address: SocketAddr,
    /// Worker threads; `None` uses one per available core.
    pub workers: Option<usize>,
}

/// Serves until the process is asked to stop.
pub async fn serve(state: Arc<AppState>, config: ServerConfig) -> std::io::Result<()> {
    let data = web::Data::from(Arc::clone(&state));
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .wrap(from_fn(crate::superuser_ips::guard_superuser_ips))
            .wrap(from_fn(crate::rate_limit::limit_requests))
            .wrap(from_fn(crate::request_log::log_requests))
            .wrap(from_fn(crate::middleware::common_headers))
            .configure(crate::api::configure)
    })
    .shutdown_timeout(30)
    // A client that closes its side is gone (as Go's server treats it): this is how an SSE
    // stream, which otherwise only writes, learns that its client left.
    .h1_allow_half_closed(false)
    .disable_signals()
    .bind(config.address)?;
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    tracing::info!(address = %config.address, "server started");
    let server = server.run();
    actix_web::rt::spawn(stop_on_signal(server.handle(), state));
    server.await
}

/// Waits for a stop signal or a restart request, closes the realtime streams, then stops the
/// server.
async fn stop_on_signal(handle: ServerHandle, state: Arc<AppState>) {
    let graceful = tokio::select! {
        graceful = wait_for_signal() => graceful,
        () = state.lifecycle.stopping() => true,
    };
    state.realtime.close_all();
    handle.stop(graceful).await;
}

/// `true` for a graceful stop (SIGINT, SIGTERM), `false` for an immediate one (SIGQUIT).
#[cfg(unix)]
async fn wait_for_signal() -> bool {
    use tokio::signal::unix::{signal, SignalKind};
    let signals = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
        signal(SignalKind::quit()),
    );
    let (Ok(mut interrupt), Ok(mut terminate), Ok(mut quit)) = signals else {
        tracing::warn!("cannot listen for SIGTERM/SIGQUIT; only Ctrl-C stops the server");
        return ctrl_c().await;
    };
    tokio::select! {
        _ = interrupt.recv() => true,
        _ = terminate.recv() => true,
        _ = quit.recv() => false,
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> bool {
    ctrl_c().await
}

async fn ctrl_c() -> bool {
    if let Err(error) = tokio::signal::ctrl_c().await {
        tracing::error!(%error, "cannot listen for Ctrl-C");
        std::future::pending::<()>().await;
    }
    true
}
