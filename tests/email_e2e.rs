//! Email in a real browser: a shopper leaves an address in the widget and goes; the agent's
//! reply reaches a real SMTP server; the email's link brings the shopper back to the page
//! they were on with the conversation open, and they answer in it; then they have the
//! transcript sent from the widget.

mod browser;
mod common;

use std::time::Duration;

use anyhow::{ensure, Result};
use browser::{click_in_widget, eventually, in_widget, open_chat, require_built_widget, widget_js, with_browser};
use common::smtp::Mailbox;
use common::TestRelay;
use fantoccini::key::Key;
use fantoccini::Client;
use parley::AgentClient;
use protocol::{Role, ServerFrame};

async fn say(client: &Client, text: &str) -> Result<()> {
    let composer = in_widget(client, "textarea[aria-label='Message']").await?;
    composer.send_keys(&format!("{text}{}", char::from(Key::Enter))).await?;
    Ok(())
}

async fn shows(client: &Client, text: &str) -> Result<()> {
    eventually(&format!("the message {text:?}"), || async {
        let shown = widget_js(
            client,
            "return [...root.querySelectorAll('.pl-message .pl-bubble')].map(b => b.textContent).join('\\n');",
        )
        .await?;
        Ok(shown.as_str().is_some_and(|s| s.contains(text)).then_some(()))
    })
    .await
}

#[tokio::test]
async fn the_email_link_brings_a_shopper_back_to_the_conversation_and_the_widget_sends_the_transcript() {
    require_built_widget();
    let mut mailbox = Mailbox::start();
    let smtp = mailbox.url();
    let t = TestRelay::start_with(move |c| {
        c.sweep_deadlines = false;
        c.smtp_url = Some(smtp);
    })
    .await;
    let (login, password) = t.add_agent("demo", "Oli").await;
    let base = t.base.clone();
    let mail = t.relay.state().mail.clone();
    let hub = t.relay.state().hub.clone();

    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        open_chat(&client).await?;
        say(&client, "Do you ship to Spain?").await?;
        shows(&client, "Leave your email address").await?;
        say(&client, "ana@example.com").await?;
        shows(&client, "We will reply to ana@example.com").await?;
        // The shopper goes elsewhere. The browser may keep the page in its back/forward cache;
        // the widget closes its socket on `pagehide` all the same, so the relay sees them gone.
        client.goto("about:blank").await?;

        let mut agent = AgentClient::login(&base, &login, &password).await?;
        let conversation_id = agent.conversations[0].id;
        agent.send(conversation_id, "r1", "Yes, we ship to Spain in 3 days.").await?;
        let later = relay::store::now_millis() + 6 * 60_000;
        let queued = eventually("the reply to be gathered", || async {
            Ok(Some(mail.gather_replies(later).await?).filter(|n| *n > 0))
        })
        .await?;
        ensure!(queued == 1 && mail.deliver(later).await? == 1, "one email delivered");
        // Back on the shop's page (from the cache or afresh), the widget connects again.
        let visitor_id = agent.conversations[0].visitor_id.clone();
        client.back().await?;
        eventually("the shopper to be back", || async { Ok(hub.visitor_connected(&visitor_id).then_some(())) }).await?;
        let text = mailbox.wait_for(1).await[0].part("text/plain");
        let start = text.find(&format!("{base}/e/r/")).expect("a reopen link");
        let link: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();

        // The link opens the page the shopper was on, the chat open on their conversation; the
        // token leaves the address bar.
        client.goto(&link).await?;
        shows(&client, "Yes, we ship to Spain in 3 days.").await?;
        let url = client.current_url().await?;
        ensure!(url.as_str() == format!("{base}/demo/"), "landed on {url}");
        say(&client, "Great, thanks!").await?;
        let answered = agent
            .socket
            .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.text == "Great, thanks!"))
            .await?;
        let ServerFrame::Message { message } = answered else { unreachable!() };
        ensure!(message.conversation_id == conversation_id && message.author.role == Role::Visitor);

        // "Email me this conversation".
        click_in_widget(&client, "button.pl-transcript-open").await?;
        let address = in_widget(&client, "input[aria-label='Your email address']").await?;
        address.send_keys(&format!("ana@example.com{}", char::from(Key::Enter))).await?;
        let status = in_widget(&client, ".pl-transcript-answer").await?;
        eventually("the transcript to be queued", || async {
            Ok(status.text().await?.contains("On its way to ana@example.com.").then_some(()))
        })
        .await?;
        ensure!(mail.deliver(relay::store::now_millis() + 1).await? == 1, "the transcript delivered");
        let transcript =
            tokio::time::timeout(Duration::from_secs(30), mailbox.wait_for(2)).await?[1].part("text/plain");
        ensure!(transcript.contains("Do you ship to Spain?") && transcript.contains("Great, thanks!"), "{transcript}");
        Ok(())
    })
    .await;
    t.stop().await;
}
