//! `/api/settings`: superusers only, persisted in `_params`, secrets masked, bad values refused
//! with PocketBase's codes.

use serde_json::json;

use crate::harness::{error_body, Server};

#[test]
fn settings_need_a_superuser() {
    let server = Server::start();
    assert_eq!(server.guest().get("/api/settings").0, 401);
}

#[test]
fn patch_persists_across_restart_and_masks_secrets() {
    let server = Server::start();
    let superuser = server.superuser();
    let (status, settings) = superuser.get("/api/settings");
    assert_eq!(status, 200);
    assert_eq!(settings["meta"]["appName"], "Acme");
    assert_eq!(
        settings["batch"],
        json!({"enabled": false, "maxRequests": 50, "timeout": 3, "maxBodySize": 0})
    );
    assert!(settings["smtp"].get("password").is_none());

    let patch = json!({"meta": {"appName": "Renamed"},
        "smtp": {"enabled": true, "host": "mail.example.com", "port": 2525, "password": "hunter2"}});
    let (status, saved) = superuser.patch("/api/settings", &patch);
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["meta"]["appName"], "Renamed");
    assert_eq!(saved["smtp"]["port"], 2525);
    assert!(saved["smtp"].get("password").is_none());

    let server = server.restart();
    let (_, reread) = server.superuser().get("/api/settings");
    assert_eq!(reread["meta"]["appName"], "Renamed");
    assert_eq!(reread["smtp"]["host"], "mail.example.com");
}

#[test]
fn invalid_settings_are_refused_and_nothing_changes() {
    let server = Server::start();
    let superuser = server.superuser();
    let patch = json!({"meta": {"appName": ""}, "batch": {"timeout": -1}});
    let (status, body) = superuser.patch("/api/settings", &patch);
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "An error occurred while saving the new settings."
    );
    assert_eq!(
        body["data"]["meta"]["appName"]["code"],
        "validation_required"
    );
    assert_eq!(
        body["data"]["batch"]["timeout"]["code"],
        "validation_min_greater_equal_than_required"
    );
    assert_eq!(superuser.get("/api/settings").1["meta"]["appName"], "Acme");
}

/// Values of the wrong JSON type are refused before anything is stored, as PocketBase fails
/// to load them into its typed settings; `null` resets a setting to its zero value.
#[test]
fn settings_patch_keeps_the_shape_of_every_setting() {
    let server = Server::start();
    let superuser = server.superuser();
    for body in [
        json!({"logs": [null, null]}),
        json!({"meta": 5}),
        json!({"smtp": {"port": "587"}}),
        json!({"smtp": {"port": 1.5}}),
    ] {
        assert_eq!(
            superuser.patch("/api/settings", &body),
            (
                400,
                error_body(400, "An error occurred while loading the submitted data.")
            ),
            "{body}"
        );
    }
    let (status, settings) = superuser.patch("/api/settings", &json!({"smtp": null}));
    assert_eq!(status, 200, "{settings}");
    assert_eq!(settings["smtp"]["port"], 0);
    assert_eq!(settings["smtp"]["host"], "");
    assert!(settings["logs"].is_object());
}
