//! FAQ search and the bot, against the demo store's fashion FAQ (English and Chinese): what
//! shoppers find as they type, and what the bot answers when nobody is there, over real sockets
//! and HTTP.

mod common;

use std::time::{Duration, Instant};

use common::{http_get, TestRelay};
use parley::{AgentClient, VisitorClient};
use protocol::{AgentFrame, Role, ServerFrame, VisitorFrame};

/// The percent-encoded form of a query, for a URL.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

async fn demo_id(t: &TestRelay) -> i64 {
    t.relay.state().store.store_by_key("demo").await.unwrap().unwrap().id
}

/// The ids of the best three hits for `query`, best first.
async fn top(t: &TestRelay, query: &str) -> Vec<String> {
    let store = demo_id(t).await;
    t.relay.state().faq.search(store, query, 3).iter().map(relay::faq::Faq::hit_id).collect()
}

/// The article the bot would answer with.
async fn bot_answer(t: &TestRelay, query: &str) -> Option<String> {
    let store = demo_id(t).await;
    relay::bot::faq_answer(&t.relay.state().bot, store, query).await.unwrap().map(|a| a.id)
}

fn bot_text(frame: &ServerFrame) -> Option<&protocol::Message> {
    match frame {
        ServerFrame::Message { message } if message.author.role == Role::Bot => Some(message),
        _ => None,
    }
}

async fn next_bot_message(shopper: &mut VisitorClient) -> protocol::Message {
    let frame = shopper.socket.wait_for(|f| bot_text(f).is_some()).await.unwrap();
    bot_text(&frame).unwrap().clone()
}

#[tokio::test]
async fn paraphrases_chinese_and_typos_find_their_article_and_a_stranger_question_does_not() {
    let t = TestRelay::start().await;
    for (query, wanted) in [
        ("how can I send something back", "returns"),
        ("what are your shipping costs", "shipping-cost"),
        ("how long is shipping to the US", "delivery-times"),
        ("is there a size chart", "sizing"),
        ("can I pay with paypal", "payments"),
        ("my parcel arrived torn", "damaged"),
        ("do I pay import tax", "customs"),
        ("retrun policy", "returns"),
        ("discont code", "discounts"),
        ("exchnge for a bigger size", "size-exchange"),
        ("怎么退货", "zh-returns"),
        ("运费多少钱", "zh-shipping-cost"),
        ("有尺码表吗", "zh-sizing"),
        ("多久能到货", "zh-delivery-times"),
        ("可以用支付宝吗", "zh-payments"),
    ] {
        let found = top(&t, query).await;
        assert!(found.iter().any(|id| id == wanted), "search {query:?} found {found:?}");
        assert_eq!(bot_answer(&t, query).await.as_deref(), Some(wanted), "bot {query:?}");
    }
    // Results update as the shopper types: a half-typed word already finds its article.
    assert_eq!(top(&t, "how do retu").await.first().map(String::as_str), Some("returns"));
    // Nothing in the FAQ is about gift cards or opening a shop: the bot does not pretend.
    for stranger in ["Do you sell gift cards?", "Are you hiring designers?", "你们招聘吗"] {
        assert_eq!(bot_answer(&t, stranger).await, None, "{stranger:?}");
    }
    t.stop().await;
}

#[tokio::test]
async fn search_over_http_answers_allowed_pages_in_the_documented_shape_and_limits_floods() {
    let t = TestRelay::start_with(|config| config.limits.searches_per_minute = 7.try_into().unwrap()).await;
    t.add_store("shop", &["https://shop.example"]).await;
    let path = format!("/api/stores/demo/faq/search?q={}&limit=2", encode("where is my order"));
    let found = http_get(&t.base, &path, &[]).await.unwrap();
    assert_eq!(found.status, 200);
    let hits: serde_json::Value = serde_json::from_slice(&found.body).unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 2);
    let first = hits[0].as_object().unwrap();
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["category", "id", "question", "score", "snippet"]);
    assert_eq!(first["id"], "tracking");

    // A search nobody could answer is recorded for the merchant; words still being typed, and
    // searches that found their article, are not.
    for query in ["do you sell gift ca", "do you sell gift cards ", "where is my order "] {
        let search = format!("/api/stores/demo/faq/search?q={}", encode(query));
        assert_eq!(http_get(&t.base, &search, &[]).await.unwrap().status, 200);
    }
    let store = demo_id(&t).await;
    let mut unanswered = t.relay.state().store.top_unanswered(store, 5).await.unwrap();
    unanswered.sort();
    assert_eq!(unanswered, [("do you sell gift".to_owned(), 1), ("do you sell gift cards".to_owned(), 1)]);

    let elsewhere = http_get(&t.base, &path, &[("Origin", "https://evil.example")]).await.unwrap();
    assert_eq!(elsewhere.status, 403, "{}", elsewhere.text());
    let unknown = http_get(&t.base, "/api/stores/nope/faq/search?q=x", &[]).await.unwrap();
    assert_eq!(unknown.status, 404);
    let bad_limit = http_get(&t.base, "/api/stores/demo/faq/search?q=x&limit=5000", &[]).await.unwrap();
    assert_eq!(bad_limit.status, 400);
    let flood = http_get(&t.base, &path, &[]).await.unwrap();
    assert_eq!(flood.status, 429, "the eighth search within a minute is refused");
    assert!(flood.header("retry-after").is_some());
    t.stop().await;
}

#[tokio::test]
async fn with_nobody_online_the_bot_answers_from_the_faq_and_no_brings_the_leave_a_message_offer() {
    let t = TestRelay::start().await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    let asked = Instant::now();
    shopper.send("q1", "How long does delivery take to Canada?").await.unwrap();
    let answer = next_bot_message(&mut shopper).await;
    assert!(asked.elapsed() < Duration::from_secs(2), "answered in {:?}", asked.elapsed());
    assert_eq!(answer.author.name.as_deref(), Some("Bot"));
    assert_eq!(answer.faq_article.as_deref(), Some("delivery-times"));
    assert!(answer.text.contains("5–8 days to the UK, the US and Canada"), "{}", answer.text);

    // "No": nobody can come, so the bot offers to take an email.
    shopper.socket.send(&VisitorFrame::Feedback { message_id: answer.id, helpful: false }).await.unwrap();
    let offer = next_bot_message(&mut shopper).await;
    assert!(
        offer.text.starts_with("Sorry that did not help. Nobody") && offer.text.contains("email"),
        "{}",
        offer.text
    );
    assert!(!offer.text.contains("Hi!"), "one message, not two stitched together: {}", offer.text);

    // A question the FAQ cannot answer gets no made-up answer, and is recorded for the merchant.
    shopper.send("q2", "Do you sell gift cards?").await.unwrap();
    let nudge = next_bot_message(&mut shopper).await;
    assert!(nudge.faq_article.is_none());
    assert!(nudge.text.contains("could not find an answer"), "{}", nudge.text);
    let store = demo_id(&t).await;
    let unanswered = t.relay.state().store.top_unanswered(store, 5).await.unwrap();
    assert_eq!(unanswered, [("do you sell gift cards".to_owned(), 1)]);
    t.stop().await;
}

#[tokio::test]
async fn a_yes_records_the_deflection_each_answer_counts_once_and_the_bot_speaks_the_shoppers_language() {
    let t = TestRelay::start().await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("q1", "多久能到货？").await.unwrap();
    let answer = next_bot_message(&mut shopper).await;
    assert_eq!(answer.faq_article.as_deref(), Some("zh-delivery-times"));
    for _ in 0..2 {
        shopper.socket.send(&VisitorFrame::Feedback { message_id: answer.id, helpful: true }).await.unwrap();
    }
    assert!(answer.text.ends_with("来自帮助中心：多久能到货？"), "the bot answers in Chinese: {}", answer.text);
    let thanks = next_bot_message(&mut shopper).await;
    assert!(thanks.text.starts_with("很高兴能帮到您"), "{}", thanks.text);
    let store = demo_id(&t).await;
    // The second "yes" was ignored; wait for its turn by sending a frame that is answered.
    shopper.socket.send(&VisitorFrame::Feedback { message_id: 999_999, helpful: true }).await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap();
    assert_eq!(t.relay.state().store.feedback_counts(store).await.unwrap(), (1, 0));
    t.stop().await;
}

#[tokio::test]
async fn keyword_rules_go_by_priority_repeat_at_most_hourly_and_stop_once_a_human_joins() {
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Ivy").await;
    let mut ivy = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let store = demo_id(&t).await;
    let db = &t.relay.state().store;
    db.add_bot_rule(store, "contains", "gift card", "Gift cards are coming this winter!", 1).await.unwrap();
    db.add_bot_rule(store, "fuzzy", "gift card balance", "Check your balance at /balance.", 5).await.unwrap();
    db.add_bot_rule(store, "exact", "hours", "We chat 9:00–18:00 CET.", 0).await.unwrap();

    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("q1", "What is my gift card balanse?").await.unwrap();
    assert_eq!(next_bot_message(&mut shopper).await.text, "Check your balance at /balance.");
    shopper.send("q2", "Do you sell gift cards?").await.unwrap();
    assert_eq!(next_bot_message(&mut shopper).await.text, "Gift cards are coming this winter!");
    // The same question again within the hour: no second identical reply. The agent's message
    // that follows shows nothing came in between.
    shopper.send("q3", "gift card?").await.unwrap();
    shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Accepted { client_id, .. } if client_id == "q3"))
        .await
        .unwrap();
    let conversation = shopper.welcome.conversation_id.unwrap_or_else(|| ivy.conversations.first().map_or(0, |c| c.id));
    let conversation = if conversation == 0 {
        match ivy.socket.wait_for(|f| matches!(f, ServerFrame::Conversation { .. })).await.unwrap() {
            ServerFrame::Conversation { conversation } => conversation.id,
            _ => unreachable!(),
        }
    } else {
        conversation
    };
    let messages = db.recent_messages(conversation, 20).await.unwrap();
    let bot_replies = messages.iter().filter(|m| m.author.role == Role::Bot).count();
    assert_eq!(bot_replies, 2, "{messages:#?}");

    // Asking for a person always works while the team is online.
    shopper.send("q4", "can I talk to a person please").await.unwrap();
    let bringing = next_bot_message(&mut shopper).await;
    assert!(bringing.text.contains("bringing in a person"), "{}", bringing.text);

    // Once Ivy has answered, the bot stays out of it, even for rule words.
    ivy.send(conversation, "i1", "Hi, Ivy here!").await.unwrap();
    shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.text == "Hi, Ivy here!"))
        .await
        .unwrap();
    shopper.send("q5", "hours").await.unwrap();
    shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Accepted { client_id, .. } if client_id == "q5"))
        .await
        .unwrap();
    // Ivy hands it back to the queue: the bot answers again.
    ivy.socket.send(&AgentFrame::Release { conversation_id: conversation }).await.unwrap();
    ivy.socket.wait_for(|f| matches!(f, ServerFrame::Assignment { agent_id: None, .. })).await.unwrap();
    shopper.send("q6", "hours").await.unwrap();
    let hours = next_bot_message(&mut shopper).await;
    assert_eq!(hours.text, "We chat 9:00–18:00 CET.");
    let after_ivy = db.recent_messages(conversation, 20).await.unwrap();
    let silent =
        after_ivy.iter().skip_while(|m| m.text != "Hi, Ivy here!").take_while(|m| m.text != "We chat 9:00–18:00 CET.");
    assert!(silent.filter(|m| m.author.role == Role::Bot).count() == 0, "the bot kept quiet while Ivy had it");
    t.stop().await;
}

#[tokio::test]
async fn the_bot_never_says_more_than_three_things_in_a_row() {
    let t = TestRelay::start().await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("q1", "Where is my order?").await.unwrap();
    let answer = next_bot_message(&mut shopper).await;
    let state = t.relay.state();
    let conversation = state.store.conversation(answer.conversation_id).await.unwrap().unwrap();
    assert!(relay::bot::say(&state.bot, &conversation, "one more", relay::bot::Said::Handover, false).await.unwrap());
    assert!(relay::bot::say(&state.bot, &conversation, "and another", relay::bot::Said::Handover, false)
        .await
        .unwrap());
    assert!(
        !relay::bot::say(&state.bot, &conversation, "a fourth", relay::bot::Said::Handover, false).await.unwrap(),
        "three in a row is the most"
    );
    shopper.send("q2", "ok").await.unwrap();
    shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Accepted { client_id, .. } if client_id == "q2"))
        .await
        .unwrap();
    assert!(
        relay::bot::say(&state.bot, &conversation, "a fourth", relay::bot::Said::Handover, false).await.unwrap(),
        "the shopper spoke in between"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_chinese_shopper_hears_the_away_message_in_chinese() {
    let t = TestRelay::start().await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("q1", "你们招聘设计师吗？").await.unwrap();
    let away = next_bot_message(&mut shopper).await;
    assert!(away.text.contains("目前没有客服在线") && away.text.contains("邮箱"), "{}", away.text);
    shopper.send("q2", "我的邮箱是 li.wei@shop.cn").await.unwrap();
    let thanks = next_bot_message(&mut shopper).await;
    assert_eq!(thanks.text, "谢谢！我们回来后会尽快回复到 li.wei@shop.cn。");
    t.stop().await;
}
