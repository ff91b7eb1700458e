//! `pb serve`: opens the data dir, builds the HTTP state over the SQLite store and runs the
//! server until SIGINT/SIGTERM, letting in-flight requests finish.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use crate::args::{GlobalArgs, ServeArgs};

pub(crate) fn run(global: &GlobalArgs, serve: ServeArgs) -> anyhow::Result<()> {
    init_logging(global.dev);
    let address = resolve_address(&serve.http)?;
    let store = pb_store::SqliteStore::open(&global.dir)
        .with_context(|| format!("failed to open the data dir {}", global.dir.display()))?;
    let public_dir = serve
        .public_dir
        .or_else(|| Some(PathBuf::from("pb_public")).filter(|dir| dir.is_dir()));
    let options = pb_http::ServerOptions {
        dev: global.dev,
        public_dir,
        data_dir: Some(global.dir.clone()),
    };
    let store = Arc::new(store);
    let log_store = Arc::new(
        pb_store::SqliteLogStore::open(&global.dir)
            .with_context(|| format!("failed to open the logs of {}", global.dir.display()))?,
    );
    let state = pb_http::AppState::new(
        Arc::clone(&store) as Arc<dyn pb_core::ports::Store>,
        options,
    )
    .map_err(|error| anyhow::anyhow!("failed to load the collections: {error}"))?
    .with_operations(
        Arc::clone(&log_store) as Arc<dyn pb_core::logs::LogStore>,
        vec![store, log_store],
    );
    // Uploads a previous process was receiving when it stopped, and files a crash left without
    // a record (see pb_http::files::staging), are removed before and after start-up.
    state.files.clear_spool();
    let state = Arc::new(state);
    pb_http::files::sweep::spawn_sweeper(Arc::clone(&state));
    pb_http::ops::start(&state);
    let config = pb_http::ServerConfig {
        address,
        workers: None,
    };
    println!("Server started at http://{address}");
    let served = actix_web::rt::System::new().block_on(pb_http::serve(Arc::clone(&state), config));
    // The logs of the last requests may still be queued: write them before exiting.
    state
        .ops
        .request_log
        .flush(std::time::Duration::from_secs(5));
    served.context("the server stopped with an error")
}

fn resolve_address(http: &str) -> anyhow::Result<SocketAddr> {
    let with_host = if http.starts_with(':') {
        format!("0.0.0.0{http}")
    } else {
        http.to_string()
    };
    with_host
        .to_socket_addrs()
        .with_context(|| format!("invalid --http address {http:?}"))?
        .next()
        .with_context(|| format!("--http address {http:?} resolved to nothing"))
}

fn init_logging(dev: bool) {
    let default_level = if dev { "debug" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
