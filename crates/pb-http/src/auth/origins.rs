//! Login origins (`_authOrigins`), kept when a collection has `authAlert.enabled`: a
//! fingerprint of the client (MD5 of IP and user agent, as PocketBase computes it, so rows of a
//! PocketBase data dir keep matching) per record, at most five per record. A login from a new
//! fingerprint sends the record a "new login" alert, except for the very first login.

use md5::{Digest, Md5};
use pb_core::ports::StoreTx;
use pb_core::{Collection, Record};
use serde_json::Value;

use super::refs::{new_row, rows_of_record};
use crate::txn::Failure;

/// Origins kept per record; the oldest are dropped to make room.
pub const MAX_ORIGINS: usize = 5;
/// User agents are cut to this many bytes before fingerprinting.
const MAX_USER_AGENT: usize = 200;

/// Where a request came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

impl ClientInfo {
    /// The user agent as PocketBase fingerprints and reports it (long ones cut, with `...`).
    fn short_user_agent(&self) -> String {
        if self.user_agent.len() <= MAX_USER_AGENT {
            return self.user_agent.clone();
        }
        let mut end = MAX_USER_AGENT;
        while !self.user_agent.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &self.user_agent[..end])
    }

    /// The fingerprint of this client: hex MD5 of the IP followed by the user agent.
    pub fn fingerprint(&self) -> String {
        let digest = Md5::digest(format!("{}{}", self.ip, self.short_user_agent()).as_bytes());
        format!("{digest:x}")
    }

    /// The `{ALERT_INFO}` text: `<datetime> - <ip> <user agent>`.
    pub fn alert_info(&self, now: &str) -> String {
        format!("{now} - {} {}", self.ip, self.short_user_agent())
    }
}

/// Records that `record` logged in from `client`. Returns whether the record should get a
/// new-login alert (a new fingerprint, not the first login ever, and an email to send it to).
pub fn remember_origin(
    tx: &mut dyn StoreTx,
    origins: &Collection,
    auth_collection: &Collection,
    record: &Record,
    client: &ClientInfo,
) -> Result<bool, Failure> {
    let fingerprint = client.fingerprint();
    let known = rows_of_record(tx, origins, auth_collection, record)?;
    let now = pb_core::datetime::now();
    if let Some(mut current) = known
        .iter()
        .find(|row| row.get_str("fingerprint") == fingerprint)
        .cloned()
    {
        current.set("updated", Value::String(now));
        tx.update_record(origins, &current)?;
        return Ok(false);
    }
    let is_first_login = known.is_empty();
    for stale in known.iter().skip(MAX_ORIGINS - 1) {
        tx.delete_record(origins, stale.id())?;
    }
    let mut row = new_row(origins, auth_collection, record, &now);
    row.set("fingerprint", Value::String(fingerprint));
    tx.insert_record(origins, &row)?;
    Ok(!is_first_login && !record.get_str("email").is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_md5_of_ip_and_user_agent() {
        let client = ClientInfo {
            ip: "127.0.0.1".into(),
            user_agent: "curl/8".into(),
        };
        assert_eq!(client.fingerprint(), "b13cc138e9f01b7bdbe0c10cda2c1ca4");
        let long = ClientInfo {
            ip: "1.2.3.4".into(),
            user_agent: "x".repeat(300),
        };
        assert_eq!(
            long.alert_info("now"),
            format!("now - 1.2.3.4 {}...", "x".repeat(200))
        );
    }
}
