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
    // What an interrupted backup or a restore left in the scratch folder goes first.
    pb_http::backups::clear_temp_dir(&global.dir);
    let store = pb_store::SqliteStore::open(&global.dir)
        .with_context(|| format!("failed to open the data dir {}", global.dir.display()))?;
    let migrations = Arc::new(crate::migrations::folder::MigrationsFolder::new(
        global.migrations_dir(),
    ));
    for file in crate::migrations::runner::up(&store, &migrations)? {
        tracing::info!(file, "applied migration");
    }
    let public_dir = serve
        .public_dir
        .or_else(|| Some(PathBuf::from("pb_public")).filter(|dir| dir.is_dir()));
    let options = pb_http::ServerOptions {
        dev: global.dev,
        public_dir,
        data_dir: Some(global.dir.clone()),
        expand_all: serve.expand_all && !serve.no_expand_all,
    };
    let store = Arc::new(store);
    let log_store = Arc::new(
        pb_store::SqliteLogStore::open(&global.dir)
            .with_context(|| format!("failed to open the logs of {}", global.dir.display()))?,
    );
    let mut state = pb_http::AppState::new(
        Arc::clone(&store) as Arc<dyn pb_core::ports::Store>,
        options,
    )
    .map_err(|error| anyhow::anyhow!("failed to load the collections: {error}"))?
    .with_operations(
        Arc::clone(&log_store) as Arc<dyn pb_core::logs::LogStore>,
        vec![store, log_store],
    );
    if global.automigrate {
        state.schema_journal = Some(Arc::new(crate::migrations::journal::FileJournal::new(
            migrations,
        )));
    }
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
    print_installer_link(&state, &format!("http://{address}"));
    let served = actix_web::rt::System::new().block_on(pb_http::serve(Arc::clone(&state), config));
    // The logs of the last requests may still be queued: write them before exiting.
    state
        .ops
        .request_log
        .flush(std::time::Duration::from_secs(5));
    served.context("the server stopped with an error")?;
    if state.lifecycle.restart_requested() {
        // A restored backup is in place: start over on it, same arguments, same process id.
        return Err(crate::restart::exec_self());
    }
    Ok(())
}

/// While no superuser exists, prints the one-time dashboard link that creates the first one
/// (see `pb_http::installer`); a failure to prepare it is logged, not fatal.
fn print_installer_link(state: &pb_http::AppState, base_url: &str) {
    match pb_http::installer::installer_token(state.store.as_ref()) {
        Ok(Some(token)) => {
            let link = pb_http::installer::installer_link(base_url, &token);
            println!(
                "\n(!) Launch the URL below in the browser to create your first superuser account:\n{link}\n(you can also create your first superuser by running: pb superuser upsert EMAIL PASS)\n"
            );
        }
        Ok(None) => {}
        Err(error) => tracing::error!(%error, "failed to prepare the installer link"),
    }
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
