//! The syntax of email addresses and URLs as PocketBase accepts them, written from the behaviour
//! of a PocketBase 0.40.6 server (which uses Go's govalidator rules, not RFC parsers): no DNS
//! lookups, `a@b.c` is an email but `a@localhost` is not, `example.com` and `mailto:a@b.com` are
//! URLs but `javascript:alert(1)` is not.

use std::sync::LazyLock;

use regex::Regex;

/// Non-ASCII letters the email syntax accepts in local parts and domains.
const EMAIL_UNICODE: &str = r"\x{A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}";

/// PocketBase's email syntax: a dot-atom or quoted local part, then at least two domain labels
/// (letters, digits, `-._~` inside a label), the last one starting and ending with a letter.
static EMAIL_REGEX: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let atom = format!(r"[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~\-{EMAIL_UNICODE}]+");
    let local = format!(r#"(?:{atom}(?:\.{atom})*|"(?:[^"\\\r\n]|\\.)*")"#);
    let alnum = format!("[A-Za-z0-9{EMAIL_UNICODE}]");
    let alpha = format!("[A-Za-z{EMAIL_UNICODE}]");
    let inner = format!(r"[A-Za-z0-9\-._~{EMAIL_UNICODE}]");
    let label = format!("{alnum}(?:{inner}*{alnum})?");
    let top_label = format!("{alpha}(?:{inner}*{alpha})?");
    let pattern = format!(r"^{local}@(?:{label}\.)+{top_label}\.?$");
    Regex::new(&pattern).ok()
});

/// Whether `email` has PocketBase's email syntax (no DNS lookups).
pub(super) fn is_email(email: &str) -> bool {
    EMAIL_REGEX
        .as_ref()
        .is_some_and(|regex| regex.is_match(email))
}

/// Schemes a URL may name (one without a scheme is read as `http://`).
const URL_SCHEMES: [&str; 7] = ["http", "https", "ftp", "tcp", "udp", "ws", "wss"];

/// Whether `url` is a URL the way PocketBase judges it: an allowed scheme (or none, when the host
/// must then contain a dot, like `example.com`), a host name or IP, an optional numeric port, no
/// whitespace. `mailto:a@b.com` passes (it reads as user `mailto:a` at host `b.com`), as it does
/// in PocketBase.
pub(super) fn is_url(url: &str) -> bool {
    if url.len() <= 3 || url.chars().count() >= 2083 || url.starts_with('.') {
        return false;
    }
    if url.chars().any(char::is_whitespace) {
        return false;
    }
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    if scheme.is_some_and(|scheme| !URL_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str())) {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_and_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let Some((host, port)) = split_host_and_port(host_and_port) else {
        return false;
    };
    if port.is_some_and(|port| {
        port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit())
    }) {
        return false;
    }
    is_url_host(host, scheme.is_none())
}

fn split_host_and_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if let Some(bracketed) = authority.strip_prefix('[') {
        let (address, after) = bracketed.split_once(']')?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        return address
            .parse::<std::net::Ipv6Addr>()
            .is_ok()
            .then_some((authority, port));
    }
    Some(match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

fn is_url_host(host: &str, needs_dot: bool) -> bool {
    if host.starts_with('[') {
        return true;
    }
    if host.is_empty() || (needs_dot && !host.contains('.')) {
        return false;
    }
    if host
        .bytes()
        .all(|byte| byte.is_ascii_digit() || byte == b'.')
    {
        return host.parse::<std::net::Ipv4Addr>().is_ok();
    }
    let host = host.strip_suffix('.').unwrap_or(host);
    host.split('.').all(|label| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|character| {
                character.is_alphanumeric() || character == '-' || character == '_'
            })
    })
}

/// The host (with port) that onlyDomains/exceptDomains compare against: the authority of a
/// `scheme://` URL without its user info, `""` for URLs without `://`.
pub(super) fn url_host(url: &str) -> &str {
    let Some((_, rest)) = url.split_once("://") else {
        return "";
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_syntax_matches_the_server() {
        assert!(EMAIL_REGEX.is_some());
        for valid in [
            "a@b.c",
            "\"q\"@x.com",
            "u+t@example.com",
            "ü@exämple.com",
            "A@EXAMPLE.COM",
            "a@b_c.com",
            "first.last@sub.example.co.uk",
        ] {
            assert!(is_email(valid), "{valid}");
        }
        for invalid in [
            "a@b",
            "a b@c.com",
            "a@[127.0.0.1]",
            "a@-b.com",
            "a..b@c.com",
            ".a@c.com",
            "a@c..com",
            "a@localhost",
            " a@b.com",
            "not-an-email",
        ] {
            assert!(!is_email(invalid), "{invalid}");
        }
    }

    #[test]
    fn url_syntax_matches_the_server() {
        for valid in [
            "http://localhost",
            "http://localhost:8090/x",
            "https://127.0.0.1",
            "mailto:a@b.com",
            "http://a_b.com",
            "http://x",
            "https://example.com:99999",
            "https://Example.COM/path?q=1#f",
            "http://user:pw@example.com",
            "http://münchen.de",
            "ab.cd",
            "http://[::1]:80/",
            "https://example.com/ä",
            "ftp://example.com",
            "https://example.com/x?y=1",
        ] {
            assert!(is_url(valid), "{valid}");
        }
        for invalid in [
            "https://exa mple.com",
            "javascript:alert(1)",
            "//example.com",
            "http://-bad.com",
            "abc",
            "abcd",
            "a.b",
            "http://1.2.3",
            "file:///etc/passwd",
            "custom://thing",
            "http://.com",
            "not a url",
        ] {
            assert!(!is_url(invalid), "{invalid}");
        }
    }

    #[test]
    fn url_host_is_the_authority_of_scheme_urls() {
        assert_eq!(url_host("https://example.com/x"), "example.com");
        assert_eq!(
            url_host("https://u:p@example.com:8080/x"),
            "example.com:8080"
        );
        assert_eq!(url_host("example.com"), "");
    }
}
