//! What an agent's client (the console, the terminal agent) sends (`/ws/agent`).

use serde::{Deserialize, Serialize};

use crate::{AgentStatus, ConversationId, Seq};

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
    /// store). The shopper's next message starts a new one. With a `question` ("Is there
    /// anything else I can help you with?") the relay sends it as the agent's reply and closes
    /// only if the shopper does not answer within the store's closing wait (default 10
    /// minutes); the store's agents get a `closing` frame meanwhile, and a shopper's answer
    /// keeps the conversation open.
    Close {
        /// The conversation.
        conversation_id: ConversationId,
        /// The closing question to send and wait on; closes at once when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        question: Option<String>,
        /// Whether it counts as resolved (true when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resolved: Option<bool>,
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
