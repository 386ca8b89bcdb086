//! What the relay sends to widgets and agents' clients.

use serde::{Deserialize, Serialize};

use crate::{
    AgentInfo, AgentStatus, ConversationId, ConversationSummary, EmailNotice, ErrorCode, Message, Millis, Note,
    PageView, Role, Seq, StoreInfo,
};

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
        /// The shop's customer id, when `identify` was verified: every device of that customer
        /// shares this visitor and its conversations.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        customer_id: Option<String>,
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
    /// An agent asked the closing question: the conversation closes at `closes_at` unless the
    /// shopper writes before then (sent to the store's agents; a shopper's message in the
    /// conversation ends the wait, with no further frame).
    Closing {
        /// The conversation.
        conversation_id: ConversationId,
        /// When it closes (ms since the epoch).
        closes_at: Millis,
    },
    /// A shopper rated a closed conversation (sent to their tabs and the store's agents).
    Rated {
        /// The conversation.
        conversation_id: ConversationId,
        /// 1 to 5.
        score: u8,
        /// The shopper's comment.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
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
    /// Whether the shopper of a conversation has the shop open (a socket connected) or left
    /// (their last one closed): an agent's replies to a shopper who left are emailed (sent to
    /// the conversation's agents as it changes).
    ShopperPresence {
        /// The shopper's open conversation.
        conversation_id: ConversationId,
        /// On the page now.
        here: bool,
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
    /// The transcript a shopper asked for is in the outbox, on its way to `email`.
    TranscriptQueued {
        /// The address it goes to.
        email: String,
    },
    /// What became of an email of a conversation (sent to the store's agents who see it, and
    /// after each `history` an agent asks for): the shopper is being, was, or could not be
    /// emailed the messages `first_seq` to `last_seq`.
    EmailStatus {
        /// The email.
        email: EmailNotice,
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

impl ServerFrame {
    /// Every `type` the relay sends.
    pub const TYPES: &'static [&'static str] = &[
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
        "closed",
        "closing",
        "rated",
        "note",
        "visitor_page",
        "attendance",
        "error",
        "transcript_queued",
        "email_status",
        "shopper_presence",
    ];

    /// This frame's `type`. The match is exhaustive: a new frame cannot be added without
    /// naming it here (and the docs test then wants it in [`ServerFrame::TYPES`] and in
    /// docs/protocol.md).
    pub fn type_name(&self) -> &'static str {
        match self {
            ServerFrame::VisitorWelcome { .. } => "visitor_welcome",
            ServerFrame::AgentWelcome { .. } => "agent_welcome",
            ServerFrame::Conversation { .. } => "conversation",
            ServerFrame::Message { .. } => "message",
            ServerFrame::History { .. } => "history",
            ServerFrame::Accepted { .. } => "accepted",
            ServerFrame::Read { .. } => "read",
            ServerFrame::Typing { .. } => "typing",
            ServerFrame::Assignment { .. } => "assignment",
            ServerFrame::Presence { .. } => "presence",
            ServerFrame::Closed { .. } => "closed",
            ServerFrame::Closing { .. } => "closing",
            ServerFrame::Rated { .. } => "rated",
            ServerFrame::Note { .. } => "note",
            ServerFrame::VisitorPage { .. } => "visitor_page",
            ServerFrame::Attendance { .. } => "attendance",
            ServerFrame::Error { .. } => "error",
            ServerFrame::TranscriptQueued { .. } => "transcript_queued",
            ServerFrame::EmailStatus { .. } => "email_status",
            ServerFrame::ShopperPresence { .. } => "shopper_presence",
        }
    }
}
