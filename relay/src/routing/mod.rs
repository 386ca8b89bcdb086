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

pub mod deadline;
pub mod desk;
pub mod journal;
pub mod presence;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use protocol::{AgentStatus, ErrorCode, ServerFrame};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::app::AppState;
use crate::store::{now_millis, AgentRecord, RoutingEvent, StoreError};
use crate::ws::Refusal;
use desk::{AgentId, Change, ConversationId, Desk, Presence, Refused};
use journal::{Audience, Entry, Journal};
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
    /// The shopper of every routed conversation, to tell them where they stand.
    visitors: Mutex<HashMap<ConversationId, String>>,
    connections: Arc<Connections>,
    journal: Journal,
}

/// The routing service's background work, started once the relay's state exists.
pub struct RoutingTasks {
    gone: mpsc::UnboundedReceiver<AgentId>,
    journal: mpsc::UnboundedReceiver<Entry>,
}

impl RoutingTasks {
    /// Spawns the offline reports and the journal; both end with the relay.
    pub fn spawn(self, state: &Arc<AppState>) {
        tokio::spawn(Routing::run_offline_reports(state.clone(), self.gone));
        tokio::spawn(journal::run(state.clone(), self.journal));
    }
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
    /// A routing service whose agents go offline after `grace` without a connection, and its
    /// background tasks (start them with [`RoutingTasks::spawn`]).
    pub fn new(grace: Duration) -> (Routing, RoutingTasks) {
        let (connections, gone) = Connections::new(grace);
        let (journal, entries) = mpsc::unbounded_channel();
        let routing = Routing {
            desks: Default::default(),
            agents: Default::default(),
            visitors: Default::default(),
            connections,
            journal,
        };
        (routing, RoutingTasks { gone, journal: entries })
    }

    /// Takes agents gone past the grace period offline, until the relay shuts down.
    async fn run_offline_reports(state: Arc<AppState>, mut gone: mpsc::UnboundedReceiver<AgentId>) {
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
    pub async fn set_capacity(&self, state: &AppState, agent: AgentId, capacity: u32) -> Result<(), Refusal> {
        let capacity = crate::fields::capacity(capacity).map_err(|why| Refusal::new(ErrorCode::InvalidValue, why))?;
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

    /// A conversation of `visitor_id` has its first shopper message: find it an agent or queue
    /// it.
    pub async fn route(
        &self,
        state: &AppState,
        store_id: i64,
        conversation: ConversationId,
        visitor_id: &str,
    ) -> Result<(), Refusal> {
        self.visitors.lock().unwrap_or_else(|p| p.into_inner()).insert(conversation, visitor_id.to_owned());
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

    /// Checks that `agent` may close a conversation: it is theirs, or nobody's yet.
    pub async fn may_close(
        &self,
        state: &AppState,
        agent: AgentId,
        conversation: &crate::store::ConversationRecord,
    ) -> Result<(), Refusal> {
        match self.assignee(state, conversation.store_id, conversation.id).await {
            Some(owner) if owner != agent => Err(Refused::NotYours.into()),
            _ => Ok(()),
        }
    }

    /// Takes a closed conversation off its store's desk; the capacity it held goes to the queue.
    pub async fn close(&self, state: &AppState, store_id: i64, conversation: ConversationId) -> Result<(), Refusal> {
        let result = self.decide(state, store_id, "closed", |desk, now| Ok(desk.close(conversation, now))).await;
        self.visitors.lock().unwrap_or_else(|p| p.into_inner()).remove(&conversation);
        state.hub.set_assignee(conversation, None);
        result.map_err(Refusal::from)
    }

    /// A closed conversation was opened again by `agent`: it goes to them when they are online,
    /// else to the queue.
    pub async fn reopen(
        &self,
        state: &AppState,
        agent: AgentId,
        conversation: &crate::store::ConversationRecord,
    ) -> Result<(), Refusal> {
        self.visitors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(conversation.id, conversation.visitor_id.clone());
        self.decide(state, conversation.store_id, "assigned", |desk, now| Ok(desk.reopen(agent, conversation.id, now)))
            .await
            .map_err(Refusal::from)
    }

    /// Moves a conversation whose first-reply deadline passed to another free agent.
    pub async fn reroute(&self, state: &AppState, store_id: i64, conversation: ConversationId) -> Result<(), Refusal> {
        self.decide(state, store_id, "rerouted", |desk, now| Ok(desk.reroute(conversation, now)))
            .await
            .map_err(Refusal::from)
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
                let open = state.store.open_assignments(store_id).await?;
                let mut visitors = self.visitors.lock().unwrap_or_else(|p| p.into_inner());
                for (conversation, visitor, agent) in open {
                    desk.restore(conversation, agent);
                    visitors.insert(conversation, visitor);
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

    /// Takes a decision on a store's desk, then has the journal persist and announce what
    /// changed, and waits for that.
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
        let written = {
            let mut desks = self.desks.lock().await;
            let desk = self.desk(&mut desks, state, store_id).await?;
            let queued_before: HashMap<ConversationId, usize> = desk.queue().enumerate().map(|(i, c)| (c, i)).collect();
            let changes = decide(desk, Instant::now()).map_err(Decision::Refused)?;
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
                announced.insert(self.apply(state, store_id, desk, change, cause, everyone, &mut entry));
            }
            // Shoppers whose place in the queue moved hear their new place.
            let moved: Vec<ConversationId> = desk
                .queue()
                .enumerate()
                .filter(|(i, c)| queued_before.get(c) != Some(i) && !announced.contains(c))
                .map(|(_, c)| c)
                .collect();
            for conversation in moved {
                self.tell_shopper(desk, conversation, &mut entry.frames);
            }
            let (done, written) = tokio::sync::oneshot::channel();
            let entry = Entry { events: entry.events, frames: entry.frames, done };
            if self.journal.send(entry).is_err() {
                return Err(Decision::Store(StoreError::NotWritten("the relay is shutting down".into())));
            }
            written
        };
        match written.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(Decision::Store(StoreError::NotWritten(error))),
            Err(_) => Err(Decision::Store(StoreError::NotWritten("the relay is shutting down".into()))),
        }
    }

    /// Applies one change to the hub and adds its event and frames to `entry`; returns the
    /// conversation it concerned.
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &self,
        state: &AppState,
        store_id: i64,
        desk: &Desk,
        change: &Change,
        cause: &'static str,
        everyone: bool,
        entry: &mut Announcement,
    ) -> ConversationId {
        let (conversation, agent, kind, from) = match *change {
            Change::Assigned { conversation, agent, from: None } => (conversation, Some(agent), "assigned", None),
            Change::Assigned { conversation, agent, from } => (conversation, Some(agent), cause, from),
            Change::Queued { conversation, from: None } => (conversation, None, "queued", None),
            Change::Queued { conversation, from } => (conversation, None, cause, from),
        };
        entry.events.push(RoutingEvent {
            conversation_id: conversation,
            kind,
            agent_id: agent,
            from_agent_id: from,
            at: now_millis(),
        });
        state.hub.set_assignee(conversation, agent);
        let involved: Vec<AgentId> = agent.into_iter().chain(from).collect();
        let agent_name = agent.and_then(|a| self.meta(a)).map(|m| m.name);
        let queue_position = desk.queue_position(conversation).map(|p| p as u32);
        let frame =
            ServerFrame::Assignment { conversation_id: conversation, agent_id: agent, agent_name, queue_position };
        if everyone {
            entry.frames.push((Audience::StoreAgents(store_id), frame));
        } else {
            entry.frames.extend(involved.iter().map(|a| (Audience::Agent(*a), frame.clone())));
        }
        self.tell_shopper(desk, conversation, &mut entry.frames);
        for agent in involved {
            if let Some(frame) = self.load_frame(desk, agent) {
                entry.frames.push((Audience::Agent(agent), frame));
            }
        }
        conversation
    }

    fn load_frame(&self, desk: &Desk, agent: AgentId) -> Option<ServerFrame> {
        let meta = self.meta(agent)?;
        Some(ServerFrame::Presence {
            agent_id: agent,
            status: to_status(meta.status),
            capacity: meta.capacity as u32,
            load: desk.load(agent) as u32,
        })
    }

    /// Tells the shopper of a conversation who joined or where they are in the queue.
    fn tell_shopper(&self, desk: &Desk, conversation: ConversationId, frames: &mut Vec<(Audience, ServerFrame)>) {
        let visitor = self.visitors.lock().unwrap_or_else(|p| p.into_inner()).get(&conversation).cloned();
        if let (Some(visitor), Some(frame)) = (visitor, attendance_frame(self, desk, conversation)) {
            frames.push((Audience::Visitor(visitor), frame));
        }
    }
}

/// The events and frames of one decision, gathered under the desk lock.
#[derive(Default)]
struct Announcement {
    events: Vec<RoutingEvent>,
    frames: Vec<(Audience, ServerFrame)>,
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
