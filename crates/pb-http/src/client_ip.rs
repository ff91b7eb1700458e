//! The IP address a request comes from, as PocketBase determines it: the connecting peer, or,
//! when the settings name trusted proxy headers (`trustedProxy.headers`), the address those
//! headers carry. Request logs (`userIP`) and rate limits (the client key) share it.
//!
//! Of a header sent more than once, the last value counts (the one the proxy itself added).
//! In a list like `X-Forwarded-For: client, proxy1`, the rightmost valid address is taken unless
//! `useLeftmostIP` is set, because clients can prepend addresses of their choosing. Invalid
//! entries are skipped. IPv6 addresses are written out in full, as Go's `StringExpanded`.

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::HeaderMap;

use crate::live_settings::TrustedProxy;

/// The peer's address, or `""` when unknown.
pub fn remote_ip(peer: Option<SocketAddr>) -> String {
    peer.map(|address| expanded(address.ip()))
        .unwrap_or_default()
}

/// The client's address: from the first trusted header that holds a valid one, else the peer's.
pub fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>, proxy: &TrustedProxy) -> String {
    for name in &proxy.headers {
        let Some(last) = headers.get_all(name.as_str()).last() else {
            continue;
        };
        let Ok(list) = last.to_str() else {
            continue;
        };
        if list.is_empty() {
            continue;
        }
        let parsed = |candidate: &str| candidate.trim().parse::<IpAddr>().ok();
        let found = if proxy.use_leftmost_ip {
            list.split(',').find_map(parsed)
        } else {
            list.rsplit(',').find_map(parsed)
        };
        if let Some(address) = found {
            return expanded(address);
        }
    }
    remote_ip(peer)
}

/// IPv4 as usual; IPv6 as eight groups of four hex digits.
fn expanded(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => v6
            .segments()
            .iter()
            .map(|segment| format!("{segment:04x}"))
            .collect::<Vec<_>>()
            .join(":"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn proxy(names: &[&str], use_leftmost_ip: bool) -> TrustedProxy {
        TrustedProxy {
            headers: names.iter().map(|name| name.to_string()).collect(),
            use_leftmost_ip,
        }
    }

    const PEER: Option<SocketAddr> = Some(SocketAddr::new(
        IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)),
        5000,
    ));

    #[test]
    fn untrusted_headers_are_ignored() {
        let map = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(client_ip(&map, PEER, &proxy(&[], false)), "10.0.0.1");
    }

    #[test]
    fn rightmost_valid_address_of_the_last_header_value_by_default() {
        let map = headers(&[
            ("x-forwarded-for", "9.9.9.9"),
            ("x-forwarded-for", "1.2.3.4, 5.6.7.8, junk"),
        ]);
        let trusted = proxy(&["X-Forwarded-For"], false);
        assert_eq!(client_ip(&map, PEER, &trusted), "5.6.7.8");
        let leftmost = proxy(&["X-Forwarded-For"], true);
        assert_eq!(client_ip(&map, PEER, &leftmost), "1.2.3.4");
    }

    #[test]
    fn falls_through_headers_to_the_peer() {
        let map = headers(&[("x-real-ip", "nonsense")]);
        let trusted = proxy(&["CF-Connecting-IP", "X-Real-IP"], false);
        assert_eq!(client_ip(&map, PEER, &trusted), "10.0.0.1");
        let map = headers(&[("x-real-ip", "::1")]);
        assert_eq!(
            client_ip(&map, PEER, &trusted),
            "0000:0000:0000:0000:0000:0000:0000:0001"
        );
        assert_eq!(remote_ip(None), "");
    }
}
