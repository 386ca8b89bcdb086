//! The accept loop: every TCP connection passes here before any HTTP is read.
//!
//! axum's own `serve` has no header read timeout and no per-address cap, so one address could
//! hold a thousand half-sent requests open and starve the process of files (slowloris). This
//! loop serves HTTP/1.1 with hyper directly and
//!
//! - closes a connection whose request headers have not all arrived within
//!   [`HEADER_READ_TIMEOUT`], and an idle keep-alive connection after the same time (hyper starts
//!   the header timer again whenever a connection waits for its next request);
//! - holds at most `connections_per_address` open connections per client address (IPv6 per
//!   prefix), counting upgraded WebSockets until they close; more are closed at once;
//! - takes at most `new_connections_per_second` new connections per client address (ten
//!   seconds' worth at once); a flood beyond is closed before any HTTP is parsed;
//! - keeps accepting after "too many open files", after a short pause, instead of spinning;
//! - turns Nagle's algorithm off (chat frames must leave at once);
//! - gives handlers the client's address as `ConnectInfo`: the peer's, or, when the peer is a
//!   trusted proxy (`--trust-forwarded-for`), the last untrusted address of `X-Forwarded-For`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use ipnet::IpNet;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::Service;

use crate::limits::ClientKey;

/// How long a client may take to send a request's headers, and how long a keep-alive
/// connection may wait idle for its next request.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Addresses whose `X-Forwarded-For` is believed: the shop's reverse proxies.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and networks (`10.0.0.1,192.168.0.0/16,::1`).
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let net = match part.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => part
                    .parse::<IpAddr>()
                    .map(IpNet::from)
                    .map_err(|_| format!("{part:?} is not an address or network (like 10.0.0.1 or 10.0.0.0/8)"))?,
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the peer's own, unless the peer is trusted, then the nearest
    /// untrusted address in `X-Forwarded-For` (proxies append, so it is read from the right).
    pub fn client(&self, peer: SocketAddr, headers: &axum::http::HeaderMap) -> SocketAddr {
        if !self.trusts(peer.ip()) {
            return peer;
        }
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in hops.into_iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>() else { return peer };
            if !self.trusts(ip) {
                return SocketAddr::new(canonical(ip), peer.port());
            }
        }
        peer
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// How the accept loop protects itself.
#[derive(Debug, Clone)]
pub struct Guards {
    /// Open connections one client address may hold.
    pub per_address: usize,
    /// The IPv6 prefix that counts as one address.
    pub ipv6_prefix: u8,
    /// Proxies whose connections are not capped and whose `X-Forwarded-For` is believed.
    pub trusted: TrustedProxies,
    /// How long a request's headers may take, and an idle keep-alive connection may wait.
    pub header_read_timeout: Duration,
    /// New connections per second from one client address (ten seconds' worth at once).
    pub new_per_second: std::num::NonZeroU32,
}

/// Open connections per client address.
#[derive(Default)]
struct OpenCounts(Mutex<HashMap<ClientKey, usize>>);

impl OpenCounts {
    fn enter(self: &Arc<Self>, key: ClientKey, most: usize) -> Option<Counted> {
        let mut counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let count = counts.entry(key).or_default();
        if *count >= most {
            return None;
        }
        *count += 1;
        Some(Counted { counts: self.clone(), key })
    }
}

/// One open connection, counted until dropped.
struct Counted {
    counts: Arc<OpenCounts>,
    key: ClientKey,
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// A TCP stream that holds its place in the per-address count for as long as it lives, also
/// after hyper hands it over to a WebSocket.
struct CountedStream {
    tcp: TcpStream,
    _place: Option<Counted>,
}

impl AsyncRead for CountedStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for CountedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }
}

/// Serves `router` on `listener` until `stop` is cancelled; then lets requests in flight
/// finish (upgraded sockets watch `stop` themselves).
#[allow(clippy::expect_used)] // each expect states an invariant that holds
pub async fn serve(listener: TcpListener, router: Router, guards: Guards, stop: CancellationToken) {
    let counts = Arc::new(OpenCounts::default());
    let burst = guards.new_per_second.saturating_mul(std::num::NonZeroU32::new(10).expect("non-zero"));
    let arrivals: governor::DefaultKeyedRateLimiter<ClientKey> =
        governor::RateLimiter::keyed(governor::Quota::per_second(guards.new_per_second).allow_burst(burst));
    let mut forget = tokio::time::interval(Duration::from_secs(60));
    let connections = TaskTracker::new();
    let guards = Arc::new(guards);
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => break,
            _ = forget.tick() => {
                arrivals.retain_recent();
                continue;
            }
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of files, most likely: pause instead of spinning on the error.
                tracing::warn!(%error, "could not accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let key = ClientKey::of(peer.ip(), guards.ipv6_prefix);
        let place = if guards.trusted.trusts(peer.ip()) {
            None
        } else {
            if arrivals.check_key(&key).is_err() {
                // A flood of new connections: dropped before a byte of HTTP is read.
                continue;
            }
            match counts.enter(key, guards.per_address) {
                Some(place) => Some(place),
                None => {
                    tracing::debug!(ip = %peer.ip(), "too many open connections from one address");
                    continue;
                }
            }
        };
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::warn!(%error, "could not disable Nagle's algorithm");
        }
        let stream = CountedStream { tcp, _place: place };
        connections.spawn(serve_one(stream, peer, router.clone(), guards.clone(), stop.clone()));
    }
    connections.close();
    connections.wait().await;
}

/// Serves one connection's requests.
async fn serve_one(
    stream: CountedStream,
    peer: SocketAddr,
    router: Router,
    guards: Arc<Guards>,
    stop: CancellationToken,
) {
    let header_read_timeout = guards.header_read_timeout;
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        let client = guards.trusted.client(peer, request.headers());
        request.extensions_mut().insert(ConnectInfo(client));
        let mut router = router.clone();
        async move { router.call(request).await }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
    let connection = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = stop.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        tracing::debug!(%error, "connection ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let proxies = TrustedProxies::parse("10.0.0.1, 192.168.0.0/16").unwrap();
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("x-forwarded-for", "6.6.6.6, 203.0.113.5, 192.168.3.4".parse().unwrap());
        let proxy: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        assert_eq!(proxies.client(proxy, &headers).ip(), "203.0.113.5".parse::<IpAddr>().unwrap());
        let stranger: SocketAddr = "198.51.100.1:4000".parse().unwrap();
        assert_eq!(proxies.client(stranger, &headers), stranger, "a stranger's header is ignored");
        headers.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(proxies.client(proxy, &headers), proxy);
        assert!(TrustedProxies::parse("10.0.0.1,nonsense").is_err());
    }
}
