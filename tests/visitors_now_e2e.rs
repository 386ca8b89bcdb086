//! An agent starts a chat with a shopper on the demo page, in headless Chromium: the store shows
//! its agents who is on the site, so the widget connects without the shopper touching it; the
//! agent finds the shopper in "Visitors now" and starts a chat; the widget shows the agent's
//! message in a bubble above the launcher (the store keeps the panel closed); the shopper opens
//! it and replies, and the agent gets the reply.

mod browser;
mod common;

use anyhow::ensure;
use browser::console::find;
use browser::{eventually, in_widget, require_built_widget, with_browser};
use common::console::Console;
use common::TestRelay;
use fantoccini::key::Key;
use parley::AgentClient;
use protocol::{Role, ServerFrame};
use serde_json::{json, Value};

#[tokio::test]
async fn an_agent_starts_a_chat_with_a_shopper_on_the_page_and_the_shopper_replies() {
    require_built_widget();
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent_as("demo", "Grace", "admin").await;
    let mut grace = Console::new(&t.base);
    assert_eq!(grace.sign_in(&email, &password).await.unwrap().status, 200);
    let mut settings: Value =
        serde_json::from_slice(&grace.call("GET", "/api/stores/demo/settings", None).await.unwrap().body).unwrap();
    settings["live_visitors"] = json!(true);
    assert_eq!(grace.call("PUT", "/api/stores/demo/settings", Some(settings)).await.unwrap().status, 200);
    let mut agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let base = t.base.clone();
    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        // The shopper touches nothing: the widget connects by itself and they are listed.
        let visitor_id = eventually("the shopper listed in Visitors now", || async {
            let got = grace.call("GET", "/api/stores/demo/visitors/live", None).await?;
            let list: Vec<Value> = serde_json::from_slice(&got.body)?;
            Ok(list.first().and_then(|v| v["visitor_id"].as_str().map(str::to_owned)))
        })
        .await?;
        let start = format!("/api/stores/demo/visitors/{visitor_id}/chat");
        let started = grace.call("POST", &start, Some(json!({ "text": "Hi! Can I help you find a size?" }))).await?;
        ensure!(started.status == 201, "{}", started.text());

        let bubble = in_widget(&client, ".pl-nudge .pl-nudge-text").await?;
        ensure!(
            bubble.text().await? == "Hi! Can I help you find a size?",
            "the bubble says {:?}",
            bubble.text().await?
        );
        let author = in_widget(&client, ".pl-nudge .pl-author").await?.text().await?;
        ensure!(author == "Grace", "the bubble names the agent: {author:?}");
        in_widget(&client, ".pl-nudge-open").await?.click().await?;
        in_widget(&client, "button.pl-launch[aria-expanded='true']").await?;
        let message = in_widget(&client, "textarea[aria-label='Message']").await?;
        message.send_keys(&format!("Yes, is the overshirt true to size?{}", char::from(Key::Enter))).await?;
        let reply = agent
            .socket
            .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Visitor))
            .await?;
        ensure!(
            matches!(&reply, ServerFrame::Message { message } if message.text == "Yes, is the overshirt true to size?"),
            "{reply:?}"
        );
        Ok(())
    })
    .await;
    t.stop().await;
}

/// The console's side: the Visitors tab lists a shopper on a page of the shop, and Start chat
/// sends the first message, which the shopper gets; the tab is axe-core clean.
#[tokio::test]
async fn an_agent_finds_the_shopper_in_the_visitors_tab_and_starts_a_chat() {
    browser::console::require_built_console();
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent_as("demo", "Grace", "agent").await;
    let mut shopper = parley::VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    let page = protocol::VisitorFrame::Page {
        url: "https://shop.example/p/linen".into(),
        title: "Linen overshirt".into(),
        referrer: None,
        language: Some("fr-FR".into()),
        time_zone: Some("Europe/Paris".into()),
        earlier: Vec::new(),
    };
    shopper.socket.send(&page).await.unwrap();
    let base = t.base.clone();
    with_browser(|client| async move {
        browser::console::sign_in(&client, &base, &email, &password).await?;
        find(&client, "//button[@role='tab'][normalize-space()='Visitors']").await?.click().await?;
        find(&client, "//li[@class='visitor'][.//span[normalize-space()='Linen overshirt']][contains(., 'FR · Europe/Paris · fr-FR')]")
            .await?;
        browser::assert_accessible(&client, ".visitors-now", "the Visitors tab").await?;
        find(&client, "//li[@class='visitor']//button[normalize-space()='Start chat']").await?.click().await?;
        let first = find(&client, "//form[contains(@class,'start-chat')]//textarea").await?;
        first.clear().await?;
        first.send_keys("Hello from Grace!").await?;
        find(&client, "//button[normalize-space()='Send and start']").await?.click().await?;
        let heard = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Message { .. })).await?;
        ensure!(matches!(&heard, ServerFrame::Message { message } if message.text == "Hello from Grace!"), "{heard:?}");
        // The conversation opens in the console, with the message in it.
        find(&client, "//div[@class='messages']//p[@class='text'][normalize-space()='Hello from Grace!']").await?;
        Ok(())
    })
    .await;
    t.stop().await;
}
