//! `relay --metrics-listen`: Prometheus text on its own address, never on the public one, and
//! figures that move as shoppers and agents talk.

mod common;

use std::io::BufRead;

use common::{http_get, TestRelay};
use parley::{AgentClient, VisitorClient};
use prometheus_parse::{Scrape, Value};
use protocol::ServerFrame;

/// Scrapes the metrics address and parses the text the way Prometheus does.
async fn scrape(addr: std::net::SocketAddr) -> Scrape {
    let response = http_get(&format!("http://{addr}"), "/metrics", &[]).await.unwrap();
    assert_eq!(response.status, 200);
    assert!(response.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
    let lines = response.body.lines();
    Scrape::parse(lines).expect("Prometheus text format")
}

/// The value of a counter or gauge (0 when absent), or a histogram's count, with the labels given.
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(v)))
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets.iter().map(|b| b.count).fold(0.0, f64::max),
            Value::Summary(_) => panic!("{name} is a summary, not a histogram"),
        })
        .sum()
}

#[tokio::test]
async fn metrics_answer_on_their_own_address_and_move_when_messages_flow() {
    let t = TestRelay::start_with(|config| config.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let at = t.relay.metrics_addr().expect("a metrics address");
    assert_ne!(at.port(), t.relay.addr().port());
    let public = http_get(&t.base, "/metrics", &[]).await.unwrap();
    assert_eq!(public.status, 404, "never on the public address");
    let before = scrape(at).await;
    let shopper_messages = value(&before, "parley_messages_total", &[("role", "visitor")]);
    let first_replies = value(&before, "parley_first_reply_seconds", &[]);

    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("m1", "Do you have this in blue?").await.unwrap();
    let accepted = shopper.socket.wait_for_keeping(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    let ServerFrame::Accepted { conversation_id, .. } = accepted else { unreachable!() };
    let waiting = scrape(at).await;
    assert_eq!(value(&waiting, "parley_queue_length", &[("store", "demo")]), 1.0, "nobody took it yet");
    assert!(value(&waiting, "parley_sockets_open", &[("kind", "visitor")]) >= 1.0);
    assert!(value(&waiting, "parley_messages_total", &[("role", "visitor")]) > shopper_messages);

    let (email, password) = t.add_agent("demo", "Kim").await;
    let mut kim = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let joined = ServerFrame::Attendance { agent_name: Some("Kim".into()), queue_position: None };
    shopper.socket.wait_for(|f| *f == joined).await.unwrap();
    kim.send(conversation_id, "r1", "Yes, in every size.").await.unwrap();
    shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.text.starts_with("Yes")))
        .await
        .unwrap();

    let after = scrape(at).await;
    assert_eq!(value(&after, "parley_queue_length", &[("store", "demo")]), 0.0, "Kim has it");
    assert!(value(&after, "parley_sockets_open", &[("kind", "agent")]) >= 1.0);
    assert!(value(&after, "parley_first_reply_seconds", &[]) > first_replies, "a first human reply was timed");
    assert!(value(&after, "parley_store_batch_size", &[]) >= 1.0);
    assert!(value(&after, "parley_http_responses_total", &[("status", "101")]) >= 2.0, "two sockets upgraded");
    assert!(value(&after, "parley_http_responses_total", &[("status", "404")]) >= 1.0);
    t.stop().await;
}

#[tokio::test]
async fn without_the_flag_there_is_no_metrics_listener() {
    let t = TestRelay::start().await;
    assert_eq!(t.relay.metrics_addr(), None);
    assert_eq!(http_get(&t.base, "/metrics", &[]).await.unwrap().status, 404);
    t.stop().await;
}
