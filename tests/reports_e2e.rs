//! The console's Reports page: an owner sees the week's figures, the chart and the busiest
//! hours, and turns an unanswered question into a help article.

mod browser;
mod common;

use anyhow::ensure;
use browser::console::{find, require_built_console, sign_in};
use browser::{assert_accessible, eventually, with_browser};
use common::TestRelay;
use protocol::Role;
use relay::store::PastConversation;

/// Three chats of yesterday, two answered within 20 s, one never.
async fn yesterday(t: &TestRelay) {
    let store = t.relay.state().store.clone();
    let demo = store.store_by_key("demo").await.unwrap().unwrap();
    let asked = relay::store::now_millis() - 86_400_000;
    let past = (0..3)
        .map(|n| {
            let at = asked + n * 60_000;
            let mut messages = vec![(Role::Visitor, format!("y{n}"), "Hello?".to_owned(), at)];
            if n < 2 {
                messages.push((Role::Agent, "1".to_owned(), "Hi!".to_owned(), at + 20_000));
            }
            PastConversation { visitor_id: format!("y{n}"), created_at: at, messages, ..Default::default() }
        })
        .collect();
    store.import_past(demo.id, past).await.unwrap();
    store.record_unanswered(demo.id, "do you ship to iceland", "someone").await.unwrap();
}

#[tokio::test]
async fn an_owner_reads_the_week_and_answers_an_unanswered_question() {
    require_built_console();
    let t = TestRelay::start().await;
    yesterday(&t).await;
    let (email, password) = t.add_agent_as("demo", "Ola", "owner").await;
    let state = t.relay.state().clone();
    let base = t.base.clone();
    with_browser(|client| async move {
        sign_in(&client, &base, &email, &password).await?;
        find(&client, "//nav/button[normalize-space()='Reports']").await?.click().await?;
        let started = find(&client, "//dl[@class='figures']/div[dt[normalize-space()='Conversations started']]/dd").await?;
        let shown = eventually("the week's conversations", || async {
            let text = started.text().await?;
            Ok((!text.is_empty()).then_some(text))
        })
        .await?;
        ensure!(shown == "3 (3 by shoppers, 0 by the team)", "{shown}");
        let response = find(&client, "//dl[@class='figures']/div[dt[normalize-space()='Response rate']]/dd").await?;
        ensure!(response.text().await? == "67 %", "{}", response.text().await?);
        find(&client, "//*[local-name()='svg'][@role='img'][contains(@aria-label,'Conversations started per day')]").await?;
        let busiest = client.execute("return [...document.querySelectorAll('table.heat td')].reduce((a, td) => a + Number(td.textContent), 0);", vec![]).await?;
        ensure!(busiest == 3, "the heat map counts every conversation: {busiest}");
        find(&client, "//a[@download][contains(@href,'/reports/daily.csv?period=7d')]").await?;
        assert_accessible(&client, "body", "the reports page").await?;

        find(&client, "//ul[@class='unanswered']//button[normalize-space()='Create an article']").await?.click().await?;
        let answer = find(&client, "//form[@class='new-article']//textarea").await?;
        answer.send_keys("Yes, in 5 to 8 days.").await?;
        find(&client, "//form[@class='new-article']//button[normalize-space()='Save article']").await?.click().await?;
        find(&client, "//ul[@class='unanswered']//span[@role='status'][normalize-space()='Article created.']").await?;
        let demo = state.store.store_by_key("demo").await?.expect("the demo store");
        let articles = state.store.articles(demo.id).await?;
        ensure!(articles.iter().any(|a| a.question == "do you ship to iceland" && a.answer == "Yes, in 5 to 8 days."));
        Ok(())
    })
    .await;
    t.stop().await;
}
