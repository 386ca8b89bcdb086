//! Shapes of the console's HTTP API (settings, the team, canned replies) and the agent roles
//! the relay, the console and the command line share.

use serde::{Deserialize, Serialize};

use crate::AgentStatus;

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
    /// How long the closing question waits for the shopper's answer before the conversation
    /// closes, in seconds (default 600).
    #[serde(default = "default_closing_wait")]
    pub closing_wait_secs: u32,
    /// How long a conversation may go without a message before it closes by itself, in
    /// seconds (default 86400; 0: never).
    #[serde(default = "default_idle_close")]
    pub idle_close_secs: u32,
    /// Whether the widget asks the shopper to rate a closed conversation (default on).
    #[serde(default = "default_true")]
    pub csat: bool,
}

fn default_closing_wait() -> u32 {
    600
}

fn default_idle_close() -> u32 {
    86_400
}

fn default_true() -> bool {
    true
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
