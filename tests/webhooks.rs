//! Webhooks against a real HTTP endpoint: each subscribed event of a conversation is delivered
//! once, signed (HMAC-SHA256 of timestamp and body, checked here independently of the relay);
//! a 500 or a timeout is retried with the same event id, across a restart; the private-address
//! guard holds at the API and at each call; only owners and admins manage them. Time is
//! explicit: the tests call the service with the instants they want.

mod common;

use std::time::Duration;

use common::console::{code, signed_in};
use common::webhook_receiver::{Answer, Hit, Receiver};
use common::TestRelay;
use hmac::{Hmac, Mac};
use parley::{AgentClient, VisitorClient};
use protocol::{AgentFrame, Role, ServerFrame, VisitorFrame};
use serde_json::{json, Value};

async fn relay() -> TestRelay {
    let t = TestRelay::start_with(|c| {
        c.sweep_deadlines = false;
        c.webhook_timeout = Duration::from_millis(500);
    })
    .await;
    t.relay.state().store.set_webhooks_allow_private("demo", true).await.unwrap();
    t
}

/// Adds an endpoint through the API as the store's owner; returns it.
async fn subscribe(t: &TestRelay, url: &str, events: &[&str]) -> Value {
    let owner = signed_in(t, "demo", "Owen", "owner").await;
    let made =
        owner.call("POST", "/api/stores/demo/webhooks", Some(json!({ "url": url, "events": events }))).await.unwrap();
    assert_eq!(made.status, 201, "{}", made.text());
    serde_json::from_slice(&made.body).unwrap()
}

/// Dispatches the events and sends what is due at `now`; returns how many were delivered.
async fn sweep(t: &TestRelay, now: i64) -> usize {
    let hooks = &t.relay.state().webhooks;
    hooks.dispatch().await.unwrap();
    hooks.deliver(now).await.unwrap()
}

fn verified(hit: &Hit, secret: &str) -> bool {
    let stamp = hit.header("x-parley-timestamp");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{stamp}.{}", hit.body).as_bytes());
    hit.header("x-parley-signature") == format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn each_subscribed_event_is_delivered_signed_with_what_it_is_about() {
    let t = relay().await;
    let mut endpoint = Receiver::start(vec![]).await;
    let all = protocol::WEBHOOK_EVENTS;
    let hook = subscribe(&t, &endpoint.url(), all).await;
    let secret = hook["secret"].as_str().unwrap().to_owned();

    // Nobody online: the bot asks for an email, the shopper gives it; then an agent comes,
    // gets the conversation, answers and closes it, and the shopper rates it.
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("a", "Do you have <b>linen</b> shirts?").await.unwrap();
    let bot = |f: &ServerFrame| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Bot);
    shopper.socket.wait_for(bot).await.unwrap();
    shopper.send("b", "ana@example.com").await.unwrap();
    shopper.socket.wait_for(bot).await.unwrap();
    let (email, password) = t.add_agent("demo", "Oli").await;
    let mut agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let id = agent.conversations[0].id;
    agent.send(id, "r", "Yes, in all sizes.").await.unwrap();
    agent.socket.send(&AgentFrame::Close { conversation_id: id, question: None, resolved: None }).await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Closed { .. })).await.unwrap();
    shopper
        .socket
        .send(&VisitorFrame::Rate { conversation_id: id, score: 5, comment: Some("Quick!".into()) })
        .await
        .unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Rated { .. })).await.unwrap();

    // A sweep takes a few deliveries of one endpoint at a time: sweep until none is left.
    let now = relay::store::now_millis();
    let mut delivered = 0;
    let mut received = Vec::new();
    loop {
        let this_time = sweep(&t, now).await;
        if this_time == 0 {
            break;
        }
        for _ in 0..this_time {
            received.push(endpoint.next().await);
        }
        delivered += this_time;
    }
    let kinds: Vec<String> = received.iter().map(|h| h.header("x-parley-event")).collect();
    for event in all {
        assert!(kinds.iter().any(|k| k == event), "{event} not delivered: {kinds:?}");
    }
    let authors: Vec<String> = received
        .iter()
        .filter(|h| h.header("x-parley-event") == "message.created")
        .map(|h| h.json()["data"]["message"]["author"]["role"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(authors.iter().filter(|r| *r == "visitor").count(), 2, "{authors:?}");
    assert_eq!(authors.iter().filter(|r| *r == "agent").count(), 1, "{authors:?}");
    assert!(authors.iter().filter(|r| *r == "bot").count() >= 2, "{authors:?}");
    for hit in &received {
        assert!(verified(hit, &secret), "the signature of {} verifies", hit.body);
        let body = hit.json();
        assert_eq!(body["id"].as_str().unwrap(), hit.header("x-parley-event-id"));
        assert_eq!((body["store"].as_str(), body["data"]["conversation"]["id"].as_i64()), (Some("demo"), Some(id)));
    }
    let first = received.iter().find(|h| h.header("x-parley-event") == "message.created").unwrap().json();
    assert_eq!(first["data"]["message"]["text"], "Do you have <b>linen</b> shirts?", "text as typed");
    assert_eq!(first["data"]["message"]["author"]["role"], "visitor");
    let rated = received.iter().find(|h| h.header("x-parley-event") == "csat.submitted").unwrap().json();
    assert_eq!(rated["data"]["rating"], json!({ "score": 5, "comment": "Quick!" }));
    let captured = received.iter().find(|h| h.header("x-parley-event") == "email.captured").unwrap().json();
    assert_eq!(captured["data"]["email"], "ana@example.com");

    // Nothing is delivered twice, and the log shows each as delivered.
    assert_eq!(sweep(&t, now + 3_600_000).await, 0);
    assert_eq!(received.len(), delivered);
    assert!(endpoint.drain().is_empty());
    let owner = signed_in(&t, "demo", "Ora", "owner").await;
    let log = owner.call("GET", &format!("/api/stores/demo/webhooks/{}/deliveries", hook["id"]), None).await.unwrap();
    let log: Vec<Value> = serde_json::from_slice(&log.body).unwrap();
    assert_eq!(log.len(), delivered);
    assert!(log.iter().all(|d| d["status"] == "delivered" && d["last_status"] == 200), "{log:?}");
    t.stop().await;
}

#[tokio::test]
async fn failures_and_timeouts_are_retried_with_the_same_event_across_a_restart() {
    let t = relay().await;
    let mut endpoint = Receiver::start(vec![Answer::Status(500), Answer::Hang]).await;
    let hook = subscribe(&t, &endpoint.url(), &["conversation.created"]).await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("a", "Hello").await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();

    let now = relay::store::now_millis();
    assert_eq!(sweep(&t, now).await, 0, "the endpoint answered 500");
    let first = endpoint.next().await;
    let owner = signed_in(&t, "demo", "Owen2", "owner").await;
    let listed = owner.call("GET", "/api/stores/demo/webhooks", None).await.unwrap();
    let listed: Vec<Value> = serde_json::from_slice(&listed.body).unwrap();
    assert_eq!(
        (listed[0]["last_status"].as_u64(), listed[0]["last_error"].as_str()),
        (Some(500), Some("answered 500"))
    );
    assert_eq!(sweep(&t, now + 1_000).await, 0, "not due again yet");

    let (data, dir) = t.stop().await;
    let t = TestRelay::start_at_with(&data, |c| {
        c.sweep_deadlines = false;
        c.webhook_timeout = Duration::from_millis(500);
    })
    .await;
    assert_eq!(sweep(&t, now + 25_000).await, 0, "the endpoint did not answer in time");
    let second = endpoint.next().await;
    let owner = signed_in(&t, "demo", "Owen3", "owner").await;
    let log = owner.call("GET", &format!("/api/stores/demo/webhooks/{}/deliveries", hook["id"]), None).await.unwrap();
    let log: Vec<Value> = serde_json::from_slice(&log.body).unwrap();
    assert!(log[0]["last_error"].as_str().unwrap().contains("no answer within 500 ms"), "{log:?}");
    assert_eq!(sweep(&t, now + 70_000).await, 1, "delivered on the third try");
    let third = endpoint.next().await;
    let ids: Vec<String> = [&first, &second, &third].iter().map(|h| h.header("x-parley-event-id")).collect();
    assert!(ids.iter().all(|i| *i == ids[0]) && ids[0].starts_with("evt_"), "one event, retried: {ids:?}");
    assert_eq!(first.body, third.body, "the same body each time");
    t.stop().await;
    drop(dir);
}

#[tokio::test]
async fn the_private_address_guard_holds_at_the_api_and_at_each_call() {
    let t = TestRelay::start_with(|c| c.sweep_deadlines = false).await;
    let owner = signed_in(&t, "demo", "Owen", "owner").await;
    let add = |url: &str| json!({ "url": url, "events": ["message.created"] });
    for url in [
        "http://hooks.example.com/x",
        "https://127.0.0.1/x",
        "https://10.0.0.8/x",
        "https://[::1]/x",
        "https://169.254.169.254/x",
    ] {
        let refused = owner.call("POST", "/api/stores/demo/webhooks", Some(add(url))).await.unwrap();
        assert_eq!((refused.status, code(&refused)), (400, "invalid_value".to_owned()), "{url}");
    }
    let unknown = owner
        .call(
            "POST",
            "/api/stores/demo/webhooks",
            Some(json!({ "url": "https://hooks.example.com/x", "events": ["order.paid"] })),
        )
        .await
        .unwrap();
    assert_eq!(unknown.status, 400);

    // A name that resolves to a private address (this machine's own name) is refused when the
    // call is made.
    let mut endpoint = Receiver::start(vec![]).await;
    t.relay.state().store.set_webhooks_allow_private("demo", true).await.unwrap();
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default().trim().to_owned();
    let url = format!("http://{host}:{}/hook", endpoint.addr.port());
    let hook = owner.call("POST", "/api/stores/demo/webhooks", Some(add(&url))).await.unwrap();
    assert_eq!(hook.status, 201, "{}", hook.text());
    t.relay.state().store.set_webhooks_allow_private("demo", false).await.unwrap();
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("a", "Hello").await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    assert_eq!(sweep(&t, relay::store::now_millis()).await, 0);
    let listed = owner.call("GET", "/api/stores/demo/webhooks", None).await.unwrap();
    let listed: Vec<Value> = serde_json::from_slice(&listed.body).unwrap();
    assert!(listed[0]["last_error"].as_str().unwrap().contains("private address"), "{listed:?}");
    assert!(endpoint.drain().is_empty(), "the endpoint was never called");

    // Plain agents do not manage webhooks.
    let agent = signed_in(&t, "demo", "Pia", "agent").await;
    let forbidden = agent.call("GET", "/api/stores/demo/webhooks", None).await.unwrap();
    assert_eq!(forbidden.status, 403);
    t.stop().await;
}

#[tokio::test]
async fn a_store_whose_endpoint_hangs_does_not_hold_up_another_stores_deliveries() {
    // A long timeout: a sweep that called the hanging endpoint's deliveries one by one before
    // the other store's would not reach it within the receiver's wait.
    let t = TestRelay::start_with(|c| {
        c.sweep_deadlines = false;
        c.webhook_timeout = Duration::from_secs(120);
    })
    .await;
    t.add_store("other", &[]).await;
    for store in ["demo", "other"] {
        t.relay.state().store.set_webhooks_allow_private(store, true).await.unwrap();
    }
    let mut stuck = Receiver::start(vec![Answer::Hang; 20]).await;
    let stuck_hook = subscribe(&t, &stuck.url(), &["conversation.created"]).await;
    for n in 0..6 {
        let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
        shopper.send("a", &format!("Hello {n}")).await.unwrap();
        shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    }
    let mut healthy = Receiver::start(vec![]).await;
    let owner = signed_in(&t, "other", "Olga", "owner").await;
    let made = owner
        .call(
            "POST",
            "/api/stores/other/webhooks",
            Some(json!({ "url": healthy.url(), "events": ["conversation.created"] })),
        )
        .await
        .unwrap();
    assert_eq!(made.status, 201, "{}", made.text());
    let mut shopper = VisitorClient::connect(&t.base, "other", None, None, 0).await.unwrap();
    shopper.send("a", "Hello from the other shop").await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();

    let hooks = t.relay.state().webhooks.clone();
    hooks.dispatch().await.unwrap();
    let sweeping = tokio::spawn(async move { hooks.deliver(relay::store::now_millis()).await });
    // The other store's delivery arrives while the stuck endpoint's calls still hang.
    let hit = healthy.next().await;
    assert_eq!(hit.json()["store"], "other");
    let mut calls = Vec::new();
    for _ in 0..4 {
        calls.push(stuck.next().await);
    }
    assert!(!sweeping.is_finished(), "the stuck endpoint's calls are still waiting");
    sweeping.abort();
    // The rest of its backlog waits for later sweeps.
    let demo_owner = signed_in(&t, "demo", "Ora", "owner").await;
    let path = format!("/api/stores/demo/webhooks/{}/deliveries", stuck_hook["id"]);
    let log: Vec<Value> = serde_json::from_slice(&demo_owner.call("GET", &path, None).await.unwrap().body).unwrap();
    let tried = log.iter().filter(|d| d["attempts"] == 1).count();
    assert_eq!((log.len(), tried, calls.len()), (6, 4, 4), "{log:?}");
    t.stop().await;
}
