//! The widget under back-pressure: a message the relay refuses as `busy` stays "sending" and
//! is sent again after the wait the relay named, and reaches the agent once.

mod browser;
mod common;

use anyhow::{ensure, Result};
use browser::{eventually, in_widget, open_chat, require_built_widget, widget_js, with_browser};
use common::TestRelay;
use fantoccini::key::Key;
use fantoccini::Client;
use parley::AgentClient;
use protocol::{Role, ServerFrame};

/// The delivery state shown on the shopper's message `text`.
async fn state_of(client: &Client, text: &str) -> Result<serde_json::Value> {
    let script = format!(
        "const m = [...root.querySelectorAll('.pl-message.mine')].find(m => m.querySelector('.pl-bubble').textContent === {text:?}); \
         return m ? m.querySelector('.pl-status').dataset.state : null;"
    );
    widget_js(client, &script).await
}

#[tokio::test]
async fn a_message_refused_as_busy_is_sent_again_by_the_widget_and_arrives_once() {
    require_built_widget();
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Iris").await;
    let mut agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let store = t.relay.state().store.clone();
    let base = t.base.clone();

    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        open_chat(&client).await?;
        let message = in_widget(&client, "textarea[aria-label='Message']").await?;
        message.send_keys(&format!("first things first{}", char::from(Key::Enter))).await?;
        eventually("the first message sent", || async {
            Ok((state_of(&client, "first things first").await? == "sent").then_some(()))
        })
        .await?;

        // The relay is behind for the next message: it is refused, and the widget does not
        // show it failed; it sends it again after the wait and it is stored.
        store.refuse_next_messages(1);
        let refused_before = store.busy_refusals();
        message.send_keys(&format!("are you there?{}", char::from(Key::Enter))).await?;
        eventually("a busy refusal", || async { Ok((store.busy_refusals() > refused_before).then_some(())) }).await?;
        ensure!(state_of(&client, "are you there?").await? != "failed", "not shown as failed while it waits");
        eventually("the resent message sent", || async {
            Ok((state_of(&client, "are you there?").await? == "sent").then_some(()))
        })
        .await?;

        let arrived = agent
            .socket
            .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.text == "are you there?"))
            .await?;
        let ServerFrame::Message { message } = arrived else { unreachable!() };
        agent
            .socket
            .send(&protocol::AgentFrame::Sync { conversation_id: message.conversation_id, after_seq: 0 })
            .await?;
        let ServerFrame::History { messages, .. } =
            agent.socket.wait_for(|f| matches!(f, ServerFrame::History { .. })).await?
        else {
            unreachable!()
        };
        let shopper: Vec<&str> =
            messages.iter().filter(|m| m.author.role == Role::Visitor).map(|m| m.text.as_str()).collect();
        ensure!(shopper == ["first things first", "are you there?"], "each message stored once: {shopper:?}");
        Ok(())
    })
    .await;
    t.relay.shutdown().await.unwrap();
}
