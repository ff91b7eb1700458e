//! Building and running the actix-web server: workers, the route table, middleware, and a
//! graceful stop on SIGINT/SIGTERM (in-flight requests finish, then the process exits).

use std::net::SocketAddr;
use std::sync::Arc;

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
    let data = web::Data::from(state);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .wrap(from_fn(crate::middleware::common_headers))
            .configure(crate::api::configure)
    })
    .shutdown_timeout(30)
    .bind(config.address)?;
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    tracing::info!(address = %config.address, "server started");
    server.run().await
}
