//! Shapes of the console's HTTP API (settings, the team, canned replies, webhooks, visitors now)
//! and the agent roles the relay, the console and the command line share.

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
    /// The sender of the store's emails, `Name <address>` or an address (absent: the relay's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_from: Option<String>,
    /// The bot sends the same automatic reply to a conversation at most once in this many
    /// seconds (absent: the relay's `--bot-repeat-secs`, an hour by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_repeat_secs: Option<u32>,
    /// Whether the bot acknowledges a shopper's first message at once while agents are online
    /// (the `instant_ack` text, "usually within {reply_time}"); off when absent.
    #[serde(default)]
    pub instant_ack: bool,
    /// Whether agents see the shoppers on the site now ("Visitors now") and may start a chat
    /// with them: the widget then connects on every page, not only once the chat is used.
    #[serde(default)]
    pub live_visitors: bool,
    /// Whether a chat an agent starts opens the shopper's panel (otherwise a bubble above the
    /// launcher shows the agent's message).
    #[serde(default)]
    pub agent_chat_opens: bool,
}

fn default_closing_wait() -> u32 {
    600
}

fn default_idle_close() -> u32 {
    86_400
}

pub(crate) fn default_true() -> bool {
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
            .ok_or_else(|| format!("\"{text}\": the role must be owner, admin or agent"))
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

/// The events a webhook may subscribe to, as named in its deliveries (docs/webhooks.md).
pub const WEBHOOK_EVENTS: &[&str] = &[
    "conversation.created",
    "message.created",
    "conversation.assigned",
    "conversation.closed",
    "csat.submitted",
    "email.captured",
];

/// A store's webhook endpoint, as the console's Webhooks page shows it
/// (`GET /api/stores/{key}/webhooks`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// Its id.
    pub id: i64,
    /// Where deliveries go (https).
    pub url: String,
    /// The events it receives (from [`WEBHOOK_EVENTS`]).
    pub events: Vec<String>,
    /// Whether deliveries are made.
    pub active: bool,
    /// The secret deliveries are signed with.
    pub secret: String,
    /// When the latest delivery was tried (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt_at: Option<i64>,
    /// The HTTP status it answered, if it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<u16>,
    /// Why the latest delivery failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// What `POST …/webhooks` and `PUT …/webhooks/{id}` take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookForm {
    /// Where deliveries go.
    pub url: String,
    /// The events to receive.
    pub events: Vec<String>,
    /// Whether deliveries are made (default on).
    #[serde(default = "default_true")]
    pub active: bool,
}

/// One delivery of an event to an endpoint (`GET …/webhooks/{id}/deliveries`, newest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// The event's id, also in the body and the `X-Parley-Event-Id` header (for deduplication).
    pub event_id: String,
    /// The event's name.
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: u32,
    /// When it was made (ms).
    pub created_at: i64,
    /// The HTTP status of the latest attempt, if the endpoint answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<u16>,
    /// Why the latest attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// A shopper on the store's site now, as the console's "Visitors now" lists them
/// (`GET /api/stores/{key}/visitors/live`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveVisitor {
    /// The visitor.
    pub visitor_id: String,
    /// Their name, when the shop identified them (`Parley.identify`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The page they are on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<crate::PageView>,
    /// When this visit began (ms): its first page.
    pub since: crate::Millis,
    /// Their browser's language (`fr-FR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Their browser's time zone (`Europe/Paris`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Their country as their browser says it (the region of the language, `FR`), if it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Whether they came before this visit (an earlier visit, or a conversation).
    pub returning: bool,
    /// Their open conversation, if they are in one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<crate::ConversationId>,
}

/// What `POST /api/stores/{key}/visitors/{id}/chat` takes: the agent's first message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartChat {
    /// The message, as text.
    pub text: String,
}
