//! The parts of the settings every request consults (`logs`, `rateLimits`, `trustedProxy`),
//! kept parsed in memory so that the request path never reads `_params`.
//!
//! Loaded at start-up and replaced whole after each committed settings change; readers take an
//! `Arc` of the current snapshot, so a request sees one consistent version.

use std::sync::{Arc, RwLock};

use pb_core::settings::defaults;
use serde_json::{json, Value};

/// `settings.logs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsSettings {
    /// Days logs are kept; 0 turns request logging off.
    pub max_days: i64,
    /// Logs below this slog level are not stored.
    pub min_level: i64,
    /// Whether `userIP`/`remoteIP` are stored.
    pub log_ip: bool,
    /// Whether `authId` is stored.
    pub log_auth_id: bool,
}

/// Who a rate limit rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// `""`: everyone.
    All,
    /// `"@guest"`: requests without a valid auth token.
    Guest,
    /// `"@auth"`: requests with a valid (non-superuser) auth token.
    Auth,
}

impl Audience {
    fn parse(text: &str) -> Audience {
        match text {
            "@guest" => Audience::Guest,
            "@auth" => Audience::Auth,
            _ => Audience::All,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Audience::All => "",
            Audience::Guest => "@guest",
            Audience::Auth => "@auth",
        }
    }
}

/// One `settings.rateLimits.rules` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitRule {
    /// `/api/` (a path prefix, ending with `/`), `POST /api/batch`, `users:create`, `*:auth`.
    pub label: String,
    pub max_requests: u64,
    /// The window, in seconds.
    pub duration: u64,
    pub audience: Audience,
}

impl RateLimitRule {
    /// The rule as PocketBase prints it in a log's `details`.
    pub fn to_json_text(&self) -> String {
        json!({
            "label": self.label,
            "audience": self.audience.as_str(),
            "duration": self.duration,
            "maxRequests": self.max_requests,
        })
        .to_string()
    }
}

/// `settings.rateLimits`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitSettings {
    pub enabled: bool,
    pub rules: Vec<RateLimitRule>,
    /// IPs and CIDR subnets never limited.
    pub excluded_ips: Vec<String>,
}

/// `settings.trustedProxy`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrustedProxy {
    /// Header names to take the client IP from, in order.
    pub headers: Vec<String>,
    pub use_leftmost_ip: bool,
}

/// One parsed version of the request-path settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSettings {
    pub logs: LogsSettings,
    pub rate_limits: RateLimitSettings,
    pub trusted_proxy: TrustedProxy,
    /// Addresses and subnets superusers may act from; empty: anywhere.
    pub superuser_ips: Vec<String>,
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn integer(value: &Value) -> i64 {
    value
        .as_i64()
        .or_else(|| value.as_f64().map(|number| number as i64))
        .unwrap_or(0)
}

impl LiveSettings {
    /// Reads a settings document (stored or as served); missing keys take PocketBase's defaults.
    pub fn from_json(stored: &Value) -> LiveSettings {
        let mut settings = defaults();
        pb_core::json_merge::merge(&mut settings, stored);
        let logs = &settings["logs"];
        let limits = &settings["rateLimits"];
        let proxy = &settings["trustedProxy"];
        LiveSettings {
            logs: LogsSettings {
                max_days: integer(&logs["maxDays"]),
                min_level: integer(&logs["minLevel"]),
                log_ip: logs["logIP"].as_bool().unwrap_or(true),
                log_auth_id: logs["logAuthId"].as_bool().unwrap_or(false),
            },
            rate_limits: RateLimitSettings {
                enabled: limits["enabled"].as_bool().unwrap_or(false),
                rules: limits["rules"]
                    .as_array()
                    .map(|rules| {
                        rules
                            .iter()
                            .map(|rule| RateLimitRule {
                                label: rule["label"].as_str().unwrap_or("").to_string(),
                                max_requests: u64::try_from(integer(&rule["maxRequests"]))
                                    .unwrap_or(0),
                                duration: u64::try_from(integer(&rule["duration"])).unwrap_or(0),
                                audience: Audience::parse(rule["audience"].as_str().unwrap_or("")),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                excluded_ips: strings(&limits["excludedIPs"]),
            },
            trusted_proxy: TrustedProxy {
                headers: strings(&proxy["headers"]),
                use_leftmost_ip: proxy["useLeftmostIP"].as_bool().unwrap_or(false),
            },
            superuser_ips: strings(&settings["superuserIPs"]),
        }
    }
}

/// The current [`LiveSettings`], swapped whole.
#[derive(Debug)]
pub struct LiveSettingsCell {
    current: RwLock<Arc<LiveSettings>>,
}

impl LiveSettingsCell {
    pub fn new(settings: LiveSettings) -> LiveSettingsCell {
        LiveSettingsCell {
            current: RwLock::new(Arc::new(settings)),
        }
    }

    pub fn get(&self) -> Arc<LiveSettings> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub fn replace(&self, settings: LiveSettings) {
        let settings = Arc::new(settings);
        match self.current.write() {
            Ok(mut guard) => *guard = settings,
            Err(poisoned) => *poisoned.into_inner() = settings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_pocketbase_s() {
        let settings = LiveSettings::from_json(&json!({}));
        assert_eq!(
            settings.logs,
            LogsSettings {
                max_days: 5,
                min_level: 0,
                log_ip: true,
                log_auth_id: false
            }
        );
        assert!(!settings.rate_limits.enabled);
        let rules: Vec<(&str, u64, u64)> = settings
            .rate_limits
            .rules
            .iter()
            .map(|rule| (rule.label.as_str(), rule.max_requests, rule.duration))
            .collect();
        assert_eq!(
            rules,
            [
                ("*:auth", 2, 3),
                ("*:create", 20, 5),
                ("/api/batch", 3, 1),
                ("/api/", 300, 10)
            ]
        );
        assert_eq!(settings.trusted_proxy, TrustedProxy::default());
    }

    #[test]
    fn rules_print_as_pocketbase_logs_them() {
        let rule = RateLimitRule {
            label: "GET /api/health".into(),
            max_requests: 1,
            duration: 2,
            audience: Audience::Guest,
        };
        assert_eq!(
            rule.to_json_text(),
            r#"{"label":"GET /api/health","audience":"@guest","duration":2,"maxRequests":1}"#
        );
    }
}
