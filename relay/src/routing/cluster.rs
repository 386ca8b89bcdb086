//! Routing across relays (`--database postgres://…` with `--nats`): one node decides for each
//! store's desk at a time, the others ask it.
//!
//! The desk stays the pure state it is on one relay, and it runs on the node that holds the
//! store's lease ([`crate::bus::lease`]). That node answers the routing commands of every other
//! node on the subject `parley.CLUSTER.desk.STORE` (NATS request/reply), and publishes on
//! `parley.CLUSTER.routing` what every node must know without asking: who handles each conversation (the
//! fan-out needs it for every message), each agent's status, and that a desk has a new owner.
//!
//! A node asks the owner; when nobody answers (the owner died), it tries to take the lease
//! itself, every quarter second, until it holds it or another node answers. The lease expires
//! [`crate::bus::lease::DEFAULT_TTL`] after the dead owner's last renewal, so another node holds
//! the desk within about 8 s. The new owner rebuilds the desk from the database (assignments and
//! the queue, in the order the conversations came) and tells everyone; each node then reports
//! the agents it holds sockets of, so the desk knows who is online again.
//!
//! Presence: each node counts its own sockets of an agent with the grace period and tells the
//! owner when an agent comes and when they are gone from it; the owner counts the nodes holding
//! each agent, and an agent is offline when no node holds them. A node that dies never says its
//! agents are gone, so every node says it is alive ([`Event::Alive`]) and an owner counts a
//! node silent for a lease's life gone from every agent it held.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use futures_util::StreamExt;
use protocol::ErrorCode;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::desk::AgentId;
use super::presence::Connections;
use crate::bus::lease::Leases;
use crate::error::{Error, Result};

pub(super) use super::wire::{Answer, Card, Command, Event};

/// The subject on which routing events reach every node.
const EVENTS: &str = "routing";
/// How long a node waits for the owner's answer before it asks again.
const ANSWER_WITHIN: Duration = Duration::from_secs(3);
/// How long a node keeps asking (and trying to take the lease) before it gives up.
const GIVE_UP_AFTER: Duration = Duration::from_secs(15);
/// How often a node tries to take a desk nobody answers for.
const TRY_EVERY: Duration = Duration::from_millis(250);

/// What routing across relays is given: the NATS connection and the desks' leases.
pub struct ClusterLink {
    /// The bus's NATS client.
    pub client: async_nats::Client,
    /// The desks' leases as this node sees them.
    pub leases: Leases,
    /// This node's name (as in the leases).
    pub node: String,
    /// The cluster's subjects.
    pub space: crate::bus::Space,
}

/// An event and the node that sent it.
#[derive(Debug, Serialize, Deserialize)]
struct Heard {
    node: String,
    event: Event,
}

/// This node's part in routing across relays.
pub(super) struct Cluster {
    pub client: async_nats::Client,
    pub leases: Leases,
    pub node: String,
    pub space: crate::bus::Space,
    /// The desks this node serves, each with the token that stops serving it.
    serving: Mutex<HashMap<i64, CancellationToken>>,
    /// On the owner: the nodes that hold sockets of each agent.
    holders: Mutex<HashMap<AgentId, HashSet<String>>>,
    /// When each other node last gave a sign of life (an event or a command).
    heard_from: Arc<Mutex<HashMap<String, Instant>>>,
    /// This node's own sockets of each agent, with the grace period.
    pub sockets: Arc<Connections>,
    /// Events to publish, in order.
    events: mpsc::UnboundedSender<Event>,
}

/// A refusal for when no node decides for a store right now.
pub(super) fn unavailable(why: impl std::fmt::Display) -> Error {
    let mut error = Error::new(ErrorCode::Busy, format!("routing is moving to another relay ({why}); try again"));
    error.retry_after = Some(Duration::from_secs(1));
    error
}

impl Cluster {
    /// Joins routing across relays; agents gone from this node arrive on the returned channel,
    /// events to act on on the other.
    pub(super) async fn join(
        link: ClusterLink,
        grace: Duration,
        stop: CancellationToken,
    ) -> anyhow::Result<(Arc<Cluster>, mpsc::UnboundedReceiver<AgentId>, mpsc::UnboundedReceiver<Event>)> {
        let (sockets, gone) = Connections::new(grace);
        let (events, outgoing) = mpsc::unbounded_channel();
        let cluster = Arc::new(Cluster {
            client: link.client,
            leases: link.leases,
            node: link.node,
            space: link.space,
            serving: Mutex::default(),
            holders: Mutex::default(),
            heard_from: Arc::default(),
            sockets,
            events,
        });
        let subscriber = cluster.client.subscribe(cluster.space.subject(EVENTS)).await?;
        let (heard_tx, heard) = mpsc::unbounded_channel();
        let hearing = Hearing { node: cluster.node.clone(), heard_from: cluster.heard_from.clone(), heard: heard_tx };
        tokio::spawn(hear(subscriber, hearing, stop.clone()));
        tokio::spawn(publish_events(
            cluster.client.clone(),
            cluster.space.subject(EVENTS),
            cluster.node.clone(),
            outgoing,
        ));
        cluster.tell(Event::Hello);
        Ok((cluster, gone, heard))
    }

    /// The subject a store's desk owner answers on.
    pub(super) fn desk_subject(&self, store_id: i64) -> String {
        self.space.subject(&format!("desk.{store_id}"))
    }

    /// Tells every node (in the order told).
    pub(super) fn tell(&self, event: Event) {
        let _ = self.events.send(event);
    }

    /// Asks the owner of a store's desk; `Ok(None)` when this node is the owner (now), so the
    /// caller decides here. A desk nobody answers for is taken.
    pub(super) async fn ask(&self, store_id: i64, command: &Command) -> Result<Option<Answer>> {
        if self.leases.holds(store_id) {
            return Ok(None);
        }
        let payload: bytes::Bytes = serde_json::to_vec(command).map_err(unavailable)?.into();
        let subject = self.desk_subject(store_id);
        let started = tokio::time::Instant::now();
        loop {
            let asked =
                tokio::time::timeout(ANSWER_WITHIN, self.client.request(subject.clone(), payload.clone())).await;
            match asked {
                Ok(Ok(reply)) => match serde_json::from_slice::<Answer>(&reply.payload) {
                    Ok(Answer::NotOwner) => {}
                    Ok(answer) => return answer.done().map(Some),
                    Err(error) => return Err(unavailable(error)),
                },
                Ok(Err(error)) => tracing::debug!(%error, store_id, "no answer from the desk's owner"),
                Err(_) => tracing::debug!(store_id, "the desk's owner did not answer in time"),
            }
            if self.take(store_id).await? {
                return Ok(None);
            }
            if started.elapsed() > GIVE_UP_AFTER {
                return Err(unavailable("no relay holds the desk"));
            }
            tokio::time::sleep(TRY_EVERY).await;
        }
    }

    /// Whether this node holds the store's desk, taking it when nobody does.
    pub(super) async fn take(&self, store_id: i64) -> Result<bool> {
        if self.leases.holds(store_id) {
            return Ok(true);
        }
        self.leases.try_take(store_id).await.map_err(|e| unavailable(format!("{e:#}")))
    }

    /// Whether this node serves requests for the store's desk already; marks it served.
    pub(super) fn start_serving(&self, store_id: i64, stop: &CancellationToken) -> Option<CancellationToken> {
        let mut serving = self.serving.lock().unwrap_or_else(|p| p.into_inner());
        if serving.contains_key(&store_id) {
            return None;
        }
        let token = stop.child_token();
        serving.insert(store_id, token.clone());
        Some(token)
    }

    /// Stops serving a desk (its lease was lost).
    pub(super) fn stop_serving(&self, store_id: i64) {
        if let Some(token) = self.serving.lock().unwrap_or_else(|p| p.into_inner()).remove(&store_id) {
            token.cancel();
        }
    }

    /// The desks this node serves.
    pub(super) fn served(&self) -> Vec<i64> {
        self.serving.lock().unwrap_or_else(|p| p.into_inner()).keys().copied().collect()
    }

    /// On the owner: `node` holds the agent now; true when no node did before.
    pub(super) fn held_by(&self, agent: AgentId, node: &str) -> bool {
        if node != self.node {
            self.heard_from.lock().unwrap_or_else(|p| p.into_inner()).insert(node.to_owned(), Instant::now());
        }
        let mut holders = self.holders.lock().unwrap_or_else(|p| p.into_inner());
        let nodes = holders.entry(agent).or_default();
        let first = nodes.is_empty();
        nodes.insert(node.to_owned());
        first
    }

    /// On the owner: `node` no longer holds the agent; true when no node does now.
    pub(super) fn let_go_by(&self, agent: AgentId, node: &str) -> bool {
        let mut holders = self.holders.lock().unwrap_or_else(|p| p.into_inner());
        let Some(nodes) = holders.get_mut(&agent) else { return false };
        let was_held = nodes.remove(node);
        let none = nodes.is_empty();
        if none {
            holders.remove(&agent);
        }
        was_held && none
    }

    /// The other nodes silent for `quiet` (no event, no command): dead, or cut off from NATS
    /// (which makes their sockets reconnect, so their agents come back). Forgotten once told.
    /// While this node itself is cut off from NATS it hears nobody: then no node counts as
    /// silent, and each gets `quiet` afresh from when it is back.
    pub(super) fn silent_nodes(&self, quiet: Duration) -> Vec<String> {
        let mut heard_from = self.heard_from.lock().unwrap_or_else(|p| p.into_inner());
        let connected = self.client.connection_state() == async_nats::connection::State::Connected;
        silent_among(&mut heard_from, connected, Instant::now(), quiet)
    }

    /// On the owner: the agents `node` holds sockets of.
    pub(super) fn held_at(&self, node: &str) -> Vec<AgentId> {
        let holders = self.holders.lock().unwrap_or_else(|p| p.into_inner());
        holders.iter().filter(|(_, nodes)| nodes.contains(node)).map(|(agent, _)| *agent).collect()
    }

    /// On the owner: the agent went offline on their own (a logout): no node holds them.
    pub(super) fn forget_holders(&self, agent: AgentId) {
        self.holders.lock().unwrap_or_else(|p| p.into_inner()).remove(&agent);
    }
}

/// [`Cluster::silent_nodes`] at `now`, given whether this node is `connected` to NATS: the
/// nodes last heard of `quiet` or longer ago, forgotten once told; none while this node is
/// cut off, when every node's time starts afresh.
fn silent_among(
    heard_from: &mut HashMap<String, Instant>,
    connected: bool,
    now: Instant,
    quiet: Duration,
) -> Vec<String> {
    if !connected {
        heard_from.values_mut().for_each(|at| *at = now);
        return Vec::new();
    }
    let silent: Vec<String> = heard_from
        .iter()
        .filter(|(_, at)| now.saturating_duration_since(**at) >= quiet)
        .map(|(node, _)| node.clone())
        .collect();
    for node in &silent {
        heard_from.remove(node);
    }
    silent
}

/// Publishes events in the order they were told, until the routing service is dropped.
async fn publish_events(
    client: async_nats::Client,
    subject: String,
    node: String,
    mut outgoing: mpsc::UnboundedReceiver<Event>,
) {
    while let Some(event) = outgoing.recv().await {
        match serde_json::to_vec(&Heard { node: node.clone(), event }) {
            Ok(bytes) => {
                if let Err(error) = client.publish(subject.clone(), bytes.into()).await {
                    tracing::warn!(%error, "could not publish a routing event");
                }
            }
            Err(error) => tracing::error!(%error, "could not encode a routing event"),
        }
    }
}

/// Where heard events go: the routing service, and the time each node was last heard of.
struct Hearing {
    /// This node (whose own events are not heard again).
    node: String,
    heard_from: Arc<Mutex<HashMap<String, Instant>>>,
    heard: mpsc::UnboundedSender<Event>,
}

/// Hands other nodes' events to the routing service until the relay stops, noting when each
/// node was last heard of.
async fn hear(mut subscriber: async_nats::Subscriber, hearing: Hearing, stop: CancellationToken) {
    loop {
        let message = tokio::select! {
            next = subscriber.next() => match next { Some(message) => message, None => return },
            () = stop.cancelled() => return,
        };
        let Some((from, event)) = read_heard(&message.payload) else { continue };
        if from == hearing.node {
            continue;
        }
        hearing.heard_from.lock().unwrap_or_else(|p| p.into_inner()).insert(from, Instant::now());
        match event {
            Some(Event::Alive) | None => {}
            Some(event) => {
                if hearing.heard.send(event).is_err() {
                    return;
                }
            }
        }
    }
}

/// Who sent a routing event, and the event. An event of a kind this relay does not know (from
/// a newer relay, during a rolling upgrade) is `None` but still the sender's sign of life, so
/// that its agents are not taken offline for a word this build cannot read. `None` altogether
/// (logged) for what is not a routing event.
fn read_heard(payload: &[u8]) -> Option<(String, Option<Event>)> {
    /// The sender alone, whatever the event.
    #[derive(Deserialize)]
    struct Sender {
        node: String,
    }
    match serde_json::from_slice::<Heard>(payload) {
        Ok(Heard { node, event }) => Some((node, Some(event))),
        Err(error) => match serde_json::from_slice::<Sender>(payload) {
            Ok(Sender { node }) => {
                tracing::debug!(%error, %node, "a routing event of a kind this relay does not know");
                Some((node, None))
            }
            Err(_) => {
                tracing::warn!(%error, "a message on the routing subject is not a routing event");
                None
            }
        },
    }
}

/// The requests for one desk, until told to stop; each is answered by `answer`.
pub(super) async fn serve<F, Fut>(
    mut subscriber: async_nats::Subscriber,
    client: async_nats::Client,
    stop: CancellationToken,
    answer: F,
) where
    F: Fn(Command) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Answer> + Send + 'static,
{
    loop {
        let message = tokio::select! {
            next = subscriber.next() => match next { Some(message) => message, None => return },
            () = stop.cancelled() => break,
        };
        let Some(reply) = message.reply.clone() else { continue };
        let answered = match serde_json::from_slice::<Command>(&message.payload) {
            Ok(command) => answer(command),
            Err(error) => {
                // A newer relay's command (rolling upgrade) or garbage: refused at once, so
                // the asker does not wait out its timeout.
                tracing::warn!(%error, "a routing command this relay cannot read");
                let message = "this relay cannot read that routing command (a different version?)";
                tokio::spawn(send_answer(client.clone(), reply, Answer::refused(ErrorCode::UnknownType, message)));
                continue;
            }
        };
        let client = client.clone();
        tokio::spawn(async move { send_answer(client, reply, answered.await).await });
    }
    let _ = subscriber.unsubscribe().await;
}

/// Publishes the owner's answer to a command's reply subject.
async fn send_answer(client: async_nats::Client, reply: async_nats::Subject, answer: Answer) {
    match serde_json::to_vec(&answer) {
        Ok(bytes) => {
            if let Err(error) = client.publish(reply, bytes.into()).await {
                tracing::warn!(%error, "could not answer a routing command");
            }
        }
        Err(error) => tracing::error!(%error, "could not encode a routing answer"),
    }
}

#[cfg(test)]
mod tests;
