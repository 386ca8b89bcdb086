//! What the console's inbox is told: unread counts that count only the shopper's messages (the
//! bot's answers need nobody), how far the shopper read (for an agent who receives a transfer),
//! the search of conversations by the shopper's words or email, within what the agent may see,
//! and who follows which conversation (owners and admins every one, a plain agent only theirs):
//! a plain agent can neither read nor write another agent's conversation, a supervisor reads it.

mod common;

use common::console::{code, signed_in};
use common::TestRelay;
use parley::{AgentClient, VisitorClient};
use protocol::{AgentFrame, AgentStatus, ConversationSummary, ErrorCode, Role, ServerFrame};

/// Waits for the bot's next message to the shopper.
async fn bot_answers(shopper: &mut VisitorClient) {
    shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Bot))
        .await
        .expect("the bot answers");
}

/// Waits until the shopper hears that `agent` joined.
async fn joined(shopper: &mut VisitorClient, agent: &str) {
    shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Attendance { agent_name: Some(name), .. } if name == agent))
        .await
        .expect("an agent joins");
}

fn listed(body: &[u8]) -> Vec<ConversationSummary> {
    serde_json::from_slice(body).expect("a list of conversation summaries")
}

#[tokio::test]
async fn unread_counts_leave_out_the_bot_and_search_finds_the_shoppers_words_within_the_agents_scope() {
    let t = TestRelay::start().await;
    // Nobody online: the bot answers each message, so half the conversation is the bot's.
    let mut ana = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    ana.send("a", "My PARCEL never came").await.unwrap();
    bot_answers(&mut ana).await;
    ana.send("b", "ana.lopez@example.com").await.unwrap();
    bot_answers(&mut ana).await;

    let owner = signed_in(&t, "demo", "Olga", "owner").await;
    let open = owner.call("GET", "/api/stores/demo/conversations", None).await.unwrap();
    let open = listed(&open.body);
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].unread_from_shopper, 2, "two from the shopper, not the bot's answers: {:?}", open[0]);
    assert!(open[0].last_seq >= 4 && open[0].agent_read_seq == 0);

    // Search: the shopper's words without regard to case, or the email; never the bot's words.
    let search = |q: &str| format!("/api/stores/demo/conversations?q={q}");
    let found = listed(&owner.call("GET", &search("parcel"), None).await.unwrap().body);
    assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), vec![open[0].id]);
    let found = listed(&owner.call("GET", &search("ana.lopez%40example"), None).await.unwrap().body);
    assert_eq!(found.len(), 1, "found by the email left");
    let found = listed(&owner.call("GET", &search("available"), None).await.unwrap().body);
    assert!(found.is_empty(), "the bot's words are not the shopper's: {found:?}");
    let found = listed(&owner.call("GET", &search("%20%20"), None).await.unwrap().body);
    assert!(found.is_empty(), "a blank search finds nothing");

    // Cy comes online and gets Ana's conversation; he has room for one only, so the next
    // shopper waits in the queue.
    let (cy_email, cy_password) = t.add_agent("demo", "Cy").await;
    let mut cy = AgentClient::login(&t.base, &cy_email, &cy_password).await.unwrap();
    cy.socket.send(&AgentFrame::SetCapacity { capacity: 1 }).await.unwrap();
    joined(&mut ana, "Cy").await;
    let mut bo = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    bo.send("a", "Where is my refund?").await.unwrap();
    bo.socket.wait_for(|f| matches!(f, ServerFrame::Attendance { queue_position: Some(1), .. })).await.unwrap();

    // Di, a plain agent, sees the queue's conversation and not Cy's, in the list and in search.
    let di = signed_in(&t, "demo", "Di", "agent").await;
    let hers = listed(&di.call("GET", "/api/stores/demo/conversations", None).await.unwrap().body);
    assert_eq!(hers.len(), 1, "{hers:?}");
    assert!(hers[0].assigned_agent_id.is_none());
    assert!(listed(&di.call("GET", &search("parcel"), None).await.unwrap().body).is_empty(), "Cy's chat");
    assert_eq!(listed(&di.call("GET", &search("refund"), None).await.unwrap().body).len(), 1);
    assert_eq!(listed(&owner.call("GET", &search("parcel"), None).await.unwrap().body).len(), 1, "owners see all");

    // Searches are bounded per address like the FAQ's.
    let mut refused = None;
    for _ in 0..200 {
        let response = di.call("GET", &search("refund"), None).await.unwrap();
        if response.status != 200 {
            refused = Some(response);
            break;
        }
    }
    let refused = refused.expect("searching without end is refused");
    assert_eq!((refused.status, code(&refused).as_str()), (429, "rate_limited"));
    t.stop().await;
}

#[tokio::test]
async fn an_agent_who_receives_a_transfer_learns_how_far_the_shopper_read() {
    let t = TestRelay::start().await;
    let (e1, p1) = t.add_agent("demo", "Ann").await;
    let mut ann = AgentClient::login(&t.base, &e1, &p1).await.unwrap();
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("a", "Hello?").await.unwrap();
    joined(&mut shopper, "Ann").await;
    let frame = ann
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.text == "Hello?"))
        .await
        .unwrap();
    let ServerFrame::Message { message } = frame else { unreachable!() };
    let conversation = message.conversation_id;
    ann.send(conversation, "r1", "Hi, Ann here.").await.unwrap();
    let reply = shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Agent))
        .await
        .unwrap();
    let ServerFrame::Message { message: reply } = reply else { unreachable!() };
    shopper.socket.send(&protocol::VisitorFrame::Ack { seq: reply.seq }).await.unwrap();
    ann.socket
        .wait_for(|f| matches!(f, ServerFrame::Read { seq, by: Role::Visitor, .. } if *seq == reply.seq))
        .await
        .unwrap();

    // Bo, a plain agent, signs in: Ann's conversation is none of his business yet.
    let bo_console = signed_in(&t, "demo", "Bo", "agent").await;
    let mut bo = AgentClient::login(&t.base, "bo@demo.test", "Bo-secret-pw").await.unwrap();
    assert!(bo.conversations.iter().all(|c| c.id != conversation), "another agent's chat in Bo's welcome");
    // He can take it once the relay has him online.
    bo.socket.wait_for(|f| matches!(f, ServerFrame::Presence { status: AgentStatus::Online, .. })).await.unwrap();
    ann.socket.send(&AgentFrame::Transfer { conversation_id: conversation, to_agent_id: bo.agent.id }).await.unwrap();
    let bo_id = bo.agent.id;
    bo.socket
        .wait_for(|f| matches!(f, ServerFrame::Assignment { conversation_id, agent_id: Some(a), .. } if *conversation_id == conversation && *a == bo_id))
        .await
        .unwrap();
    // Now his: the console reads its summary with the context panel.
    let context =
        bo_console.call("GET", &format!("/api/stores/demo/conversations/{conversation}/context"), None).await.unwrap();
    assert_eq!(context.status, 200, "{}", context.text());
    let context: serde_json::Value = serde_json::from_slice(&context.body).unwrap();
    let summary: ConversationSummary = serde_json::from_value(context["conversation"].clone()).unwrap();
    assert_eq!(summary.visitor_read_seq, reply.seq, "Ann's reply shows as read to Bo");
    assert_eq!(summary.unread_from_shopper, 1, "Bo has not read the shopper's message");
    t.stop().await;
}

#[tokio::test]
async fn owners_and_admins_follow_every_conversation_while_agents_see_only_theirs() {
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent_as("demo", "Worker", "agent").await;
    let mut worker = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let (admin_email, admin_password) = t.add_agent_as("demo", "Boss", "admin").await;
    let mut boss =
        AgentClient::login_as(&t.base, &admin_email, &admin_password, Some(protocol::AgentStatus::Away)).await.unwrap();
    let (other_email, other_password) = t.add_agent_as("demo", "Peer", "agent").await;
    let mut peer =
        AgentClient::login_as(&t.base, &other_email, &other_password, Some(protocol::AgentStatus::Away)).await.unwrap();
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("q1", "first question").await.unwrap();
    worker.socket.wait_for(|f| matches!(f, ServerFrame::Message { .. })).await.unwrap();
    shopper.send("q2", "second question, only for the worker and the boss").await.unwrap();
    let wanted = |f: &ServerFrame| matches!(f, ServerFrame::Message { message } if message.text.starts_with("second"));
    worker.socket.wait_for(wanted).await.unwrap();
    boss.socket.wait_for(wanted).await.unwrap();
    // The boss got each message once; the other agent got neither follow-up.
    shopper.send("q3", "third").await.unwrap();
    let third = |f: &ServerFrame| matches!(f, ServerFrame::Message { message } if message.text == "third");
    boss.socket.wait_for(third).await.unwrap();
    worker.socket.wait_for(third).await.unwrap();
    // A round trip on the peer's socket after the boss got "third": anything sent to the peer
    // before then arrives before this answer.
    peer.socket.send(&AgentFrame::SetStatus { status: protocol::AgentStatus::Away }).await.unwrap();
    let mut leaked = false;
    loop {
        match peer.socket.next_frame().await.unwrap() {
            ServerFrame::Presence { .. } => break,
            ServerFrame::Message { message } => leaked |= message.text != "first question",
            _ => {}
        }
    }
    assert!(!leaked, "a plain agent received another agent's conversation");
}

async fn conversation_of(t: &TestRelay, agent: &mut AgentClient) -> (VisitorClient, i64) {
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("c1", "hello, anyone?").await.unwrap();
    let assigned = agent.socket.wait_for(|f| matches!(f, ServerFrame::Assignment { agent_id: Some(_), .. })).await;
    let assigned = assigned.unwrap();
    let ServerFrame::Assignment { conversation_id, .. } = assigned else { unreachable!() };
    (shopper, conversation_id)
}

#[tokio::test]
async fn a_plain_agent_cannot_read_or_write_another_agents_conversation() {
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Dee").await;
    let mut dee = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let (mut shopper, id) = conversation_of(&t, &mut dee).await;
    let (email, password) = t.add_agent("demo", "Snoop").await;
    let mut snoop = AgentClient::login(&t.base, &email, &password).await.unwrap();
    snoop.socket.send(&AgentFrame::Sync { conversation_id: id, after_seq: 0 }).await.unwrap();
    let refused = snoop.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. } | ServerFrame::History { .. })).await;
    assert!(matches!(refused.unwrap(), ServerFrame::Error { code: ErrorCode::NotYours, .. }));
    snoop.send(id, "s1", "I am your agent now").await.unwrap();
    let refused =
        snoop.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. } | ServerFrame::Accepted { .. })).await;
    assert!(matches!(refused.unwrap(), ServerFrame::Error { code: ErrorCode::NotYours, .. }));

    // A supervisor reads it, and may leave a note, but does not write to the shopper.
    let (email, password) = t.add_agent_as("demo", "Sue", "admin").await;
    let mut sue = AgentClient::login(&t.base, &email, &password).await.unwrap();
    sue.socket.send(&AgentFrame::Sync { conversation_id: id, after_seq: 0 }).await.unwrap();
    sue.socket.wait_for(|f| matches!(f, ServerFrame::History { .. })).await.unwrap();
    sue.send(id, "u1", "hello from the boss").await.unwrap();
    let refused = sue.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. } | ServerFrame::Accepted { .. })).await;
    assert!(matches!(refused.unwrap(), ServerFrame::Error { code: ErrorCode::NotYours, .. }));
    // The assignee still answers, and that is the only agent message the shopper sees.
    dee.send(id, "d1", "Hi, Dee here").await.unwrap();
    let heard = shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message, .. } if message.author.role == protocol::Role::Agent))
        .await
        .unwrap();
    let ServerFrame::Message { message, .. } = heard else { unreachable!() };
    assert_eq!(message.text, "Hi, Dee here");
    t.stop().await;
}
