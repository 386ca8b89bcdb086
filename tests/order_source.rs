//! The reference order source (`examples/order-source`) against its contract (docs/orders.md),
//! as the real program: signed lookups by customer and by order number plus email, and the
//! refusals a shop's source must make (a wrong or stale signature, a lookup that half matches).

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::http_request_raw;
use common::order_source::{start_order_source, SECRET};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::process::Child;

/// The demo source with a slow route that answers after 100 ms.
async fn start() -> (Child, String) {
    start_order_source(100).await
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn signature(secret: &str, stamp: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{stamp}.{body}").as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A lookup signed with `secret` at `stamp`; returns the status and the body.
async fn lookup_signed(base: &str, path: &str, body: &Value, secret: &str, stamp: u64) -> (u16, String) {
    let (body, stamp) = (body.to_string(), stamp.to_string());
    let sig = signature(secret, &stamp, &body);
    let headers = [("X-Parley-Timestamp", stamp.as_str()), ("X-Parley-Signature", sig.as_str())];
    let response = http_request_raw(base, "POST", path, &headers, Some(&body)).await.unwrap();
    (response.status, response.text())
}

async fn lookup(base: &str, body: Value) -> Vec<Value> {
    let (status, text) = lookup_signed(base, "/orders", &body, SECRET, now()).await;
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    answer["orders"].as_array().unwrap().clone()
}

fn numbers(orders: &[Value]) -> Vec<&str> {
    orders.iter().map(|o| o["number"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_customer_gets_their_own_orders_with_items_and_tracking() {
    let (_source, base) = start().await;
    let orders = lookup(&base, json!({ "customer_id": "cust_1001" })).await;
    assert_eq!(numbers(&orders), ["1001", "0987"]);
    let first = &orders[0];
    assert_eq!((first["status"].as_str(), first["currency"].as_str()), (Some("shipped"), Some("EUR")));
    assert_eq!(first["items"][0]["title"], "Linen shirt, sand, M");
    assert_eq!(first["fulfilment"]["carrier"], "DHL");
    assert!(first.get("email").is_none() && first.get("customer_id").is_none(), "{first}");
    assert!(lookup(&base, json!({ "customer_id": "cust_nobody" })).await.is_empty());
}

#[tokio::test]
async fn an_order_number_answers_only_with_its_email() {
    let (_source, base) = start().await;
    let found = lookup(&base, json!({ "order_number": "1002", "email": " Wei@Example.com" })).await;
    assert_eq!(numbers(&found), ["1002"]);
    // The right number with another customer's email, and a wrong number: both just empty.
    assert!(lookup(&base, json!({ "order_number": "1002", "email": "mia@example.com" })).await.is_empty());
    assert!(lookup(&base, json!({ "order_number": "9999", "email": "wei@example.com" })).await.is_empty());
}

#[tokio::test]
async fn wrong_or_stale_signatures_and_bad_bodies_are_refused() {
    let (_source, base) = start().await;
    let body = json!({ "customer_id": "cust_1001" });
    let (status, text) = lookup_signed(&base, "/orders", &body, "another-secret", now()).await;
    assert_eq!(status, 401, "{text}");
    let (status, text) = lookup_signed(&base, "/orders", &body, SECRET, now() - 3_600).await;
    assert_eq!((status, text.contains("too far")), (401, true), "{text}");
    let unsigned = http_request_raw(&base, "POST", "/orders", &[], Some(&body.to_string())).await.unwrap();
    assert_eq!(unsigned.status, 401);
    let (status, _) = lookup_signed(&base, "/orders", &json!({ "order_number": 7 }), SECRET, now()).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_slow_route_answers_the_same_only_later() {
    let (_source, base) = start().await;
    let (status, text) =
        lookup_signed(&base, "/slow/orders", &json!({ "customer_id": "cust_2002" }), SECRET, now()).await;
    assert_eq!(status, 200);
    assert!(text.contains("\"1002\""), "{text}");
}
