//! What an auth record's writer may do with its credentials: the `password` / `passwordConfirm` /
//! `oldPassword` form, the `email` and `verified` locks for writers without manage access, and
//! the `tokenKey` refresh that invalidates old tokens when the password or email changes.
//!
//! As in PocketBase, a failing form is reported on its own: field checks only run once the form
//! passes (so a mismatched `passwordConfirm` hides an invalid email).

use serde_json::{Map, Value};

use crate::error::ValidationErrors;

use super::coerce::to_text;
use super::draft::Draft;
use super::errors;
use super::Actor;

/// Body keys that belong to the form, never to a field.
pub(super) const FORM_ONLY_KEYS: [&str; 2] = ["passwordConfirm", "oldPassword"];

const PASSWORD: &str = "password";
const EMAIL: &str = "email";
const VERIFIED: &str = "verified";
const TOKEN_KEY: &str = "tokenKey";

/// The credential keys of a body, as text (`""` when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct PasswordForm {
    pub(super) password: String,
    pub(super) password_confirm: String,
    pub(super) old_password: String,
}

impl PasswordForm {
    pub(super) fn read(input: &Map<String, Value>) -> PasswordForm {
        let text = |key: &str| input.get(key).map(to_text).unwrap_or_default();
        PasswordForm {
            password: text(PASSWORD),
            password_confirm: text("passwordConfirm"),
            old_password: text("oldPassword"),
        }
    }
}

/// The form checks of an auth record write, all of them reported together.
pub(super) fn check_auth_form(
    draft: &Draft<'_>,
    form: &PasswordForm,
    actor: &Actor<'_>,
) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    let manages = actor.is_superuser || actor.is_manager;
    let is_new = draft.is_new();

    let stored_email = draft
        .stored_value(EMAIL)
        .and_then(Value::as_str)
        .unwrap_or("");
    let email = draft.value(EMAIL).as_str().unwrap_or("");
    if !is_new && !manages && email != stored_email {
        errors.add(EMAIL, errors::values_mismatch());
    }

    let stored_verified = draft
        .stored_value(VERIFIED)
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let verified = draft.value(VERIFIED).as_bool().unwrap_or(false);
    if !manages && verified != stored_verified {
        errors.add(VERIFIED, errors::values_mismatch());
    }

    let has_password = !form.password.is_empty();
    let has_confirm = !form.password_confirm.is_empty();
    let has_old = !form.old_password.is_empty();
    if (is_new || has_confirm || has_old) && !has_password {
        errors.add(PASSWORD, errors::required());
    }
    if (is_new || has_password || has_old) && !has_confirm {
        errors.add("passwordConfirm", errors::required());
    } else if form.password_confirm != form.password {
        errors.add("passwordConfirm", errors::values_mismatch());
    }
    if !is_new && !manages && (has_password || has_confirm) {
        if !has_old {
            errors.add("oldPassword", errors::required());
        } else if !old_password_matches(draft, form, actor) {
            errors.add(
                "oldPassword",
                crate::error::FieldError::new(
                    "validation_invalid_old_password",
                    "Missing or invalid old password.",
                ),
            );
        }
    }
    errors
}

fn old_password_matches(draft: &Draft<'_>, form: &PasswordForm, actor: &Actor<'_>) -> bool {
    let hash = draft
        .stored_value(PASSWORD)
        .and_then(Value::as_str)
        .unwrap_or("");
    !hash.is_empty() && actor.hasher.verify(&form.old_password, hash)
}

/// On update, gives the record a fresh `tokenKey` when its password or email changed and the
/// writer did not set a token key themselves (only superusers can).
pub(super) fn refresh_token_key_if_credentials_changed(draft: &mut Draft<'_>) {
    if draft.is_new() {
        return;
    }
    let token_key_kept = draft.stored_value(TOKEN_KEY) == Some(draft.value(TOKEN_KEY));
    let password_changed = draft
        .plain_passwords
        .get(PASSWORD)
        .is_some_and(|plain| !plain.is_empty());
    let email_changed = draft.stored_value(EMAIL) != Some(draft.value(EMAIL));
    if token_key_kept && (password_changed || email_changed) {
        draft.values.insert(
            TOKEN_KEY.to_string(),
            Value::String(crate::ids::new_secret()),
        );
    }
}
