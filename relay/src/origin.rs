//! Which pages may talk to the relay.
//!
//! A store lists the exact origins (`scheme://host[:port]`) allowed to embed its widget; the
//! special entry `self` allows the relay's own pages, which is what the demo store uses so that
//! the demo works on any address and port. The check applies to browsers: they always send
//! `Origin` on WebSocket handshakes and cross-origin calls. Clients that send none (the terminal
//! agent, tests) are not browsers, and an origin check would not stop them anyway.

use axum::http::{header, HeaderMap};
use protocol::ErrorCode;

use crate::error::Error;
use crate::store::StoreRecord;

/// Whether the request's origin may use this store (`origin_not_allowed` if not).
pub fn origin_allowed(store: &StoreRecord, headers: &HeaderMap) -> Result<(), Error> {
    let Some(origin) = headers.get(header::ORIGIN) else { return Ok(()) };
    let origin = origin.to_str().unwrap_or_default();
    let allowed = store.origins.iter().any(|o| o == origin || (o == "self" && is_same_origin(origin, headers)));
    if allowed {
        return Ok(());
    }
    tracing::info!(store = ?store.key, ?origin, "origin not allowed");
    Err(Error::new(ErrorCode::OriginNotAllowed, format!("the origin {origin:?} may not use store {:?}", store.key)))
}

/// Refuses browsers on other sites (cross-site WebSocket hijacking of the agent socket).
pub fn same_origin_only(headers: &HeaderMap) -> Result<(), Error> {
    match headers.get(header::ORIGIN).map(|o| o.to_str().unwrap_or_default()) {
        None => Ok(()),
        Some(origin) if is_same_origin(origin, headers) => Ok(()),
        Some(origin) => {
            Err(Error::new(ErrorCode::OriginNotAllowed, format!("the origin {origin:?} may not open agent sessions")))
        }
    }
}

/// Whether `origin` names the relay's own origin: the scheme it was reached by (`https` behind a
/// proxy sending `X-Forwarded-Proto: https`, else `http`), the host and the port.
pub fn is_same_origin(origin: &str, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else { return false };
    let forwarded = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).map(str::trim);
    let scheme = if forwarded.is_some_and(|p| p.eq_ignore_ascii_case("https")) { "https" } else { "http" };
    let Some((their_scheme, authority)) = origin.split_once("://") else { return false };
    their_scheme.eq_ignore_ascii_case(scheme) && authority.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: &str, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ORIGIN, origin.parse().unwrap());
        h.insert(header::HOST, host.parse().unwrap());
        h
    }

    fn store(origins: &[&str]) -> StoreRecord {
        StoreRecord {
            id: 1,
            key: "k".into(),
            name: "K".into(),
            origins: origins.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn exact_origins_and_self_are_allowed_and_nothing_else() {
        let shop = store(&["https://shop.example"]);
        assert!(origin_allowed(&shop, &headers("https://shop.example", "relay.example")).is_ok());
        assert!(origin_allowed(&shop, &headers("https://evil.example", "relay.example")).is_err());
        assert!(origin_allowed(&shop, &headers("http://shop.example", "relay.example")).is_err());
        let demo = store(&["self"]);
        assert!(origin_allowed(&demo, &headers("http://127.0.0.1:9000", "127.0.0.1:9000")).is_ok());
        assert!(origin_allowed(&demo, &headers("http://127.0.0.1:9001", "127.0.0.1:9000")).is_err());
    }
}
