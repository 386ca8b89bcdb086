//! The relay does what docs/protocol.md says, for a client written from the doc alone:
//! `accepted` before the echo, history one page at a time with no page twice, and an answer to
//! every `sync`.

mod common;

use common::TestRelay;
use parley::{AgentClient, FrameSocket, VisitorClient};
use protocol::{AgentFrame, ErrorCode, Role, ServerFrame, VisitorFrame};
use relay::store::NewMessage;

/// Reads frames until the `accepted` or the `message` of `client_id`; says which came first.
async fn first_of_accepted_or_echo(socket: &mut FrameSocket, client_id: &str) -> &'static str {
    loop {
        match socket.next_frame().await.unwrap() {
            ServerFrame::Accepted { client_id: c, .. } if c == client_id => return "accepted",
            ServerFrame::Message { message } if message.client_id.as_deref() == Some(client_id) => return "message",
            _ => {}
        }
    }
}

#[tokio::test]
async fn the_sender_hears_accepted_before_its_own_echo() {
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Ann").await;
    let mut agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    for n in 0..5 {
        let id = format!("s{n}");
        shopper.send(&id, "Is the linen shirt in stock?").await.unwrap();
        assert_eq!(first_of_accepted_or_echo(&mut shopper.socket, &id).await, "accepted", "shopper send {n}");
    }
    let conversation_id = match agent.socket.wait_for(|f| matches!(f, ServerFrame::Message { .. })).await.unwrap() {
        ServerFrame::Message { message } => message.conversation_id,
        _ => unreachable!(),
    };
    for n in 0..5 {
        let id = format!("a{n}");
        agent.send(conversation_id, &id, "Yes, in every size.").await.unwrap();
        assert_eq!(first_of_accepted_or_echo(&mut agent.socket, &id).await, "accepted", "agent send {n}");
    }
    t.stop().await;
}

/// Every `history` frame a client receives until it sends nothing more, following the doc:
/// a `sync` after the last seq whenever a frame says `more`.
async fn follow_history(socket: &mut FrameSocket) -> Vec<u64> {
    let mut seqs = Vec::new();
    loop {
        let frame = socket.wait_for(|f| matches!(f, ServerFrame::History { .. })).await.unwrap();
        let ServerFrame::History { messages, more, .. } = frame else { unreachable!() };
        seqs.extend(messages.iter().map(|m| m.seq));
        if !more {
            return seqs;
        }
        let after_seq = *seqs.last().unwrap();
        socket.send(&VisitorFrame::Sync { after_seq }).await.unwrap();
    }
}

#[tokio::test]
async fn long_histories_come_a_page_per_sync_and_no_page_twice() {
    let t = TestRelay::start().await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("first", "hello").await.unwrap();
    let conversation_id = match shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap() {
        ServerFrame::Accepted { conversation_id, .. } => conversation_id,
        _ => unreachable!(),
    };
    let state = t.relay.state();
    let visitor = shopper.welcome.visitor_id.clone();
    for n in 2..=450 {
        let client_id = format!("m{n}");
        let new = NewMessage {
            role: Role::Visitor,
            author_id: &visitor,
            author_name: None,
            text: "another line",
            client_id: Some(&client_id),
            faq_article: None,
            faq_choices: &[],
        };
        state.store.append_message(conversation_id, &new).await.unwrap();
    }
    let token = shopper.welcome.token.clone();
    shopper.socket.close().await;

    let mut back = VisitorClient::connect(&t.base, "demo", None, Some(token), 0).await.unwrap();
    let seqs = follow_history(&mut back.socket).await;
    // 450 messages and whatever the bot said: each once, in order.
    assert!(seqs.len() >= 450, "{} messages", seqs.len());
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<u64>>(), "every message once, in order");
    // Nothing else was pushed meanwhile: the next history is the answer to this sync, empty.
    back.socket.send(&VisitorFrame::Sync { after_seq: *seqs.last().unwrap() }).await.unwrap();
    let next = back.socket.wait_for(|f| matches!(f, ServerFrame::History { .. })).await.unwrap();
    assert!(matches!(next, ServerFrame::History { ref messages, more: false, .. } if messages.is_empty()), "{next:?}");

    // An agent's sync pages the same way.
    let (email, password) = t.add_agent_as("demo", "Ann", "owner").await;
    let mut agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    agent.socket.send(&AgentFrame::Sync { conversation_id, after_seq: 0 }).await.unwrap();
    let first = agent.socket.wait_for(|f| matches!(f, ServerFrame::History { .. })).await.unwrap();
    let ServerFrame::History { messages, more, .. } = first else { unreachable!() };
    assert_eq!((messages.len(), more), (200, true));
    t.stop().await;
}

#[tokio::test]
async fn a_sync_before_the_first_message_is_answered() {
    let t = TestRelay::start().await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.socket.send(&VisitorFrame::Sync { after_seq: 0 }).await.unwrap();
    let answer = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. } | ServerFrame::History { .. }));
    match answer.await.unwrap() {
        ServerFrame::Error { code, .. } => assert_eq!(code, ErrorCode::NotFound),
        other => panic!("expected not_found, got {other:?}"),
    }
    t.stop().await;
}
