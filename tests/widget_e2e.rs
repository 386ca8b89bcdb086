//! The shopper's widget on the demo storefront in headless Chromium, talking to a real relay
//! and a real agent client.

mod browser;
mod common;

use anyhow::{ensure, Result};
use browser::{eventually, in_widget, widget_js, widget_root, with_browser};
use common::TestRelay;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use parley::AgentClient;
use protocol::ServerFrame;

/// Fails loudly when the widget was not built, instead of failing in a confusing way later.
fn require_built_widget() {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/web/widget/manifest.json");
    assert!(manifest.exists(), "the widget is not built: run `cargo xtask test` (or `cargo xtask build`) first");
}

/// The texts of the messages shown, in order, as `(side, text)`.
async fn shown_messages(client: &Client) -> Result<Vec<(String, String)>> {
    let value = widget_js(
        client,
        "return [...root.querySelectorAll('.pl-message')].map(m => \
           [m.classList.contains('mine') ? 'mine' : 'theirs', m.querySelector('.pl-bubble').textContent]);",
    )
    .await?;
    Ok(serde_json::from_value(value)?)
}

async fn wait_for_message(client: &Client, side: &str, text: &str) -> Result<()> {
    eventually(&format!("{side} message {text:?}"), || async {
        let shown = shown_messages(client).await?;
        Ok(shown.iter().any(|(s, t)| s == side && t == text).then_some(()))
    })
    .await
}

/// Saves a PNG of the page to `$PARLEY_SCREENSHOTS/NAME.png` when that variable is set.
async fn save_screenshot(client: &Client, name: &str) -> Result<()> {
    if let Some(dir) = std::env::var_os("PARLEY_SCREENSHOTS") {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), client.screenshot().await?)?;
    }
    Ok(())
}

async fn open_chat(client: &Client) -> Result<()> {
    in_widget(client, "button[aria-label='Open chat']").await?.click().await?;
    in_widget(client, "button[aria-label='Close chat']").await?;
    Ok(())
}

#[tokio::test]
async fn a_shopper_chats_with_an_agent_on_the_demo_storefront_and_keeps_history_after_reload() {
    require_built_widget();
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Grace").await;
    let mut agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let base = t.base.clone();

    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        open_chat(&client).await?;

        // Focus lands in the composer; the header names the store and the promise.
        let focused = eventually("focus in the composer", || async {
            let label =
                widget_js(&client, "return root.activeElement && root.activeElement.getAttribute('aria-label');")
                    .await?;
            Ok((label == "Message").then_some(()))
        })
        .await;
        focused?;
        let header = in_widget(&client, ".pl-header").await?;
        eventually("the store name", || async { Ok(header.text().await?.contains("Maison Demo").then_some(())) })
            .await?;
        ensure!(header.text().await?.contains("We typically reply within a minute"));
        let send = in_widget(&client, "button.pl-send").await?;
        ensure!(send.text().await? == "Send", "the send button is labelled Send");

        // Enter sends; the text is shown as typed, as text.
        let message = in_widget(&client, "textarea[aria-label='Message']").await?;
        let question = "Hi! Is the <b>linen</b> overshirt true to size?";
        message.send_keys(&format!("{question}{}", char::from(Key::Enter))).await?;
        wait_for_message(&client, "mine", question).await?;
        let bold = widget_js(&client, "return root.querySelectorAll('.pl-bubble b').length;").await?;
        ensure!(bold == 0, "the shopper's text was rendered as HTML");
        eventually("the message marked sent", || async {
            let state = widget_js(
                &client,
                "const s = root.querySelector('.pl-message.mine .pl-status'); return s && s.dataset.state;",
            )
            .await?;
            Ok((state == "sent").then_some(()))
        })
        .await?;

        // The agent receives it and answers; the answer shows on the left.
        let frame = agent
            .socket
            .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.text == question))
            .await?;
        let ServerFrame::Message { message: received } = frame else { unreachable!() };
        agent.send(received.conversation_id, "g1", "Yes, it runs true to size. I'd take your usual M.").await?;
        wait_for_message(&client, "theirs", "Yes, it runs true to size. I'd take your usual M.").await?;
        save_screenshot(&client, "chat-open").await?;
        let author =
            widget_js(&client, "return root.querySelector('.pl-message.theirs .pl-author').textContent;").await?;
        ensure!(author == "Grace", "the agent's name is shown, got {author}");

        // After a reload the conversation is still there.
        client.refresh().await?;
        open_chat(&client).await?;
        wait_for_message(&client, "mine", question).await?;
        wait_for_message(&client, "theirs", "Yes, it runs true to size. I'd take your usual M.").await?;
        let shown = shown_messages(&client).await?;
        ensure!(shown.len() == 2, "history after reload shows each message once: {shown:?}");
        Ok(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn the_widget_and_the_storefront_do_not_touch_each_others_styles() {
    require_built_widget();
    let t = TestRelay::start().await;
    let base = t.base.clone();
    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        // The page keeps working with the widget on it.
        client.find(Locator::Css("#add-to-cart")).await?.click().await?;
        let count = client.find(Locator::Css("#cart-count")).await?.text().await?;
        ensure!(count == "1", "the page's own button stopped working: bag count {count}");
        open_chat(&client).await?;
        in_widget(&client, "textarea[aria-label='Message']").await?;
        let widget = widget_js(
            &client,
            "const ta = root.querySelector('textarea'); const send = root.querySelector('.pl-send'); \
             const cs = getComputedStyle(ta), bs = getComputedStyle(send); \
             return [cs.fontSize, cs.borderTopColor, bs.textTransform, bs.borderTopStyle, \
                     getComputedStyle(root.querySelector('.pl-panel')).fontStyle];",
        )
        .await?;
        // The page sets 11px red-bordered inputs, dashed uppercase buttons and italic divs.
        ensure!(widget[0] == "16px", "widget textarea font-size {}", widget[0]);
        ensure!(widget[1] != "rgb(255, 0, 0)", "the page's input border leaked in");
        ensure!(widget[2] == "none" && widget[3] != "dashed", "the page's button style leaked in: {widget}");
        ensure!(widget[4] == "normal", "the page's italics leaked in");
        let page = client
            .execute(
                "const b = getComputedStyle(document.getElementById('add-to-cart')); \
                 return [b.backgroundColor, b.textTransform];",
                vec![],
            )
            .await?;
        ensure!(page[0] == "rgb(179, 38, 30)" && page[1] == "uppercase", "the widget changed the page: {page}");
        let globals =
            client.execute("return ['Parley', 'wasm_bindgen', 'leptos'].filter(n => n in window);", vec![]).await?;
        ensure!(globals == serde_json::json!(["Parley"]), "globals added: {globals}");
        widget_root(&client).await?;
        Ok(())
    })
    .await;
    t.stop().await;
}
