//! Back-pressure: when the disk or the processor falls behind, the relay refuses new messages
//! at once with `busy` and how long to wait, instead of accepting them to store seconds later;
//! the same message sent again afterwards is stored once. On either database (the writer
//! thread is the same; `cargo xtask test` runs this on PostgreSQL too).

mod common;

use std::time::Duration;

use common::TestRelay;
use parley::VisitorClient;
use protocol::{ErrorCode, ServerFrame};

#[tokio::test]
async fn a_writer_held_back_refuses_new_messages_with_busy_and_a_resend_is_stored_once() {
    let t = TestRelay::start_with(|c| {
        c.limits.message_burst = std::num::NonZeroU32::new(100).unwrap();
    })
    .await;
    let store = t.relay.state().store.clone();
    // An agent online: the bot stays quiet, so once the agent has the first message (routed and
    // recorded), nothing else is being written when the disk slows down.
    let (email, password) = t.add_agent("demo", "Ivy").await;
    let mut ivy = parley::AgentClient::login(&t.base, &email, &password).await.unwrap();
    let mut shopper = shopper_in_a_conversation(&t).await;
    ivy.socket.wait_for(|f| matches!(f, ServerFrame::Message { message } if message.text == "Hello")).await.unwrap();

    // A slow disk: every commit takes half a second, and nothing may wait in the queue at all.
    store.hold_commits(Duration::from_millis(500));
    store.set_behind_bound(Duration::ZERO);
    for id in ["m1", "m2", "m3"] {
        shopper.send(id, &format!("message {id}")).await.unwrap();
    }
    // m1 is committing (or queued); m2 or m3 finds a write already waiting and is refused.
    let refused = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap();
    let ServerFrame::Error { code, client_id, retry_after_ms, .. } = refused else { unreachable!() };
    assert_eq!(code, ErrorCode::Busy);
    let client_id = client_id.expect("the refusal names the message");
    assert!(client_id == "m2" || client_id == "m3", "{client_id}");
    let wait = retry_after_ms.expect("busy says how long to wait");
    assert!((200..=2000).contains(&wait), "{wait} ms");
    assert!(store.busy_refusals() >= 1);

    // The disk catches up; the refused message sent again is stored, once.
    store.hold_commits(Duration::ZERO);
    store.set_behind_bound(relay::store::BEHIND_BOUND);
    shopper.send(&client_id, "sent again").await.unwrap();
    shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Accepted { client_id: c, .. } if *c == client_id))
        .await
        .unwrap();
    let stored = stored_client_ids(&store, &shopper).await;
    let copies = stored.iter().filter(|c| **c == client_id).count();
    assert_eq!(copies, 1);
}

#[tokio::test]
async fn workers_running_late_refuse_new_messages_with_busy_until_they_catch_up() {
    let t = TestRelay::start_with(|c| c.late_bound = relay::pulse::LATE_BOUND).await;
    let store = t.relay.state().store.clone();
    let mut shopper = shopper_in_a_conversation(&t).await;

    // The processor is behind: the workers run 400 ms late, the disk keeps up.
    t.relay.pulse().hold_late(Duration::from_millis(400));
    shopper.send("m1", "Is this in stock?").await.unwrap();
    let refused = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap();
    let ServerFrame::Error { code, client_id, retry_after_ms, .. } = refused else { unreachable!() };
    assert_eq!((code, client_id.as_deref()), (ErrorCode::Busy, Some("m1")));
    let wait = retry_after_ms.expect("busy says how long to wait");
    assert!((400..=2000).contains(&wait), "{wait} ms");

    // Caught up: the same message, sent again after the wait as the widget does, is taken and
    // stored once (a debug build on a busy machine may still run late for a turn or two).
    t.relay.pulse().hold_late(Duration::ZERO);
    let mut taken = false;
    for _ in 0..20 {
        shopper.send("m1", "Is this in stock?").await.unwrap();
        let answer = shopper
            .socket
            .wait_for(|f| {
                matches!(f, ServerFrame::Accepted { client_id: c, .. } if c == "m1")
                    || matches!(f, ServerFrame::Error { code: ErrorCode::Busy, .. })
            })
            .await
            .unwrap();
        match answer {
            ServerFrame::Error { retry_after_ms, .. } => {
                tokio::time::sleep(Duration::from_millis(retry_after_ms.unwrap_or(200))).await
            }
            _ => {
                taken = true;
                break;
            }
        }
    }
    assert!(taken, "the relay never took the message again");
    let stored = stored_client_ids(&store, &shopper).await;
    assert_eq!(stored.iter().filter(|c| *c == "m1").count(), 1);
}

#[tokio::test]
async fn a_sender_with_too_many_messages_waiting_for_the_disk_is_told_busy_in_turn() {
    let t = TestRelay::start_with(|c| {
        c.limits.message_burst = std::num::NonZeroU32::new(100).unwrap();
    })
    .await;
    let store = t.relay.state().store.clone();
    let mut shopper = shopper_in_a_conversation(&t).await;

    // A slow disk, but no queue bound: only the socket's own limit can refuse.
    store.set_behind_bound(Duration::from_secs(60));
    store.hold_commits(Duration::from_millis(300));
    let ids: Vec<String> = (1..=24).map(|n| format!("m{n}")).collect();
    for id in &ids {
        shopper.send(id, &format!("message {id}")).await.unwrap();
    }
    // Every message is answered, in the order sent: the first 16 taken, the rest `busy`.
    let mut answers = Vec::new();
    while answers.len() < ids.len() {
        match shopper.socket.next_frame().await.unwrap() {
            ServerFrame::Accepted { client_id, .. } if client_id.starts_with('m') => answers.push((client_id, None)),
            ServerFrame::Error { code, client_id: Some(client_id), retry_after_ms, .. } => {
                assert_eq!(code, ErrorCode::Busy, "{client_id}");
                answers.push((client_id, retry_after_ms));
            }
            _ => {}
        }
    }
    store.hold_commits(Duration::ZERO);
    let order: Vec<&str> = answers.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(order, ids.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(answers[..16].iter().all(|(_, refused)| refused.is_none()), "{answers:?}");
    assert!(answers[16..].iter().all(|(_, wait)| wait.is_some_and(|ms| (200..=2000).contains(&ms))), "{answers:?}");

    // What was taken is stored; what was refused is not.
    let stored = stored_client_ids(&store, &shopper).await;
    let stored: Vec<&str> = stored.iter().map(String::as_str).filter(|c| c.starts_with('m')).collect();
    assert_eq!(stored, order[..16].to_vec());
}

/// A shopper whose first message ("open") has been taken, so the conversation exists.
async fn shopper_in_a_conversation(t: &TestRelay) -> VisitorClient {
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("open", "Hello").await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    shopper
}

/// The client ids of the shopper's stored messages, in order.
async fn stored_client_ids(store: &relay::store::Store, shopper: &VisitorClient) -> Vec<String> {
    let conversation = store.open_conversation_of(&shopper.welcome.visitor_id).await.unwrap().unwrap();
    let (messages, _) = store.messages_after(conversation.id, 0, 100).await.unwrap();
    messages.into_iter().filter_map(|m| m.client_id).collect()
}
