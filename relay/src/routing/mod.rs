//! Routing: which agent handles which conversation.
//!
//! - `desk` holds the rules as pure state per store (fair assignment, capacity, FIFO queue,
//!   claim, transfer, release).
//! - `presence` counts agents' connections and reports those gone past the grace period.
//! - This module runs them: it rebuilds a store's desk from the database on first use, applies
//!   each decision to the database (assignee and timeline event) and announces it: `assignment`
//!   to the store's agents, `attendance` (who joined, or the place in the queue) to the shopper,
//!   and `presence` to every connection of an agent whose status changed.
//!
//! Desks sit behind one lock. A decision is taken under it and handed to the `journal` before
//! the lock is let go, so decisions reach the database (and the sockets) in the order they were
//! taken, while the lock itself is never held across a disk write.
//!
//! With several relays on one database (`cluster`), each store's desk runs on the node holding
//! its lease; the public methods here ask that node when it is another (`agents`, `decisions`).

mod agents;
mod announce;
pub mod cluster;
mod decisions;
pub mod desk;
pub mod journal;
mod owner;
pub mod presence;
mod wire;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use protocol::{AgentStatus, ErrorCode};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::fanout::{Audience, Fanout};
use crate::store::{ConversationRecord, EventKind, Store, StoreError};
use announce::Announcement;
use cluster::{Cluster, ClusterLink, Event};
use desk::{AgentId, Change, ConversationId, Desk, Presence, Refused};
use journal::{Entry, Journal};
use presence::Connections;

/// How long an agent may be disconnected before their conversations return to the queue.
pub const DEFAULT_OFFLINE_GRACE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
struct AgentMeta {
    store_id: i64,
    name: String,
    status: Presence,
    capacity: usize,
}

/// The routing service; one per relay.
pub struct Routing {
    /// Itself, for the tasks it starts (serving a desk to other relays).
    me: Weak<Routing>,
    store: Store,
    fanout: Arc<dyn Fanout>,
    desks: tokio::sync::Mutex<HashMap<i64, Desk>>,
    agents: Mutex<HashMap<AgentId, AgentMeta>>,
    /// The shopper of every routed conversation, to tell them where they stand.
    visitors: Mutex<HashMap<ConversationId, String>>,
    /// Who handles each conversation, as last decided: its messages go to that agent (and the
    /// supervisors) only. Conversations not in the map (waiting, or not routed since a
    /// restart) go to all the store's agents.
    handlers: Mutex<HashMap<ConversationId, AgentId>>,
    /// Agents' connections with the grace period: this relay's sockets on one relay; with
    /// several, the nodes holding each agent (as the owner of their store's desk counts them).
    connections: Arc<Connections>,
    journal: Journal,
    /// Routing across relays, when several share the database.
    cluster: Option<Arc<Cluster>>,
    shutdown: CancellationToken,
}

impl From<Refused> for Error {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::UnknownConversation => Error::not_found("no such conversation in the queue"),
            Refused::AgentUnavailable => Error::new(ErrorCode::AgentUnavailable, "that agent is not online"),
            Refused::AgentFull => Error::new(ErrorCode::AgentFull, "that agent has no free capacity"),
            Refused::NotYours => Error::new(ErrorCode::NotYours, "only the assigned agent may do this"),
        }
    }
}

fn to_status(presence: Presence) -> AgentStatus {
    match presence {
        Presence::Online => AgentStatus::Online,
        Presence::Away => AgentStatus::Away,
        Presence::Offline => AgentStatus::Offline,
    }
}

/// The desk's notion of an agent's status.
pub fn from_status(status: AgentStatus) -> Presence {
    match status {
        AgentStatus::Online => Presence::Online,
        AgentStatus::Away => Presence::Away,
        AgentStatus::Offline => Presence::Offline,
    }
}

impl Routing {
    /// Starts the routing service: its decisions are written to `store` and announced through
    /// `fanout`, and agents go offline after `grace` without a connection. Its background work
    /// (the journal, the offline reports) ends when `shutdown` is cancelled.
    pub fn start(store: Store, fanout: Arc<dyn Fanout>, grace: Duration, shutdown: CancellationToken) -> Arc<Routing> {
        Self::build(store, fanout, grace, shutdown, None)
    }

    /// Starts the routing service of one relay among several on one database: each store's
    /// desk is decided by the node holding its lease in `link` (see [`cluster`]).
    pub async fn start_in_cluster(
        store: Store,
        fanout: Arc<dyn Fanout>,
        grace: Duration,
        shutdown: CancellationToken,
        link: ClusterLink,
    ) -> anyhow::Result<Arc<Routing>> {
        let (cluster, gone_here, heard) = Cluster::join(link, grace, shutdown.clone()).await?;
        let routing = Self::build(store, fanout, grace, shutdown.clone(), Some(cluster.clone()));
        tokio::spawn(routing.clone().report_gone_here(gone_here, shutdown.clone()));
        tokio::spawn(routing.clone().follow_events(heard, shutdown.clone()));
        tokio::spawn(routing.clone().keep_leases(cluster, shutdown));
        Ok(routing)
    }

    fn build(
        store: Store,
        fanout: Arc<dyn Fanout>,
        grace: Duration,
        shutdown: CancellationToken,
        cluster: Option<Arc<Cluster>>,
    ) -> Arc<Routing> {
        let (connections, gone) = Connections::new(grace);
        let (journal, entries) = mpsc::unbounded_channel();
        let routing = Arc::new_cyclic(|me| Routing {
            me: me.clone(),
            store: store.clone(),
            fanout: fanout.clone(),
            desks: Default::default(),
            agents: Default::default(),
            visitors: Default::default(),
            handlers: Default::default(),
            connections,
            journal,
            cluster,
            shutdown: shutdown.clone(),
        });
        tokio::spawn(journal::run(store, fanout, entries, shutdown.clone()));
        tokio::spawn(routing.clone().run_offline_reports(gone, shutdown));
        routing
    }

    /// Takes agents gone past the grace period offline, until the relay shuts down.
    async fn run_offline_reports(self: Arc<Self>, mut gone: mpsc::UnboundedReceiver<AgentId>, stop: CancellationToken) {
        loop {
            let agent = tokio::select! {
                _ = stop.cancelled() => return,
                agent = gone.recv() => match agent { Some(agent) => agent, None => return },
            };
            if let Err(error) = self.set_status_here(agent, Presence::Offline).await {
                tracing::error!(%error, agent, "could not take an agent offline");
            }
        }
    }

    /// Who handles a conversation now, as last decided (`None`: it waits for anyone, or it was
    /// not routed since a restart).
    pub fn handler(&self, conversation: ConversationId) -> Option<AgentId> {
        self.handlers.lock().unwrap_or_else(|p| p.into_inner()).get(&conversation).copied()
    }

    /// Records who handles a conversation (on the desk's owner, which tells the other nodes).
    fn set_handler(&self, conversation: ConversationId, agent: Option<AgentId>) {
        self.mirror_handler(conversation, agent);
        if let Some(cluster) = &self.cluster {
            cluster.tell(Event::Handler { conversation, agent });
        }
    }

    /// Records who handles a conversation, as this node decided or heard.
    fn mirror_handler(&self, conversation: ConversationId, agent: Option<AgentId>) {
        let mut handlers = self.handlers.lock().unwrap_or_else(|p| p.into_inner());
        match agent {
            Some(agent) => handlers.insert(conversation, agent),
            None => handlers.remove(&conversation),
        };
    }

    /// Both sides of a conversation, as the fan-out needs them.
    /// With several relays, a node that has not heard of a decision yet goes by the database
    /// (the record is read from it there).
    pub fn audience(&self, conversation: &ConversationRecord) -> Audience {
        let mut assignee = self.handler(conversation.id);
        if self.cluster.is_some() {
            assignee = assignee.or(conversation.assigned_agent_id);
        }
        Audience::Conversation {
            store_id: conversation.store_id,
            visitor_id: conversation.visitor_id.clone(),
            assignee,
        }
    }

    /// The agent side of a conversation, as the fan-out needs it.
    pub fn agents_audience(&self, store_id: i64, conversation: ConversationId) -> Audience {
        Audience::ConversationAgents { store_id, assignee: self.handler(conversation) }
    }

    fn meta(&self, agent: AgentId) -> Option<AgentMeta> {
        self.agents.lock().unwrap_or_else(|p| p.into_inner()).get(&agent).cloned()
    }

    fn update_meta(&self, agent: AgentId, f: impl FnOnce(&mut AgentMeta)) -> Option<AgentMeta> {
        let mut agents = self.agents.lock().unwrap_or_else(|p| p.into_inner());
        let meta = agents.get_mut(&agent)?;
        f(meta);
        Some(meta.clone())
    }

    fn store_of(&self, agent: AgentId) -> Result<i64> {
        self.meta(agent).map(|m| m.store_id).ok_or_else(|| Refused::AgentUnavailable.into())
    }

    /// The store's desk, rebuilt from the database the first time it is needed.
    async fn desk<'a>(&self, desks: &'a mut HashMap<i64, Desk>, store_id: i64) -> Result<&'a mut Desk, StoreError> {
        use std::collections::hash_map::Entry;
        match desks.entry(store_id) {
            Entry::Occupied(entry) => Ok(entry.into_mut()),
            Entry::Vacant(entry) => {
                let mut desk = Desk::default();
                let open = self.store.open_assignments(store_id).await?;
                let mut visitors = self.visitors.lock().unwrap_or_else(|p| p.into_inner());
                for (conversation, visitor, agent) in open {
                    desk.restore(conversation, agent);
                    visitors.insert(conversation, visitor);
                    self.set_handler(conversation, agent);
                    if let Some(agent) = agent {
                        // They held it before the restart: give them the grace period to return.
                        self.connections.expect_back(agent);
                    }
                }
                Ok(entry.insert(desk))
            }
        }
    }

    /// Takes a decision on a store's desk, then has the journal persist and announce what
    /// changed, and waits for that.
    ///
    /// `cause` names, in the conversation's timeline, each move away from an agent
    /// (claimed, transferred, released, rerouted, offline).
    async fn decide(
        &self,
        store_id: i64,
        cause: EventKind,
        decide: impl FnOnce(&mut Desk, Instant) -> Result<Vec<Change>, Refused>,
    ) -> Result<()> {
        let written = {
            let mut desks = self.desks.lock().await;
            let desk = self.desk(&mut desks, store_id).await?;
            let queued_before: HashMap<ConversationId, usize> = desk.queue().enumerate().map(|(i, c)| (c, i)).collect();
            let changes = decide(desk, Instant::now())?;
            if changes.is_empty() {
                return Ok(());
            }
            let mut entry = Announcement::default();
            let mut announced = HashSet::new();
            for change in &changes {
                // The whole team hears of changes to the queue; a direct assignment, transfer or
                // re-route concerns only the agents involved.
                let everyone = match change {
                    Change::Queued { .. } => true,
                    Change::Assigned { conversation, .. } => queued_before.contains_key(conversation),
                };
                announced.insert(self.apply(store_id, desk, change, cause, everyone, &mut entry));
            }
            // Shoppers whose place in the queue moved hear their new place.
            let moved: Vec<ConversationId> = desk
                .queue()
                .enumerate()
                .filter(|(i, c)| queued_before.get(c) != Some(i) && !announced.contains(c))
                .map(|(_, c)| c)
                .collect();
            for conversation in moved {
                self.tell_shopper(store_id, desk, conversation, &mut entry.frames);
            }
            let (done, written) = tokio::sync::oneshot::channel();
            let entry = Entry { events: entry.events, frames: entry.frames, done };
            if self.journal.send(entry).is_err() {
                return Err(StoreError::NotWritten("the relay is shutting down".into()).into());
            }
            written
        };
        match written.await {
            Ok(result) => result,
            Err(_) => Err(StoreError::NotWritten("the relay is shutting down".into()).into()),
        }
    }
}
