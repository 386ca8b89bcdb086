//! The widget's header tells the truth: away with the time the team is back (in the shopper's
//! time), then, with someone there, the store's real reply time and the "very responsive"
//! badge, from the figures the relay computed.

mod browser;
mod common;

use anyhow::{ensure, Result};
use browser::{click_in_widget, eventually, in_widget, open_chat, require_built_widget, with_browser};
use common::TestRelay;
use fantoccini::Client;
use parley::AgentClient;
use protocol::Role;
use relay::store::PastConversation;

/// The header's subtitle once the settings have arrived.
async fn subtitle(client: &Client, wanted: &str) -> Result<String> {
    let line = in_widget(client, ".pl-subtitle").await?;
    eventually(&format!("a subtitle with {wanted:?}"), || async {
        let text = line.text().await?;
        Ok(text.contains(wanted).then_some(text))
    })
    .await
}

/// Twenty conversations of the last days, each answered by a person within 30 seconds.
async fn quick_answers(t: &TestRelay) {
    let store = t.relay.state().store.clone();
    let demo = store.store_by_key("demo").await.unwrap().unwrap();
    let now = relay::store::now_millis();
    let past = (0..20)
        .map(|n| {
            let asked = now - 2 * 86_400_000 + n * 600_000;
            PastConversation {
                visitor_id: format!("earlier-{n}"),
                created_at: asked,
                messages: vec![
                    (Role::Visitor, format!("earlier-{n}"), "Is this in stock?".into(), asked),
                    (Role::Agent, "1".into(), "Yes.".into(), asked + 30_000),
                ],
                closed: Some((asked + 600_000, true)),
                ..Default::default()
            }
        })
        .collect();
    store.import_past(demo.id, past).await.unwrap();
}

#[tokio::test]
async fn the_header_goes_from_away_with_a_time_to_the_stores_real_reply_time() {
    require_built_widget();
    let t = TestRelay::start().await;
    quick_answers(&t).await;
    // Open on one day only, two days from now: the team is away and back then.
    let day =
        jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::UTC).checked_add(jiff::Span::new().days(2)).unwrap();
    let name = format!("{:?}", day.weekday()).to_lowercase()[..3].to_owned();
    let state = t.relay.state().clone();
    state.store.set_hours("demo", Some(&format!("{name} 09:00-17:00")), "UTC").await.unwrap();
    let (email, password) = t.add_agent("demo", "Grace").await;
    let base = t.base.clone();
    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        open_chat(&client).await?;
        let away = subtitle(&client, "We're away · back at").await?;
        ensure!(away.contains("(your time)") && !away.contains("Typically"), "{away}");

        // Open every day, and Grace is there: the figure, and the badge.
        state.store.set_hours("demo", None, "UTC").await?;
        let _grace = AgentClient::login(&base, &email, &password).await?;
        click_in_widget(&client, "button.pl-launch").await?;
        open_chat(&client).await?;
        let figure = subtitle(&client, "Typically replies in under a minute").await?;
        ensure!(figure.contains("Very responsive"), "{figure}");
        Ok(())
    })
    .await;
    t.stop().await;
}
