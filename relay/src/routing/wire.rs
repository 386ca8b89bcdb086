//! What relays say to each other about routing: the commands a node sends the owner of a
//! store's desk, the owner's answers, and the events every node hears. Serialized as JSON on
//! NATS subjects by [`super::cluster`].

use protocol::{AgentStatus, ErrorCode, ServerFrame};
use serde::{Deserialize, Serialize};

use super::desk::{AgentId, ConversationId};
use crate::error::{Error, Result};

/// What the owner needs to know of an agent with every command about them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(super) struct Card {
    pub id: AgentId,
    pub store_id: i64,
    pub name: String,
    pub capacity: usize,
}

/// A routing command, sent to the owner of the store's desk.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Command {
    /// A node holds a socket of the agent now.
    Up {
        card: Card,
        status: AgentStatus,
        node: String,
    },
    /// The node holds no socket of the agent any more (past the grace period).
    Gone {
        card: Card,
        node: String,
    },
    Status {
        card: Card,
        status: AgentStatus,
    },
    Capacity {
        card: Card,
    },
    Route {
        conversation: ConversationId,
        visitor: String,
    },
    Claim {
        agent: AgentId,
        conversation: ConversationId,
    },
    Transfer {
        agent: AgentId,
        conversation: ConversationId,
        to: AgentId,
    },
    Release {
        agent: AgentId,
        conversation: ConversationId,
    },
    Close {
        conversation: ConversationId,
    },
    Reopen {
        agent: AgentId,
        conversation: ConversationId,
        visitor: String,
    },
    Reroute {
        conversation: ConversationId,
    },
    Assignee {
        conversation: ConversationId,
    },
    QueuePosition {
        conversation: ConversationId,
    },
    Attendance {
        conversation: ConversationId,
    },
}

/// The owner's answer to a command.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Answer {
    Done,
    Agent(Option<AgentId>),
    Position(Option<u32>),
    Frame(Option<Box<ServerFrame>>),
    Refused {
        code: ErrorCode,
        message: String,
    },
    /// The node asked does not hold the desk (any more): ask again.
    NotOwner,
}

impl Answer {
    /// A refusal with its code and the reason the asker's caller is told.
    pub(super) fn refused(code: ErrorCode, message: &str) -> Answer {
        Answer::Refused { code, message: message.to_owned() }
    }

    /// The answer as the caller's result (`Done` and any other answer alike).
    pub(super) fn done(self) -> Result<Answer> {
        match self {
            Answer::Refused { code, message } => Err(Error::new(code, message)),
            other => Ok(other),
        }
    }
}

/// What every node hears.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Event {
    /// An agent's status and capacity, as the owner decided.
    Presence { card: Card, status: AgentStatus },
    /// Who handles a conversation now.
    Handler { conversation: ConversationId, agent: Option<AgentId> },
    /// A node took a store's desk: report the agents held.
    Owner { store_id: i64 },
    /// A node joined: the owners tell it the statuses and handlers of their desks.
    Hello,
    /// A node is still there (sent every third of a lease's life): an owner takes the agents of
    /// a node silent for a lease's life offline, since a node that dies never says they left.
    Alive,
}
