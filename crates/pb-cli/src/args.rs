//! The command line, shaped like PocketBase's: `serve`, `superuser create|upsert|update|delete`,
//! `migrate up|down [n]|create <name>|collections|history-sync`, and the global `--dir`,
//! `--automigrate` and `--migrationsDir`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// A PocketBase-compatible backend: REST API, auth and admin for your app, in one binary.
#[derive(Debug, Parser)]
#[command(name = "pb", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Flags every command accepts.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// The data directory (database and uploaded files).
    #[arg(long, global = true, default_value = "pb_data")]
    pub(crate) dir: PathBuf,
    /// Log more (SQL errors, request details).
    #[arg(long, global = true)]
    pub(crate) dev: bool,
    /// Write a migration file for every collection change made through the API
    /// (`--automigrate=false` to turn off).
    #[arg(
        long,
        global = true,
        default_value_t = true,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub(crate) automigrate: bool,
    /// The migrations folder (default `pb_migrations` beside the data dir).
    #[arg(long = "migrationsDir", global = true)]
    pub(crate) migrations_dir: Option<PathBuf>,
}

impl GlobalArgs {
    /// The migrations folder: `--migrationsDir`, or `pb_migrations` beside the data dir (as
    /// PocketBase puts it).
    pub(crate) fn migrations_dir(&self) -> PathBuf {
        if let Some(dir) = &self.migrations_dir {
            return dir.clone();
        }
        let beside = self
            .dir
            .components()
            .filter(|component| !matches!(component, std::path::Component::CurDir))
            .collect::<PathBuf>();
        match beside.parent() {
            Some(parent) => parent.join("pb_migrations"),
            None => PathBuf::from("pb_migrations"),
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Starts the web server (default 127.0.0.1:8090).
    Serve(ServeArgs),
    /// Manages superuser accounts.
    #[command(subcommand)]
    Superuser(SuperuserCommand),
    /// Runs, reverts, creates and syncs migrations (`up` when no action is given).
    Migrate(MigrateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct MigrateArgs {
    #[command(subcommand)]
    pub(crate) action: Option<MigrateAction>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum MigrateAction {
    /// Applies every migration not applied yet.
    Up,
    /// Reverts the last [number] applied migrations (default 1; a negative number reverts all).
    Down {
        #[arg(allow_negative_numbers = true)]
        number: Option<i64>,
    },
    /// Creates a new blank migration file.
    Create { name: String },
    /// Creates a migration file with a snapshot of the current collections.
    Collections,
    /// Removes the history rows of migration files that no longer exist.
    HistorySync,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8090 or 0.0.0.0:80.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub(crate) http: String,
    /// Directory of static files served at `/` (default `pb_public` if it exists).
    #[arg(long = "publicDir")]
    pub(crate) public_dir: Option<PathBuf>,
    /// Allowed CORS origins (accepted for compatibility; any origin is allowed).
    #[arg(long, default_value = "*")]
    pub(crate) origins: String,
    /// Expand every relation field of the records API's responses (nested, each collection at
    /// most once per path), as if `?expand=` named them; the target's view rule still applies.
    #[arg(long = "expand-all", overrides_with = "no_expand_all")]
    pub(crate) expand_all: bool,
    /// Responses stay PocketBase's: only `?expand=` expands (the default).
    #[arg(long = "no-expand-all", overrides_with = "expand_all")]
    pub(crate) no_expand_all: bool,
    /// Optional domain names (not supported: TLS is left to a reverse proxy).
    pub(crate) domains: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SuperuserCommand {
    /// Creates a new superuser.
    Create { email: String, password: String },
    /// Creates a superuser, or changes the password of an existing one.
    Upsert { email: String, password: String },
    /// Changes the password of an existing superuser.
    Update { email: String, password: String },
    /// Deletes a superuser.
    Delete { email: String },
    /// Replaces the superuser IPs whitelist (IPs or CIDR subnets); none clears it.
    Ips { ips: Vec<String> },
    /// Creates a one-time password for a superuser (OTP auth must be enabled for
    /// `_superusers`) and prints it.
    Otp { email: String },
}
