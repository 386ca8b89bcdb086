//! The shop's own words: owners and admins rewrite the bot's texts per language over the
//! console's API; the bot says them at once, placeholders filled in, in the shopper's language;
//! "reset to default" brings the default back; an unknown placeholder is refused; the widget's
//! greeting follows the browser's language; and the optional instant acknowledgement says how
//! fast the store usually replies, once per conversation.

mod common;

use common::console::{code, signed_in, Console};
use common::{http_get, TestRelay};
use parley::{AgentClient, VisitorClient};
use protocol::{Identity, Role, ServerFrame};
use serde_json::{json, Value};

const TEXTS: &str = "/api/stores/demo/bot/texts";

async fn put_text(admin: &Console, name: &str, lang: &str, text: &str) -> common::HttpResponse {
    admin.call("PUT", &format!("{TEXTS}/{name}/{lang}"), Some(json!({ "text": text }))).await.unwrap()
}

/// The store's own version of a text, as the console lists it.
async fn own_text(console: &Console, name: &str, lang: &str) -> Option<String> {
    let listed = console.call("GET", TEXTS, None).await.unwrap();
    assert_eq!(listed.status, 200, "{}", listed.text());
    let all: Vec<Value> = serde_json::from_slice(&listed.body).unwrap();
    let text = all.iter().find(|t| t["name"] == name && t["lang"] == lang).expect("every text is listed");
    text["text"].as_str().map(str::to_owned)
}

/// The store's name, as its settings say.
async fn store_name(admin: &Console) -> String {
    let settings = admin.call("GET", "/api/stores/demo/settings", None).await.unwrap();
    serde_json::from_slice::<Value>(&settings.body).unwrap()["name"].as_str().unwrap().to_owned()
}

/// The next automatic message the shopper gets.
async fn bot_says(shopper: &mut VisitorClient) -> String {
    let frame = shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Bot))
        .await
        .expect("the bot answers");
    let ServerFrame::Message { message } = frame else { unreachable!() };
    message.text
}

/// A new shopper, known by `name` when given, asks `text` with nobody online.
async fn ask(t: &TestRelay, name: Option<&str>, text: &str) -> String {
    let identity = name.map(|n| Identity { id: format!("c-{n}"), name: Some(n.into()), ..Identity::default() });
    let mut shopper = VisitorClient::connect_as(&t.base, "demo", None, None, 0, identity).await.unwrap();
    shopper.send("q", text).await.unwrap();
    bot_says(&mut shopper).await
}

#[tokio::test]
async fn edited_texts_are_what_the_bot_says_in_each_language_until_reset() {
    let t = TestRelay::start().await;
    let admin = signed_in(&t, "demo", "Ada", "admin").await;
    let store_name = store_name(&admin).await;
    let english = "Sorry {shopper_name}, {store_name} is closed. Back {back_at}. Leave your email!";
    assert_eq!(put_text(&admin, "away", "en", english).await.status, 200);
    let chinese = "{store_name}暂时没有客服，我们将在{back_at}回来。请留下邮箱。";
    assert_eq!(put_text(&admin, "away", "zh", chinese).await.status, 200);
    assert_eq!(own_text(&admin, "away", "en").await.as_deref(), Some(english));

    let said = ask(&t, Some("Ana"), "Do you have this in XL?").await;
    assert_eq!(said, format!("Sorry Ana, {store_name} is closed. Back soon. Leave your email!"));
    // An anonymous shopper: the name's gap closes.
    let said = ask(&t, None, "Do you have this in XL?").await;
    assert_eq!(said, format!("Sorry, {store_name} is closed. Back soon. Leave your email!"));
    let said = ask(&t, None, "请问你们招聘店员吗？").await;
    assert_eq!(said, format!("{store_name}暂时没有客服，我们将在稍后回来。请留下邮箱。"));

    let reset = admin.call("DELETE", &format!("{TEXTS}/away/en"), None).await.unwrap();
    assert_eq!(reset.status, 200, "{}", reset.text());
    assert_eq!(own_text(&admin, "away", "en").await, None);
    let said = ask(&t, None, "Do you have this in XL?").await;
    assert!(said.starts_with("Nobody from our team is available right now. We will be back soon."), "{said}");
    assert!(ask(&t, None, "请问你们招聘店员吗？").await.contains("暂时没有客服"), "the Chinese text stays");
    t.stop().await;
}

#[tokio::test]
async fn a_text_with_an_unknown_placeholder_is_refused_and_only_admins_change_texts() {
    let t = TestRelay::start().await;
    let admin = signed_in(&t, "demo", "Ada", "admin").await;
    let refused = put_text(&admin, "away", "en", "Back {back_at}, use {coupon} for 10% off").await;
    assert_eq!((refused.status, code(&refused)), (400, "invalid_value".to_owned()));
    assert!(refused.text().contains("{coupon}"), "{}", refused.text());
    // {queue_place} means nothing while nobody is there.
    let refused = put_text(&admin, "away", "en", "You are number {queue_place}").await;
    assert!(refused.text().contains("{queue_place}"), "{}", refused.text());
    assert_eq!(put_text(&admin, "away", "en", "Back {back_at").await.status, 400);
    assert_eq!(put_text(&admin, "away", "en", "  ").await.status, 400);
    assert_eq!(own_text(&admin, "away", "en").await, None, "nothing was saved");
    assert_eq!(put_text(&admin, "no_such_text", "en", "Hi").await.status, 404);
    assert_eq!(put_text(&admin, "away", "fr", "Salut").await.status, 404);

    let agent = signed_in(&t, "demo", "Pat", "agent").await;
    assert_eq!(put_text(&agent, "glad", "en", "Great!").await.status, 403);
    assert_eq!(own_text(&agent, "glad", "en").await, None, "the whole team reads them");
    let said = ask(&t, None, "Do you have this in XL?").await;
    assert!(said.starts_with("Nobody from our team"), "{said}");
    t.stop().await;
}

#[tokio::test]
async fn the_widgets_greeting_follows_the_browsers_language() {
    let t = TestRelay::start().await;
    let admin = signed_in(&t, "demo", "Ada", "admin").await;
    let greeting = |lang: &'static str| {
        let base = t.base.clone();
        async move {
            let path = format!("/api/stores/demo/widget?lang={lang}");
            let got = http_get(&base, &path, &[("Origin", &base)]).await.unwrap();
            serde_json::from_slice::<Value>(&got.body).unwrap()["greeting"].as_str().map(str::to_owned)
        }
    };
    assert_eq!(greeting("zh-CN").await, None, "no greeting of the store's: the widget's own");
    assert_eq!(put_text(&admin, "greeting", "zh", "欢迎光临{store_name}！").await.status, 200);
    let store_name = store_name(&admin).await;
    assert_eq!(greeting("zh-CN").await, Some(format!("欢迎光临{store_name}！")));
    assert_eq!(greeting("en-GB").await, None);
    // The greeting has no shopper yet: {shopper_name} is refused there.
    assert_eq!(put_text(&admin, "greeting", "en", "Hi {shopper_name}").await.status, 400);
    t.stop().await;
}

#[tokio::test]
async fn the_instant_acknowledgement_answers_a_first_message_once_while_agents_are_online() {
    let t = TestRelay::start_with(|c| c.sweep_deadlines = false).await;
    let admin = signed_in(&t, "demo", "Ada", "admin").await;
    let (email, password) = t.add_agent("demo", "Ivy").await;
    let mut ivy = AgentClient::login(&t.base, &email, &password).await.unwrap();

    // Off by default: the agent's reply is the first thing the shopper hears.
    let mut first = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    first.send("a", "Is the linen shirt lined?").await.unwrap();
    let asked = ivy
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.text == "Is the linen shirt lined?"))
        .await
        .unwrap();
    let ServerFrame::Message { message } = asked else { unreachable!() };
    ivy.send(message.conversation_id, "r1", "It is not.").await.unwrap();
    let heard = first
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role != Role::Visitor))
        .await
        .unwrap();
    assert!(matches!(&heard, ServerFrame::Message { message } if message.text == "It is not."), "{heard:?}");

    let mut settings: Value =
        serde_json::from_slice(&admin.call("GET", "/api/stores/demo/settings", None).await.unwrap().body).unwrap();
    settings["instant_ack"] = json!(true);
    let saved = admin.call("PUT", "/api/stores/demo/settings", Some(settings)).await.unwrap();
    assert_eq!(saved.status, 200, "{}", saved.text());
    assert_eq!(
        put_text(&admin, "instant_ack", "en", "Thanks! {store_name} replies within {reply_time}.").await.status,
        200
    );
    let store_name = store_name(&admin).await;

    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("a", "Do you ship to Norway?").await.unwrap();
    // Too few conversations for a figure of its own yet: "a few minutes".
    assert_eq!(bot_says(&mut shopper).await, format!("Thanks! {store_name} replies within a few minutes."));
    // The second message gets no second acknowledgement: the next automatic or human message
    // the shopper hears is the agent's.
    shopper.send("b", "And to Iceland?").await.unwrap();
    let asked = ivy
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.text == "And to Iceland?"))
        .await
        .unwrap();
    let ServerFrame::Message { message } = asked else { unreachable!() };
    ivy.send(message.conversation_id, "r2", "Both, yes.").await.unwrap();
    let next = shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role != Role::Visitor))
        .await
        .unwrap();
    assert!(matches!(&next, ServerFrame::Message { message } if message.text == "Both, yes."), "{next:?}");
    t.stop().await;
}
