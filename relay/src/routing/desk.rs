//! One store's desk: who is present, who handles which conversation, and who waits in the queue.
//!
//! Pure state, no I/O and no clock of its own: every method takes the current time and returns
//! what changed ([`Change`]), which the caller persists and announces. That keeps every routing
//! rule testable to the letter.
//!
//! The rules:
//! - a new conversation goes to the online agent with free capacity and the fewest active
//!   conversations; ties go to whoever has waited longest since their last assignment;
//! - when nobody is free it waits in the queue, first in first out;
//! - when capacity frees up (a release, a close, an agent coming online or raising their
//!   capacity) the oldest queued conversation is assigned;
//! - an agent going offline returns their conversations to the front of the queue, oldest first.

use std::collections::{BTreeMap, HashMap, VecDeque};

use tokio::time::Instant;

/// An agent's id.
pub type AgentId = i64;
/// A conversation's id.
pub type ConversationId = i64;

/// An agent's availability, as they set it (or as the relay decides after a disconnect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Takes new conversations.
    Online,
    /// Keeps their conversations, takes no new ones.
    Away,
    /// Gone: their conversations return to the queue.
    Offline,
}

#[derive(Debug, Clone)]
struct Agent {
    presence: Presence,
    capacity: usize,
    /// When they last received a conversation (or came online): the tie-breaker.
    last_assigned: Instant,
}

/// What a desk operation changed, for the caller to persist and announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The conversation now belongs to this agent.
    Assigned {
        /// The conversation.
        conversation: ConversationId,
        /// Its agent now.
        agent: AgentId,
        /// Its agent before, for transfers and re-routes.
        from: Option<AgentId>,
    },
    /// The conversation went (back) to the queue.
    Queued {
        /// The conversation.
        conversation: ConversationId,
        /// Its agent before, when it was taken from one.
        from: Option<AgentId>,
    },
}

/// Why an agent's request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The conversation is not on this desk.
    UnknownConversation,
    /// The agent is not on this desk or not online.
    AgentUnavailable,
    /// The target agent has no free capacity.
    AgentFull,
    /// Only the assignee may do this.
    NotYours,
}

/// The routing state of one store.
#[derive(Debug, Default)]
pub struct Desk {
    agents: BTreeMap<AgentId, Agent>,
    assignee: HashMap<ConversationId, AgentId>,
    /// How many conversations each agent has: kept with `assignee`, so that routing does not
    /// count through every conversation of the store.
    loads: HashMap<AgentId, usize>,
    queue: VecDeque<ConversationId>,
}

impl Desk {
    /// The agent's presence (offline when unknown).
    pub fn presence(&self, agent: AgentId) -> Presence {
        self.agents.get(&agent).map_or(Presence::Offline, |a| a.presence)
    }

    /// How many conversations the agent has.
    pub fn load(&self, agent: AgentId) -> usize {
        self.loads.get(&agent).copied().unwrap_or(0)
    }

    /// Who has the conversation, if anyone.
    pub fn assignee(&self, conversation: ConversationId) -> Option<AgentId> {
        self.assignee.get(&conversation).copied()
    }

    /// Every assigned conversation and its agent (to tell a node that just joined).
    pub fn assignments(&self) -> impl Iterator<Item = (ConversationId, AgentId)> + '_ {
        self.assignee.iter().map(|(c, a)| (*c, *a))
    }

    /// The queue, oldest first.
    pub fn queue(&self) -> impl Iterator<Item = ConversationId> + '_ {
        self.queue.iter().copied()
    }

    /// The 1-based position of a queued conversation.
    pub fn queue_position(&self, conversation: ConversationId) -> Option<usize> {
        self.queue.iter().position(|c| *c == conversation).map(|p| p + 1)
    }

    /// Sets an agent's presence and capacity (registering them if new), then fills free
    /// capacity from the queue, or empties their desk when they go offline.
    pub fn set_agent(&mut self, agent: AgentId, presence: Presence, capacity: usize, now: Instant) -> Vec<Change> {
        let entry = self.agents.entry(agent).or_insert(Agent { presence, capacity, last_assigned: now });
        let came_online = entry.presence != Presence::Online && presence == Presence::Online;
        entry.presence = presence;
        entry.capacity = capacity;
        if came_online {
            entry.last_assigned = now;
        }
        let mut changes = Vec::new();
        if presence == Presence::Offline {
            let mut theirs: Vec<ConversationId> =
                self.assignee.iter().filter(|(_, a)| **a == agent).map(|(c, _)| *c).collect();
            theirs.sort_unstable();
            for conversation in theirs.into_iter().rev() {
                self.unassign(conversation);
                self.queue.push_front(conversation);
                changes.push(Change::Queued { conversation, from: Some(agent) });
            }
            changes.reverse();
        }
        changes.extend(self.drain_queue(now));
        changes
    }

    /// Routes a conversation that needs an agent: to the best free agent, else to the queue.
    pub fn route(&mut self, conversation: ConversationId, now: Instant) -> Vec<Change> {
        if self.assignee.contains_key(&conversation) || self.queue.contains(&conversation) {
            return Vec::new();
        }
        match self.best_agent(None) {
            Some(agent) => vec![self.assign(conversation, agent, None, now)],
            None => {
                self.queue.push_back(conversation);
                vec![Change::Queued { conversation, from: None }]
            }
        }
    }

    /// A closed conversation opened again by `agent`: theirs when they are online (even past
    /// their capacity: they chose it), else queued.
    pub fn reopen(&mut self, agent: AgentId, conversation: ConversationId, now: Instant) -> Vec<Change> {
        if self.assignee.contains_key(&conversation) || self.queue.contains(&conversation) {
            return Vec::new();
        }
        if self.presence(agent) == Presence::Online {
            vec![self.assign(conversation, agent, None, now)]
        } else {
            self.queue.push_back(conversation);
            vec![Change::Queued { conversation, from: None }]
        }
    }

    /// Moves a conversation to the next best agent other than its current one (the first-reply
    /// deadline passed); it stays put when nobody else is free.
    pub fn reroute(&mut self, conversation: ConversationId, now: Instant) -> Vec<Change> {
        let current = self.assignee(conversation);
        match self.best_agent(current) {
            Some(agent) => {
                self.queue.retain(|c| *c != conversation);
                vec![self.assign(conversation, agent, current, now)]
            }
            None => Vec::new(),
        }
    }

    /// An online agent takes a conversation from the queue (or from nobody).
    pub fn claim(
        &mut self,
        agent: AgentId,
        conversation: ConversationId,
        now: Instant,
    ) -> Result<Vec<Change>, Refused> {
        if self.presence(agent) != Presence::Online {
            return Err(Refused::AgentUnavailable);
        }
        let from = self.assignee(conversation);
        if from.is_none() && !self.queue.contains(&conversation) {
            return Err(Refused::UnknownConversation);
        }
        if from == Some(agent) {
            return Ok(Vec::new());
        }
        // Capacity is the agent's own promise of how many shoppers they can answer well.
        if !self.has_room(agent) {
            return Err(Refused::AgentFull);
        }
        self.queue.retain(|c| *c != conversation);
        Ok(vec![self.assign(conversation, agent, from, now)])
    }

    /// The assignee hands a conversation to another online agent with free capacity.
    pub fn transfer(
        &mut self,
        by: AgentId,
        conversation: ConversationId,
        to: AgentId,
        now: Instant,
    ) -> Result<Vec<Change>, Refused> {
        match self.assignee(conversation) {
            None => return Err(Refused::UnknownConversation),
            Some(owner) if owner != by => return Err(Refused::NotYours),
            Some(_) => {}
        }
        if self.presence(to) != Presence::Online {
            return Err(Refused::AgentUnavailable);
        }
        if !self.has_room(to) {
            return Err(Refused::AgentFull);
        }
        Ok(vec![self.assign(conversation, to, Some(by), now)])
    }

    /// The assignee puts a conversation back in the queue; it goes to whoever is free next
    /// (never straight back to them).
    pub fn release(&mut self, by: AgentId, conversation: ConversationId, now: Instant) -> Result<Vec<Change>, Refused> {
        if self.assignee(conversation) != Some(by) {
            return Err(Refused::NotYours);
        }
        self.unassign(conversation);
        let mut changes = match self.best_agent(Some(by)) {
            Some(agent) => vec![self.assign(conversation, agent, Some(by), now)],
            None => {
                self.queue.push_back(conversation);
                vec![Change::Queued { conversation, from: Some(by) }]
            }
        };
        changes.extend(self.drain_queue_avoiding(now, Some((conversation, by))));
        Ok(changes)
    }

    /// A conversation ended: it leaves the desk and its agent's capacity is freed.
    pub fn close(&mut self, conversation: ConversationId, now: Instant) -> Vec<Change> {
        self.queue.retain(|c| *c != conversation);
        if self.unassign(conversation).is_some() {
            self.drain_queue(now)
        } else {
            Vec::new()
        }
    }

    /// Restores an assignment read back from the store after a restart.
    pub fn restore(&mut self, conversation: ConversationId, agent: Option<AgentId>) {
        match agent {
            Some(agent) => self.put(conversation, agent),
            None if !self.queue.contains(&conversation) => self.queue.push_back(conversation),
            None => {}
        }
    }

    fn has_room(&self, agent: AgentId) -> bool {
        self.agents.get(&agent).is_some_and(|a| a.presence == Presence::Online && self.load(agent) < a.capacity)
    }

    /// The online agent with room, fewest conversations, then longest wait; never `except`.
    fn best_agent(&self, except: Option<AgentId>) -> Option<AgentId> {
        self.agents
            .iter()
            .filter(|(id, _)| Some(**id) != except && self.has_room(**id))
            .min_by_key(|(id, a)| (self.load(**id), a.last_assigned, **id))
            .map(|(id, _)| *id)
    }

    /// Gives the conversation to `agent`, keeping both agents' loads right.
    fn put(&mut self, conversation: ConversationId, agent: AgentId) {
        self.unassign(conversation);
        self.assignee.insert(conversation, agent);
        *self.loads.entry(agent).or_default() += 1;
    }

    /// Takes the conversation from its agent, if any, and returns who that was.
    fn unassign(&mut self, conversation: ConversationId) -> Option<AgentId> {
        let agent = self.assignee.remove(&conversation)?;
        if let Some(load) = self.loads.get_mut(&agent) {
            *load = load.saturating_sub(1);
        }
        Some(agent)
    }

    fn assign(&mut self, conversation: ConversationId, agent: AgentId, from: Option<AgentId>, now: Instant) -> Change {
        self.put(conversation, agent);
        if let Some(a) = self.agents.get_mut(&agent) {
            a.last_assigned = now;
        }
        Change::Assigned { conversation, agent, from }
    }

    fn drain_queue(&mut self, now: Instant) -> Vec<Change> {
        self.drain_queue_avoiding(now, None)
    }

    /// Assigns queued conversations while anyone is free; `avoid` keeps a just-released
    /// conversation from going straight back to the agent who released it.
    fn drain_queue_avoiding(&mut self, now: Instant, avoid: Option<(ConversationId, AgentId)>) -> Vec<Change> {
        let mut changes = Vec::new();
        while let Some(&conversation) = self.queue.front() {
            let except = avoid.filter(|(c, _)| *c == conversation).map(|(_, a)| a);
            let Some(agent) = self.best_agent(except) else { break };
            self.queue.pop_front();
            changes.push(self.assign(conversation, agent, None, now));
        }
        changes
    }
}

#[cfg(test)]
mod tests;
