//! Fan-out: who is connected right now, and delivery of a frame to everyone who may see it.
//!
//! Every socket has an outbox (a bounded channel its writer task drains). The hub maps a visitor
//! to the outboxes of their open tabs, and a store to its agents' outboxes. A frame is serialized
//! once and the same shared buffer is queued everywhere. Delivery never waits: a peer whose outbox is
//! full is kicked (its socket is closed with "reconnect"), and on reconnect it fetches what it
//! missed from the store by sequence number, so a slow phone never holds up anyone else and
//! nothing is lost.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::ws::Utf8Bytes;

use protocol::ServerFrame;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// What a socket's writer task is asked to do.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// Send this text frame.
    Text(Utf8Bytes),
    /// Send a close frame with this code and reason, then stop.
    Close(u16, String),
}

/// One connected socket as the hub sees it.
#[derive(Debug, Clone)]
pub struct Peer {
    /// Unique among the relay's live sockets.
    pub id: u64,
    /// The socket's outbox.
    pub tx: mpsc::Sender<Outgoing>,
    /// Cancelled to make the socket close itself (it fell behind).
    pub kick: CancellationToken,
}

impl Peer {
    /// Queues a frame without waiting; a full outbox kicks the peer.
    /// Asks the socket to close with a close frame, and ends it.
    fn close(&self, code: u16, reason: &str) {
        let _ = self.tx.try_send(Outgoing::Close(code, reason.to_owned()));
        self.kick.cancel();
    }

    fn offer(&self, text: &Utf8Bytes) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(Outgoing::Text(text.clone())) {
            tracing::warn!(peer = self.id, "outbox full; closing the socket so it resyncs");
            self.kick.cancel();
        }
    }
}

#[derive(Default)]
struct Rooms {
    visitors: HashMap<String, Vec<Peer>>,
    store_agents: HashMap<i64, Vec<Peer>>,
    agents: HashMap<i64, Vec<Peer>>,
    /// Owners' and admins' sockets, per store: they follow every conversation of the store
    /// (the console's "All" tab), assigned or not.
    supervisors: HashMap<i64, Vec<Peer>>,
    /// Agents' sockets by the hash of the session they signed in with, so that signing out over
    /// HTTP closes the sockets of that session.
    sessions: HashMap<Vec<u8>, Vec<Peer>>,
    /// Who handles each conversation: its messages go to that agent only. Conversations not
    /// in the map (waiting, or not routed since a restart) go to all the store's agents.
    assignees: HashMap<i64, i64>,
}

/// The registry of live sockets.
#[derive(Default)]
pub struct Hub {
    next_id: AtomicU64,
    rooms: Mutex<Rooms>,
}

/// Which room a registration is in.
#[derive(Debug, Clone)]
enum Room {
    Visitor(String),
    StoreAgents(i64),
    Agent(i64),
    Supervisors(i64),
    Session(Vec<u8>),
}

/// Keeps a peer registered; dropping it unregisters the peer.
pub struct Registration {
    hub: Arc<Hub>,
    rooms: Vec<Room>,
    peer_id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut rooms = self.hub.lock();
        let id = self.peer_id;
        for room in &self.rooms {
            match room {
                Room::Visitor(v) => remove_peer(&mut rooms.visitors, v, id),
                Room::StoreAgents(s) => remove_peer(&mut rooms.store_agents, s, id),
                Room::Agent(a) => remove_peer(&mut rooms.agents, a, id),
                Room::Supervisors(s) => remove_peer(&mut rooms.supervisors, s, id),
                Room::Session(h) => remove_peer(&mut rooms.sessions, h, id),
            }
        }
    }
}

fn remove_peer<K: std::hash::Hash + Eq + Clone>(map: &mut HashMap<K, Vec<Peer>>, key: &K, id: u64) {
    if let Some(peers) = map.get_mut(key) {
        peers.retain(|p| p.id != id);
        if peers.is_empty() {
            map.remove(key);
        }
    }
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, Rooms> {
        // A panic while holding the lock leaves plain maps in a usable state.
        self.rooms.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many sockets are registered (visitors' and agents'), for monitoring and tests.
    pub fn live_sockets(&self) -> usize {
        let rooms = self.lock();
        rooms.visitors.values().chain(rooms.store_agents.values()).map(Vec::len).sum()
    }

    /// A fresh peer id.
    pub fn next_peer_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Registers one of a visitor's sockets.
    pub fn join_visitor(self: &Arc<Self>, visitor_id: &str, peer: Peer) -> Registration {
        let peer_id = peer.id;
        self.lock().visitors.entry(visitor_id.to_owned()).or_default().push(peer);
        Registration { hub: self.clone(), rooms: vec![Room::Visitor(visitor_id.to_owned())], peer_id }
    }

    /// Registers one of an agent's sockets, with their store and as that agent.
    /// `supervises`: an owner or admin, who also follows the conversations of other agents.
    /// `session`: the hash of the session token the socket signed in with.
    pub fn join_agent(
        self: &Arc<Self>,
        store_id: i64,
        agent_id: i64,
        supervises: bool,
        session: Vec<u8>,
        peer: Peer,
    ) -> Registration {
        let peer_id = peer.id;
        let mut rooms = self.lock();
        rooms.store_agents.entry(store_id).or_default().push(peer.clone());
        rooms.sessions.entry(session.clone()).or_default().push(peer.clone());
        let mut joined = vec![Room::StoreAgents(store_id), Room::Agent(agent_id), Room::Session(session)];
        if supervises {
            rooms.supervisors.entry(store_id).or_default().push(peer.clone());
            joined.push(Room::Supervisors(store_id));
        }
        rooms.agents.entry(agent_id).or_default().push(peer);
        Registration { hub: self.clone(), rooms: joined, peer_id }
    }

    /// Sends a frame to every connection of one agent.
    pub fn to_agent(&self, agent_id: i64, frame: &ServerFrame) {
        let text = Utf8Bytes::from(protocol::encode(frame));
        if let Some(peers) = self.lock().agents.get(&agent_id) {
            peers.iter().for_each(|p| p.offer(&text));
        }
    }

    /// Closes every connection of one agent (deactivated: their sessions are gone, and so must
    /// be their live sockets).
    pub fn disconnect_agent(&self, agent_id: i64, code: u16, reason: &str) {
        if let Some(peers) = self.lock().agents.get(&agent_id) {
            peers.iter().for_each(|peer| peer.close(code, reason));
        }
    }

    /// Closes every connection of one agent except those signed in with `keep` (a password
    /// change: the agent who changed their own password keeps the session they did it from).
    pub fn disconnect_agent_except(&self, agent_id: i64, keep: Option<&[u8]>, code: u16, reason: &str) {
        let rooms = self.lock();
        let kept: Vec<u64> = keep.and_then(|k| rooms.sessions.get(k)).into_iter().flatten().map(|p| p.id).collect();
        if let Some(peers) = rooms.agents.get(&agent_id) {
            peers.iter().filter(|p| !kept.contains(&p.id)).for_each(|peer| peer.close(code, reason));
        }
    }

    /// Closes every tab of a visitor (their data was deleted).
    pub fn disconnect_visitor(&self, visitor_id: &str) {
        if let Some(peers) = self.lock().visitors.get(visitor_id) {
            peers.iter().for_each(|peer| peer.close(1008, "this visitor's data was deleted"));
        }
    }

    /// Closes every connection signed in with one session (signed out elsewhere).
    pub fn disconnect_session(&self, session: &[u8], code: u16, reason: &str) {
        if let Some(peers) = self.lock().sessions.get(session) {
            peers.iter().for_each(|peer| peer.close(code, reason));
        }
    }

    /// Sends a frame to every open tab of a visitor.
    pub fn to_visitor(&self, visitor_id: &str, frame: &ServerFrame) {
        let text = Utf8Bytes::from(protocol::encode(frame));
        if let Some(peers) = self.lock().visitors.get(visitor_id) {
            peers.iter().for_each(|p| p.offer(&text));
        }
    }

    /// Sends a frame to every connected agent of a store.
    pub fn to_store_agents(&self, store_id: i64, frame: &ServerFrame) {
        let text = Utf8Bytes::from(protocol::encode(frame));
        if let Some(peers) = self.lock().store_agents.get(&store_id) {
            peers.iter().for_each(|p| p.offer(&text));
        }
    }

    /// Who handles a conversation, as routing last said.
    pub fn assignee(&self, conversation_id: i64) -> Option<i64> {
        self.lock().assignees.get(&conversation_id).copied()
    }

    /// Records who handles a conversation (`None`: it waits for anyone).
    pub fn set_assignee(&self, conversation_id: i64, agent_id: Option<i64>) {
        let mut rooms = self.lock();
        match agent_id {
            Some(agent) => rooms.assignees.insert(conversation_id, agent),
            None => rooms.assignees.remove(&conversation_id),
        };
    }

    /// Sends a frame to both sides of a conversation: the shopper's tabs, and its agent (or,
    /// while nobody has it, every agent of the store).
    pub fn to_conversation(&self, store_id: i64, conversation_id: i64, visitor_id: &str, frame: &ServerFrame) {
        let text = Utf8Bytes::from(protocol::encode(frame));
        let rooms = self.lock();
        let visitors = rooms.visitors.get(visitor_id).into_iter().flatten();
        visitors.chain(Self::agents_of(&rooms, store_id, conversation_id)).for_each(|p| p.offer(&text));
    }

    /// Sends a frame to the agent side of a conversation only (see [`Hub::to_conversation`]).
    pub fn to_conversation_agents(&self, store_id: i64, conversation_id: i64, frame: &ServerFrame) {
        let text = Utf8Bytes::from(protocol::encode(frame));
        let rooms = self.lock();
        Self::agents_of(&rooms, store_id, conversation_id).for_each(|p| p.offer(&text));
    }

    /// The assignee's sockets and the store's supervisors' (each once), or every agent of the
    /// store while nobody has the conversation.
    fn agents_of(rooms: &Rooms, store_id: i64, conversation_id: i64) -> impl Iterator<Item = &Peer> {
        let (agents, watching) = match rooms.assignees.get(&conversation_id) {
            Some(agent) => (rooms.agents.get(agent), rooms.supervisors.get(&store_id)),
            None => (rooms.store_agents.get(&store_id), None),
        };
        let agents = agents.map(Vec::as_slice).unwrap_or_default();
        let watching = watching.into_iter().flatten().filter(move |p| !agents.iter().any(|a| a.id == p.id));
        agents.iter().chain(watching)
    }
}
