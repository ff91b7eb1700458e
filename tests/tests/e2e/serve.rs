//! `pb serve` itself: static files from `pb_public` with an `index.html` fallback, and a
//! graceful stop on SIGTERM.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::{pb_bin, Server};

#[test]
fn pb_public_files_are_served_with_index_fallback() {
    let temp_dir = tempfile::tempdir().unwrap();
    let public = temp_dir.path().join("pb_public");
    std::fs::create_dir_all(public.join("assets")).unwrap();
    std::fs::write(public.join("index.html"), "<h1>app</h1>").unwrap();
    std::fs::write(public.join("assets/app.js"), "console.log(1)").unwrap();
    let server = Server::start_in(&pb_bin(), &temp_dir.path().join("pb_data"), true);
    let guest = server.guest();
    assert_eq!(
        guest.get_bytes("/assets/app.js"),
        (200, b"console.log(1)".to_vec())
    );
    assert_eq!(guest.get_bytes("/"), (200, b"<h1>app</h1>".to_vec()));
    assert_eq!(
        guest.get_bytes("/some/client/route"),
        (200, b"<h1>app</h1>".to_vec())
    );
    let (status, body) = guest.get("/api/nope");
    assert_eq!(status, 404);
    assert_eq!(body["message"], "File not found.");
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut server = Server::start();
    let pid = server.pid();
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(exit) = server.try_wait() {
            assert!(exit.success(), "exit status {exit}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
