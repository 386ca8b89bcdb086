//! What a routing decision announces: the timeline event of each change, `assignment` to the
//! agents concerned (or the whole team for the queue), `attendance` to the shopper (who joined,
//! or their place in the queue) and `presence` with the new load to each agent involved. Built
//! under the desk lock, sent by the journal once the events are on disk.

use protocol::ServerFrame;

use super::desk::{AgentId, Change, ConversationId, Desk};
use super::{to_status, Routing};
use crate::fanout::Audience;
use crate::store::{now_millis, EventKind, RoutingEvent};

/// The events and frames of one decision, gathered under the desk lock.
#[derive(Default)]
pub(super) struct Announcement {
    pub(super) events: Vec<RoutingEvent>,
    pub(super) frames: Vec<(Audience, ServerFrame)>,
}

impl Routing {
    /// Records one change as the conversation's handler and adds its event and frames to
    /// `entry`; returns the conversation it concerned.
    pub(super) fn apply(
        &self,
        store_id: i64,
        desk: &Desk,
        change: &Change,
        cause: EventKind,
        everyone: bool,
        entry: &mut Announcement,
    ) -> ConversationId {
        let (conversation, agent, kind, from) = match *change {
            Change::Assigned { conversation, agent, from: None } => {
                (conversation, Some(agent), EventKind::Assigned, None)
            }
            Change::Assigned { conversation, agent, from } => (conversation, Some(agent), cause, from),
            Change::Queued { conversation, from: None } => (conversation, None, EventKind::Queued, None),
            Change::Queued { conversation, from } => (conversation, None, cause, from),
        };
        entry.events.push(RoutingEvent {
            conversation_id: conversation,
            kind,
            agent_id: agent,
            from_agent_id: from,
            at: now_millis(),
        });
        self.set_handler(conversation, agent);
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
        self.tell_shopper(store_id, desk, conversation, &mut entry.frames);
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
    pub(super) fn tell_shopper(
        &self,
        store_id: i64,
        desk: &Desk,
        conversation: ConversationId,
        frames: &mut Vec<(Audience, ServerFrame)>,
    ) {
        let visitor = self.visitors.lock().unwrap_or_else(|p| p.into_inner()).get(&conversation).cloned();
        if let (Some(visitor), Some(frame)) = (visitor, attendance_frame(self, store_id, desk, conversation)) {
            frames.push((Audience::Visitor(visitor), frame));
        }
    }
}

/// What the shopper of a conversation is told of who handles it.
pub(super) fn attendance_frame(
    routing: &Routing,
    store_id: i64,
    desk: &Desk,
    conversation: ConversationId,
) -> Option<ServerFrame> {
    if let Some(agent) = desk.assignee(conversation) {
        let agent_name = routing.meta(agent).map(|m| m.name);
        return Some(ServerFrame::Attendance { agent_name, queue_position: None });
    }
    // With nobody online the shopper is not in any line worth telling of.
    let position = desk.queue_position(conversation).filter(|_| routing.anyone_online(store_id));
    Some(ServerFrame::Attendance { agent_name: None, queue_position: position.map(|p| p as u32) })
}
