//! The widget as a product, in headless Chromium: what it costs a page before the shopper
//! reaches for it, the cold tap, where a reopened conversation starts, the layout with many help
//! results and a growing message box, what it promises when nobody is there, and the store's
//! colour and corner (with the pages agents hear of). Every state is checked with axe-core too.

mod browser;
mod common;

use anyhow::{ensure, Result};
use browser::{assert_accessible, eventually, in_widget, open_chat, require_built_widget, widget_js, with_browser};
use common::TestRelay;
use fantoccini::key::Key;
use fantoccini::Client;
use parley::AgentClient;
use protocol::ServerFrame;
use relay::store::Article;

/// The texts of the shown messages, in order.
async fn bubbles(client: &Client) -> Result<Vec<String>> {
    let value =
        widget_js(client, "return [...root.querySelectorAll('.pl-message .pl-bubble')].map(b => b.textContent);")
            .await?;
    Ok(serde_json::from_value(value)?)
}

async fn wait_for_bubble(client: &Client, text: &str) -> Result<()> {
    eventually(&format!("the message {text:?}"), || async {
        Ok(bubbles(client).await?.iter().any(|b| b == text).then_some(()))
    })
    .await
}

async fn type_message(client: &Client, text: &str) -> Result<()> {
    let message = in_widget(client, "textarea[aria-label='Message']").await?;
    message.send_keys(text).await?;
    Ok(())
}

#[tokio::test]
async fn the_widget_downloads_at_idle_but_runs_only_when_the_shopper_reaches_for_it() {
    require_built_widget();
    let t = TestRelay::start().await;
    let base = t.base.clone();
    let hub = t.relay.state().hub.clone();
    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        // At idle the wasm is fetched (and compiled), yet nothing of the widget runs.
        eventually("the wasm fetched at idle", || async {
            let fetched = client
                .execute("return performance.getEntriesByType('resource').some(e => e.name.endsWith('.wasm'));", vec![])
                .await?;
            Ok((fetched == true).then_some(()))
        })
        .await?;
        let loaded = client.execute("return !!Parley.loaded;", vec![]).await?;
        ensure!(loaded == false, "the widget ran before anyone reached for it");
        ensure!(hub.live_sockets() == 0, "a socket was opened before the chat was");
        // Pointing at the launcher starts it; still no socket until the chat opens.
        widget_js(&client, "root.querySelector('button.pl-launch').dispatchEvent(new PointerEvent('pointerenter'));")
            .await?;
        eventually("the widget running after a hover", || async {
            Ok(client.execute("return !!Parley.loaded;", vec![]).await?.as_bool().filter(|l| *l))
        })
        .await?;
        ensure!(hub.live_sockets() == 0, "hovering opened a socket");
        open_chat(&client).await?;
        eventually("a socket once the chat is open", || async { Ok((hub.live_sockets() == 1).then_some(())) }).await?;
        Ok(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn a_cold_tap_shows_a_spinner_and_the_panels_frame_before_the_widget_is_ready() {
    require_built_widget();
    let t = TestRelay::start().await;
    let base = t.base.clone();
    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        eventually("the launcher placed by its stylesheet", || async {
            let shown = widget_js(
                &client,
                "const b = root.querySelector('button.pl-launch'); return !!b && getComputedStyle(b).position === 'fixed';",
            )
            .await?;
            Ok((shown == true).then_some(()))
        })
        .await?;
        // In the same task as the tap: the frame is there, and the widget waits for it to be on
        // screen before it starts (its start would hold the frame off the screen).
        let at_tap = widget_js(
            &client,
            "const b = root.querySelector('button.pl-launch'); b.click(); \
             const f = root.querySelector('.pl-frame'); \
             return [!Parley.loaded && Parley.t0 === undefined, b.classList.contains('is-loading'), !!f, \
                     f && getComputedStyle(f).position, f && f.getBoundingClientRect().height];",
        )
        .await?;
        ensure!(at_tap[0] == true, "the widget was already running: {at_tap}");
        ensure!(at_tap[1] == true && at_tap[2] == true, "no spinner or no frame at the tap: {at_tap}");
        ensure!(at_tap[3] == "fixed" && at_tap[4].as_f64().unwrap_or(0.0) > 200.0, "the frame is not laid out: {at_tap}");
        // The real panel replaces the frame, open.
        in_widget(&client, "button[aria-label='Close chat']").await?;
        let frames = widget_js(&client, "return root.querySelectorAll('.pl-frame').length;").await?;
        ensure!(frames == 0, "the frame stayed after the panel opened");
        assert_accessible(&client, "#parley-chat", "the open panel").await?;
        Ok(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn a_reopened_conversation_opens_at_its_newest_message() {
    require_built_widget();
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Grace").await;
    let mut agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let base = t.base.clone();
    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        open_chat(&client).await?;
        type_message(&client, &format!("Which size for 1.80 m?{}", char::from(Key::Enter))).await?;
        let frame = agent.socket.wait_for(|f| matches!(f, ServerFrame::Conversation { .. })).await?;
        let ServerFrame::Conversation { conversation } = frame else { unreachable!() };
        for i in 1..=24 {
            let id = format!("g{i}");
            agent.send(conversation.id, &id, &format!("Answer number {i}, with a few more words.")).await?;
            // One at a time: past 16 waiting for the disk a socket answers `busy`.
            agent.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { client_id, .. } if *client_id == id)).await?;
        }
        wait_for_bubble(&client, "Answer number 24, with a few more words.").await?;
        client.refresh().await?;
        open_chat(&client).await?;
        wait_for_bubble(&client, "Answer number 24, with a few more words.").await?;
        let scroll = eventually("the list scrolled to its end", || async {
            let v = widget_js(
                &client,
                "const l = root.querySelector('.pl-messages'); \
                 return [l.scrollHeight - l.scrollTop - l.clientHeight, l.scrollHeight - l.clientHeight, l.tabIndex];",
            )
            .await?;
            Ok((v[0].as_f64().unwrap_or(99.0) <= 2.0).then_some(v))
        })
        .await?;
        ensure!(scroll[1].as_f64().unwrap_or(0.0) > 100.0, "nothing to scroll, the test proves nothing: {scroll}");
        ensure!(scroll[2] == 0, "the message list cannot be scrolled from the keyboard: {scroll}");
        assert_accessible(&client, "#parley-chat", "a long conversation").await?;
        Ok(())
    })
    .await;
    t.stop().await;
}

/// 20 articles that all answer a search for "wrapping".
async fn twenty_wrapping_articles(t: &TestRelay) {
    let state = t.relay.state();
    let store = state.store.store_by_key("demo").await.unwrap().unwrap();
    let articles: Vec<Article> = (1..=20)
        .map(|i| Article {
            id: format!("wrap-{i}"),
            id_json: format!("\"wrap-{i}\""),
            question: format!("Gift wrapping option {i}: what does it include?"),
            answer: format!("Gift wrapping option {i} comes with tissue paper and a silk ribbon. ").repeat(3),
            category: "Gifts".into(),
            tags: vec!["gift wrapping".into()],
            language: "en".into(),
        })
        .collect();
    state.store.upsert_articles(store.id, articles).await.unwrap();
    state.faq.sync(&state.store).await.unwrap();
}

/// The composer's and the panel's top and bottom, in px.
async fn composer_in_panel(client: &Client) -> Result<Vec<f64>> {
    let v = widget_js(
        client,
        "const p = root.querySelector('.pl-panel').getBoundingClientRect(); \
         const c = root.querySelector('.pl-composer').getBoundingClientRect(); \
         return [p.top, p.bottom, c.top, c.bottom];",
    )
    .await?;
    Ok(serde_json::from_value(v)?)
}

#[tokio::test]
async fn many_help_results_scroll_inside_the_panel_and_the_composer_stays_at_its_foot() {
    require_built_widget();
    let t = TestRelay::start().await;
    twenty_wrapping_articles(&t).await;
    let base = t.base.clone();
    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        open_chat(&client).await?;
        let search = in_widget(&client, "input[aria-label='Search help']").await?;
        search.send_keys("gift wrapping ").await?;
        let count = eventually("twenty results", || async {
            let n = widget_js(&client, "return root.querySelectorAll('.pl-result').length;").await?;
            Ok(n.as_u64().filter(|n| *n == 20))
        })
        .await?;
        ensure!(count == 20);
        let [top, bottom, c_top, c_bottom] = composer_in_panel(&client).await?[..] else { unreachable!() };
        ensure!(
            c_top >= top && (c_bottom - bottom).abs() <= 1.0,
            "the composer left the panel's foot: {top} {bottom} {c_top} {c_bottom}"
        );
        let results =
            widget_js(&client, "const r = root.querySelector('.pl-results'); return r.scrollHeight > r.clientHeight;")
                .await?;
        ensure!(results == true, "the results do not scroll inside the panel");
        assert_accessible(&client, "#parley-chat", "twenty help results").await?;

        // An open article, short: the composer is still at the foot, not mid-panel.
        widget_js(&client, "root.querySelector('.pl-result').click();").await?;
        in_widget(&client, ".pl-article h3").await?;
        let [_, bottom, _, c_bottom] = composer_in_panel(&client).await?[..] else { unreachable!() };
        ensure!((c_bottom - bottom).abs() <= 1.0, "the composer floats with an article open: {c_bottom} vs {bottom}");
        let back =
            widget_js(&client, "const b = root.querySelector('.pl-link'); return b.getBoundingClientRect().height;")
                .await?;
        ensure!(back.as_f64().unwrap_or(99.0) < 40.0, "'Back to results' wraps: {back}");
        assert_accessible(&client, "#parley-chat", "an open article").await?;

        // A search nothing answers says so, instead of offering an article for one shared word.
        widget_js(&client, "root.querySelector('.pl-link').click();").await?;
        let search = in_widget(&client, "input[aria-label='Search help']").await?;
        search.clear().await?;
        search.send_keys("gift card balance ").await?;
        let none = in_widget(&client, ".pl-no-results").await?;
        ensure!(none.text().await?.starts_with("No article matches"), "{}", none.text().await?);
        Ok(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn the_message_box_grows_with_its_lines() {
    require_built_widget();
    let t = TestRelay::start().await;
    let base = t.base.clone();
    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        open_chat(&client).await?;
        let height = || async {
            let v = widget_js(
                &client,
                "const a = root.querySelector('textarea'); return [a.clientHeight, a.scrollHeight];",
            )
            .await?;
            anyhow::Ok(serde_json::from_value::<Vec<f64>>(v)?)
        };
        let one = height().await?;
        let (shift, enter, release) = (char::from(Key::Shift), char::from(Key::Enter), char::from(Key::Null));
        type_message(&client, &format!("one{shift}{enter}{release}two{shift}{enter}{release}three")).await?;
        let three = eventually("the box grown to three lines", || async {
            let h = height().await?;
            Ok((h[0] > one[0] * 1.8).then_some(h))
        })
        .await?;
        ensure!(three[1] <= three[0] + 1.0, "lines are clipped in the box: {three:?}");
        type_message(&client, &format!("{enter}")).await?;
        wait_for_bubble(&client, "one\ntwo\nthree").await?;
        let after = eventually("the box back to one line", || async {
            let h = height().await?;
            Ok(((h[0] - one[0]).abs() <= 1.0).then_some(h))
        })
        .await?;
        ensure!(after[0] < three[0]);
        Ok(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn with_nobody_online_the_widget_promises_no_reply_and_gives_no_place_in_line() {
    require_built_widget();
    let t = TestRelay::start().await;
    let base = t.base.clone();
    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        open_chat(&client).await?;
        let header = in_widget(&client, ".pl-subtitle").await?;
        let said = eventually("the header's subtitle", || async {
            let text = header.text().await?;
            Ok((!text.is_empty()).then_some(text))
        })
        .await?;
        ensure!(said.starts_with("Our team is away"), "the header promises what nobody keeps: {said:?}");
        type_message(&client, &format!("Do you ship to Norway?{}", char::from(Key::Enter))).await?;
        let away = eventually("the bot's away message", || async {
            Ok(bubbles(&client).await?.into_iter().find(|b| b.contains("Nobody from our team")))
        })
        .await?;
        ensure!(!away.contains("in line"), "{away}");
        // The attendance frame comes before the bot's reply: by now it would be shown.
        let place =
            widget_js(&client, "const a = root.querySelector('.pl-attendance'); return a && a.textContent;").await?;
        ensure!(place.is_null(), "a place in line with nobody there: {place}");
        assert_accessible(&client, "#parley-chat", "the away conversation").await?;
        Ok(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn the_widget_wears_the_stores_colour_and_corner_and_tells_agents_where_the_shopper_is() {
    require_built_widget();
    let t = TestRelay::start().await;
    let db = t.relay.state().store.clone();
    let store = db.store_by_key("demo").await.unwrap().unwrap();
    let mut settings = db.settings(store.id).await.unwrap();
    settings.colour = "#0a7d5a".into();
    settings.position = "left".into();
    db.save_settings(store.id, &settings).await.unwrap();
    let (email, password) = t.add_agent("demo", "Grace").await;
    let mut agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let base = t.base.clone();
    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        let look = eventually("the store's colour and corner", || async {
            let v = widget_js(
                &client,
                "const b = root.querySelector('.pl-launch'); if (!b) return null; const s = getComputedStyle(b); \
                 return [s.backgroundColor, b.getBoundingClientRect().left];",
            )
            .await?;
            Ok((v[0] == "rgb(10, 125, 90)").then_some(v))
        })
        .await?;
        ensure!(look[1].as_f64().unwrap_or(999.0) < 100.0, "the launcher is not on the left: {look}");

        open_chat(&client).await?;
        let message = in_widget(&client, "textarea[aria-label='Message']").await?;
        message.send_keys(&format!("Is it in stock?{}", char::from(Key::Enter))).await?;
        let frame = agent.socket.wait_for(|f| matches!(f, ServerFrame::Conversation { .. })).await?;
        let ServerFrame::Conversation { conversation } = frame else { unreachable!() };
        // A single-page shop changes the address without a load: agents hear of it.
        client
            .execute("history.pushState({}, '', '/demo/?colour=sand'); document.title = 'Sand overshirt';", vec![])
            .await?;
        let frame = agent.socket.wait_for(|f| matches!(f, ServerFrame::VisitorPage { .. })).await?;
        let ServerFrame::VisitorPage { conversation_id, page } = frame else { unreachable!() };
        ensure!(conversation_id == conversation.id && page.url.ends_with("/demo/?colour=sand"), "{page:?}");
        ensure!(page.title == "Sand overshirt", "{page:?}");
        let visit = db.visitor_context(&conversation.visitor_id).await?;
        ensure!(visit.pages.len() == 2 && visit.pages[1].url.ends_with("/demo/"), "{visit:?}");
        ensure!(visit.language.as_deref() == Some("en-US") && visit.time_zone.is_some(), "{visit:?}");
        Ok(())
    })
    .await;
    t.stop().await;
}
