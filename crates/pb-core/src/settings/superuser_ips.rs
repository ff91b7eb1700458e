//! The settings' `superuserIPs`: when the list is not empty, superusers may act only from
//! these addresses or subnets. Each entry is an IP address or a CIDR subnet.

use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::Value;

use crate::error::{FieldError, ValidationErrors};

/// The entries of `settings.superuserIPs` (strings only).
pub fn superuser_ips(settings: &Value) -> Vec<&str> {
    settings
        .get("superuserIPs")
        .and_then(Value::as_array)
        .map(|entries| entries.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Whether a superuser may act from `ip` under `settings`: always when the list is empty,
/// otherwise only from a listed address or from inside a listed subnet. An unknown client
/// address is not let in by a non-empty list.
pub fn superuser_ip_allowed(settings: &Value, ip: Option<IpAddr>) -> bool {
    ip_allowed(&superuser_ips(settings), ip)
}

/// [`superuser_ip_allowed`] for an already extracted list of entries.
pub fn ip_allowed<S: AsRef<str>>(entries: &[S], ip: Option<IpAddr>) -> bool {
    if entries.is_empty() {
        return true;
    }
    let Some(ip) = ip.map(canonical) else {
        return false;
    };
    entries
        .iter()
        .any(|entry| match parse_entry(entry.as_ref()) {
            Some(Entry::Address(address)) => canonical(address) == ip,
            Some(Entry::Subnet(subnet)) => subnet.contains(&ip),
            None => false,
        })
}

/// Errors by index for entries that are neither an IP address nor a CIDR subnet.
pub(crate) fn validate_superuser_ips(settings: &Value) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    let Some(entries) = settings.get("superuserIPs").and_then(Value::as_array) else {
        return errors;
    };
    for (index, entry) in entries.iter().enumerate() {
        if entry.as_str().and_then(parse_entry).is_none() {
            // The code is PocketBase's, misspelling included: clients may match on it.
            errors.add(
                &index.to_string(),
                FieldError::new(
                    "validation_invlaid_ip_or_subnet",
                    "Invalid IP or CIDR subnet.",
                ),
            );
        }
    }
    errors
}

enum Entry {
    Address(IpAddr),
    Subnet(IpNet),
}

/// An address or a subnet, written exactly (no surrounding spaces).
fn parse_entry(entry: &str) -> Option<Entry> {
    if entry.contains('/') {
        entry.parse::<IpNet>().ok().map(Entry::Subnet)
    } else {
        entry.parse::<IpAddr>().ok().map(Entry::Address)
    }
}

/// An IPv4 address mapped into IPv6 (`::ffff:1.2.3.4`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn an_empty_list_lets_everyone_in() {
        assert!(superuser_ip_allowed(
            &json!({"superuserIPs": []}),
            ip("8.8.8.8")
        ));
        assert!(superuser_ip_allowed(&json!({}), None));
    }

    #[test]
    fn listed_addresses_and_subnets_let_in_and_nothing_else() {
        let settings = json!({"superuserIPs": ["10.0.0.0/24", "1.2.3.4", "fe80::/10"]});
        assert!(superuser_ip_allowed(&settings, ip("10.0.0.77")));
        assert!(superuser_ip_allowed(&settings, ip("1.2.3.4")));
        assert!(superuser_ip_allowed(&settings, ip("::ffff:1.2.3.4")));
        assert!(superuser_ip_allowed(&settings, ip("fe80::1")));
        assert!(!superuser_ip_allowed(&settings, ip("10.0.1.1")));
        assert!(!superuser_ip_allowed(&settings, ip("127.0.0.1")));
        assert!(!superuser_ip_allowed(&settings, None));
    }

    #[test]
    fn entries_must_be_addresses_or_subnets() {
        let settings = json!({"superuserIPs": ["x", "10.0.0.1", "1.2.3.0/24", "::1", " 127.0.0.1", "1.2.3.4/33"]});
        let errors = validate_superuser_ips(&settings).to_json();
        assert_eq!(
            errors,
            json!({
                "0": {"code": "validation_invlaid_ip_or_subnet", "message": "Invalid IP or CIDR subnet."},
                "4": {"code": "validation_invlaid_ip_or_subnet", "message": "Invalid IP or CIDR subnet."},
                "5": {"code": "validation_invlaid_ip_or_subnet", "message": "Invalid IP or CIDR subnet."}
            })
        );
    }
}
