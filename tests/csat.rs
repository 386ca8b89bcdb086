//! Shoppers rate closed conversations: one rating each, changeable for 24 hours, theirs only,
//! and the store's agents see it at once.

mod common;

use common::TestRelay;
use parley::{AgentClient, VisitorClient};
use protocol::{AgentFrame, ErrorCode, ServerFrame, VisitorFrame};

async fn closed_chat(t: &TestRelay) -> (VisitorClient, AgentClient, i64) {
    let (email, password) = t.add_agent("demo", "Kim").await;
    let mut kim = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("q1", "Can I return a gift?").await.unwrap();
    let accepted = shopper.socket.wait_for_keeping(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    let ServerFrame::Accepted { conversation_id: id, .. } = accepted else { unreachable!() };
    let joined = ServerFrame::Attendance { agent_name: Some("Kim".into()), queue_position: None };
    shopper.socket.wait_for(|f| *f == joined).await.unwrap();
    kim.socket.send(&AgentFrame::Close { conversation_id: id, question: None, resolved: None }).await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Closed { .. })).await.unwrap();
    (shopper, kim, id)
}

fn rate(conversation_id: i64, score: u8, comment: Option<&str>) -> VisitorFrame {
    VisitorFrame::Rate { conversation_id, score, comment: comment.map(str::to_owned) }
}

async fn refused(shopper: &mut VisitorClient) -> ErrorCode {
    match shopper.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap() {
        ServerFrame::Error { code, .. } => code,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_rating_reaches_the_team_and_may_be_changed_for_a_day() {
    let t = TestRelay::start().await;
    let (mut shopper, mut kim, id) = closed_chat(&t).await;
    shopper.socket.send(&rate(id, 4, Some("  Quick, thanks  "))).await.unwrap();
    let rated = ServerFrame::Rated { conversation_id: id, score: 4, comment: Some("Quick, thanks".into()) };
    kim.socket.wait_for(|f| *f == rated).await.unwrap();
    shopper.socket.wait_for(|f| *f == rated).await.unwrap();
    shopper.socket.send(&rate(id, 5, None)).await.unwrap();
    kim.socket.wait_for(|f| matches!(f, ServerFrame::Rated { score: 5, .. })).await.unwrap();

    let store = &t.relay.state().store;
    let summary = store.summary(&store.conversation(id).await.unwrap().unwrap()).await.unwrap();
    assert_eq!((summary.rating, summary.rating_comment), (Some(5), None), "the latest rating counts");
    // A day after the first rating it stays as it is.
    let demo = store.store_by_key("demo").await.unwrap().unwrap();
    let day = relay::store::RATING_CHANGEABLE_MS;
    let first = relay::store::now_millis();
    assert!(!store.rate(id, demo.id, 1, None, first + day + 60_000).await.unwrap());
    let summary = store.summary(&store.conversation(id).await.unwrap().unwrap()).await.unwrap();
    assert_eq!(summary.rating, Some(5));
    t.stop().await;
}

#[tokio::test]
async fn only_the_shopper_rates_only_a_closed_conversation_from_one_to_five() {
    let t = TestRelay::start().await;
    let (mut shopper, _kim, id) = closed_chat(&t).await;
    shopper.socket.send(&rate(id, 6, None)).await.unwrap();
    assert_eq!(refused(&mut shopper).await, ErrorCode::InvalidValue);
    shopper.socket.send(&rate(id, 3, Some(&"x".repeat(1001)))).await.unwrap();
    assert_eq!(refused(&mut shopper).await, ErrorCode::InvalidValue);

    let mut stranger = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    stranger.socket.send(&rate(id, 1, Some("spite"))).await.unwrap();
    assert_eq!(refused(&mut stranger).await, ErrorCode::NotFound);
    stranger.send("s1", "Hello?").await.unwrap();
    let accepted = stranger.socket.wait_for_keeping(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    let ServerFrame::Accepted { conversation_id: open, .. } = accepted else { unreachable!() };
    stranger.socket.send(&rate(open, 5, None)).await.unwrap();
    assert_eq!(refused(&mut stranger).await, ErrorCode::InvalidValue, "still open");

    let store = &t.relay.state().store;
    let summary = store.summary(&store.conversation(id).await.unwrap().unwrap()).await.unwrap();
    assert_eq!(summary.rating, None, "nothing was stored");
    t.stop().await;
}

#[tokio::test]
async fn a_store_that_turned_ratings_off_gets_none() {
    let t = TestRelay::start().await;
    let store = &t.relay.state().store;
    let demo = store.store_by_key("demo").await.unwrap().unwrap();
    let mut settings = store.settings(demo.id).await.unwrap();
    settings.csat = false;
    store.save_settings(demo.id, &settings).await.unwrap();
    let (mut shopper, _kim, id) = closed_chat(&t).await;
    shopper.socket.send(&rate(id, 5, None)).await.unwrap();
    assert_eq!(refused(&mut shopper).await, ErrorCode::InvalidValue);
    let widget = common::http_get(&t.base, "/api/stores/demo/widget", &[("Origin", &t.base)]).await.unwrap();
    let settings: serde_json::Value = serde_json::from_slice(&widget.body).unwrap();
    assert_eq!(settings["csat"], false, "the widget does not ask");
    t.stop().await;
}

#[tokio::test]
async fn ratings_share_the_shoppers_message_budget() {
    let t = TestRelay::start().await;
    let (mut shopper, _kim, id) = closed_chat(&t).await;
    for n in 0..15u8 {
        shopper.socket.send(&rate(id, n % 5 + 1, None)).await.unwrap();
    }
    assert_eq!(refused(&mut shopper).await, ErrorCode::RateLimited, "fifteen ratings at once are too many");
    t.stop().await;
}
