//! Agents on the desk: their connections, status and capacity.
//!
//! On one relay each change is decided here. With several, the node holding an agent's sockets
//! counts them (with the grace period) and tells the owner of their store's desk when the agent
//! comes and when they are gone from it; the owner decides, announces the new status to the
//! agent's sockets and tells every node (which keeps it for [`Routing::status_of`] and
//! [`Routing::anyone_online`]).

use protocol::{AgentStatus, ServerFrame};

use super::cluster::{Card, Command, Event};
use super::desk::{AgentId, Presence};
use super::{from_status, to_status, AgentMeta, Routing};
use crate::error::{Error, Result};
use crate::fanout::Audience;
use crate::store::{AgentRecord, EventKind};

impl Routing {
    /// An agent opened a connection with the given status.
    pub async fn agent_connected(&self, agent: &AgentRecord, status: Presence) -> Result<()> {
        let card = Card { id: agent.id, store_id: agent.store_id, name: agent.name.clone(), capacity: agent.capacity };
        self.learn(&card, None);
        let Some(cluster) = &self.cluster else {
            self.connections.connected(agent.id);
            return self.set_status_here(agent.id, status).await;
        };
        cluster.sockets.connected(agent.id);
        let node = cluster.node.clone();
        let command = || Command::Up { card: card.clone(), status: to_status(status), node: node.clone() };
        if self.at_owner(agent.store_id, command).await?.is_some() {
            return Ok(());
        }
        self.up_here(card, status, &node).await
    }

    /// On the desk's owner: `node` holds a socket of the agent.
    pub(super) async fn up_here(&self, card: Card, status: Presence, node: &str) -> Result<()> {
        self.learn(&card, None);
        if self.cluster.as_ref().is_some_and(|c| c.held_by(card.id, node)) {
            self.connections.connected(card.id);
        }
        self.set_status_here(card.id, status).await
    }

    /// On the desk's owner: `node` holds no socket of the agent any more, past the grace period.
    pub(super) async fn gone_here(&self, card: Card, node: &str) -> Result<()> {
        self.learn(&card, None);
        if self.cluster.as_ref().is_some_and(|c| c.let_go_by(card.id, node)) {
            self.connections.disconnected(card.id);
            return self.set_status_here(card.id, Presence::Offline).await;
        }
        Ok(())
    }

    /// One of an agent's connections closed; the grace timer starts when it was the last.
    pub fn agent_disconnected(&self, agent: AgentId) {
        match &self.cluster {
            Some(cluster) => cluster.sockets.disconnected(agent),
            None => self.connections.disconnected(agent),
        }
    }

    /// Sets an agent's status (and tells all their connections).
    pub async fn set_status(&self, agent: AgentId, status: Presence) -> Result<()> {
        if status == Presence::Offline {
            if let Some(cluster) = &self.cluster {
                cluster.sockets.forget(agent);
            }
        }
        let Some(card) = self.card(agent) else { return Ok(()) };
        let store_id = card.store_id;
        if self.at_owner(store_id, || Command::Status { card, status: to_status(status) }).await?.is_some() {
            return Ok(());
        }
        self.set_status_here(agent, status).await
    }

    /// Sets an agent's status on this node's desk, announces it, and tells the other nodes.
    pub(super) async fn set_status_here(&self, agent: AgentId, status: Presence) -> Result<()> {
        if status == Presence::Offline {
            self.connections.forget(agent);
            if let Some(cluster) = &self.cluster {
                cluster.forget_holders(agent);
            }
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
        if self.update_meta(agent, |m| m.capacity = capacity).is_none() {
            return Ok(());
        }
        let Some(card) = self.card(agent) else { return Ok(()) };
        if self.at_owner(card.store_id, || Command::Capacity { card }).await?.is_some() {
            return Ok(());
        }
        self.capacity_here(agent, capacity).await
    }

    /// Sets an agent's capacity on this node's desk and fills it from the queue.
    pub(super) async fn capacity_here(&self, agent: AgentId, capacity: usize) -> Result<()> {
        let Some(meta) = self.update_meta(agent, |m| m.capacity = capacity) else { return Ok(()) };
        self.decide(meta.store_id, EventKind::Offline, |desk, now| {
            Ok(desk.set_agent(agent, meta.status, capacity, now))
        })
        .await?;
        self.announce_presence(agent).await;
        Ok(())
    }

    /// Tells the agent's sockets their status and load, and the other nodes their status.
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
        if let (Some(cluster), Some(card)) = (&self.cluster, self.card(agent)) {
            cluster.tell(Event::Presence { card, status: to_status(meta.status) });
        }
    }

    /// An agent's status now (offline when they have no connection).
    pub fn status_of(&self, agent: AgentId) -> AgentStatus {
        self.meta(agent).map_or(AgentStatus::Offline, |m| to_status(m.status))
    }

    /// Whether any agent of the store is online. One whose connection dropped a moment ago
    /// still is: they are offline only once the grace period has passed. With several relays,
    /// as the desk's owner last told this node.
    pub fn anyone_online(&self, store_id: i64) -> bool {
        let agents = self.agents.lock().unwrap_or_else(|p| p.into_inner());
        agents.values().any(|m| m.store_id == store_id && m.status == Presence::Online)
    }

    /// What the owner needs to know of an agent this node knows.
    pub(super) fn card(&self, agent: AgentId) -> Option<Card> {
        let meta = self.meta(agent)?;
        Some(Card { id: agent, store_id: meta.store_id, name: meta.name, capacity: meta.capacity })
    }

    /// Keeps what `card` says of an agent, with `status` when given (the status they had
    /// otherwise; offline when new).
    pub(super) fn learn(&self, card: &Card, status: Option<AgentStatus>) {
        let mut agents = self.agents.lock().unwrap_or_else(|p| p.into_inner());
        let had = agents.get(&card.id).map_or(Presence::Offline, |m| m.status);
        let status = status.map_or(had, from_status);
        let meta = AgentMeta { store_id: card.store_id, name: card.name.clone(), status, capacity: card.capacity };
        agents.insert(card.id, meta);
    }
}
