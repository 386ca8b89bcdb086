//! The shopper's widget on the demo storefront in headless Chromium, talking to a real relay
//! and a real agent client.

mod browser;
mod common;

use anyhow::{ensure, Result};
use browser::{
    chat_on_demo, click_in_widget, eventually, in_widget, open_chat, require_built_widget, save_screenshot, widget_js,
    widget_root, with_browser,
};
use common::TestRelay;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use parley::AgentClient;
use protocol::ServerFrame;

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
        // A store with no figures yet makes no claim about its reply time.
        ensure!(!header.text().await?.contains("Typically replies"), "{}", header.text().await?);
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
        let joined = in_widget(&client, ".pl-attendance[role='status']").await?;
        ensure!(joined.text().await? == "Grace joined the chat", "the shopper sees who joined");
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

#[tokio::test]
async fn on_a_phone_the_panel_fills_the_screen_and_shift_enter_makes_a_new_line() {
    require_built_widget();
    let t = TestRelay::start().await;
    let base = t.base.clone();
    with_browser(|client| async move {
        client.set_window_size(390, 800).await?;
        client.goto(&format!("{base}/demo/")).await?;
        click_in_widget(&client, "button[aria-label='Open chat']").await?;
        let message = in_widget(&client, "textarea[aria-label='Message']").await?;
        let layout = eventually("the panel laid out", || async {
            let v = widget_js(
                &client,
                "const r = root.querySelector('.pl-panel').getBoundingClientRect(); \
                 const launch = getComputedStyle(root.querySelector('.pl-launch')).display; \
                 const close = getComputedStyle(root.querySelector('.pl-close')).display; \
                 const vp = document.documentElement; \
                 return [r.left, r.top, r.width - vp.clientWidth, r.height - vp.clientHeight, \
                         parseFloat(getComputedStyle(root.querySelector('textarea')).fontSize), launch, close];",
            )
            .await?;
            Ok((v[4].as_f64().unwrap_or(0.0) > 0.0).then_some(v))
        })
        .await?;
        ensure!(
            layout[0] == 0 && layout[1] == 0 && layout[2] == 0 && layout[3] == 0,
            "panel is not full screen: {layout}"
        );
        ensure!(layout[4].as_f64().unwrap() >= 16.0, "inputs under 16px make iOS zoom: {layout}");
        ensure!(layout[5] == "none" && layout[6] != "none", "on a phone the header's Close chat replaces the launcher");

        let (shift, enter, release) = (char::from(Key::Shift), char::from(Key::Enter), char::from(Key::Null));
        message.send_keys(&format!("line one{shift}{enter}{release}line two{enter}")).await?;
        wait_for_message(&client, "mine", "line one\nline two").await?;
        click_in_widget(&client, "button[aria-label='Close chat']").await?;
        in_widget(&client, "button[aria-label='Open chat']").await?;
        Ok(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn when_the_relay_goes_away_a_banner_shows_and_messages_are_sent_once_it_is_back() {
    require_built_widget();
    let first = TestRelay::start().await;
    let address = first.relay.addr().to_string();
    let base = first.base.clone();
    let (email, password) = first.add_agent("demo", "Hana").await;
    let relay = std::sync::Arc::new(tokio::sync::Mutex::new(Some(first)));
    let dir = std::sync::Arc::new(tokio::sync::Mutex::new(None));

    let (relay_in, dir_in) = (relay.clone(), dir.clone());
    with_browser(|client| async move {
        let message = chat_on_demo(&client, &base).await?;
        message.send_keys(&format!("before the outage{}", char::from(Key::Enter))).await?;
        wait_for_state(&client, "before the outage", "sent").await?;

        // The relay stops: the shopper is told, and can keep writing.
        let (data, tmp) = relay_in.lock().await.take().unwrap().stop().await;
        let banner = in_widget(&client, ".pl-banner[role='status']").await?;
        ensure!(banner.text().await? == "Connection lost. Reconnecting…");
        message.send_keys(&format!("during the outage{}", char::from(Key::Enter))).await?;
        wait_for_message(&client, "mine", "during the outage").await?;

        // It comes back on the same address: the widget reconnects and sends what waited.
        let second = TestRelay::start_at(&data, &address).await;
        *dir_in.lock().await = tmp;
        wait_for_state(&client, "during the outage", "sent").await?;
        eventually("the banner gone", || async {
            let count = widget_js(&client, "return root.querySelectorAll('.pl-banner').length;").await?;
            Ok((count == 0).then_some(()))
        })
        .await?;
        let mut agent = AgentClient::login(&second.base, &email, &password).await?;
        ensure!(agent.conversations.len() == 1, "the agent sees the conversation");
        let conversation_id = agent.conversations[0].id;
        agent.socket.send(&protocol::AgentFrame::Sync { conversation_id, after_seq: 0 }).await?;
        let frame = agent.socket.wait_for(|f| matches!(f, ServerFrame::History { .. })).await?;
        let ServerFrame::History { messages, .. } = frame else { unreachable!() };
        let shopper: Vec<&str> =
            messages.iter().filter(|m| m.author.role == protocol::Role::Visitor).map(|m| m.text.as_str()).collect();
        ensure!(shopper == ["before the outage", "during the outage"], "each message stored once: {shopper:?}");
        *relay_in.lock().await = Some(second);
        Ok(())
    })
    .await;
    if let Some(relay) = relay.lock().await.take() {
        relay.stop().await;
    }
    drop(dir);
}

/// Waits until the shopper's message `text` shows the delivery state `state`.
async fn wait_for_state(client: &Client, text: &str, state: &str) -> Result<()> {
    let script = format!(
        "const m = [...root.querySelectorAll('.pl-message.mine')].find(m => m.querySelector('.pl-bubble').textContent === {text:?}); \
         return m ? m.querySelector('.pl-status').dataset.state : null;"
    );
    eventually(&format!("{text:?} to be {state}"), || async {
        Ok((widget_js(client, &script).await? == state).then_some(()))
    })
    .await
}

#[tokio::test]
async fn the_chat_works_from_the_keyboard_alone() {
    require_built_widget();
    let t = TestRelay::start().await;
    let base = t.base.clone();
    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        let enter = char::from(Key::Enter).to_string();
        eventually("the launcher to take Enter", || async {
            let launcher = in_widget(&client, "button.pl-launch").await?;
            Ok(launcher.send_keys(&enter).await.ok())
        })
        .await?;
        in_widget(&client, "button[aria-label='Close chat']").await?;
        let focused = || async {
            let v = widget_js(
                &client,
                "const a = root.activeElement; return a ? (a.getAttribute('aria-label') || a.tagName) : null;",
            )
            .await?;
            anyhow::Ok(v.as_str().unwrap_or_default().to_owned())
        };
        eventually("focus in the composer", || async { Ok((focused().await? == "Message").then_some(())) }).await?;
        let message = in_widget(&client, "textarea[aria-label='Message']").await?;
        message.send_keys(&format!("typed without a mouse{enter}")).await?;
        wait_for_message(&client, "mine", "typed without a mouse").await?;
        message.send_keys(&char::from(Key::Escape).to_string()).await?;
        in_widget(&client, "button[aria-label='Open chat']").await?;
        eventually("focus back on the launcher", || async { Ok((focused().await? == "Open chat").then_some(())) })
            .await?;
        Ok(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn with_a_silent_agent_the_shopper_hears_from_the_bot_right_after_the_deadline() {
    require_built_widget();
    let t = TestRelay::start().await;
    t.relay.state().store.set_first_reply_secs("demo", 2).await.unwrap();
    let (email, password) = t.add_agent("demo", "Mo").await;
    let _silent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let base = t.base.clone();
    with_browser(|client| async move {
        let message = chat_on_demo(&client, &base).await?;
        message.send_keys(&format!("Do you ship to Norway?{}", char::from(Key::Enter))).await?;
        wait_for_state(&client, "Do you ship to Norway?", "sent").await?;
        let bot = eventually("a message from Bot", || async {
            let v = widget_js(
                &client,
                "const m = root.querySelector('.pl-message.automatic'); \
                 return m ? [m.querySelector('.pl-author').textContent, m.querySelector('.pl-bubble').textContent] : null;",
            )
            .await?;
            Ok((!v.is_null()).then_some(v))
        })
        .await?;
        ensure!(bot[0] == "Bot", "automatic messages carry the author Bot: {bot}");
        ensure!(bot[1].as_str().unwrap_or_default().starts_with("Thanks for waiting!"), "{bot}");
        Ok(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn both_sides_see_each_other_typing_and_the_shopper_sees_seen() {
    require_built_widget();
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Rae").await;
    let mut agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let base = t.base.clone();
    with_browser(|client| async move {
        let message = chat_on_demo(&client, &base).await?;
        message.send_keys(&format!("Hello{}", char::from(Key::Enter))).await?;
        let frame = agent.socket.wait_for(|f| matches!(f, ServerFrame::Message { .. })).await?;
        let ServerFrame::Message { message: first } = frame else { unreachable!() };
        // The agent reads it: the shopper sees "Seen".
        let read = protocol::AgentFrame::Ack { conversation_id: first.conversation_id, seq: first.seq };
        agent.socket.send(&read).await?;
        wait_for_state(&client, "Hello", "seen").await?;
        let label = widget_js(&client, "return root.querySelector('.pl-message.mine .pl-status').textContent;").await?;
        ensure!(label == "Seen", "read receipt label: {label}");
        // The shopper types: the agent is told.
        message.send_keys("I have a question about").await?;
        agent.socket.wait_for(|f| matches!(f, ServerFrame::Typing { by: protocol::Role::Visitor, .. })).await?;
        // The agent types: the shopper sees it, until the agent's message arrives.
        agent.socket.send(&protocol::AgentFrame::Typing { conversation_id: first.conversation_id }).await?;
        let indicator = in_widget(&client, ".pl-typing").await?;
        ensure!(indicator.text().await? == "Rae is typing…");
        agent.send(first.conversation_id, "t1", "Go ahead!").await?;
        wait_for_message(&client, "theirs", "Go ahead!").await?;
        eventually("the indicator gone", || async {
            Ok((widget_js(&client, "return root.querySelectorAll('.pl-typing').length;").await? == 0).then_some(()))
        })
        .await?;
        Ok(())
    })
    .await;
    t.stop().await;
}
