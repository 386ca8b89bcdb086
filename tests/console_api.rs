//! The console's HTTP API and cookie session against a real relay: who may call what, store
//! isolation, cross-site refusals, sign-in throttling, and the socket that resumes from the
//! cookie.

mod common;

use common::console::{code, signed_in, Console};
use common::{http_request, http_request_raw, TestRelay};
use parley::{ws_base, AgentClient, FrameSocket, VisitorClient};
use protocol::{AgentFrame, ErrorCode, ServerFrame};
use serde_json::{json, Value};

/// Every endpoint only owners and admins may use, with a body that would be acceptable.
fn admin_endpoints() -> Vec<(&'static str, String, Option<Value>)> {
    let settings = json!({ "name": "X", "colour": "#000000", "position": "left", "greeting": null,
                           "first_reply_secs": 60, "hours": null, "timezone": "UTC", "origins": ["self"] });
    vec![
        (
            "POST",
            "/api/stores/demo/team".into(),
            Some(json!({ "email": "new@demo.test", "name": "New", "password": "long enough" })),
        ),
        ("PATCH", "/api/stores/demo/team/1".into(), Some(json!({ "capacity": 3 }))),
        ("PUT", "/api/stores/demo/settings".into(), Some(settings)),
        ("POST", "/api/stores/demo/canned".into(), Some(json!({ "shortcut": "hi", "text": "Hello!" }))),
        ("PUT", "/api/stores/demo/canned/1".into(), Some(json!({ "shortcut": "hi", "text": "Hello!" }))),
        ("DELETE", "/api/stores/demo/canned/1".into(), None),
        ("POST", "/api/stores/demo/faq/articles".into(), Some(json!({ "id": "x", "question": "Q?", "answer": "A." }))),
        ("PUT", "/api/stores/demo/faq/articles/x".into(), Some(json!({ "question": "Q?", "answer": "A." }))),
        ("DELETE", "/api/stores/demo/faq/articles/x".into(), None),
        ("GET", "/api/stores/demo/faq/unanswered".into(), None),
        ("GET", "/api/stores/demo/faq/feedback".into(), None),
        ("GET", "/api/stores/demo/integrations".into(), None),
        ("PUT", "/api/stores/demo/integrations".into(), Some(json!({ "bot_answers_orders": true }))),
        ("GET", "/api/stores/demo/bot/rules".into(), None),
        (
            "POST",
            "/api/stores/demo/bot/rules".into(),
            Some(json!({ "match": "exact", "pattern": "hi", "reply": "Hello!" })),
        ),
        (
            "PUT",
            "/api/stores/demo/bot/rules/1".into(),
            Some(json!({ "match": "exact", "pattern": "hi", "reply": "Hi!" })),
        ),
        ("DELETE", "/api/stores/demo/bot/rules/1".into(), None),
        ("PUT", "/api/stores/demo/bot/rules/order".into(), Some(json!({ "ids": [] }))),
        ("POST", "/api/stores/demo/bot/test".into(), Some(json!({ "text": "hi" }))),
        ("GET", "/api/stores/demo/webhooks".into(), None),
        (
            "POST",
            "/api/stores/demo/webhooks".into(),
            Some(json!({ "url": "https://hooks.example.com/x", "events": ["message.created"] })),
        ),
        ("DELETE", "/api/stores/demo/webhooks/1".into(), None),
    ]
}

/// What any agent of the store may read.
fn staff_endpoints() -> Vec<&'static str> {
    vec![
        "/api/session",
        "/api/stores/demo/team",
        "/api/stores/demo/settings",
        "/api/stores/demo/canned",
        "/api/stores/demo/conversations?state=closed",
        "/api/stores/demo/conversations/1/context",
    ]
}

#[tokio::test]
async fn admin_endpoints_answer_403_to_agents_and_401_without_a_session() {
    let t = TestRelay::start().await;
    let agent = signed_in(&t, "demo", "Plain", "agent").await;
    let nobody = Console::new(&t.base);
    for (method, path, body) in admin_endpoints() {
        let response = agent.call(method, &path, body.clone()).await.unwrap();
        assert_eq!((response.status, code(&response)), (403, "forbidden".into()), "{method} {path} as an agent");
        let response = nobody.call(method, &path, body).await.unwrap();
        assert_eq!(response.status, 401, "{method} {path} without a session");
    }
    for path in staff_endpoints() {
        let response = nobody.call("GET", path, None).await.unwrap();
        assert_eq!((response.status, code(&response)), (401, "not_authenticated".into()), "GET {path}");
    }
    // Agents may read what they work with.
    for path in ["/api/stores/demo/team", "/api/stores/demo/settings", "/api/stores/demo/canned"] {
        assert_eq!(agent.call("GET", path, None).await.unwrap().status, 200, "GET {path} as an agent");
    }
    // And owners may do what agents may not.
    let owner = signed_in(&t, "demo", "Owner", "owner").await;
    for (method, path, body) in admin_endpoints() {
        let response = owner.call(method, &path, body).await.unwrap();
        assert!(
            response.status < 400 || response.status == 404 || response.status == 409,
            "{method} {path}: {}",
            response.text()
        );
    }
}

#[tokio::test]
async fn a_session_of_one_store_gets_nothing_of_another() {
    let t = TestRelay::start().await;
    t.add_store("other", &["self"]).await;
    // A conversation in store "other".
    let mut shopper = VisitorClient::connect(&t.base, "other", None, None, 0).await.unwrap();
    shopper.send("q1", "hello from the other store").await.unwrap();
    let other_id = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    let ServerFrame::Accepted { conversation_id, .. } = other_id else { unreachable!() };

    let owner = signed_in(&t, "demo", "Owner", "owner").await;
    for path in staff_endpoints().into_iter().skip(1) {
        let path = path.replace("/demo/", "/other/");
        let response = owner.call("GET", &path, None).await.unwrap();
        assert_eq!((response.status, code(&response)), (404, "unknown_store".into()), "GET {path}");
    }
    for (method, path, body) in admin_endpoints() {
        let path = path.replace("/demo/", "/other/");
        let response = owner.call(method, &path, body).await.unwrap();
        assert_eq!(response.status, 404, "{method} {path}");
    }
    // Through its own store's key, another store's conversation does not exist either.
    let path = format!("/api/stores/demo/conversations/{conversation_id}/context");
    assert_eq!(owner.call("GET", &path, None).await.unwrap().status, 404);
    // Nor can the team page reach another store's agent.
    let (other_email, _) = t.add_agent_as("other", "Elsewhere", "agent").await;
    let other_agent = t.relay.state().store.agents_by_email(&other_email).await.unwrap().remove(0);
    let path = format!("/api/stores/demo/team/{}", other_agent.id);
    let response = owner.call("PATCH", &path, Some(json!({ "active": false }))).await.unwrap();
    assert_eq!(response.status, 404);
    let list = owner.call("GET", "/api/stores/demo/conversations?state=open", None).await.unwrap();
    assert!(!list.text().contains("other store"), "{}", list.text());
}

#[tokio::test]
async fn cross_site_requests_with_the_cookie_are_refused() {
    let t = TestRelay::start().await;
    let owner = signed_in(&t, "demo", "Owner", "owner").await;
    let cookie = format!("parley_session={}", owner.cookie.clone().unwrap());
    let body = json!({ "shortcut": "evil", "text": "Send your card number" });
    let attempts: Vec<Vec<(&str, &str)>> = vec![
        vec![("Cookie", &cookie)],
        vec![("Cookie", &cookie), ("Origin", "https://evil.example")],
        vec![("Cookie", &cookie), ("Origin", &t.base), ("Sec-Fetch-Site", "cross-site")],
        vec![("Cookie", &cookie), ("Origin", "null")],
    ];
    for headers in attempts {
        let response = http_request(&t.base, "POST", "/api/stores/demo/canned", &headers, Some(&body)).await.unwrap();
        assert_eq!((response.status, code(&response)), (403, "origin_not_allowed".into()), "{headers:?}");
    }
    // Signing in from another site is refused too (login CSRF).
    let (email, password) = t.add_agent_as("demo", "Victim", "agent").await;
    let login = json!({ "email": email, "password": password });
    let response = http_request(&t.base, "POST", "/api/session", &[("Origin", "https://evil.example")], Some(&login))
        .await
        .unwrap();
    assert_eq!(response.status, 403);
    assert!(response.header("set-cookie").is_none());
    // Nothing was created; the same request from the console itself works.
    let list = owner.call("GET", "/api/stores/demo/canned", None).await.unwrap();
    assert_eq!(list.text(), "[]");
    let response = owner.call("POST", "/api/stores/demo/canned", Some(body)).await.unwrap();
    assert_eq!(response.status, 201, "{}", response.text());
    // A bearer token is never sent by a browser on its own: no origin needed.
    let agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let bearer = format!("Bearer {}", agent.session_token);
    let response =
        http_request(&t.base, "GET", "/api/stores/demo/canned", &[("Authorization", &bearer)], None).await.unwrap();
    assert_eq!(response.status, 200);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_strict_and_ends_on_the_server_at_sign_out() {
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent_as("demo", "Ada", "admin").await;
    let mut console = Console::new(&t.base);
    let response = console.sign_in(&email, &password).await.unwrap();
    let set = response.header("set-cookie").unwrap().to_owned();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(set.contains(part), "{set}");
    }
    assert!(!set.contains("Secure"), "plain http cannot carry a Secure cookie: {set}");
    let me: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!((me["agent"]["role"].as_str(), me["store"]["key"].as_str()), (Some("admin"), Some("demo")));
    let body = json!({ "email": email, "password": password });
    // Behind a TLS proxy the console's page is https, and so is its Origin.
    let https_origin = t.base.replace("http://", "https://");
    let https = [("Origin", https_origin.as_str()), ("X-Forwarded-Proto", "https")];
    let response = http_request(&t.base, "POST", "/api/session", &https, Some(&body)).await.unwrap();
    assert!(response.header("set-cookie").unwrap().contains("; Secure"));

    assert_eq!(console.call("GET", "/api/session", None).await.unwrap().status, 200);
    let response = console.call("DELETE", "/api/session", None).await.unwrap();
    assert_eq!(response.status, 204);
    assert!(response.header("set-cookie").unwrap().contains("Max-Age=0"));
    // The old cookie no longer works, even if a browser kept it.
    assert_eq!(console.call("GET", "/api/session", None).await.unwrap().status, 401);
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_account_even_with_the_right_password() {
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent_as("demo", "Target", "agent").await;
    let mut console = Console::new(&t.base);
    for _ in 0..5 {
        let response = console.sign_in(&email, "guess").await.unwrap();
        assert_eq!((response.status, code(&response)), (401, "bad_credentials".into()));
    }
    let response = console.sign_in(&email, &password).await.unwrap();
    assert_eq!((response.status, code(&response)), (429, "rate_limited".into()));
    assert!(response.header("retry-after").is_some_and(|s| s.parse::<u64>().unwrap() >= 1));
    assert!(response.header("set-cookie").is_none());
    // The socket shares the limit: spreading guesses over both gains nothing.
    let socket = AgentClient::login(&t.base, &email, &password).await;
    assert!(socket.is_err(), "the socket's login ignored the limit");
    // Other accounts are not affected.
    signed_in(&t, "demo", "Bystander", "agent").await;
}

#[tokio::test]
async fn the_agent_socket_resumes_from_the_cookie_and_never_shows_the_token() {
    let t = TestRelay::start().await;
    let console = signed_in(&t, "demo", "Cookie", "agent").await;
    let url = format!("{}/ws/agent", ws_base(&t.base));
    let cookie = format!("parley_session={}", console.cookie.clone().unwrap());
    let mut socket =
        FrameSocket::connect_with_headers(&url, &[("Origin", &t.base), ("Cookie", &cookie)]).await.unwrap();
    socket.send(&AgentFrame::Resume { token: String::new(), status: None }).await.unwrap();
    let welcome = socket.wait_for(|f| matches!(f, ServerFrame::AgentWelcome { .. })).await.unwrap();
    let ServerFrame::AgentWelcome { agent, session_token, .. } = welcome else { unreachable!() };
    assert_eq!((agent.name.as_str(), session_token.as_str()), ("Cookie", ""));

    // Without a cookie, a token-less resume is refused.
    let mut bare = FrameSocket::connect(&url, None).await.unwrap();
    bare.send(&AgentFrame::Resume { token: String::new(), status: None }).await.unwrap();
    let refused = bare.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap();
    assert!(matches!(refused, ServerFrame::Error { code: ErrorCode::BadCredentials, .. }), "{refused:?}");
    // From another site's page, the socket is not even opened.
    let foreign =
        FrameSocket::connect_with_headers(&url, &[("Origin", "https://evil.example"), ("Cookie", &cookie)]).await;
    assert!(foreign.is_err());
    // Signing out over HTTP closes the sockets of that session.
    assert_eq!(console.call("DELETE", "/api/session", None).await.unwrap().status, 204);
    let close = socket.wait_for_close().await.unwrap();
    assert_eq!(close.map(|c| u16::from(c.code)), Some(1000));
}

#[tokio::test]
async fn admins_manage_the_team_and_settings_and_the_relay_checks_every_value() {
    let t = TestRelay::start().await;
    let admin = signed_in(&t, "demo", "Admin", "admin").await;
    // Adding an agent; they can sign in; deactivating them ends their session.
    let response = admin
        .call(
            "POST",
            "/api/stores/demo/team",
            Some(json!({ "email": "new@demo.test", "name": "Newcomer", "password": "longer than 8", "capacity": 3 })),
        )
        .await
        .unwrap();
    assert_eq!(response.status, 201, "{}", response.text());
    let member: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!((member["role"].as_str(), member["capacity"].as_u64()), (Some("agent"), Some(3)));
    let mut newcomer = Console::new(&t.base);
    assert_eq!(newcomer.sign_in("new@demo.test", "longer than 8").await.unwrap().status, 200);
    let path = format!("/api/stores/demo/team/{}", member["id"]);
    // A new password set by an admin ends the old sessions; too short is refused.
    let short = admin.call("PATCH", &path, Some(json!({ "password": "short" }))).await.unwrap();
    assert_eq!(short.status, 400);
    let reset = admin.call("PATCH", &path, Some(json!({ "password": "a fresh secret" }))).await.unwrap();
    assert_eq!(reset.status, 200, "{}", reset.text());
    assert_eq!(newcomer.call("GET", "/api/session", None).await.unwrap().status, 401);
    assert_eq!(newcomer.sign_in("new@demo.test", "longer than 8").await.unwrap().status, 401);
    assert_eq!(newcomer.sign_in("new@demo.test", "a fresh secret").await.unwrap().status, 200);
    let mut live = AgentClient::login(&t.base, "new@demo.test", "a fresh secret").await.unwrap();
    assert_eq!(admin.call("PATCH", &path, Some(json!({ "active": false }))).await.unwrap().status, 200);
    // Their open socket is closed too, not only their sessions.
    let close = live.socket.wait_for_close().await.unwrap();
    assert_eq!(close.map(|c| u16::from(c.code)), Some(1008));
    assert_eq!(newcomer.call("GET", "/api/session", None).await.unwrap().status, 401);
    assert_eq!(newcomer.sign_in("new@demo.test", "a fresh secret").await.unwrap().status, 401);
    // Admins cannot make owners, nor demote themselves.
    let response = admin.call("PATCH", &path, Some(json!({ "role": "owner" }))).await.unwrap();
    assert_eq!(response.status, 403);
    let me: Value = serde_json::from_slice(&admin.call("GET", "/api/session", None).await.unwrap().body).unwrap();
    let own = format!("/api/stores/demo/team/{}", me["agent"]["id"]);
    assert_eq!(admin.call("PATCH", &own, Some(json!({ "role": "agent" }))).await.unwrap().status, 403);

    // Settings: bad values are named; good ones reach the widget.
    let mut settings: Value =
        serde_json::from_slice(&admin.call("GET", "/api/stores/demo/settings", None).await.unwrap().body).unwrap();
    for (field, bad) in [
        ("colour", json!("red;background:url(x)")),
        ("position", json!("top")),
        ("timezone", json!("Mars/Base")),
        ("first_reply_secs", json!(0)),
        ("origins", json!(["ftp://x"])),
    ] {
        let mut wrong = settings.clone();
        wrong[field] = bad;
        let response = admin.call("PUT", "/api/stores/demo/settings", Some(wrong)).await.unwrap();
        assert_eq!((response.status, code(&response)), (400, "invalid_value".into()), "{field}: {}", response.text());
    }
    settings["colour"] = json!("#0A7D5A");
    settings["position"] = json!("left");
    settings["greeting"] = json!("Bonjour ! Ask us anything.");
    let response = admin.call("PUT", "/api/stores/demo/settings", Some(settings)).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    let widget = http_request(&t.base, "GET", "/api/stores/demo/widget", &[("Origin", &t.base)], None).await.unwrap();
    let widget: Value = serde_json::from_slice(&widget.body).unwrap();
    assert_eq!(
        (widget["colour"].as_str(), widget["position"].as_str(), widget["greeting"].as_str()),
        (Some("#0a7d5a"), Some("left"), Some("Bonjour ! Ask us anything."))
    );
}

#[tokio::test]
async fn notes_reach_agents_only_and_a_closed_conversation_can_be_reopened() {
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Grace").await;
    let mut agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("q1", "Where is my parcel?").await.unwrap();
    let frame = agent.socket.wait_for(|f| matches!(f, ServerFrame::Conversation { .. })).await.unwrap();
    let ServerFrame::Conversation { conversation } = frame else { unreachable!() };
    let id = conversation.id;

    let note = AgentFrame::Note { conversation_id: id, client_id: "n1".into(), text: "Parcel lost; refund".into() };
    agent.socket.send(&note).await.unwrap();
    agent.socket.send(&note).await.unwrap();
    let first = agent.socket.wait_for(|f| matches!(f, ServerFrame::Note { .. })).await.unwrap();
    let second = agent.socket.wait_for(|f| matches!(f, ServerFrame::Note { .. })).await.unwrap();
    assert_eq!(first, second, "a resent note is the same note");
    assert_eq!(t.relay.state().store.notes(id).await.unwrap().len(), 1);

    agent.socket.send(&AgentFrame::Close { conversation_id: id, question: None, resolved: None }).await.unwrap();
    let closed = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Closed { .. })).await.unwrap();
    assert!(matches!(closed, ServerFrame::Closed { conversation_id, .. } if conversation_id == id));
    agent.socket.send(&AgentFrame::Reopen { conversation_id: id }).await.unwrap();
    let assigned = agent
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Assignment { conversation_id, .. } if *conversation_id == id))
        .await
        .unwrap();
    assert!(matches!(assigned, ServerFrame::Assignment { agent_id: Some(a), .. } if a == agent.agent.id));
    // The shopper's next message lands in the reopened conversation.
    shopper.send("q2", "Any news?").await.unwrap();
    let accepted = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    assert!(matches!(accepted, ServerFrame::Accepted { conversation_id, .. } if conversation_id == id));
    // Everything the shopper ever received, history included, is free of the note.
    let mut again =
        VisitorClient::connect(&t.base, "demo", None, Some(shopper.welcome.token.clone()), 0).await.unwrap();
    again.socket.send(&protocol::VisitorFrame::Sync { after_seq: 0 }).await.unwrap();
    let history = again.socket.wait_for(|f| matches!(f, ServerFrame::History { .. })).await.unwrap();
    assert!(!protocol::encode(&history).contains("refund"));

    // Closed again, and the shopper starts a new one: the old one cannot be reopened.
    agent.socket.send(&AgentFrame::Close { conversation_id: id, question: None, resolved: None }).await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Closed { .. })).await.unwrap();
    shopper.send("q3", "One more thing").await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    agent.socket.send(&AgentFrame::Reopen { conversation_id: id }).await.unwrap();
    let refused = agent.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap();
    assert!(matches!(refused, ServerFrame::Error { code: ErrorCode::AlreadyExists, .. }), "{refused:?}");
}

#[tokio::test]
async fn malformed_request_bodies_get_a_json_error_not_a_crash() {
    let t = TestRelay::start().await;
    let owner = signed_in(&t, "demo", "Owner", "owner").await;
    let cookie = format!("parley_session={}", owner.cookie.clone().unwrap());
    let same_site = [("Origin", t.base.as_str()), ("Cookie", cookie.as_str())];
    // Not JSON at all, with the JSON content type.
    let answer =
        http_request_raw(&t.base, "POST", "/api/stores/demo/canned", &same_site, Some("{not json")).await.unwrap();
    assert_eq!((answer.status, code(&answer)), (400, "malformed".into()), "{}", answer.text());
    // JSON, but a field of the wrong kind.
    let response =
        owner.call("POST", "/api/stores/demo/canned", Some(json!({ "shortcut": 5, "text": "x" }))).await.unwrap();
    assert_eq!((response.status, code(&response)), (422, "malformed".into()), "{}", response.text());
    // The same endpoint still works with a proper body.
    let response =
        owner.call("POST", "/api/stores/demo/canned", Some(json!({ "shortcut": "ok", "text": "Fine" }))).await.unwrap();
    assert_eq!(response.status, 201);
}
