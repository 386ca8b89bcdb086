//! The conversation as every side sees it: messages and their authors, summaries, private
//! notes, pages a shopper saw, and who agents and stores are.

use serde::{Deserialize, Serialize};

use crate::{ConversationId, Millis, Seq};

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
    /// For a bot reply that found several articles close to the question and could not tell
    /// which one the shopper means: those articles, best first. The text lists them too; the
    /// widget shows them as buttons that ask the article's question.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faq_choices: Vec<FaqChoice>,
}

/// One article a bot reply offers (see [`Message::faq_choices`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaqChoice {
    /// The article's id.
    pub article: String,
    /// Its question as it read when offered; asking it gets the article's answer.
    pub question: String,
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
    /// How many of the shopper's own messages came after `agent_read_seq`: the inbox's unread
    /// count, which leaves out the bot's and the system's lines.
    #[serde(default)]
    pub unread_from_shopper: u32,
    /// How far the shopper has read: an agent who receives the conversation by transfer sees
    /// the earlier agent's messages as read, not merely sent.
    #[serde(default)]
    pub visitor_read_seq: Seq,
    /// When it was closed; absent while open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Millis>,
    /// While an agent's closing question waits for the shopper: when it closes unless they
    /// answer (see the `closing` frame).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<Millis>,
    /// Once closed: whether it counts as resolved (the agent's choice; a conversation
    /// reopened within 7 days of a close never does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<bool>,
    /// The shopper's rating (1–5) once closed, if they gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    /// The comment that came with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating_comment: Option<String>,
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

/// An email the relay sends a shopper about a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailNotice {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// Why it is sent.
    pub kind: EmailKind,
    /// The address it goes to.
    pub to: String,
    /// The first message it carries.
    pub first_seq: Seq,
    /// The last message it carries (the console shows the state under this one).
    pub last_seq: Seq,
    /// Where it stands.
    pub state: EmailState,
    /// Why it failed, in English, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Why an email goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    /// Agents' replies to a shopper who had left.
    Reply,
    /// The transcript the shopper asked for.
    Transcript,
}

/// Where an email stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailState {
    /// In the outbox, being tried (the SMTP server was not reached yet or asked to retry).
    Pending,
    /// The SMTP server took it.
    Sent,
    /// Given up: refused for good, or 24 hours of retries failed.
    Failed,
}
