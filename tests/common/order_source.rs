//! The reference order source (`examples/order-source`) as a real process on a free port.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The secret tests share with the source.
pub const SECRET: &str = "order-source-test-secret";

/// `cargo test` builds the examples next to the test binaries' directory.
fn program() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let target = exe.parent().and_then(|deps| deps.parent()).expect("a target dir");
    target.join("examples").join("order-source")
}

/// Starts the source with the demo orders; `/slow/orders` answers after `slow_ms`. Returns the
/// process (killed when dropped) and its base URL.
pub async fn start_order_source(slow_ms: u64) -> (Child, String) {
    start_order_source_with(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/order-source/orders.json"), slow_ms).await
}

/// [`start_order_source`] serving the orders of another file.
pub async fn start_order_source_with(orders: &str, slow_ms: u64) -> (Child, String) {
    let mut child = Command::new(program())
        .args(["--orders", orders, "--secret", SECRET, "--slow-ms", &slow_ms.to_string()])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the order-source example is built by cargo test");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("the source starts within 10 s")
        .expect("reading its output")
        .expect("an address line");
    let base = line.strip_prefix("listening on ").expect("the address line").to_owned();
    (child, base)
}

/// An order whose every shop-given text is a payload.
pub const HOSTILE_ORDERS: &str = r#"{"orders": [{
    "customer_id": "cust_42", "email": "mia@example.com", "number": "X-100", "status": "shipped",
    "placed_at": "2026-11-30T09:00:00Z", "total": "10.00", "currency": "EUR",
    "items": [{"title": "<img src=x onerror=window.pwned=3>Shirt", "quantity": 1, "image_url": "javascript:window.pwned=4"}],
    "fulfilment": {"status": "in_transit", "carrier": "<b>DHL</b>", "tracking_number": "T123", "tracking_url": "javascript:window.pwned=5"},
    "status_url": "https://shop.example.com/orders/X-100"
}]}"#;

/// Points the demo store at a source with the tests' secret, private addresses allowed or not.
pub async fn point_demo_at(t: &super::TestRelay, url: &str, allow_private: bool, bot_answers: bool) {
    let change = relay::store::OrderSourceChange {
        url: Some(Some(url)),
        secret: Some(SECRET),
        allow_private: Some(allow_private),
        bot_answers: Some(bot_answers),
    };
    t.relay.state().store.set_order_source("demo", &change).await.expect("setting the order source");
}

/// A source serving [`HOSTILE_ORDERS`], with the demo store pointed at it. Keep the returned
/// process and dir alive for the test.
pub async fn hostile_source_for_demo(t: &super::TestRelay, bot_answers: bool) -> (Child, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("orders.json");
    std::fs::write(&file, HOSTILE_ORDERS).expect("writing the orders");
    let (source, base) = start_order_source_with(file.to_str().expect("a UTF-8 path"), 100).await;
    point_demo_at(t, &format!("{base}/orders"), true, bot_answers).await;
    (source, dir)
}
