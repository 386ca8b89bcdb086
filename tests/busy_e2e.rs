//! The widget under back-pressure: a message the relay refuses as `busy` stays "sending" and
//! is sent again after the wait the relay named, and reaches the agent once; one refused time
//! after time shows "failed", and a tap on that sends it.

mod browser;
mod common;

use anyhow::{ensure, Result};
use browser::{chat_on_demo, eventually, in_widget, require_built_widget, widget_js, with_browser};
use common::TestRelay;
use fantoccini::elements::Element;
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

/// Writes `text` in the message box and sends it with Enter.
async fn write(message: &Element, text: &str) -> Result<()> {
    Ok(message.send_keys(&format!("{text}{}", char::from(Key::Enter))).await?)
}

/// Opens the chat on the demo storefront and sends `first`, stored: a conversation is going.
async fn chatting(client: &Client, base: &str, first: &str) -> Result<Element> {
    let message = chat_on_demo(client, base).await?;
    write(&message, first).await?;
    shown_as(client, first, "sent").await?;
    Ok(message)
}

/// Waits until the shopper's message `text` shows the delivery state `state`.
async fn shown_as(client: &Client, text: &str, state: &str) -> Result<()> {
    eventually(&format!("{text:?} shown {state}"), || async {
        Ok((state_of(client, text).await? == state).then_some(()))
    })
    .await
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
        let message = chatting(&client, &base, "first things first").await?;

        // The relay is behind for the next message: it is refused, and the widget does not
        // show it failed; it sends it again after the wait and it is stored.
        store.refuse_next_messages(1);
        let refused_before = store.busy_refusals();
        write(&message, "are you there?").await?;
        eventually("a busy refusal", || async { Ok((store.busy_refusals() > refused_before).then_some(())) }).await?;
        ensure!(state_of(&client, "are you there?").await? != "failed", "not shown as failed while it waits");
        shown_as(&client, "are you there?", "sent").await?;

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

/// The widget waits out five `busy` refusals of one message (`chat_model::MAX_WAITS`); the sixth
/// shows it failed.
const REFUSALS_TO_FAIL: u64 = 6;

#[tokio::test]
async fn a_message_refused_time_after_time_shows_failed_and_a_tap_sends_it() {
    require_built_widget();
    let t = TestRelay::start().await;
    let store = t.relay.state().store.clone();
    let base = t.base.clone();

    with_browser(|client| async move {
        let message = chatting(&client, &base, "hello").await?;
        store.refuse_next_messages(REFUSALS_TO_FAIL);
        write(&message, "is my order late?").await?;
        shown_as(&client, "is my order late?", "failed").await?;
        let status = in_widget(&client, ".pl-message.mine .pl-status[data-state='failed']").await?;
        ensure!(status.text().await? == "Not sent. Tap to retry", "{:?}", status.text().await?);
        status.click().await?;
        shown_as(&client, "is my order late?", "sent").await?;
        Ok(())
    })
    .await;
    t.relay.shutdown().await.unwrap();
}
