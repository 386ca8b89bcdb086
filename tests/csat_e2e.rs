//! A shopper rates a closed conversation in the widget, by keyboard-reachable faces and a
//! comment, and an admin sees the rating in the console's Closed tab and in the conversation.

mod browser;
mod common;

use anyhow::{ensure, Context};
use browser::console::{find, open_tab, sign_in};
use browser::{assert_accessible, chat_on_demo, eventually, in_widget, require_built_widget, with_browser};
use common::TestRelay;
use fantoccini::key::Key;
use parley::AgentClient;
use protocol::{AgentFrame, ServerFrame};

#[tokio::test]
async fn a_rating_given_in_the_widget_shows_in_the_console() {
    require_built_widget();
    browser::console::require_built_console();
    let t = TestRelay::start().await;
    let (kim_email, kim_password) = t.add_agent("demo", "Kim").await;
    let (email, password) = t.add_agent_as("demo", "Ada", "admin").await;
    let mut kim = AgentClient::login(&t.base, &kim_email, &kim_password).await.unwrap();
    let state = t.relay.state().clone();
    let base = t.base.clone();
    with_browser(|client| async move {
        let message = chat_on_demo(&client, &base).await?;
        message.send_keys(&format!("Can I swap the size?{}", char::from(Key::Enter))).await?;
        let asked = kim
            .socket
            .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.text == "Can I swap the size?"))
            .await?;
        let ServerFrame::Message { message } = asked else { unreachable!() };
        let id = message.conversation_id;
        kim.send(id, "k1", "Of course, free of charge.").await?;
        kim.socket.send(&AgentFrame::Close { conversation_id: id, question: None, resolved: None }).await?;

        let legend = in_widget(&client, ".pl-rating legend").await?;
        ensure!(legend.text().await? == "How would you rate this conversation?");
        assert_accessible(&client, "#parley-chat", "the rating question").await?;
        in_widget(&client, "input[aria-label='Good']").await?.click().await?;
        in_widget(&client, ".pl-rating textarea[aria-label='Comment (optional)']")
            .await?
            .send_keys("Fast and kind")
            .await?;
        in_widget(&client, "button.pl-rate").await?.click().await?;
        let thanks = in_widget(&client, ".pl-rated").await?;
        ensure!(thanks.text().await?.starts_with("Thank you!"));
        let record = state.store.conversation(id).await?.context("the conversation")?;
        let summary = state.store.summary(&record).await?;
        ensure!(summary.rating == Some(4) && summary.rating_comment.as_deref() == Some("Fast and kind"), "{summary:?}");

        sign_in(&client, &base, &email, &password).await?;
        open_tab(&client, "Closed").await?;
        let listed = find(
            &client,
            "//button[contains(@class,'conversation')][.//span[contains(@class,'rating')][normalize-space()='★ 4']]",
        )
        .await?;
        listed.click().await?;
        let line = find(&client, "//p[contains(@class,'rating-line')]").await?;
        let shown = eventually("the rating in the conversation", || async {
            let text = line.text().await?;
            Ok((!text.is_empty()).then_some(text))
        })
        .await?;
        ensure!(shown == "Rated 4 out of 5 · Fast and kind", "{shown}");
        Ok(())
    })
    .await;
    t.stop().await;
}
