//! The store on PostgreSQL (issue 16, in progress): the operations already ported behave as on
//! SQLite. Each test runs the same steps on both backends and compares what a user of the
//! store sees; a real PostgreSQL server runs on a free port.

mod common;

use common::postgres::Postgres;
use protocol::AgentRole;
use relay::store::{Article, Store, StoreError};

/// The same steps on SQLite (a fresh data dir) and on PostgreSQL (a fresh database).
async fn on_both<F, Fut, T>(steps: F) -> (T, T)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let dir = tempfile::tempdir().unwrap();
    let lite = Store::open(dir.path()).await.expect("SQLite");
    let server = Postgres::start();
    let pg = Store::open_postgres(&server.url()).await.expect("PostgreSQL");
    let on_lite = steps(lite.clone()).await;
    let on_pg = steps(pg.clone()).await;
    lite.close().await;
    pg.close().await;
    (on_lite, on_pg)
}

fn article(id: &str, question: &str) -> Article {
    Article {
        id: id.into(),
        id_json: format!("{id:?}"),
        question: question.into(),
        answer: format!("The answer to {question}"),
        category: "Shipping".into(),
        tags: vec!["post".into()],
        language: "en".into(),
    }
}

#[tokio::test]
async fn stores_agents_and_sessions_work_alike() {
    let (lite, pg) = on_both(|store| async move {
        let shop = store.add_store("shop", "Shop", &["https://shop.example".into()]).await.unwrap();
        let again = store.add_store("shop", "Other", &[]).await;
        assert!(matches!(again, Err(StoreError::AlreadyExists(_))), "a taken key is refused: {again:?}");
        store.set_first_reply_secs("shop", 45).await.unwrap();
        store.set_hours("shop", Some("mon-fri 09:00-17:00"), "Europe/Paris").await.unwrap();
        store.set_greeting("shop", Some("Hello there")).await.unwrap();
        let agent = store.add_agent("shop", "Ann@Shop.example", "Ann", AgentRole::Admin, "hash").await.unwrap();
        let twice = store.add_agent("shop", "ann@shop.example", "Ann 2", AgentRole::Agent, "hash").await;
        assert!(matches!(twice, Err(StoreError::AlreadyExists(_))), "emails are case-blind: {twice:?}");
        store.add_session(agent.id, b"token-hash").await.unwrap();
        let by_session = store.agent_by_session(b"token-hash", 60_000).await.unwrap().map(|a| a.email);
        store.remove_session(b"token-hash").await.unwrap();
        let after_logout = store.agent_by_session(b"token-hash", 60_000).await.unwrap().is_some();
        let by_email: Vec<String> =
            store.agents_by_email("ANN@shop.EXAMPLE").await.unwrap().into_iter().map(|a| a.name).collect();
        let found = store.store_by_key("shop").await.unwrap().unwrap();
        (
            found == shop,
            found.origins,
            store.first_reply_secs(shop.id).await.unwrap(),
            store.hours(shop.id).await.unwrap(),
            store.greeting(shop.id).await.unwrap(),
            by_session,
            after_logout,
            by_email,
        )
    })
    .await;
    assert_eq!(lite, pg);
    assert_eq!(pg.1, vec!["https://shop.example".to_string()]);
    assert_eq!(pg.2, 45);
    assert_eq!(pg.5.as_deref(), Some("Ann@Shop.example"));
    assert!(!pg.6, "a removed session no longer signs in");
    assert_eq!(pg.7, vec!["Ann".to_string()]);
}

#[tokio::test]
async fn faq_texts_tags_and_secrets_work_alike() {
    let (lite, pg) = on_both(|store| async move {
        let shop = store.add_store("shop", "Shop", &[]).await.unwrap();
        let written = store
            .upsert_articles(shop.id, vec![article("ship", "How long is shipping?"), article("ret", "Returns?")])
            .await
            .unwrap();
        store.upsert_articles(shop.id, vec![article("ship", "How long does shipping take?")]).await.unwrap();
        let deleted = store.delete_article(shop.id, "ret").await.unwrap();
        let questions: Vec<String> = store.articles(shop.id).await.unwrap().into_iter().map(|a| a.question).collect();
        let version = store.faq_versions().await.unwrap();

        store.set_store_text(shop.id, "away", "en", Some("Back soon")).await.unwrap();
        store.set_store_text(shop.id, "away", "en", Some("Back on Monday")).await.unwrap();
        store.set_store_text(shop.id, "away", "fr", Some("De retour lundi")).await.unwrap();
        store.set_store_text(shop.id, "away", "fr", None).await.unwrap();
        let texts = store.store_texts(shop.id).await.unwrap().own;

        store.add_visitor(shop.id, "v1").await.unwrap();
        let tagged = store.add_tag(shop.id, "v1", "VIP").await.unwrap();
        store.add_tag(shop.id, "v1", "vip").await.unwrap();
        store.add_tag(shop.id, "v1", "returns").await.unwrap();
        let tags = store.tags_of("v1").await.unwrap();
        let store_tags = store.store_tags(shop.id).await.unwrap();
        store.remove_tag("v1", "Vip").await.unwrap();
        let after = store.tags_of("v1").await.unwrap();

        let key = store.secret("signing", || vec![1, 2, 3]).await.unwrap();
        let same = store.secret("signing", || vec![9]).await.unwrap();
        (written, deleted, questions, version, texts, tagged, tags, store_tags, after, key == same)
    })
    .await;
    assert_eq!(lite, pg);
    assert_eq!(pg.2, vec!["How long does shipping take?".to_string()]);
    assert_eq!(pg.4, vec![("away".to_string(), "en".to_string(), "Back on Monday".to_string())]);
    assert_eq!(pg.6, vec!["returns".to_string(), "VIP".to_string()], "a tag in another case is the same tag");
    assert_eq!(pg.8, vec!["returns".to_string()]);
    assert!(pg.9, "a secret is made once");
}

#[tokio::test]
async fn settings_round_trip_alike() {
    let (lite, pg) = on_both(|store| async move {
        let shop = store.add_store("shop", "Shop", &[]).await.unwrap();
        let mut settings = store.settings(shop.id).await.unwrap();
        settings.name = "The Shop".into();
        settings.greeting = Some("Welcome!".into());
        settings.origins = vec!["https://a.example".into(), "https://b.example".into()];
        settings.csat = !settings.csat;
        settings.instant_ack = !settings.instant_ack;
        settings.live_visitors = !settings.live_visitors;
        settings.retention_days = Some(30);
        store.save_settings(shop.id, &settings).await.unwrap();
        let read = store.settings(shop.id).await.unwrap();
        (read == settings, serde_json::to_value(&read).unwrap())
    })
    .await;
    assert!(pg.0, "PostgreSQL gives back the settings saved");
    assert_eq!(lite, pg);
}

#[tokio::test]
async fn a_conversation_works_alike() {
    use protocol::Role;
    use relay::store::NewMessage;
    let says = |role: Role, author: &'static str, text: &'static str, client: &'static str| NewMessage {
        role,
        author_id: author,
        author_name: None,
        text,
        client_id: Some(client),
        faq_article: None,
        faq_choices: &[],
    };
    let (lite, pg) = on_both(|store| async move {
        let shop = store.add_store("shop", "Shop", &[]).await.unwrap();
        store.add_visitor(shop.id, "v1").await.unwrap();
        let first = says(Role::Visitor, "v1", "Hello, is my order on its way?", "c1");
        let (conversation, created, outcome) = store.open_with_message(shop.id, "v1", Some(&first)).await.unwrap();
        let (again, created_again, _) = store.open_with_message(shop.id, "v1", None).await.unwrap();
        let reply = store.append_message(conversation.id, &says(Role::Agent, "7", "It is, since Monday", "a1")).await;
        let resent = store.append_message(conversation.id, &says(Role::Agent, "7", "It is, since Monday", "a1")).await;
        let (reply, resent) = (reply.unwrap(), resent.unwrap());
        let read = store.mark_read(conversation.id, Role::Visitor, 99).await.unwrap();
        let memory_matches_disk = store.open_facts() == store.open_facts_on_disk().await.unwrap();
        let closed = store.close_conversation(conversation.id, None, true).await.unwrap();
        let closed_twice = store.close_conversation(conversation.id, None, true).await.unwrap();
        let late = store.append_message(conversation.id, &says(Role::Visitor, "v1", "Thanks", "c2")).await;
        let still_open = store.open_conversation_of("v1").await.unwrap().is_some();
        let reopened = store.reopen_conversation(conversation.id, 0).await;
        let (messages, more) = store.messages_after(conversation.id, 0, 10).await.unwrap();
        let texts: Vec<(String, u64)> = messages.into_iter().map(|m| (m.text, m.seq)).collect();
        (
            created,
            again.id == conversation.id && !created_again,
            outcome.map(|o| o.message.seq),
            (reply.message.seq, resent.duplicate, resent.message.id == reply.message.id),
            read,
            memory_matches_disk,
            (closed, closed_twice, matches!(late, Err(relay::store::StoreError::NotFound(_))), still_open),
            reopened.is_ok(),
            (texts, more),
        )
    })
    .await;
    assert_eq!(lite, pg);
    assert_eq!(pg.2, Some(1));
    assert_eq!(pg.3, (2, true, true), "a resend is the stored copy, not a second message");
    assert_eq!(pg.4, 2, "a read mark stops at the last message");
    assert!(pg.5, "the open conversations in memory are those in the database");
    assert_eq!(pg.6, (true, false, true, false));
    assert_eq!(pg.8 .0.len(), 2);
}

#[tokio::test]
async fn writes_fail_clearly_while_postgres_is_down_and_nothing_acknowledged_is_lost() {
    use protocol::Role;
    use relay::store::NewMessage;
    let server = Postgres::start();
    let store = Store::open_postgres(&server.url()).await.expect("PostgreSQL");
    let shop = store.add_store("shop", "Shop", &[]).await.unwrap();
    store.add_visitor(shop.id, "v1").await.unwrap();
    let says = |text: &'static str, client: &'static str| NewMessage {
        role: Role::Visitor,
        author_id: "v1",
        author_name: None,
        text,
        client_id: Some(client),
        faq_article: None,
        faq_choices: &[],
    };
    let (conversation, _, _) = store.open_with_message(shop.id, "v1", Some(&says("before", "c1"))).await.unwrap();

    server.stop();
    let down = store.append_message(conversation.id, &says("while down", "c2")).await;
    assert!(
        matches!(&down, Err(StoreError::NotWritten(why)) if why.contains("database")),
        "a write while the database is down fails, saying why: {down:?}"
    );
    let read = store.messages_after(conversation.id, 0, 10).await;
    assert!(read.is_err(), "and so does a read");

    server.restart();
    let again = store.append_message(conversation.id, &says("after", "c3")).await.expect("writes resume");
    let (messages, _) = store.messages_after(conversation.id, 0, 10).await.unwrap();
    let texts: Vec<&str> = messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["before", "after"], "the acknowledged message is there, the failed one is not");
    assert_eq!(again.message.seq, 2);
    store.close().await;
}

#[tokio::test]
async fn two_relays_writing_to_one_conversation_get_distinct_seqs_and_lose_nothing() {
    use protocol::Role;
    use relay::store::NewMessage;
    let server = Postgres::start();
    let node_a = Store::open_postgres(&server.url()).await.expect("node A");
    let shop = node_a.add_store("shop", "Shop", &[]).await.unwrap();
    node_a.add_visitor(shop.id, "v1").await.unwrap();
    let hello = NewMessage {
        role: Role::Visitor,
        author_id: "v1",
        author_name: None,
        text: "hello",
        client_id: Some("c0"),
        faq_article: None,
        faq_choices: &[],
    };
    let (conversation, _, _) = node_a.open_with_message(shop.id, "v1", Some(&hello)).await.unwrap();
    let node_b = Store::open_postgres(&server.url()).await.expect("node B");

    // The shopper writes on node A while the agent writes on node B, at the same time.
    let write = |store: Store, role: Role, author: &'static str| async move {
        let mut seqs = Vec::new();
        for n in 0..40 {
            let (text, client) = (format!("{author} {n}"), format!("{author}-{n}"));
            let message = NewMessage {
                role,
                author_id: author,
                author_name: None,
                text: &text,
                client_id: Some(&client),
                faq_article: None,
                faq_choices: &[],
            };
            seqs.push(store.append_message(conversation.id, &message).await.expect("every write is taken").message.seq);
        }
        seqs
    };
    let (a, b) = tokio::join!(write(node_a.clone(), Role::Visitor, "v1"), write(node_b.clone(), Role::Agent, "7"));
    let mut all: Vec<u64> = a.iter().chain(&b).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (2..=81).collect::<Vec<u64>>(), "each message has its own seq after the first");
    let (stored, more) = node_b.messages_after(conversation.id, 0, 200).await.unwrap();
    assert_eq!((stored.len(), more), (81, false), "nothing is lost");
    node_a.close().await;
    node_b.close().await;
}

#[tokio::test]
async fn writes_committed_together_fail_alone() {
    use protocol::Role;
    use relay::store::NewMessage;
    let server = Postgres::start();
    let store = Store::open_postgres(&server.url()).await.expect("PostgreSQL");
    let shop = store.add_store("shop", "Shop", &[]).await.unwrap();
    let mut conversations = Vec::new();
    for visitor in ["v1", "v2"] {
        store.add_visitor(shop.id, visitor).await.unwrap();
        let first = NewMessage {
            role: Role::Visitor,
            author_id: visitor,
            author_name: None,
            text: "hello",
            client_id: Some("c0"),
            faq_article: None,
            faq_choices: &[],
        };
        conversations.push(store.open_with_message(shop.id, visitor, Some(&first)).await.unwrap().0.id);
    }
    store.close_conversation(conversations[1], None, true).await.unwrap();

    // Many writes queued at once (one batch or a few), a third of them to the closed conversation.
    let texts: Vec<(usize, String)> = (0..60).map(|n| (n % 3, format!("message {n}"))).collect();
    let pending: Vec<_> = texts
        .iter()
        .map(|(to, text)| {
            let (conversation, author) = if *to == 0 { (conversations[1], "v2") } else { (conversations[0], "v1") };
            let message = NewMessage {
                role: Role::Visitor,
                author_id: author,
                author_name: None,
                text,
                client_id: Some(text),
                faq_article: None,
                faq_choices: &[],
            };
            store.submit_message(conversation, &message).unwrap()
        })
        .collect();
    let outcomes = futures_util::future::join_all(pending).await;
    for ((to, text), outcome) in texts.iter().zip(&outcomes) {
        match to {
            0 => assert!(matches!(outcome, Err(StoreError::NotFound(_))), "{text} to the closed one: {outcome:?}"),
            _ => assert!(outcome.is_ok(), "{text}: {outcome:?}"),
        }
    }
    let (stored, _) = store.messages_after(conversations[0], 0, 200).await.unwrap();
    assert_eq!(stored.len(), 1 + 40, "every message to the open conversation, once");
    assert!(stored.iter().enumerate().all(|(i, m)| m.seq == i as u64 + 1), "in order, no gaps");
    store.close().await;
}
