//! Backup names: the generated ones (`pb_backup_<app>_<UTC yyyymmddhhmmss>.zip`, and the
//! `@auto_pb_backup_` variant of automatic backups) and the check on names clients choose.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

/// The prefix of backups made on request without a name.
pub const MANUAL_PREFIX: &str = "pb_backup_";
/// The prefix of automatic backups; pruning only ever deletes backups with it.
pub const AUTO_PREFIX: &str = "@auto_pb_backup_";
/// The longest name a client may choose.
pub const MAX_NAME_LENGTH: usize = 150;

/// A generated name: `prefix`, the snake-cased app name (at most 50 bytes), the UTC time.
pub fn generate(prefix: &str, settings: Option<&Value>) -> String {
    let app_name = settings
        .and_then(|settings| settings["meta"]["appName"].as_str())
        .unwrap_or("");
    let mut app = pb_core::inflect::snake_case(app_name);
    if app.len() > 50 {
        let mut end = 50;
        while !app.is_char_boundary(end) {
            end -= 1;
        }
        app.truncate(end);
    }
    format!(
        "{prefix}{app}_{}.zip",
        chrono::Utc::now().format("%Y%m%d%H%M%S")
    )
}

/// Whether a client-chosen name has the allowed shape: lower-case letters, digits, `_` and
/// `-`, ending in `.zip`.
pub fn has_valid_format(name: &str) -> bool {
    static PATTERN: OnceLock<Option<Regex>> = OnceLock::new();
    PATTERN
        .get_or_init(|| Regex::new(r"^[a-z0-9_-]+\.zip$").ok())
        .as_ref()
        .is_some_and(|pattern| pattern.is_match(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn generated_names_follow_pocketbase() {
        let settings = json!({"meta": {"appName": "My App"}});
        let name = generate(AUTO_PREFIX, Some(&settings));
        assert!(name.starts_with("@auto_pb_backup_my_app_"), "{name}");
        assert!(name.ends_with(".zip"));
        assert_eq!(name.len(), "@auto_pb_backup_my_app_".len() + 14 + 4);
        assert!(generate(MANUAL_PREFIX, None).starts_with("pb_backup__"));
    }

    #[test]
    fn client_names_are_checked() {
        assert!(has_valid_format("ok_1-a.zip"));
        for bad in [
            "Bad.zip",
            "x.tar",
            ".zip",
            "a b.zip",
            "a/b.zip",
            "a.zip.txt",
        ] {
            assert!(!has_valid_format(bad), "{bad}");
        }
    }
}
