//! Floods over real sockets: each limit answers with a clear error and keeps the relay serving.
//! The limiter arithmetic (bursts, rates, waits) is unit-tested on a fake clock in
//! `relay/src/limits.rs`.

mod common;

use std::num::NonZeroU32;

use common::{http_get, TestRelay};
use parley::{FrameSocket, VisitorClient};
use protocol::{ErrorCode, ServerFrame, VisitorFrame};

fn n(v: u32) -> NonZeroU32 {
    NonZeroU32::new(v).unwrap()
}

#[tokio::test]
async fn a_message_flood_is_refused_message_by_message_and_the_socket_stays_open() {
    let t = TestRelay::start_with(|c| {
        c.limits.message_burst = n(5);
        c.limits.messages_per_minute = n(5);
    })
    .await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    for i in 0..8 {
        shopper.send(&format!("m{i}"), "spam").await.unwrap();
    }
    let (mut accepted, mut refused) = (Vec::new(), Vec::new());
    while accepted.len() + refused.len() < 8 {
        match shopper.socket.next_frame().await.unwrap() {
            ServerFrame::Accepted { client_id, .. } => accepted.push(client_id),
            ServerFrame::Error { code: ErrorCode::RateLimited, client_id, retry_after_ms, message } => {
                assert!(retry_after_ms.is_some_and(|ms| ms > 0 && ms <= 12_000), "{message}: {retry_after_ms:?}");
                refused.push(client_id.unwrap());
            }
            _ => {}
        }
    }
    assert_eq!(accepted, ["m0", "m1", "m2", "m3", "m4"], "the burst goes through");
    assert_eq!(refused, ["m5", "m6", "m7"], "each refused message is named, so the widget can mark it");
    // Still connected and served.
    shopper.socket.send(&VisitorFrame::Sync { after_seq: 4 }).await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::History { more: false, .. })).await.unwrap();
    t.stop().await;
}

#[tokio::test]
async fn new_conversations_and_connections_per_address_are_limited_with_a_clear_answer() {
    let t = TestRelay::start_with(|c| {
        c.limits.conversations_per_hour = n(2);
        c.limits.connections_per_minute = n(4);
    })
    .await;
    // Two shoppers from this address may start conversations; the third is told to wait.
    for i in 0..2 {
        let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
        shopper.send("a", &format!("shopper {i}")).await.unwrap();
        shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    }
    let mut third = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    third.send("a", "shopper 3").await.unwrap();
    match third.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap() {
        ServerFrame::Error { code, client_id, .. } => {
            assert_eq!((code, client_id.as_deref()), (ErrorCode::RateLimited, Some("a")))
        }
        _ => unreachable!(),
    }
    // That was the third connection; a fourth is allowed, the fifth gets HTTP 429 with Retry-After.
    let url = format!("{}/ws/visitor?store=demo", parley::ws_base(&t.base));
    FrameSocket::connect(&url, None).await.expect("the fourth connection");
    let refused = FrameSocket::connect(&url, None).await.err().expect("the fifth is refused");
    let Some(tokio_tungstenite::tungstenite::Error::Http(response)) = refused.downcast_ref() else {
        panic!("expected an HTTP refusal, got {refused:#}");
    };
    assert_eq!(response.status(), 429);
    let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    assert!(retry_after.is_some_and(|secs: u64| secs >= 1), "{:?}", response.headers());
    let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()).into_owned();
    assert!(body.contains("rate_limited"), "{body}");
    // Plain HTTP is not affected.
    assert_eq!(http_get(&t.base, "/healthz", &[]).await.unwrap().status, 200);
    t.stop().await;
}
