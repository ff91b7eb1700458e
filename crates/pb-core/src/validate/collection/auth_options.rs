//! The checks of an auth collection's options: token lifetimes and secrets, email templates,
//! OTP/MFA settings, `manageRule` not being `""`, and identity fields that exist and have a
//! UNIQUE index (`data.passwordAuth.identityFields`).
//!
//! As in PocketBase, the identity-field and MFA checks only run once the plain option checks
//! pass. Enabled OAuth2 settings are checked by [`crate::oauth2::check_providers`].

use serde_json::json;

use crate::collection::{AuthOptions, Collection, EmailTemplate, TokenConfig};
use crate::error::{FieldError, ValidationErrors};
use crate::validate::record::errors;

use super::index::has_single_column_unique_index;

/// Token lifetimes are between 10 seconds and about three years.
const TOKEN_DURATION_RANGE: std::ops::RangeInclusive<i64> = 10..=94_670_856;
/// OTP and MFA windows are between 10 seconds and a day.
const SHORT_DURATION_RANGE: std::ops::RangeInclusive<i64> = 10..=86_400;
const SHORTEST_OTP: i64 = 4;

/// Adds the option errors of an auth collection to `errors`, keyed like the API JSON
/// (`authToken.duration`, `passwordAuth.identityFields`, …).
pub(super) fn check_auth_options(
    errors: &mut ValidationErrors,
    collection: &Collection,
    old: Option<&Collection>,
) {
    let default_options = AuthOptions::default();
    let options = collection.auth.as_ref().unwrap_or(&default_options);
    let rule_errors = rule_errors(options, old);
    let group_errors: Vec<(&str, ValidationErrors)> = option_group_errors(options)
        .into_iter()
        .filter(|(_, group)| !group.is_empty())
        .collect();
    let plain_checks_failed = !rule_errors.is_empty() || !group_errors.is_empty();
    for (key, error) in rule_errors {
        errors.add(key, error);
    }
    for (key, group) in group_errors {
        errors.nest(key, group);
    }
    if plain_checks_failed {
        return;
    }
    if let Some(error) = mfa_without_enough_auth_methods(options) {
        errors.nest("mfa", ValidationErrors::single("enabled", error));
    } else if let Some(error) = identity_fields_error(collection, options) {
        errors.nest(
            "passwordAuth",
            ValidationErrors::single("identityFields", error),
        );
    }
}

fn rule_errors(options: &AuthOptions, old: Option<&Collection>) -> Vec<(&'static str, FieldError)> {
    let mut errors = Vec::new();
    let old_options = old
        .filter(|old| old.system)
        .and_then(|old| old.auth.as_ref());
    if old_options.is_some_and(|old| old.auth_rule != options.auth_rule) {
        errors.push(("authRule", super::system_rule_change()));
    }
    if options.manage_rule.as_deref() == Some("") {
        errors.push((
            "manageRule",
            FieldError::new("validation_nil_or_not_empty_required", "Cannot be blank."),
        ));
    } else if old_options.is_some_and(|old| old.manage_rule != options.manage_rule) {
        errors.push(("manageRule", super::system_rule_change()));
    }
    errors
}

/// The errors of each option object, by its key.
fn option_group_errors(options: &AuthOptions) -> Vec<(&'static str, ValidationErrors)> {
    let mut groups = vec![
        (
            "authAlert",
            nested_template_errors(&options.auth_alert.email_template),
        ),
        ("otp", otp_errors(options)),
        ("mfa", mfa_errors(options)),
    ];
    if options.oauth2.enabled {
        groups.push((
            "oauth2",
            crate::oauth2::check_providers(&options.oauth2.providers),
        ));
    }
    for (key, config) in [
        ("authToken", &options.auth_token),
        ("passwordResetToken", &options.password_reset_token),
        ("emailChangeToken", &options.email_change_token),
        ("verificationToken", &options.verification_token),
        ("fileToken", &options.file_token),
    ] {
        groups.push((key, token_config_errors(config)));
    }
    for (key, template) in [
        ("verificationTemplate", &options.verification_template),
        ("resetPasswordTemplate", &options.reset_password_template),
        (
            "confirmEmailChangeTemplate",
            &options.confirm_email_change_template,
        ),
    ] {
        groups.push((key, template_errors(template)));
    }
    groups
}

fn otp_errors(options: &AuthOptions) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    if options.otp.enabled {
        if let Some(error) = duration_error(options.otp.duration, &SHORT_DURATION_RANGE) {
            errors.add("duration", error);
        }
        if options.otp.length == 0 {
            errors.add("length", errors::required());
        } else if options.otp.length < SHORTEST_OTP {
            errors.add(
                "length",
                errors::number_below_threshold(SHORTEST_OTP as f64),
            );
        }
    }
    errors.nest(
        "emailTemplate",
        template_errors(&options.otp.email_template),
    );
    errors
}

fn mfa_errors(options: &AuthOptions) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    if options.mfa.enabled {
        if let Some(error) = duration_error(options.mfa.duration, &SHORT_DURATION_RANGE) {
            errors.add("duration", error);
        }
    }
    errors
}

fn duration_error(duration: i64, range: &std::ops::RangeInclusive<i64>) -> Option<FieldError> {
    if duration == 0 {
        return Some(errors::required());
    }
    if duration < *range.start() {
        return Some(errors::number_below_threshold(*range.start() as f64));
    }
    (duration > *range.end()).then(|| errors::number_above_threshold(*range.end() as f64))
}

fn token_config_errors(config: &TokenConfig) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    let secret_length = config.secret.chars().count();
    if secret_length == 0 {
        errors.add("secret", errors::required());
    } else if !(30..=255).contains(&secret_length) {
        errors.add("secret", errors::length_out_of_range(30, 255));
    }
    if let Some(error) = duration_error(config.duration, &TOKEN_DURATION_RANGE) {
        errors.add("duration", error);
    }
    errors
}

fn template_errors(template: &EmailTemplate) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    if template.subject.is_empty() {
        errors.add("subject", errors::required());
    }
    if template.body.is_empty() {
        errors.add("body", errors::required());
    }
    errors
}

fn nested_template_errors(template: &EmailTemplate) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    errors.nest("emailTemplate", template_errors(template));
    errors
}

fn mfa_without_enough_auth_methods(options: &AuthOptions) -> Option<FieldError> {
    let enabled_methods = [
        options.password_auth.enabled,
        options.oauth2.enabled,
        options.otp.enabled,
    ]
    .into_iter()
    .filter(|enabled| *enabled)
    .count();
    (options.mfa.enabled && enabled_methods < 2).then(|| {
        FieldError::new(
            "validation_mfa_not_enough_auths",
            "MFA requires at least 2 auth methods to be enabled.",
        )
    })
}

/// With password auth on: at least one identity field, each an existing field with a
/// single-column UNIQUE index (the first failure is reported).
fn identity_fields_error(collection: &Collection, options: &AuthOptions) -> Option<FieldError> {
    let password_auth = &options.password_auth;
    if !password_auth.enabled {
        return None;
    }
    if password_auth.identity_fields.iter().all(String::is_empty) {
        return Some(errors::required());
    }
    password_auth.identity_fields.iter().find_map(|name| {
        if collection.field(name).is_none() {
            return Some(
                FieldError::new(
                    "validation_missing_field",
                    format!("Invalid or missing field {name}."),
                )
                .with_params(json!({ "fieldName": name })),
            );
        }
        (!has_single_column_unique_index(&collection.indexes, name)).then(|| {
            FieldError::new(
                "validation_missing_unique_constraint",
                format!("The field {name} doesn't have a UNIQUE constraint."),
            )
            .with_params(json!({ "fieldName": name }))
        })
    })
}
