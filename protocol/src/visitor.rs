//! What a shopper's widget sends (`/ws/visitor`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{ConversationId, PageView, Seq};

/// Who the shop says the shopper is (`Parley.identify`). Only a `signature` made with the
/// store's identity secret links the visitor to the customer; without one the visitor stays
/// anonymous and the email and name are kept as what the shopper claims.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Identity {
    /// The shop's own customer id (1 to [`MAX_CUSTOMER_ID_BYTES`] bytes).
    pub id: String,
    /// The customer's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The customer's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Lowercase hex HMAC-SHA256 of `id` under the store's identity secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// The longest customer id `identify` takes, in bytes.
pub const MAX_CUSTOMER_ID_BYTES: usize = 128;
/// How many attributes one visitor may have.
pub const MAX_ATTRIBUTES: usize = 50;
/// The longest attribute name, in bytes.
pub const MAX_ATTRIBUTE_NAME_BYTES: usize = 64;
/// The longest attribute value (and customer name or email), in characters.
pub const MAX_ATTRIBUTE_VALUE_CHARS: usize = 500;

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
        /// Who the shop says the shopper is, when it called `Parley.identify`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        identity: Option<Identity>,
    },
    /// Facts the shop tells about the shopper (`Parley.setAttributes`), merged into those
    /// already held; an empty value removes one. Shown to agents as text.
    Attributes {
        /// Name to value, at most [`MAX_ATTRIBUTES`] in all.
        attributes: BTreeMap<String, String>,
    },
    /// A new message from the shopper. Resending with the same `client_id` never duplicates it.
    Send {
        /// A client-generated id, unique for this visitor (1 to 64 bytes).
        client_id: String,
        /// The message text.
        text: String,
    },
    /// The shopper answers a proactive message (sent before the `send` that does): the
    /// conversation that message opens starts with the rule's message, as the bot's, and the
    /// reports count it as started by the store. Refused (`not_found`) for a rule the store
    /// does not have or has turned off; no effect when a conversation is already open.
    Proactive {
        /// The rule whose message the shopper saw.
        rule_id: i64,
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
    /// The shopper's rating of a closed conversation of theirs (1 to 5, with an optional
    /// comment), answered by `rated`; it may be changed for 24 hours after it was first given.
    Rate {
        /// The closed conversation.
        conversation_id: ConversationId,
        /// 1 (very bad) to 5 (very good).
        score: u8,
        /// What the shopper adds (up to 1000 characters).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// "Email me this conversation": the relay sends the transcript of the shopper's current
    /// (or latest) conversation to `email`, answered by `transcript_queued` (or an error:
    /// `invalid_value` for an address it cannot use, `rate_limited` past a few an hour).
    EmailTranscript {
        /// Where to send it.
        email: String,
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
    pub const TYPES: &'static [&'static str] = &[
        "hello",
        "send",
        "ack",
        "sync",
        "typing",
        "feedback",
        "rate",
        "page",
        "attributes",
        "email_transcript",
        "proactive",
    ];
}

/// How often a client may report typing; the relay drops reports that come faster, and
/// clients hide the indicator when none came for twice this long.
pub const TYPING_EVERY_MS: u64 = 2000;
