//! The one delivery path: every frame the relay sends to someone other than the socket that
//! asked goes through [`Fanout::publish`], addressed to an [`Audience`].
//!
//! Services hold an `Arc<dyn Fanout>` and never see sockets. Today's implementation is the
//! in-process hub (`hub.rs`); a bus between relays (NATS, issue 16) implements the same
//! trait by publishing each audience on a subject that the nodes holding those sockets
//! subscribe to. An audience therefore says everything needed to find its sockets anywhere:
//! a conversation's audience carries its assignee, decided by routing, not looked up in the
//! hub.

use protocol::ServerFrame;

/// Who a frame is for (serializable: the bus between relays carries it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Audience {
    /// Every open tab of one shopper.
    Visitor(String),
    /// Both sides of a conversation: the shopper's tabs, and its agents (see
    /// [`Audience::ConversationAgents`]).
    Conversation {
        /// The conversation's store.
        store_id: i64,
        /// Its shopper.
        visitor_id: String,
        /// Who handles it, as routing says; `None` while it waits for anyone.
        assignee: Option<i64>,
    },
    /// The agent side of a conversation: its assignee and the store's supervisors (owners and
    /// admins), each socket once; every agent of the store while nobody has it.
    ConversationAgents {
        /// The conversation's store.
        store_id: i64,
        /// Who handles it; `None` while it waits for anyone.
        assignee: Option<i64>,
    },
    /// Every connected agent of a store.
    StoreAgents(i64),
    /// Every connection of one agent.
    Agent(i64),
    /// Every connection of one agent except those signed in with the session `keep` (the
    /// session a password was changed from stays).
    AgentExceptSession {
        /// The agent.
        agent_id: i64,
        /// The hash of the session token whose sockets stay open.
        keep: Option<Vec<u8>>,
    },
    /// Every connection signed in with one session (by the hash of its token).
    Session(Vec<u8>),
}

/// Delivers frames to audiences, and ends their sockets when access ends.
///
/// Delivery never waits and never fails the caller: a socket that cannot keep up is closed
/// and resyncs by sequence number when it reconnects.
pub trait Fanout: Send + Sync {
    /// Queues `frame` to every socket of the audience.
    fn publish(&self, to: &Audience, frame: &ServerFrame);
    /// Closes every socket of the audience with this close code and reason.
    fn close(&self, to: &Audience, code: u16, reason: &str);
    /// Whether another relay holds a socket of the shopper now (several relays on one bus),
    /// asked when this relay's last one closes: a shopper with a tab on another node has not
    /// left. A relay alone knows no other.
    fn visitor_elsewhere(&self, _visitor_id: &str) -> futures_util::future::BoxFuture<'static, bool> {
        Box::pin(async { false })
    }
}

/// Close codes the relay uses (RFC 6455 and the IANA registry).
pub mod close_code {
    /// A normal end (the agent signed out).
    pub const NORMAL: u16 = 1000;
    /// The relay is shutting down.
    pub const GOING_AWAY: u16 = 1001;
    /// The peer broke the protocol or stayed silent.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// The peer is not allowed (authentication failed too often, data deleted, account
    /// deactivated).
    pub const POLICY_VIOLATION: u16 = 1008;
    /// A frame exceeded the size limit.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The peer fell behind; reconnect and resync.
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

/// A fan-out that remembers what it was asked to deliver, for tests of services without
/// sockets.
#[derive(Default)]
pub struct Recorder {
    sent: std::sync::Mutex<Vec<(Audience, ServerFrame)>>,
    notify: tokio::sync::Notify,
}

impl Recorder {
    /// Everything published so far, in order, and forgets it.
    pub fn take(&self) -> Vec<(Audience, ServerFrame)> {
        std::mem::take(&mut *self.sent.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Waits until something was published (returns at once when something already was).
    pub async fn published(&self) {
        loop {
            let notified = self.notify.notified();
            if !self.sent.lock().unwrap_or_else(|p| p.into_inner()).is_empty() {
                return;
            }
            notified.await;
        }
    }
}

impl Fanout for Recorder {
    fn publish(&self, to: &Audience, frame: &ServerFrame) {
        self.sent.lock().unwrap_or_else(|p| p.into_inner()).push((to.clone(), frame.clone()));
        self.notify.notify_waiters();
    }

    fn close(&self, _to: &Audience, _code: u16, _reason: &str) {}
}
