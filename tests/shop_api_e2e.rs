//! The shop's JavaScript API (`window.Parley`, docs/embedding.md) in headless Chromium against
//! a real relay: calls made before the widget loads take effect, the shop hears `message`,
//! `unread`, `open` and `close`, `reset()` forgets the shopper, `hide()` and
//! `data-hide-launcher` take the launcher away, and a signed `identify` and the shop's attributes
//! (text, numbers and booleans as text, `null` removing one) reach the relay.

mod browser;
mod common;

use anyhow::{ensure, Result};
use browser::{eventually, in_widget, require_built_widget, widget_js, with_browser};
use common::TestRelay;
use fantoccini::key::Key;
use fantoccini::Client;
use parley::AgentClient;
use protocol::ServerFrame;
use serde_json::{json, Value};

/// What the api.html page recorded of `Parley.on` events, as `[name, detail]`.
async fn events(client: &Client) -> Result<Vec<(String, Value)>> {
    Ok(serde_json::from_value(client.execute("return window.parleyEvents || [];", vec![]).await?)?)
}

async fn wait_for_event(client: &Client, name: &str, detail: Option<Value>) -> Result<()> {
    eventually(&format!("the {name} event {detail:?}"), || async {
        let heard = events(client).await?;
        Ok(heard.iter().any(|(n, d)| n == name && detail.as_ref().is_none_or(|want| want == d)).then_some(()))
    })
    .await
}

/// Waits until the widget runs and its panel is open (or closed).
async fn wait_open(client: &Client, open: bool) -> Result<()> {
    in_widget(client, &format!("button.pl-launch[aria-expanded='{open}']")).await?;
    Ok(())
}

async fn send_from_widget(client: &Client, text: &str) -> Result<()> {
    let composer = in_widget(client, "textarea[aria-label='Message']").await?;
    composer.send_keys(&format!("{text}{}", char::from(Key::Enter))).await?;
    Ok(())
}

async fn shown_texts(client: &Client) -> Result<Vec<String>> {
    let shown = widget_js(client, "return [...root.querySelectorAll('.pl-bubble')].map(b => b.textContent);").await?;
    Ok(serde_json::from_value(shown)?)
}

async fn launcher_display(client: &Client) -> Result<String> {
    let display = widget_js(client, "return getComputedStyle(root.querySelector('.pl-launch')).display;").await?;
    Ok(display.as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn calls_made_before_the_widget_loads_take_effect() {
    require_built_widget();
    let t = TestRelay::start().await;
    let base = t.base.clone();
    let store = t.relay.state().store.clone();
    let secret = store.identity_secret("demo", false).await.unwrap();
    let signature = relay::auth::identity_signature(&secret, "cust_9");
    with_browser(|client| async move {
        // `Parley.open()` in an inline script right after a plain tag.
        client.goto(&format!("{base}/demo/open.html")).await?;
        wait_open(&client, true).await?;
        in_widget(&client, "textarea[aria-label='Message']").await?;

        // The async snippet: identify, attributes and open queued before the loader ran.
        client.goto(&format!("{base}/demo/api.html?open&id=cust_9&name=Mia&plan=gold&signature={signature}")).await?;
        wait_open(&client, true).await?;
        wait_for_event(&client, "ready", None).await?;
        wait_for_event(&client, "open", None).await?;
        send_from_widget(&client, "Where is my parcel?").await?;
        eventually("the message shown", || async {
            Ok(shown_texts(&client).await?.iter().any(|t| t == "Where is my parcel?").then_some(()))
        })
        .await?;
        let stored = || async {
            let demo = store.store_by_key("demo").await?.expect("the demo store");
            let Some(visitor) = store.customer_visitor(demo.id, "cust_9").await? else { return Ok(None) };
            let name = store.customer(&visitor).await?.and_then(|c| c.name);
            Ok::<_, anyhow::Error>(Some((name, store.attributes(&visitor).await?)))
        };
        let (name, attributes) = eventually("the verified customer and their plan", || async {
            Ok(stored().await?.filter(|(_, a)| a.get("plan").is_some_and(|p| p == "gold")))
        })
        .await?;
        ensure!(name.as_deref() == Some("Mia"), "{name:?}");
        ensure!(attributes.len() == 1, "{attributes:?}");

        // Numbers and booleans arrive as text, `null` removes one, `undefined` is skipped and
        // an object is refused (with a message in the console), the rest still sent.
        let set =
            "Parley.setAttributes({ items: 3, vip: true, price: 4.5, plan: null, note: { a: 1 }, gone: undefined });";
        client.execute(set, vec![]).await?;
        let (_, attributes) =
            eventually("the new attributes", || async { Ok(stored().await?.filter(|(_, a)| a.contains_key("items"))) })
                .await?;
        let text = |key: &str| attributes.get(key).map(String::as_str);
        ensure!(
            (text("items"), text("vip"), text("price")) == (Some("3"), Some("true"), Some("4.5")),
            "{attributes:?}"
        );
        ensure!(attributes.len() == 3, "plan removed, note refused, gone skipped: {attributes:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_shop_hears_messages_and_unread_and_reset_forgets_the_shopper() {
    require_built_widget();
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Grace").await;
    let mut agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let base = t.base.clone();
    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/api.html?open")).await?;
        wait_open(&client, true).await?;
        send_from_widget(&client, "Do you have the overshirt in blue?").await?;
        let frame = agent
            .socket
            .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.text.contains("in blue")))
            .await?;
        let ServerFrame::Message { message } = frame else { unreachable!() };
        agent.send(message.conversation_id, "a1", "Yes, from next week.").await?;
        let heard = json!({"text": "Yes, from next week.", "author": {"role": "agent", "name": "Grace"}});
        wait_for_event(&client, "message", Some(heard)).await?;

        // Closed, a new message counts as unread.
        client.execute("Parley.close();", vec![]).await?;
        wait_open(&client, false).await?;
        wait_for_event(&client, "close", None).await?;
        ensure!(client.execute("return Parley.isOpen();", vec![]).await? == json!(false), "isOpen() after close()");
        agent.send(message.conversation_id, "a2", "Shall I note you down?").await?;
        wait_for_event(&client, "unread", Some(json!(1))).await?;

        // The shop's sign-out: this browser's visitor is forgotten.
        let token = client.execute("return localStorage.getItem('parley:demo:token');", vec![]).await?;
        ensure!(token.is_string(), "the widget kept a visitor token");
        client.execute("Parley.reset(); Parley.open();", vec![]).await?;
        wait_open(&client, true).await?;
        let fresh = eventually("a new visitor token", || async {
            let now = client.execute("return localStorage.getItem('parley:demo:token');", vec![]).await?;
            Ok((now.is_string() && now != token).then_some(now))
        })
        .await?;
        ensure!(fresh != token);
        let shown = shown_texts(&client).await?;
        ensure!(!shown.iter().any(|t| t.contains("in blue") || t.contains("next week")), "reset forgot: {shown:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn hide_and_data_attributes_take_the_launcher_away() {
    require_built_widget();
    let t = TestRelay::start().await;
    let base = t.base.clone();
    with_browser(|client| async move {
        // `data-open data-hide-launcher`, for shops that write no script.
        client.goto(&format!("{base}/demo/contact.html")).await?;
        wait_open(&client, true).await?;
        ensure!(launcher_display(&client).await? == "none", "data-hide-launcher hides the launcher");

        client.goto(&format!("{base}/demo/api.html")).await?;
        eventually("the launcher shown", || async { Ok((launcher_display(&client).await? != "none").then_some(())) })
            .await?;
        client.execute("Parley.hide();", vec![]).await?;
        ensure!(launcher_display(&client).await? == "none", "hide() hides the launcher");
        client.execute("Parley.show();", vec![]).await?;
        ensure!(launcher_display(&client).await? != "none", "show() brings it back");
        // The shop's own button still opens the chat.
        client.execute("Parley.hide(); Parley.toggle();", vec![]).await?;
        wait_open(&client, true).await?;
        ensure!(client.execute("return Parley.isOpen();", vec![]).await? == json!(true), "isOpen() after toggle()");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn order_answers_show_the_shops_text_as_text() {
    require_built_widget();
    let t = TestRelay::start().await;
    let _source = common::order_source::hostile_source_for_demo(&t, true).await;
    let secret = t.relay.state().store.identity_secret("demo", false).await.unwrap();
    let signature = relay::auth::identity_signature(&secret, "cust_42");
    let base = t.base.clone();
    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/api.html?open&id=cust_42&signature={signature}")).await?;
        wait_open(&client, true).await?;
        send_from_widget(&client, "Where is my order?").await?;
        let answer = eventually("the order answer", || async {
            Ok(shown_texts(&client).await?.into_iter().find(|t| t.starts_with("Order #X-100")))
        })
        .await?;
        ensure!(answer.contains("1 × <img src=x onerror=window.pwned=3>Shirt"), "{answer}");
        ensure!(!answer.contains("javascript:"), "a javascript: link was passed on: {answer}");
        let markup = widget_js(
            &client,
            "return [window.pwned || null, root.querySelectorAll('.pl-bubble img, .pl-bubble b').length];",
        )
        .await?;
        ensure!(markup == json!([null, 0]), "shop-given text became markup: {markup}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn one_customer_in_two_browsers_sees_one_history() {
    require_built_widget();
    let t = TestRelay::start().await;
    let secret = t.relay.state().store.identity_secret("demo", false).await.unwrap();
    let signature = relay::auth::identity_signature(&secret, "cust_5");
    let page = format!("{}/demo/api.html?open&id=cust_5&name=Ana&signature={signature}", t.base);
    let laptop = page.clone();
    with_browser(|client| async move {
        client.goto(&laptop).await?;
        wait_open(&client, true).await?;
        send_from_widget(&client, "Sent from my laptop").await?;
        eventually("the message stored", || async {
            let state = widget_js(
                &client,
                "const s = root.querySelector('.pl-message.mine .pl-status'); return s && s.dataset.state;",
            )
            .await?;
            Ok((state == json!("sent") || state == json!("seen")).then_some(()))
        })
        .await?;
        Ok(())
    })
    .await;
    // Another browser (its own profile and storage): the same customer, the same conversation.
    with_browser(|client| async move {
        client.goto(&page).await?;
        wait_open(&client, true).await?;
        eventually("the laptop's message on the phone", || async {
            Ok(shown_texts(&client).await?.iter().any(|t| t == "Sent from my laptop").then_some(()))
        })
        .await?;
        Ok(())
    })
    .await;
}
