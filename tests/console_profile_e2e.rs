//! The customer beside the chat in the console: who a verified `identify` says the shopper is,
//! with a "Verified" mark, and the attributes the shop set, all shown as text whatever they
//! contain.

mod browser;
mod common;

use anyhow::{ensure, Result};
use browser::console::{find, listed_with, open_tab, require_built_console, sign_in};
use browser::{eventually, with_browser};
use common::TestRelay;
use parley::VisitorClient;
use protocol::{Identity, ServerFrame, VisitorFrame};

const NAME: &str = "<img src=x onerror=window.pwned=1>Mia";
const PLAN: &str = "<script>window.pwned=2</script>gold";

async fn identified_shopper(t: &TestRelay) -> Result<VisitorClient> {
    let secret = t.relay.state().store.identity_secret("demo", false).await?;
    let identity = Identity {
        id: "cust_42".into(),
        email: Some("mia@example.com".into()),
        name: Some(NAME.into()),
        signature: Some(relay::auth::identity_signature(&secret, "cust_42")),
    };
    let mut shopper = VisitorClient::connect_as(&t.base, "demo", None, None, 0, Some(identity)).await?;
    ensure!(shopper.welcome.customer_id.as_deref() == Some("cust_42"), "the identity was not verified");
    let attributes = [("plan".to_string(), PLAN.to_string())].into_iter().collect();
    shopper.socket.send(&VisitorFrame::Attributes { attributes }).await?;
    shopper.send("q1", "Where is my order?").await?;
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await?;
    Ok(shopper)
}

/// Signs in as the agent, has the identified shopper write, and opens their conversation.
async fn open_shoppers_conversation(
    client: &fantoccini::Client,
    t: &TestRelay,
    base: &str,
    email: &str,
    password: &str,
) -> Result<VisitorClient> {
    sign_in(client, base, email, password).await?;
    let shopper = identified_shopper(t).await?;
    open_tab(client, "Mine").await?;
    listed_with(client, "Where is my order?").await?.click().await?;
    Ok(shopper)
}

#[tokio::test]
async fn the_console_shows_the_verified_customer_and_their_attributes_as_text() {
    require_built_console();
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Grace").await;
    let base = t.base.clone();
    with_browser(|client| async move {
        let _shopper = open_shoppers_conversation(&client, &t, &base, &email, &password).await?;
        let card = "//aside//section[@class='customer']";
        let name = find(&client, &format!("{card}//strong")).await?.text().await?;
        ensure!(name == NAME, "the name shows as {name:?}");
        find(&client, &format!("{card}//span[contains(@class,'verified')][normalize-space()='Verified']")).await?;
        find(&client, &format!("{card}//p[normalize-space()='mia@example.com']")).await?;
        find(&client, "//aside//dl[@class='attributes']/dt[normalize-space()='plan']").await?;
        let plan = find(&client, "//aside//dl[@class='attributes']/dd").await?.text().await?;
        ensure!(plan == PLAN, "the attribute shows as {plan:?}");
        let markup = client
            .execute(
                "return [window.pwned || null, document.querySelectorAll('aside img, aside script').length];",
                vec![],
            )
            .await?;
        ensure!(markup == serde_json::json!([null, 0]), "shop-given text became markup: {markup}");

        // Tags: added with autocomplete from the store's tags, used to filter the inbox, removed.
        find(&client, "//aside//input[@aria-label='New tag']").await?.send_keys("VIP").await?;
        find(&client, "//aside//button[normalize-space()='Add tag']").await?.click().await?;
        find(&client, "//aside//ul[@class='tags']/li[contains(normalize-space(), 'VIP')]").await?;
        find(&client, "//aside//datalist/option[@value='VIP']").await?;
        let filter = find(&client, "//select[@aria-label='Filter by tag']").await?;
        filter.click().await?;
        find(&client, "//select[@aria-label='Filter by tag']/option[@value='VIP']").await?;
        filter.select_by_value("VIP").await?;
        listed_with(&client, "Where is my order?").await?;
        find(&client, "//aside//button[@aria-label='Remove tag VIP']").await?.click().await?;
        eventually("the tag removed", || async {
            let left = client.execute("return document.querySelectorAll('aside ul.tags li').length;", vec![]).await?;
            Ok((left == serde_json::json!(0)).then_some(()))
        })
        .await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_console_lists_the_customers_orders_as_text_and_inserts_a_status_line() {
    require_built_console();
    let t = TestRelay::start().await;
    let _source = common::order_source::hostile_source_for_demo(&t, false).await;
    let (email, password) = t.add_agent("demo", "Grace").await;
    let base = t.base.clone();
    with_browser(|client| async move {
        let _shopper = open_shoppers_conversation(&client, &t, &base, &email, &password).await?;
        let panel = "//aside//section[@class='orders']";
        let item = find(&client, &format!("{panel}//ul[@class='items']/li")).await?.text().await?;
        ensure!(item == "1 × <img src=x onerror=window.pwned=3>Shirt", "the item shows as {item:?}");
        // The javascript: tracking link is not a link; the http(s) order page is, safely.
        let links = client
            .execute(
                "return [...document.querySelectorAll('aside section.orders a')].map(a => [a.getAttribute('href'), a.rel]);",
                vec![],
            )
            .await?;
        ensure!(
            links == serde_json::json!([["https://shop.example.com/orders/X-100", "noopener noreferrer"]]),
            "links: {links}"
        );
        find(&client, &format!("{panel}//button[normalize-space()='Insert status in reply']")).await?.click().await?;
        let reply = find(&client, "//textarea[@aria-label='Reply']").await?;
        let value = reply.prop("value").await?.unwrap_or_default();
        ensure!(value.starts_with("Order #X-100 (2026-11-30): shipped, <b>DHL</b> tracking number T123"), "{value:?}");
        let markup = client
            .execute("return [window.pwned || null, document.querySelectorAll('aside img, aside b').length];", vec![])
            .await?;
        ensure!(markup == serde_json::json!([null, 0]), "shop-given text became markup: {markup}");
        Ok(())
    })
    .await;
}
