//! Checks a settings document before it is saved, with the codes PocketBase answers:
//! blank required values, bad URLs and emails, negative limits, malformed rate-limit rules, and
//! incomplete SMTP/S3 sections when they are enabled.

use serde_json::{json, Value};

use crate::error::{FieldError, ValidationErrors};

fn text<'a>(section: &'a Value, key: &str) -> &'a str {
    section.get(key).and_then(Value::as_str).unwrap_or("")
}

fn number(section: &Value, key: &str) -> f64 {
    section.get(key).and_then(Value::as_f64).unwrap_or(0.0)
}

fn enabled(section: &Value) -> bool {
    section
        .get("enabled")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn not_negative(errors: &mut ValidationErrors, section: &Value, key: &str) {
    if number(section, key) < 0.0 {
        errors.add(
            key,
            FieldError::new(
                "validation_min_greater_equal_than_required",
                "Must be no less than 0.",
            )
            .with_params(json!({"threshold": 0})),
        );
    }
}

fn required_texts(errors: &mut ValidationErrors, section: &Value, keys: &[&str]) {
    for key in keys {
        if text(section, key).trim().is_empty() {
            errors.add(key, FieldError::required());
        }
    }
}

/// Validates a whole (merged) settings document.
pub fn validate(settings: &Value) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    errors.nest("meta", validate_meta(&settings["meta"]));
    errors.nest("smtp", validate_smtp(&settings["smtp"]));
    errors.nest("s3", validate_s3(&settings["s3"]));
    let mut backups = validate_s3(&settings["backups"]["s3"]);
    let mut backups_errors = ValidationErrors::new();
    not_negative(&mut backups_errors, &settings["backups"], "cronMaxKeep");
    backups_errors.nest("s3", std::mem::take(&mut backups));
    errors.nest("backups", backups_errors);
    let mut batch = ValidationErrors::new();
    for key in ["maxRequests", "timeout", "maxBodySize"] {
        not_negative(&mut batch, &settings["batch"], key);
    }
    errors.nest("batch", batch);
    let mut logs = ValidationErrors::new();
    for key in ["maxDays", "minLevel", "maxDataSize"] {
        if key != "minLevel" {
            not_negative(&mut logs, &settings["logs"], key);
        }
    }
    errors.nest("logs", logs);
    errors.nest("rateLimits", validate_rate_limits(&settings["rateLimits"]));
    errors.nest(
        "superuserIPs",
        super::superuser_ips::validate_superuser_ips(settings),
    );
    errors.into_result()
}

fn validate_meta(meta: &Value) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    let app_name = text(meta, "appName");
    if app_name.trim().is_empty() {
        errors.add("appName", FieldError::required());
    } else if app_name.chars().count() > 255 {
        errors.add(
            "appName",
            FieldError::new(
                "validation_length_out_of_range",
                "The length must be between 1 and 255.",
            )
            .with_params(json!({"min": 1, "max": 255})),
        );
    }
    let app_url = text(meta, "appURL");
    if app_url.trim().is_empty() {
        errors.add("appURL", FieldError::required());
    } else if !is_url(app_url) {
        errors.add(
            "appURL",
            FieldError::new("validation_is_url", "Must be a valid URL."),
        );
    }
    let sender = text(meta, "senderAddress");
    if sender.trim().is_empty() {
        errors.add("senderAddress", FieldError::required());
    } else if !email_address::EmailAddress::is_valid(sender) {
        errors.add(
            "senderAddress",
            FieldError::new("validation_is_email", "Must be a valid email address."),
        );
    }
    if text(meta, "senderName").trim().is_empty() {
        errors.add("senderName", FieldError::required());
    }
    errors
}

fn is_url(text: &str) -> bool {
    url::Url::parse(text)
        .is_ok_and(|url| url.has_host() && matches!(url.scheme(), "http" | "https"))
}

fn validate_smtp(smtp: &Value) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    if enabled(smtp) {
        required_texts(&mut errors, smtp, &["host"]);
        if number(smtp, "port") <= 0.0 {
            errors.add("port", FieldError::required());
        }
    }
    errors
}

fn validate_s3(s3: &Value) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    if enabled(s3) {
        required_texts(
            &mut errors,
            s3,
            &["accessKey", "bucket", "endpoint", "region", "secret"],
        );
    }
    errors
}

fn validate_rate_limits(rate_limits: &Value) -> ValidationErrors {
    let mut by_index = ValidationErrors::new();
    let rules = rate_limits
        .get("rules")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (index, rule) in rules.iter().enumerate() {
        let mut errors = ValidationErrors::new();
        if text(rule, "label").trim().is_empty() {
            errors.add("label", FieldError::required());
        }
        if !matches!(text(rule, "audience"), "" | "@guest" | "@auth") {
            errors.add(
                "audience",
                FieldError::new("validation_in_invalid", "Must be a valid value."),
            );
        }
        for key in ["duration", "maxRequests"] {
            if number(rule, key) <= 0.0 {
                errors.add(key, FieldError::required());
            }
        }
        by_index.nest(&index.to_string(), errors);
    }
    let mut errors = ValidationErrors::new();
    errors.nest("rules", by_index);
    errors
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::settings::{apply_patch, defaults};

    #[test]
    fn defaults_are_valid() {
        assert_eq!(validate(&defaults()), Ok(()));
    }

    #[test]
    fn reports_pocketbase_codes_per_section() {
        let patch = json!({"meta": {"appName": "", "appURL": "notaurl", "senderAddress": "bad"},
            "smtp": {"enabled": true, "host": "", "port": 0},
            "batch": {"maxRequests": -1},
            "rateLimits": {"rules": [{"label": "", "audience": "x", "duration": 0, "maxRequests": 0}]},
            "s3": {"enabled": true}});
        let errors = validate(&apply_patch(&defaults(), &patch))
            .unwrap_err()
            .to_json();
        assert_eq!(errors["meta"]["appName"]["code"], "validation_required");
        assert_eq!(errors["meta"]["appURL"]["code"], "validation_is_url");
        assert_eq!(
            errors["meta"]["senderAddress"]["code"],
            "validation_is_email"
        );
        assert_eq!(errors["smtp"]["host"]["code"], "validation_required");
        assert_eq!(errors["smtp"]["port"]["code"], "validation_required");
        assert_eq!(
            errors["batch"]["maxRequests"]["code"],
            "validation_min_greater_equal_than_required"
        );
        assert_eq!(
            errors["batch"]["maxRequests"]["params"],
            json!({"threshold": 0})
        );
        assert_eq!(
            errors["rateLimits"]["rules"]["0"]["audience"]["code"],
            "validation_in_invalid"
        );
        assert_eq!(
            errors["rateLimits"]["rules"]["0"]["label"]["code"],
            "validation_required"
        );
        assert_eq!(errors["s3"]["secret"]["code"], "validation_required");
    }
}
