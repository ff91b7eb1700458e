//! Application settings, stored as one JSON document in `_params` under the id `settings`, in the
//! same shape PocketBase stores them. Secrets are masked on read and kept when a PATCH leaves them
//! out or sends them back empty.

use serde_json::{json, Value};

mod superuser_ips;
mod validate;

pub use superuser_ips::{ip_allowed, superuser_ip_allowed, superuser_ips};
pub use validate::validate;

/// The `_params` id of the settings document.
pub const SETTINGS_KEY: &str = "settings";

/// Paths (object keys from the root) of the secret values.
const SECRET_PATHS: [&[&str]; 3] = [
    &["smtp", "password"],
    &["s3", "secret"],
    &["backups", "s3", "secret"],
];

/// The settings of a fresh data dir.
pub fn defaults() -> Value {
    json!({
        "superuserIPs": [],
        "smtp": {"enabled": false, "port": 587, "host": "smtp.example.com", "username": "",
                 "password": "", "authMethod": "", "tls": false, "localName": ""},
        "backups": {"cron": "", "cronMaxKeep": 3,
                    "s3": {"enabled": false, "bucket": "", "region": "", "endpoint": "",
                           "accessKey": "", "secret": "", "forcePathStyle": false}},
        "s3": {"enabled": false, "bucket": "", "region": "", "endpoint": "", "accessKey": "",
               "secret": "", "forcePathStyle": false},
        "meta": {"accentColor": "#1055c9", "appName": "Acme", "appURL": "http://localhost:8090",
                 "senderName": "Support", "senderAddress": "support@example.com", "hideControls": false},
        "rateLimits": {"rules": [
            {"label": "*:auth", "audience": "", "duration": 3, "maxRequests": 2},
            {"label": "*:create", "audience": "", "duration": 5, "maxRequests": 20},
            {"label": "/api/batch", "audience": "", "duration": 1, "maxRequests": 3},
            {"label": "/api/", "audience": "", "duration": 10, "maxRequests": 300}],
            "excludedIPs": [], "enabled": false},
        "trustedProxy": {"headers": [], "useLeftmostIP": false},
        "batch": {"enabled": false, "maxRequests": 50, "timeout": 3, "maxBodySize": 0},
        "logs": {"maxDataSize": 0, "maxDays": 5, "minLevel": 0, "logIP": true, "logAuthId": false}
    })
}

/// The settings as served: stored values over the defaults, with secrets removed.
pub fn to_api_json(stored: &Value) -> Value {
    let mut settings = defaults();
    crate::json_merge::merge(&mut settings, stored);
    for path in SECRET_PATHS {
        remove_path(&mut settings, path);
    }
    settings
}

/// Applies a PATCH: merges `patch` into `stored`, keeping a stored secret the patch leaves out
/// or sends empty.
pub fn apply_patch(stored: &Value, patch: &Value) -> Value {
    let mut settings = defaults();
    crate::json_merge::merge(&mut settings, stored);
    let previous = settings.clone();
    crate::json_merge::merge(&mut settings, patch);
    for path in SECRET_PATHS {
        let new_secret = get_path(&settings, path)
            .and_then(Value::as_str)
            .unwrap_or("");
        if new_secret.is_empty() {
            if let Some(old) = get_path(&previous, path).cloned() {
                set_path(&mut settings, path, old);
            }
        }
    }
    settings
}

fn get_path<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |current, key| current.get(key))
}

fn set_path(value: &mut Value, path: &[&str], new_value: Value) {
    if let Some((last, parents)) = path.split_last() {
        let parent = parents
            .iter()
            .try_fold(value, |current, key| current.get_mut(key));
        if let Some(Value::Object(map)) = parent {
            map.insert((*last).to_string(), new_value);
        }
    }
}

fn remove_path(value: &mut Value, path: &[&str]) {
    if let Some((last, parents)) = path.split_last() {
        let parent = parents
            .iter()
            .try_fold(value, |current, key| current.get_mut(key));
        if let Some(Value::Object(map)) = parent {
            map.remove(*last);
        }
    }
}

/// Whether every value of `patch` has the JSON type of the same key in `template` (the
/// defaults): objects for objects (checked key by key), arrays for arrays (items like the
/// default's first item), strings, booleans,
/// numbers, and whole numbers where the default is one. `null` and unknown keys pass.
/// PocketBase fails to load a settings body that breaks this; a PATCH must be refused before
/// it is merged, or a stored setting changes type.
pub fn fits_shape(template: &Value, patch: &Value) -> bool {
    match (template, patch) {
        (_, Value::Null) => true,
        (Value::Object(template), Value::Object(patch)) => patch.iter().all(|(key, value)| {
            template
                .get(key)
                .is_none_or(|expected| fits_shape(expected, value))
        }),
        (Value::Array(template), Value::Array(patch)) => template
            .first()
            .is_none_or(|item| patch.iter().all(|value| fits_shape(item, value))),
        (Value::String(_), Value::String(_)) => true,
        (Value::Bool(_), Value::Bool(_)) => true,
        (Value::Number(expected), Value::Number(given)) => {
            expected.is_f64() || given.is_i64() || given.is_u64()
        }
        _ => false,
    }
}

/// `patch` with every `null` replaced by the zero value of the same key in `template` (the
/// defaults): `""`, `0`, `false`, `[]`, or an object of zero values. PocketBase loads a
/// settings body into typed structs, so `{"smtp": null}` resets every SMTP setting rather than
/// storing a `null` the settings could not be read back from. Keys `template` lacks are kept.
pub fn nulls_to_zero(template: &Value, patch: &Value) -> Value {
    match (template, patch) {
        (_, Value::Null) => zero_of(template),
        (Value::Object(template), Value::Object(patch)) => Value::Object(
            patch
                .iter()
                .map(|(key, value)| {
                    let value = match template.get(key) {
                        Some(expected) => nulls_to_zero(expected, value),
                        None => value.clone(),
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        _ => patch.clone(),
    }
}

fn zero_of(template: &Value) -> Value {
    match template {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), zero_of(value)))
                .collect(),
        ),
        Value::Array(_) => json!([]),
        Value::String(_) => json!(""),
        Value::Number(_) => json!(0),
        Value::Bool(_) => json!(false),
        Value::Null => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn patches_must_keep_the_shape_of_the_settings() {
        let template = defaults();
        assert!(fits_shape(
            &template,
            &json!({"meta": {"appName": "x"}, "logs": null, "unknown": [1]})
        ));
        assert!(!fits_shape(&template, &json!({"logs": [null, null]})));
        assert!(!fits_shape(&template, &json!({"meta": 5})));
        assert!(!fits_shape(&template, &json!({"smtp": {"port": "587"}})));
        assert!(!fits_shape(&template, &json!({"smtp": {"port": 1.5}})));
        assert!(fits_shape(&template, &json!({"smtp": {"port": 2525}})));
        assert!(!fits_shape(
            &template,
            &json!({"rateLimits": {"rules": [5]}})
        ));
    }

    #[test]
    fn nulls_become_the_zero_value_of_their_setting() {
        let template = defaults();
        let patch = nulls_to_zero(
            &template,
            &json!({"smtp": null, "meta": {"appName": null}, "superuserIPs": null, "x": null}),
        );
        assert_eq!(patch["smtp"]["port"], 0);
        assert_eq!(patch["smtp"]["host"], "");
        assert_eq!(patch["smtp"]["enabled"], false);
        assert_eq!(patch["meta"], json!({"appName": ""}));
        assert_eq!(patch["superuserIPs"], json!([]));
        assert_eq!(patch["x"], Value::Null);
    }

    use super::*;

    #[test]
    fn secrets_are_masked_and_kept_across_patches() {
        let stored = apply_patch(
            &defaults(),
            &json!({"smtp": {"password": "hunter2", "enabled": true}}),
        );
        assert_eq!(stored["smtp"]["password"], "hunter2");
        let api = to_api_json(&stored);
        assert!(api["smtp"].get("password").is_none());
        assert_eq!(api["smtp"]["enabled"], true);
        let again = apply_patch(
            &stored,
            &json!({"smtp": {"password": ""}, "meta": {"appName": "X"}}),
        );
        assert_eq!(again["smtp"]["password"], "hunter2");
        assert_eq!(again["meta"]["appName"], "X");
    }
}
