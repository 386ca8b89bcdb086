//! The first-reply promise over real sockets: the bot acknowledges a shopper nobody answered,
//! the conversation moves to a free agent, an agent who already answered keeps it, and a wait
//! that began before a restart is still honoured after it.
//!
//! The default 60 s deadline is driven with explicit times (the relay's own sweep is off and the
//! test calls it with "now" set where it wants), so nothing waits a minute, across a restart too;
//! one test keeps the relay's own sweep with a 1 s deadline, end to end. The rules on stored times are tested
//! without waiting in `relay/src/store/conversations.rs`.

mod common;

use common::TestRelay;
use parley::{AgentClient, VisitorClient};
use protocol::{AgentFrame, AgentStatus, Role, ServerFrame};
use relay::bot::deadline::sweep;

fn bot_message(f: &ServerFrame) -> bool {
    matches!(f, ServerFrame::Message { message } if message.author.role == Role::Bot)
}

async fn told_joined(shopper: &mut VisitorClient, name: &str) {
    let wanted = ServerFrame::Attendance { agent_name: Some(name.into()), queue_position: None };
    shopper.socket.wait_for(|f| *f == wanted).await.unwrap_or_else(|e| panic!("{name} never joined: {e}"));
}

#[tokio::test]
async fn at_sixty_seconds_and_not_a_moment_before_the_bot_steps_in_and_the_chat_moves_once() {
    let t = TestRelay::start_with(|config| config.sweep_deadlines = false).await;
    let (e1, p1) = t.add_agent("demo", "Kim").await;
    let (e2, p2) = t.add_agent("demo", "Lou").await;
    let _kim = AgentClient::login(&t.base, &e1, &p1).await.unwrap();
    let mut lou = AgentClient::login_as(&t.base, &e2, &p2, Some(AgentStatus::Away)).await.unwrap();
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("q", "Do you ship to Canada?").await.unwrap();
    let accepted = shopper.socket.wait_for_keeping(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    let ServerFrame::Accepted { at: asked_at, conversation_id, .. } = accepted else { unreachable!() };
    told_joined(&mut shopper, "Kim").await;
    lou.socket.send(&AgentFrame::SetStatus { status: AgentStatus::Online }).await.unwrap();
    lou.socket.wait_for(|f| matches!(f, ServerFrame::Presence { status: AgentStatus::Online, .. })).await.unwrap();

    let state = t.relay.state();
    assert_eq!(sweep(&state.bot, asked_at + 59_999).await.unwrap(), 0, "nothing happens before 60 s");
    assert_eq!(sweep(&state.bot, asked_at + 60_000).await.unwrap(), 1, "the wait is handled at 60 s");
    let frame = shopper.socket.wait_for(bot_message).await.unwrap();
    let ServerFrame::Message { message } = frame else { unreachable!() };
    assert_eq!(message.author.name.as_deref(), Some("Bot"));
    told_joined(&mut shopper, "Lou").await;
    assert_eq!(sweep(&state.bot, asked_at + 120_000).await.unwrap(), 0, "one acknowledgement per wait");
    let kinds: Vec<String> =
        state.store.conversation_events(conversation_id).await.unwrap().into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, ["assigned", "rerouted"]);
    t.stop().await;
}

#[tokio::test]
async fn a_silent_agent_loses_the_shopper_to_a_free_one_after_the_bot_steps_in() {
    let t = TestRelay::start().await;
    t.relay.state().store.set_first_reply_secs("demo", 1).await.unwrap();
    let (e1, p1) = t.add_agent("demo", "Kim").await;
    let (e2, p2) = t.add_agent("demo", "Lou").await;
    let kim = AgentClient::login(&t.base, &e1, &p1).await.unwrap();
    let mut lou = AgentClient::login_as(&t.base, &e2, &p2, Some(AgentStatus::Away)).await.unwrap();

    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("q", "Is this in stock?").await.unwrap();
    told_joined(&mut shopper, "Kim").await;
    lou.socket.send(&AgentFrame::SetStatus { status: AgentStatus::Online }).await.unwrap();

    // Kim stays silent past the deadline: the bot acknowledges, and Lou takes over.
    let frame = shopper.socket.wait_for(bot_message).await.unwrap();
    let ServerFrame::Message { message } = frame else { unreachable!() };
    assert_eq!(message.author.name.as_deref(), Some("Bot"));
    assert!(message.text.starts_with("Thanks for waiting!"), "{}", message.text);
    told_joined(&mut shopper, "Lou").await;
    let conversation = message.conversation_id;
    let kinds: Vec<String> =
        t.relay.state().store.conversation_events(conversation).await.unwrap().into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, ["assigned", "rerouted"]);

    // Lou answers; the next unanswered question gets the bot again, but Lou keeps the chat.
    lou.send(conversation, "l1", "Yes, all sizes.").await.unwrap();
    shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.text == "Yes, all sizes."))
        .await
        .unwrap();
    shopper.send("q2", "And in blue?").await.unwrap();
    shopper.socket.wait_for(bot_message).await.unwrap();
    let kinds = t.relay.state().store.conversation_events(conversation).await.unwrap();
    assert_eq!(kinds.len(), 2, "no re-route after a human reply: {kinds:?}");
    drop(kim);
    t.stop().await;
}

#[tokio::test]
async fn a_wait_that_began_before_a_restart_is_acknowledged_after_it() {
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Nia").await;
    let _agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("q", "Hello? Is anyone reading this?").await.unwrap();
    let accepted = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    let ServerFrame::Accepted { at: asked_at, .. } = accepted else { unreachable!() };
    let token = shopper.welcome.token.clone();
    let (data, dir) = t.stop().await;

    // A new relay on the same data dir, its clock driven by hand: the wait it never saw is
    // still due at 60 s, and not before.
    let t = TestRelay::start_at_with(&data, |config| config.sweep_deadlines = false).await;
    let state = t.relay.state();
    assert_eq!(sweep(&state.bot, asked_at + 59_000).await.unwrap(), 0);
    assert_eq!(sweep(&state.bot, asked_at + 60_000).await.unwrap(), 1);
    let mut back = VisitorClient::connect(&t.base, "demo", None, Some(token), 0).await.unwrap();
    let history = back.socket.wait_for(|f| matches!(f, ServerFrame::History { .. })).await.unwrap();
    let ServerFrame::History { messages, .. } = history else { unreachable!() };
    let bot = messages.iter().find(|m| m.author.role == Role::Bot).expect("the acknowledgement is stored");
    assert!(bot.text.starts_with("Thanks for waiting!"), "{}", bot.text);
    t.stop().await;
    drop(dir);
}

#[tokio::test]
async fn a_wait_found_overdue_hours_late_moves_on_without_a_late_acknowledgement() {
    let t = TestRelay::start_with(|config| config.sweep_deadlines = false).await;
    let (email, password) = t.add_agent("demo", "Nia").await;
    let _agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("q", "Is anyone there?").await.unwrap();
    let accepted = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    let ServerFrame::Accepted { at: asked_at, conversation_id, .. } = accepted else { unreachable!() };

    // The relay first looks three hours later (it was down): the wait is handled, nothing said.
    let state = t.relay.state();
    let late = asked_at + relay::bot::deadline::ACKNOWLEDGE_WITHIN_MS + 3 * 3_600_000;
    assert_eq!(sweep(&state.bot, late).await.unwrap(), 1);
    assert_eq!(sweep(&state.bot, late + 1_000).await.unwrap(), 0, "handled once");
    let said = state.store.recent_messages(conversation_id, 10).await.unwrap();
    assert!(said.iter().all(|m| m.author.role != Role::Bot), "no acknowledgement hours late: {said:?}");
    t.stop().await;
}
