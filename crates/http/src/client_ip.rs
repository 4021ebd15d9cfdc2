//! The client's address, for login throttling and logs. Behind a reverse
//! proxy every request comes from the proxy, so the forwarded address is
//! taken — but only from proxies listed in `QIAO_TRUSTED_PROXIES`; anyone
//! else could write any address into the header and dodge the throttle.

use crate::server::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Addresses or networks (`10.0.0.1`, `10.0.0.0/8`, `::1`) whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses a comma-separated list; refuses anything that is not an address or network.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (addr, bits) = match item.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (item, None),
            };
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| format!("\"{item}\" is not an IP address or network"))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                Some(b) => b
                    .parse::<u8>()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| format!("\"{item}\" has a bad prefix length"))?,
                None => max,
            };
            out.push((addr, bits));
        }
        Ok(Self(out))
    }

    /// From `QIAO_TRUSTED_PROXIES`; an unparsable value trusts nobody and says so.
    pub fn from_env() -> Self {
        let value = std::env::var("QIAO_TRUSTED_PROXIES").unwrap_or_default();
        Self::parse(&value).unwrap_or_else(|e| {
            tracing::error!("QIAO_TRUSTED_PROXIES ignored: {e}");
            Self::default()
        })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|(net, bits)| in_network(ip, *net, *bits))
    }
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V4(_)) => a
            .to_ipv4_mapped()
            .is_some_and(|a| in_network(IpAddr::V4(a), net, bits)),
        (IpAddr::V4(_), IpAddr::V6(_)) => false,
    }
}

/// The address the proxy saw: the right-most entry of `X-Forwarded-For`
/// (the one the trusted proxy appended), else `Forwarded: for=`.
fn forwarded(headers: &HeaderMap) -> Option<IpAddr> {
    let xff = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .and_then(|s| s.trim().parse().ok());
    xff.or_else(|| {
        headers
            .get_all("forwarded")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split([',', ';']))
            .filter_map(|p| p.trim().strip_prefix("for="))
            .next_back()
            .and_then(|s| {
                let s = s.trim_matches('"');
                let s = s
                    .strip_prefix('[')
                    .map_or(s, |s| s.split(']').next().unwrap_or(s));
                s.parse::<IpAddr>()
                    .ok()
                    .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
            })
    })
}

/// The client's address as far as it can be trusted.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
        if trusted.contains(peer) {
            forwarded(headers).unwrap_or(peer)
        } else {
            peer
        }
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip());
        Ok(ClientIp(Self::resolve(
            peer,
            &parts.headers,
            &state.trusted_proxies,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.7")]);
        let nobody = TrustedProxies::default();
        assert_eq!(ClientIp::resolve(proxy, &h, &nobody), proxy);
        let trusted = TrustedProxies::parse("10.0.0.0/8, ::1").unwrap();
        assert_eq!(
            ClientIp::resolve(proxy, &h, &trusted),
            "203.0.113.7".parse::<IpAddr>().unwrap(),
            "the right-most entry is the one the proxy appended"
        );
        let stranger: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(ClientIp::resolve(stranger, &h, &trusted), stranger);
    }

    #[test]
    fn the_forwarded_header_is_read_too() {
        let proxy: IpAddr = "::1".parse().unwrap();
        let trusted = TrustedProxies::parse("::1").unwrap();
        let h = headers(&[("forwarded", "for=\"[2001:db8::5]:4711\";proto=https")]);
        assert_eq!(
            ClientIp::resolve(proxy, &h, &trusted),
            "2001:db8::5".parse::<IpAddr>().unwrap()
        );
        let h = headers(&[("forwarded", "for=198.51.100.17")]);
        assert_eq!(
            ClientIp::resolve(proxy, &h, &trusted),
            "198.51.100.17".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn bad_lists_are_refused() {
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.local").is_err());
        assert!(TrustedProxies::parse("").unwrap().0.is_empty());
    }
}
