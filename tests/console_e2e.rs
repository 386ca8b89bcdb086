//! The agents' console in headless Chromium, against a real relay and a real shopper's socket:
//! signing in, answering a waiting shopper, canned replies with `/`, and private notes.

mod browser;
mod common;

use anyhow::{ensure, Context, Result};
use browser::console::{
    find, inbox_ready, labelled_input, listed_with, open_tab, reply_box, require_built_console, sign_in,
};
use browser::{assert_accessible, eventually, save_screenshot, with_browser};
use common::TestRelay;
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use parley::VisitorClient;
use protocol::{Role, ServerFrame, VisitorFrame};

/// Waits until the shopper's socket gets a message from an agent, and returns it with
/// everything the shopper received on the way.
async fn shopper_receives_agent_message(shopper: &mut VisitorClient) -> Result<(protocol::Message, Vec<String>)> {
    let mut seen = Vec::new();
    loop {
        let frame = shopper.socket.wait_for(|_| true).await?;
        seen.push(protocol::encode(&frame));
        if let ServerFrame::Message { message } = frame {
            if message.author.role == Role::Agent {
                return Ok((message, seen));
            }
        }
    }
}

#[tokio::test]
async fn an_agent_signs_in_answers_a_waiting_shopper_and_the_shopper_sees_the_reply() {
    require_built_console();
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Grace").await;
    let base = t.base.clone();
    with_browser(|client| async move {
        // A wrong password is refused with a message, and nothing else happens.
        client.goto(&format!("{base}/console/")).await?;
        find(&client, &labelled_input("Email")).await?.send_keys(&email).await?;
        find(&client, &labelled_input("Password")).await?.send_keys("not the password").await?;
        find(&client, "//button[normalize-space()='Sign in']").await?.click().await?;
        let alert = find(&client, "//p[@role='alert']").await?;
        ensure!(alert.text().await?.contains("Wrong email or password"), "{}", alert.text().await?);
        assert_accessible(&client, "body", "the sign-in page with its error").await?;

        sign_in(&client, &base, &email, &password).await?;
        // A plain agent has the inbox and nothing of the store's management.
        let nav = find(&client, "//nav").await?.text().await?;
        ensure!(nav == "Inbox", "a plain agent sees {nav:?}");
        // The session survives a reload: the cookie, not the page, holds it.
        client.refresh().await?;
        inbox_ready(&client).await?;

        let mut shopper = VisitorClient::connect(&base, "demo", None, None, 0).await?;
        shopper
            .socket
            .send(&VisitorFrame::Page {
                url: "https://shop.example/products/linen-overshirt".into(),
                title: "Linen overshirt".into(),
                referrer: Some("https://www.google.com/".into()),
                language: Some("fr-FR".into()),
                time_zone: Some("Europe/Paris".into()),
                earlier: Vec::new(),
            })
            .await?;
        let question = "Do you ship the <b>linen</b> shirt to Lyon?";
        shopper.send("q1", question).await?;

        let listed = unread_until_opened(&client, question).await?;
        listed.click().await?;
        eventually("the title without a count", || async { Ok((client.title().await? == "Parley console").then_some(())) })
            .await?;
        // Beside the conversation: where the shopper is and who they are.
        find(&client, "//aside//a[@href='https://shop.example/products/linen-overshirt'][normalize-space()='Linen overshirt']")
            .await?;
        find(&client, "//aside//dd[normalize-space()='fr-FR']").await?;
        find(&client, "//aside//dd[normalize-space()='https://www.google.com/']").await?;
        // The shopper types; the agent sees it.
        shopper.socket.send(&VisitorFrame::Typing).await?;
        find(&client, "//p[@class='typing'][normalize-space()='The shopper is typing…']").await?;
        find(&client, &format!("//ol[contains(@class,'lines')]//p[normalize-space()='{question}']")).await?;
        let bold = client.execute("return document.querySelectorAll('.lines b').length;", vec![]).await?;
        ensure!(bold == 0, "the shopper's text was rendered as HTML");

        let answer = "Yes, to Lyon in two days.";
        reply_box(&client).await?.send_keys(answer).await?;
        find(&client, "//form[contains(@class,'composer')]//button[normalize-space()='Send']").await?.click().await?;
        let (received, _) = shopper_receives_agent_message(&mut shopper).await?;
        ensure!(received.text == answer, "the shopper got {:?}", received.text);
        // The agent sees it stored, and the list now shows it as the latest message.
        find(&client, &format!("//li[contains(@class,'mine')][p[normalize-space()='{answer}']]//span[@class='delivery'][normalize-space()='Sent' or normalize-space()='Read']")).await?;
        listed_with(&client, answer).await?;

        // The shopper reads it; the agent sees "Read".
        shopper.socket.send(&VisitorFrame::Ack { seq: received.seq }).await?;
        find(&client, &format!("//li[contains(@class,'mine')][p[normalize-space()='{answer}']]//span[@class='delivery'][normalize-space()='Read']")).await?;
        save_screenshot(&client, "console").await?;

        // The shopper leaves the shop: the conversation's header says so.
        drop(shopper);
        find(&client, "//header[@class='conversation-head']//span[contains(@class,'shopper-presence')][normalize-space()='Left the shop']").await?;
        Ok(())
    })
    .await;
}

/// A conversation not yet opened counts as unread, in its tab and in the page title, and its
/// row shows how long the shopper has waited; gives back the row.
async fn unread_until_opened(client: &Client, question: &str) -> Result<Element> {
    // Not yet opened: it counts as unread, in its tab and in the page title.
    open_tab(client, "Mine").await?;
    let listed = listed_with(client, question).await?;
    eventually("the unread count in the title", || async {
        let title = client.title().await?;
        Ok(title.starts_with("(1) ").then_some(()))
    })
    .await?;
    find(
        client,
        "//button[@role='tab'][starts-with(normalize-space(), 'Mine')]/span[@class='badge'][normalize-space()='1']",
    )
    .await?;
    // The shopper waits: the time since their message runs beside it, green under 30 s.
    // It reads as a duration ("3 s"), never as a clock time; the row's badge is a small pill.
    let wait = listed.find(Locator::Css("span.wait.fresh")).await?.text().await?;
    ensure!(wait.ends_with(" s") && !wait.contains(':'), "waiting time {wait:?}");
    let badge = client
        .execute(
            "return [...document.querySelectorAll('.conversation .badge')].map(b => b.getBoundingClientRect().width);",
            vec![],
        )
        .await?;
    let widths: Vec<f64> = serde_json::from_value(badge)?;
    ensure!(!widths.is_empty() && widths.iter().all(|w| *w < 40.0), "unread badges drawn as bars: {widths:?}");
    Ok(listed)
}

#[tokio::test]
async fn canned_replies_come_with_a_slash_and_private_notes_never_reach_the_shopper() {
    require_built_console();
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Li").await;
    let store = t.relay.state().store.store_by_key("demo").await.unwrap().unwrap();
    let db = &t.relay.state().store;
    db.add_canned_reply(store.id, "ship", "Hi {shopper_name}, {agent_name} from {store_name}: we ship in 2 days.")
        .await
        .unwrap();
    db.add_canned_reply(store.id, "size", "Our sizes run true.").await.unwrap();
    let base = t.base.clone();
    let state = t.relay.state().clone();
    with_browser(|client| async move {
        sign_in(&client, &base, &email, &password).await?;
        let mut shopper = VisitorClient::connect(&base, "demo", None, None, 0).await?;
        shopper.send("q1", "When will it arrive?").await?;
        open_tab(&client, "Mine").await?;
        listed_with(&client, "When will it arrive?").await?.click().await?;

        // A private note first: the team sees it, the shopper never does.
        find(&client, "//button[normalize-space()='Private note']").await?.click().await?;
        let secret = "VIP customer, refund approved by Sam";
        find(&client, "//textarea[@aria-label='Note']").await?.send_keys(secret).await?;
        find(&client, "//button[normalize-space()='Add note']").await?.click().await?;
        find(&client, &format!("//li[contains(@class,'note')]/p[normalize-space()='{secret}']")).await?;

        // Then a canned reply: `/sh` narrows the list, Enter inserts it with placeholders filled.
        find(&client, "//button[normalize-space()='To the shopper']").await?.click().await?;
        let reply = reply_box(&client).await?;
        reply.send_keys("/sh").await?;
        let options = find(&client, "//ul[@role='listbox']").await?;
        let listed = options.text().await?;
        ensure!(listed.contains("/ship") && !listed.contains("/size"), "the list shows {listed:?}");
        reply.send_keys(&char::from(Key::Enter).to_string()).await?;
        let expected = "Hi there, Li from Maison Demo: we ship in 2 days.";
        eventually("the canned reply in the composer", || async {
            let value = reply_box(&client).await?.prop("value").await?;
            Ok((value.as_deref() == Some(expected)).then_some(()))
        })
        .await?;
        reply.send_keys(&char::from(Key::Enter).to_string()).await?;

        let (received, seen) = shopper_receives_agent_message(&mut shopper).await?;
        ensure!(received.text == expected, "the shopper got {:?}", received.text);
        ensure!(!seen.iter().any(|frame| frame.contains("VIP")), "a note reached the shopper: {seen:?}");
        // Nor does it come with the history after a reconnect.
        let mut again = VisitorClient::connect(&base, "demo", None, Some(shopper.welcome.token.clone()), 0).await?;
        again.socket.send(&VisitorFrame::Sync { after_seq: 0 }).await?;
        let history = again.socket.wait_for(|f| matches!(f, ServerFrame::History { .. })).await?;
        let history = protocol::encode(&history);
        ensure!(history.contains("we ship in 2 days") && !history.contains("VIP"), "{history}");

        // Closing offers the polite closing question; the shopper gets it, and the chat closes
        // only when the store's closing wait passes without an answer.
        find(&client, "//div[contains(@class,'actions')]/button[normalize-space()='Close']").await?.click().await?;
        let closing = find(&client, "//div[@role='dialog']//textarea").await?;
        let offered = closing.prop("value").await?;
        ensure!(offered.as_deref() == Some("Is there anything else I can help you with?"), "{offered:?}");
        find(&client, "//button[normalize-space()='Send and close if no answer']").await?.click().await?;
        let (last, _) = shopper_receives_agent_message(&mut shopper).await?;
        ensure!(last.text == "Is there anything else I can help you with?", "{}", last.text);
        find(&client, "//p[@role='status'][starts-with(normalize-space(),'Closes at') and contains(.,'unless the shopper answers')]").await?;
        let record = state.store.conversation(last.conversation_id).await?.context("the conversation")?;
        let closes_at = state.store.summary(&record).await?.closes_at.context("a pending close")?;
        ensure!(relay::chat::closing::sweep_closing(&state.chat, closes_at).await? == 1, "closed when the wait ends");
        shopper.socket.wait_for(|f| matches!(f, ServerFrame::Closed { .. })).await?;
        // It moves to Closed, and can be reopened from there.
        // (Its latest message is now the relay's notice that the chat was closed.)
        let selected = "//button[contains(@class,'conversation') and contains(@class,'selected')]";
        open_tab(&client, "Closed").await?;
        find(&client, selected).await?;
        find(&client, "//div[contains(@class,'actions')]/button[normalize-space()='Reopen']").await?.click().await?;
        open_tab(&client, "Mine").await?;
        find(&client, selected).await?;
        find(&client, "//textarea[@aria-label='Reply']").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn an_owner_manages_canned_replies_settings_and_finds_the_script_tag() {
    require_built_console();
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent_as("demo", "Olga", "owner").await;
    let db = t.relay.state().store.clone();
    let base = t.base.clone();
    with_browser(|client| async move {
        sign_in(&client, &base, &email, &password).await?;

        // A canned reply, added in the UI, is shared with the store.
        find(&client, "//nav/button[normalize-space()='Canned replies']").await?.click().await?;
        find(&client, &labelled_input("Shortcut")).await?.send_keys("thanks").await?;
        find(&client, "//label[span[normalize-space()='Text']]/textarea")
            .await?
            .send_keys("Thank you, {shopper_name}!")
            .await?;
        find(&client, "//button[normalize-space()='Add canned reply']").await?.click().await?;
        find(&client, "//ul[@class='canned-list']/li[strong[normalize-space()='/thanks']]").await?;
        let store = db.store_by_key("demo").await?.expect("the demo store");
        let saved = db.canned_replies(store.id).await?;
        ensure!(saved.len() == 1 && saved[0].text == "Thank you, {shopper_name}!", "{saved:?}");
        assert_accessible(&client, "body", "the canned replies page").await?;

        // The greeting, saved in Settings, is what the widget gets.
        find(&client, "//nav/button[normalize-space()='Settings']").await?.click().await?;
        let greeting = find(&client, "//label[span[normalize-space()='Greeting']]/textarea").await?;
        eventually("the settings loaded", || async {
            Ok((find(&client, &labelled_input("Store name")).await?.prop("value").await?.as_deref()
                == Some("Maison Demo"))
            .then_some(()))
        })
        .await?;
        greeting.send_keys("Bonjour! Ask us about sizes.").await?;
        find(&client, "//button[normalize-space()='Save']").await?.click().await?;
        find(&client, "//p[@role='status'][normalize-space()='Saved.']").await?;
        ensure!(db.greeting(store.id).await?.as_deref() == Some("Bonjour! Ask us about sizes."));

        // The Install page shows the exact tag for this relay and store.
        find(&client, "//nav/button[normalize-space()='Install']").await?.click().await?;
        let tag = find(&client, "//pre[@class='snippet']/code").await?.text().await?;
        let expected = format!(r#"<script src="{base}/widget.js" data-store="demo" async></script>"#);
        ensure!(tag == expected, "{tag}");
        find(&client, "//button[normalize-space()='Copy']").await?;
        // Owners see the identity secret on request, with the code that signs with it.
        find(&client, "//button[normalize-space()='Show identity secret']").await?.click().await?;
        let shown = find(&client, "//pre[contains(@class,'secret')]/code").await?.text().await?;
        ensure!(shown == db.identity_secret("demo", false).await?, "the page showed {shown:?}");
        find(&client, "//dl[@class='samples']/dt[normalize-space()='Ruby']").await?;
        // The order source: a loopback address is refused until private addresses are allowed;
        // the secret is never shown again.
        find(&client, &labelled_input("Order source URL")).await?.send_keys("http://127.0.0.1:9/orders").await?;
        let secret_field = find(&client, &labelled_input("Order source secret")).await?;
        secret_field.send_keys("a-long-enough-secret").await?;
        let save = "//form[@class='integrations']/button[normalize-space()='Save']";
        find(&client, save).await?.click().await?;
        let refusal = find(&client, "//form[@class='integrations']/p[@role='alert']").await?.text().await?;
        ensure!(refusal.contains("private address"), "{refusal}");
        find(&client, "//label[span[starts-with(normalize-space(), 'Allow private')]]/input").await?.click().await?;
        find(&client, save).await?.click().await?;
        find(&client, "//form[@class='integrations']/p[@role='status'][normalize-space()='Saved.']").await?;
        let source = db.order_source(store.id).await?;
        ensure!(source.url.as_deref() == Some("http://127.0.0.1:9/orders") && source.allow_private, "{source:?}");
        ensure!(source.secret == "a-long-enough-secret");
        let shown = find(&client, &labelled_input("Order source secret")).await?.prop("value").await?;
        ensure!(shown.as_deref() == Some(""), "the secret is shown again: {shown:?}");
        assert_accessible(&client, "body", "the install page").await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_console_comes_back_after_the_relay_restarts_and_catches_up() {
    require_built_console();
    let first = TestRelay::start().await;
    let address = first.relay.addr().to_string();
    let base = first.base.clone();
    let (email, password) = first.add_agent("demo", "Noor").await;
    let relay = std::sync::Arc::new(tokio::sync::Mutex::new(Some(first)));
    let dir = std::sync::Arc::new(tokio::sync::Mutex::new(None));
    let (relay_in, dir_in) = (relay.clone(), dir.clone());
    with_browser(|client| async move {
        sign_in(&client, &base, &email, &password).await?;
        let mut shopper = VisitorClient::connect(&base, "demo", None, None, 0).await?;
        shopper.send("q1", "Before the restart").await?;
        open_tab(&client, "Mine").await?;
        listed_with(&client, "Before the restart").await?.click().await?;
        find(&client, "//ol[contains(@class,'lines')]//p[normalize-space()='Before the restart']").await?;

        // The relay stops: the agent is told.
        let (data, tmp) = relay_in.lock().await.take().unwrap().stop().await;
        find(&client, "//span[@role='status'][normalize-space()='Connection lost. Reconnecting…']").await?;

        // It comes back on the same address: the console resumes with its cookie, the banner goes,
        // and what the shopper wrote meanwhile shows in the open conversation.
        let second = TestRelay::start_at(&data, &address).await;
        *dir_in.lock().await = tmp;
        let mut shopper =
            VisitorClient::connect(&second.base, "demo", None, Some(shopper.welcome.token.clone()), 0).await?;
        shopper.send("q2", "After the restart").await?;
        find(&client, "//ol[contains(@class,'lines')]//p[normalize-space()='After the restart']").await?;
        eventually("the banner gone", || async {
            let banners = client.find_all(Locator::XPath("//span[@role='status']")).await?;
            Ok(banners.is_empty().then_some(()))
        })
        .await?;
        reply_box(&client).await?.send_keys("Still here.").await?;
        find(&client, "//form[contains(@class,'composer')]//button[normalize-space()='Send']").await?.click().await?;
        let (received, _) = shopper_receives_agent_message(&mut shopper).await?;
        ensure!(received.text == "Still here.", "{}", received.text);
        *relay_in.lock().await = Some(second);
        Ok(())
    })
    .await;
    if let Some(relay) = relay.lock().await.take() {
        relay.stop().await;
    }
    drop(dir);
}
