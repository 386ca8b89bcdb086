//! One signed call to a shop's order source (docs/orders.md): `POST` with the lookup as JSON,
//! `X-Parley-Timestamp` and `X-Parley-Signature: sha256=hex(HMAC(secret, "ts." + body))`.
//! A call has 3 s in all, follows no redirect, reads at most 1 MB, and takes only the
//! documented shape; links in the answer are kept only when they are http or https.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use protocol::{Order, OrdersResponse};

use super::guard::{is_public, PublicOnly};

/// How long a call to an order source may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(3);
/// The largest answer read from a source.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Orders of one answer that are used (the newest).
pub const MAX_ORDERS: usize = 20;

/// What the relay asks a source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Lookup {
    /// A verified customer's orders.
    Customer(String),
    /// The one order with this number and email.
    Order {
        /// The order number the shopper gave.
        number: String,
        /// The email the shopper gave (compared without case by the source).
        email: String,
    },
}

impl Lookup {
    fn body(&self) -> String {
        let value = match self {
            Lookup::Customer(id) => serde_json::json!({ "customer_id": id }),
            Lookup::Order { number, email } => serde_json::json!({ "order_number": number, "email": email }),
        };
        value.to_string()
    }
}

/// Why a source gave no orders.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The URL may not be called (not http(s), or a private address the store did not allow).
    #[error("the order source may not be called: {0}")]
    Refused(String),
    /// The source failed, was too slow, or answered something else than the contract says.
    #[error("the order source did not answer: {0}")]
    Failed(String),
}

/// Where a source is and how to sign for it.
pub struct Target<'a> {
    /// The source's URL.
    pub url: &'a str,
    /// The shared secret.
    pub secret: &'a str,
    /// Whether private and loopback addresses may be called.
    pub allow_private: bool,
}

/// The HTTP clients for order sources: one that resolves only to public addresses, one for
/// stores that allowed private ones.
pub struct SourceClient {
    public: reqwest::Client,
    any: reqwest::Client,
}

fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        // A proxy from the environment would resolve names itself, past the guard.
        .no_proxy()
        .user_agent(concat!("Parley/", env!("CARGO_PKG_VERSION")))
}

impl SourceClient {
    /// Both clients; fails only when TLS cannot be set up.
    pub fn new() -> Result<SourceClient, reqwest::Error> {
        Ok(SourceClient { public: builder().dns_resolver(Arc::new(PublicOnly)).build()?, any: builder().build()? })
    }

    /// Asks the source; at most [`MAX_ORDERS`] orders, cleaned for display.
    pub async fn fetch(&self, target: &Target<'_>, lookup: &Lookup) -> Result<Vec<Order>, SourceError> {
        let url = checked_url(target.url, target.allow_private)?;
        let body = lookup.body();
        let stamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()).to_string();
        let client = if target.allow_private { &self.any } else { &self.public };
        let request = client
            .post(url)
            .header("Content-Type", "application/json")
            .header("X-Parley-Timestamp", &stamp)
            .header("X-Parley-Signature", format!("sha256={}", sign(target.secret, &stamp, &body)))
            .body(body);
        let failed = |e: reqwest::Error| SourceError::Failed(describe(e));
        let mut response = request.send().await.map_err(failed)?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(SourceError::Failed(format!("status {}", response.status())));
        }
        if response.content_length().is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            return Err(SourceError::Failed("the answer is over 1 MB".into()));
        }
        let mut read = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if read.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(SourceError::Failed("the answer is over 1 MB".into()));
            }
            read.extend_from_slice(&chunk);
        }
        let answer: OrdersResponse =
            serde_json::from_slice(&read).map_err(|e| SourceError::Failed(format!("not the documented JSON: {e}")))?;
        Ok(answer.orders.into_iter().take(MAX_ORDERS).map(super::clean::order).collect())
    }
}

/// The error without the URL (which may carry the shop's query string).
fn describe(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer within 3 s".into()
    } else if e.is_connect() {
        // The resolver's refusal of a private address is at the end of the chain.
        let mut why = Vec::new();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            why.push(c.to_string());
            cause = c.source();
        }
        format!("could not connect ({})", why.join(": "))
    } else {
        e.without_url().to_string()
    }
}

/// `hex(HMAC-SHA256(secret, "ts." + body))`.
pub fn sign(secret: &str, stamp: &str, body: &str) -> String {
    crate::auth::hmac_hex(secret, &[stamp.as_bytes(), b".", body.as_bytes()])
}

/// The URL, if it is http(s) and, unless allowed, not a literal private address (names are
/// checked as they resolve).
pub fn checked_url(url: &str, allow_private: bool) -> Result<reqwest::Url, SourceError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| SourceError::Refused(format!("{url:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(SourceError::Refused("only http and https URLs are called".into()));
    }
    let literal = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) if name.eq_ignore_ascii_case("localhost") => {
            Some(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
        }
        Some(url::Host::Domain(_)) => None,
        None => return Err(SourceError::Refused("the URL has no host".into())),
    };
    if let Some(ip) = literal.filter(|ip| !allow_private && !is_public(*ip)) {
        return Err(SourceError::Refused(format!("{ip} is a private address and the store has not allowed those")));
    }
    Ok(parsed)
}
