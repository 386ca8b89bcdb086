//! The bus between relays (`--nats URL`): the [`Fanout`] that reaches sockets on every node.
//!
//! A frame is delivered to this node's sockets at once, through its hub, and published on NATS
//! for the others. Subjects follow the hub's rooms (see [`subject_of`]): a shopper's tabs, a
//! store's agents, one agent, one session. Each node subscribes to the subjects of the rooms it
//! holds sockets of and drops them when the last socket goes ([`subscriptions`]), so a frame
//! crosses only to nodes that have someone to give it to. A node skips what it published
//! itself (it has delivered that already).
//!
//! NATS carries frames at most once. A node that loses its connection keeps serving its own
//! sockets; the client reconnects on its own and subscribes again. What other nodes published
//! meanwhile never reached this node, so once back it closes its sockets with "reconnect" and
//! they catch up by sequence number (what the store holds is the truth; the bus only makes it
//! quick). What this node published while cut off waits in the client and goes out on
//! reconnect.

pub mod lease;
mod live;
mod space;
mod subscriptions;

pub use space::Space;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;
use protocol::ServerFrame;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::{channel, Receiver, Sender};
use tokio_util::sync::CancellationToken;

use crate::fanout::{Audience, Fanout};
use crate::hub::{Hub, Room};

/// How many envelopes may wait for NATS (while it is away, the client holds what it can and
/// the rest waits here); past it frames for other relays are dropped and counted.
const OUTGOING_CAPACITY: usize = 65_536;

/// How long a node waits for another to say it holds a shopper's socket.
const ELSEWHERE_WITHIN: Duration = Duration::from_millis(500);

/// What crosses between nodes: one audience and what to do to its sockets.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Envelope {
    /// The node that published it (which has delivered it to its own sockets).
    node: u64,
    /// Whose sockets.
    to: Audience,
    /// A frame's text, or a close.
    what: What,
}

/// A frame to deliver, or sockets to close.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum What {
    Frame(String),
    Close {
        code: u16,
        reason: String,
    },
    /// A request: does a node hold a socket of this audience? Answered only by a node that does.
    Here,
}

/// A relay's connection to the bus; the fan-out every service publishes through.
pub struct Bus {
    hub: Arc<Hub>,
    /// This process's id on the bus (random at start).
    node: u64,
    /// Envelopes for the publishing task, in the order services published them.
    outgoing: Sender<(String, Bytes)>,
    client: async_nats::Client,
    /// How many subjects this node listens on.
    subjects: subscriptions::Count,
    /// This cluster's subjects and bucket.
    space: Space,
}

impl Bus {
    /// Connects to NATS at `url` (`nats://host:port`, comma-separated for a cluster), starts
    /// the publishing and subscribing tasks, and tells `hub` to report its rooms. Fails when no
    /// server answers within a few seconds; once connected, it reconnects by itself. Every
    /// subject is in `space`, so clusters sharing the server do not meet.
    pub async fn connect(
        url: &str,
        space: Space,
        hub: Arc<Hub>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Arc<Bus>> {
        let node = u64::from_le_bytes(crate::auth::random_bytes::<8>());
        let client = async_nats::ConnectOptions::new()
            .name(format!("parley-relay-{node:016x}"))
            .connection_timeout(Duration::from_secs(5))
            .reconnect_delay_callback(|attempts| Duration::from_millis((attempts as u64 * 100).min(2_000)))
            .event_callback({
                let (hub, cut_off) = (hub.clone(), Arc::new(AtomicBool::new(false)));
                move |event| {
                    on_event(&hub, &cut_off, &event);
                    async move { tracing::info!(%event, "NATS") }
                }
            })
            .connect(url)
            .await
            .with_context(|| format!("connecting to NATS at {url}"))?;
        crate::metrics::bus_connected(true);
        let (outgoing, queued) = channel(OUTGOING_CAPACITY);
        tokio::spawn(publish_all(client.clone(), queued, shutdown.clone()));
        let subjects = subscriptions::Count::default();
        let serves = subscriptions::Node { hub: hub.clone(), id: node, count: subjects.clone() };
        hub.set_interest(subscriptions::start(client.clone(), space.clone(), serves, shutdown));
        tracing::info!(node = format!("{node:016x}"), subjects = space.subject(">"), "on the NATS bus");
        Ok(Arc::new(Bus { hub, node, outgoing, client, subjects, space }))
    }

    /// How many subjects this node listens on: one per shopper, agent, store and session with
    /// a socket here. Exact once the hub is [settled](Hub::settled).
    pub fn subjects(&self) -> usize {
        self.subjects.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// This node's name on the bus (in logs and in the desks' leases it holds).
    pub fn node_name(&self) -> String {
        format!("{:016x}", self.node)
    }

    /// The desks' leases as this node sees them (JetStream must be on in the NATS server).
    pub async fn leases(&self, ttl: Duration) -> anyhow::Result<lease::Leases> {
        lease::Leases::open(self.client.clone(), &self.space.bucket(), &self.node_name(), ttl).await
    }

    /// What routing across relays needs of the bus (several relays on one database): its
    /// connection and the desks' leases. JetStream must be on in the NATS server.
    pub async fn cluster_link(&self) -> anyhow::Result<crate::routing::cluster::ClusterLink> {
        let leases = self.leases(lease::DEFAULT_TTL).await?;
        Ok(crate::routing::cluster::ClusterLink {
            client: self.client.clone(),
            leases,
            node: self.node_name(),
            space: self.space.clone(),
        })
    }

    /// Whether the connection to NATS is up now (for health checks and tests).
    pub fn connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    fn send(&self, to: Audience, what: What) {
        let Some(subject) = subject_of(&self.space, &to) else { return };
        let envelope = Envelope { node: self.node, to, what };
        match serde_json::to_vec(&envelope) {
            Ok(bytes) => {
                if self.outgoing.try_send((subject, bytes.into())).is_err() {
                    // NATS has been away a long while (or it is shutdown): memory stays bounded.
                    crate::metrics::bus_error();
                    tracing::debug!("the bus's queue is full; a frame for other relays was dropped");
                }
            }
            Err(error) => tracing::error!(%error, "could not encode a frame for the bus"),
        }
    }
}

impl Fanout for Bus {
    fn publish(&self, to: &Audience, frame: &ServerFrame) {
        let text = protocol::encode(frame);
        self.hub.deliver(to, &Utf8Bytes::from(text.clone()));
        for part in split(to) {
            self.send(part, What::Frame(text.clone()));
        }
    }

    fn close(&self, to: &Audience, code: u16, reason: &str) {
        self.hub.close(to, code, reason);
        for part in split(to) {
            self.send(part, What::Close { code, reason: reason.to_owned() });
        }
    }

    fn visitor_elsewhere(&self, visitor_id: &str) -> futures_util::future::BoxFuture<'static, bool> {
        let to = Audience::Visitor(visitor_id.to_owned());
        let subject = subject_of(&self.space, &to);
        let envelope = serde_json::to_vec(&Envelope { node: self.node, to, what: What::Here });
        let client = self.client.clone();
        Box::pin(async move {
            let (Some(subject), Ok(payload)) = (subject, envelope) else { return false };
            // Only nodes with a socket of the shopper listen on their subject, and only one that
            // still holds one answers; none answering in time is "nobody".
            let asked = tokio::time::timeout(ELSEWHERE_WITHIN, client.request(subject, payload.into())).await;
            matches!(asked, Ok(Ok(_)))
        })
    }
}

/// Keeps the connection gauge, and after a cut makes this node's sockets resync: what other
/// relays published meanwhile never reached them.
fn on_event(hub: &Hub, cut_off: &AtomicBool, event: &async_nats::Event) {
    match event {
        async_nats::Event::Connected => {
            crate::metrics::bus_connected(true);
            if cut_off.swap(false, Ordering::Relaxed) {
                tracing::info!("back on the NATS bus: the sockets here reconnect to catch up");
                hub.close_everyone(crate::fanout::close_code::TRY_AGAIN_LATER, "reconnect");
            }
        }
        async_nats::Event::Disconnected | async_nats::Event::Closed => {
            crate::metrics::bus_connected(false);
            cut_off.store(true, Ordering::Relaxed);
        }
        _ => {}
    }
}

/// An audience as the parts that each have one subject: a conversation is its shopper's tabs
/// and its agents (never the same sockets).
fn split(to: &Audience) -> Vec<Audience> {
    match to {
        Audience::Conversation { store_id, visitor_id, assignee } => vec![
            Audience::Visitor(visitor_id.clone()),
            Audience::ConversationAgents { store_id: *store_id, assignee: *assignee },
        ],
        other => vec![other.clone()],
    }
}

/// The subject an audience is published on; `None` for a conversation (see [`split`]).
fn subject_of(space: &Space, to: &Audience) -> Option<String> {
    let room = match to {
        Audience::Visitor(visitor) => Room::Visitor(visitor.clone()),
        Audience::Conversation { .. } => return None,
        Audience::ConversationAgents { store_id, .. } | Audience::StoreAgents(store_id) => Room::StoreAgents(*store_id),
        Audience::Agent(agent_id) | Audience::AgentExceptSession { agent_id, .. } => Room::Agent(*agent_id),
        Audience::Session(hash) => Room::Session(hash.clone()),
    };
    space.room(&room)
}

/// A subject token for an id: visitor ids are base64url already; anything else is hex-encoded,
/// so no `.`, `*`, `>` or space can change the subject.
fn token(id: &str) -> String {
    let plain = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if plain {
        id.to_owned()
    } else {
        format!("x{}", hex(id.as_bytes()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Publishes envelopes in order until shutdown. A failed publish (the client closed) is
/// logged; while NATS is away the client holds what it can and sends it on reconnect.
async fn publish_all(client: async_nats::Client, mut queued: Receiver<(String, Bytes)>, stop: CancellationToken) {
    loop {
        let (subject, payload) = tokio::select! {
            next = queued.recv() => match next { Some(item) => item, None => break },
            () = stop.cancelled() => break,
        };
        match client.publish(subject, payload).await {
            Ok(()) => crate::metrics::bus_frame("out"),
            Err(error) => {
                crate::metrics::bus_error();
                tracing::warn!(%error, "could not publish on NATS");
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), client.flush()).await;
}

/// Decodes what another node published; `None` for this node's own and for what is not an
/// envelope (logged).
fn envelope_from(node: u64, payload: &[u8]) -> Option<Envelope> {
    match serde_json::from_slice::<Envelope>(payload) {
        Ok(envelope) if envelope.node == node => None,
        Ok(envelope) => Some(envelope),
        Err(error) => {
            tracing::warn!(%error, "a message on the bus is not an envelope");
            None
        }
    }
}

/// Hands what another node published to this node's sockets.
fn deliver(hub: &Hub, envelope: Envelope) {
    crate::metrics::bus_frame("in");
    match envelope.what {
        What::Frame(text) => hub.deliver(&envelope.to, &Utf8Bytes::from(text)),
        What::Close { code, reason } => hub.close(&envelope.to, code, &reason),
        What::Here => {}
    }
}

/// Whether this node holds a socket of what another node asks about ([`What::Here`]).
fn holds(hub: &Hub, envelope: &Envelope) -> bool {
    match (&envelope.what, &envelope.to) {
        (What::Here, Audience::Visitor(visitor)) => hub.visitor_connected(visitor),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conversation_goes_to_its_shopper_and_its_store_agents() {
        let to = Audience::Conversation { store_id: 7, visitor_id: "abc_-9".into(), assignee: Some(3) };
        let space = Space::of_cluster(&[0x0c]);
        let subjects: Vec<_> = split(&to).iter().map(|a| subject_of(&space, a).unwrap()).collect();
        assert_eq!(subjects, ["parley.0c.visitor.abc_-9", "parley.0c.store.7"]);
    }

    #[test]
    fn ids_cannot_change_the_subject() {
        assert_eq!(token("a.b"), "x612e62");
        assert_eq!(token("*"), "x2a");
        assert_eq!(token(""), "x");
    }

    #[test]
    fn a_node_skips_its_own_envelopes_and_reads_others() {
        let envelope =
            Envelope { node: 1, to: Audience::Agent(4), what: What::Close { code: 1000, reason: "bye".into() } };
        let bytes = serde_json::to_vec(&envelope).unwrap();
        assert_eq!(envelope_from(1, &bytes), None);
        assert_eq!(envelope_from(2, &bytes), Some(envelope));
        assert_eq!(envelope_from(2, b"not json"), None);
    }
}
