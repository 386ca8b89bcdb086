//! The relay held against a stranger, finding by finding: sign-in floods and lock-outs, half-sent
//! requests, sessions after a password or role change, page-report and FAQ floods, agents
//! reaching into other agents' conversations, cross-site requests and floods of connections.
//! What is kept of a shopper and who may see it is in `shopper_data.rs`.
//! Load figures (the victim's latency during each attack) are in `examples/attack_bench.rs`.

mod common;

use std::num::NonZeroU32;

use common::{http_request, HttpResponse, TestRelay};
use parley::{AgentClient, FrameSocket, VisitorClient};
use protocol::{AgentFrame, ErrorCode, PageView, ServerFrame, VisitorFrame};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn n(v: u32) -> NonZeroU32 {
    NonZeroU32::new(v).unwrap()
}

fn code(response: &HttpResponse) -> String {
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    body["error"]["code"].as_str().unwrap_or_default().to_owned()
}

/// A relay that believes `X-Forwarded-For` from this machine, so tests can speak from any address.
async fn behind_a_proxy(adjust: impl FnOnce(&mut relay::RelayConfig)) -> TestRelay {
    TestRelay::start_with(|c| {
        c.trusted_proxies = relay::serve::TrustedProxies::parse("127.0.0.1").unwrap();
        adjust(c);
    })
    .await
}

/// `POST /api/session` from the console's page, as the client at `from`.
async fn sign_in(t: &TestRelay, email: &str, password: &str, from: &str) -> HttpResponse {
    let headers = [("Origin", t.base.as_str()), ("X-Forwarded-For", from)];
    let body = json!({ "email": email, "password": password });
    http_request(&t.base, "POST", "/api/session", &headers, Some(&body)).await.unwrap()
}

#[tokio::test]
async fn made_up_emails_from_one_address_are_refused_before_any_password_check() {
    let t = behind_a_proxy(|c| c.limits.sign_ins_per_address = n(6)).await;
    let mut answers = Vec::new();
    for i in 0..9 {
        answers.push(sign_in(&t, &format!("nobody{i}@made.up"), "guess-guess", "198.51.100.7").await);
    }
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [401, 401, 401, 401, 401, 401, 429, 429, 429]);
    assert!(answers[6].header("retry-after").is_some_and(|s| s.parse::<u64>().unwrap() >= 1));
    // Another address is not held back by the flood.
    assert_eq!(sign_in(&t, "nobody@made.up", "guess-guess", "203.0.113.1").await.status, 401);
    t.stop().await;
}

#[tokio::test]
async fn a_strangers_failures_do_not_lock_the_owner_out() {
    let t = behind_a_proxy(|_| {}).await;
    let (email, password) = t.add_agent_as("demo", "Ann", "owner").await;
    for _ in 0..5 {
        assert_eq!(sign_in(&t, &email, "wrong password", "198.51.100.7").await.status, 401);
    }
    assert_eq!(sign_in(&t, &email, "wrong password", "198.51.100.7").await.status, 429, "the guesser is held");
    assert_eq!(sign_in(&t, &email, &password, "198.51.100.7").await.status, 429, "even with the right one");
    assert_eq!(sign_in(&t, &email, &password, "203.0.113.9").await.status, 200, "the owner signs in from home");
    // An IPv6 guesser is one client per /64, whatever address of it they use.
    let (email, _) = t.add_agent_as("demo", "Bo", "agent").await;
    for i in 0..5 {
        assert_eq!(sign_in(&t, &email, "wrong", &format!("2001:db8:7:7::{i:x}")).await.status, 401);
    }
    assert_eq!(sign_in(&t, &email, "wrong", "2001:db8:7:7:ffff::1").await.status, 429);
    t.stop().await;
}

/// The console cookie of a new member of `store` with `role`.
async fn cookie_of(t: &TestRelay, store: &str, name: &str, role: &str) -> String {
    let (email, password) = t.add_agent_as(store, name, role).await;
    let response = sign_in(t, &email, &password, "127.0.0.1").await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.header("set-cookie").unwrap().split(';').next().unwrap().to_owned()
}

/// Opens a connection and sends half a request.
async fn half_sent(t: &TestRelay) -> tokio::net::TcpStream {
    let mut tcp = tokio::net::TcpStream::connect(t.base.trim_start_matches("http://")).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    tcp
}

/// Reads until the relay closes the connection; returns what it sent.
async fn until_closed(tcp: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let _ = tcp.read_to_end(&mut got).await;
    got
}

#[tokio::test]
async fn half_sent_requests_are_dropped_and_one_address_cannot_hold_every_connection() {
    let t = TestRelay::start_with(|c| {
        c.header_read_timeout = std::time::Duration::from_millis(300);
        c.limits.connections_per_address = n(5);
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(half_sent(&t).await);
    }
    // The sixth is closed at once, before any request is read.
    let mut sixth = half_sent(&t).await;
    assert!(until_closed(&mut sixth).await.is_empty(), "refused without an answer");
    // The half-sent ones are closed once their headers are late, freeing their places.
    for tcp in &mut held {
        until_closed(tcp).await;
    }
    let health = common::http_get(&t.base, "/healthz", &[]).await.unwrap();
    assert_eq!(health.status, 200);
    t.stop().await;
}

#[tokio::test]
async fn a_password_change_closes_the_live_sockets_of_other_sessions() {
    let t = TestRelay::start().await;
    let (admin_email, admin_password) = t.add_agent_as("demo", "Ada", "owner").await;
    let (email, password) = t.add_agent_as("demo", "Bob", "agent").await;
    let mut bob = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let admin = sign_in(&t, &admin_email, &admin_password, "127.0.0.1").await;
    let cookie = admin.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    let mut own_socket = AgentClient::login(&t.base, &admin_email, &admin_password).await.unwrap();
    let headers = [("Origin", t.base.as_str()), ("Cookie", cookie.as_str())];
    let path = format!("/api/stores/demo/team/{}", bob.agent.id);
    let change = json!({ "password": "a brand new password" });
    assert_eq!(http_request(&t.base, "PATCH", &path, &headers, Some(&change)).await.unwrap().status, 200);
    let closed = bob.socket.wait_for_close().await.unwrap();
    assert_eq!(closed.map(|c| u16::from(c.code)), Some(1008), "the old session's socket is closed");
    assert!(AgentClient::resume(&t.base, &bob.session_token).await.is_err(), "and cannot resume");

    // An owner changing their own password keeps the session they used, and only that one.
    let path = format!("/api/stores/demo/team/{}", own_socket.agent.id);
    assert_eq!(http_request(&t.base, "PATCH", &path, &headers, Some(&change)).await.unwrap().status, 200);
    own_socket.socket.wait_for_close().await.unwrap();
    let me = common::http_get(&t.base, "/api/session", &[("Cookie", cookie.as_str())]).await.unwrap();
    assert_eq!(me.status, 200, "the session that made the change lives on");
    t.stop().await;
}

#[tokio::test]
async fn a_demoted_admins_socket_is_closed_to_rejoin_as_an_agent() {
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent_as("demo", "Abe", "admin").await;
    let mut abe = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let cookie = cookie_of(&t, "demo", "Olga", "owner").await;
    let headers = [("Origin", t.base.as_str()), ("Cookie", cookie.as_str())];
    let path = format!("/api/stores/demo/team/{}", abe.agent.id);
    let demote = json!({ "role": "agent" });
    assert_eq!(http_request(&t.base, "PATCH", &path, &headers, Some(&demote)).await.unwrap().status, 200);
    let closed = abe.socket.wait_for_close().await.unwrap();
    assert_eq!(closed.map(|c| u16::from(c.code)), Some(1013), "told to reconnect");
    assert!(AgentClient::resume(&t.base, &abe.session_token).await.is_ok(), "the session itself is still good");
    t.stop().await;
}

#[tokio::test]
async fn capacity_over_the_socket_follows_the_same_rule_as_the_team_page() {
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Cy").await;
    let mut cy = AgentClient::login(&t.base, &email, &password).await.unwrap();
    cy.socket.send(&AgentFrame::SetCapacity { capacity: 1_000_000 }).await.unwrap();
    let refused = cy.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap();
    assert!(matches!(refused, ServerFrame::Error { code: ErrorCode::InvalidValue, .. }), "{refused:?}");
    cy.socket.send(&AgentFrame::SetCapacity { capacity: 7 }).await.unwrap();
    let presence = cy.socket.wait_for(|f| matches!(f, ServerFrame::Presence { .. })).await.unwrap();
    assert!(matches!(presence, ServerFrame::Presence { capacity: 7, .. }));
    t.stop().await;
}

/// A shopper's conversation, assigned to `agent` (the only one online).
#[tokio::test]
async fn page_reports_are_rate_limited_per_visitor_and_capped_in_storage() {
    let t = TestRelay::start().await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    // Earlier pages carry the times the widget saw them: a few seconds ago, one per second.
    let now = relay::store::now_millis();
    let page = |i: usize| PageView {
        url: format!("https://shop.example/p/{i}"),
        title: format!("Page {i}"),
        at: now - 40_000 + i as i64 * 1000,
    };
    let report = |i: usize, earlier: Vec<PageView>| VisitorFrame::Page {
        url: page(i).url,
        title: page(i).title,
        referrer: None,
        language: None,
        time_zone: None,
        earlier,
    };
    shopper.socket.send(&report(100, (0..20).map(page).collect())).await.unwrap();
    // Frames are handled in order: once this message is accepted, the report is stored.
    shopper.send("c1", "hello").await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    // A second tab of the same visitor shares the allowance: 20 more earlier pages are refused.
    let mut tab = VisitorClient::connect(&t.base, "demo", None, Some(shopper.welcome.token.clone()), 0).await.unwrap();
    tab.socket.send(&report(200, (20..40).map(page).collect())).await.unwrap();
    let refused = tab.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap();
    assert!(matches!(refused, ServerFrame::Error { code: ErrorCode::RateLimited, .. }), "{refused:?}");
    let state = t.relay.state();
    let context = state.store.visitor_context(&shopper.welcome.visitor_id).await.unwrap();
    assert_eq!(context.pages.first().map(|p| p.url.as_str()), Some("https://shop.example/p/100"));
    let exported = state.store.export_visitor(&shopper.welcome.visitor_id).await.unwrap();
    assert_eq!(exported["pages"].as_array().unwrap().len(), 20, "a visitor keeps their latest 20 pages");
    t.stop().await;
}

#[tokio::test]
async fn faq_fields_are_bounded_over_http_too() {
    let t = TestRelay::start().await;
    let cookie = cookie_of(&t, "demo", "Fay", "admin").await;
    let headers = [("Origin", t.base.as_str()), ("Cookie", cookie.as_str())];
    let huge = json!({ "id": "big", "question": "Q?", "answer": "A.", "category": "c".repeat(1_000_000) });
    let refused = http_request(&t.base, "POST", "/api/stores/demo/faq/articles", &headers, Some(&huge)).await.unwrap();
    assert_eq!((refused.status, code(&refused).as_str()), (400, "invalid_value"));
    assert!(refused.text().contains("category"), "{}", refused.text());
    let tags = json!({ "id": "tags", "question": "Q?", "answer": "A.", "tags": vec!["t".repeat(1000); 900] });
    let refused = http_request(&t.base, "POST", "/api/stores/demo/faq/articles", &headers, Some(&tags)).await.unwrap();
    assert_eq!(refused.status, 400);
    t.stop().await;
}

#[tokio::test]
async fn a_cookie_with_another_authorization_scheme_is_still_checked_for_its_origin() {
    let t = TestRelay::start().await;
    let cookie = cookie_of(&t, "demo", "Gil", "admin").await;
    let canned = json!({ "shortcut": "pwned", "text": "hi" });
    for authorization in ["Basic Zm9vOmJhcg==", "Bearer ", "Negotiate abc"] {
        let headers =
            [("Origin", "https://evil.example"), ("Cookie", cookie.as_str()), ("Authorization", authorization)];
        let refused = http_request(&t.base, "POST", "/api/stores/demo/canned", &headers, Some(&canned)).await.unwrap();
        assert_eq!(refused.status, 403, "{authorization}: {}", refused.text());
    }
    // The relay's own host under another scheme is another origin.
    let other_scheme = t.base.replace("http://", "https://");
    let headers = [("Origin", other_scheme.as_str()), ("Cookie", cookie.as_str())];
    let refused = http_request(&t.base, "POST", "/api/stores/demo/canned", &headers, Some(&canned)).await.unwrap();
    assert_eq!(refused.status, 403);
    t.stop().await;
}

#[tokio::test]
async fn a_question_counts_once_per_asker_and_day() {
    let t = behind_a_proxy(|_| {}).await;
    let search = |from: &'static str| {
        let base = t.base.clone();
        async move {
            let path = "/api/stores/demo/faq/search?q=do%20you%20sell%20unicorn%20saddles%20";
            http_request(&base, "GET", path, &[("X-Forwarded-For", from)], None).await.unwrap()
        }
    };
    for _ in 0..5 {
        assert_eq!(search("198.51.100.7").await.status, 200);
    }
    assert_eq!(search("203.0.113.2").await.status, 200);
    let store = t.relay.state().store.store_by_key("demo").await.unwrap().unwrap();
    let top = t.relay.state().store.top_unanswered(store.id, 10).await.unwrap();
    assert_eq!(top.len(), 1, "{top:?}");
    assert_eq!(top[0].1, 2, "five searches from one address and one from another: {top:?}");
    // A store keeps only its most frequent questions, however many strangers invent.
    for i in 0..(relay::store::MAX_UNANSWERED + 20) {
        t.relay.state().store.record_unanswered(store.id, &format!("made up {i}"), "flood").await.unwrap();
    }
    let kept = t.relay.state().store.top_unanswered(store.id, 10_000).await.unwrap();
    assert_eq!(kept.len() as i64, relay::store::MAX_UNANSWERED);
    assert_eq!(kept[0].0, top[0].0, "the question real shoppers asked stays on top");
    t.stop().await;
}

#[tokio::test]
async fn a_long_message_is_answered_from_its_start() {
    let t = TestRelay::start().await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    let chatter = "blah ".repeat(790);
    shopper.send("c1", &format!("How do returns work? {chatter}")).await.unwrap();
    let answer = shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message, .. } if message.author.role == protocol::Role::Bot))
        .await
        .unwrap();
    let ServerFrame::Message { message, .. } = answer else { unreachable!() };
    assert!(message.text.contains("30 days"), "the returns article answers: {}", message.text);
    t.stop().await;
}

#[cfg(unix)]
#[tokio::test]
async fn an_unused_socket_keeps_its_sign_in_limit_by_address() {
    // The socket's login shares the limits with the console's sign-in.
    let t = TestRelay::start_with(|c| c.limits.sign_ins_per_address = n(2)).await;
    let url = format!("{}/ws/agent", parley::ws_base(&t.base));
    let mut socket = FrameSocket::connect(&url, None).await.unwrap();
    for i in 0..3 {
        let login =
            AgentFrame::Login { email: format!("x{i}@made.up"), password: "nope".into(), status: None, store: None };
        socket.send(&login).await.unwrap();
    }
    let mut codes = Vec::new();
    while codes.len() < 3 {
        if let ServerFrame::Error { code, .. } = socket.next_frame().await.unwrap() {
            codes.push(code);
        }
    }
    assert_eq!(codes, [ErrorCode::BadCredentials, ErrorCode::BadCredentials, ErrorCode::RateLimited]);
    t.stop().await;
}

#[tokio::test]
async fn emails_are_unique_per_store_so_no_store_learns_of_anothers_agents() {
    let t = TestRelay::start().await;
    t.add_store("other", &[]).await;
    let hash = relay::auth::hash_password("shared password");
    t.relay
        .state()
        .store
        .add_agent("other", "pat@example.test", "Pat", protocol::AgentRole::Agent, &hash)
        .await
        .unwrap();
    let admin = cookie_of(&t, "demo", "Ida", "owner").await;
    let headers = [("Origin", t.base.as_str()), ("Cookie", admin.as_str())];
    let pat = json!({ "email": "pat@example.test", "name": "Pat", "password": "shared password" });
    let added = http_request(&t.base, "POST", "/api/stores/demo/team", &headers, Some(&pat)).await.unwrap();
    assert_eq!(added.status, 201, "another store's agent is invisible here: {}", added.text());
    let again = http_request(&t.base, "POST", "/api/stores/demo/team", &headers, Some(&pat)).await.unwrap();
    assert_eq!((again.status, code(&again).as_str()), (409, "already_exists"), "unique within the store");

    // The same email and password open two stores: the relay asks which, then signs in there.
    let both = sign_in(&t, "pat@example.test", "shared password", "127.0.0.1").await;
    assert_eq!((both.status, code(&both).as_str()), (409, "store_required"));
    assert!(both.text().contains("demo") && both.text().contains("other"), "{}", both.text());
    let body = json!({ "email": "pat@example.test", "password": "shared password", "store": "other" });
    let chosen =
        http_request(&t.base, "POST", "/api/session", &[("Origin", t.base.as_str())], Some(&body)).await.unwrap();
    assert_eq!(chosen.status, 200, "{}", chosen.text());
    let me: Value = serde_json::from_slice(&chosen.body).unwrap();
    assert_eq!(me["store"]["key"], "other");
    assert_eq!(sign_in(&t, "pat@example.test", "wrong password", "127.0.0.1").await.status, 401);
    t.stop().await;
}

#[tokio::test]
async fn a_shopper_who_keeps_sending_after_being_told_to_wait_is_disconnected() {
    let t = TestRelay::start_with(|c| {
        c.limits.message_burst = n(2);
        c.limits.messages_per_minute = n(1);
    })
    .await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    for i in 0..40 {
        // The relay may close the socket before all are written.
        if shopper.send(&format!("m{i}"), "spam").await.is_err() {
            break;
        }
    }
    let closed = shopper.socket.wait_for_close().await.unwrap();
    assert_eq!(closed.map(|c| u16::from(c.code)), Some(1008));
    t.stop().await;
}

#[tokio::test]
async fn a_flood_of_new_connections_is_closed_before_any_request_is_read() {
    let t = TestRelay::start_with(|c| c.limits.new_connections_per_second = n(1)).await;
    let authority = t.base.trim_start_matches("http://").to_owned();
    let mut answered = 0;
    for _ in 0..20 {
        let mut tcp = tokio::net::TcpStream::connect(&authority).await.unwrap();
        let _ = tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        if String::from_utf8_lossy(&until_closed(&mut tcp).await).starts_with("HTTP/1.1 200") {
            answered += 1;
        }
    }
    // Ten seconds' worth at once, then one a second (a slow machine may see a few more).
    assert!((10..15).contains(&answered), "{answered} of 20 answered");
    t.stop().await;
}
