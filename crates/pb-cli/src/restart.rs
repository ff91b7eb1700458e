//! Starting the binary anew in place of this process, with the same arguments and
//! environment, as PocketBase restarts itself after restoring a backup: the process keeps its
//! id (a supervisor sees no exit), and the new program opens the restored data dir.

use std::os::unix::process::CommandExt;

/// Replaces this process with a fresh run of its own executable. Only returns on failure.
pub(crate) fn exec_self() -> anyhow::Error {
    let executable = match std::env::current_exe() {
        Ok(executable) => executable,
        Err(error) => return anyhow::anyhow!("cannot find the executable to restart: {error}"),
    };
    let arguments: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    tracing::info!(executable = %executable.display(), "restarting");
    let error = std::process::Command::new(&executable)
        .args(arguments)
        .exec();
    anyhow::anyhow!("failed to restart {}: {error}", executable.display())
}
