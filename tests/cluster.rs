//! Several relays as one (issue 16): nodes on one PostgreSQL database and one NATS server,
//! as `cargo xtask cluster` runs them. What one node writes or signs, another reads and
//! accepts: console sessions, visitor tokens, store settings, the FAQ, a conversation's
//! messages. A routing command a node cannot read (another version's) is refused at once.
//! Real PostgreSQL and NATS servers on free ports.

mod common;

use std::time::{Duration, Instant};

use common::console::Console;
use common::nats::Nats;
use common::postgres::Postgres;
use common::{http_request, TestRelay};
use parley::{AgentClient, VisitorClient};
use protocol::ServerFrame;
use serde_json::{json, Value};

/// A PostgreSQL database, a NATS server and relays on both.
struct Cluster {
    nodes: Vec<TestRelay>,
    _nats: Nats,
    _postgres: Postgres,
    _jetstream: tempfile::TempDir,
}

impl Cluster {
    async fn start(size: usize) -> Cluster {
        let jetstream = tempfile::tempdir().unwrap();
        let (postgres, nats) = (Postgres::start(), Nats::start_with_jetstream(jetstream.path()));
        let mut cluster = Cluster { nodes: Vec::new(), _nats: nats, _postgres: postgres, _jetstream: jetstream };
        for _ in 0..size {
            cluster.add_node().await;
        }
        cluster
    }

    /// Starts one more node.
    async fn add_node(&mut self) -> &TestRelay {
        let (database, bus) = (self._postgres.url(), self._nats.url());
        let node = TestRelay::start_with(move |config| {
            config.database_url = Some(database);
            config.nats_url = Some(bus);
        })
        .await;
        self.nodes.push(node);
        self.nodes.last().unwrap()
    }

    async fn stop(self) {
        for node in self.nodes {
            node.stop().await;
        }
    }
}

/// Asks `read` until it gives `wanted` (another node applies changes within its refresh
/// period); returns how long that took, or fails after 10 s.
async fn until<F, Fut>(what: &str, mut read: F, wanted: impl Fn(&Value) -> bool) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    let start = Instant::now();
    loop {
        let value = read().await;
        if wanted(&value) {
            return start.elapsed();
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{what}: still {value}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn sessions_tokens_settings_and_the_faq_are_the_same_on_every_node() {
    let cluster = Cluster::start(2).await;
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let (email, password) = a.add_agent_as("demo", "Olga", "admin").await;

    // A console session made on node A is valid on node B.
    let mut on_a = Console::new(&a.base);
    assert_eq!(on_a.sign_in(&email, &password).await.unwrap().status, 200);
    let on_b = Console { base: b.base.clone(), cookie: on_a.cookie.clone() };
    let session = on_b.call("GET", "/api/session", None).await.unwrap();
    assert_eq!(session.status, 200, "the session cookie works on the other node: {}", session.text());

    // A setting saved on node A reaches the widget served by node B.
    let mut settings: Value =
        serde_json::from_slice(&on_a.call("GET", "/api/stores/demo/settings", None).await.unwrap().body).unwrap();
    settings["greeting"] = json!("Hello from every node");
    assert_eq!(on_a.call("PUT", "/api/stores/demo/settings", Some(settings)).await.unwrap().status, 200);
    let widget = || async {
        let response = http_request(&b.base, "GET", "/api/stores/demo/widget", &[("Origin", &b.base)], None).await;
        serde_json::from_slice(&response.unwrap().body).unwrap_or(Value::Null)
    };
    let took = until("the greeting on node B", widget, |w| w["greeting"] == "Hello from every node").await;
    eprintln!("a setting reached the other node in {took:?}");

    // An article saved on node A is found by node B's search.
    let article = json!({"id": "gift", "question": "Do you sell gift cards?", "answer": "Yes, from 10 euros.", "category": "Payment"});
    assert_eq!(on_a.call("POST", "/api/stores/demo/faq/articles", Some(article)).await.unwrap().status, 201);
    let search = || async {
        let response = http_request(&b.base, "GET", "/api/stores/demo/faq/search?q=gift%20cards", &[], None).await;
        serde_json::from_slice(&response.unwrap().body).unwrap_or(Value::Null)
    };
    let took = until("the article on node B", search, |hits| hits[0]["id"] == "gift").await;
    eprintln!("an article reached the other node's index in {took:?}");

    // A shopper's token from node A is theirs on node B, with their conversation.
    let mut shopper = VisitorClient::connect(&a.base, "demo", None, None, 0).await.unwrap();
    shopper.send("c1", "Is the blue scarf wool?").await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    let token = shopper.welcome.token.clone();
    shopper.socket.close().await;
    let mut again = VisitorClient::connect(&b.base, "demo", None, Some(token), 0).await.unwrap();
    assert_eq!(again.welcome.visitor_id, shopper.welcome.visitor_id, "the same shopper on node B");
    assert!(again.welcome.conversation_id.is_some(), "with their open conversation");
    let history = |f: &ServerFrame| matches!(f, ServerFrame::History { messages, .. } if messages.iter().any(|m| m.text == "Is the blue scarf wool?"));
    again.socket.wait_for(history).await.expect("their message, resumed from seq 0");
    again.socket.close().await;
    cluster.stop().await;
}

#[tokio::test]
async fn a_shopper_on_one_node_and_an_agent_on_another_chat_as_on_one_relay() {
    use protocol::{AgentFrame, Role, VisitorFrame};
    let cluster = Cluster::start(2).await;
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let (email, password) = b.add_agent("demo", "Nadia").await;
    let mut agent = AgentClient::login(&b.base, &email, &password).await.unwrap();
    let nadia = agent.agent.id;

    // The shopper is on node A; the agent online on node B is given the conversation.
    let mut shopper = VisitorClient::connect(&a.base, "demo", None, None, 0).await.unwrap();
    shopper.send("c1", "Do you ship to Norway?").await.unwrap();
    let assigned = agent
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Assignment { agent_id: Some(id), .. } if *id == nadia))
        .await
        .expect("the agent on node B is assigned the conversation of the shopper on node A");
    let ServerFrame::Assignment { conversation_id, .. } = assigned else { unreachable!() };
    let joined = |f: &ServerFrame| matches!(f, ServerFrame::Attendance { .. });
    shopper.socket.wait_for(joined).await.expect("the shopper hears who joined");

    // Typing, a reply, and read marks cross the nodes both ways.
    agent.socket.send(&AgentFrame::Typing { conversation_id }).await.unwrap();
    let typing =
        |f: &ServerFrame| matches!(f, ServerFrame::Typing { by: Role::Agent, name: Some(n), .. } if n == "Nadia");
    shopper.socket.wait_for(typing).await.expect("the shopper sees the agent typing");
    agent.send(conversation_id, "a1", "Yes, in 3 to 5 days.").await.unwrap();
    let reply = shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.text == "Yes, in 3 to 5 days."))
        .await
        .expect("the reply reaches node A");
    let ServerFrame::Message { message } = reply else { unreachable!() };
    shopper.socket.send(&VisitorFrame::Ack { seq: message.seq }).await.unwrap();
    let read = |f: &ServerFrame| matches!(f, ServerFrame::Read { by: Role::Visitor, seq, .. } if *seq == message.seq);
    agent.socket.wait_for(read).await.expect("the agent sees the shopper read it");
    shopper.socket.send(&VisitorFrame::Typing).await.unwrap();
    let typing = |f: &ServerFrame| matches!(f, ServerFrame::Typing { by: Role::Visitor, .. });
    agent.socket.wait_for(typing).await.expect("the agent sees the shopper typing");
    shopper.send("c2", "Great, thanks").await.unwrap();
    let follow_up = |f: &ServerFrame| matches!(f, ServerFrame::Message { message } if message.text == "Great, thanks");
    agent.socket.wait_for(follow_up).await.expect("the follow-up reaches node B");
    shopper.socket.close().await;
    agent.socket.close().await;
    cluster.stop().await;
}

#[tokio::test]
async fn a_node_started_later_learns_who_is_online_from_the_desks_owner() {
    let mut cluster = Cluster::start(1).await;
    let a = &cluster.nodes[0];
    let (email, password) = a.add_agent_as("demo", "Nadia", "admin").await;
    let agent = AgentClient::login(&a.base, &email, &password).await.unwrap();
    // Nadia is online (the desk says so to her socket) before the new node exists.
    let mut socket = agent.socket;
    let online = |f: &ServerFrame| matches!(f, ServerFrame::Presence { status: protocol::AgentStatus::Online, .. });
    socket.wait_for(online).await.unwrap();

    let late = cluster.add_node().await;
    let mut console = Console::new(&late.base);
    assert_eq!(console.sign_in(&email, &password).await.unwrap().status, 200);
    let team = || async {
        let response = console.call("GET", "/api/stores/demo/team", None).await.unwrap();
        serde_json::from_slice(&response.body).unwrap_or(Value::Null)
    };
    let nadia_online = |team: &Value| {
        let members = team.as_array().cloned().unwrap_or_default();
        members.iter().any(|m| m["name"] == "Nadia" && m["status"] == "online")
    };
    until("Nadia online as the new node sees it", team, nadia_online).await;
    socket.close().await;
    cluster.stop().await;
}

#[tokio::test]
async fn visitors_now_lists_the_shoppers_on_every_node() {
    let cluster = Cluster::start(2).await;
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let (email, password) = a.add_agent_as("demo", "Olga", "admin").await;
    let mut console = Console::new(&a.base);
    assert_eq!(console.sign_in(&email, &password).await.unwrap().status, 200);
    let on_a = VisitorClient::connect(&a.base, "demo", None, None, 0).await.unwrap();
    let on_b = VisitorClient::connect(&b.base, "demo", None, None, 0).await.unwrap();

    let response = console.call("GET", "/api/stores/demo/visitors/live", None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    let listed: Value = serde_json::from_slice(&response.body).unwrap();
    let mut ids: Vec<&str> = listed.as_array().unwrap().iter().filter_map(|v| v["visitor_id"].as_str()).collect();
    ids.sort_unstable();
    let mut expected = [on_a.welcome.visitor_id.as_str(), on_b.welcome.visitor_id.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected, "the shopper on node B is listed by node A too");

    // An agent on node A may start a chat with the shopper on node B.
    let mut agent = AgentClient::login(&a.base, &email, &password).await.unwrap();
    let online = |f: &ServerFrame| matches!(f, ServerFrame::Presence { status: protocol::AgentStatus::Online, .. });
    agent.socket.wait_for(online).await.unwrap();
    let path = format!("/api/stores/demo/visitors/{}/chat", on_b.welcome.visitor_id);
    let started = console.call("POST", &path, Some(json!({"text": "Can I help you find a size?"}))).await.unwrap();
    assert_eq!(started.status, 201, "{}", started.text());
    let mut on_b = on_b;
    let opening = |f: &ServerFrame| matches!(f, ServerFrame::Message { message } if message.text == "Can I help you find a size?");
    on_b.socket.wait_for(opening).await.expect("the shopper on node B sees the agent's opening line");
    on_a.socket.close().await;
    on_b.socket.close().await;
    agent.socket.close().await;
    cluster.stop().await;
}

#[tokio::test]
async fn a_routing_command_the_desks_owner_cannot_read_is_refused_at_once() {
    use futures_util::StreamExt;
    let cluster = Cluster::start(1).await;
    let a = &cluster.nodes[0];
    let (email, password) = a.add_agent("demo", "Omar").await;
    let mut socket = AgentClient::login(&a.base, &email, &password).await.unwrap().socket;
    let online = |f: &ServerFrame| matches!(f, ServerFrame::Presence { status: protocol::AgentStatus::Online, .. });
    socket.wait_for(online).await.expect("node A holds the store's desk");
    let store = a.relay.state().store.store_by_key("demo").await.unwrap().unwrap().id;

    // A relay of another version asks the owner something this build does not know (as in a
    // rolling upgrade). The subjects carry the cluster's id: read it off the nodes' events.
    let client = async_nats::connect(cluster._nats.url()).await.unwrap();
    let mut events = client.subscribe("parley.*.routing").await.unwrap();
    let event = events.next().await.expect("the node says it is alive");
    let cluster_subject = event.subject.as_str().strip_suffix(".routing").unwrap().to_owned();
    let asked = client.request(format!("{cluster_subject}.desk.{store}"), r#"{"from_a_newer_relay":{}}"#.into());
    let answer = asked.await.expect("an answer, not silence until the asker's timeout");
    let answer: Value = serde_json::from_slice(&answer.payload).unwrap();
    assert_eq!(answer["refused"]["code"], "unknown_type", "{answer}");
    socket.close().await;
    cluster.stop().await;
}
