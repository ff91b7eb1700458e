//! `POST /api/settings/test/email` (superusers only): `{email, template, collection?}` sends one
//! of an auth collection's five templates to `email` through the configured mailer and answers
//! 204 once the mail server took it, or 400 "Failed to send the test email." with field errors
//! or with the transport's error, as PocketBase does.
//!
//! Why the send is awaited (unlike the auth flows, which mail in the background): the point of
//! the endpoint is to tell the dashboard whether the SMTP settings work.
//!
//! The mail is made for a stand-in record of the collection that carries the given address, so
//! `{RECORD:…}` placeholders and the flow's token or code are filled just like in a real mail;
//! the token cannot sign anyone in (the stand-in's `tokenKey` is random and never stored).

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::ids::{new_record_id, random_string};
use pb_core::ports::MailMessage;
use pb_core::{Collection, FieldError, Record, ValidationErrors};
use serde_json::{Map, Value};

use crate::api::auth::form::check_email;
use crate::api::superuser::require_superuser;
use crate::auth::emails::{
    email_change_message, login_alert_message, otp_message, password_reset_message,
    verification_message,
};
use crate::auth::mail::MailSettings;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Schema};
use crate::txn;

/// The message of every failure of this endpoint.
const FAILED: &str = "Failed to send the test email.";
const LOAD_FAILED: &str = "An error occurred while loading the submitted data.";
/// The collection used when the body names none.
const DEFAULT_COLLECTION: &str = "_superusers";
/// What `{ALERT_INFO}` says in a test login alert.
const TEST_ALERT_INFO: &str = "Test device (127.0.0.1)";
/// The OTP id and password of a test OTP mail.
const TEST_OTP_ID: &str = "__pb_test_otp_id__";
const TEST_OTP_PASSWORD: &str = "123456";
const ALPHANUMERIC: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// The five templates, by the names the API takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestTemplate {
    Verification,
    PasswordReset,
    EmailChange,
    Otp,
    LoginAlert,
}

impl TestTemplate {
    fn parse(name: &str) -> Option<TestTemplate> {
        Some(match name {
            "verification" => TestTemplate::Verification,
            "password-reset" => TestTemplate::PasswordReset,
            "email-change" => TestTemplate::EmailChange,
            "otp" => TestTemplate::Otp,
            "login-alert" => TestTemplate::LoginAlert,
            _ => return None,
        })
    }
}

/// A checked request body.
#[derive(Debug, Clone)]
pub struct TestEmailForm {
    pub email: String,
    pub template: TestTemplate,
    pub collection: Arc<Collection>,
}

/// The string under `key`: absent and `null` read as empty, other non-strings cannot load.
fn text(body: &Map<String, Value>, key: &str) -> Result<String, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(_) => Err(ApiError::bad_request(LOAD_FAILED)),
    }
}

/// Reads and checks the body; every field's error is reported at once.
pub fn parse_form(body: &Map<String, Value>, schema: &Schema) -> Result<TestEmailForm, ApiError> {
    let email = text(body, "email")?;
    let template_name = text(body, "template")?;
    let mut collection_name = text(body, "collection")?;
    if collection_name.is_empty() {
        collection_name = DEFAULT_COLLECTION.to_string();
    }
    let mut errors = ValidationErrors::new();
    if let Some(error) = check_email(&email) {
        errors.add("email", error);
    }
    let template = TestTemplate::parse(&template_name);
    if template_name.is_empty() {
        errors.add("template", FieldError::required());
    } else if template.is_none() {
        errors.add(
            "template",
            FieldError::new("validation_in_invalid", "Must be a valid value."),
        );
    }
    let collection = schema
        .find(&collection_name)
        .filter(|collection| collection.is_auth());
    if collection.is_none() {
        errors.add(
            "collection",
            FieldError::new(
                "validation_invalid_auth_collection",
                "Must be a valid auth collection id or name.",
            ),
        );
    }
    match (template, collection) {
        (Some(template), Some(collection)) if errors.is_empty() => Ok(TestEmailForm {
            email,
            template,
            collection,
        }),
        _ => Err(ApiError::validation(FAILED, &errors)),
    }
}

/// The stand-in record the test mail is made for: a fresh id, a random `tokenKey`, the address.
fn stand_in_record(collection: &Collection, email: &str) -> Record {
    let mut record = Record::new(collection);
    record.set("id", Value::String(new_record_id()));
    record.set("tokenKey", Value::String(random_string(50, ALPHANUMERIC)));
    record.set("email", Value::String(email.to_string()));
    record
}

/// The test mail of `form`, or `None` if a token could not be signed.
pub fn test_message(settings: &MailSettings, form: &TestEmailForm) -> Option<MailMessage> {
    let collection = form.collection.as_ref();
    let record = stand_in_record(collection, &form.email);
    match form.template {
        TestTemplate::Verification => verification_message(settings, collection, &record),
        TestTemplate::PasswordReset => password_reset_message(settings, collection, &record),
        TestTemplate::EmailChange => {
            email_change_message(settings, collection, &record, &form.email)
        }
        TestTemplate::Otp => Some(otp_message(
            settings,
            collection,
            &record,
            TEST_OTP_ID,
            TEST_OTP_PASSWORD,
        )),
        TestTemplate::LoginAlert => Some(login_alert_message(
            settings,
            collection,
            &record,
            TEST_ALERT_INFO,
        )),
    }
}

/// PocketBase's wording for an error raised below the form: the raw error on its own line.
fn raw_failure(error: &str) -> ApiError {
    let mut message = format!("{FAILED} Raw error: \n{error}");
    if !message.ends_with(['.', '!', '?']) {
        message.push('.');
    }
    ApiError::bad_request(message)
}

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let token = bearer_token(&request);
    let body = read_object(&request, payload).await;
    let state = Arc::clone(&state.into_inner());
    run_blocking(move || {
        let settings = txn::read(state.store.as_ref(), "", |tx| {
            require_superuser(tx, &state.schema(), token.as_deref())?;
            Ok(MailSettings::read(tx)?)
        })?;
        let body = body.map_err(|error| error.reword_malformed(LOAD_FAILED))?;
        let form = parse_form(&body, &state.schema())?;
        let message = test_message(&settings, &form).ok_or_else(ApiError::internal)?;
        settings
            .mailer()
            .send(&message)
            .map_err(|error| raw_failure(&error.to_string()))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use pb_core::system::fresh_collections;
    use serde_json::json;

    fn schema() -> Schema {
        Schema::new(fresh_collections("2024-01-01 00:00:00.000Z"))
    }

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn an_empty_body_needs_email_and_template() {
        let error = parse_form(&body(json!({})), &schema()).unwrap_err();
        assert_eq!(error.message, FAILED);
        assert_eq!(
            error.data,
            json!({
                "email": {"code": "validation_required", "message": "Cannot be blank."},
                "template": {"code": "validation_required", "message": "Cannot be blank."},
            })
        );
    }

    #[test]
    fn bad_values_are_reported_per_field() {
        let error = parse_form(
            &body(json!({"email": "x", "template": "nope", "collection": "_mfas"})),
            &schema(),
        )
        .unwrap_err();
        assert_eq!(error.data["email"]["code"], "validation_is_email");
        assert_eq!(error.data["template"]["code"], "validation_in_invalid");
        assert_eq!(
            error.data["collection"]["code"],
            "validation_invalid_auth_collection"
        );
    }

    #[test]
    fn the_collection_defaults_to_superusers() {
        let form = parse_form(
            &body(json!({"email": "a@example.com", "template": "otp"})),
            &schema(),
        )
        .unwrap();
        assert_eq!(form.collection.name, "_superusers");
        assert_eq!(form.template, TestTemplate::Otp);
    }

    #[test]
    fn non_string_values_do_not_load() {
        let error = parse_form(&body(json!({"email": 1})), &schema()).unwrap_err();
        assert_eq!(error.message, LOAD_FAILED);
    }

    #[test]
    fn every_template_makes_a_mail_to_the_address() {
        let settings = MailSettings::from_json(&pb_core::settings::defaults());
        for template in [
            "verification",
            "password-reset",
            "email-change",
            "otp",
            "login-alert",
        ] {
            let form = parse_form(
                &body(json!({"email": "a@example.com", "template": template})),
                &schema(),
            )
            .unwrap();
            let message = test_message(&settings, &form).unwrap();
            assert_eq!(message.to, vec!["a@example.com".to_string()], "{template}");
            assert!(!message.subject.is_empty(), "{template}");
        }
    }

    #[test]
    fn raw_errors_end_as_a_sentence() {
        assert_eq!(
            raw_failure("no mail transport is configured").message,
            "Failed to send the test email. Raw error: \nno mail transport is configured."
        );
    }
}
