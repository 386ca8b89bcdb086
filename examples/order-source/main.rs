//! The reference order source: a small shop-side service that answers the relay's order
//! lookups (docs/orders.md) from a JSON file of orders.
//!
//! A shop that keeps its orders elsewhere writes the same few lines against its own database;
//! this one exists so that the contract has a real, runnable counterpart: the demo answers
//! "where is my order?" with it, and the tests drive the relay against it (including a route
//! that answers too late, to show the relay's timeout).
//!
//! ```text
//! cargo run --example order-source -- --orders examples/order-source/orders.json --secret s3cret
//! ```
//!
//! It prints `listening on http://ADDR` once it accepts connections.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use clap::Parser;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

/// How far a request's timestamp may be from this service's clock (replayed requests are older).
const CLOCK_SKEW_SECS: u64 = 300;

#[derive(Parser)]
#[command(about = "Serves the Parley order-source contract (docs/orders.md) from a JSON file")]
struct Args {
    /// The orders file: `{"orders": [...]}`, each order with its `customer_id` and `email`.
    #[arg(long, default_value = "examples/order-source/orders.json")]
    orders: std::path::PathBuf,
    /// The secret shared with the store's "order source" setting.
    #[arg(long, env = "ORDER_SOURCE_SECRET")]
    secret: String,
    /// Where to listen (port 0: any free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// How long `POST /slow/orders` waits before answering (a source that is too slow).
    #[arg(long, default_value = "5000")]
    slow_ms: u64,
}

/// One order as the file holds it: the contract's order plus whose it is.
#[derive(Deserialize)]
struct StoredOrder {
    customer_id: String,
    email: String,
    #[serde(flatten)]
    order: Value,
}

#[derive(Deserialize)]
struct OrderFile {
    orders: Vec<StoredOrder>,
}

/// The relay's question: a signed-in customer's orders, or one order by number and email.
#[derive(Deserialize)]
#[serde(untagged)]
enum Lookup {
    Customer { customer_id: String },
    Order { order_number: String, email: String },
}

#[derive(Serialize)]
struct Answer<'a> {
    orders: Vec<&'a Value>,
}

struct Source {
    orders: Vec<StoredOrder>,
    secret: Vec<u8>,
    slow: Duration,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let text = std::fs::read_to_string(&args.orders).with_context(|| format!("reading {}", args.orders.display()))?;
    let file: OrderFile = serde_json::from_str(&text).with_context(|| format!("parsing {}", args.orders.display()))?;
    let source = Arc::new(Source {
        orders: file.orders,
        secret: args.secret.into_bytes(),
        slow: Duration::from_millis(args.slow_ms),
    });
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/orders", post(orders))
        .route("/slow/orders", post(slow_orders))
        .with_state(source);
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await?;
    Ok(())
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}

async fn slow_orders(State(source): State<Arc<Source>>, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    tokio::time::sleep(source.slow).await;
    orders(State(source), headers, body).await
}

async fn orders(State(source): State<Arc<Source>>, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    if let Err(why) = verify(&source.secret, &headers, &body, now_secs()) {
        return (StatusCode::UNAUTHORIZED, why.to_owned());
    }
    let lookup: Lookup = match serde_json::from_slice(&body) {
        Ok(lookup) => lookup,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("not a lookup: {e}")),
    };
    let orders = source
        .orders
        .iter()
        .filter(|stored| match &lookup {
            Lookup::Customer { customer_id } => &stored.customer_id == customer_id,
            // Both must match; which one did not is never said.
            Lookup::Order { order_number, email } => {
                stored.order.get("number").and_then(Value::as_str) == Some(order_number.trim())
                    && stored.email.eq_ignore_ascii_case(email.trim())
            }
        })
        .map(|stored| &stored.order)
        .collect();
    (StatusCode::OK, serde_json::to_string(&Answer { orders }).unwrap_or_default())
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Checks `X-Parley-Signature: sha256=HEX` = HMAC-SHA256(secret, "TIMESTAMP.BODY") in constant
/// time, and that `X-Parley-Timestamp` is within [`CLOCK_SKEW_SECS`] of `now`.
fn verify(secret: &[u8], headers: &HeaderMap, body: &[u8], now: u64) -> Result<(), &'static str> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let stamp = header("x-parley-timestamp").ok_or("no X-Parley-Timestamp")?;
    let at: u64 = stamp.parse().map_err(|_| "X-Parley-Timestamp is not a number of seconds")?;
    if now.abs_diff(at) > CLOCK_SKEW_SECS {
        return Err("X-Parley-Timestamp is too far from now");
    }
    let signature =
        header("x-parley-signature").and_then(|s| s.strip_prefix("sha256=")).ok_or("no X-Parley-Signature")?;
    let signature = hex::decode(signature).map_err(|_| "X-Parley-Signature is not hex")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| "bad secret")?;
    mac.update(stamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&signature).map_err(|_| "wrong X-Parley-Signature")
}
