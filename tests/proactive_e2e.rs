//! A proactive message in headless Chromium: the demo store greets shoppers on its pages after
//! a second; the bubble shows above the launcher (as text, axe-core clean) without the shopper
//! touching anything; a press opens the chat with the message in it; the shopper's reply reaches
//! the agent after the store's message; and the visit remembers that it had its proactive
//! message; the bubble's × puts it away without opening anything. When rules fire (once a day, one per visit, never during a conversation) is
//! unit-tested with explicit times in `chat_model::proactive`.

mod browser;
mod common;

use anyhow::ensure;
use browser::{assert_accessible, eventually, in_widget, require_built_widget, widget_js, with_browser};
use common::console::signed_in;
use common::TestRelay;
use fantoccini::key::Key;
use parley::AgentClient;
use protocol::ServerFrame;
use serde_json::json;

const GREETING: &str = "Looking for <b>linen</b>? Ask us!";

/// A store whose rule greets on every demo page after a second.
async fn greeting_store() -> TestRelay {
    let t = TestRelay::start().await;
    let admin = signed_in(&t, "demo", "Ada", "admin").await;
    let rule = json!({ "pattern": "/demo/*", "after_secs": 1, "message": GREETING });
    assert_eq!(admin.call("POST", "/api/stores/demo/proactive", Some(rule)).await.unwrap().status, 201);
    t
}

#[tokio::test]
async fn a_proactive_message_greets_the_shopper_and_their_reply_reaches_the_agent_after_it() {
    require_built_widget();
    let t = greeting_store().await;
    let (email, password) = t.add_agent("demo", "Grace").await;
    let mut agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let base = t.base.clone();
    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        let bubble = in_widget(&client, ".pl-nudge .pl-nudge-text").await?;
        ensure!(bubble.text().await? == GREETING, "the bubble says {:?}", bubble.text().await?);
        let html = widget_js(&client, "return root.querySelectorAll('.pl-nudge b').length;").await?;
        ensure!(html == 0, "the store's message was rendered as HTML");
        assert_accessible(&client, "#parley-chat", "the proactive bubble").await?;

        in_widget(&client, ".pl-nudge-open").await?.click().await?;
        in_widget(&client, "button.pl-launch[aria-expanded='true']").await?;
        let shown = widget_js(&client, "return root.querySelector('.pl-messages').textContent;").await?;
        ensure!(shown.as_str().is_some_and(|s| s.contains(GREETING)), "the chat opens with it: {shown}");
        let message = in_widget(&client, "textarea[aria-label='Message']").await?;
        message.send_keys(&format!("Do you have it in M?{}", char::from(Key::Enter))).await?;

        let first = agent.socket.wait_for(|f| matches!(f, ServerFrame::Message { .. })).await?;
        ensure!(matches!(&first, ServerFrame::Message { message } if message.text == GREETING), "{first:?}");
        let second = agent.socket.wait_for(|f| matches!(f, ServerFrame::Message { .. })).await?;
        ensure!(
            matches!(&second, ServerFrame::Message { message } if message.text == "Do you have it in M?"),
            "{second:?}"
        );
        let kept = widget_js(&client, "return sessionStorage.getItem('parley:demo:proactive');").await?;
        ensure!(kept == "1", "the visit remembers its proactive message: {kept}");
        Ok(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn the_bubbles_close_button_puts_it_away_and_opens_nothing() {
    require_built_widget();
    let t = greeting_store().await;
    let base = t.base.clone();
    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        in_widget(&client, ".pl-nudge .pl-nudge-text").await?;
        in_widget(&client, "button.pl-nudge-close[aria-label='Dismiss message']").await?.click().await?;
        eventually("the bubble gone", || async {
            let left = widget_js(&client, "return root.querySelectorAll('.pl-nudge').length;").await?;
            Ok((left == 0).then_some(()))
        })
        .await?;
        in_widget(&client, "button.pl-launch[aria-expanded='false']").await?;
        Ok(())
    })
    .await;
    t.stop().await;
}
