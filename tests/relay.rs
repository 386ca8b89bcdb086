//! The relay end to end over real WebSockets: a real relay on a free port with its own data dir,
//! real tokio-tungstenite clients speaking the public protocol.

mod common;

use common::TestRelay;
use parley::{AgentClient, Event, FrameSocket, VisitorClient};
use protocol::{AgentFrame, ErrorCode, Role, ServerFrame, VisitorFrame};
use tokio_tungstenite::tungstenite::Message as WsMessage;

fn is_message_with(text: &'static str) -> impl FnMut(&ServerFrame) -> bool {
    move |f| matches!(f, ServerFrame::Message { message } if message.text == text)
}

async fn error_code(socket: &mut FrameSocket) -> (ErrorCode, Option<String>) {
    match socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap() {
        ServerFrame::Error { code, client_id, .. } => (code, client_id),
        _ => unreachable!(),
    }
}

async fn accepted_seq(socket: &mut FrameSocket, client_id: &str) -> u64 {
    let frame =
        socket.wait_for(|f| matches!(f, ServerFrame::Accepted { client_id: c, .. } if c == client_id)).await.unwrap();
    match frame {
        ServerFrame::Accepted { seq, .. } => seq,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_shopper_message_reaches_the_agent_and_the_reply_comes_back() {
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Anna").await;
    let mut agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    assert_eq!(agent.store.key, "demo");

    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    assert_eq!(shopper.welcome.store.name, "Maison Demo");
    assert_eq!(shopper.welcome.conversation_id, None);
    let question = "Does the <b>M</b> size run small? & 尺码偏小吗";
    shopper.send("c1", question).await.unwrap();
    assert_eq!(accepted_seq(&mut shopper.socket, "c1").await, 1);

    let conversation = match agent.socket.wait_for(|f| matches!(f, ServerFrame::Conversation { .. })).await.unwrap() {
        ServerFrame::Conversation { conversation } => conversation,
        _ => unreachable!(),
    };
    assert_eq!(conversation.visitor_id, shopper.welcome.visitor_id);
    let received = match agent.socket.wait_for(|f| matches!(f, ServerFrame::Message { .. })).await.unwrap() {
        ServerFrame::Message { message } => message,
        _ => unreachable!(),
    };
    assert_eq!(received.text, question, "text arrives exactly as typed");
    assert_eq!(received.author.role, Role::Visitor);

    agent.send(conversation.id, "a1", "It runs true to size.").await.unwrap();
    assert_eq!(accepted_seq(&mut agent.socket, "a1").await, 2);
    let reply = match shopper.socket.wait_for(is_message_with("It runs true to size.")).await.unwrap() {
        ServerFrame::Message { message } => message,
        _ => unreachable!(),
    };
    assert_eq!(reply.author.role, Role::Agent);
    assert_eq!(reply.author.name.as_deref(), Some("Anna"));
    assert_eq!(reply.seq, 2);

    // The shopper reads it; the agent is told.
    shopper.socket.send(&VisitorFrame::Ack { seq: 2 }).await.unwrap();
    let read = agent.socket.wait_for(|f| matches!(f, ServerFrame::Read { .. })).await.unwrap();
    assert_eq!(read, ServerFrame::Read { conversation_id: conversation.id, seq: 2, by: Role::Visitor });
    t.stop().await;
}

#[tokio::test]
async fn a_reconnecting_shopper_gets_what_they_missed_once_and_resends_never_duplicate() {
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Ben").await;
    let mut agent = AgentClient::login(&t.base, &email, &password).await.unwrap();

    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("m1", "first").await.unwrap();
    assert_eq!(accepted_seq(&mut shopper.socket, "m1").await, 1);
    let token = shopper.welcome.token.clone();
    shopper.socket.close().await;

    // While the shopper is away the agent writes twice.
    let conversation_id = match agent.socket.wait_for(is_message_with("first")).await.unwrap() {
        ServerFrame::Message { message } => message.conversation_id,
        _ => unreachable!(),
    };
    agent.send(conversation_id, "r1", "reply one").await.unwrap();
    accepted_seq(&mut agent.socket, "r1").await;
    agent.send(conversation_id, "r2", "reply two").await.unwrap();
    accepted_seq(&mut agent.socket, "r2").await;

    let mut back = VisitorClient::connect(&t.base, "demo", None, Some(token), 1).await.unwrap();
    assert_eq!(back.welcome.visitor_id, shopper.welcome.visitor_id, "same visitor after reconnect");
    assert_eq!(back.welcome.conversation_id, Some(conversation_id));
    let missed = match back.socket.wait_for(|f| matches!(f, ServerFrame::History { .. })).await.unwrap() {
        ServerFrame::History { messages, more, .. } => {
            assert!(!more);
            messages
        }
        _ => unreachable!(),
    };
    let seqs: Vec<u64> = missed.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, vec![2, 3], "exactly the missed messages");
    assert_eq!(missed[1].text, "reply two");

    // The widget never saw "accepted" for m1 (say): it resends with the same client id.
    back.send("m1", "first").await.unwrap();
    assert_eq!(accepted_seq(&mut back.socket, "m1").await, 1, "the resend maps to the stored message");
    back.send("m2", "second").await.unwrap();
    assert_eq!(accepted_seq(&mut back.socket, "m2").await, 4);
    // The agent's next shopper message is "second": the resend was not delivered again.
    let from_shopper =
        |f: &ServerFrame| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Visitor);
    match agent.socket.wait_for(from_shopper).await.unwrap() {
        ServerFrame::Message { message } => assert_eq!((message.text.as_str(), message.seq), ("second", 4)),
        _ => unreachable!(),
    }

    // An agent reconnecting with its session token catches up with sync.
    let token = agent.session_token.clone();
    agent.socket.close().await;
    let mut agent = AgentClient::resume(&t.base, &token).await.unwrap();
    assert!(agent.conversations.iter().any(|c| c.id == conversation_id && c.last_seq == 4));
    agent.socket.send(&AgentFrame::Sync { conversation_id, after_seq: 2 }).await.unwrap();
    match agent.socket.wait_for(|f| matches!(f, ServerFrame::History { .. })).await.unwrap() {
        ServerFrame::History { messages, .. } => {
            assert_eq!(messages.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![3, 4])
        }
        _ => unreachable!(),
    }
    t.stop().await;
}

#[tokio::test]
async fn a_restart_on_the_same_data_dir_keeps_history_identities_and_sessions() {
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Chen").await;
    let agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let session = agent.session_token.clone();
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("k1", "Is the linen shirt in stock?").await.unwrap();
    accepted_seq(&mut shopper.socket, "k1").await;
    let token = shopper.welcome.token.clone();

    let (data, dir) = t.stop().await;
    let t = TestRelay::start_on(&data).await;

    let mut shopper = VisitorClient::connect(&t.base, "demo", None, Some(token), 0).await.unwrap();
    match shopper.socket.wait_for(|f| matches!(f, ServerFrame::History { .. })).await.unwrap() {
        ServerFrame::History { messages, .. } => {
            assert_eq!(messages.len(), 1);
            assert_eq!(messages[0].text, "Is the linen shirt in stock?");
        }
        _ => unreachable!(),
    }
    let agent = AgentClient::resume(&t.base, &session).await.unwrap();
    assert_eq!(agent.conversations.len(), 1, "the agent still sees the conversation");
    assert_eq!(agent.conversations[0].last_message.as_ref().unwrap().text, "Is the linen shirt in stock?");
    t.stop().await;
    drop(dir);
}

#[tokio::test]
async fn bad_frames_get_clear_errors_and_the_socket_keeps_working() {
    let t = TestRelay::start().await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    let s = &mut shopper.socket;

    s.send_text("{not json".into()).await.unwrap();
    assert_eq!(error_code(s).await.0, ErrorCode::Malformed);
    s.send_text(r#"{"type":"dance"}"#.into()).await.unwrap();
    assert_eq!(error_code(s).await.0, ErrorCode::UnknownType);
    s.send_text(r#"{"type":"send","text":"no id"}"#.into()).await.unwrap();
    assert_eq!(error_code(s).await.0, ErrorCode::Malformed);
    s.send_raw(WsMessage::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(error_code(s).await.0, ErrorCode::BinaryNotSupported);
    let oversized = format!(r#"{{"type":"send","client_id":"big","text":"{}"}}"#, "x".repeat(20_000));
    s.send_text(oversized).await.unwrap();
    assert_eq!(error_code(s).await.0, ErrorCode::FrameTooLarge);
    s.send_text("w".repeat(200_000)).await.unwrap();
    assert_eq!(error_code(s).await.0, ErrorCode::FrameTooLarge);
    let long = "y".repeat(protocol::MAX_TEXT_CHARS + 1);
    shopper.send("long", &long).await.unwrap();
    assert_eq!(error_code(&mut shopper.socket).await, (ErrorCode::TextTooLong, Some("long".into())));
    shopper.send("blank", "   ").await.unwrap();
    assert_eq!(error_code(&mut shopper.socket).await, (ErrorCode::EmptyText, Some("blank".into())));
    shopper.socket.send(&VisitorFrame::Hello { token: None, last_seq: 0, identity: None }).await.unwrap();
    assert_eq!(error_code(&mut shopper.socket).await.0, ErrorCode::AlreadyAuthenticated);

    // Still usable, and nothing refused was stored.
    shopper.send("ok", "still here").await.unwrap();
    assert_eq!(accepted_seq(&mut shopper.socket, "ok").await, 1);

    // A frame beyond what the relay reads at all ends the socket with 1009, and says why.
    let huge = "z".repeat(300_000);
    shopper.socket.send_text(huge).await.unwrap();
    let close = shopper.socket.wait_for_close().await.unwrap().expect("a close frame");
    assert_eq!(u16::from(close.code), 1009);

    // Frames before hello are refused; the relay is fine afterwards.
    let url = format!("{}/ws/visitor?store=demo", parley::ws_base(&t.base));
    let mut early = FrameSocket::connect(&url, None).await.unwrap();
    early.send(&VisitorFrame::Send { client_id: "x".into(), text: "hi".into() }).await.unwrap();
    assert_eq!(error_code(&mut early).await, (ErrorCode::NotAuthenticated, Some("x".into())));
    let mut again =
        VisitorClient::connect(&t.base, "demo", None, Some(shopper.welcome.token.clone()), 0).await.unwrap();
    match again.socket.wait_for(|f| matches!(f, ServerFrame::History { .. })).await.unwrap() {
        ServerFrame::History { messages, .. } => {
            // Nobody is online, so the bot answered too; the shopper's own message is there once.
            let mine: Vec<&str> =
                messages.iter().filter(|m| m.author.role == Role::Visitor).map(|m| m.text.as_str()).collect();
            assert_eq!(mine, ["still here"]);
        }
        _ => unreachable!(),
    }
    t.stop().await;
}

#[tokio::test]
async fn unknown_stores_foreign_origins_and_wrong_passwords_are_refused() {
    let t = TestRelay::start().await;
    t.add_store("shop", &["https://shop.example"]).await;
    let base = parley::ws_base(&t.base);

    let unknown = FrameSocket::connect(&format!("{base}/ws/visitor?store=nope"), None).await;
    assert!(format!("{:#}", unknown.err().unwrap()).contains("404"));
    let foreign = FrameSocket::connect(&format!("{base}/ws/visitor?store=shop"), Some("https://evil.example")).await;
    assert!(format!("{:#}", foreign.err().unwrap()).contains("403"));
    let allowed = VisitorClient::connect(&t.base, "shop", Some("https://shop.example"), None, 0).await;
    assert_eq!(allowed.unwrap().welcome.store.key, "shop");
    // The demo store allows the relay's own pages, whatever port it runs on.
    assert!(VisitorClient::connect(&t.base, "demo", Some(&t.base), None, 0).await.is_ok());
    let cross_site_agent = FrameSocket::connect(&format!("{base}/ws/agent"), Some("https://evil.example")).await;
    assert!(format!("{:#}", cross_site_agent.err().unwrap()).contains("403"));

    let (email, _) = t.add_agent("demo", "Dana").await;
    let err = AgentClient::login(&t.base, &email, "wrong password").await.err().unwrap();
    assert!(format!("{err:#}").contains("BadCredentials"), "{err:#}");
    let err = AgentClient::login(&t.base, "nobody@demo.test", "whatever1").await.err().unwrap();
    assert!(format!("{err:#}").contains("BadCredentials"), "{err:#}");
    let err = AgentClient::resume(&t.base, "forged-session-token").await.err().unwrap();
    assert!(format!("{err:#}").contains("BadCredentials"), "{err:#}");

    // Guessing on one socket ends it after five tries.
    let (gil, gil_password) = t.add_agent("demo", "Gil").await;
    let mut guesser = FrameSocket::connect(&format!("{base}/ws/agent"), None).await.unwrap();
    for attempt in 0..5 {
        let login =
            AgentFrame::Login { email: gil.clone(), password: format!("guess {attempt}"), status: None, store: None };
        guesser.send(&login).await.unwrap();
        assert_eq!(error_code(&mut guesser).await.0, ErrorCode::BadCredentials);
    }
    let close = guesser.wait_for_close().await.unwrap().expect("a close frame");
    assert_eq!(u16::from(close.code), 1008);
    // A new socket does not reset the count: the account takes one attempt a minute now, and
    // even the right password waits its turn, with the wait told.
    let mut again = FrameSocket::connect(&format!("{base}/ws/agent"), None).await.unwrap();
    again
        .send(&AgentFrame::Login { email: gil.to_uppercase(), password: gil_password, status: None, store: None })
        .await
        .unwrap();
    match again.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap() {
        ServerFrame::Error { code, retry_after_ms, .. } => {
            assert_eq!(code, ErrorCode::RateLimited);
            assert!(retry_after_ms.is_some_and(|ms| ms > 1000), "{retry_after_ms:?}");
        }
        _ => unreachable!(),
    }
    t.stop().await;
}

#[tokio::test]
async fn shoppers_see_only_their_own_conversation_and_agents_only_their_store() {
    let t = TestRelay::start().await;
    t.add_store("other", &[]).await;
    let (demo_email, demo_pw) = t.add_agent("demo", "Eve").await;
    let (other_email, other_pw) = t.add_agent("other", "Finn").await;
    let mut demo_agent = AgentClient::login(&t.base, &demo_email, &demo_pw).await.unwrap();
    let mut other_agent = AgentClient::login(&t.base, &other_email, &other_pw).await.unwrap();

    let mut alice = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    let mut bob = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    alice.send("a", "alice's secret address").await.unwrap();
    accepted_seq(&mut alice.socket, "a").await;
    let alice_conversation = match demo_agent.socket.wait_for(is_message_with("alice's secret address")).await.unwrap()
    {
        ServerFrame::Message { message } => message.conversation_id,
        _ => unreachable!(),
    };
    demo_agent.send(alice_conversation, "r", "for alice only").await.unwrap();
    alice.socket.wait_for(is_message_with("for alice only")).await.unwrap();

    // Bob talks too; the first message he receives is his own, never Alice's.
    bob.send("b", "bob here").await.unwrap();
    match bob.socket.wait_for(|f| matches!(f, ServerFrame::Message { .. })).await.unwrap() {
        ServerFrame::Message { message } => {
            assert_eq!(message.text, "bob here");
            assert_ne!(message.conversation_id, alice_conversation);
        }
        _ => unreachable!(),
    }

    // A forged token (Bob's signature on Alice's id) gets a fresh identity, not Alice's.
    let forged = bob.welcome.token.replace(&bob.welcome.visitor_id, &alice.welcome.visitor_id);
    let mut mallory =
        FrameSocket::connect(&format!("{}/ws/visitor?store=demo", parley::ws_base(&t.base)), None).await.unwrap();
    mallory.send(&VisitorFrame::Hello { token: Some(forged), last_seq: 0, identity: None }).await.unwrap();
    assert_eq!(error_code(&mut mallory).await.0, ErrorCode::BadToken);
    match mallory.wait_for(|f| matches!(f, ServerFrame::VisitorWelcome { .. })).await.unwrap() {
        ServerFrame::VisitorWelcome { visitor_id, conversation_id, .. } => {
            assert_ne!(visitor_id, alice.welcome.visitor_id);
            assert_eq!(conversation_id, None);
        }
        _ => unreachable!(),
    }
    // A token of the demo store is worthless at another store.
    let elsewhere = VisitorClient::connect(&t.base, "other", None, Some(alice.welcome.token.clone()), 0).await.unwrap();
    assert_ne!(elsewhere.welcome.visitor_id, alice.welcome.visitor_id);

    // The other store's agent saw nothing of this, and cannot reach it by id.
    assert!(other_agent.conversations.is_empty());
    other_agent.socket.send(&AgentFrame::Sync { conversation_id: alice_conversation, after_seq: 0 }).await.unwrap();
    assert_eq!(error_code(&mut other_agent.socket).await.0, ErrorCode::NotFound);
    other_agent.send(alice_conversation, "x", "hello?").await.unwrap();
    assert_eq!(error_code(&mut other_agent.socket).await, (ErrorCode::NotFound, Some("x".into())));
    // Had any demo frame reached the other agent, it would be the first thing it reads now.
    other_agent.socket.send_text(r#"{"type":"ack","conversation_id":-1,"seq":1}"#.into()).await.unwrap();
    match other_agent.socket.next_event().await.unwrap() {
        Event::Frame(ServerFrame::Error { code, .. }) => assert_eq!(code, ErrorCode::NotFound),
        other => panic!("the other store's agent received {other:?}"),
    }
    t.stop().await;
}
