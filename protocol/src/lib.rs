//! The wire protocol between shoppers' widgets, agents' clients and the relay.
//!
//! Every frame is one JSON object in one WebSocket text message, tagged by its `"type"` field.
//! Three enums cover the three directions: [`VisitorFrame`] (widget → relay), [`AgentFrame`]
//! (agent client → relay) and [`ServerFrame`] (relay → any client). This crate holds the frames
//! and the rules that every side must agree on (size limits, how a text frame is classified), and
//! nothing else: no I/O, no runtime, so it compiles for the browser and the server alike.
//! `docs/protocol.md` shows a JSON example of every frame.

use serde::{Deserialize, Serialize};

/// The largest text frame a client may send, in bytes. Larger frames are refused with
/// [`ErrorCode::FrameTooLarge`] (up to 256 KiB; the socket stays open) or a close frame
/// with code 1009 (beyond).
pub const MAX_FRAME_BYTES: usize = 16 * 1024;

/// The longest message text, in characters. Longer texts are refused with
/// [`ErrorCode::TextTooLong`] so that no client has to render a novel.
pub const MAX_TEXT_CHARS: usize = 4000;

/// The longest page address a widget may report, in bytes.
pub const MAX_URL_BYTES: usize = 2048;

/// The longest page title kept, in characters.
pub const MAX_TITLE_CHARS: usize = 300;

/// The longest client-generated message id, in bytes.
pub const MAX_CLIENT_ID_BYTES: usize = 64;

/// A conversation's id: small integers that an agent can type (`/to 12 hello`).
pub type ConversationId = i64;

/// A message's position in its conversation: 1, 2, 3… with no gaps. Clients remember the last
/// one they hold and ask for what follows after a reconnect.
pub type Seq = u64;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// Who wrote a message. The widget shows `Bot` and `System` messages as automatic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The shopper.
    Visitor,
    /// A human agent of the store.
    Agent,
    /// An automatic reply.
    Bot,
    /// A notice from the relay itself (for example "Anna joined").
    System,
}

/// A message's author as clients display it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// What kind of author this is.
    pub role: Role,
    /// The display name for agents and the bot; absent for the shopper.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One stored chat message, exactly as the relay persisted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The relay's id for the message, unique across the relay.
    pub id: i64,
    /// The conversation it belongs to.
    pub conversation_id: ConversationId,
    /// Its position in the conversation.
    pub seq: Seq,
    /// Who wrote it.
    pub author: Author,
    /// Plain text. Clients must render it as text, never as HTML.
    pub text: String,
    /// The id the sending client gave it, echoed so the sender can match its pending copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// When the relay stored it.
    pub at: Millis,
    /// For a bot answer taken from the FAQ: the article's id. The widget then asks "Did this
    /// answer your question?" and sends `feedback`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faq_article: Option<String>,
}

/// What an agent's inbox shows of one conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    /// The conversation's id.
    pub id: ConversationId,
    /// The shopper's opaque visitor id.
    pub visitor_id: String,
    /// When it began.
    pub created_at: Millis,
    /// The sequence number of its latest message.
    pub last_seq: Seq,
    /// Its latest message, for the inbox preview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<Message>,
    /// The agent handling it; absent while it waits in the queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_agent_id: Option<i64>,
    /// The email the shopper left while nobody was there: follow up by email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_email: Option<String>,
    /// The last message the store's agents have seen, for unread counts.
    #[serde(default)]
    pub agent_read_seq: Seq,
    /// When it was closed; absent while open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Millis>,
}

/// A private note an agent left on a conversation. Only the store's agents ever see it: it is
/// stored apart from the messages and never sent on a visitor's socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// The relay's id for it.
    pub id: i64,
    /// The conversation it is about.
    pub conversation_id: ConversationId,
    /// The agent who wrote it.
    pub agent_id: i64,
    /// Their display name.
    pub agent_name: String,
    /// Plain text.
    pub text: String,
    /// The id the writing client gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// When the relay stored it.
    pub at: Millis,
}

/// The page a shopper is on, as their widget reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageView {
    /// The page's address (at most [`MAX_URL_BYTES`]).
    pub url: String,
    /// The page's title (cut to [`MAX_TITLE_CHARS`]).
    #[serde(default)]
    pub title: String,
    /// When the relay heard of it.
    #[serde(default)]
    pub at: Millis,
}

/// An agent's availability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Takes new conversations.
    Online,
    /// Keeps their conversations, takes no new ones.
    Away,
    /// Gone; their conversations return to the queue.
    Offline,
}

/// The signed-in agent, as their clients show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentInfo {
    /// The agent's id.
    pub id: i64,
    /// Display name, shown to shoppers.
    pub name: String,
    /// Login email.
    pub email: String,
}

/// The store (tenant) a client belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreInfo {
    /// The public key used in the script tag.
    pub key: String,
    /// The store's display name.
    pub name: String,
}

/// A store's settings, as the console's Settings page reads and writes them
/// (`GET`/`PUT /api/stores/{key}/settings`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreSettings {
    /// Display name.
    pub name: String,
    /// The widget's accent colour, `#rrggbb`.
    pub colour: String,
    /// The launcher's corner: `right` or `left`.
    pub position: String,
    /// The bot's greeting when a shopper opens the chat.
    pub greeting: Option<String>,
    /// The first-reply deadline in seconds.
    pub first_reply_secs: u32,
    /// Business hours (`None`: always open).
    pub hours: Option<String>,
    /// The time zone of the hours.
    pub timezone: String,
    /// Page origins allowed to embed the widget (`self` for the relay's own pages).
    pub origins: Vec<String>,
    /// Days conversations are kept after their last message (`None`, or absent: for ever).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
}

/// What an agent may do in their store. One list for the relay, the console and the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentRole {
    /// Manages the store, its agents (owners too), its settings and its shoppers' data.
    Owner,
    /// Manages agents (not owners), settings, the FAQ and canned replies.
    Admin,
    /// Chats.
    #[default]
    Agent,
}

impl AgentRole {
    /// Every role, most powerful first.
    pub const ALL: [AgentRole; 3] = [AgentRole::Owner, AgentRole::Admin, AgentRole::Agent];

    /// Its name in the API and the database: `owner`, `admin` or `agent`.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentRole::Owner => "owner",
            AgentRole::Admin => "admin",
            AgentRole::Agent => "agent",
        }
    }

    /// Whether the role manages the store (team, settings, FAQ, canned replies) and follows
    /// every conversation of it.
    pub fn supervises(self) -> bool {
        matches!(self, AgentRole::Owner | AgentRole::Admin)
    }
}

impl std::str::FromStr for AgentRole {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        AgentRole::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| format!("{text:?}: the role must be owner, admin or agent"))
    }
}

impl std::fmt::Display for AgentRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An agent as the console's Team page lists them (`/api/stores/{key}/team`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    /// Their id.
    pub id: i64,
    /// Login email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// What they may do.
    pub role: AgentRole,
    /// Conversations at once.
    pub capacity: u32,
    /// False once deactivated: they can no longer sign in.
    pub active: bool,
    /// Their status now, in listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<AgentStatus>,
}

/// A reply agents insert by its shortcut (`/size`), shared by a store's agents
/// (`/api/stores/{key}/canned`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedReply {
    /// Its id.
    pub id: i64,
    /// What the agent types after `/`.
    pub shortcut: String,
    /// The text, with `{shopper_name}`, `{agent_name}` and `{store_name}` placeholders.
    pub text: String,
}

/// Frames the shopper's widget sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VisitorFrame {
    /// The first frame on every connection. `token` is what an earlier `visitor_welcome` gave
    /// (absent on a first visit); `last_seq` is the last message the widget already holds.
    Hello {
        /// The signed visitor token kept in localStorage.
        #[serde(default)]
        token: Option<String>,
        /// The last sequence number already shown; 0 for "send me everything".
        #[serde(default)]
        last_seq: Seq,
    },
    /// A new message from the shopper. Resending with the same `client_id` never duplicates it.
    Send {
        /// A client-generated id, unique for this visitor (1 to 64 bytes).
        client_id: String,
        /// The message text.
        text: String,
    },
    /// The shopper's widget has shown every message up to `seq`.
    Ack {
        /// The highest sequence number shown.
        seq: Seq,
    },
    /// Asks for messages after `after_seq` (answered by a `history` frame).
    Sync {
        /// The last sequence number already held.
        after_seq: Seq,
    },
    /// The shopper is typing (sent at most every 2 s while they type).
    Typing,
    /// The shopper's answer to "Did this answer your question?" under a bot's FAQ answer.
    Feedback {
        /// The bot message (one carrying `faq_article`).
        message_id: i64,
        /// Yes (the question is settled) or no (bring a person in).
        helpful: bool,
    },
    /// The page the shopper is on: sent after `visitor_welcome` and whenever the address
    /// changes, so that agents see where the shopper is and what they looked at.
    Page {
        /// The page's address.
        url: String,
        /// The page's title.
        #[serde(default)]
        title: String,
        /// Where the shopper came from (`document.referrer`), if anywhere.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        referrer: Option<String>,
        /// The browser's language (`navigator.language`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        language: Option<String>,
        /// The shopper's IANA time zone, for their local time.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        time_zone: Option<String>,
        /// Pages of this visit seen before the widget connected, oldest first (at most 20
        /// are kept), with the times the widget saw them.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        earlier: Vec<PageView>,
    },
}

impl VisitorFrame {
    /// Every `type` a visitor may send, to tell an unknown type from a malformed frame.
    pub const TYPES: &'static [&'static str] = &["hello", "send", "ack", "sync", "typing", "feedback", "page"];
}

/// How often a client may report typing; the relay drops reports that come faster, and
/// clients hide the indicator when none came for twice this long.
pub const TYPING_EVERY_MS: u64 = 2000;

/// Frames an agent's client (console or terminal) sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentFrame {
    /// Signs in with email and password; answered by `agent_welcome` or an error.
    Login {
        /// The agent's email.
        email: String,
        /// The agent's password.
        password: String,
        /// The status to start with (online when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<AgentStatus>,
        /// The store's key, needed only when the email and password open several stores
        /// (answered `store_required` otherwise).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        store: Option<String>,
    },
    /// Signs in again with the session token an earlier `agent_welcome` gave. In the browser
    /// console the token is left out: the relay then uses the session cookie that the socket's
    /// upgrade request carried (JavaScript cannot read it).
    Resume {
        /// The session token; empty or absent to use the session cookie.
        #[serde(default)]
        token: String,
        /// The status to start with (online when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<AgentStatus>,
    },
    /// Sets the agent's status on every one of their connections.
    SetStatus {
        /// The new status.
        status: AgentStatus,
    },
    /// Sets how many conversations the agent handles at once.
    SetCapacity {
        /// At least 1.
        capacity: u32,
    },
    /// Takes a conversation from the queue.
    Claim {
        /// The conversation.
        conversation_id: ConversationId,
    },
    /// Hands one of the agent's conversations to another online agent.
    Transfer {
        /// The conversation.
        conversation_id: ConversationId,
        /// The agent to hand it to.
        to_agent_id: i64,
    },
    /// Puts one of the agent's conversations back in the queue.
    Release {
        /// The conversation.
        conversation_id: ConversationId,
    },
    /// Ends a conversation: the assignee's (or, while it waits in the queue, any agent's of the
    /// store). The shopper's next message starts a new one.
    Close {
        /// The conversation.
        conversation_id: ConversationId,
    },
    /// Opens a closed conversation again and gives it to this agent (or, when they are not
    /// online, to the queue). Refused while the shopper has a newer open conversation.
    Reopen {
        /// The conversation.
        conversation_id: ConversationId,
    },
    /// A private note on a conversation, for the store's agents only. Answered by a `note`
    /// frame to every agent of the store; resending with the same `client_id` never duplicates it.
    Note {
        /// The conversation.
        conversation_id: ConversationId,
        /// A client-generated id (1 to 64 bytes).
        client_id: String,
        /// The note's text.
        text: String,
    },
    /// Ends the session at once: the agent goes offline and the token stops working.
    Logout,
    /// The agent is typing in a conversation (sent at most every 2 s while they type).
    Typing {
        /// The conversation.
        conversation_id: ConversationId,
    },
    /// A reply to a shopper. Resending with the same `client_id` never duplicates it.
    Send {
        /// The conversation to reply in.
        conversation_id: ConversationId,
        /// A client-generated id, unique for this agent (1 to 64 bytes).
        client_id: String,
        /// The message text.
        text: String,
    },
    /// The agent has seen every message of a conversation up to `seq`.
    Ack {
        /// The conversation.
        conversation_id: ConversationId,
        /// The highest sequence number seen.
        seq: Seq,
    },
    /// Asks for a conversation's messages after `after_seq` (answered by a `history` frame).
    Sync {
        /// The conversation.
        conversation_id: ConversationId,
        /// The last sequence number already held.
        after_seq: Seq,
    },
}

impl AgentFrame {
    /// Every `type` an agent may send, to tell an unknown type from a malformed frame.
    pub const TYPES: &'static [&'static str] = &[
        "login",
        "resume",
        "set_status",
        "set_capacity",
        "claim",
        "transfer",
        "release",
        "close",
        "reopen",
        "note",
        "logout",
        "typing",
        "send",
        "ack",
        "sync",
    ];
}

/// Frames the relay sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// Answers a visitor's `hello`: who they are and where their conversation stands.
    VisitorWelcome {
        /// The visitor's opaque id.
        visitor_id: String,
        /// The signed token to keep and present on the next `hello`.
        token: String,
        /// The store being chatted with.
        store: StoreInfo,
        /// The visitor's open conversation, if one exists.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conversation_id: Option<ConversationId>,
    },
    /// Answers an agent's `login` or `resume`.
    AgentWelcome {
        /// The signed-in agent.
        agent: AgentInfo,
        /// Their store.
        store: StoreInfo,
        /// A session token for `resume` after a reconnect.
        session_token: String,
        /// The store's open conversations, newest first.
        conversations: Vec<ConversationSummary>,
    },
    /// A conversation appeared (sent to the store's agents).
    Conversation {
        /// Its summary.
        conversation: ConversationSummary,
    },
    /// A new message in a conversation the receiver may see.
    Message {
        /// The stored message.
        message: Message,
    },
    /// Messages the receiver missed, oldest first. `more` says another `sync` is needed.
    History {
        /// The conversation.
        conversation_id: ConversationId,
        /// The messages.
        messages: Vec<Message>,
        /// True when the relay stopped at its page size and more messages follow.
        more: bool,
    },
    /// The relay stored the sender's message: it is on disk.
    Accepted {
        /// The sender's id for it.
        client_id: String,
        /// The conversation it went to.
        conversation_id: ConversationId,
        /// The relay's id for it.
        message_id: i64,
        /// Its sequence number.
        seq: Seq,
        /// When it was stored.
        at: Millis,
    },
    /// The other side has seen the conversation up to `seq`.
    Read {
        /// The conversation.
        conversation_id: ConversationId,
        /// The highest sequence number seen.
        seq: Seq,
        /// Who has seen it.
        by: Role,
    },
    /// Someone is typing in a conversation: the shopper (to its agent) or an agent (to the
    /// shopper, with their display name).
    Typing {
        /// The conversation.
        conversation_id: ConversationId,
        /// Who is typing.
        by: Role,
        /// The agent's display name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// Who handles a conversation now (sent to the store's agents). `agent_id` is absent while
    /// it waits in the queue, at `queue_position` (1 = next).
    Assignment {
        /// The conversation.
        conversation_id: ConversationId,
        /// The assignee.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent_id: Option<i64>,
        /// The assignee's display name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent_name: Option<String>,
        /// The position in the queue when unassigned.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queue_position: Option<u32>,
    },
    /// An agent's status changed (sent to every connection of that agent).
    Presence {
        /// The agent.
        agent_id: i64,
        /// The new status.
        status: AgentStatus,
        /// Their capacity.
        capacity: u32,
        /// How many conversations they have.
        load: u32,
    },
    /// A conversation ended (sent to the store's agents and to the shopper).
    Closed {
        /// The conversation.
        conversation_id: ConversationId,
        /// The agent who closed it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by_agent_id: Option<i64>,
    },
    /// A private note was left on a conversation (sent to the store's agents only).
    Note {
        /// The note.
        note: Note,
    },
    /// A shopper with an open conversation moved to another page (sent to the store's agents).
    VisitorPage {
        /// The shopper's conversation.
        conversation_id: ConversationId,
        /// The page.
        page: PageView,
    },
    /// Tells the shopper where their conversation stands: an agent's name once one has joined,
    /// else the place in the queue.
    Attendance {
        /// The display name of the agent who joined.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent_name: Option<String>,
        /// The place in the queue (1 = next) while waiting.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        queue_position: Option<u32>,
    },
    /// Something the client sent was refused. The connection stays open unless the relay
    /// closes it right after (it then says so with a close frame).
    Error {
        /// A stable, machine-readable code.
        code: ErrorCode,
        /// A human-readable explanation in English.
        message: String,
        /// The `client_id` of the refused `send`, when there was one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
        /// For `rate_limited`: how long to wait before trying again, in milliseconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
}

/// Why a frame or request was refused. Stable: clients branch on these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is larger than [`MAX_FRAME_BYTES`].
    FrameTooLarge,
    /// The frame is not valid JSON or lacks a required field.
    Malformed,
    /// The frame's `type` is not one this endpoint knows.
    UnknownType,
    /// Binary frames are not part of the protocol.
    BinaryNotSupported,
    /// No store has this key.
    UnknownStore,
    /// The page's origin is not among the store's allowed origins.
    OriginNotAllowed,
    /// The visitor token's signature does not verify; a new identity was issued instead.
    BadToken,
    /// Wrong email or password, or an expired session token.
    BadCredentials,
    /// The email and password open several stores: sign in again naming one (the message
    /// lists their keys).
    StoreRequired,
    /// The frame needs a `hello`, `login` or `resume` first.
    NotAuthenticated,
    /// `hello`, `login` or `resume` was sent twice.
    AlreadyAuthenticated,
    /// No such conversation for this client.
    NotFound,
    /// The text is empty or only white space.
    EmptyText,
    /// The text is longer than [`MAX_TEXT_CHARS`].
    TextTooLong,
    /// The `client_id` is empty or longer than [`MAX_CLIENT_ID_BYTES`].
    BadClientId,
    /// Only the conversation's assignee may do this.
    NotYours,
    /// The agent is not online (or does not exist in this store).
    AgentUnavailable,
    /// The agent has no free capacity.
    AgentFull,
    /// A value is out of range (for example a capacity of 0).
    InvalidValue,
    /// The signed-in agent's role may not do this (store settings and the FAQ are for owners
    /// and admins).
    Forbidden,
    /// Something with that id already exists.
    AlreadyExists,
    /// Too many messages, conversations or connections; wait `retry_after_ms`.
    RateLimited,
    /// The relay failed; the frame may be sent again.
    Internal,
}

/// Why a text frame could not be read as a frame of type `T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Larger than [`MAX_FRAME_BYTES`].
    TooLarge(usize),
    /// Not JSON, not an object, no `type`, or fields missing or of the wrong kind.
    Malformed(String),
    /// A `type` this side does not accept.
    UnknownType(String),
}

impl DecodeError {
    /// The error code a relay answers this with.
    pub fn code(&self) -> ErrorCode {
        match self {
            DecodeError::TooLarge(_) => ErrorCode::FrameTooLarge,
            DecodeError::Malformed(_) => ErrorCode::Malformed,
            DecodeError::UnknownType(_) => ErrorCode::UnknownType,
        }
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::TooLarge(n) => {
                write!(f, "frame is {n} bytes; the limit is {MAX_FRAME_BYTES}")
            }
            DecodeError::Malformed(why) => write!(f, "malformed frame: {why}"),
            DecodeError::UnknownType(t) => write!(f, "unknown frame type {t:?}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Reads one text frame as a `T`, telling apart oversized, malformed and unknown-type frames so
/// that the sender gets a precise error. `known_types` is `T::TYPES`.
pub fn decode<T: serde::de::DeserializeOwned>(text: &str, known_types: &[&str]) -> Result<T, DecodeError> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(DecodeError::TooLarge(text.len()));
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    let kind = value
        .get("type")
        .and_then(|t| t.as_str())
        .ok_or_else(|| DecodeError::Malformed("expected an object with a string \"type\"".into()))?;
    if !known_types.contains(&kind) {
        return Err(DecodeError::UnknownType(kind.to_owned()));
    }
    serde_json::from_value(value).map_err(|e| DecodeError::Malformed(e.to_string()))
}

/// Serializes a frame. Frames hold only strings, numbers and enums, so this cannot fail.
#[allow(clippy::expect_used)] // each expect states an invariant that holds
pub fn encode<T: Serialize>(frame: &T) -> String {
    serde_json::to_string(frame).expect("frames always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_with_their_type_tag() {
        let frame = VisitorFrame::Send { client_id: "c1".into(), text: "Hi <b>there</b>".into() };
        let text = encode(&frame);
        assert!(text.contains(r#""type":"send""#), "{text}");
        assert_eq!(decode::<VisitorFrame>(&text, VisitorFrame::TYPES), Ok(frame));
    }

    #[test]
    fn decode_tells_malformed_from_unknown_from_oversized() {
        let d = |t: &str| decode::<AgentFrame>(t, AgentFrame::TYPES).unwrap_err().code();
        assert_eq!(d("{not json"), ErrorCode::Malformed);
        assert_eq!(d(r#"["send"]"#), ErrorCode::Malformed);
        assert_eq!(d(r#"{"type":"send"}"#), ErrorCode::Malformed);
        assert_eq!(d(r#"{"type":"dance"}"#), ErrorCode::UnknownType);
        let big = format!(r#"{{"type":"login","email":"{}","password":""}}"#, "a".repeat(20_000));
        assert_eq!(d(&big), ErrorCode::FrameTooLarge);
    }

    #[test]
    fn hello_fields_are_optional() {
        let hello: VisitorFrame = decode(r#"{"type":"hello"}"#, VisitorFrame::TYPES).unwrap();
        assert_eq!(hello, VisitorFrame::Hello { token: None, last_seq: 0 });
    }
}

#[cfg(test)]
mod documentation {
    use super::*;

    /// Every JSON example in docs/protocol.md parses as a frame, and every frame type has one.
    #[test]
    fn every_frame_has_a_valid_example_in_the_docs() {
        let doc = include_str!("../../docs/protocol.md");
        let examples: Vec<&str> =
            doc.split("```json").skip(1).map(|block| block.split("```").next().unwrap().trim()).collect();
        let mut seen = Vec::new();
        for example in &examples {
            let kind = serde_json::from_str::<serde_json::Value>(example).unwrap()["type"].as_str().unwrap().to_owned();
            let parses = serde_json::from_str::<VisitorFrame>(example).is_ok()
                || serde_json::from_str::<AgentFrame>(example).is_ok()
                || serde_json::from_str::<ServerFrame>(example).is_ok();
            assert!(parses, "this example in docs/protocol.md is not a valid frame: {example}");
            seen.push(kind);
        }
        let server_types = [
            "visitor_welcome",
            "agent_welcome",
            "conversation",
            "message",
            "history",
            "accepted",
            "read",
            "typing",
            "assignment",
            "presence",
            "attendance",
            "closed",
            "note",
            "visitor_page",
            "error",
        ];
        for kind in VisitorFrame::TYPES.iter().chain(AgentFrame::TYPES).chain(&server_types) {
            assert!(seen.iter().any(|s| s == kind), "docs/protocol.md has no example of {kind:?}");
        }
    }
}
