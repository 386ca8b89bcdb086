//! Routing over real sockets: fair assignment within capacity, the queue and what shoppers are
//! told about it, claim, transfer and release, an agent dropping out past the grace period, and
//! a clean logout. The pure rules are unit-tested in `relay/src/routing/desk.rs`.

mod common;

use std::time::Duration;

use common::TestRelay;
use parley::{AgentClient, FrameSocket, VisitorClient};
use protocol::{AgentFrame, AgentStatus, ErrorCode, ServerFrame};

const GRACE: Duration = Duration::from_millis(300);

/// Waits for the `assignment` frame of a conversation that matches `wanted`.
async fn assignment(socket: &mut FrameSocket, conversation: i64, wanted: impl Fn(Option<i64>, Option<u32>) -> bool) {
    socket
        .wait_for(|f| {
            matches!(f, ServerFrame::Assignment { conversation_id, agent_id, queue_position, .. }
            if *conversation_id == conversation && wanted(*agent_id, *queue_position))
        })
        .await
        .unwrap_or_else(|e| panic!("conversation {conversation}: {e}"));
}

/// Waits until the shopper is told that `agent` joined, or that they are at `position` in the
/// queue (notices in between, such as an earlier place in the queue, are passed over).
async fn told(shopper: &mut VisitorClient, agent: Option<&str>, position: Option<u32>) {
    let wanted = ServerFrame::Attendance { agent_name: agent.map(str::to_owned), queue_position: position };
    shopper.socket.wait_for(|f| *f == wanted).await.unwrap_or_else(|e| panic!("expected {wanted:?}: {e}"));
}

/// A shopper who has written once; returns them and their conversation id.
async fn shopper_writes(base: &str, text: &str) -> (VisitorClient, i64) {
    let mut shopper = VisitorClient::connect(base, "demo", None, None, 0).await.unwrap();
    shopper.send("first", text).await.unwrap();
    let accepted = shopper.socket.wait_for_keeping(|f| matches!(f, ServerFrame::Accepted { .. })).await;
    let conversation = match accepted.unwrap() {
        ServerFrame::Accepted { conversation_id, .. } => conversation_id,
        _ => unreachable!(),
    };
    (shopper, conversation)
}

async fn error_code(socket: &mut FrameSocket) -> ErrorCode {
    match socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap() {
        ServerFrame::Error { code, .. } => code,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn conversations_are_shared_fairly_within_capacity_and_the_rest_wait_in_order() {
    let t = TestRelay::start().await;
    let (e1, p1) = t.add_agent("demo", "Ann").await;
    let (e2, p2) = t.add_agent("demo", "Bo").await;
    let mut ann = AgentClient::login(&t.base, &e1, &p1).await.unwrap();
    let mut bo = AgentClient::login(&t.base, &e2, &p2).await.unwrap();
    let (ann_id, bo_id) = (ann.agent.id, bo.agent.id);
    for agent in [&mut ann, &mut bo] {
        agent.socket.send(&AgentFrame::SetCapacity { capacity: 1 }).await.unwrap();
        agent.socket.wait_for(|f| matches!(f, ServerFrame::Presence { capacity: 1, .. })).await.unwrap();
    }

    let (mut s1, c1) = shopper_writes(&t.base, "one").await;
    told(&mut s1, Some("Ann"), None).await;
    let (mut s2, c2) = shopper_writes(&t.base, "two").await;
    told(&mut s2, Some("Bo"), None).await;
    let (mut s3, c3) = shopper_writes(&t.base, "three").await;
    told(&mut s3, None, Some(1)).await;
    let (mut s4, c4) = shopper_writes(&t.base, "four").await;
    told(&mut s4, None, Some(2)).await;
    assignment(&mut bo.socket, c4, |agent, position| agent.is_none() && position == Some(2)).await;

    // Ann makes room: the oldest waiting conversation is hers, and the next one moves up.
    ann.socket.send(&AgentFrame::SetCapacity { capacity: 2 }).await.unwrap();
    told(&mut s3, Some("Ann"), None).await;
    told(&mut s4, None, Some(1)).await;
    assignment(&mut bo.socket, c3, |agent, _| agent == Some(ann_id)).await;

    // Bo, full, cannot claim the last one from the queue ("2 / 1 chats" is a broken promise);
    // once he makes room it is his. Transferring it to Ann, who is full, is refused.
    bo.socket.send(&AgentFrame::Claim { conversation_id: c4 }).await.unwrap();
    assert_eq!(error_code(&mut bo.socket).await, ErrorCode::AgentFull);
    bo.socket.send(&AgentFrame::SetCapacity { capacity: 2 }).await.unwrap();
    told(&mut s4, Some("Bo"), None).await;
    bo.socket.send(&AgentFrame::Transfer { conversation_id: c4, to_agent_id: ann_id }).await.unwrap();
    assert_eq!(error_code(&mut bo.socket).await, ErrorCode::AgentFull);
    ann.socket.send(&AgentFrame::Release { conversation_id: c2 }).await.unwrap();
    assert_eq!(error_code(&mut ann.socket).await, ErrorCode::NotYours);

    // Bo goes back to one at a time (he keeps both chats he has).
    bo.socket.send(&AgentFrame::SetCapacity { capacity: 1 }).await.unwrap();
    bo.socket.wait_for(|f| matches!(f, ServerFrame::Presence { capacity: 1, load: 2, .. })).await.unwrap();

    // Bo releases one: nobody else is free, so it waits; Ann transfers one to Bo when he has room.
    bo.socket.send(&AgentFrame::Release { conversation_id: c2 }).await.unwrap();
    told(&mut s2, None, Some(1)).await;
    ann.socket.send(&AgentFrame::SetCapacity { capacity: 3 }).await.unwrap();
    told(&mut s2, Some("Ann"), None).await;
    bo.socket.send(&AgentFrame::SetCapacity { capacity: 2 }).await.unwrap();
    bo.socket.wait_for(|f| matches!(f, ServerFrame::Presence { capacity: 2, .. })).await.unwrap();
    ann.socket.send(&AgentFrame::Transfer { conversation_id: c1, to_agent_id: bo_id }).await.unwrap();
    told(&mut s1, Some("Bo"), None).await;

    let events = t.relay.state().store.conversation_events(c1).await.unwrap();
    assert_eq!(events, vec![("assigned".to_owned(), Some(ann_id)), ("transferred".to_owned(), Some(bo_id))]);
    let events = t.relay.state().store.conversation_events(c2).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["assigned", "released", "assigned"]);
    t.stop().await;
}

#[tokio::test]
async fn away_agents_get_nothing_new_and_a_dropped_agent_loses_chats_only_after_the_grace_period() {
    let t = TestRelay::start_with_grace(GRACE).await;
    let (e1, p1) = t.add_agent("demo", "Cy").await;
    let (e2, p2) = t.add_agent("demo", "Di").await;
    let cy = AgentClient::login(&t.base, &e1, &p1).await.unwrap();
    let cy_token = cy.session_token.clone();
    let mut di = AgentClient::login(&t.base, &e2, &p2).await.unwrap();
    di.socket.send(&AgentFrame::SetStatus { status: AgentStatus::Away }).await.unwrap();
    di.socket.wait_for(|f| matches!(f, ServerFrame::Presence { status: AgentStatus::Away, .. })).await.unwrap();

    let (mut shopper, conversation) = shopper_writes(&t.base, "hello").await;
    told(&mut shopper, Some("Cy"), None).await;

    // Cy's connection drops; a reconnect within the grace period keeps the chat.
    cy.socket.close().await;
    let cy = AgentClient::resume(&t.base, &cy_token).await.unwrap();
    assert!(cy.conversations.iter().any(|c| c.id == conversation && c.assigned_agent_id == Some(cy.agent.id)));

    // This time Cy stays away: after the grace period the chat returns to the queue, and the
    // shopper hears that nobody has it, with no place in a line nobody serves (Di is away).
    // Di comes back online and gets it.
    let dropped_at = std::time::Instant::now();
    cy.socket.close().await;
    told(&mut shopper, None, None).await;
    assert!(dropped_at.elapsed() >= GRACE, "not before the grace period");
    di.socket.send(&AgentFrame::SetStatus { status: AgentStatus::Online }).await.unwrap();
    told(&mut shopper, Some("Di"), None).await;
    t.stop().await;
}

#[tokio::test]
async fn every_connection_of_an_agent_sees_their_status_and_logout_is_immediate() {
    let t = TestRelay::start_with_grace(Duration::from_secs(3600)).await;
    let (email, password) = t.add_agent("demo", "Eli").await;
    let mut tab1 = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let mut tab2 = AgentClient::resume(&t.base, &tab1.session_token).await.unwrap();
    tab1.socket.send(&AgentFrame::SetStatus { status: AgentStatus::Away }).await.unwrap();
    for tab in [&mut tab1, &mut tab2] {
        tab.socket.wait_for(|f| matches!(f, ServerFrame::Presence { status: AgentStatus::Away, .. })).await.unwrap();
    }
    tab2.socket.send(&AgentFrame::SetStatus { status: AgentStatus::Online }).await.unwrap();
    tab1.socket.wait_for(|f| matches!(f, ServerFrame::Presence { status: AgentStatus::Online, .. })).await.unwrap();

    let (mut shopper, _) = shopper_writes(&t.base, "hi").await;
    told(&mut shopper, Some("Eli"), None).await;
    // Logout takes effect at once, despite the hour-long grace period, and ends the session.
    tab1.socket.send(&AgentFrame::Logout).await.unwrap();
    // Back in the queue with nobody online: no place in line is given.
    told(&mut shopper, None, None).await;
    let err = AgentClient::resume(&t.base, &tab1.session_token).await.err().unwrap();
    assert!(format!("{err:#}").contains("BadCredentials"));
    t.stop().await;
}

#[tokio::test]
async fn closing_a_chat_frees_the_agent_for_the_queue_and_the_shoppers_next_message_starts_anew() {
    let t = TestRelay::start().await;
    let (e1, p1) = t.add_agent("demo", "Ann").await;
    let (e2, p2) = t.add_agent("demo", "Bo").await;
    let mut ann = AgentClient::login(&t.base, &e1, &p1).await.unwrap();
    let mut bo = AgentClient::login_as(&t.base, &e2, &p2, Some(AgentStatus::Away)).await.unwrap();
    ann.socket.send(&AgentFrame::SetCapacity { capacity: 1 }).await.unwrap();
    ann.socket.wait_for(|f| matches!(f, ServerFrame::Presence { capacity: 1, .. })).await.unwrap();
    let (mut first, c1) = shopper_writes(&t.base, "Hi").await;
    told(&mut first, Some("Ann"), None).await;
    let (mut second, _) = shopper_writes(&t.base, "Hello?").await;
    told(&mut second, None, Some(1)).await;

    // Only the assignee closes a chat that has one.
    bo.socket.send(&AgentFrame::Close { conversation_id: c1, question: None, resolved: None }).await.unwrap();
    assert_eq!(error_code(&mut bo.socket).await, ErrorCode::NotYours);

    ann.socket.send(&AgentFrame::Close { conversation_id: c1, question: None, resolved: None }).await.unwrap();
    let notice = first
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role == protocol::Role::System))
        .await
        .unwrap();
    let ServerFrame::Message { message: notice } = notice else { unreachable!() };
    assert!(notice.text.contains("closed"), "{}", notice.text);
    first
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Closed { conversation_id, .. } if *conversation_id == c1))
        .await
        .unwrap();
    // Ann's freed place goes to the shopper who waited.
    told(&mut second, Some("Ann"), None).await;
    let store = &t.relay.state().store;
    assert!(store.closed_at(c1).await.unwrap().is_some());
    let kinds: Vec<String> = store.conversation_events(c1).await.unwrap().into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, ["assigned", "closed"]);

    // Nobody writes into a closed chat...
    ann.send(c1, "late", "Still there?").await.unwrap();
    assert_eq!(error_code(&mut ann.socket).await, ErrorCode::NotFound);
    // ...and the shopper's next message opens a new one, numbered on from the old.
    first.send("again", "One more question").await.unwrap();
    let accepted =
        first.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { client_id, .. } if client_id == "again"));
    let ServerFrame::Accepted { conversation_id, seq, .. } = accepted.await.unwrap() else { unreachable!() };
    assert_ne!(conversation_id, c1);
    assert!(seq > notice.seq, "seq {seq} continues after {}", notice.seq);
    t.stop().await;
}
