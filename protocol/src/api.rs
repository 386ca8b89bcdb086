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

/// How a bot rule matches a shopper's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleMatch {
    /// The whole message is the pattern (case, spaces and punctuation aside).
    Exact,
    /// The pattern occurs anywhere in the message.
    Contains,
    /// Words of the message are the pattern's, with up to one typo.
    Fuzzy,
}

impl RuleMatch {
    /// Its name in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleMatch::Exact => "exact",
            RuleMatch::Contains => "contains",
            RuleMatch::Fuzzy => "fuzzy",
        }
    }
}

/// A keyword rule of the bot, as the console's Bot rules page lists them
/// (`GET /api/stores/{key}/bot/rules`, in the order they are tried: the first that matches
/// answers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotRuleView {
    /// Its id.
    pub id: i64,
    /// How it matches.
    #[serde(rename = "match")]
    pub kind: RuleMatch,
    /// What it looks for.
    pub pattern: String,
    /// What the bot answers.
    pub reply: String,
}

/// What `POST …/bot/rules` and `PUT …/bot/rules/{id}` take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotRuleForm {
    /// How it matches.
    #[serde(rename = "match")]
    pub kind: RuleMatch,
    /// What it looks for (at most [`MAX_RULE_PATTERN_CHARS`]).
    pub pattern: String,
    /// What the bot answers (at most [`MAX_RULE_REPLY_CHARS`]).
    pub reply: String,
}

/// The longest pattern a rule may have.
pub const MAX_RULE_PATTERN_CHARS: usize = 200;
/// The longest reply a rule may have.
pub const MAX_RULE_REPLY_CHARS: usize = 2_000;
/// The most rules a store may have.
pub const MAX_RULES_PER_STORE: usize = 200;

/// What `PUT …/bot/rules/order` takes: every rule's id, in the order they are to be tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleOrder {
    /// The ids, first tried first.
    pub ids: Vec<i64>,
}

/// What `POST …/bot/test` takes: a message as a shopper might write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTest {
    /// The message.
    pub text: String,
}

/// What the bot's rules make of a message (`POST …/bot/test`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTestResult {
    /// The message asks for a person: the bot brings one in before any rule is tried.
    pub wants_a_person: bool,
    /// The rule that answers, if one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<BotRuleView>,
}

/// One of the bot's texts in one language, as the console's Settings list them
/// (`GET /api/stores/{key}/bot/texts`): the default, the store's own version if it wrote one,
/// and the placeholders it may use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotText {
    /// The text's name: `greeting`, `away`, `acknowledgement_queue`, …
    pub name: String,
    /// Its language: `en` or `zh`.
    pub lang: String,
    /// What it is without a version of the store's (for the greeting: the one in Settings).
    pub default: String,
    /// The store's own version, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The placeholders it may use, without braces: `store_name`, `queue_place`, …
    pub placeholders: Vec<String>,
}

/// A store's version of a text (`PUT /api/stores/{key}/bot/texts/{name}/{lang}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotTextForm {
    /// The text, with placeholders like `{store_name}`; at most 1,000 characters.
    pub text: String,
}

/// A proactive message rule as the console lists it and the widget gets it with its settings
/// (`GET /api/stores/{key}/proactive`): its id and what [`ProactiveForm`] says, flattened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProactiveRule {
    /// Its id.
    pub id: i64,
    /// The rule itself.
    #[serde(flatten)]
    pub rule: ProactiveForm,
}

/// A proactive message rule (`POST /api/stores/{key}/proactive`, `PUT …/proactive/{id}`): on
/// pages whose address matches `pattern`, after `after_secs` on the page or once the shopper
/// scrolled past `scroll_percent`, the widget shows `message` in a small bubble above the
/// launcher; at most once per rule per day per browser, one per visit, never while a
/// conversation is going.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProactiveForm {
    /// The page's path (and query) to match: `*` stands for any characters, so
    /// `/products/*` is every product page; without `*` the whole path must match.
    pub pattern: String,
    /// Seconds on the page before it shows (absent: not by time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_secs: Option<u32>,
    /// How far down the page, in per cent, the shopper must scroll (absent: not by scrolling).
    /// With both, whichever comes first; with neither, at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scroll_percent: Option<u8>,
    /// What the bubble says, as text.
    pub message: String,
    /// Whether it is in use.
    #[serde(default = "default_true")]
    pub enabled: bool,
}

/// Most proactive rules a store may have.
pub const MAX_PROACTIVE_RULES: usize = 20;
/// Most characters of a proactive message.
pub const MAX_PROACTIVE_CHARS: usize = 300;

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
