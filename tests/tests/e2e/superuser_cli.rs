//! `pb superuser otp` and `pb superuser ips`: what they print, what they refuse, and that what
//! they store works over HTTP (the OTP logs in; the whitelist shows in the settings).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

use crate::harness::{pb_bin, Server, SUPERUSER_EMAIL};

/// `pb superuser <args> --dir=<data dir>`.
fn superuser_command(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(pb_bin())
        .arg("superuser")
        .args(args)
        .arg(format!("--dir={}", data_dir.display()))
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The value after `label` on a line of the `superuser otp` tree.
fn tree_value(text: &str, label: &str) -> String {
    text.lines()
        .find_map(|line| {
            line.split_once(label)
                .map(|(_, value)| value.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no {label:?} in:\n{text}"))
}

#[test]
fn superuser_otp_prints_a_code_that_logs_in() {
    let server = Server::start();
    let refused = superuser_command(server.data_dir(), &["otp", SUPERUSER_EMAIL]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("OTP auth is not enabled for the _superusers collection"),
        "{}",
        stderr(&refused)
    );

    let superuser = server.superuser();
    let (status, _) = superuser.patch(
        "/api/collections/_superusers",
        &json!({"otp": {"enabled": true}}),
    );
    assert_eq!(status, 200);
    let unknown = superuser_command(server.data_dir(), &["otp", "nobody@example.com"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("superuser with email \"nobody@example.com\" doesn't exist"),
        "{}",
        stderr(&unknown)
    );

    let created = superuser_command(server.data_dir(), &["otp", SUPERUSER_EMAIL]);
    assert!(created.status.success(), "{}", stderr(&created));
    let text = stdout(&created);
    assert!(
        text.starts_with(&format!(
            "Successfully created OTP for superuser \"{SUPERUSER_EMAIL}\":\n"
        )),
        "{text}"
    );
    assert_eq!(tree_value(&text, "Valid:"), "180s");
    let otp_id = tree_value(&text, "Id:");
    let password = tree_value(&text, "Pass:");
    assert_eq!(password.len(), 8, "{text}");
    assert!(password.chars().all(|c| c.is_ascii_digit()), "{text}");

    let (status, body) = server.guest().post(
        "/api/collections/_superusers/auth-with-otp",
        &json!({"otpId": otp_id, "password": password}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["record"]["email"], SUPERUSER_EMAIL);
    assert!(body["token"]
        .as_str()
        .is_some_and(|token| !token.is_empty()));
}

#[test]
fn superuser_ips_replaces_validates_and_clears_the_whitelist() {
    let server = Server::start();
    let data_dir = server.data_dir().to_path_buf();
    let superuser = server.superuser();
    let whitelist = |client: &crate::harness::Client| -> Value {
        let (status, settings) = client.get("/api/settings");
        assert_eq!(status, 200, "{settings}");
        settings["superuserIPs"].clone()
    };

    let saved = superuser_command(&data_dir, &["ips", "127.0.0.1", "10.0.0.0/24"]);
    assert!(saved.status.success(), "{}", stderr(&saved));
    assert_eq!(
        stdout(&saved),
        "Successfully updated SuperuserIPs setting:\n├─ 127.0.0.1\n└─ 10.0.0.0/24\n"
    );
    assert_eq!(whitelist(&superuser), json!(["127.0.0.1", "10.0.0.0/24"]));

    let refused = superuser_command(&data_dir, &["ips", "10.0.0.0/33", "::1", "x"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains(
            "superuserIPs: (0: invalid ip or cidr subnet.; 2: invalid ip or cidr subnet.)."
        ),
        "{}",
        stderr(&refused)
    );
    assert_eq!(whitelist(&superuser), json!(["127.0.0.1", "10.0.0.0/24"]));

    let (status, body) = superuser.patch(
        "/api/settings",
        &json!({"superuserIPs": ["1.2.3.4", "nope"]}),
    );
    assert_eq!(status, 400);
    assert_eq!(
        body["data"],
        json!({"superuserIPs": {"1": {"code": "validation_invlaid_ip_or_subnet", "message": "Invalid IP or CIDR subnet."}}})
    );

    let cleared = superuser_command(&data_dir, &["ips"]);
    assert!(cleared.status.success(), "{}", stderr(&cleared));
    assert_eq!(
        stdout(&cleared),
        "Successfully cleared SuperuserIPs setting!\n"
    );
    assert_eq!(whitelist(&superuser), json!([]));
}
