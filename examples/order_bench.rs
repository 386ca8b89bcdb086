//! Order answer latency as the shopper sees it: from sending the order number and email to the
//! bot's answer arriving, over 200 lookups against the reference order source
//! (`examples/order-source`, its binary next to this one) on loopback, each a different order
//! (so each is a real call, not the 60 s cache) from a different client address (so the five
//! tries an hour per address do not stop it). Also the source's own time for the same
//! lookups, called directly. Target: p99 at most 50 ms plus the source's own time.
//!
//! `cargo build --release --example order-source && cargo run --release --example order_bench`
//! (`cargo xtask bench` does both).

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use parley::FrameSocket;
use protocol::{Role, ServerFrame, VisitorFrame};
use relay::orders::{Lookup, SourceClient, Target};
use tokio::io::{AsyncBufReadExt, BufReader};

const LOOKUPS: usize = 200;
const SECRET: &str = "order-bench-secret-0123456789";

fn order(n: usize) -> serde_json::Value {
    serde_json::json!({
        "customer_id": format!("cust_{n}"), "email": format!("buyer{n}@example.com"), "number": format!("{}", 50_000 + n),
        "status": "shipped", "placed_at": "2026-11-28T10:15:00Z", "total": "59.90", "currency": "EUR",
        "items": [{"title": "Linen shirt, sand, M", "quantity": 1}],
        "fulfilment": {"carrier": "DHL", "tracking_number": format!("JD{n:018}"), "tracking_url": format!("https://www.dhl.com/track?id=JD{n:018}")},
        "status_url": format!("https://shop.example.com/orders/{}", 50_000 + n)
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Waits for the bot's next message.
async fn bot_reply(socket: &mut FrameSocket) -> Result<String> {
    match socket.wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Bot)).await?
    {
        ServerFrame::Message { message } => Ok(message.text),
        _ => bail!("not a message"),
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let orders: Vec<_> = (0..LOOKUPS).map(order).collect();
    let file = dir.path().join("orders.json");
    std::fs::write(&file, serde_json::json!({ "orders": orders }).to_string())?;
    let program = std::env::current_exe()?.with_file_name("order-source");
    let mut source = tokio::process::Command::new(&program)
        .arg("--orders")
        .arg(&file)
        .args(["--secret", SECRET])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {} (cargo build --release --example order-source)", program.display()))?;
    let mut lines = BufReader::new(source.stdout.take().context("its output")?).lines();
    let first = lines.next_line().await?.context("the source's address")?;
    let source_url = format!("{}/orders", first.strip_prefix("listening on ").context("the address line")?);

    let mut config = relay::RelayConfig::new("127.0.0.1:0".parse()?, dir.path().join("data"));
    config.sweep_deadlines = false;
    let relay = relay::start(config).await?;
    let state = relay.state();
    let change = relay::store::OrderSourceChange {
        url: Some(Some(&source_url)),
        secret: Some(SECRET),
        allow_private: Some(true),
        bot_answers: Some(true),
    };
    state.store.set_order_source("demo", &change).await?;
    let url = format!("ws://{}/ws/visitor?store=demo", relay.addr());

    // The source alone, as the relay's client calls it.
    let client = SourceClient::new()?;
    let target = Target { url: &source_url, secret: SECRET, allow_private: true };
    let mut alone = Vec::new();
    for n in 0..LOOKUPS {
        let lookup = Lookup::Order { number: format!("{}", 50_000 + n), email: format!("buyer{n}@example.com") };
        let started = Instant::now();
        let found = client.fetch(&target, &lookup).await?;
        alone.push(started.elapsed());
        if found.len() != 1 {
            bail!("the source found {} orders for lookup {n}", found.len());
        }
    }

    let mut seen = Vec::new();
    for n in 0..LOOKUPS {
        let local = IpAddr::V4(Ipv4Addr::new(127, 1, (n / 250) as u8, (n % 250 + 1) as u8));
        let mut socket = FrameSocket::connect_from(&url, local).await?;
        socket.send(&VisitorFrame::Hello { token: None, last_seq: 0, identity: None }).await?;
        socket.wait_for(|f| matches!(f, ServerFrame::VisitorWelcome { .. })).await?;
        socket.send(&VisitorFrame::Send { client_id: "q".into(), text: "Where is my order?".into() }).await?;
        bot_reply(&mut socket).await?;
        let text = format!("{} buyer{n}@example.com", 50_000 + n);
        let started = Instant::now();
        socket.send(&VisitorFrame::Send { client_id: "a".into(), text }).await?;
        let answer = bot_reply(&mut socket).await?;
        seen.push(started.elapsed());
        if !answer.contains(&format!("Order #{}", 50_000 + n)) {
            bail!("lookup {n} was answered {answer:?}");
        }
        socket.close().await;
    }
    alone.sort();
    seen.sort();
    println!("== order answers ({LOOKUPS} lookups, reference source on loopback) ==");
    println!(
        "source alone        p50 {:>6.2} ms  p99 {:>6.2} ms",
        ms(percentile(&alone, 0.5)),
        ms(percentile(&alone, 0.99))
    );
    println!(
        "shopper sees answer p50 {:>6.2} ms  p99 {:>6.2} ms  (target: p99 <= 50 ms + the source's time)",
        ms(percentile(&seen, 0.5)),
        ms(percentile(&seen, 0.99))
    );
    relay.shutdown().await
}
