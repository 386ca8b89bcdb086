//! Bot rules in the console, in headless Chromium: an admin adds two rules, moves the second
//! above the first, tests a message against them, edits one, and a shopper gets the edited
//! reply; the page is axe-core clean.

mod browser;
mod common;

use anyhow::{ensure, Result};
use browser::console::{find, labelled_input, require_built_console, sign_in};
use browser::{assert_accessible, eventually, with_browser};
use common::TestRelay;
use fantoccini::{Client, Locator};
use parley::VisitorClient;
use protocol::{Role, ServerFrame};

async fn add_rule(client: &Client, kind: &str, pattern: &str, reply: &str) -> Result<()> {
    let select = find(client, "//label[span[normalize-space()='Match']]/select").await?;
    select.select_by_label(kind).await?;
    find(client, &labelled_input("Words to look for")).await?.send_keys(pattern).await?;
    find(client, "//label[span[normalize-space()=\"Bot's reply\"]]/textarea").await?.send_keys(reply).await?;
    find(client, "//form//button[normalize-space()='Add rule']").await?.click().await?;
    Ok(())
}

/// The patterns as listed, top first, once there are `count`.
async fn listed(client: &Client, count: usize) -> Result<Vec<String>> {
    eventually(&format!("{count} rules listed"), || async {
        let mut patterns = Vec::new();
        for item in client.find_all(Locator::Css("ol.rule-list > li > strong")).await? {
            patterns.push(item.text().await?);
        }
        Ok((patterns.len() == count).then_some(patterns))
    })
    .await
}

#[tokio::test]
async fn an_admin_manages_the_bots_rules_and_a_shopper_gets_the_edited_reply() {
    require_built_console();
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent_as("demo", "Ada", "admin").await;
    let base = t.base.clone();
    with_browser(|client| async move {
        sign_in(&client, &base, &email, &password).await?;
        find(&client, "//nav/button[normalize-space()='Bot']").await?.click().await?;
        find(&client, "//h1[normalize-space()='Bot rules']").await?;
        add_rule(&client, "Message contains", "gift card", "Gift cards come in 25 and 50 EUR.").await?;
        ensure!(listed(&client, 1).await? == ["gift card"]);
        add_rule(&client, "Words like (one typo allowed)", "card", "We take <b>every</b> card.").await?;
        ensure!(listed(&client, 2).await? == ["gift card", "card"], "a new rule goes last");
        find(&client, "//button[@aria-label='Move “card” up']").await?.click().await?;
        eventually("the new order", || async {
            Ok((listed(&client, 2).await? == ["card", "gift card"]).then_some(()))
        })
        .await?;

        find(&client, &labelled_input("Message to test")).await?.send_keys("Do you sell a gift card?").await?;
        find(&client, "//button[normalize-space()='Test']").await?.click().await?;
        let verdict =
            find(&client, "//p[contains(@class,'rule-verdict')][normalize-space()!='']").await?.text().await?;
        ensure!(verdict == "“card” answers: We take <b>every</b> card.", "the test said {verdict:?}");
        assert_accessible(&client, "main", "the bot rules page").await?;

        // Edit the top rule; the next shopper gets its new reply, as text.
        find(&client, "(//ol[@class='rule-list']/li)[1]//button[normalize-space()='Edit']").await?.click().await?;
        let reply = find(&client, "//label[span[normalize-space()=\"Bot's reply\"]]/textarea").await?;
        eventually("the form filled", || async {
            Ok((reply.prop("value").await?.as_deref() != Some("")).then_some(()))
        })
        .await?;
        reply.clear().await?;
        reply.send_keys("Visa and Mastercard.").await?;
        find(&client, "//form//button[normalize-space()='Save']").await?.click().await?;
        find(&client, "//p[@class='rule-reply'][normalize-space()='Visa and Mastercard.']").await?;
        let mut shopper = VisitorClient::connect(&base, "demo", None, None, 0).await?;
        shopper.send("q", "Which card do you take?").await?;
        let frame = shopper
            .socket
            .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Bot))
            .await?;
        let ServerFrame::Message { message } = frame else { unreachable!() };
        ensure!(message.text.starts_with("Visa and Mastercard."), "the bot said {:?}", message.text);
        Ok(())
    })
    .await;
}
