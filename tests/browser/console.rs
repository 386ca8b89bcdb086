//! The agents' console as an agent drives it: signing in, tabs, rows, the reply box.

use anyhow::Result;
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

use super::eventually;

/// Fails loudly when the console was not built.
pub fn require_built_console() {
    let index = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/web/console/index.html");
    assert!(index.exists(), "the console is not built: run `cargo xtask test` (or `cargo xtask build`) first");
}

/// An element found by XPath, once it exists.
pub async fn find(client: &Client, xpath: &str) -> Result<Element> {
    eventually(xpath, || async { Ok(client.find(Locator::XPath(xpath)).await.ok()) }).await
}

/// The input labelled `label` (the label's text is its accessible name).
pub fn labelled_input(label: &str) -> String {
    format!("//label[span[normalize-space()='{label}']]/input")
}

/// Signs in through the form and waits for the inbox, its socket signed in (the agent is
/// online: a shopper who writes now is routed to them).
pub async fn sign_in(client: &Client, base: &str, email: &str, password: &str) -> Result<()> {
    client.goto(&format!("{base}/console/")).await?;
    find(client, &labelled_input("Email")).await?.send_keys(email).await?;
    find(client, &labelled_input("Password")).await?.send_keys(password).await?;
    find(client, "//button[normalize-space()='Sign in']").await?.click().await?;
    inbox_ready(client).await
}

/// Waits for the inbox with its socket signed in: the workspace is no longer busy.
pub async fn inbox_ready(client: &Client) -> Result<()> {
    find(client, "//div[contains(@class,'workspace')][not(@aria-busy)]//div[@role='tablist']").await?;
    Ok(())
}

/// Opens the tab whose label starts with `name` ("Mine", possibly followed by its count).
pub async fn open_tab(client: &Client, name: &str) -> Result<()> {
    find(client, &format!("//button[@role='tab'][starts-with(normalize-space(), '{name}')]")).await?.click().await?;
    Ok(())
}

/// The conversation in the list whose latest message is `text`.
pub async fn listed_with(client: &Client, text: &str) -> Result<Element> {
    find(
        client,
        &format!("//button[contains(@class,'conversation')][.//span[@class='preview'][normalize-space()='{text}']]"),
    )
    .await
}

/// The "Reply" textbox of the open conversation.
pub async fn reply_box(client: &Client) -> Result<Element> {
    find(client, "//textarea[@aria-label='Reply']").await
}
