//! The `pb` binary: a PocketBase-compatible backend in one file. Parses the command line and
//! hands off to the command; errors reach the user through anyhow at this edge only.

mod args;
mod commands;
mod migrations;
mod restart;

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = args::Cli::parse();
    match cli.command {
        args::Command::Serve(serve) => commands::serve::run(&cli.global, serve),
        args::Command::Superuser(superuser) => commands::superuser::run(&cli.global, superuser),
        args::Command::Migrate(migrate) => commands::migrate::run(&cli.global, migrate),
    }
}
