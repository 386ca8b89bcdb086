//! "Visitors now" over the console's API: the shoppers with the widget connected are listed with
//! their page, how long they have been on the site, their country and language as their browser
//! says, new or returning; an agent starts a chat with one, the shopper gets the message at once
//! and their reply reaches the agent, who holds the conversation; a shopper already in a
//! conversation or gone from the site is refused; each store sees its own shoppers only. And
//! the visit shown beside a conversation: the pages seen, the referrer, language and time zone.

mod common;

use common::console::{code, signed_in, Console};
use common::TestRelay;
use parley::{AgentClient, VisitorClient};
use protocol::{ErrorCode, PageView, Role, ServerFrame, VisitorFrame};
use serde_json::{json, Value};

const LIVE: &str = "/api/stores/demo/visitors/live";

/// A shopper on a page of the shop, reported as the widget does; returns once it is stored.
async fn shopper_on(t: &TestRelay, url: &str) -> VisitorClient {
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    let earlier = vec![PageView {
        url: "https://shop.example/".into(),
        title: "Home".into(),
        at: relay::store::now_millis() - 120_000,
    }];
    let page = VisitorFrame::Page {
        url: url.into(),
        title: "Linen overshirt".into(),
        referrer: None,
        language: Some("fr-FR".into()),
        time_zone: Some("Europe/Paris".into()),
        earlier,
    };
    shopper.socket.send(&page).await.unwrap();
    // Frames are handled in order: the answer to `sync` comes after the page is stored.
    shopper.socket.send(&VisitorFrame::Sync { after_seq: 0 }).await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. } | ServerFrame::History { .. })).await.unwrap();
    shopper
}

async fn listed(console: &Console) -> Vec<Value> {
    let got = console.call("GET", LIVE, None).await.unwrap();
    assert_eq!(got.status, 200, "{}", got.text());
    serde_json::from_slice(&got.body).unwrap()
}

#[tokio::test]
async fn agents_see_who_is_on_the_site_and_start_a_chat_the_shopper_answers() {
    let t = TestRelay::start().await;
    t.add_store("other", &["https://other.example"]).await;
    let (email, password) = t.add_agent_as("demo", "Ivy", "agent").await;
    let mut ivy_console = Console::new(&t.base);
    assert_eq!(ivy_console.sign_in(&email, &password).await.unwrap().status, 200);
    let mut ivy = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let mut shopper = shopper_on(&t, "https://shop.example/p/linen").await;
    let visitor_id = shopper.welcome.visitor_id.clone();

    let now = listed(&ivy_console).await;
    assert_eq!(now.len(), 1, "{now:?}");
    let seen = &now[0];
    assert_eq!(seen["visitor_id"], visitor_id.as_str());
    assert_eq!(seen["page"]["url"], "https://shop.example/p/linen");
    assert_eq!((seen["country"].as_str(), seen["time_zone"].as_str()), (Some("FR"), Some("Europe/Paris")));
    assert_eq!(seen["returning"], false);
    let on_site = relay::store::now_millis() - seen["since"].as_i64().unwrap();
    assert!((120_000..200_000).contains(&on_site), "the visit began with its first page: {on_site} ms");
    let elsewhere = signed_in(&t, "other", "Olga", "owner").await;
    let theirs = elsewhere.call("GET", "/api/stores/other/visitors/live", None).await.unwrap();
    assert_eq!(theirs.text(), "[]", "another store sees its own shoppers only");

    let start = format!("/api/stores/demo/visitors/{visitor_id}/chat");
    let started = ivy_console
        .call("POST", &start, Some(json!({ "text": "Hi! The <b>linen</b> comes in M too." })))
        .await
        .unwrap();
    assert_eq!(started.status, 201, "{}", started.text());
    let conversation_id = serde_json::from_slice::<Value>(&started.body).unwrap()["conversation_id"].as_i64().unwrap();
    let heard = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Message { .. })).await.unwrap();
    let ServerFrame::Message { message } = heard else { unreachable!() };
    assert_eq!((message.author.role, message.author.name.as_deref()), (Role::Agent, Some("Ivy")));
    assert_eq!(message.text, "Hi! The <b>linen</b> comes in M too.");

    shopper.send("r", "Great, I'll take it.").await.unwrap();
    let reply = ivy
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Visitor))
        .await
        .unwrap();
    assert!(matches!(&reply, ServerFrame::Message { message } if message.conversation_id == conversation_id));
    let now = listed(&ivy_console).await;
    assert_eq!(now[0]["conversation_id"].as_i64(), Some(conversation_id), "Ivy holds it");

    let again = ivy_console.call("POST", &start, Some(json!({ "text": "Hello?" }))).await.unwrap();
    assert_eq!((again.status, code(&again)), (409, "already_exists".to_owned()));
    let empty = ivy_console.call("POST", &start, Some(json!({ "text": "  " }))).await.unwrap();
    assert_eq!(empty.status, 400);
    shopper.socket.close().await;
    let gone =
        ivy_console.call("POST", "/api/stores/demo/visitors/nobody/chat", Some(json!({ "text": "Hi" }))).await.unwrap();
    assert_eq!(gone.status, 404);
    t.stop().await;
}

#[tokio::test]
async fn the_context_panel_shows_the_visit_and_earlier_conversations() {
    let t = TestRelay::start().await;
    let owner = signed_in(&t, "demo", "Owner", "owner").await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    let page = |url: &str, earlier: Vec<protocol::PageView>| protocol::VisitorFrame::Page {
        url: url.into(),
        title: "Linen overshirt".into(),
        referrer: Some("https://www.google.com/".into()),
        language: Some("zh-CN".into()),
        time_zone: Some("Asia/Shanghai".into()),
        earlier,
    };
    let a_minute_ago = relay::store::now_millis() - 60_000;
    let before = protocol::PageView { url: "https://shop.example/".into(), title: "Home".into(), at: a_minute_ago };
    shopper.socket.send(&page("https://shop.example/p/linen", vec![before])).await.unwrap();
    shopper.send("q1", "请问有M码吗？").await.unwrap();
    let accepted = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    let ServerFrame::Accepted { conversation_id, .. } = accepted else { unreachable!() };
    // Malformed reports are refused, not stored.
    shopper.socket.send(&page("javascript:alert(1)", vec![])).await.unwrap();
    let refused = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap();
    assert!(matches!(refused, ServerFrame::Error { code: ErrorCode::InvalidValue | ErrorCode::RateLimited, .. }));

    let path = format!("/api/stores/demo/conversations/{conversation_id}/context");
    let context: Value = serde_json::from_slice(&owner.call("GET", &path, None).await.unwrap().body).unwrap();
    assert_eq!(context["pages"][0]["url"], "https://shop.example/p/linen");
    assert_eq!(context["pages"][1]["url"], "https://shop.example/");
    assert_eq!(context["referrer"], "https://www.google.com/");
    assert_eq!((context["language"].as_str(), context["time_zone"].as_str()), (Some("zh-CN"), Some("Asia/Shanghai")));
    assert_eq!(context["previous"], json!([]));
    assert_eq!(context["pages"].as_array().unwrap().len(), 2, "{context}");
}
