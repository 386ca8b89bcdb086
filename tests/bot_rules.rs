//! The bot's keyword rules managed over the console's API: added, tested against a message,
//! reordered, edited and removed, each change answering the very next shopper message; the
//! store's own repeat window; and only the store's owners and admins may touch them.

mod common;

use common::console::{code, signed_in, Console};
use common::TestRelay;
use parley::VisitorClient;
use protocol::{Role, ServerFrame};
use serde_json::{json, Value};

const RULES: &str = "/api/stores/demo/bot/rules";

async fn add(admin: &Console, kind: &str, pattern: &str, reply: &str) -> i64 {
    let body = json!({ "match": kind, "pattern": pattern, "reply": reply });
    let made = admin.call("POST", RULES, Some(body)).await.unwrap();
    assert_eq!(made.status, 201, "{}", made.text());
    serde_json::from_slice::<Value>(&made.body).unwrap()["id"].as_i64().unwrap()
}

async fn tried(admin: &Console, text: &str) -> Value {
    let answer = admin.call("POST", "/api/stores/demo/bot/test", Some(json!({ "text": text }))).await.unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text());
    serde_json::from_slice(&answer.body).unwrap()
}

async fn patterns(admin: &Console) -> Vec<String> {
    let listed: Vec<Value> = serde_json::from_slice(&admin.call("GET", RULES, None).await.unwrap().body).unwrap();
    listed.iter().map(|r| r["pattern"].as_str().unwrap().to_owned()).collect()
}

/// A new shopper asks `text`; returns the bot's answer.
async fn bot_answer(t: &TestRelay, text: &str) -> String {
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("q", text).await.unwrap();
    let frame = shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Bot))
        .await
        .unwrap();
    let ServerFrame::Message { message } = frame else { unreachable!() };
    message.text
}

#[tokio::test]
async fn an_admin_adds_tests_reorders_edits_and_removes_rules_and_shoppers_get_each_change_at_once() {
    let t = TestRelay::start().await;
    // An agent online, so the bot answers rules but not with the away dialogue.
    let (email, password) = t.add_agent("demo", "Ivy").await;
    let _ivy = parley::AgentClient::login(&t.base, &email, &password).await.unwrap();
    let admin = signed_in(&t, "demo", "Ada", "admin").await;
    let gift = add(&admin, "contains", "gift card", "Gift cards come in 25, 50 and 100 EUR.").await;
    let card = add(&admin, "fuzzy", "card", "We take every card but American Express.").await;
    assert_eq!(patterns(&admin).await, ["gift card", "card"], "a new rule is tried last");

    let result = tried(&admin, "Do you sell a gift card?").await;
    assert_eq!((result["rule"]["id"].as_i64(), result["wants_a_person"].as_bool()), (Some(gift), Some(false)));
    assert_eq!(bot_answer(&t, "Do you sell a gift card?").await, "Gift cards come in 25, 50 and 100 EUR.");

    let reordered = admin.call("PUT", &format!("{RULES}/order"), Some(json!({ "ids": [card, gift] }))).await.unwrap();
    assert_eq!(reordered.status, 200, "{}", reordered.text());
    assert_eq!(patterns(&admin).await, ["card", "gift card"]);
    assert_eq!(tried(&admin, "a gift card").await["rule"]["id"].as_i64(), Some(card));
    assert_eq!(bot_answer(&t, "Do you sell a gift card?").await, "We take every card but American Express.");

    let edit = json!({ "match": "fuzzy", "pattern": "card", "reply": "Visa, Mastercard and <b>Amex</b>." });
    let changed = admin.call("PUT", &format!("{RULES}/{card}"), Some(edit)).await.unwrap();
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(bot_answer(&t, "Which crad do you take?").await, "Visa, Mastercard and <b>Amex</b>.", "as text");

    let removed = admin.call("DELETE", &format!("{RULES}/{card}"), None).await.unwrap();
    assert_eq!(removed.status, 204);
    assert_eq!(tried(&admin, "a gift card").await["rule"]["id"].as_i64(), Some(gift));
    let nothing = tried(&admin, "Can I talk to a person?").await;
    assert_eq!((nothing["wants_a_person"].as_bool(), nothing.get("rule")), (Some(true), None));
    t.stop().await;
}

#[tokio::test]
async fn bad_rules_and_strangers_are_refused() {
    let t = TestRelay::start().await;
    t.add_store("other", &[]).await;
    let admin = signed_in(&t, "demo", "Ada", "admin").await;
    let gift = add(&admin, "contains", "gift card", "Yes.").await;
    for (body, why) in [
        (json!({ "match": "contains", "pattern": " ?! ", "reply": "x" }), "no letters"),
        (json!({ "match": "contains", "pattern": "a".repeat(201), "reply": "x" }), "too long"),
        (json!({ "match": "contains", "pattern": "ok", "reply": "  " }), "empty reply"),
    ] {
        let refused = admin.call("POST", RULES, Some(body)).await.unwrap();
        assert_eq!((refused.status, code(&refused).as_str()), (400, "invalid_value"), "{why}: {}", refused.text());
    }
    let unknown = json!({ "match": "regex", "pattern": "ok", "reply": "x" });
    let refused = admin.call("POST", RULES, Some(unknown)).await.unwrap();
    assert_eq!((refused.status, code(&refused).as_str()), (422, "malformed"), "{}", refused.text());
    let partial = admin.call("PUT", &format!("{RULES}/order"), Some(json!({ "ids": [] }))).await.unwrap();
    assert_eq!(partial.status, 400, "an order must name every rule");
    assert_eq!(patterns(&admin).await, ["gift card"]);

    // Another store's admin cannot see or change them; a plain agent cannot either.
    let stranger = signed_in(&t, "other", "Sam", "admin").await;
    let body = json!({ "match": "contains", "pattern": "x", "reply": "y" });
    let theirs = stranger.call("PUT", &format!("/api/stores/other/bot/rules/{gift}"), Some(body)).await.unwrap();
    assert_eq!(theirs.status, 404);
    let across = stranger.call("GET", RULES, None).await.unwrap();
    assert_eq!((across.status, code(&across).as_str()), (404, "unknown_store"));
    let agent = signed_in(&t, "demo", "Pia", "agent").await;
    assert_eq!(agent.call("GET", RULES, None).await.unwrap().status, 403);
    t.stop().await;
}

#[tokio::test]
async fn the_repeat_window_is_the_stores_own_setting() {
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Ivy").await;
    let _ivy = parley::AgentClient::login(&t.base, &email, &password).await.unwrap();
    let admin = signed_in(&t, "demo", "Ada", "admin").await;
    add(&admin, "contains", "returns", "Returns are free for 30 days.").await;
    let mut settings: Value =
        serde_json::from_slice(&admin.call("GET", "/api/stores/demo/settings", None).await.unwrap().body).unwrap();
    assert!(settings.get("bot_repeat_secs").is_none(), "the relay's default until the store sets one");
    settings["bot_repeat_secs"] = json!(0);
    let saved = admin.call("PUT", "/api/stores/demo/settings", Some(settings.clone())).await.unwrap();
    assert_eq!(saved.status, 200, "{}", saved.text());

    // No window: the same question gets the same answer again in one conversation.
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    let bot = |f: &ServerFrame| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Bot);
    for n in 0..2 {
        shopper.send(&format!("q{n}"), "How do returns work?").await.unwrap();
        let answer = shopper.socket.wait_for(bot).await.unwrap();
        assert!(matches!(answer, ServerFrame::Message { message } if message.text.starts_with("Returns are free")));
    }
    settings["bot_repeat_secs"] = json!(8 * 86_400);
    let refused = admin.call("PUT", "/api/stores/demo/settings", Some(settings)).await.unwrap();
    assert_eq!(refused.status, 400, "a week at most");
    t.stop().await;
}
