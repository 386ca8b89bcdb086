//! FAQ answers that understand paraphrases: the relay ranking the demo FAQ with the embedding
//! model (`PARLEY_FAQ_MODEL`; `cargo xtask test` fetches it), against the development set, in
//! the bot, across languages, and what happens without a model or with a broken one.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::{http_get, test_config, TestRelay};
use parley::VisitorClient;
use protocol::{Role, ServerFrame};
use relay::faq::semantic::Semantic;
use relay::faq::{quality, Faq};

fn model_path() -> PathBuf {
    std::env::var_os("PARLEY_FAQ_MODEL")
        .map(PathBuf::from)
        .expect("PARLEY_FAQ_MODEL names the FAQ model (cargo xtask test fetches it)")
}

fn demo_articles() -> Vec<relay::store::Article> {
    relay::faq::import::parse(include_str!("../relay/faq/demo.json")).unwrap()
}

async fn with_model() -> TestRelay {
    TestRelay::start_with(|config| config.faq_model = Some(model_path())).await
}

/// The next message from the bot.
async fn bot_says(shopper: &mut VisitorClient) -> protocol::Message {
    let is_bot = |f: &ServerFrame| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Bot);
    match shopper.socket.wait_for(is_bot).await.unwrap() {
        ServerFrame::Message { message } => message,
        _ => unreachable!(),
    }
}

#[test]
fn the_development_set_ranks_above_its_floor_and_above_lexical_search() {
    let set = quality::dev_set().unwrap();
    let lexical = Faq::new().unwrap();
    lexical.replace_store(1, &demo_articles()).unwrap();
    let before = quality::measure(&lexical, 1, &set);
    let semantic = Arc::new(Semantic::load(&model_path()).unwrap());
    let hybrid = Faq::ranked_by(Some(semantic)).unwrap();
    hybrid.replace_store(1, &demo_articles()).unwrap();
    let now = quality::measure(&hybrid, 1, &set);
    println!("development set, lexical: {before:?}");
    println!("development set, with the model: {now:?}");
    // The figures reached when the weights were chosen (51, 58, 41 right and 1 wrong), less a
    // margin for the engine's arithmetic on another CPU.
    assert_eq!(now.answerable, 62);
    assert!(now.top1 >= 48, "top-1 {} of 62", now.top1);
    assert!(now.top3 >= 56, "top-3 {} of 62", now.top3);
    assert!(now.answered_right >= 37, "the bot answered {} rightly", now.answered_right);
    assert!(now.answered_wrong <= 2, "the bot answered {} wrongly", now.answered_wrong);
    // Where it is not sure of one article it offers the close ones (9 holding the right one,
    // 1 not, when the thresholds were chosen).
    assert!(now.offered_right >= 7, "the bot offered the right article {} times", now.offered_right);
    assert!(now.offered_wrong <= 2, "the bot offered {} times without the right article", now.offered_wrong);
    assert_eq!(before.offered_right + before.offered_wrong, 0, "without a model the bot offers no choices");
    assert!(now.top1 > before.top1 + 10 && now.answered_right > before.answered_right + 8, "{before:?}");
}

#[tokio::test]
async fn the_bot_answers_paraphrases_and_chatty_questions_from_the_demo_faq() {
    let t = with_model().await;
    for (asked, article) in [
        ("when will my stuff arrive", "delivery-times"),
        ("the dress arrived torn", "damaged"),
        ("物流要几天", "zh-delivery-times"),
        (
            "Hello, I hope you are well. I received my order yesterday but the dress arrived torn. What can I do?",
            "damaged",
        ),
    ] {
        let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
        shopper.send("q", asked).await.unwrap();
        let answer = bot_says(&mut shopper).await;
        assert_eq!(answer.faq_article.as_deref(), Some(article), "{asked}: {}", answer.text);
    }
    // The demo store's Chinese help has no article on cancelling: the English one answers,
    // and says it is in English.
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("q", "我想取消订单").await.unwrap();
    let answer = bot_says(&mut shopper).await;
    assert_eq!(answer.faq_article.as_deref(), Some("cancel-order"), "{}", answer.text);
    assert!(answer.text.contains("仅有英文版本"), "{}", answer.text);
    // Something no article is about gets no article but the offer to take an email (nobody is
    // online), not the nearest article.
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("q", "are you hiring?").await.unwrap();
    let nudge = bot_says(&mut shopper).await;
    assert!(nudge.faq_article.is_none() && nudge.text.contains("Leave your email"), "{}", nudge.text);
    t.stop().await;
}

#[tokio::test]
async fn a_question_between_articles_gets_them_offered_and_a_tap_gets_the_answer() {
    let t = with_model().await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("q", "Can I still return it if it does not fit?").await.unwrap();
    let offer = bot_says(&mut shopper).await;
    let offered: Vec<&str> = offer.faq_choices.iter().map(|c| c.article.as_str()).collect();
    assert!(offered.contains(&"returns") && offered.len() <= 3, "{offered:?}: {}", offer.text);
    assert!(offer.faq_article.is_none(), "an offer is not an answer");
    let returns = offer.faq_choices.iter().find(|c| c.article == "returns").unwrap();
    assert_eq!(returns.question, "How do returns work?");
    assert!(
        offer.text.contains("Which one do you mean?") && offer.text.contains("• How do returns work?"),
        "{}",
        offer.text
    );
    // The stored copy carries the choices too (a reload shows them).
    let history = t.relay.state().store.recent_messages(offer.conversation_id, 10).await.unwrap();
    assert_eq!(
        history.iter().find(|m| m.id == offer.id).map(|m| m.faq_choices.clone()),
        Some(offer.faq_choices.clone())
    );
    // The widget's button asks the article's question: the bot answers with it.
    shopper.send("tap", &returns.question).await.unwrap();
    let answer = bot_says(&mut shopper).await;
    assert_eq!(answer.faq_article.as_deref(), Some("returns"), "{}", answer.text);
    // A question in Chinese that no article answers is offered nothing (cosines between Chinese
    // texts run higher), but a person.
    let mut other = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    other.send("q", "你们招聘吗").await.unwrap();
    let nudge = bot_says(&mut other).await;
    assert!(nudge.faq_choices.is_empty() && nudge.faq_article.is_none(), "{}", nudge.text);
    t.stop().await;
}

#[tokio::test]
async fn a_question_in_chinese_finds_an_english_only_article_and_is_told_it_is_in_english() {
    let t = with_model().await;
    t.add_store("shop", &[]).await;
    let state = t.relay.state();
    let shop = state.store.store_by_key("shop").await.unwrap().unwrap();
    let english: Vec<_> = demo_articles().into_iter().filter(|a| a.language != "zh").collect();
    state.store.upsert_articles(shop.id, english).await.unwrap();
    state.faq.sync(&state.store).await.unwrap();
    // The search finds it too ("when does the money come back to my card").
    let question = "钱什么时候退回我的卡上";
    let hits = state.faq.search_off(shop.id, format!("{question} "), 3).await;
    assert_eq!(hits.first().map(Faq::hit_id).as_deref(), Some("refunds"), "{hits:?}");
    let mut shopper = VisitorClient::connect(&t.base, "shop", None, None, 0).await.unwrap();
    shopper.send("q", question).await.unwrap();
    let answer = bot_says(&mut shopper).await;
    assert_eq!(answer.faq_article.as_deref(), Some("refunds"), "{}", answer.text);
    assert!(answer.text.contains("仅有英文版本"), "says the article is in English, in Chinese: {}", answer.text);
    t.stop().await;
}

#[tokio::test]
async fn without_a_model_search_stays_lexical_and_with_one_it_ranks_by_meaning() {
    let lexical = TestRelay::start().await;
    let semantic = with_model().await;
    let top = |t: &TestRelay| {
        let path = format!("/api/stores/demo/faq/search?q={}", "%E7%89%A9%E6%B5%81%E8%A6%81%E5%87%A0%E5%A4%A9%20");
        let base = t.base.clone();
        async move {
            let found = http_get(&base, &path, &[]).await.unwrap();
            assert_eq!(found.status, 200);
            let hits: serde_json::Value = serde_json::from_slice(&found.body).unwrap();
            hits[0]["id"].as_str().unwrap_or_default().to_owned()
        }
    };
    // "物流要几天" (how many days does shipping take): the words say "logistics", the meaning
    // says delivery times.
    assert_eq!(top(&lexical).await, "zh-tracking");
    assert_eq!(top(&semantic).await, "zh-delivery-times");
    lexical.stop().await;
    semantic.stop().await;
}

#[tokio::test]
async fn a_truncated_or_foreign_model_file_stops_the_start_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let image = std::fs::read(model_path()).unwrap();
    let cut = dir.path().join("cut.bin");
    std::fs::write(&cut, &image[..image.len() / 2]).unwrap();
    let foreign = dir.path().join("foreign.bin");
    std::fs::write(&foreign, b"<html>not found</html>").unwrap();
    for (file, reason) in [(cut, "truncated"), (foreign, "wrong magic number")] {
        let mut config = test_config("127.0.0.1:0", &dir.path().join("data"));
        config.faq_model = Some(file.clone());
        let error = relay::app::start(config).await.err().expect("a broken model is refused");
        let said = format!("{error:#}");
        assert!(said.contains("not a usable embedding model") && said.contains(reason), "{said}");
        assert!(!dir.path().join("data").exists(), "refused before anything is written");
    }
}

#[tokio::test]
async fn long_and_malformed_queries_get_answers_not_errors() {
    let t = with_model().await;
    let long = "where%20is%20my%20parcel%20".repeat(800);
    for query in [long.as_str(), "%ED%A0%80%ED%B0%80%20returns%20", "%00%00%20", "%F0%9F%93%A6%20"] {
        let found = http_get(&t.base, &format!("/api/stores/demo/faq/search?q={query}"), &[]).await.unwrap();
        assert_eq!(found.status, 200, "{}", found.text());
        let _: Vec<serde_json::Value> = serde_json::from_slice(&found.body).unwrap();
    }
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    // A lone UTF-16 surrogate escaped in the JSON is refused as a malformed frame…
    let lone = r#"{"type":"send","client_id":"s","text":"\ud800 when will my stuff arrive"}"#;
    shopper.socket.send_text(lone.into()).await.unwrap();
    let refused = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap();
    assert!(matches!(refused, ServerFrame::Error { code: protocol::ErrorCode::Malformed, .. }), "{refused:?}");
    // …and a long message is answered from its start.
    shopper.send("q", &"when will my stuff arrive ".repeat(150)).await.unwrap();
    let answer = bot_says(&mut shopper).await;
    assert_eq!(answer.faq_article.as_deref(), Some("delivery-times"), "{}", answer.text);
    t.stop().await;
}

#[tokio::test]
async fn article_vectors_are_stored_reused_after_a_restart_and_made_again_when_stale() {
    let dir = tempfile::tempdir().unwrap();
    let store = relay::store::Store::open(dir.path()).await.unwrap();
    let shop = store.add_store("shop", "Shop", &[]).await.unwrap().id;
    store.upsert_articles(shop, demo_articles()).await.unwrap();
    let load = || Arc::new(Semantic::load(&model_path()).unwrap());

    let first = load();
    Arc::new(Faq::ranked_by(Some(first.clone())).unwrap()).sync(&store).await.unwrap();
    assert_eq!(first.articles_embedded(), 23);
    let stored = store.faq_vectors(shop).await.unwrap();
    assert_eq!(stored.len(), 23);
    assert!(stored.iter().all(|v| v.model == first.fingerprint() && v.vector.len() == 384 * 4));

    // A restart with the same model embeds nothing, and ranks as well.
    let again = load();
    let faq = Arc::new(Faq::ranked_by(Some(again.clone())).unwrap());
    faq.sync(&store).await.unwrap();
    assert_eq!(again.articles_embedded(), 0);
    assert_eq!(faq.search(shop, "when will my stuff arrive ", 1)[0].question, "How long does delivery take?");

    // An edited article is embedded again, alone; vectors of another model all are.
    let mut edited = demo_articles().into_iter().find(|a| a.id == "customs").unwrap();
    edited.tags.push("tariffs".into());
    store.upsert_articles(shop, vec![edited]).await.unwrap();
    faq.sync(&store).await.unwrap();
    assert_eq!(again.articles_embedded(), 1);
    let mut stale = store.faq_vectors(shop).await.unwrap();
    for v in &mut stale {
        v.model = "another-model".into();
    }
    store.save_faq_vectors(shop, stale).await.unwrap();
    let third = load();
    Arc::new(Faq::ranked_by(Some(third.clone())).unwrap()).sync(&store).await.unwrap();
    assert_eq!(third.articles_embedded(), 23);
    assert!(store.faq_vectors(shop).await.unwrap().iter().all(|v| v.model == third.fingerprint()));
    // Deleting an article deletes its vector.
    store.delete_article(shop, "customs").await.unwrap();
    assert_eq!(store.faq_vectors(shop).await.unwrap().len(), 22);
}
