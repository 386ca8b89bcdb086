//! Relays of a cluster killed with SIGKILL (issue 16): real `relay` processes on one PostgreSQL
//! database and one NATS server (JetStream on, for the desks' leases), each started and killed
//! here. A shopper whose node dies resumes on another by seq with nothing lost or doubled; when
//! the node deciding for a store's desk dies, another takes over within 10 s with the queue and
//! the assignments as they were, and a first-reply deadline that fell due meanwhile is handled
//! once; an agent whose node dies (and so never says they left) goes offline on the desk.

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::nats::Nats;
use common::postgres::Postgres;
use parley::{AgentClient, VisitorClient};
use protocol::{AgentFrame, Role, ServerFrame};
use relay::store::Store;
use tokio::io::{AsyncBufReadExt, BufReader};

/// `cargo test` builds the relay next to the test binaries' directory.
fn relay_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let binary = exe.parent().and_then(|deps| deps.parent()).unwrap().join("relay");
    assert!(binary.exists(), "{} is missing: cargo build -p relay --bin relay", binary.display());
    binary
}

/// One relay process of the cluster (killed when dropped).
struct Node {
    process: tokio::process::Child,
    base: String,
    _data: tempfile::TempDir,
}

impl Node {
    async fn start(database: &str, nats: &str) -> Node {
        let data = tempfile::tempdir().unwrap();
        std::fs::create_dir_all("/tmp/cf-logs").unwrap();
        let log =
            std::fs::File::create(format!("/tmp/cf-logs/{}.log", data.path().file_name().unwrap().to_string_lossy()))
                .unwrap();
        let mut process = tokio::process::Command::new(relay_binary())
            .args(["--data-dir", &data.path().join("data").to_string_lossy(), "--listen", "127.0.0.1:0"])
            .args(["--database", database, "--nats", nats])
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("starting relay");
        let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await;
        let first = first.expect("the relay printed in time").unwrap().expect("a first line");
        let base = first.strip_prefix("relay listening on ").expect("the URL is printed").to_owned();
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Node { process, base, _data: data }
    }

    /// `kill -9`: no clean shutdown, no lease let go, sockets cut.
    async fn kill(mut self) {
        self.process.start_kill().unwrap();
        self.process.wait().await.unwrap();
    }
}

/// PostgreSQL, NATS with JetStream, and the store's settings for the test.
struct Servers {
    postgres: Postgres,
    nats: Nats,
    _jetstream: tempfile::TempDir,
}

impl Servers {
    fn start() -> Servers {
        let jetstream = tempfile::tempdir().unwrap();
        Servers {
            postgres: Postgres::start(),
            nats: Nats::start_with_jetstream(jetstream.path()),
            _jetstream: jetstream,
        }
    }

    async fn node(&self) -> Node {
        Node::start(&self.postgres.url(), &self.nats.url()).await
    }

    /// The database as a relay sees it (after a first node created the schema).
    async fn store(&self) -> Store {
        Store::open_postgres(&self.postgres.url()).await.unwrap()
    }
}

/// Adds an agent to the demo store; returns (email, password).
async fn add_agent(store: &Store, name: &str, capacity: usize) -> (String, String) {
    let (email, password) = (format!("{}@demo.test", name.to_lowercase()), format!("{name}-secret-pw"));
    let hash = relay::auth::hash_password(&password);
    let agent = store.add_agent("demo", &email, name, "agent".parse().unwrap(), &hash).await.unwrap();
    store.set_agent_capacity(agent.id, capacity).await.unwrap();
    (email, password)
}

fn accepted(f: &ServerFrame) -> bool {
    matches!(f, ServerFrame::Accepted { .. })
}

/// The text of every message of a conversation, in seq order, and whether the seqs run 1, 2, 3…
async fn stored(store: &Store, conversation: i64) -> (Vec<(Role, String)>, bool) {
    let (messages, _) = store.messages_after(conversation, 0, 500).await.unwrap();
    let contiguous = messages.iter().enumerate().all(|(i, m)| m.seq == i as u64 + 1);
    (messages.into_iter().map(|m| (m.author.role, m.text)).collect(), contiguous)
}

#[tokio::test]
async fn a_shopper_whose_node_is_killed_resumes_on_another_with_nothing_lost_or_doubled() {
    let servers = Servers::start();
    let (a, b) = (servers.node().await, servers.node().await);
    let store = servers.store().await;
    let (email, password) = add_agent(&store, "Nadia", 5).await;
    let mut agent = AgentClient::login(&a.base, &email, &password).await.unwrap();

    let mut shopper = VisitorClient::connect(&b.base, "demo", None, None, 0).await.unwrap();
    for n in 1..=3 {
        shopper.send(&format!("c{n}"), &format!("question {n}")).await.unwrap();
        shopper.socket.wait_for(accepted).await.unwrap();
    }
    let first = agent.socket.wait_for(|f| matches!(f, ServerFrame::Assignment { agent_id: Some(_), .. })).await;
    let ServerFrame::Assignment { conversation_id, .. } = first.unwrap() else { unreachable!() };
    agent.send(conversation_id, "r1", "answer 1").await.unwrap();
    let reply = |text: &'static str| move |f: &ServerFrame| matches!(f, ServerFrame::Message { message } if message.text == text);
    shopper.socket.wait_for(reply("answer 1")).await.unwrap();
    let held = 4; // three questions and the answer

    // A fourth question goes out and the node dies before the shopper hears whether it was taken.
    shopper.send("c4", "question 4").await.unwrap();
    let token = shopper.welcome.token.clone();
    b.kill().await;
    // Meanwhile the agent answers; the shopper is not connected anywhere.
    agent.send(conversation_id, "r2", "answer 2").await.unwrap();
    agent.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();

    // The widget reconnects (to the other node), resumes after what it holds and sends again
    // what it had not seen taken, with the same client id.
    let mut again = VisitorClient::connect(&a.base, "demo", None, Some(token), held).await.unwrap();
    assert_eq!(again.welcome.conversation_id, Some(conversation_id));
    let caught_up = again.socket.wait_for(|f| matches!(f, ServerFrame::History { .. })).await.unwrap();
    let ServerFrame::History { messages, .. } = caught_up else { unreachable!() };
    assert!(messages.iter().all(|m| m.seq > held), "only what the shopper missed");
    assert!(messages.iter().any(|m| m.text == "answer 2"), "the answer given while away: {messages:?}");
    again.send("c4", "question 4").await.unwrap();
    again.socket.wait_for(accepted).await.unwrap();
    again.send("c5", "question 5").await.unwrap();
    again.socket.wait_for(accepted).await.unwrap();
    agent.socket.wait_for(reply("question 5")).await.expect("the agent hears the shopper on the new node");

    let (texts, contiguous) = stored(&store, conversation_id).await;
    let questions: Vec<&str> = texts.iter().filter(|(r, _)| *r == Role::Visitor).map(|(_, t)| t.as_str()).collect();
    assert_eq!(questions, ["question 1", "question 2", "question 3", "question 4", "question 5"], "each once");
    assert!(contiguous, "no gap and no double in the seqs: {texts:?}");
    again.socket.close().await;
    agent.socket.close().await;
    a.kill().await;
    store.close().await;
}

/// One shopper per node in `nodes` writes, in turn: each with their conversation and what they
/// were told of who attends them.
async fn shoppers_write(nodes: &[&Node]) -> Vec<(VisitorClient, i64, ServerFrame)> {
    let mut shoppers = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        let mut shopper = VisitorClient::connect(&node.base, "demo", None, None, 0).await.unwrap();
        shopper.send("q", &format!("Hello, I am shopper {n}")).await.unwrap();
        let accepted = shopper.socket.wait_for_keeping(accepted).await.unwrap();
        let ServerFrame::Accepted { conversation_id, .. } = accepted else { unreachable!() };
        let told = |f: &ServerFrame| matches!(f, ServerFrame::Attendance { .. });
        let told = shopper.socket.wait_for(told).await.unwrap();
        shoppers.push((shopper, conversation_id, told));
    }
    shoppers
}

#[tokio::test]
async fn when_the_desk_owner_is_killed_another_node_takes_over_with_the_queue_intact() {
    let servers = Servers::start();
    let a = servers.node().await;
    let (b, c) = (servers.node().await, servers.node().await);
    let store = servers.store().await;
    store.set_first_reply_secs("demo", 3).await.unwrap();
    let (email, password) = add_agent(&store, "Ann", 1).await;

    // Ann signs in on node A first: A takes the store's desk.
    let ann = AgentClient::login(&a.base, &email, &password).await.unwrap();
    let session = ann.session_token.clone();
    let mut shoppers = shoppers_write(&[&b, &c, &c]).await;
    let attendance: Vec<&ServerFrame> = shoppers.iter().map(|(_, _, told)| told).collect();
    assert_eq!(
        attendance,
        [
            &ServerFrame::Attendance { agent_name: Some("Ann".into()), queue_position: None },
            &ServerFrame::Attendance { agent_name: None, queue_position: Some(1) },
            &ServerFrame::Attendance { agent_name: None, queue_position: Some(2) },
        ],
        "Ann (capacity 1) has the first; the others wait in order"
    );

    // Node A dies with the desk. The waiting shoppers' deadline (3 s) falls due while nobody
    // holds it; Ann comes back on node B.
    let killed = Instant::now();
    drop(ann);
    a.kill().await;
    let mut ann = AgentClient::resume(&b.base, &session).await.expect("Ann signs in again on node B");
    let online = |f: &ServerFrame| matches!(f, ServerFrame::Presence { status: protocol::AgentStatus::Online, .. });
    ann.socket.wait_for(online).await.expect("a desk takes Ann back online");
    let took = killed.elapsed();
    eprintln!("another node held the desk {took:?} after the owner was killed");
    assert!(took < Duration::from_secs(10), "the desk was taken over within 10 s ({took:?})");

    // The desk as it was: Ann still has the first shopper, the second is still first in line
    // (as a reload on another node tells them); when she closes the first, the next in line
    // (not the last) is hers, and the last moves up.
    for (n, expected) in [
        (0, ServerFrame::Attendance { agent_name: Some("Ann".into()), queue_position: None }),
        (1, ServerFrame::Attendance { agent_name: None, queue_position: Some(1) }),
    ] {
        let token = shoppers[n].0.welcome.token.clone();
        let mut reload = VisitorClient::connect(&b.base, "demo", None, Some(token), 1).await.unwrap();
        let told = reload.socket.wait_for(|f| matches!(f, ServerFrame::Attendance { .. })).await.unwrap();
        assert_eq!(told, expected, "shopper {n} after the takeover");
        reload.socket.close().await;
    }
    let first = shoppers[0].1;
    let events: Vec<String> = store.conversation_events(first).await.unwrap().into_iter().map(|(k, _)| k).collect();
    assert_eq!(events, ["assigned"], "the new owner kept Ann's assignment rather than making it again");
    let close = AgentFrame::Close { conversation_id: first, question: None, resolved: None };
    ann.socket.send(&close).await.unwrap();
    let second = shoppers[1].1;
    let next = |f: &ServerFrame| matches!(f, ServerFrame::Assignment { conversation_id, agent_id: Some(_), .. } if *conversation_id == second);
    ann.socket.wait_for(next).await.expect("the head of the queue goes to Ann");
    let moved_up = ServerFrame::Attendance { agent_name: None, queue_position: Some(1) };
    shoppers[2].0.socket.wait_for_keeping(|f| *f == moved_up).await.expect("the last shopper moves up");

    // The deadline that fell due during the takeover was handled once for each waiting shopper.
    for (shopper, conversation, _) in &mut shoppers[1..] {
        let bot = |f: &ServerFrame| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Bot);
        let heard = shopper.socket.wait_for(bot).await;
        let (texts, _) = stored(&store, *conversation).await;
        heard.unwrap_or_else(|e| panic!("the bot acknowledged the wait: {e}; {texts:?}"));
        let from_bot = texts.iter().filter(|(role, _)| *role == Role::Bot).count();
        assert_eq!(from_bot, 1, "one acknowledgement, not one per node: {texts:?}");
    }
    for (shopper, _, _) in shoppers {
        shopper.socket.close().await;
    }
    ann.socket.close().await;
    b.kill().await;
    c.kill().await;
    store.close().await;
}

#[tokio::test]
async fn an_agent_whose_node_is_killed_goes_offline_and_their_shopper_is_told() {
    let servers = Servers::start();
    let (a, b) = (servers.node().await, servers.node().await);
    let store = servers.store().await;
    let (email, password) = add_agent(&store, "Ines", 5).await;

    // A shopper writes on node A first, so A holds the store's desk; Ines signs in on node B
    // and the owner gives her the shopper.
    let mut shopper = VisitorClient::connect(&a.base, "demo", None, None, 0).await.unwrap();
    shopper.send("q", "Is anyone there?").await.unwrap();
    shopper.socket.wait_for(accepted).await.unwrap();
    let ines = AgentClient::login(&b.base, &email, &password).await.unwrap();
    let joined = ServerFrame::Attendance { agent_name: Some("Ines".into()), queue_position: None };
    shopper.socket.wait_for(|f| *f == joined).await.expect("the owner routes the shopper to Ines");

    // Node B dies with her only socket and never tells the owner she left. The owner notices
    // that B fell silent, takes her offline and tells the shopper nobody is with them now.
    let killed = Instant::now();
    b.kill().await;
    drop(ines);
    let nobody = ServerFrame::Attendance { agent_name: None, queue_position: None };
    let told = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if shopper.socket.next_frame().await? == nobody {
                return anyhow::Ok(());
            }
        }
    })
    .await;
    told.expect("the shopper is told within 30 s").unwrap();
    eprintln!("the agent of the killed node went offline {:?} after it died", killed.elapsed());
    shopper.socket.close().await;
    a.kill().await;
    store.close().await;
}
