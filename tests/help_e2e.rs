//! The widget's help in headless Chromium: the store's greeting, inline FAQ search that opens an
//! article and leads back to the chat, suggestions while writing, and, with nobody online, the
//! bot answering a known question (with "Did this answer your question?") and bringing in the
//! leave-a-message offer for an unknown one; with the FAQ model, search by meaning and the
//! articles a question is between offered as buttons.

mod browser;
mod common;

use anyhow::{ensure, Result};
use browser::{
    assert_accessible, chat_on_demo, click_in_widget, eventually, in_widget, open_chat, require_built_widget,
    widget_js, with_browser,
};
use common::TestRelay;
use fantoccini::key::Key;
use fantoccini::Client;

/// The texts of the bot's messages shown, in order.
async fn bot_messages(client: &Client) -> Result<Vec<String>> {
    let value = widget_js(
        client,
        "return [...root.querySelectorAll('.pl-message.automatic')].map(m => \
           m.querySelector('.pl-author').textContent + ': ' + m.querySelector('.pl-bubble').textContent);",
    )
    .await?;
    Ok(serde_json::from_value(value)?)
}

/// The question of the first help search result, once there is one.
async fn first_result(client: &Client) -> Result<String> {
    eventually("search results", || async {
        let v =
            widget_js(client, "const r = root.querySelector('.pl-result-q'); return r ? r.textContent : null;").await?;
        Ok(v.as_str().map(str::to_owned))
    })
    .await
}

#[tokio::test]
async fn a_shopper_searches_the_help_opens_an_article_and_goes_on_to_chat() {
    require_built_widget();
    let t = TestRelay::start().await;
    let greeting = "Bonjour! Search our help above, or ask us here.";
    t.relay.state().store.set_greeting("demo", Some(greeting)).await.unwrap();
    let base = t.base.clone();
    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        open_chat(&client).await?;
        // The store's greeting comes from its bot.
        let greeted = eventually("the store's greeting", || async {
            let shown = bot_messages(&client).await?;
            Ok(shown.first().cloned())
        })
        .await?;
        ensure!(greeted == format!("Bot: {greeting}"), "{greeted}");
        let search = in_widget(&client, "input[type='search'][aria-label='Search help']").await?;
        search.send_keys("how do I send something back").await?;
        let first = first_result(&client).await?;
        ensure!(first == "How do returns work?", "first result: {first}");
        click_in_widget(&client, ".pl-result").await?;
        let answer = eventually("the article", || async {
            let v =
                widget_js(&client, "const a = root.querySelector('.pl-article p'); return a ? a.textContent : null;")
                    .await?;
            Ok(v.as_str().map(str::to_owned))
        })
        .await?;
        ensure!(answer.contains("within 30 days"), "article: {answer}");
        let hidden = widget_js(&client, "return root.querySelector('.pl-chat').hidden;").await?;
        ensure!(hidden == true, "the article takes the conversation's place");

        click_in_widget(&client, ".pl-article .pl-send").await?;
        eventually("the composer, focused", || async {
            let v = widget_js(&client, "return root.activeElement && root.activeElement.getAttribute('aria-label');")
                .await?;
            Ok((v == "Message").then_some(()))
        })
        .await?;
        let back = widget_js(
            &client,
            "return [root.querySelector('.pl-chat').hidden, root.querySelector('input[type=search]').value];",
        )
        .await?;
        ensure!(back == serde_json::json!([false, ""]), "back to the chat: {back}");

        // Writing a question suggests articles above the composer.
        let message = in_widget(&client, "textarea[aria-label='Message']").await?;
        message.send_keys("What size should I order?").await?;
        let chip = eventually("a suggestion", || async {
            let v = widget_js(
                &client,
                "const c = root.querySelector('.pl-suggest .pl-chip'); return c ? c.textContent : null;",
            )
            .await?;
            Ok(v.as_str().map(str::to_owned))
        })
        .await?;
        ensure!(chip == "What size should I take?", "suggested: {chip}");
        Ok(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn with_nobody_online_the_bot_answers_a_known_question_and_offers_to_take_a_message_otherwise() {
    require_built_widget();
    let t = TestRelay::start().await;
    let base = t.base.clone();
    with_browser(|client| async move {
        let message = chat_on_demo(&client, &base).await?;
        message.send_keys(&format!("How long does delivery take?{}", char::from(Key::Enter))).await?;
        let answered = eventually("the bot's answer", || async {
            let shown = bot_messages(&client).await?;
            Ok(shown.first().cloned())
        })
        .await?;
        ensure!(answered.starts_with("Bot: Orders placed before 2 pm"), "{answered}");
        let asks = widget_js(
            &client,
            "const f = root.querySelector('.pl-feedback'); return f && f.getAttribute('aria-label');",
        )
        .await?;
        ensure!(asks == "Did this answer your question?", "feedback question: {asks}");

        message.send_keys(&format!("Do you sell gift cards?{}", char::from(Key::Enter))).await?;
        let escalated = eventually("the bot's offer", || async {
            let shown = bot_messages(&client).await?;
            Ok((shown.len() >= 2).then(|| shown[1].clone()))
        })
        .await?;
        ensure!(
            escalated.contains("Nobody from our team is available") && escalated.contains("email address"),
            "{escalated}"
        );
        let without_feedback = widget_js(&client, "return root.querySelectorAll('.pl-feedback').length;").await?;
        ensure!(without_feedback == 1, "only the FAQ answer asks for feedback");
        Ok(())
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn with_the_model_the_widget_ranks_by_meaning_and_offers_the_articles_a_question_is_between() {
    require_built_widget();
    let model = std::env::var_os("PARLEY_FAQ_MODEL")
        .expect("PARLEY_FAQ_MODEL names the FAQ model (cargo xtask test fetches it)");
    let t = TestRelay::start_with(|config| config.faq_model = Some(model.into())).await;
    let base = t.base.clone();
    with_browser(|client| async move {
        client.goto(&format!("{base}/demo/")).await?;
        open_chat(&client).await?;
        // "How many days does shipping take" shares no word with the right article's question.
        let search = in_widget(&client, "input[type='search'][aria-label='Search help']").await?;
        search.send_keys("物流要几天 ").await?;
        let first = first_result(&client).await?;
        ensure!(first == "多久能到货？", "first result: {first}");
        search.clear().await?;
        let message = in_widget(&client, "textarea[aria-label='Message']").await?;
        message.send_keys(&format!("Can I still return it if it does not fit?{}", char::from(Key::Enter))).await?;
        let offered = eventually("the articles offered", || async {
            let v = widget_js(
                &client,
                "const g = root.querySelector('.pl-choices'); \
                 return g && [...g.querySelectorAll('button')].map(b => b.textContent);",
            )
            .await?;
            Ok(serde_json::from_value::<Option<Vec<String>>>(v)?)
        })
        .await?;
        ensure!(offered.iter().any(|q| q == "How do returns work?"), "offered: {offered:?}");
        let label = widget_js(&client, "return root.querySelector('.pl-choices').getAttribute('aria-label');").await?;
        ensure!(label == "Articles to choose from", "{label}");
        assert_accessible(&client, "#parley-chat", "the articles offered").await?;
        widget_js(
            &client,
            "[...root.querySelectorAll('.pl-choices button')].find(b => b.textContent === 'How do returns work?').click(); return null;",
        )
        .await?;
        let answer = eventually("the bot's answer", || async {
            let shown = bot_messages(&client).await?;
            Ok(shown.iter().find(|m| m.starts_with("Bot: You can return unworn items")).cloned())
        })
        .await?;
        ensure!(answer.contains("From our help: How do returns work?"), "{answer}");
        let still_offered = widget_js(&client, "return root.querySelectorAll('.pl-choices').length;").await?;
        ensure!(still_offered == 0, "the offer closes once the shopper chose");
        Ok(())
    })
    .await;
    t.stop().await;
}
