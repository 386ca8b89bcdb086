//! What the relay keeps in memory of each open conversation (store, shopper, assignee, last
//! seq, whether a human replied, the bot's away state) agrees with the database at every step
//! of a conversation's life: opened, answered, transferred, released, closed, reopened, and
//! after a restart.

mod common;

use common::TestRelay;
use parley::{AgentClient, FrameSocket, VisitorClient};
use protocol::{AgentFrame, ServerFrame};

/// Memory and disk hold the same open conversations with the same facts.
async fn agree(t: &TestRelay, step: &str) -> usize {
    let store = &t.relay.state().store;
    let on_disk = store.open_facts_on_disk().await.unwrap();
    assert_eq!(store.open_facts(), on_disk, "after {step}");
    on_disk.len()
}

async fn assignment(socket: &mut FrameSocket, conversation: i64, to: Option<i64>) {
    socket
        .wait_for(|f| {
            matches!(f, ServerFrame::Assignment { conversation_id, agent_id, .. }
            if *conversation_id == conversation && *agent_id == to)
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn the_open_conversations_in_memory_agree_with_the_database_through_a_conversations_life() {
    let t = TestRelay::start().await;
    let (e1, p1) = t.add_agent("demo", "Ann").await;
    let (e2, p2) = t.add_agent("demo", "Bo").await;
    let mut ann = AgentClient::login(&t.base, &e1, &p1).await.unwrap();
    let mut bo = AgentClient::login(&t.base, &e2, &p2).await.unwrap();
    let (ann_id, bo_id) = (ann.agent.id, bo.agent.id);
    assert_eq!(agree(&t, "sign-in").await, 0);

    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("c1", "Where is my parcel?").await.unwrap();
    let conversation = match shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap() {
        ServerFrame::Accepted { conversation_id, .. } => conversation_id,
        _ => unreachable!(),
    };
    // Routed to one of the two; whoever has it answers.
    let holder = match ann.socket.wait_for(|f| matches!(f, ServerFrame::Assignment { .. })).await.unwrap() {
        ServerFrame::Assignment { agent_id: Some(id), .. } => id,
        other => panic!("not assigned: {other:?}"),
    };
    assert_eq!(agree(&t, "opening").await, 1);
    let (holder_socket, other_socket, other_id) =
        if holder == ann_id { (&mut ann, &mut bo, bo_id) } else { (&mut bo, &mut ann, ann_id) };
    holder_socket.send(conversation, "a1", "It left yesterday.").await.unwrap();
    holder_socket.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    let facts = t.relay.state().store.open_facts();
    assert!(facts[0].1.human_replied && facts[0].1.last_seq == 2, "{facts:?}");
    agree(&t, "a reply").await;

    holder_socket
        .socket
        .send(&AgentFrame::Transfer { conversation_id: conversation, to_agent_id: other_id })
        .await
        .unwrap();
    assignment(&mut other_socket.socket, conversation, Some(other_id)).await;
    assert_eq!(t.relay.state().store.open_facts()[0].1.assignee, Some(other_id));
    agree(&t, "a transfer").await;

    // Released: back to the queue, from which the other free agent takes it at once.
    other_socket.socket.send(&AgentFrame::Release { conversation_id: conversation }).await.unwrap();
    other_socket
        .socket
        .wait_for(|f| {
            matches!(f, ServerFrame::Assignment { conversation_id, agent_id, .. }
            if *conversation_id == conversation && *agent_id != Some(other_id))
        })
        .await
        .unwrap();
    assert_ne!(t.relay.state().store.open_facts()[0].1.assignee, Some(other_id));
    agree(&t, "a release").await;

    // A second shopper, then the first conversation closes: one open remains.
    let mut second = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    second.send("c1", "Hello?").await.unwrap();
    second.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    ann.socket
        .send(&AgentFrame::Close { conversation_id: conversation, question: None, resolved: None })
        .await
        .unwrap();
    ann.socket
        .wait_for(|f| matches!(f, ServerFrame::Closed { conversation_id, .. } if *conversation_id == conversation))
        .await
        .unwrap();
    assert_eq!(agree(&t, "a close").await, 1);

    ann.socket.send(&AgentFrame::Reopen { conversation_id: conversation }).await.unwrap();
    assignment(&mut ann.socket, conversation, Some(ann_id)).await;
    assert_eq!(agree(&t, "a reopen").await, 2);
    let before = t.relay.state().store.open_facts();

    drop((ann, bo, shopper, second));
    let (data, dir) = t.stop().await;
    let t = TestRelay::start_on(&data).await;
    assert_eq!(agree(&t, "a restart").await, 2);
    assert_eq!(t.relay.state().store.open_facts(), before, "nothing forgotten or invented by the restart");
    drop(dir);
}
