//! Outbound HTTP to OAuth2 providers: blocking (ureq), so callers must be on the blocking
//! pool; every request has a connect timeout and an overall deadline, and answers are read up
//! to a size limit.
//!
//! Avatars are downloaded through [`safe_agent`], which refuses to connect to loopback,
//! private, link-local, multicast or unspecified addresses: the avatar URL comes from the
//! provider's profile, which a user can often set, and must not become a way to probe the
//! server's own network (the check is on the resolved addresses the connection uses).

use std::io::Read;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use super::OAuth2Error;

/// The whole exchange with a provider (PocketBase allows 30 s).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Token and profile answers larger than this are refused.
const MAX_ANSWER: u64 = 1 << 20;
/// Avatars larger than this are not stored.
pub const MAX_AVATAR: u64 = 5 << 20;

/// An answer: status and body.
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirects(5)
        .build()
}

/// An agent that only connects to public addresses.
pub fn safe_agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(CONNECT_TIMEOUT)
        .timeout(Duration::from_secs(10))
        .redirects(5)
        .resolver(|address: &str| -> std::io::Result<Vec<SocketAddr>> {
            let resolved: Vec<SocketAddr> = address.to_socket_addrs()?.collect();
            let allowed: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|socket| is_public(socket.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!("{address} resolves to no public address"),
                ));
            }
            Ok(allowed)
        })
        .build()
}

/// Whether `ip` is a public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_unspecified()
                || v4.is_broadcast())
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            let unique_local = (first & 0xfe00) == 0xfc00;
            let link_local = (first & 0xffc0) == 0xfe80;
            let mapped_private = v6
                .to_ipv4_mapped()
                .is_some_and(|v4| !is_public(IpAddr::V4(v4)));
            !(v6.is_loopback()
                || v6.is_multicast()
                || v6.is_unspecified()
                || unique_local
                || link_local
                || mapped_private)
        }
    }
}

fn finish(
    url: &str,
    result: Result<ureq::Response, ureq::Error>,
    limit: u64,
) -> Result<Answer, OAuth2Error> {
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(ureq::Error::Transport(transport)) => {
            return Err(OAuth2Error::Transport {
                url: url.to_string(),
                reason: transport.to_string(),
            })
        }
    };
    let status = response.status();
    let content_type = response.content_type().to_string();
    let mut body = Vec::new();
    response
        .into_reader()
        .take(limit + 1)
        .read_to_end(&mut body)
        .map_err(|error| OAuth2Error::Transport {
            url: url.to_string(),
            reason: error.to_string(),
        })?;
    if body.len() as u64 > limit {
        return Err(OAuth2Error::Invalid(format!(
            "{url} answered more than {limit} bytes"
        )));
    }
    Ok(Answer {
        status,
        content_type,
        body,
    })
}

/// POSTs a form (with an `Authorization` header when given) and returns the answer whatever
/// its status.
pub fn post_form(
    url: &str,
    authorization: Option<&str>,
    form: &[(&str, &str)],
) -> Result<Answer, OAuth2Error> {
    let mut request = agent().post(url).set("Accept", "application/json");
    if let Some(authorization) = authorization {
        request = request.set("Authorization", authorization);
    }
    finish(url, request.send_form(form), MAX_ANSWER)
}

/// GETs `url` with a token's `Authorization` header (see [`super::user::Token::authorization`])
/// and any `headers` a provider asks for; the answer is returned whatever its status.
pub fn get_with_token(
    url: &str,
    authorization: &str,
    headers: &[(&str, &str)],
) -> Result<Answer, OAuth2Error> {
    let mut request = agent()
        .get(url)
        .set("Accept", "application/json")
        .set("Authorization", authorization);
    for (name, value) in headers {
        request = request.set(name, value);
    }
    finish(url, request.call(), MAX_ANSWER)
}

/// POSTs a JSON `body` with a token's `Authorization` header (the GraphQL profile queries of
/// Linear and monday.com); the answer is returned whatever its status.
pub fn post_json_with_token(
    url: &str,
    authorization: &str,
    body: &str,
) -> Result<Answer, OAuth2Error> {
    let result = agent()
        .post(url)
        .set("Accept", "application/json")
        .set("Content-Type", "application/json")
        .set("Authorization", authorization)
        .send_string(body);
    finish(url, result, MAX_ANSWER)
}

/// GETs `url` without credentials (JWKS documents).
pub fn get(url: &str) -> Result<Answer, OAuth2Error> {
    let result = agent().get(url).call();
    finish(url, result, MAX_ANSWER)
}

/// Downloads an avatar from a public address; statuses outside 200..=399 are errors.
pub fn download_avatar(url: &str) -> Result<Vec<u8>, OAuth2Error> {
    let result = safe_agent().get(url).call();
    let answer = finish(url, result, MAX_AVATAR)?;
    if !(200..=399).contains(&answer.status) {
        return Err(OAuth2Error::Status {
            url: url.to_string(),
            status: answer.status,
            body: String::new(),
        });
    }
    Ok(answer.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_pass() {
        for blocked in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.1.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            let ip: IpAddr = blocked.parse().unwrap_or(IpAddr::from([127, 0, 0, 1]));
            assert!(!is_public(ip), "{blocked}");
        }
        assert!(is_public(IpAddr::from([8, 8, 8, 8])));
    }

    #[test]
    fn the_safe_agent_refuses_loopback() {
        let error = download_avatar("http://127.0.0.1:9/a.png").err();
        assert!(matches!(error, Some(OAuth2Error::Transport { .. })));
    }
}
