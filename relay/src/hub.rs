//! The in-process fan-out: who is connected to this relay right now, and delivery of a frame to
//! every socket of an [`Audience`] (the one [`Fanout`] implementation today).
//!
//! Every socket has an outbox (a bounded channel its writer task drains). The hub maps a visitor
//! to the outboxes of their open tabs, and a store to its agents' outboxes. A frame is serialized
//! once and the same shared buffer is queued everywhere. Delivery never waits: a peer whose outbox is
//! full is kicked (its socket is closed with "reconnect"), and on reconnect it fetches what it
//! missed from the store by sequence number, so a slow phone never holds up anyone else and
//! nothing is lost.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::ws::Utf8Bytes;

use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender};
use protocol::ServerFrame;

use crate::fanout::{Audience, Fanout};
use tokio_util::sync::CancellationToken;

/// What a socket's writer task is asked to do.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// Send this text frame.
    Text(Utf8Bytes),
    /// Send a close frame with this code and reason, then stop.
    Close(u16, String),
}

/// How many frames from others may wait in a socket's outbox before the peer counts as stuck.
pub const OUTBOX_CAPACITY: usize = 256;

/// The sending side of a socket's outbox: frames for its writer task, counted, so that the hub
/// can tell a peer that stopped reading. An idle socket's outbox holds no slots at all.
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: UnboundedSender<Outgoing>,
    queued: Arc<AtomicUsize>,
}

/// The receiving side, for the socket's writer task.
#[derive(Debug)]
pub struct OutboxReader {
    rx: UnboundedReceiver<Outgoing>,
    queued: Arc<AtomicUsize>,
}

/// A socket's outbox, both ends.
pub fn outbox() -> (Outbox, OutboxReader) {
    let (tx, rx) = futures_channel::mpsc::unbounded();
    let queued = Arc::new(AtomicUsize::new(0));
    (Outbox { tx, queued: queued.clone() }, OutboxReader { rx, queued })
}

impl Outbox {
    /// Queues a frame whatever the count (the socket's own answers, close frames); false once
    /// the writer is gone.
    pub fn push(&self, item: Outgoing) -> bool {
        self.queued.fetch_add(1, Ordering::Relaxed);
        self.tx.unbounded_send(item).is_ok()
    }

    /// Queues a frame from someone else unless [`OUTBOX_CAPACITY`] are waiting already; false
    /// when the outbox is full.
    fn offer(&self, item: Outgoing) -> bool {
        if self.queued.fetch_add(1, Ordering::Relaxed) >= OUTBOX_CAPACITY {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            return false;
        }
        // A writer already gone is the reader's to notice.
        let _ = self.tx.unbounded_send(item);
        true
    }
}

impl OutboxReader {
    /// The next frame to send; `None` once every sender is gone.
    pub async fn recv(&mut self) -> Option<Outgoing> {
        let item = futures_util::StreamExt::next(&mut self.rx).await;
        if item.is_some() {
            self.queued.fetch_sub(1, Ordering::Relaxed);
        }
        item
    }

    /// A frame already waiting, without waiting for one: the writer sends what has piled up
    /// in one write.
    pub fn try_recv(&mut self) -> Option<Outgoing> {
        let item = self.rx.try_recv().ok();
        if item.is_some() {
            self.queued.fetch_sub(1, Ordering::Relaxed);
        }
        item
    }
}

/// One connected socket as the hub sees it.
#[derive(Debug, Clone)]
pub struct Peer {
    /// Unique among the relay's live sockets.
    pub id: u64,
    /// The socket's outbox.
    pub tx: Outbox,
    /// Cancelled to make the socket close itself (it fell behind).
    pub kick: CancellationToken,
}

impl Peer {
    /// Asks the socket to close with a close frame, and ends it.
    fn close(&self, code: u16, reason: &str) {
        self.tx.push(Outgoing::Close(code, reason.to_owned()));
        self.kick.cancel();
    }

    /// Queues a frame without waiting; a full outbox kicks the peer.
    fn offer(&self, text: &Utf8Bytes) {
        if !self.tx.offer(Outgoing::Text(text.clone())) && !self.kick.is_cancelled() {
            // Said once: frames keep coming until the socket is gone.
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
}

/// The registry of live sockets.
#[derive(Default)]
pub struct Hub {
    next_id: AtomicU64,
    rooms: Mutex<Rooms>,
    /// Told which rooms have sockets here (the bus between relays subscribes to them).
    interest: std::sync::OnceLock<Arc<dyn Interest>>,
}

/// A group of sockets the hub delivers to: what a bus between relays subscribes to for this
/// node while a socket of the room is here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Room {
    /// A shopper's tabs.
    Visitor(String),
    /// Every agent of a store.
    StoreAgents(i64),
    /// One agent's sockets.
    Agent(i64),
    /// A store's owners and admins (also in [`Room::StoreAgents`]).
    Supervisors(i64),
    /// The sockets signed in with one session (by its token's hash).
    Session(Vec<u8>),
}

/// Learns when a room gains its first socket on this node and loses its last, so that frames
/// published on other nodes reach it (`bus.rs`). Calls never wait.
pub trait Interest: Send + Sync {
    /// A socket of `room` joined (counted: every join is matched by one [`Interest::unwatch`]).
    fn watch(&self, room: &Room);
    /// A socket of `room` left.
    fn unwatch(&self, room: &Room);
    /// Resolves once every room watched so far receives what other nodes publish.
    fn settled(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;
}

/// Keeps a peer registered; dropping it unregisters the peer.
pub struct Registration {
    hub: Arc<Hub>,
    rooms: Vec<Room>,
    peer_id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(interest) = self.hub.interest.get() {
            self.rooms.iter().for_each(|room| interest.unwatch(room));
        }
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

    /// Whether any socket of the visitor is registered here.
    pub fn visitor_connected(&self, visitor_id: &str) -> bool {
        self.lock().visitors.contains_key(visitor_id)
    }

    /// From now on tells `interest` which rooms have sockets here (once; the relay sets it at
    /// start, before any socket joins).
    pub fn set_interest(&self, interest: Arc<dyn Interest>) {
        let _ = self.interest.set(interest);
    }

    /// Waits until what other nodes publish reaches the rooms joined so far (at once without a
    /// bus). A socket calls it after joining and before it reads its backlog, so no frame falls
    /// between the two.
    pub async fn settled(&self) {
        if let Some(interest) = self.interest.get() {
            interest.settled().await;
        }
    }

    fn joined(self: &Arc<Self>, rooms: Vec<Room>, peer_id: u64) -> Registration {
        if let Some(interest) = self.interest.get() {
            rooms.iter().for_each(|room| interest.watch(room));
        }
        Registration { hub: self.clone(), rooms, peer_id }
    }

    /// Queues already encoded text to every socket of the audience here (what another node
    /// published).
    pub fn deliver(&self, to: &Audience, text: &Utf8Bytes) {
        let rooms = self.lock();
        Hub::peers(&rooms, to, &mut |peer| peer.offer(text));
    }

    /// Closes every socket here with `code` and `reason` (after a cut from the bus between
    /// relays: they reconnect and catch up by sequence number).
    pub fn close_everyone(&self, code: u16, reason: &str) {
        let rooms = self.lock();
        rooms.visitors.values().chain(rooms.store_agents.values()).flatten().for_each(|peer| peer.close(code, reason));
    }

    /// A fresh peer id.
    pub fn next_peer_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Registers one of a visitor's sockets.
    pub fn join_visitor(self: &Arc<Self>, visitor_id: &str, peer: Peer) -> Registration {
        let peer_id = peer.id;
        self.lock().visitors.entry(visitor_id.to_owned()).or_default().push(peer);
        self.joined(vec![Room::Visitor(visitor_id.to_owned())], peer_id)
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
        drop(rooms);
        self.joined(joined, peer_id)
    }
}

impl Fanout for Hub {
    fn publish(&self, to: &Audience, frame: &ServerFrame) {
        self.deliver(to, &Utf8Bytes::from(protocol::encode(frame)));
    }

    fn close(&self, to: &Audience, code: u16, reason: &str) {
        let rooms = self.lock();
        Hub::peers(&rooms, to, &mut |peer| peer.close(code, reason));
    }
}

impl Hub {
    /// Calls `each` once for every socket of the audience.
    fn peers(rooms: &Rooms, to: &Audience, each: &mut dyn FnMut(&Peer)) {
        fn of(peers: Option<&Vec<Peer>>) -> &[Peer] {
            peers.map(Vec::as_slice).unwrap_or_default()
        }
        match to {
            Audience::Visitor(visitor) => of(rooms.visitors.get(visitor)).iter().for_each(each),
            Audience::Conversation { store_id, visitor_id, assignee } => {
                of(rooms.visitors.get(visitor_id)).iter().for_each(&mut *each);
                Self::agents_of(rooms, *store_id, *assignee).for_each(each);
            }
            Audience::ConversationAgents { store_id, assignee } => {
                Self::agents_of(rooms, *store_id, *assignee).for_each(each)
            }
            Audience::StoreAgents(store) => of(rooms.store_agents.get(store)).iter().for_each(each),
            Audience::Agent(agent) => of(rooms.agents.get(agent)).iter().for_each(each),
            Audience::AgentExceptSession { agent_id, keep } => {
                let kept = keep.as_ref().and_then(|k| rooms.sessions.get(k));
                let kept: Vec<u64> = kept.into_iter().flatten().map(|p| p.id).collect();
                of(rooms.agents.get(agent_id)).iter().filter(|p| !kept.contains(&p.id)).for_each(each);
            }
            Audience::Session(hash) => of(rooms.sessions.get(hash)).iter().for_each(each),
        }
    }

    /// The assignee's sockets and the store's supervisors' (each once), or every agent of the
    /// store while nobody has the conversation.
    fn agents_of(rooms: &Rooms, store_id: i64, assignee: Option<i64>) -> impl Iterator<Item = &Peer> {
        let (agents, watching) = match assignee {
            Some(agent) => (rooms.agents.get(&agent), rooms.supervisors.get(&store_id)),
            None => (rooms.store_agents.get(&store_id), None),
        };
        let agents = agents.map(Vec::as_slice).unwrap_or_default();
        let watching = watching.into_iter().flatten().filter(move |p| !agents.iter().any(|a| a.id == p.id));
        agents.iter().chain(watching)
    }
}
