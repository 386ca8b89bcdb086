//! Closing a conversation properly: the closing question waits for the shopper's answer, an
//! idle conversation closes by itself, and each close says whether it was resolved (a reopen
//! within 7 days says it was not). The ten-minute wait and the 24-hour idle time are driven
//! with explicit times: the relay's own sweeps are off and the test calls them.

mod common;

use common::TestRelay;
use parley::{AgentClient, VisitorClient};
use protocol::{AgentFrame, Role, ServerFrame};
use relay::chat::closing::{sweep_closing, sweep_idle};

const QUESTION: &str = "Is there anything else I can help you with?";

/// A shopper who asked something and Kim, who has the conversation; returns its id.
async fn chatting(t: &TestRelay) -> (VisitorClient, AgentClient, i64) {
    let (email, password) = t.add_agent("demo", "Kim").await;
    let kim = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("q1", "Do you ship to Canada?").await.unwrap();
    let accepted = shopper.socket.wait_for_keeping(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    let ServerFrame::Accepted { conversation_id, .. } = accepted else { unreachable!() };
    let joined = ServerFrame::Attendance { agent_name: Some("Kim".into()), queue_position: None };
    shopper.socket.wait_for(|f| *f == joined).await.unwrap();
    (shopper, kim, conversation_id)
}

/// Kim asks the closing question; returns when the conversation closes unless answered.
async fn ask_to_close(kim: &mut AgentClient, conversation_id: i64, resolved: Option<bool>) -> i64 {
    let close = AgentFrame::Close { conversation_id, question: Some(QUESTION.into()), resolved };
    kim.socket.send(&close).await.unwrap();
    let closing = kim.socket.wait_for(|f| matches!(f, ServerFrame::Closing { .. })).await.unwrap();
    let ServerFrame::Closing { conversation_id: id, closes_at } = closing else { unreachable!() };
    assert_eq!(id, conversation_id);
    closes_at
}

async fn summary(t: &TestRelay, id: i64) -> protocol::ConversationSummary {
    let store = &t.relay.state().store;
    let record = store.conversation(id).await.unwrap().expect("the conversation");
    store.summary(&record).await.unwrap()
}

#[tokio::test]
async fn the_closing_question_closes_the_chat_only_when_the_shopper_stays_silent() {
    let t = TestRelay::start_with(|config| config.sweep_deadlines = false).await;
    let (mut shopper, mut kim, id) = chatting(&t).await;
    let before = relay::store::now_millis();
    let closes_at = ask_to_close(&mut kim, id, None).await;
    assert!((before + 600_000..=relay::store::now_millis() + 600_000).contains(&closes_at), "ten minutes by default");
    let asked = shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Agent))
        .await
        .unwrap();
    let ServerFrame::Message { message } = asked else { unreachable!() };
    assert_eq!((message.text.as_str(), message.author.role), (QUESTION, Role::Agent));
    assert_eq!(summary(&t, id).await.closes_at, Some(closes_at), "a reloaded console sees the wait");

    let chat = &t.relay.state().chat;
    assert_eq!(sweep_closing(chat, closes_at - 1).await.unwrap(), 0, "still waiting for an answer");
    assert_eq!(summary(&t, id).await.closed_at, None);
    assert_eq!(sweep_closing(chat, closes_at).await.unwrap(), 1);
    let closed = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Closed { .. })).await.unwrap();
    assert_eq!(closed, ServerFrame::Closed { conversation_id: id, by_agent_id: Some(kim.agent.id) });
    let done = summary(&t, id).await;
    assert!(done.closed_at.is_some());
    assert_eq!((done.resolved, done.closes_at), (Some(true), None), "resolved unless the agent said otherwise");
    assert_eq!(sweep_closing(chat, closes_at + 60_000).await.unwrap(), 0, "closed once");
    t.stop().await;
}

#[tokio::test]
async fn an_answer_to_the_closing_question_keeps_the_same_conversation_open() {
    let t = TestRelay::start_with(|config| config.sweep_deadlines = false).await;
    t.relay.state().store.set_closing_times("demo", Some(120), None).await.unwrap();
    let (mut shopper, mut kim, id) = chatting(&t).await;
    let closes_at = ask_to_close(&mut kim, id, None).await;
    assert!(closes_at - relay::store::now_millis() <= 120_000, "the store's own wait");
    shopper.send("q2", "Yes, one more thing: do you gift wrap?").await.unwrap();
    let accepted = shopper.socket.wait_for_keeping(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    let ServerFrame::Accepted { conversation_id, .. } = accepted else { unreachable!() };
    assert_eq!(conversation_id, id, "the answer lands in the same conversation");
    kim.socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.text.contains("gift")))
        .await
        .unwrap();

    assert_eq!(sweep_closing(&t.relay.state().chat, closes_at + 1).await.unwrap(), 0);
    let open = summary(&t, id).await;
    assert_eq!((open.closed_at, open.closes_at), (None, None), "the answer ended the wait");
    t.stop().await;
}

#[tokio::test]
async fn a_conversation_idle_for_a_day_closes_by_itself_and_unanswered_counts_as_unresolved() {
    let t = TestRelay::start_with(|config| config.sweep_deadlines = false).await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("q1", "Anyone there?").await.unwrap();
    let accepted = shopper.socket.wait_for_keeping(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    let ServerFrame::Accepted { conversation_id: id, at, .. } = accepted else { unreachable!() };
    // The bot answers a shopper nobody is there for; wait until it has, so its line is the last.
    shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Bot))
        .await
        .unwrap();
    let last = t.relay.state().store.recent_messages(id, 1).await.unwrap()[0].at;
    assert!(last >= at);

    let chat = &t.relay.state().chat;
    let day = 24 * 60 * 60 * 1000;
    assert_eq!(sweep_idle(chat, last + day - 1).await.unwrap(), 0, "not a day yet");
    assert_eq!(sweep_idle(chat, last + day).await.unwrap(), 1);
    let notice = shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role == Role::System))
        .await
        .unwrap();
    let ServerFrame::Message { message } = notice else { unreachable!() };
    assert!(!message.text.is_empty(), "the closing notice");
    let closed = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Closed { .. })).await.unwrap();
    assert_eq!(closed, ServerFrame::Closed { conversation_id: id, by_agent_id: None });
    assert_eq!(summary(&t, id).await.resolved, Some(false), "no person ever answered the shopper");
    t.stop().await;
}

#[tokio::test]
async fn a_store_can_turn_the_idle_close_off() {
    let t = TestRelay::start_with(|config| config.sweep_deadlines = false).await;
    t.relay.state().store.set_closing_times("demo", None, Some(0)).await.unwrap();
    let (_shopper, _kim, id) = chatting(&t).await;
    let year = 365 * 24 * 60 * 60 * 1000;
    assert_eq!(sweep_idle(&t.relay.state().chat, relay::store::now_millis() + year).await.unwrap(), 0);
    assert_eq!(summary(&t, id).await.closed_at, None);
    t.stop().await;
}

#[tokio::test]
async fn not_resolved_is_recorded_and_a_reopen_within_a_week_unresolves() {
    let t = TestRelay::start_with(|config| config.sweep_deadlines = false).await;
    let (mut shopper, mut kim, id) = chatting(&t).await;
    kim.socket.send(&AgentFrame::Close { conversation_id: id, question: None, resolved: Some(false) }).await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Closed { .. })).await.unwrap();
    assert_eq!(summary(&t, id).await.resolved, Some(false));

    kim.socket.send(&AgentFrame::Reopen { conversation_id: id }).await.unwrap();
    kim.socket
        // The reopened conversation's latest line is the closing notice.
        .wait_for(|f| {
            matches!(f, ServerFrame::Conversation { conversation } if conversation.id == id
            && conversation.last_message.as_ref().is_some_and(|m| m.author.role == Role::System))
        })
        .await
        .unwrap();
    assert_eq!(summary(&t, id).await.resolved, None, "open again");
    kim.socket.send(&AgentFrame::Close { conversation_id: id, question: None, resolved: None }).await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Closed { .. })).await.unwrap();
    assert_eq!(summary(&t, id).await.resolved, Some(false), "reopened within 7 days: not resolved");
    t.stop().await;
}
