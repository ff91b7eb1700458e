//! The five auth emails (verification, password reset, email change, OTP, login alert), made
//! from the collection's templates: placeholders filled, the body wrapped in a small HTML page,
//! and a plain-text alternative derived from it.
//!
//! Placeholders are `{APP_NAME}`, `{APP_URL}`, the flow's own (`{TOKEN}`, `{OTP}`, `{OTP_ID}`,
//! `{ALERT_INFO}`) and `{RECORD:field}` for every non-hidden field of the record (HTML-escaped
//! except for dates, numbers and booleans). They are replaced in one pass, so a value that
//! happens to contain `{TOKEN}` is never expanded again. Unknown `{…}` text is left as is.

use std::collections::HashMap;

use pb_core::collection::EmailTemplate;
use pb_core::ports::MailMessage;
use pb_core::{Collection, FieldKind, Record};
use serde_json::Value;

use super::mail::MailSettings;
use super::record_tokens::{sign_record_token, TokenType};
use super::token::TokenClaims;

/// The values of a template's placeholders, keyed with their braces (`{TOKEN}`).
pub type Placeholders = HashMap<String, String>;

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&#34;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// A field value as template text: strings as they are, `null` as nothing, anything else as
/// JSON.
fn value_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// `{APP_NAME}`, `{APP_URL}`, `{RECORD:…}` and the flow's own `extra` values (which win).
pub fn placeholders(
    settings: &MailSettings,
    collection: &Collection,
    record: &Record,
    extra: &[(&str, String)],
) -> Placeholders {
    let mut values = Placeholders::new();
    values.insert("{APP_NAME}".into(), settings.app_name.clone());
    values.insert("{APP_URL}".into(), settings.app_url.clone());
    for field in collection.fields.iter().filter(|field| !field.hidden) {
        let text = value_text(record.get(&field.name));
        let text = match field.kind {
            FieldKind::Autodate(_)
            | FieldKind::Date(_)
            | FieldKind::Bool(_)
            | FieldKind::Number(_) => text,
            _ => escape_html(&text),
        };
        values.insert(format!("{{RECORD:{}}}", field.name), text);
    }
    for (key, value) in extra {
        values.insert((*key).to_string(), value.clone());
    }
    values
}

/// Replaces every known `{…}` placeholder of `template` in one left-to-right pass.
pub fn fill(template: &str, values: &Placeholders) -> String {
    let mut filled = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        filled.push_str(&rest[..open]);
        let candidate = &rest[open..];
        let replaced = candidate.find('}').and_then(|close| {
            let key = &candidate[..=close];
            values.get(key).map(|value| (value, close))
        });
        match replaced {
            Some((value, close)) => {
                filled.push_str(value);
                rest = &candidate[close + 1..];
            }
            None => {
                filled.push('{');
                rest = &candidate[1..];
            }
        }
    }
    filled.push_str(rest);
    filled
}

/// The page an email body is shown in.
fn html_page(body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n\
         <style>\n\
         body {{ margin: 0; padding: 24px; font-family: sans-serif; font-size: 15px; \
         line-height: 1.5; color: #1a1a1a; background: #ffffff; }}\n\
         p {{ margin: 12px 0; }}\n\
         a.btn {{ display: inline-block; padding: 8px 20px; border-radius: 4px; \
         background: #1a1a1a; color: #ffffff !important; text-decoration: none; }}\n\
         </style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
}

fn decode_entities(text: &str) -> String {
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Source whitespace (line breaks included) as HTML renders it: one space per run.
fn collapse_whitespace(text: &str) -> String {
    let mut collapsed = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !in_space {
                collapsed.push(' ');
            }
            in_space = true;
        } else {
            collapsed.push(c);
            in_space = false;
        }
    }
    collapsed
}

/// The `href` of an `<a …>` tag, if it has one.
fn href_of(tag: &str) -> Option<String> {
    let start = tag.find("href=")? + "href=".len();
    let rest = &tag[start..];
    let quote = rest.chars().next()?;
    let value = if quote == '"' || quote == '\'' {
        let inner = &rest[1..];
        &inner[..inner.find(quote)?]
    } else {
        rest.split(|c: char| c.is_whitespace() || c == '>')
            .next()
            .unwrap_or("")
    };
    Some(decode_entities(value))
}

/// A readable plain-text version of an email body: source whitespace collapses as in HTML,
/// block tags and `<br>` become line breaks, links become `label (url)`, other tags are
/// dropped, entities decoded, runs of blank lines shortened to one.
pub fn html_to_text(html: &str) -> String {
    let mut text = String::new();
    let mut link: Option<(String, usize)> = None;
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&collapse_whitespace(&decode_entities(&rest[..open])));
        let Some(close) = rest[open..].find('>') else {
            rest = &rest[open..];
            break;
        };
        let tag = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        let closing = tag.starts_with('/');
        match name.as_str() {
            "style" | "script" | "head" if !closing => {
                let end = format!("</{name}");
                match rest.to_ascii_lowercase().find(&end) {
                    Some(position) => rest = &rest[position..],
                    None => rest = "",
                }
            }
            "a" if !closing => link = href_of(tag).map(|href| (href, text.len())),
            "a" => {
                if let Some((href, start)) = link.take() {
                    let label = text.get(start..).unwrap_or("").trim().to_string();
                    if label.is_empty() {
                        text.push_str(&href);
                    } else if label != href {
                        text.push_str(&format!(" ({href})"));
                    }
                }
            }
            "br" => text.push('\n'),
            "p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "li" | "tr" | "table" => {
                text.push('\n')
            }
            _ => {}
        }
    }
    text.push_str(&collapse_whitespace(&decode_entities(rest)));
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() && lines.last().is_none_or(|last| last.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|last| last.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// A message from the application's sender to `to`, from `template` with `values` filled in.
pub fn compose(
    settings: &MailSettings,
    template: &EmailTemplate,
    values: &Placeholders,
    to: &str,
) -> MailMessage {
    let body = fill(&template.body, values);
    MailMessage {
        from_name: settings.sender_name.clone(),
        from_address: settings.sender_address.clone(),
        to: vec![to.to_string()],
        subject: fill(&template.subject, values),
        text: html_to_text(&body),
        html: html_page(&body),
    }
}

/// The options of an auth collection (defaults for any other).
fn options(collection: &Collection) -> pb_core::AuthOptions {
    collection.auth.clone().unwrap_or_default()
}

/// A token of `token_type` for `record` carrying its current email (and `new_email`).
fn email_token(
    collection: &Collection,
    record: &Record,
    token_type: TokenType,
    new_email: Option<&str>,
) -> Option<String> {
    let claims = TokenClaims {
        email: Some(record.get_str("email").to_string()),
        new_email: new_email.map(str::to_string),
        ..TokenClaims::new(record.id(), &collection.id, token_type.claim())
    };
    sign_record_token(collection, record, token_type, claims, 0)
}

/// The "verify your email" message with a verification `{TOKEN}`; `None` if signing fails.
pub fn verification_message(
    settings: &MailSettings,
    collection: &Collection,
    record: &Record,
) -> Option<MailMessage> {
    let token = email_token(collection, record, TokenType::Verification, None)?;
    let values = placeholders(settings, collection, record, &[("{TOKEN}", token)]);
    let template = options(collection).verification_template;
    Some(compose(
        settings,
        &template,
        &values,
        record.get_str("email"),
    ))
}

/// The "reset your password" message with a password-reset `{TOKEN}`.
pub fn password_reset_message(
    settings: &MailSettings,
    collection: &Collection,
    record: &Record,
) -> Option<MailMessage> {
    let token = email_token(collection, record, TokenType::PasswordReset, None)?;
    let values = placeholders(settings, collection, record, &[("{TOKEN}", token)]);
    let template = options(collection).reset_password_template;
    Some(compose(
        settings,
        &template,
        &values,
        record.get_str("email"),
    ))
}

/// The "confirm your new email" message, sent to the new address, with an email-change
/// `{TOKEN}`.
pub fn email_change_message(
    settings: &MailSettings,
    collection: &Collection,
    record: &Record,
    new_email: &str,
) -> Option<MailMessage> {
    let token = email_token(collection, record, TokenType::EmailChange, Some(new_email))?;
    let values = placeholders(settings, collection, record, &[("{TOKEN}", token)]);
    let template = options(collection).confirm_email_change_template;
    Some(compose(settings, &template, &values, new_email))
}

/// The one-time password message (`{OTP}`, `{OTP_ID}`).
pub fn otp_message(
    settings: &MailSettings,
    collection: &Collection,
    record: &Record,
    otp_id: &str,
    password: &str,
) -> MailMessage {
    let values = placeholders(
        settings,
        collection,
        record,
        &[
            ("{OTP_ID}", otp_id.to_string()),
            ("{OTP}", password.to_string()),
        ],
    );
    let template = options(collection).otp.email_template;
    compose(settings, &template, &values, record.get_str("email"))
}

/// The new-login alert (`{ALERT_INFO}`, HTML-escaped here).
pub fn login_alert_message(
    settings: &MailSettings,
    collection: &Collection,
    record: &Record,
    info: &str,
) -> MailMessage {
    let values = placeholders(
        settings,
        collection,
        record,
        &[("{ALERT_INFO}", escape_html(info))],
    );
    let template = options(collection).auth_alert.email_template;
    compose(settings, &template, &values, record.get_str("email"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use pb_core::field::{BoolOptions, Field, TextOptions};
    use serde_json::json;

    fn collection() -> Collection {
        let mut secret = Field::new("secret", FieldKind::Text(TextOptions::default()));
        secret.hidden = true;
        Collection {
            id: "pbc_1".into(),
            auth: Some(pb_core::AuthOptions::default()),
            ..Collection::bare(
                "users",
                pb_core::CollectionType::Auth,
                vec![
                    Field::new("name", FieldKind::Text(TextOptions::default())),
                    Field::new("verified", FieldKind::Bool(BoolOptions::default())),
                    secret,
                ],
            )
        }
    }

    fn settings() -> MailSettings {
        MailSettings {
            app_name: "Acme".into(),
            app_url: "https://acme.test".into(),
            sender_name: "Support".into(),
            sender_address: "support@acme.test".into(),
            ..MailSettings::default()
        }
    }

    #[test]
    fn placeholders_are_filled_once_and_record_fields_escaped() {
        let collection = collection();
        let mut record = Record::new(&collection);
        record.set("name", json!("<b>Ann</b> {TOKEN}"));
        record.set("verified", json!(true));
        record.set("secret", json!("hidden"));
        let values = placeholders(
            &settings(),
            &collection,
            &record,
            &[("{TOKEN}", "tok".into())],
        );
        let filled = fill(
            "{APP_NAME} {RECORD:name} {RECORD:verified} {RECORD:secret} {TOKEN} {UNKNOWN} {",
            &values,
        );
        assert_eq!(
            filled,
            "Acme &lt;b&gt;Ann&lt;/b&gt; {TOKEN} true {RECORD:secret} tok {UNKNOWN} {"
        );
    }

    #[test]
    fn text_alternative_keeps_links_and_paragraphs() {
        let html = "<p>Hello,</p>\n<p>Click:</p>\n<p>\n  <a class=\"btn\" href=\"https://x.test/#/t/abc&amp;d\" \
                    target=\"_blank\">Verify</a>\n</p>\n<p>\n  Thanks,<br/>\n  Acme &amp; co\n</p>";
        assert_eq!(
            html_to_text(html),
            "Hello,\n\nClick:\n\nVerify (https://x.test/#/t/abc&d)\n\nThanks,\nAcme & co"
        );
        assert_eq!(html_to_text("<style>p{}</style>plain"), "plain");
    }

    #[test]
    fn composed_messages_come_from_the_sender() {
        let template = EmailTemplate {
            subject: "Welcome to {APP_NAME}".into(),
            body: "<p>Code {OTP}</p>".into(),
        };
        let values: Placeholders = [
            ("{APP_NAME}".to_string(), "Acme".to_string()),
            ("{OTP}".to_string(), "123".to_string()),
        ]
        .into_iter()
        .collect();
        let message = compose(&settings(), &template, &values, "ann@acme.test");
        assert_eq!(message.subject, "Welcome to Acme");
        assert_eq!(message.from_address, "support@acme.test");
        assert_eq!(message.to, vec!["ann@acme.test".to_string()]);
        assert!(message.html.contains("<p>Code 123</p>"));
        assert_eq!(message.text, "Code 123");
    }
}
