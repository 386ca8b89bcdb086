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
mod tests {
    use std::time::Duration;

    use super::*;
    use Change::{Assigned, Queued};
    use Presence::{Away, Offline, Online};

    fn at(secs: u64) -> Instant {
        // Tests never sleep: they pass explicit instants.
        static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        *START.get_or_init(Instant::now) + Duration::from_secs(secs)
    }

    fn assigned(conversation: ConversationId, agent: AgentId) -> Change {
        Assigned { conversation, agent, from: None }
    }

    #[test]
    fn loads_follow_every_move() {
        let mut desk = Desk::default();
        desk.set_agent(1, Online, 5, at(0));
        desk.set_agent(2, Online, 5, at(1));
        desk.route(10, at(2));
        desk.route(11, at(3));
        assert_eq!((desk.load(1), desk.load(2)), (1, 1));
        desk.transfer(1, 10, 2, at(4)).unwrap();
        assert_eq!((desk.load(1), desk.load(2)), (0, 2));
        // Released by 2, it goes to the other free agent.
        desk.release(2, 11, at(5)).unwrap();
        assert_eq!((desk.load(1), desk.load(2)), (1, 1));
        // 2 goes offline: their chat comes back and goes to 1.
        desk.set_agent(2, Offline, 5, at(6));
        assert_eq!((desk.load(1), desk.load(2)), (2, 0));
        desk.close(10, at(7));
        assert_eq!(desk.load(1), 1);
    }

    #[test]
    fn new_conversations_go_to_the_least_loaded_then_longest_waiting_agent() {
        let mut desk = Desk::default();
        desk.set_agent(1, Online, 5, at(0));
        desk.set_agent(2, Online, 5, at(1));
        // Equal load: agent 1 has waited longer.
        assert_eq!(desk.route(10, at(2)), vec![assigned(10, 1)]);
        // Agent 2 now has fewer conversations.
        assert_eq!(desk.route(11, at(3)), vec![assigned(11, 2)]);
        // Equal again (1 each): agent 1 was assigned longer ago.
        assert_eq!(desk.route(12, at(4)), vec![assigned(12, 1)]);
        assert_eq!(desk.route(13, at(5)), vec![assigned(13, 2)]);
        assert_eq!((desk.load(1), desk.load(2)), (2, 2));
    }

    #[test]
    fn away_and_full_agents_get_nothing_and_the_queue_is_first_in_first_out() {
        let mut desk = Desk::default();
        desk.set_agent(1, Online, 1, at(0));
        desk.set_agent(2, Away, 5, at(0));
        assert_eq!(desk.route(10, at(1)), vec![assigned(10, 1)]);
        assert_eq!(desk.route(11, at(2)), vec![Queued { conversation: 11, from: None }]);
        assert_eq!(desk.route(12, at(3)), vec![Queued { conversation: 12, from: None }]);
        assert_eq!(desk.queue_position(12), Some(2));
        // Capacity frees up: the oldest waiting conversation is assigned.
        assert_eq!(desk.close(10, at(4)), vec![assigned(11, 1)]);
        assert_eq!(desk.queue_position(12), Some(1));
        // Agent 2 comes online and takes the rest.
        assert_eq!(desk.set_agent(2, Online, 5, at(5)), vec![assigned(12, 2)]);
        assert_eq!(desk.queue().count(), 0);
    }

    #[test]
    fn raising_capacity_drains_the_queue() {
        let mut desk = Desk::default();
        desk.set_agent(1, Online, 1, at(0));
        desk.route(10, at(1));
        desk.route(11, at(2));
        desk.route(12, at(3));
        assert_eq!(desk.set_agent(1, Online, 3, at(4)), vec![assigned(11, 1), assigned(12, 1)]);
    }

    #[test]
    fn claim_transfer_and_release_follow_the_rules() {
        let mut desk = Desk::default();
        desk.set_agent(1, Online, 1, at(0));
        desk.set_agent(2, Online, 1, at(0));
        desk.set_agent(3, Away, 5, at(0));
        desk.route(10, at(1)); // agent 1
        desk.route(11, at(2)); // agent 2
        desk.route(12, at(3)); // queued
        assert_eq!(desk.claim(3, 12, at(4)), Err(Refused::AgentUnavailable), "away agents cannot claim");
        assert_eq!(desk.claim(1, 99, at(4)), Err(Refused::UnknownConversation));
        // Claiming never goes past capacity: 2 / 1 chats is a promise broken.
        assert_eq!(desk.claim(1, 12, at(4)), Err(Refused::AgentFull));
        assert_eq!(desk.queue_position(12), Some(1), "a refused claim leaves it in the queue");
        assert_eq!(desk.set_agent(1, Online, 2, at(4)), vec![assigned(12, 1)], "room made takes the queue's first");
        assert_eq!(desk.transfer(2, 10, 2, at(5)), Err(Refused::NotYours));
        assert_eq!(desk.transfer(1, 10, 2, at(5)), Err(Refused::AgentFull));
        assert_eq!(desk.transfer(1, 10, 3, at(5)), Err(Refused::AgentUnavailable));
        desk.set_agent(2, Online, 2, at(6));
        assert_eq!(desk.transfer(1, 10, 2, at(7)), Ok(vec![Assigned { conversation: 10, agent: 2, from: Some(1) }]));
        // Releasing never hands the conversation straight back; with nobody free it queues.
        assert_eq!(desk.release(1, 12, at(8)), Ok(vec![Queued { conversation: 12, from: Some(1) }]));
        assert_eq!(desk.release(1, 12, at(8)), Err(Refused::NotYours));
    }

    #[test]
    fn an_agent_going_offline_returns_their_conversations_to_the_front_of_the_queue() {
        let mut desk = Desk::default();
        desk.set_agent(1, Online, 5, at(0));
        desk.route(10, at(1));
        desk.route(11, at(2));
        desk.set_agent(2, Away, 5, at(3));
        let changes = desk.set_agent(1, Offline, 5, at(4));
        assert_eq!(
            changes,
            vec![Queued { conversation: 10, from: Some(1) }, Queued { conversation: 11, from: Some(1) }]
        );
        desk.route(12, at(5));
        assert_eq!(desk.queue().collect::<Vec<_>>(), vec![10, 11, 12]);
        assert_eq!(desk.set_agent(2, Online, 2, at(6)), vec![assigned(10, 2), assigned(11, 2)]);
    }

    #[test]
    fn reroute_moves_to_another_free_agent_or_stays() {
        let mut desk = Desk::default();
        desk.set_agent(1, Online, 5, at(0));
        desk.route(10, at(1));
        assert_eq!(desk.reroute(10, at(2)), Vec::new(), "nobody else is free");
        desk.set_agent(2, Online, 5, at(3));
        assert_eq!(desk.reroute(10, at(4)), vec![Assigned { conversation: 10, agent: 2, from: Some(1) }]);
    }
}
