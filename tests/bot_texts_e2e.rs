//! The shop's own words in the console, in headless Chromium: an owner (online, so the bot
//! brings them in when a shopper asks for a person) picks the hand-over text,
//! an unknown placeholder is flagged before saving, the preview fills the placeholders in as
//! they type, the saved text is what the next shopper gets, and "Reset to default" brings the
//! default back; the section is axe-core clean.

mod browser;
mod common;

use anyhow::{ensure, Result};
use browser::console::{find, require_built_console, sign_in};
use browser::{assert_accessible, eventually, with_browser};
use common::TestRelay;
use fantoccini::Client;
use parley::VisitorClient;
use protocol::{Role, ServerFrame};

/// What the bot says to a new shopper who asks for a person.
async fn handover(base: &str) -> Result<String> {
    let mut shopper = VisitorClient::connect(base, "demo", None, None, 0).await?;
    shopper.send("q", "Can I talk to a person?").await?;
    let frame = shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Bot))
        .await?;
    let ServerFrame::Message { message } = frame else { unreachable!() };
    Ok(message.text)
}

async fn preview(client: &Client, wanted: &str) -> Result<()> {
    let xpath = format!("//div[@class='text-preview']/p[normalize-space()=\"{wanted}\"]");
    find(client, &xpath).await.map(drop)
}

#[tokio::test]
async fn an_owner_rewrites_the_handover_text_previews_it_and_resets_it() {
    require_built_console();
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent_as("demo", "Ona", "owner").await;
    let base = t.base.clone();
    with_browser(|client| async move {
        sign_in(&client, &base, &email, &password).await?;
        find(&client, "//nav/button[normalize-space()='Settings']").await?.click().await?;
        find(&client, "//h2[normalize-space()=\"The bot's words\"]").await?;
        let which = find(&client, "//label[span[normalize-space()='Text']]/select").await?;
        which.select_by_label("Bringing in a person").await?;
        let editor = find(&client, "//label[span[normalize-space()='Your text']]/textarea").await?;
        eventually("the default in the editor", || async {
            let value = editor.prop("value").await?.unwrap_or_default();
            Ok(value.starts_with("I am bringing in a person").then_some(()))
        })
        .await?;

        editor.clear().await?;
        editor.send_keys("One moment, use {coupon}!").await?;
        let flagged = find(&client, "//form//p[@role='alert']").await?.text().await?;
        ensure!(flagged.contains("{coupon}"), "the form said {flagged:?}");
        let save = find(&client, "//button[normalize-space()='Save text']").await?;
        ensure!(save.attr("disabled").await?.is_some(), "an unknown placeholder cannot be saved");

        editor.clear().await?;
        editor.send_keys("{store_name} is bringing in a person, {shopper_name}.").await?;
        preview(&client, "Maison Demo is bringing in a person, Ana.").await?;
        assert_accessible(&client, "section.bot-texts", "the bot's words").await?;
        save.click().await?;
        find(&client, "//form//p[@role='status'][normalize-space()='Saved.']").await?;
        find(&client, "//option[normalize-space()='Bringing in a person (edited)']").await?;
        let said = handover(&base).await?;
        ensure!(said == "Maison Demo is bringing in a person.", "the bot said {said:?}");

        find(&client, "//button[normalize-space()='Reset to default']").await?.click().await?;
        find(&client, "//form//p[@role='status'][normalize-space()='Back to the default.']").await?;
        let said = handover(&base).await?;
        ensure!(said.starts_with("I am bringing in a person"), "the bot said {said:?}");
        Ok(())
    })
    .await;
}
