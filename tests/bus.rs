//! The bus between relays (`--nats`): frames published on one node reach the sockets another
//! node holds, once each; subscriptions follow the sockets; a node asks the others whether a
//! shopper still has a tab there; a restarted NATS server is found again. Against a real
//! `nats-server` on a free port.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::nats::Nats;
use common::TestRelay;
use parley::{AgentClient, VisitorClient};
use protocol::ServerFrame;
use relay::bus::Bus;
use relay::fanout::{Audience, Fanout};
use relay::hub::{outbox, Hub, OutboxReader, Outgoing, Peer, Registration};
use tokio_util::sync::CancellationToken;

/// One relay's fan-out, without the rest of the relay.
struct Node {
    hub: Arc<Hub>,
    bus: Arc<Bus>,
}

impl Node {
    async fn on(nats: &str, stop: &CancellationToken) -> Node {
        Node::in_cluster(nats, &[7], stop).await
    }

    /// A node of the cluster with id `cluster` (the relays on one database share one).
    async fn in_cluster(nats: &str, cluster: &[u8], stop: &CancellationToken) -> Node {
        let hub = Arc::new(Hub::default());
        let space = relay::bus::Space::of_cluster(cluster);
        let bus = Bus::connect(nats, space, hub.clone(), stop.clone()).await.expect("joining the bus");
        Node { hub, bus }
    }

    fn peer(&self) -> (Peer, OutboxReader) {
        let (tx, rx) = outbox();
        (Peer { id: self.hub.next_peer_id(), tx, kick: CancellationToken::new() }, rx)
    }

    async fn visitor(&self, visitor_id: &str) -> (Registration, OutboxReader) {
        let (peer, rx) = self.peer();
        let joined = self.hub.join_visitor(visitor_id, peer);
        self.hub.settled().await;
        (joined, rx)
    }

    async fn agent(&self, store: i64, agent: i64, supervises: bool, session: &[u8]) -> (Registration, OutboxReader) {
        let (peer, rx) = self.peer();
        let joined = self.hub.join_agent(store, agent, supervises, session.to_vec(), peer);
        self.hub.settled().await;
        (joined, rx)
    }
}

fn notice(n: u32) -> ServerFrame {
    ServerFrame::Typing { conversation_id: i64::from(n), by: protocol::Role::Agent, name: None }
}

/// The next frame a socket is given, decoded (a close as `Err(code)`); panics after 10 s.
async fn next(rx: &mut OutboxReader) -> Result<ServerFrame, u16> {
    match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("a frame within 10 s") {
        Some(Outgoing::Text(text)) => Ok(serde_json::from_str(text.as_str()).expect("a server frame")),
        Some(Outgoing::Close(code, _)) => Err(code),
        None => panic!("the outbox closed"),
    }
}

fn nothing_more(rx: &mut OutboxReader) {
    assert!(rx.try_recv().is_none(), "a socket was given a frame twice or one not meant for it");
}

#[tokio::test]
async fn a_conversation_published_on_one_node_reaches_its_shopper_and_agents_on_another_once() {
    let nats = Nats::start();
    let stop = CancellationToken::new();
    let (a, b) = (Node::on(&nats.url(), &stop).await, Node::on(&nats.url(), &stop).await);
    let (_v, mut shopper_on_b) = b.visitor("v1").await;
    let (_s, mut assignee_on_a) = a.agent(1, 5, false, b"s5").await;
    let (_o, mut owner_on_b) = b.agent(1, 6, true, b"s6").await;
    let (_c, mut colleague_on_b) = b.agent(1, 7, false, b"s7").await;
    let (_x, mut other_store_on_b) = b.agent(2, 8, true, b"s8").await;

    let to = Audience::Conversation { store_id: 1, visitor_id: "v1".into(), assignee: Some(5) };
    a.bus.publish(&to, &notice(1));
    a.bus.publish(&Audience::StoreAgents(1), &notice(2));
    assert_eq!(next(&mut shopper_on_b).await, Ok(notice(1)));
    assert_eq!(next(&mut assignee_on_a).await, Ok(notice(1)), "the publishing node's own socket");
    assert_eq!(next(&mut owner_on_b).await, Ok(notice(1)), "a supervisor follows every conversation");
    // The next frame each is given is the store-wide one: nobody got the conversation twice, and
    // the colleague, not its assignee, did not get it at all.
    assert_eq!(next(&mut assignee_on_a).await, Ok(notice(2)));
    assert_eq!(next(&mut owner_on_b).await, Ok(notice(2)));
    assert_eq!(next(&mut colleague_on_b).await, Ok(notice(2)));
    nothing_more(&mut shopper_on_b);
    nothing_more(&mut other_store_on_b);

    // Signing out on one node closes that session's sockets on the others.
    a.bus.close(&Audience::Session(b"s6".to_vec()), 1000, "signed out");
    assert_eq!(next(&mut owner_on_b).await, Err(1000));
    stop.cancel();
}

#[tokio::test]
async fn two_clusters_sharing_a_nats_server_do_not_hear_each_other() {
    let nats = Nats::start();
    let stop = CancellationToken::new();
    let (one_a, one_b) =
        (Node::in_cluster(&nats.url(), b"one", &stop).await, Node::in_cluster(&nats.url(), b"one", &stop).await);
    let (two_a, two_b) =
        (Node::in_cluster(&nats.url(), b"two", &stop).await, Node::in_cluster(&nats.url(), b"two", &stop).await);
    // The same store and shopper ids on both clusters (each has its own database).
    let (_x, mut agent_of_one) = one_b.agent(1, 5, false, b"s1").await;
    let (_y, mut agent_of_two) = two_b.agent(1, 5, false, b"s2").await;
    let (_v, mut shopper_of_two) = two_b.visitor("v1").await;

    one_a.bus.publish(&Audience::StoreAgents(1), &notice(1));
    one_a.bus.publish(&Audience::Visitor("v1".into()), &notice(2));
    assert_eq!(next(&mut agent_of_one).await, Ok(notice(1)), "a node of the same cluster hears it");
    // Published after the first cluster's frames reached the server: had the second cluster's
    // sockets heard those, they would come first.
    two_a.bus.publish(&Audience::StoreAgents(1), &notice(3));
    two_a.bus.publish(&Audience::Visitor("v1".into()), &notice(4));
    assert_eq!(next(&mut agent_of_two).await, Ok(notice(3)), "only its own cluster's frame");
    assert_eq!(next(&mut shopper_of_two).await, Ok(notice(4)), "only its own cluster's frame");
    nothing_more(&mut agent_of_one);
    stop.cancel();
}

#[tokio::test]
async fn a_node_stops_hearing_a_room_when_its_last_socket_leaves() {
    let nats = Nats::start();
    let stop = CancellationToken::new();
    let (a, b) = (Node::on(&nats.url(), &stop).await, Node::on(&nats.url(), &stop).await);
    let (first_tab, mut first) = b.visitor("v2").await;
    let (second_tab, mut second) = b.visitor("v2").await;
    let (_w, mut watcher) = b.visitor("w").await;
    assert_eq!(b.bus.subjects(), 2, "one subscription for the two tabs of one shopper");

    a.bus.publish(&Audience::Visitor("v2".into()), &notice(1));
    assert_eq!(next(&mut first).await, Ok(notice(1)));
    assert_eq!(next(&mut second).await, Ok(notice(1)));
    drop(first_tab);
    a.bus.publish(&Audience::Visitor("v2".into()), &notice(2));
    assert_eq!(next(&mut second).await, Ok(notice(2)), "one tab left: the node still listens");
    drop(second_tab);
    b.hub.settled().await;
    assert_eq!(b.bus.subjects(), 1, "the shopper's subject is dropped with their last tab");
    // Frames from one node arrive in order: once the watcher has the later one, the earlier one
    // would have come to a socket that was still there.
    a.bus.publish(&Audience::Visitor("v2".into()), &notice(3));
    a.bus.publish(&Audience::Visitor("w".into()), &notice(4));
    assert_eq!(next(&mut watcher).await, Ok(notice(4)));
    assert!(second.recv().await.is_none(), "nothing more for the tab that left");
    stop.cancel();
}

#[tokio::test]
async fn a_shopper_with_a_tab_on_another_node_has_not_left() {
    let nats = Nats::start();
    let stop = CancellationToken::new();
    let (a, b) = (Node::on(&nats.url(), &stop).await, Node::on(&nats.url(), &stop).await);
    assert!(!a.bus.visitor_elsewhere("v5").await, "nobody holds the shopper");
    let (tab_on_b, _b_rx) = b.visitor("v5").await;
    let (_tab_on_a, _a_rx) = a.visitor("v5").await;
    assert!(a.bus.visitor_elsewhere("v5").await, "their tab on node B");
    assert!(b.bus.visitor_elsewhere("v5").await, "their tab on node A");
    drop(tab_on_b);
    b.hub.settled().await;
    assert!(!a.bus.visitor_elsewhere("v5").await, "A's own tab is not elsewhere, and B holds none now");
    assert!(b.bus.visitor_elsewhere("v5").await, "A still holds one");
    stop.cancel();
}

#[tokio::test]
async fn nodes_find_a_restarted_nats_server_and_carry_frames_again() {
    let nats = Nats::start();
    let stop = CancellationToken::new();
    let (a, b) = (Node::on(&nats.url(), &stop).await, Node::on(&nats.url(), &stop).await);
    let (_v, mut shopper_on_b) = b.visitor("v3").await;
    a.bus.publish(&Audience::Visitor("v3".into()), &notice(1));
    assert_eq!(next(&mut shopper_on_b).await, Ok(notice(1)));

    let port = nats.kill();
    let _nats = Nats::start_on(port);
    // Back on the bus, a node closes its sockets so they catch up on what they missed.
    assert_eq!(next(&mut shopper_on_b).await, Err(1013));
    // Each try waits for the frame it sent: the clients subscribe again as they reconnect.
    let mut tries = 0;
    loop {
        tries += 1;
        assert!(tries <= 50, "frames did not cross again after NATS restarted");
        a.bus.publish(&Audience::Visitor("v3".into()), &notice(tries));
        match tokio::time::timeout(Duration::from_millis(200), shopper_on_b.recv()).await {
            Ok(Some(Outgoing::Text(_))) => break,
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) => continue,
        }
    }
    assert!(a.bus.connected() && b.bus.connected());
    stop.cancel();
}

#[tokio::test]
async fn a_relay_on_the_bus_carries_a_conversation() {
    // JetStream: on PostgreSQL (the suite's second pass) a relay on the bus takes desks'
    // leases.
    let jetstream = tempfile::tempdir().unwrap();
    let nats = Nats::start_with_jetstream(jetstream.path());
    let url = nats.url();
    let t = TestRelay::start_with(move |config| config.nats_url = Some(url)).await;
    let (email, password) = t.add_agent("demo", "Nadia").await;
    let mut agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("c1", "Is the bag leather?").await.unwrap();
    let conversation = match agent.socket.wait_for(|f| matches!(f, ServerFrame::Conversation { .. })).await.unwrap() {
        ServerFrame::Conversation { conversation } => conversation,
        _ => unreachable!(),
    };
    agent.send(conversation.id, "a1", "Yes, full grain.").await.unwrap();
    shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.text == "Yes, full grain."))
        .await
        .unwrap();
    t.stop().await;
}

#[tokio::test]
async fn a_relay_says_clearly_when_nats_does_not_answer() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::test_config("127.0.0.1:0", &dir.path().join("data"));
    config.nats_url = Some(format!("nats://127.0.0.1:{port}"));
    let error = relay::start(config).await.err().expect("no relay without its bus");
    assert!(format!("{error:#}").contains("connecting to NATS"), "{error:#}");
}

#[tokio::test]
async fn a_desk_has_one_owner_and_passes_to_another_node_when_its_owner_stops_renewing() {
    let store = tempfile::tempdir().unwrap();
    let nats = Nats::start_with_jetstream(store.path());
    let stop = CancellationToken::new();
    let (a, b) = (Node::on(&nats.url(), &stop).await, Node::on(&nats.url(), &stop).await);
    let ttl = Duration::from_secs(2);
    let (on_a, on_b) = (a.bus.leases(ttl).await.unwrap(), b.bus.leases(ttl).await.unwrap());

    assert!(on_a.try_take(1).await.unwrap());
    assert!(!on_b.try_take(1).await.unwrap(), "one owner at a time");
    assert!(on_b.try_take(2).await.unwrap(), "another store's desk is free");
    assert_eq!(on_b.owner(1).await.unwrap(), Some(a.bus.node_name()));
    assert_eq!(on_a.renew().await, Vec::<i64>::new());
    assert!(on_a.holds(1));

    // A stops renewing, as a killed node would. B tries every third of the TTL, as a node does.
    let stopped = std::time::Instant::now();
    while !on_b.try_take(1).await.unwrap() {
        assert!(stopped.elapsed() < Duration::from_secs(10), "nobody took the desk within 10 s");
        tokio::time::sleep(ttl / 3).await;
    }
    assert_eq!(on_a.owner(1).await.unwrap(), Some(b.bus.node_name()));
    // A comes back: its renewal fails (B wrote since), so it knows it lost the desk.
    assert_eq!(on_a.renew().await, vec![1]);
    assert!(!on_a.holds(1) && on_b.holds(1));

    // A clean shutdown lets go at once.
    on_b.release(1).await;
    assert!(on_a.try_take(1).await.unwrap());
    stop.cancel();
}

#[tokio::test]
async fn a_relay_on_the_bus_reports_its_connection_and_its_frames() {
    // JetStream: on PostgreSQL (the suite's second pass) a relay on the bus takes desks'
    // leases.
    let jetstream = tempfile::tempdir().unwrap();
    let nats = Nats::start_with_jetstream(jetstream.path());
    let url = nats.url();
    let t = TestRelay::start_with(move |config| {
        config.nats_url = Some(url);
        config.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let at = t.relay.metrics_addr().expect("a metrics address");
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("c1", "Hello?").await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    // The bot answers once the conversation is routed (and so announced to the store's agents,
    // wherever they are).
    let bot =
        |f: &ServerFrame| matches!(f, ServerFrame::Message { message } if message.author.role == protocol::Role::Bot);
    shopper.socket.wait_for(bot).await.unwrap();
    let text = common::http_get(&format!("http://{at}"), "/metrics", &[]).await.unwrap().text();
    let figure = |name: &str| -> f64 {
        let line = text.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name} in {text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert_eq!(figure("parley_bus_connected"), 1.0);
    assert!(figure("parley_bus_subjects") >= 1.0, "the shopper's subject");
    assert!(figure("parley_bus_frames_total{direction=\"out\"}") >= 1.0, "the new conversation, for agents anywhere");
    t.stop().await;
}
