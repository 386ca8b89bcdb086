//! Proactive messages over the API and the socket: owners and admins manage the rules (checked),
//! the widget gets the enabled ones with its settings, and a shopper who answers one starts a
//! conversation that opens with the rule's message, reaches the agent in that order, and counts
//! as proactive in the reports. When a rule fires on the page (once a day, one per visit, never
//! during a conversation) is the widget's, tested with explicit times in `chat_model::proactive`
//! and in a browser in `proactive_e2e.rs`.

mod common;

use common::console::{code, signed_in, Console};
use common::{http_get, TestRelay};
use parley::{AgentClient, VisitorClient};
use protocol::{ErrorCode, Report, Role, ServerFrame, VisitorFrame};
use serde_json::{json, Value};

const RULES: &str = "/api/stores/demo/proactive";

async fn add(admin: &Console, body: Value) -> (u16, Value) {
    let made = admin.call("POST", RULES, Some(body)).await.unwrap();
    let mut value: Value = serde_json::from_slice(&made.body).unwrap_or(Value::Null);
    if made.status >= 400 {
        value = json!({ "code": code(&made) });
    }
    (made.status, value)
}

/// The rules the widget gets with its settings.
async fn widget_rules(t: &TestRelay) -> Vec<Value> {
    let got = http_get(&t.base, "/api/stores/demo/widget", &[("Origin", &t.base)]).await.unwrap();
    let settings: Value = serde_json::from_slice(&got.body).unwrap();
    settings["proactive"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn admins_manage_checked_rules_and_the_widget_gets_the_enabled_ones() {
    let t = TestRelay::start().await;
    let admin = signed_in(&t, "demo", "Ada", "admin").await;
    let linen = json!({ "pattern": "/demo/*", "after_secs": 20, "message": "Questions about <b>linen</b>? Ask us!" });
    let (status, made) = add(&admin, linen).await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_i64().unwrap();
    assert_eq!((made["enabled"].as_bool(), made["after_secs"].as_u64()), (Some(true), Some(20)));
    let (status, _) = add(&admin, json!({ "pattern": "/cart", "scroll_percent": 50, "message": "Need a hand?" })).await;
    assert_eq!(status, 201);

    for bad in [
        json!({ "pattern": "products", "message": "Hi" }),
        json!({ "pattern": "/p", "message": "  " }),
        json!({ "pattern": "/p", "scroll_percent": 0, "message": "Hi" }),
        json!({ "pattern": "/p", "after_secs": 7200, "message": "Hi" }),
        json!({ "pattern": "/p", "message": "x".repeat(301) }),
    ] {
        let (status, refusal) = add(&admin, bad.clone()).await;
        assert_eq!((status, refusal["code"].as_str()), (400, Some("invalid_value")), "{bad}");
    }
    let listed = widget_rules(&t).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["message"], "Questions about <b>linen</b>? Ask us!", "kept as text");

    let off = json!({ "pattern": "/demo/*", "after_secs": 20, "message": "Hi", "enabled": false });
    let changed = admin.call("PUT", &format!("{RULES}/{id}"), Some(off)).await.unwrap();
    assert_eq!(changed.status, 200, "{}", changed.text());
    let listed = widget_rules(&t).await;
    assert_eq!(listed.len(), 1, "a rule turned off is not sent");
    assert_eq!(listed[0]["pattern"], "/cart");
    assert_eq!(admin.call("DELETE", &format!("{RULES}/{id}"), None).await.unwrap().status, 204);
    assert_eq!(admin.call("DELETE", &format!("{RULES}/{id}"), None).await.unwrap().status, 404);

    let agent = signed_in(&t, "demo", "Pat", "agent").await;
    assert_eq!(agent.call("GET", RULES, None).await.unwrap().status, 403);
    t.stop().await;
}

/// The next message frame on a socket.
async fn next_message(socket: &mut parley::FrameSocket) -> protocol::Message {
    let frame = socket.wait_for(|f| matches!(f, ServerFrame::Message { .. })).await.unwrap();
    let ServerFrame::Message { message } = frame else { unreachable!() };
    message
}

#[tokio::test]
async fn answering_a_proactive_message_starts_a_conversation_with_it_counted_as_proactive() {
    let t = TestRelay::start_with(|c| c.sweep_deadlines = false).await;
    t.add_store("other", &["https://other.example"]).await;
    let admin = signed_in(&t, "demo", "Ada", "admin").await;
    let (_, rule) = add(&admin, json!({ "pattern": "/demo/*", "message": "The linen sale ends tonight!" })).await;
    let (_, off) = add(&admin, json!({ "pattern": "/x", "message": "Off", "enabled": false })).await;
    let (email, password) = t.add_agent("demo", "Ivy").await;
    let mut ivy = AgentClient::login(&t.base, &email, &password).await.unwrap();

    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    // A rule turned off, or no rule of this store's, is refused.
    shopper.socket.send(&VisitorFrame::Proactive { rule_id: off["id"].as_i64().unwrap() }).await.unwrap();
    let refused = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap();
    assert!(matches!(refused, ServerFrame::Error { code: ErrorCode::NotFound, .. }), "{refused:?}");

    shopper.socket.send(&VisitorFrame::Proactive { rule_id: rule["id"].as_i64().unwrap() }).await.unwrap();
    shopper.send("a", "Is the overshirt included?").await.unwrap();
    let first = next_message(&mut shopper.socket).await;
    assert_eq!((first.author.role, first.text.as_str()), (Role::Bot, "The linen sale ends tonight!"));
    assert_eq!(first.author.name.as_deref(), Some("Bot"));
    let second = next_message(&mut shopper.socket).await;
    assert_eq!((second.author.role, second.seq), (Role::Visitor, first.seq + 1));

    // The agent gets the conversation in that order.
    let seen = next_message(&mut ivy.socket).await;
    assert_eq!(seen.text, "The linen sale ends tonight!");
    assert_eq!(next_message(&mut ivy.socket).await.text, "Is the overshirt included?");
    ivy.send(seen.conversation_id, "r", "It is, 30 % off.").await.unwrap();
    assert_eq!(next_message(&mut shopper.socket).await.text, "It is, 30 % off.");

    // A later `proactive` while the conversation is open changes nothing.
    shopper.socket.send(&VisitorFrame::Proactive { rule_id: rule["id"].as_i64().unwrap() }).await.unwrap();
    shopper.send("b", "Thanks!").await.unwrap();
    let next = next_message(&mut shopper.socket).await;
    assert_eq!((next.text.as_str(), next.conversation_id), ("Thanks!", seen.conversation_id));

    let today = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::UTC).date();
    let path = format!("/api/stores/demo/reports?period=custom&from={today}&to={today}");
    let report: Report = serde_json::from_slice(&admin.call("GET", &path, None).await.unwrap().body).unwrap();
    let s = &report.summary;
    assert_eq!((s.started, s.by_shoppers, s.proactive), (1, 0, 1), "{s:?}");
    t.stop().await;
}
