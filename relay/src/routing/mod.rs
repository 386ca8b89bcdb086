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

mod announce;
pub mod desk;
pub mod journal;
pub mod presence;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use protocol::{AgentStatus, ErrorCode, ServerFrame};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::fanout::{Audience, Fanout};
use crate::store::{AgentRecord, ConversationRecord, EventKind, Store, StoreError};
use announce::{attendance_frame, Announcement};
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
    connections: Arc<Connections>,
    journal: Journal,
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
        let (connections, gone) = Connections::new(grace);
        let (journal, entries) = mpsc::unbounded_channel();
        let routing = Arc::new(Routing {
            store: store.clone(),
            fanout: fanout.clone(),
            desks: Default::default(),
            agents: Default::default(),
            visitors: Default::default(),
            handlers: Default::default(),
            connections,
            journal,
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
            if let Err(error) = self.set_status(agent, Presence::Offline).await {
                tracing::error!(%error, agent, "could not take an agent offline");
            }
        }
    }

    /// Who handles a conversation now, as last decided (`None`: it waits for anyone, or it was
    /// not routed since a restart).
    pub fn handler(&self, conversation: ConversationId) -> Option<AgentId> {
        self.handlers.lock().unwrap_or_else(|p| p.into_inner()).get(&conversation).copied()
    }

    fn set_handler(&self, conversation: ConversationId, agent: Option<AgentId>) {
        let mut handlers = self.handlers.lock().unwrap_or_else(|p| p.into_inner());
        match agent {
            Some(agent) => handlers.insert(conversation, agent),
            None => handlers.remove(&conversation),
        };
    }

    /// Both sides of a conversation, as the fan-out needs them.
    pub fn audience(&self, conversation: &ConversationRecord) -> Audience {
        Audience::Conversation {
            store_id: conversation.store_id,
            visitor_id: conversation.visitor_id.clone(),
            assignee: self.handler(conversation.id),
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

    /// An agent opened a connection with the given status.
    pub async fn agent_connected(&self, agent: &AgentRecord, status: Presence) -> Result<()> {
        // The status they had (offline when new): `set_status` sees the change from it.
        let had = self.meta(agent.id).map_or(Presence::Offline, |m| m.status);
        self.agents.lock().unwrap_or_else(|p| p.into_inner()).insert(
            agent.id,
            AgentMeta { store_id: agent.store_id, name: agent.name.clone(), status: had, capacity: agent.capacity },
        );
        self.connections.connected(agent.id);
        self.set_status(agent.id, status).await
    }

    /// One of an agent's connections closed; the grace timer starts when it was the last.
    pub fn agent_disconnected(&self, agent: AgentId) {
        self.connections.disconnected(agent);
    }

    /// Sets an agent's status (and tells all their connections).
    pub async fn set_status(&self, agent: AgentId, status: Presence) -> Result<()> {
        if status == Presence::Offline {
            self.connections.forget(agent);
        }
        let had = self.meta(agent).map(|m| m.status);
        let Some(meta) = self.update_meta(agent, |m| m.status = status) else { return Ok(()) };
        let online = status == Presence::Online;
        if had.is_some_and(|had| (had == Presence::Online) != online) {
            // Time online, for the reports; recorded before anyone hears of the change.
            self.store.agent_online(agent, meta.store_id, online, crate::store::now_millis()).await?;
        }
        self.decide(meta.store_id, EventKind::Offline, |desk, now| {
            Ok(desk.set_agent(agent, status, meta.capacity, now))
        })
        .await?;
        self.announce_presence(agent).await;
        Ok(())
    }

    /// Sets an agent's capacity (persisted) and fills it from the queue.
    pub async fn set_capacity(&self, agent: AgentId, capacity: u32) -> Result<()> {
        let capacity = crate::fields::capacity(capacity).map_err(Error::invalid)?;
        self.store.set_agent_capacity(agent, capacity).await?;
        let Some(meta) = self.update_meta(agent, |m| m.capacity = capacity) else { return Ok(()) };
        self.decide(meta.store_id, EventKind::Offline, |desk, now| {
            Ok(desk.set_agent(agent, meta.status, capacity, now))
        })
        .await?;
        self.announce_presence(agent).await;
        Ok(())
    }

    async fn announce_presence(&self, agent: AgentId) {
        let Some(meta) = self.meta(agent) else { return };
        let load = self.desks.lock().await.get(&meta.store_id).map_or(0, |d| d.load(agent));
        let frame = ServerFrame::Presence {
            agent_id: agent,
            status: to_status(meta.status),
            capacity: meta.capacity as u32,
            load: load as u32,
        };
        self.fanout.publish(&Audience::Agent(agent), &frame);
    }

    /// A conversation of `visitor_id` has its first shopper message: find it an agent or queue
    /// it.
    pub async fn route(&self, store_id: i64, conversation: ConversationId, visitor_id: &str) -> Result<()> {
        self.visitors.lock().unwrap_or_else(|p| p.into_inner()).insert(conversation, visitor_id.to_owned());
        self.decide(store_id, EventKind::Assigned, |desk, now| Ok(desk.route(conversation, now))).await
    }

    /// An agent takes a conversation from the queue.
    pub async fn claim(&self, agent: AgentId, conversation: ConversationId) -> Result<()> {
        let store_id = self.store_of(agent)?;
        self.decide(store_id, EventKind::Claimed, |desk, now| desk.claim(agent, conversation, now)).await
    }

    /// An agent hands a conversation to another.
    pub async fn transfer(&self, agent: AgentId, conversation: ConversationId, to: AgentId) -> Result<()> {
        let store_id = self.store_of(agent)?;
        if self.meta(to).is_none_or(|m| m.store_id != store_id) {
            return Err(Refused::AgentUnavailable.into());
        }
        self.decide(store_id, EventKind::Transferred, |desk, now| desk.transfer(agent, conversation, to, now)).await
    }

    /// An agent puts a conversation back in the queue.
    pub async fn release(&self, agent: AgentId, conversation: ConversationId) -> Result<()> {
        let store_id = self.store_of(agent)?;
        self.decide(store_id, EventKind::Released, |desk, now| desk.release(agent, conversation, now)).await
    }

    /// Checks that `agent` may close a conversation: it is theirs, or nobody's yet.
    pub async fn may_close(&self, agent: AgentId, conversation: &ConversationRecord) -> Result<()> {
        match self.assignee(conversation.store_id, conversation.id).await {
            Some(owner) if owner != agent => Err(Refused::NotYours.into()),
            _ => Ok(()),
        }
    }

    /// Takes a closed conversation off its store's desk; the capacity it held goes to the queue.
    pub async fn close(&self, store_id: i64, conversation: ConversationId) -> Result<()> {
        let result = self.decide(store_id, EventKind::Closed, |desk, now| Ok(desk.close(conversation, now))).await;
        self.visitors.lock().unwrap_or_else(|p| p.into_inner()).remove(&conversation);
        self.set_handler(conversation, None);
        result
    }

    /// A closed conversation was opened again by `agent`: it goes to them when they are online,
    /// else to the queue.
    pub async fn reopen(&self, agent: AgentId, conversation: &ConversationRecord) -> Result<()> {
        self.visitors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(conversation.id, conversation.visitor_id.clone());
        self.decide(conversation.store_id, EventKind::Assigned, |desk, now| {
            Ok(desk.reopen(agent, conversation.id, now))
        })
        .await
    }

    /// Moves a conversation whose first-reply deadline passed to another free agent.
    pub async fn reroute(&self, store_id: i64, conversation: ConversationId) -> Result<()> {
        self.decide(store_id, EventKind::Rerouted, |desk, now| Ok(desk.reroute(conversation, now))).await
    }

    /// An agent's status now (offline when they have no connection).
    pub fn status_of(&self, agent: AgentId) -> AgentStatus {
        self.meta(agent).map_or(AgentStatus::Offline, |m| to_status(m.status))
    }

    /// Whether any agent of the store is online. One whose connection dropped a moment ago
    /// still is: they are offline only once the grace period has passed.
    pub fn anyone_online(&self, store_id: i64) -> bool {
        let agents = self.agents.lock().unwrap_or_else(|p| p.into_inner());
        agents.values().any(|m| m.store_id == store_id && m.status == Presence::Online)
    }

    /// Who handles a conversation, if anyone.
    pub async fn assignee(&self, store_id: i64, conversation: ConversationId) -> Option<AgentId> {
        let mut desks = self.desks.lock().await;
        self.desk(&mut desks, store_id).await.ok()?.assignee(conversation)
    }

    /// The place of a conversation in its store's queue, if it waits there and someone is
    /// online to take it (with nobody there, a place in line promises what nobody keeps).
    pub async fn queue_position(&self, store_id: i64, conversation: ConversationId) -> Option<u32> {
        if !self.anyone_online(store_id) {
            return None;
        }
        let mut desks = self.desks.lock().await;
        let desk = self.desk(&mut desks, store_id).await.ok()?;
        desk.queue_position(conversation).map(|p| p as u32)
    }

    /// What the shopper of a conversation should be told now (after a reload, say).
    pub async fn attendance(&self, store_id: i64, conversation: ConversationId) -> Option<ServerFrame> {
        let mut desks = self.desks.lock().await;
        let desk = self.desk(&mut desks, store_id).await.ok()?;
        attendance_frame(self, store_id, desk, conversation)
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
