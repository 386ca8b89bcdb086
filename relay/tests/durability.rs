//! The promise behind `accepted`: a message acknowledged is on disk, whatever happens to the
//! relay next. Here the relay is killed (SIGKILL, no shutdown) while shoppers' messages are
//! being committed in batches, then started again on the same data dir.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use relay::store::Store;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const SHOPPERS: usize = 20;
const MESSAGES: usize = 60;

async fn hello(url: &str, token: Option<&str>) -> (Socket, String, String) {
    let ws = url.replacen("http://", "ws://", 1) + "/ws/visitor?store=demo";
    let (mut socket, _) = tokio_tungstenite::connect_async(ws).await.unwrap();
    let hello = json!({ "type": "hello", "token": token, "last_seq": 0 });
    socket.send(Message::text(hello.to_string())).await.unwrap();
    loop {
        let frame = next_frame(&mut socket).await.expect("a welcome");
        if frame["type"] == "visitor_welcome" {
            let id = frame["visitor_id"].as_str().unwrap().to_owned();
            return (socket, id, frame["token"].as_str().unwrap().to_owned());
        }
    }
}

/// The next JSON frame, or `None` once the socket is gone.
async fn next_frame(socket: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(20), socket.next()).await.ok()?? {
            Ok(Message::Text(text)) => return serde_json::from_str(text.as_str()).ok(),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

/// Acknowledgements to read before the kill: a socket takes 16 sends at a time and answers
/// the ones past those `busy`, so each shopper has at least 16 acknowledged.
const ENOUGH_BEFORE_KILL: usize = SHOPPERS * 10;

async fn send_one(socket: &mut Socket, client_id: &str) -> bool {
    let frame = json!({ "type": "send", "client_id": client_id, "text": format!("message {client_id}") });
    socket.send(Message::text(frame.to_string())).await.is_ok()
}

async fn send_all(socket: &mut Socket, shopper: usize) {
    for m in 0..MESSAGES {
        if !send_one(socket, &format!("s{shopper}-m{m}")).await {
            return;
        }
    }
}

#[tokio::test]
async fn a_relay_killed_while_committing_keeps_every_acknowledged_message_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let open = ["--messages-per-minute", "100000", "--message-burst", "100000", "--conversations-per-hour", "100000"];
    let (mut server, url) = support::serve_with(&data, &open).await;

    let mut shoppers = Vec::new();
    for s in 0..SHOPPERS {
        let (mut socket, visitor, token) = hello(&url, None).await;
        // The first message opens the conversation; the rest are sent without waiting.
        send_all(&mut socket, s).await;
        shoppers.push((socket, visitor, token));
    }
    // Read acknowledgements until a good share is in, then kill the relay mid-stream.
    let mut acknowledged: HashMap<String, HashSet<String>> = HashMap::new();
    let mut count = 0;
    'reading: while count < ENOUGH_BEFORE_KILL {
        for (socket, visitor, _) in shoppers.iter_mut() {
            let Some(frame) = next_frame(socket).await else { break 'reading };
            if frame["type"] == "accepted" {
                acknowledged.entry(visitor.clone()).or_default().insert(frame["client_id"].as_str().unwrap().into());
                count += 1;
            }
        }
    }
    server.start_kill().unwrap();
    server.wait().await.unwrap();
    // Acknowledgements that were already on their way count too.
    for (socket, visitor, _) in shoppers.iter_mut() {
        while let Some(frame) = next_frame(socket).await {
            if frame["type"] == "accepted" {
                acknowledged.entry(visitor.clone()).or_default().insert(frame["client_id"].as_str().unwrap().into());
            }
        }
    }
    assert!(acknowledged.values().map(HashSet::len).sum::<usize>() >= ENOUGH_BEFORE_KILL);

    // Everything acknowledged is there after the kill, once.
    let store = Store::open(dir.path()).await.unwrap();
    for (_, visitor, _) in &shoppers {
        let stored = stored_ids(&store, visitor).await;
        for id in acknowledged.get(visitor).into_iter().flatten() {
            assert_eq!(stored.iter().filter(|s| *s == id).count(), 1, "{id} of {visitor} is stored once");
        }
    }
    store.close().await;

    // The widget resends everything unacknowledged after the restart, with the same ids:
    // nothing is stored twice, and every message is there.
    let (_server, url) = support::serve_with(&data, &open).await;
    for (s, (_, visitor, token)) in shoppers.iter().enumerate() {
        let (mut socket, again, _) = hello(&url, Some(token)).await;
        assert_eq!(&again, visitor, "the token still names the shopper");
        // Sixteen at a time, as many as a socket takes at once without answering `busy`.
        for window in (0..MESSAGES).collect::<Vec<_>>().chunks(16) {
            for m in window {
                assert!(send_one(&mut socket, &format!("s{s}-m{m}")).await);
            }
            let mut answered = 0;
            while answered < window.len() {
                let frame = next_frame(&mut socket).await.expect("the relay answers every resend");
                if frame["type"] == "accepted" {
                    answered += 1;
                } else if frame["code"] == "busy" {
                    // Told to wait: sent again after the wait, as the widget does.
                    let wait = frame["retry_after_ms"].as_u64().unwrap_or(200);
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                    assert!(send_one(&mut socket, frame["client_id"].as_str().unwrap()).await);
                }
            }
        }
    }
    let store = Store::open(dir.path()).await.unwrap();
    for (_, visitor, _) in &shoppers {
        let stored = stored_ids(&store, visitor).await;
        let unique: HashSet<&String> = stored.iter().collect();
        assert_eq!((stored.len(), unique.len()), (MESSAGES, MESSAGES), "each message of {visitor} once");
    }
}

/// The client ids of a shopper's stored messages.
async fn stored_ids(store: &Store, visitor: &str) -> Vec<String> {
    let Some(conversation) = store.open_conversation_of(visitor).await.unwrap() else { return Vec::new() };
    let (messages, _) = store.messages_after(conversation.id, 0, 10_000).await.unwrap();
    messages.into_iter().filter(|m| m.author.role == protocol::Role::Visitor).filter_map(|m| m.client_id).collect()
}
