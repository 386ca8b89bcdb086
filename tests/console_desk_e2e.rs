//! The console for an eight-hour day, in headless Chromium: unread counts that leave out the
//! bot, a conversation that opens at its newest message with the reply box focused, a history
//! that scrolls by keyboard, shortcuts and their sheet, search, capacity on claim, one level-one
//! heading, and axe-core clean in each of those states.

mod browser;
mod common;

use anyhow::{ensure, Result};
use browser::console::{find, listed_with, open_tab, require_built_console, sign_in};
use browser::{assert_accessible, eventually, save_screenshot, with_browser};
use common::TestRelay;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use parley::{AgentClient, VisitorClient};
use protocol::{AgentFrame, Role, ServerFrame};

/// A long message, so that a few of them overflow the history.
fn long(n: usize) -> String {
    format!("Question {n}: {}", "the linen overshirt in sand, size M, for a wedding in Lyon next month. ".repeat(4))
}

/// Presses `key` with nothing focused (the page itself).
async fn press(client: &Client, key: &str) -> Result<()> {
    client.execute("document.activeElement && document.activeElement.blur();", vec![]).await?;
    client.find(Locator::Css("body")).await?.send_keys(key).await?;
    Ok(())
}

/// What has focus: its tag and accessible label.
async fn focused(client: &Client) -> Result<String> {
    let found = client
        .execute(
            "const e = document.activeElement; return e.tagName + ' ' + (e.getAttribute('aria-label') || '');",
            vec![],
        )
        .await?;
    Ok(found.as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn an_agent_works_the_inbox_by_keyboard_and_sees_what_matters() {
    require_built_console();
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Grace").await;
    let base = t.base.clone();
    // Nobody online yet: the bot answers, and the shopper writes on.
    let mut shopper = VisitorClient::connect(&base, "demo", None, None, 0).await.unwrap();
    let first = "Do you ship to Lyon?";
    shopper.send("q0", first).await.unwrap();
    shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Bot))
        .await
        .unwrap();
    let count = 5;
    for n in 1..count {
        shopper.send(&format!("q{n}"), &long(n)).await.unwrap();
        shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    }
    let last = long(count - 1).trim().to_owned();
    with_browser(|client| async move {
        client.set_window_size(1024, 640).await?;
        sign_in(&client, &base, &email, &password).await?;
        // One level-one heading names the page.
        let h1 = client.find_all(Locator::Css("h1")).await?;
        ensure!(h1.len() == 1 && h1[0].text().await? == "Inbox", "the page's h1");
        // The unread count is the shopper's messages, not the bot's answers as well.
        open_tab(&client, "Mine").await?;
        let row = listed_with(&client, &last).await?;
        let badge = row.find(Locator::Css(".badge")).await?.text().await?;
        ensure!(badge == count.to_string(), "unread badge {badge:?}, the shopper wrote {count}");
        assert_accessible(&client, "body", "the inbox").await?;

        row.click().await?;
        opens_at_the_newest_with_the_reply_box_focused(&client, &last).await?;
        shortcuts_are_listed_and_r_focuses_the_reply(&client).await?;
        claims_stop_at_capacity(&client, &base, &email, &password).await?;
        searches_by_the_shoppers_words(&client, &last).await?;
        save_screenshot(&client, "console-desk").await?;
        Ok(())
    })
    .await;
    t.stop().await;
}

/// Opening a conversation shows the newest message, with the reply box focused.
async fn opens_at_the_newest_with_the_reply_box_focused(client: &Client, last: &str) -> Result<()> {
    find(client, &format!("//div[@role='log']//p[normalize-space()='{last}']")).await?;
    find(client, "//div[@role='log']//li[contains(@class,'auto')]").await?;
    let at_bottom = eventually("the history at its newest", || async {
        let state = client
            .execute(
                "const m = document.querySelector('.messages'); \
                 return [m.scrollHeight > m.clientHeight, m.scrollHeight - m.scrollTop - m.clientHeight];",
                vec![],
            )
            .await?;
        let (overflows, gap): (bool, f64) = serde_json::from_value(state)?;
        Ok((gap < 2.0).then_some(overflows))
    })
    .await?;
    ensure!(at_bottom, "the history should overflow, or the scroll test proves nothing");
    ensure!(focused(client).await? == "TEXTAREA Reply", "focus on open: {}", focused(client).await?);
    // At 1024 px the actions keep their words on one line.
    let release =
        find(client, "//div[contains(@class,'actions')]/button[normalize-space()='Release to queue']").await?;
    let (_, _, _, height) = release.rectangle().await?;
    ensure!(height < 40.0, "Release to queue wraps: {height} px");
    // The history itself takes focus, so it scrolls by keyboard.
    let tabindex = find(client, "//div[@role='log']").await?.attr("tabindex").await?;
    ensure!(tabindex.as_deref() == Some("0"), "{tabindex:?}");
    assert_accessible(client, "body", "an open conversation").await?;
    Ok(())
}

/// "?" lists the shortcuts; Escape hides them; "r" goes back to the reply box.
async fn shortcuts_are_listed_and_r_focuses_the_reply(client: &Client) -> Result<()> {
    press(client, "?").await?;
    find(client, "//div[@role='dialog']/h2[normalize-space()='Keyboard shortcuts']").await?;
    assert_accessible(client, "body", "the shortcut sheet").await?;
    client.find(Locator::Css("body")).await?.send_keys(&char::from(Key::Escape).to_string()).await?;
    eventually("the sheet hidden", || async {
        Ok(client.find_all(Locator::Css(".dialog.shortcuts")).await?.is_empty().then_some(()))
    })
    .await?;
    press(client, "r").await?;
    ensure!(focused(client).await? == "TEXTAREA Reply", "r: {}", focused(client).await?);
    Ok(())
}

/// Grace allows herself one chat: the next shopper waits, and Claim is not offered past it.
async fn claims_stop_at_capacity(client: &Client, base: &str, email: &str, password: &str) -> Result<()> {
    let mut grace = AgentClient::login(base, email, password).await?;
    grace.socket.send(&AgentFrame::SetCapacity { capacity: 1 }).await?;
    find(client, "//span[@class='load'][normalize-space()='1 / 1 chats']").await?;
    let mut next = VisitorClient::connect(base, "demo", None, None, 0).await?;
    next.send("n1", "Is the shop open on Sunday?").await?;
    open_tab(client, "Queue").await?;
    listed_with(client, "Is the shop open on Sunday?").await?.click().await?;
    let claim = find(client, "//div[contains(@class,'actions')]/button[normalize-space()='Claim']").await?;
    ensure!(claim.attr("disabled").await?.is_some(), "Claim offered at 1 / 1 chats");
    find(client, "//span[@id='claim-full']").await?;
    // "k" goes up the list, "j" down: with one row, j keeps it open.
    press(client, "j").await?;
    find(client, "//button[contains(@class,'conversation') and contains(@class,'selected')]").await?;
    Ok(())
}

/// Search by the shopper's words: only that conversation is listed.
async fn searches_by_the_shoppers_words(client: &Client, last: &str) -> Result<()> {
    open_tab(client, "Mine").await?;
    press(client, "/").await?;
    ensure!(focused(client).await? == "INPUT Search conversations", "/: {}", focused(client).await?);
    client.find(Locator::Css("input.conversation-search")).await?.send_keys("wedding").await?;
    listed_with(client, last).await?;
    let search = client.find(Locator::Css("input.conversation-search")).await?;
    search.clear().await?;
    search.send_keys("refund").await?;
    find(client, "//p[@class='empty'][normalize-space()='No conversation matches.']").await?;
    Ok(())
}

#[tokio::test]
async fn an_owner_never_locks_themselves_out_and_deactivating_or_a_new_password_is_deliberate() {
    require_built_console();
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent_as("demo", "Olga", "owner").await;
    t.add_agent("demo", "Sam").await;
    let db = t.relay.state().store.clone();
    let store = db.store_by_key("demo").await.unwrap().unwrap();
    let base = t.base.clone();
    with_browser(|client| async move {
        client.set_window_size(1024, 700).await?;
        sign_in(&client, &base, &email, &password).await?;
        // At 1024 px an owner's top bar, with every page, stays one row with nothing cut.
        let bar = client
            .execute(
                "const t = document.querySelector('header.top'), n = t.querySelector('nav'); \
                 return [t.getBoundingClientRect().height, n.scrollWidth - n.clientWidth];",
                vec![],
            )
            .await?;
        let (height, hidden): (f64, f64) = serde_json::from_value(bar)?;
        ensure!(height < 60.0 && hidden <= 0.0, "top bar {height} px high, {hidden} px of pages hidden");
        find(&client, "//nav/button[normalize-space()='Team']").await?.click().await?;
        let own = find(&client, "//tr[td[normalize-space()='Olga']]").await?;
        // Her own row: no role picker, no Deactivate.
        ensure!(own.find_all(Locator::Css("select")).await?.is_empty(), "a role picker on one's own row");
        let buttons = own.find_all(Locator::XPath(".//button[normalize-space()='Deactivate']")).await?;
        ensure!(buttons.is_empty(), "Deactivate on one's own row");
        assert_accessible(&client, "body", "the team page").await?;

        // Sam's: Deactivate asks first; Cancel changes nothing.
        let sam = "//tr[td[normalize-space()='Sam']]";
        find(&client, &format!("{sam}//button[normalize-space()='Deactivate']")).await?.click().await?;
        let question = find(&client, "//div[@role='alertdialog']/p").await?.text().await?;
        ensure!(question.starts_with("Deactivate Sam?"), "{question}");
        find(&client, "//div[@role='alertdialog']/button[normalize-space()='Cancel']").await?.click().await?;
        let active = |db: relay::store::Store| async move {
            let team = db.team(store.id).await.unwrap();
            team.iter().find(|m| m.name == "Sam").map(|m| m.active)
        };
        ensure!(active(db.clone()).await == Some(true), "Cancel deactivated Sam");
        find(&client, &format!("{sam}//button[normalize-space()='Deactivate']")).await?.click().await?;
        find(&client, "//div[@role='alertdialog']/button[normalize-space()='Deactivate']").await?.click().await?;
        find(&client, &format!("{sam}//button[normalize-space()='Activate']")).await?;
        ensure!(active(db.clone()).await == Some(false));

        // A new password goes in a masked field, not a prompt.
        find(&client, &format!("{sam}//button[normalize-space()='Set password']")).await?.click().await?;
        let field = find(&client, "//form[@role='dialog']//input").await?;
        ensure!(field.attr("type").await?.as_deref() == Some("password"), "the password shows in clear");
        assert_accessible(&client, "body", "the password dialog").await?;
        field.send_keys("a brand new secret").await?;
        find(&client, "//form[@role='dialog']//button[normalize-space()='Set password']").await?.click().await?;
        eventually("the dialog gone", || async {
            Ok(client.find_all(Locator::Css("form[role='dialog']")).await?.is_empty().then_some(()))
        })
        .await?;
        Ok(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn settings_show_a_live_widget_preview_hours_by_day_and_a_list_of_time_zones() {
    require_built_console();
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent_as("demo", "Olga", "owner").await;
    let db = t.relay.state().store.clone();
    let store = db.store_by_key("demo").await.unwrap().unwrap();
    let base = t.base.clone();
    with_browser(|client| async move {
        sign_in(&client, &base, &email, &password).await?;
        find(&client, "//nav/button[normalize-space()='Settings']").await?.click().await?;
        // Always open to begin with: no day ticked.
        let day = |name: &str| format!("//div[@role='group'][@aria-label='{name}']");
        find(&client, &format!("{}//span[normalize-space()='Closed']", day("Monday"))).await?;
        for name in ["Monday", "Tuesday"] {
            find(&client, &format!("{}//input[@type='checkbox']", day(name))).await?.click().await?;
            find(&client, &format!("{}//input[@type='time'][@aria-label='Opens on {name}']", day(name))).await?;
        }
        // The time zone field offers the browser's list of zones as the owner types.
        find(&client, "//datalist[@id='time-zones']/option[@value='Europe/Paris']").await?;
        let zone = find(&client, "//label[span[normalize-space()='Time zone']]/input[@list='time-zones']").await?;
        zone.clear().await?;
        zone.send_keys("Europe/Paris").await?;
        // The colour has a code beside the swatch; the preview follows colour, corner and greeting
        // as they are typed, with text that stays readable on the colour.
        let hex = find(&client, "//label[span[normalize-space()='Colour code']]/input").await?;
        hex.clear().await?;
        hex.send_keys("#ffd400").await?;
        find(&client, "//label[span[normalize-space()='Greeting']]/textarea").await?.send_keys("Bonjour !").await?;
        find(&client, "//label[span[normalize-space()='Launcher position']]/select/option[@value='left']")
            .await?
            .click()
            .await?;
        let look = eventually("the preview redrawn", || async {
            let look = client
                .execute(
                    "const h = getComputedStyle(document.querySelector('.pv-head')); \
                     return [h.backgroundColor, h.color, document.querySelector('.pv-bubble').textContent, \
                             document.querySelector('.pv-page').classList.contains('pv-left')];",
                    vec![],
                )
                .await?;
            let look: (String, String, String, bool) = serde_json::from_value(look)?;
            Ok((look.0 == "rgb(255, 212, 0)" && look.3).then_some(look))
        })
        .await?;
        ensure!(look.1 == "rgb(29, 29, 31)", "dark text on yellow: {look:?}");
        ensure!(look.2 == "Bonjour !", "the greeting typed: {look:?}");
        assert_accessible(&client, "body", "the settings page").await?;
        save_screenshot(&client, "console-settings").await?;
        find(&client, "//button[normalize-space()='Save']").await?.click().await?;
        find(&client, "//p[@role='status'][normalize-space()='Saved.']").await?;
        let saved = db.settings(store.id).await?;
        ensure!(saved.hours.as_deref() == Some("mon-tue 09:00-17:00"), "{:?}", saved.hours);
        ensure!(saved.timezone == "Europe/Paris", "{}", saved.timezone);
        ensure!(saved.colour == "#ffd400" && saved.position == "left", "{saved:?}");
        Ok(())
    })
    .await;
    t.stop().await;
}
