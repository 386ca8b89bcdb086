//! The routing and conversation services driven without a relay or a socket: a store in a
//! temporary directory, and a fan-out that records what it was asked to deliver. This is the
//! seam a cross-node bus implements; here it shows who hears of what.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly where it must not go on

use std::sync::Arc;
use std::time::Duration;

use protocol::{AgentRole, Role, ServerFrame};
use relay::chat::Conversations;
use relay::fanout::{Audience, Fanout, Recorder};
use relay::routing::desk::Presence;
use relay::routing::Routing;
use relay::store::{NewMessage, Store};
use tokio_util::sync::CancellationToken;

struct Services {
    store: Store,
    recorder: Arc<Recorder>,
    routing: Arc<Routing>,
    chat: Conversations,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

async fn services() -> Services {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    store.add_store("shop", "Shop", &["self".to_owned()]).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let fanout: Arc<dyn Fanout> = recorder.clone();
    let shutdown = CancellationToken::new();
    let routing = Routing::start(store.clone(), fanout.clone(), Duration::from_secs(30), shutdown.clone());
    let words = Arc::new(relay::texts::Words::new(store.clone()));
    let chat = Conversations::new(store.clone(), fanout, routing.clone(), words);
    Services { store, recorder, routing, chat, shutdown, _dir: dir }
}

fn frames_to(sent: &[(Audience, ServerFrame)], to: &Audience) -> Vec<ServerFrame> {
    sent.iter().filter(|(a, _)| a == to).map(|(_, f)| f.clone()).collect()
}

#[tokio::test]
async fn a_new_conversation_goes_to_the_free_agent_and_its_messages_to_both_sides_only() {
    let s = services().await;
    let ann = s.store.add_agent("shop", "ann@shop.test", "Ann", AgentRole::Agent, "hash").await.unwrap();
    s.routing.agent_connected(&ann, Presence::Online).await.unwrap();
    s.recorder.take();

    s.store.add_visitor(ann.store_id, "visitor-1").await.unwrap();
    let conversation = s.chat.open_for(ann.store_id, "visitor-1", || Ok(())).await.unwrap();
    let sent = s.recorder.take();
    let assignment =
        frames_to(&sent, &Audience::Agent(ann.id)).into_iter().find(|f| matches!(f, ServerFrame::Assignment { .. }));
    assert!(
        matches!(assignment, Some(ServerFrame::Assignment { agent_id: Some(a), .. }) if a == ann.id),
        "Ann hears she has it: {sent:?}"
    );
    let told = frames_to(&sent, &Audience::Visitor("visitor-1".into())).into_iter().next();
    assert!(matches!(told, Some(ServerFrame::Attendance { agent_name: Some(n), .. }) if n == "Ann"), "{sent:?}");
    let to_agents = Audience::ConversationAgents { store_id: ann.store_id, assignee: Some(ann.id) };
    assert!(frames_to(&sent, &to_agents).iter().any(|f| matches!(f, ServerFrame::Conversation { .. })), "{sent:?}");
    assert!(
        !sent.iter().any(|(a, _)| matches!(a, Audience::StoreAgents(_))),
        "a direct assignment does not go to the whole team: {sent:?}"
    );

    let new = NewMessage {
        role: Role::Visitor,
        author_id: "visitor-1",
        author_name: None,
        text: "Where is my parcel?",
        client_id: Some("c1"),
        faq_article: None,
        faq_choices: &[],
    };
    let outcome = s.chat.post(&conversation, &new).await.unwrap();
    let both_sides =
        Audience::Conversation { store_id: ann.store_id, visitor_id: "visitor-1".into(), assignee: Some(ann.id) };
    assert_eq!(s.recorder.take(), vec![(both_sides, ServerFrame::Message { message: outcome.message.clone() })]);

    // A resend is stored once and delivered once.
    let again = s.chat.post(&conversation, &new).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.message.seq, outcome.message.seq);
    assert!(s.recorder.take().is_empty(), "a resend is not delivered again");
    s.shutdown.cancel();
}

#[tokio::test]
async fn closing_tells_the_shopper_and_the_team_and_frees_the_agent() {
    let s = services().await;
    let ann = s.store.add_agent("shop", "ann@shop.test", "Ann", AgentRole::Agent, "hash").await.unwrap();
    s.routing.agent_connected(&ann, Presence::Online).await.unwrap();
    s.routing.set_capacity(ann.id, 1).await.unwrap();
    for visitor in ["visitor-1", "visitor-2"] {
        s.store.add_visitor(ann.store_id, visitor).await.unwrap();
    }
    let first = s.chat.open_for(ann.store_id, "visitor-1", || Ok(())).await.unwrap();
    let second = s.chat.open_for(ann.store_id, "visitor-2", || Ok(())).await.unwrap();
    assert_eq!(s.routing.handler(first.id), Some(ann.id));
    assert_eq!(s.routing.queue_position(ann.store_id, second.id).await, Some(1), "Ann is full");
    s.recorder.take();

    let first = s.store.conversation(first.id).await.unwrap().unwrap();
    s.chat.close(ann.id, &first, true).await.unwrap();
    let sent = s.recorder.take();
    let closed = |f: &ServerFrame| matches!(f, ServerFrame::Closed { .. });
    assert!(frames_to(&sent, &Audience::StoreAgents(ann.store_id)).iter().any(closed), "{sent:?}");
    assert!(frames_to(&sent, &Audience::Visitor("visitor-1".into())).iter().any(closed), "{sent:?}");
    assert_eq!(s.routing.handler(second.id), Some(ann.id), "the queue's first shopper gets the freed place");
    assert!(s.store.open_conversation_of("visitor-1").await.unwrap().is_none());
    s.shutdown.cancel();
}
