//! Webhooks in the console, in headless Chromium: an owner adds an endpoint on the Install
//! page, sees its signing secret, a message reaches the endpoint, the page shows the answer and
//! the delivery log, and pausing the endpoint stops the next event; axe-core clean.

mod browser;
mod common;

use anyhow::{ensure, Result};
use browser::console::{find, labelled_input, require_built_console, sign_in};
use browser::{assert_accessible, eventually, with_browser};
use common::webhook_receiver::Receiver;
use common::TestRelay;
use fantoccini::{Client, Locator};
use parley::VisitorClient;

/// Opens the Install page afresh, so that it reloads the endpoints and their status.
async fn open_install(client: &Client) -> Result<()> {
    find(client, "//nav/button[normalize-space()='Inbox']").await?.click().await?;
    find(client, "//nav/button[normalize-space()='Install']").await?.click().await?;
    find(client, "//h2[normalize-space()='Webhooks']").await?;
    Ok(())
}

/// The endpoint's status line, once it reads `wanted`.
async fn status_reads(client: &Client, wanted: &str) -> Result<()> {
    eventually(&format!("the status {wanted:?}"), || async {
        open_install(client).await?;
        let shown =
            find(client, "//li[@class='webhook']//div[contains(@class,'webhook-status')]").await?.text().await?;
        Ok((shown == wanted).then_some(()))
    })
    .await
}

#[tokio::test]
async fn an_owner_adds_a_webhook_sees_its_deliveries_and_pauses_it() {
    require_built_console();
    let t = TestRelay::start_with(|c| c.sweep_deadlines = false).await;
    let state = t.relay.state();
    state.store.set_webhooks_allow_private("demo", true).await.unwrap();
    let (email, password) = t.add_agent_as("demo", "Olga", "owner").await;
    let mut endpoint = Receiver::start(vec![]).await;
    let url = endpoint.url();
    let base = t.base.clone();
    let hooks = state.webhooks.clone();
    let sweep = || {
        let hooks = hooks.clone();
        async move {
            hooks.dispatch().await.unwrap();
            hooks.deliver(relay::store::now_millis()).await.unwrap()
        }
    };
    with_browser(|client| async move {
        sign_in(&client, &base, &email, &password).await?;
        open_install(&client).await?;
        find(&client, &labelled_input("Endpoint URL")).await?.send_keys(&url).await?;
        find(&client, "//form[contains(@class,'webhook-form')]//button[@type='submit']").await?.click().await?;
        let listed = find(&client, "//li[@class='webhook']//strong[@class='webhook-url']").await?.text().await?;
        ensure!(listed == url, "listed {listed:?}, added {url:?}");
        status_reads(&client, "No delivery yet").await?;
        find(&client, "//li[@class='webhook']//button[normalize-space()='Signing secret']").await?.click().await?;
        let secret = find(&client, "//code[@class='webhook-secret']").await?.text().await?;
        ensure!(secret.len() >= 32, "a short secret: {secret:?}");
        assert_accessible(&client, "main", "the install page with a webhook").await?;

        // A shopper writes: the endpoint hears of it and the page says so.
        let mut shopper = VisitorClient::connect(&base, "demo", None, None, 0).await?;
        shopper.send("a", "Is the linen shirt in stock?").await?;
        shopper.socket.wait_for(|f| matches!(f, protocol::ServerFrame::Accepted { .. })).await?;
        ensure!(sweep().await >= 1, "nothing delivered");
        let hit = endpoint.next().await;
        ensure!(hit.json()["type"] == "message.created", "{}", hit.body);
        status_reads(&client, "Last delivery answered 200").await?;
        find(&client, "//li[@class='webhook']//button[normalize-space()='Recent deliveries']").await?.click().await?;
        let row = find(&client, "//table[@class='webhook-log']/tbody/tr").await?.text().await?;
        ensure!(row.contains("message.created") && row.contains("delivered"), "the log reads {row:?}");

        // Paused: the next message is not sent.
        find(&client, "//li[@class='webhook']//button[normalize-space()='Pause']").await?.click().await?;
        find(&client, "//li[@class='webhook']//button[normalize-space()='Resume']").await?;
        status_reads(&client, "Paused: no events are sent").await?;
        shopper.send("b", "Hello?").await?;
        shopper
            .socket
            .wait_for(|f| matches!(f, protocol::ServerFrame::Accepted { client_id, .. } if client_id == "b"))
            .await?;
        ensure!(sweep().await == 0, "a paused endpoint was called");
        ensure!(endpoint.drain().is_empty(), "a paused endpoint was called");
        let left = client.find_all(Locator::Css("li.webhook")).await?.len();
        ensure!(left == 1, "{left} endpoints listed");
        Ok(())
    })
    .await;
}
