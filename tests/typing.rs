//! Typing indicators both ways, and the relay's throttle on them.

mod common;

use common::TestRelay;
use parley::{AgentClient, VisitorClient};
use protocol::{AgentFrame, Role, ServerFrame, VisitorFrame};

#[tokio::test]
async fn typing_reaches_the_other_side_at_most_once_per_interval() {
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Quinn").await;
    let mut agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("a", "hi").await.unwrap();
    let frame = agent.socket.wait_for(|f| matches!(f, ServerFrame::Message { .. })).await.unwrap();
    let ServerFrame::Message { message } = frame else { unreachable!() };
    let conversation = message.conversation_id;

    // A shopper hammering the key: the agent hears of it once before the next message.
    for _ in 0..5 {
        shopper.socket.send(&VisitorFrame::Typing).await.unwrap();
    }
    shopper.send("b", "are you there?").await.unwrap();
    let mut typing_reports = 0;
    loop {
        match agent.socket.next_frame().await.unwrap() {
            ServerFrame::Typing { by: Role::Visitor, conversation_id, .. } => {
                assert_eq!(conversation_id, conversation);
                typing_reports += 1;
            }
            ServerFrame::Message { message } if message.text == "are you there?" => break,
            _ => {}
        }
    }
    assert_eq!(typing_reports, 1);

    // The agent typing reaches the shopper with the agent's name.
    agent.socket.send(&AgentFrame::Typing { conversation_id: conversation }).await.unwrap();
    let frame = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Typing { .. })).await.unwrap();
    assert_eq!(
        frame,
        ServerFrame::Typing { conversation_id: conversation, by: Role::Agent, name: Some("Quinn".into()) }
    );
    t.stop().await;
}
