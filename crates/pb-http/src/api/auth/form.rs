//! The small forms of the auth endpoints (`{email}`, `{token, password, passwordConfirm}`, …):
//! reading their keys from a request body and the field checks they share, with PocketBase's
//! codes and messages.

use actix_web::HttpRequest;
use pb_core::FieldError;
use serde_json::{json, Map, Value};

use crate::auth::origins::ClientInfo;
use crate::error::ApiError;

/// The message of a body that does not fit the form (a number where text belongs, …).
pub const LOAD_FAILED: &str = "An error occurred while loading the submitted data.";
/// The message of a form with field errors.
pub const INVALID_FORM: &str = "An error occurred while validating the submitted data.";

/// A text key of the form: absent or `null` is `""`; anything but a string is a 400
/// [`LOAD_FAILED`], as a typed form would refuse it.
pub fn text(input: &Map<String, Value>, key: &str) -> Result<String, ApiError> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(_) => Err(ApiError::bad_request(LOAD_FAILED)),
    }
}

/// "Cannot be blank." when `value` is empty.
pub fn required(value: &str) -> Option<FieldError> {
    value.is_empty().then(FieldError::required)
}

/// A length outside `min..=max` characters.
pub fn length(value: &str, min: usize, max: usize) -> Option<FieldError> {
    let count = value.chars().count();
    (count < min || count > max).then(|| {
        FieldError::new(
            "validation_length_out_of_range",
            format!("The length must be between {min} and {max}."),
        )
        .with_params(json!({"min": min, "max": max}))
    })
}

/// Whether `email` looks like an address with a dotted domain.
pub fn is_email(email: &str) -> bool {
    email_address::EmailAddress::is_valid(email)
        && email
            .rsplit_once('@')
            .is_some_and(|(_, domain)| domain.contains('.') && !domain.ends_with('.'))
}

/// Reads a `{email}` form (request-verification, request-password-reset, request-otp): the
/// body as read, then the email checked with [`check_email`]; errors in PocketBase's shape.
pub fn email_form(body: Result<Map<String, Value>, ApiError>) -> Result<String, ApiError> {
    let input = body.map_err(|error| error.reword_malformed(LOAD_FAILED))?;
    let email = text(&input, "email")?;
    if let Some(error) = check_email(&email) {
        return Err(ApiError::validation(
            INVALID_FORM,
            &pb_core::ValidationErrors::single("email", error),
        ));
    }
    Ok(email)
}

/// The checks of an `email` form key: required, 1..255 characters, email syntax.
pub fn check_email(email: &str) -> Option<FieldError> {
    required(email)
        .or_else(|| length(email, 1, 255))
        .or_else(|| {
            (!is_email(email))
                .then(|| FieldError::new("validation_is_email", "Must be a valid email address."))
        })
}

/// "Values don't match."
pub fn values_mismatch() -> FieldError {
    FieldError::new("validation_values_mismatch", "Values don't match.")
}

/// "Invalid or expired token." on a `token` key.
pub fn invalid_token() -> FieldError {
    FieldError::new("validation_invalid_token", "Invalid or expired token.")
}

/// A token that belongs to another auth collection than the route's.
pub fn token_collection_mismatch() -> FieldError {
    FieldError::new(
        "validation_token_collection_mismatch",
        "The provided token is for different auth collection.",
    )
}

/// The client's address and user agent, for login origins. The address is the TCP peer's.
pub fn client_info(request: &HttpRequest) -> ClientInfo {
    let ip = request
        .peer_addr()
        .map(|address| address.ip().to_string())
        .unwrap_or_default();
    let user_agent = request
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_string();
    ClientInfo { ip, user_agent }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn email_checks_follow_the_form_order() {
        assert_eq!(check_email("").unwrap().code, "validation_required");
        assert_eq!(check_email("nope").unwrap().code, "validation_is_email");
        assert_eq!(
            check_email("a@localhost").unwrap().code,
            "validation_is_email"
        );
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(
            check_email(&long).unwrap().code,
            "validation_length_out_of_range"
        );
        assert!(check_email("ann@example.com").is_none());
    }

    #[test]
    fn text_keys_must_be_strings() {
        let input = json!({"a": "x", "b": 1, "c": null})
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert_eq!(text(&input, "a").ok().as_deref(), Some("x"));
        assert_eq!(text(&input, "c").ok().as_deref(), Some(""));
        assert_eq!(text(&input, "missing").ok().as_deref(), Some(""));
        assert!(text(&input, "b").is_err());
    }
}
