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
//! Desks sit behind one async lock, held while a decision is persisted, so that decisions reach
//! the database in the order they were taken.

pub mod deadline;
pub mod desk;
pub mod presence;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use protocol::{AgentStatus, ErrorCode, ServerFrame};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::app::AppState;
use crate::store::{AgentRecord, StoreError};
use crate::ws::Refusal;
use desk::{AgentId, Change, ConversationId, Desk, Presence, Refused};
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
    desks: tokio::sync::Mutex<HashMap<i64, Desk>>,
    agents: Mutex<HashMap<AgentId, AgentMeta>>,
    connections: Arc<Connections>,
}

impl From<Refused> for Refusal {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::UnknownConversation => Refusal::new(ErrorCode::NotFound, "no such conversation in the queue"),
            Refused::AgentUnavailable => Refusal::new(ErrorCode::AgentUnavailable, "that agent is not online"),
            Refused::AgentFull => Refusal::new(ErrorCode::AgentFull, "that agent has no free capacity"),
            Refused::NotYours => Refusal::new(ErrorCode::NotYours, "only the assigned agent may do this"),
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
    /// A routing service whose agents go offline after `grace` without a connection, and the
    /// channel that reports them (feed it to [`Routing::run_offline_reports`]).
    pub fn new(grace: Duration) -> (Routing, mpsc::UnboundedReceiver<AgentId>) {
        let (connections, gone) = Connections::new(grace);
        (Routing { desks: Default::default(), agents: Default::default(), connections }, gone)
    }

    /// Takes agents gone past the grace period offline, until the relay shuts down.
    pub async fn run_offline_reports(state: Arc<AppState>, mut gone: mpsc::UnboundedReceiver<AgentId>) {
        loop {
            let agent = tokio::select! {
                _ = state.shutdown.cancelled() => return,
                agent = gone.recv() => match agent { Some(agent) => agent, None => return },
            };
            if let Err(error) = state.routing.set_status(&state, agent, Presence::Offline).await {
                tracing::error!(%error, agent, "could not take an agent offline");
            }
        }
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
    pub async fn agent_connected(
        &self,
        state: &AppState,
        agent: &AgentRecord,
        status: Presence,
    ) -> Result<(), StoreError> {
        self.agents.lock().unwrap_or_else(|p| p.into_inner()).insert(
            agent.id,
            AgentMeta { store_id: agent.store_id, name: agent.name.clone(), status, capacity: agent.capacity },
        );
        self.connections.connected(agent.id);
        self.set_status(state, agent.id, status).await
    }

    /// One of an agent's connections closed; the grace timer starts when it was the last.
    pub fn agent_disconnected(&self, agent: AgentId) {
        self.connections.disconnected(agent);
    }

    /// Sets an agent's status (and tells all their connections).
    pub async fn set_status(&self, state: &AppState, agent: AgentId, status: Presence) -> Result<(), StoreError> {
        if status == Presence::Offline {
            self.connections.forget(agent);
        }
        let Some(meta) = self.update_meta(agent, |m| m.status = status) else { return Ok(()) };
        self.decide(state, meta.store_id, "offline", |desk, now| Ok(desk.set_agent(agent, status, meta.capacity, now)))
            .await
            .map_err(|e| match e {
                Decision::Store(e) => e,
                Decision::Refused(_) => unreachable!("set_agent never refuses"),
            })?;
        self.announce_presence(state, agent).await;
        Ok(())
    }

    /// Sets an agent's capacity (persisted) and fills it from the queue.
    pub async fn set_capacity(&self, state: &AppState, agent: AgentId, capacity: usize) -> Result<(), Refusal> {
        if capacity == 0 {
            return Err(Refusal::new(ErrorCode::InvalidValue, "capacity must be at least 1"));
        }
        state.store.set_agent_capacity(agent, capacity).await?;
        let Some(meta) = self.update_meta(agent, |m| m.capacity = capacity) else { return Ok(()) };
        self.decide(state, meta.store_id, "offline", |desk, now| Ok(desk.set_agent(agent, meta.status, capacity, now)))
            .await?;
        self.announce_presence(state, agent).await;
        Ok(())
    }

    async fn announce_presence(&self, state: &AppState, agent: AgentId) {
        let Some(meta) = self.meta(agent) else { return };
        let load = self.desks.lock().await.get(&meta.store_id).map_or(0, |d| d.load(agent));
        let frame = ServerFrame::Presence {
            agent_id: agent,
            status: to_status(meta.status),
            capacity: meta.capacity as u32,
            load: load as u32,
        };
        state.hub.to_agent(agent, &frame);
    }

    /// A conversation has its first shopper message: find it an agent or queue it.
    pub async fn route(&self, state: &AppState, store_id: i64, conversation: ConversationId) -> Result<(), Refusal> {
        self.decide(state, store_id, "assigned", |desk, now| Ok(desk.route(conversation, now)))
            .await
            .map_err(Refusal::from)
    }

    /// An agent takes a conversation from the queue.
    pub async fn claim(&self, state: &AppState, agent: AgentId, conversation: ConversationId) -> Result<(), Refusal> {
        let store_id = self.store_of(agent)?;
        self.decide(state, store_id, "claimed", |desk, now| desk.claim(agent, conversation, now))
            .await
            .map_err(Refusal::from)
    }

    /// An agent hands a conversation to another.
    pub async fn transfer(
        &self,
        state: &AppState,
        agent: AgentId,
        conversation: ConversationId,
        to: AgentId,
    ) -> Result<(), Refusal> {
        let store_id = self.store_of(agent)?;
        if self.meta(to).is_none_or(|m| m.store_id != store_id) {
            return Err(Refused::AgentUnavailable.into());
        }
        self.decide(state, store_id, "transferred", |desk, now| desk.transfer(agent, conversation, to, now))
            .await
            .map_err(Refusal::from)
    }

    /// An agent puts a conversation back in the queue.
    pub async fn release(&self, state: &AppState, agent: AgentId, conversation: ConversationId) -> Result<(), Refusal> {
        let store_id = self.store_of(agent)?;
        self.decide(state, store_id, "released", |desk, now| desk.release(agent, conversation, now))
            .await
            .map_err(Refusal::from)
    }

    /// Moves a conversation whose first-reply deadline passed to another free agent.
    pub async fn reroute(&self, state: &AppState, store_id: i64, conversation: ConversationId) -> Result<(), Refusal> {
        self.decide(state, store_id, "rerouted", |desk, now| Ok(desk.reroute(conversation, now)))
            .await
            .map_err(Refusal::from)
    }

    /// Whether any agent of the store is online and connected.
    pub fn anyone_online(&self, store_id: i64) -> bool {
        let agents = self.agents.lock().unwrap_or_else(|p| p.into_inner());
        agents
            .iter()
            .any(|(id, m)| m.store_id == store_id && m.status == Presence::Online && self.connections.sockets(*id) > 0)
    }

    /// Who handles a conversation, if anyone.
    pub async fn assignee(&self, state: &AppState, store_id: i64, conversation: ConversationId) -> Option<AgentId> {
        let mut desks = self.desks.lock().await;
        self.desk(&mut desks, state, store_id).await.ok()?.assignee(conversation)
    }

    /// The place of a conversation in its store's queue, if it waits there.
    pub async fn queue_position(&self, state: &AppState, store_id: i64, conversation: ConversationId) -> Option<u32> {
        let mut desks = self.desks.lock().await;
        let desk = self.desk(&mut desks, state, store_id).await.ok()?;
        desk.queue_position(conversation).map(|p| p as u32)
    }

    /// What the shopper of a conversation should be told now (after a reload, say).
    pub async fn attendance(
        &self,
        state: &AppState,
        store_id: i64,
        conversation: ConversationId,
    ) -> Option<ServerFrame> {
        let mut desks = self.desks.lock().await;
        let desk = self.desk(&mut desks, state, store_id).await.ok()?;
        attendance_frame(self, desk, conversation)
    }

    fn store_of(&self, agent: AgentId) -> Result<i64, Refusal> {
        self.meta(agent).map(|m| m.store_id).ok_or_else(|| Refused::AgentUnavailable.into())
    }

    /// The store's desk, rebuilt from the database the first time it is needed.
    async fn desk<'a>(
        &self,
        desks: &'a mut HashMap<i64, Desk>,
        state: &AppState,
        store_id: i64,
    ) -> Result<&'a mut Desk, StoreError> {
        use std::collections::hash_map::Entry;
        match desks.entry(store_id) {
            Entry::Occupied(entry) => Ok(entry.into_mut()),
            Entry::Vacant(entry) => {
                let mut desk = Desk::default();
                for (conversation, agent) in state.store.open_assignments(store_id).await? {
                    desk.restore(conversation, agent);
                    state.hub.set_assignee(conversation, agent);
                    if let Some(agent) = agent {
                        // They held it before the restart: give them the grace period to return.
                        self.connections.expect_back(agent);
                    }
                }
                Ok(entry.insert(desk))
            }
        }
    }

    /// Takes a decision on a store's desk, then persists and announces what changed.
    ///
    /// `cause` names, in the conversation's timeline, each move away from an agent
    /// (`claimed`, `transferred`, `released`, `rerouted`, `offline`).
    async fn decide(
        &self,
        state: &AppState,
        store_id: i64,
        cause: &'static str,
        decide: impl FnOnce(&mut Desk, Instant) -> Result<Vec<Change>, Refused>,
    ) -> Result<(), Decision> {
        let mut desks = self.desks.lock().await;
        let desk = self.desk(&mut desks, state, store_id).await?;
        let queued_before: Vec<ConversationId> = desk.queue().collect();
        let changes = decide(desk, Instant::now()).map_err(Decision::Refused)?;
        let queue_moved = changes.iter().any(|c| matches!(c, Change::Queued { .. }) || is_from_queue(c));
        let mut announced = Vec::new();
        for change in &changes {
            // The whole team hears of changes to the queue; a direct assignment, transfer or
            // re-route concerns only the agents involved.
            let everyone = match change {
                Change::Queued { .. } => true,
                Change::Assigned { conversation, .. } => queued_before.contains(conversation),
            };
            announced.push(self.apply(state, store_id, desk, change, cause, everyone).await?);
        }
        if queue_moved {
            // Everyone behind a conversation that left or joined the queue moved.
            for conversation in desk.queue().filter(|c| !announced.contains(c)).collect::<Vec<_>>() {
                self.announce(state, store_id, desk, conversation, &[]).await?;
            }
        }
        Ok(())
    }

    /// Persists and announces one change; returns the conversation it concerned.
    async fn apply(
        &self,
        state: &AppState,
        store_id: i64,
        desk: &Desk,
        change: &Change,
        cause: &'static str,
        everyone: bool,
    ) -> Result<ConversationId, StoreError> {
        let (conversation, agent, kind, from) = match *change {
            Change::Assigned { conversation, agent, from: None } => (conversation, Some(agent), "assigned", None),
            Change::Assigned { conversation, agent, from } => (conversation, Some(agent), cause, from),
            Change::Queued { conversation, from: None } => (conversation, None, "queued", None),
            Change::Queued { conversation, from } => (conversation, None, cause, from),
        };
        state.store.set_assignment(conversation, agent, kind, from).await?;
        state.hub.set_assignee(conversation, agent);
        let involved: Vec<AgentId> = agent.into_iter().chain(from).collect();
        self.announce(state, store_id, desk, conversation, if everyone { &[] } else { &involved }).await?;
        for agent in agent.into_iter().chain(from) {
            self.announce_load(state, desk, agent);
        }
        Ok(conversation)
    }

    fn announce_load(&self, state: &AppState, desk: &Desk, agent: AgentId) {
        if let Some(meta) = self.meta(agent) {
            let frame = ServerFrame::Presence {
                agent_id: agent,
                status: to_status(meta.status),
                capacity: meta.capacity as u32,
                load: desk.load(agent) as u32,
            };
            state.hub.to_agent(agent, &frame);
        }
    }

    /// Tells agents and the shopper where a conversation stands: the agents in `only`, or all
    /// the store's agents when `only` is empty.
    async fn announce(
        &self,
        state: &AppState,
        store_id: i64,
        desk: &Desk,
        conversation: ConversationId,
        only: &[AgentId],
    ) -> Result<(), StoreError> {
        let agent_id = desk.assignee(conversation);
        let agent_name = agent_id.and_then(|a| self.meta(a)).map(|m| m.name);
        let queue_position = desk.queue_position(conversation).map(|p| p as u32);
        let frame = ServerFrame::Assignment { conversation_id: conversation, agent_id, agent_name, queue_position };
        if only.is_empty() {
            state.hub.to_store_agents(store_id, &frame);
        } else {
            only.iter().for_each(|agent| state.hub.to_agent(*agent, &frame));
        }
        if let Some(record) = state.store.conversation(conversation).await? {
            if let Some(frame) = attendance_frame(self, desk, conversation) {
                state.hub.to_visitor(&record.visitor_id, &frame);
            }
        }
        Ok(())
    }
}

fn is_from_queue(change: &Change) -> bool {
    matches!(change, Change::Assigned { from: None, .. })
}

fn attendance_frame(routing: &Routing, desk: &Desk, conversation: ConversationId) -> Option<ServerFrame> {
    if let Some(agent) = desk.assignee(conversation) {
        let agent_name = routing.meta(agent).map(|m| m.name);
        return Some(ServerFrame::Attendance { agent_name, queue_position: None });
    }
    let position = desk.queue_position(conversation)?;
    Some(ServerFrame::Attendance { agent_name: None, queue_position: Some(position as u32) })
}

/// Why a desk decision did not go through.
enum Decision {
    Store(StoreError),
    Refused(Refused),
}

impl From<StoreError> for Decision {
    fn from(error: StoreError) -> Self {
        Decision::Store(error)
    }
}

impl From<Decision> for Refusal {
    fn from(decision: Decision) -> Self {
        match decision {
            Decision::Store(e) => e.into(),
            Decision::Refused(r) => r.into(),
        }
    }
}
