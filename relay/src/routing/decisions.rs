//! The routing decisions other services ask for (route, claim, transfer, release, close,
//! reopen, re-route) and the questions they ask the desk (assignee, place in the queue, what to
//! tell the shopper). Each public method asks the owner of the store's desk when that is another
//! relay (see [`super::cluster`]); the `*_here` ones decide on this node's desk.

use protocol::ServerFrame;

use super::announce::attendance_frame;
use super::cluster::{Answer, Command};
use super::desk::{AgentId, ConversationId, Refused};
use super::Routing;
use crate::error::Result;
use crate::store::{ConversationRecord, EventKind};

impl Routing {
    /// A conversation of `visitor_id` has its first shopper message: find it an agent or queue
    /// it.
    pub async fn route(&self, store_id: i64, conversation: ConversationId, visitor_id: &str) -> Result<()> {
        let command = || Command::Route { conversation, visitor: visitor_id.to_owned() };
        if self.at_owner(store_id, command).await?.is_some() {
            return Ok(());
        }
        self.route_here(store_id, conversation, visitor_id).await
    }

    pub(super) async fn route_here(&self, store_id: i64, conversation: ConversationId, visitor: &str) -> Result<()> {
        self.visitors.lock().unwrap_or_else(|p| p.into_inner()).insert(conversation, visitor.to_owned());
        self.decide(store_id, EventKind::Assigned, |desk, now| Ok(desk.route(conversation, now))).await
    }

    /// An agent takes a conversation from the queue.
    pub async fn claim(&self, agent: AgentId, conversation: ConversationId) -> Result<()> {
        let store_id = self.store_of(agent)?;
        if self.at_owner(store_id, || Command::Claim { agent, conversation }).await?.is_some() {
            return Ok(());
        }
        self.claim_here(store_id, agent, conversation).await
    }

    pub(super) async fn claim_here(&self, store_id: i64, agent: AgentId, conversation: ConversationId) -> Result<()> {
        self.decide(store_id, EventKind::Claimed, |desk, now| desk.claim(agent, conversation, now)).await
    }

    /// An agent hands a conversation to another.
    pub async fn transfer(&self, agent: AgentId, conversation: ConversationId, to: AgentId) -> Result<()> {
        let store_id = self.store_of(agent)?;
        if self.at_owner(store_id, || Command::Transfer { agent, conversation, to }).await?.is_some() {
            return Ok(());
        }
        self.transfer_here(store_id, agent, conversation, to).await
    }

    pub(super) async fn transfer_here(
        &self,
        store_id: i64,
        agent: AgentId,
        conversation: ConversationId,
        to: AgentId,
    ) -> Result<()> {
        if self.meta(to).is_none_or(|m| m.store_id != store_id) {
            return Err(Refused::AgentUnavailable.into());
        }
        self.decide(store_id, EventKind::Transferred, |desk, now| desk.transfer(agent, conversation, to, now)).await
    }

    /// An agent puts a conversation back in the queue.
    pub async fn release(&self, agent: AgentId, conversation: ConversationId) -> Result<()> {
        let store_id = self.store_of(agent)?;
        if self.at_owner(store_id, || Command::Release { agent, conversation }).await?.is_some() {
            return Ok(());
        }
        self.release_here(store_id, agent, conversation).await
    }

    pub(super) async fn release_here(&self, store_id: i64, agent: AgentId, conversation: ConversationId) -> Result<()> {
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
        if self.at_owner(store_id, || Command::Close { conversation }).await?.is_some() {
            self.mirror_handler(conversation, None);
            return Ok(());
        }
        self.close_here(store_id, conversation).await
    }

    pub(super) async fn close_here(&self, store_id: i64, conversation: ConversationId) -> Result<()> {
        let result = self.decide(store_id, EventKind::Closed, |desk, now| Ok(desk.close(conversation, now))).await;
        self.visitors.lock().unwrap_or_else(|p| p.into_inner()).remove(&conversation);
        self.set_handler(conversation, None);
        result
    }

    /// A closed conversation was opened again by `agent`: it goes to them when they are online,
    /// else to the queue.
    pub async fn reopen(&self, agent: AgentId, conversation: &ConversationRecord) -> Result<()> {
        let (id, visitor) = (conversation.id, &conversation.visitor_id);
        let command = || Command::Reopen { agent, conversation: id, visitor: visitor.clone() };
        if self.at_owner(conversation.store_id, command).await?.is_some() {
            return Ok(());
        }
        self.reopen_here(conversation.store_id, agent, id, visitor).await
    }

    pub(super) async fn reopen_here(
        &self,
        store_id: i64,
        agent: AgentId,
        conversation: ConversationId,
        visitor: &str,
    ) -> Result<()> {
        self.visitors.lock().unwrap_or_else(|p| p.into_inner()).insert(conversation, visitor.to_owned());
        self.decide(store_id, EventKind::Assigned, |desk, now| Ok(desk.reopen(agent, conversation, now))).await
    }

    /// Moves a conversation whose first-reply deadline passed to another free agent.
    pub async fn reroute(&self, store_id: i64, conversation: ConversationId) -> Result<()> {
        if self.at_owner(store_id, || Command::Reroute { conversation }).await?.is_some() {
            return Ok(());
        }
        self.reroute_here(store_id, conversation).await
    }

    pub(super) async fn reroute_here(&self, store_id: i64, conversation: ConversationId) -> Result<()> {
        self.decide(store_id, EventKind::Rerouted, |desk, now| Ok(desk.reroute(conversation, now))).await
    }

    /// Who handles a conversation, if anyone.
    pub async fn assignee(&self, store_id: i64, conversation: ConversationId) -> Option<AgentId> {
        match self.at_owner(store_id, || Command::Assignee { conversation }).await {
            Ok(None) => self.assignee_here(store_id, conversation).await,
            Ok(Some(Answer::Agent(agent))) => agent,
            Ok(Some(_)) | Err(_) => None,
        }
    }

    pub(super) async fn assignee_here(&self, store_id: i64, conversation: ConversationId) -> Option<AgentId> {
        let mut desks = self.desks.lock().await;
        self.desk(&mut desks, store_id).await.ok()?.assignee(conversation)
    }

    /// The place of a conversation in its store's queue, if it waits there and someone is
    /// online to take it (with nobody there, a place in line promises what nobody keeps).
    pub async fn queue_position(&self, store_id: i64, conversation: ConversationId) -> Option<u32> {
        match self.at_owner(store_id, || Command::QueuePosition { conversation }).await {
            Ok(None) => self.queue_position_here(store_id, conversation).await,
            Ok(Some(Answer::Position(position))) => position,
            Ok(Some(_)) | Err(_) => None,
        }
    }

    pub(super) async fn queue_position_here(&self, store_id: i64, conversation: ConversationId) -> Option<u32> {
        if !self.anyone_online(store_id) {
            return None;
        }
        let mut desks = self.desks.lock().await;
        let desk = self.desk(&mut desks, store_id).await.ok()?;
        desk.queue_position(conversation).map(|p| p as u32)
    }

    /// What the shopper of a conversation should be told now (after a reload, say).
    pub async fn attendance(&self, store_id: i64, conversation: ConversationId) -> Option<ServerFrame> {
        match self.at_owner(store_id, || Command::Attendance { conversation }).await {
            Ok(None) => self.attendance_here(store_id, conversation).await,
            Ok(Some(Answer::Frame(frame))) => frame.map(|f| *f),
            Ok(Some(_)) | Err(_) => None,
        }
    }

    pub(super) async fn attendance_here(&self, store_id: i64, conversation: ConversationId) -> Option<ServerFrame> {
        let mut desks = self.desks.lock().await;
        let desk = self.desk(&mut desks, store_id).await.ok()?;
        attendance_frame(self, store_id, desk, conversation)
    }
}
