//! Sending the auth emails: the mail part of the settings document, an SMTP [`Mailer`] built on
//! lettre, and a way to send without making the client wait.
//!
//! The mailer is built from the settings for every message, so a `PATCH /api/settings` takes
//! effect on the next mail without a restart, as in PocketBase.
//!
//! What we do not do: when `smtp.enabled` is false PocketBase falls back to the local
//! `sendmail` binary. We never spawn programs from the server; the message is logged (without
//! its body, which carries tokens) and dropped, and the send reports
//! [`MailError::NotConfigured`], so callers behave as PocketBase does on a host without
//! `sendmail` (a used OTP is discarded, request-email-change answers 400).

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Message, SmtpTransport, Transport};
use pb_core::ports::{MailError, MailMessage, Mailer, StoreTx};
use pb_core::settings::{defaults, SETTINGS_KEY};
use pb_core::StoreError;
use serde_json::Value;

/// How long one SMTP conversation may take (connect, each command) before it is given up.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// The `smtp` section of the settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SmtpSettings {
    pub enabled: bool,
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
    /// `PLAIN` (the default when empty) or `LOGIN`.
    pub auth_method: String,
    /// Implicit TLS (SMTPS, usually port 465). Without it STARTTLS is used when the server
    /// offers it.
    pub tls: bool,
    /// The EHLO name; the machine's host name when empty.
    pub local_name: String,
}

/// What the auth emails need from the settings: the `meta` sender and app identity, and SMTP.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailSettings {
    pub app_name: String,
    pub app_url: String,
    pub sender_name: String,
    pub sender_address: String,
    pub smtp: SmtpSettings,
}

fn text_at(value: &Value, path: &[&str]) -> String {
    path.iter()
        .try_fold(value, |current, key| current.get(key))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

impl MailSettings {
    /// Reads the stored settings document (over the defaults, secrets included).
    pub fn read(tx: &mut dyn StoreTx) -> Result<MailSettings, StoreError> {
        let mut settings = defaults();
        if let Some(stored) = tx.get_param(SETTINGS_KEY)? {
            pb_core::json_merge::merge(&mut settings, &stored);
        }
        Ok(MailSettings::from_json(&settings))
    }

    /// The mail settings of a full settings document.
    pub fn from_json(settings: &Value) -> MailSettings {
        let smtp = &settings["smtp"];
        let port = smtp["port"]
            .as_f64()
            .filter(|port| *port >= 1.0 && *port <= f64::from(u16::MAX))
            .map_or(0, |port| port as u16);
        MailSettings {
            app_name: text_at(settings, &["meta", "appName"]),
            app_url: text_at(settings, &["meta", "appURL"]),
            sender_name: text_at(settings, &["meta", "senderName"]),
            sender_address: text_at(settings, &["meta", "senderAddress"]),
            smtp: SmtpSettings {
                enabled: smtp["enabled"].as_bool().unwrap_or(false),
                host: text_at(smtp, &["host"]),
                port,
                username: text_at(smtp, &["username"]),
                password: text_at(smtp, &["password"]),
                auth_method: text_at(smtp, &["authMethod"]),
                tls: smtp["tls"].as_bool().unwrap_or(false),
                local_name: text_at(smtp, &["localName"]),
            },
        }
    }

    /// The mailer these settings describe.
    pub fn mailer(&self) -> Arc<dyn Mailer> {
        if self.smtp.enabled {
            Arc::new(SmtpMailer {
                settings: self.smtp.clone(),
            })
        } else {
            Arc::new(DisabledMailer)
        }
    }
}

/// The mailer of disabled SMTP: logs and drops every message (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct DisabledMailer;

impl Mailer for DisabledMailer {
    fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        tracing::warn!(
            to = ?message.to,
            subject = %message.subject,
            "SMTP is disabled in the settings; the email was not sent"
        );
        Err(MailError::NotConfigured)
    }
}

/// Sends through an SMTP server with lettre's blocking transport, one connection per message.
#[derive(Debug, Clone)]
pub struct SmtpMailer {
    pub settings: SmtpSettings,
}

/// Whether `host` is this machine, where credentials may travel without TLS.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl SmtpMailer {
    /// The transport: implicit TLS when `tls`; otherwise STARTTLS when offered, and required
    /// when credentials would be sent to another machine (they never travel in clear text,
    /// which is also what Go's SMTP client PocketBase uses insists on).
    fn transport(&self) -> Result<SmtpTransport, MailError> {
        let smtp = &self.settings;
        let has_credentials = !smtp.username.is_empty() || !smtp.password.is_empty();
        let parameters = TlsParameters::new(smtp.host.clone())
            .map_err(|error| MailError::Transport(error.to_string()))?;
        let tls = if smtp.tls {
            Tls::Wrapper(parameters)
        } else if has_credentials && !is_loopback(&smtp.host) {
            Tls::Required(parameters)
        } else {
            Tls::Opportunistic(parameters)
        };
        let mut builder = SmtpTransport::builder_dangerous(smtp.host.as_str())
            .port(smtp.port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT));
        if has_credentials {
            let mechanism = if smtp.auth_method.eq_ignore_ascii_case("LOGIN") {
                Mechanism::Login
            } else {
                Mechanism::Plain
            };
            builder = builder
                .credentials(Credentials::new(
                    smtp.username.clone(),
                    smtp.password.clone(),
                ))
                .authentication(vec![mechanism]);
        }
        if !smtp.local_name.is_empty() {
            builder = builder.hello_name(ClientId::Domain(smtp.local_name.clone()));
        }
        Ok(builder.build())
    }
}

fn mailbox(name: &str, address: &str) -> Result<Mailbox, MailError> {
    let address = address
        .trim()
        .parse()
        .map_err(|_| MailError::InvalidMessage(format!("invalid address {address:?}")))?;
    let name = (!name.is_empty()).then(|| name.to_string());
    Ok(Mailbox::new(name, address))
}

/// The MIME message: `multipart/alternative` with the text and HTML bodies.
fn build_message(message: &MailMessage) -> Result<Message, MailError> {
    let mut builder = Message::builder()
        .from(mailbox(&message.from_name, &message.from_address)?)
        .subject(message.subject.as_str())
        .message_id(None);
    for to in &message.to {
        builder = builder.to(mailbox("", to)?);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            message.text.clone(),
            message.html.clone(),
        ))
        .map_err(|error| MailError::InvalidMessage(error.to_string()))
}

impl Mailer for SmtpMailer {
    fn send(&self, message: &MailMessage) -> Result<(), MailError> {
        let email = build_message(message)?;
        self.transport()?
            .send(&email)
            .map(|_| ())
            .map_err(|error| MailError::Transport(error.to_string()))
    }
}

/// Sends `message` on a blocking thread without waiting for it, then hands the outcome to
/// `after` on that thread (to record `sentTo`, drop an undeliverable OTP, or log).
///
/// Runs on the async runtime's blocking pool when there is one (handlers run inside it),
/// otherwise on a thread of its own.
pub fn send_in_background(
    mailer: Arc<dyn Mailer>,
    message: MailMessage,
    after: impl FnOnce(Result<(), MailError>) + Send + 'static,
) {
    let job = move || {
        let outcome = mailer.send(&message);
        if let Err(error) = &outcome {
            tracing::error!(%error, to = ?message.to, subject = %message.subject, "sending an email failed");
        }
        after(outcome);
    };
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn_blocking(job);
        }
        Err(_) => {
            if let Err(error) = std::thread::Builder::new()
                .name("pb-mail".into())
                .spawn(job)
            {
                tracing::error!(%error, "cannot start a thread to send an email");
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_fall_back_to_the_defaults() {
        let mut settings = defaults();
        pb_core::json_merge::merge(
            &mut settings,
            &json!({"smtp": {"enabled": true, "host": "127.0.0.1", "port": 2525,
                             "password": "secret"},
                    "meta": {"appName": "Demo"}}),
        );
        let mail = MailSettings::from_json(&settings);
        assert_eq!(mail.app_name, "Demo");
        assert_eq!(mail.sender_address, "support@example.com");
        assert_eq!(mail.app_url, "http://localhost:8090");
        assert!(mail.smtp.enabled);
        assert_eq!(mail.smtp.port, 2525);
        assert_eq!(mail.smtp.password, "secret");
        assert!(!mail.smtp.tls);
    }

    #[test]
    fn disabled_smtp_drops_messages_with_an_error() {
        let settings = MailSettings::from_json(&defaults());
        let outcome = settings.mailer().send(&MailMessage::default());
        assert_eq!(outcome, Err(MailError::NotConfigured));
    }

    #[test]
    fn messages_are_multipart_alternatives_with_a_named_sender() {
        let message = MailMessage {
            from_name: "Support".into(),
            from_address: "support@example.com".into(),
            to: vec!["user@example.com".into()],
            subject: "Hello".into(),
            html: "<p>Hi</p>".into(),
            text: "Hi".into(),
        };
        let formatted = String::from_utf8(build_message(&message).unwrap().formatted()).unwrap();
        assert!(formatted.contains("From: Support <support@example.com>"));
        assert!(formatted.contains("To: user@example.com"));
        assert!(formatted.contains("Subject: Hello"));
        assert!(formatted.contains("Message-ID: <"));
        assert!(formatted.contains("multipart/alternative"));
        let bad = MailMessage {
            to: vec!["not an address".into()],
            ..message
        };
        assert!(matches!(
            build_message(&bad),
            Err(MailError::InvalidMessage(_))
        ));
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        assert!(is_loopback("localhost"));
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("[::1]"));
        assert!(!is_loopback("smtp.example.com"));
        assert!(!is_loopback("10.0.0.1"));
    }
}
