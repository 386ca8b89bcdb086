//! The desk's decisions, driven with explicit instants: who gets a conversation, the queue,
//! capacity, presence and the offline grace.

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
    assert_eq!(changes, vec![Queued { conversation: 10, from: Some(1) }, Queued { conversation: 11, from: Some(1) }]);
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
