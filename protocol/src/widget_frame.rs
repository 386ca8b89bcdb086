//! The relay's frames as the widget reads them. The widget acts on eleven of the twenty kinds
//! of [`ServerFrame`]; decoding the full enum would put the code for every agent-side shape
//! (inbox summaries, notes, presence, page views) into the wasm on every product page, and
//! serde's internally tagged enums buffer each frame into a generic tree and compile a second
//! decoder for every shape inside it. Reading every field the eleven kinds have into one plain
//! struct, in one pass, and then building the kind its `type` names, compiles one decoder
//! instead of twelve (a struct per kind cost 13 KB brotli less than the tagged enum, the single
//! struct a few KB less again, of a widget whose budget is 100 KB). Any other kind reads as
//! [`WidgetFrame::Other`]; the tests below hold these shapes to `ServerFrame`'s encoding.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::{ConversationId, ErrorCode, Message, Millis, Role, Seq, ServerFrame, StoreInfo};

/// A frame for the widget, decoded from the same JSON as [`ServerFrame`] by
/// [`WidgetFrame::decode`]; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WidgetFrame {
    /// One of the kinds the widget acts on.
    Frame(Box<ServerFrame>),
    /// Any other kind: nothing a widget acts on.
    Other,
}

/// Every field of the kinds the widget acts on (a frame has some of them).
#[derive(Deserialize)]
struct Fields {
    #[serde(rename = "type")]
    kind: String,
    visitor_id: Option<String>,
    token: Option<String>,
    store: Option<StoreInfo>,
    conversation_id: Option<ConversationId>,
    customer_id: Option<String>,
    /// A `message` frame's message, or an `error` frame's text.
    message: Option<MessageOrText>,
    messages: Option<Vec<Message>>,
    more: Option<bool>,
    client_id: Option<String>,
    message_id: Option<i64>,
    seq: Option<Seq>,
    at: Option<Millis>,
    by: Option<Role>,
    name: Option<String>,
    agent_name: Option<String>,
    queue_position: Option<u32>,
    code: Option<ErrorCode>,
    retry_after_ms: Option<u64>,
    by_agent_id: Option<i64>,
    score: Option<u8>,
    comment: Option<String>,
    email: Option<String>,
}

/// The field `message`: an object in `message` frames, a string in `error` frames.
enum MessageOrText {
    Message(Box<Message>),
    Text(String),
}

impl<'de> Deserialize<'de> for MessageOrText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Either;
        impl<'de> Visitor<'de> for Either {
            type Value = MessageOrText;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a message or a text")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<MessageOrText, E> {
                Ok(MessageOrText::Text(text.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<MessageOrText, A::Error> {
                let message = Message::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(MessageOrText::Message(Box::new(message)))
            }
        }
        deserializer.deserialize_any(Either)
    }
}

/// The `type` field alone (the others are skipped).
#[derive(Deserialize)]
struct Kind<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
}

/// The kinds [`Fields::frame`] builds.
const KINDS: [&str; 11] = [
    "visitor_welcome",
    "message",
    "history",
    "accepted",
    "read",
    "typing",
    "attendance",
    "error",
    "closed",
    "rated",
    "transcript_queued",
];

impl Fields {
    /// The frame its `type` names, if it has that kind's required fields; `Other` for a kind
    /// the widget does not act on.
    fn frame(self) -> Option<WidgetFrame> {
        let f = self;
        let frame = match f.kind.as_str() {
            "visitor_welcome" => ServerFrame::VisitorWelcome {
                visitor_id: f.visitor_id?,
                token: f.token?,
                store: f.store?,
                conversation_id: f.conversation_id,
                customer_id: f.customer_id,
            },
            "message" => match f.message? {
                MessageOrText::Message(message) => ServerFrame::Message { message: *message },
                MessageOrText::Text(_) => return None,
            },
            "history" => {
                ServerFrame::History { conversation_id: f.conversation_id?, messages: f.messages?, more: f.more? }
            }
            "accepted" => ServerFrame::Accepted {
                client_id: f.client_id?,
                conversation_id: f.conversation_id?,
                message_id: f.message_id?,
                seq: f.seq?,
                at: f.at?,
            },
            "read" => ServerFrame::Read { conversation_id: f.conversation_id?, seq: f.seq?, by: f.by? },
            "typing" => ServerFrame::Typing { conversation_id: f.conversation_id?, by: f.by?, name: f.name },
            "attendance" => ServerFrame::Attendance { agent_name: f.agent_name, queue_position: f.queue_position },
            "error" => match f.message? {
                MessageOrText::Text(message) => ServerFrame::Error {
                    code: f.code?,
                    message,
                    client_id: f.client_id,
                    retry_after_ms: f.retry_after_ms,
                },
                MessageOrText::Message(_) => return None,
            },
            "closed" => ServerFrame::Closed { conversation_id: f.conversation_id?, by_agent_id: f.by_agent_id },
            "rated" => ServerFrame::Rated { conversation_id: f.conversation_id?, score: f.score?, comment: f.comment },
            "transcript_queued" => ServerFrame::TranscriptQueued { email: f.email? },
            _ => return Some(WidgetFrame::Other),
        };
        Some(WidgetFrame::Frame(Box::new(frame)))
    }
}

impl WidgetFrame {
    /// Reads one text frame: every field the widget's kinds have in one pass, then the kind
    /// its `type` names (see the module docs). `None` when it is not a frame, or a kind the
    /// widget acts on without that kind's fields.
    pub fn decode(text: &str) -> Option<WidgetFrame> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        Self::read(|| &value)
    }

    /// [`WidgetFrame::decode`] from any serde source, which `source` makes afresh for a second
    /// look: the widget parses with the browser's `JSON.parse` and reads the object it gives,
    /// so that no JSON parser is compiled into it.
    pub fn read<'de, D: Deserializer<'de>>(source: impl Fn() -> D) -> Option<WidgetFrame> {
        match Fields::deserialize(source()) {
            Ok(fields) => fields.frame(),
            // Another kind may have a field of the same name and another shape: that is
            // `Other`, not an error.
            Err(_) => {
                let kind = Kind::deserialize(source()).ok()?;
                (!KINDS.contains(&&*kind.kind)).then_some(WidgetFrame::Other)
            }
        }
    }

    /// The same frame as the relay's type, for code shared with the console (the chat model);
    /// `None` for [`WidgetFrame::Other`].
    pub fn into_server_frame(self) -> Option<ServerFrame> {
        match self {
            WidgetFrame::Frame(frame) => Some(*frame),
            WidgetFrame::Other => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{encode, AgentStatus, Author, ConversationSummary};

    fn message() -> Message {
        let author = Author { role: Role::Agent, name: Some("Grace".into()) };
        Message {
            id: 7,
            conversation_id: 3,
            seq: 9,
            author,
            text: "Hi".into(),
            client_id: Some("c1".into()),
            at: 1_700_000_000_000,
            faq_article: Some("returns".into()),
            faq_choices: Vec::new(),
        }
    }

    #[test]
    fn every_frame_the_widget_acts_on_reads_back_as_the_relay_sent_it() {
        let store = StoreInfo { key: "demo".into(), name: "Demo".into() };
        let frames = [
            ServerFrame::VisitorWelcome {
                visitor_id: "v1".into(),
                token: "t".into(),
                store,
                conversation_id: Some(3),
                customer_id: None,
            },
            ServerFrame::Message { message: message() },
            ServerFrame::History { conversation_id: 3, messages: vec![message()], more: true },
            ServerFrame::Accepted { client_id: "c1".into(), conversation_id: 3, message_id: 7, seq: 9, at: 5 },
            ServerFrame::Read { conversation_id: 3, seq: 9, by: Role::Agent },
            ServerFrame::Typing { conversation_id: 3, by: Role::Agent, name: Some("Grace".into()) },
            ServerFrame::Attendance { agent_name: None, queue_position: Some(2) },
            ServerFrame::Error {
                code: ErrorCode::Busy,
                message: "busy".into(),
                client_id: Some("c1".into()),
                retry_after_ms: Some(300),
            },
            ServerFrame::Closed { conversation_id: 3, by_agent_id: Some(1) },
            ServerFrame::Rated { conversation_id: 3, score: 4, comment: Some("Quick, thanks".into()) },
            ServerFrame::TranscriptQueued { email: "ana@example.com".into() },
        ];
        for frame in frames {
            let read = WidgetFrame::decode(&encode(&frame)).expect("a widget frame");
            assert_eq!(read.into_server_frame(), Some(frame));
        }
    }

    #[test]
    fn what_is_not_a_frame_reads_as_nothing() {
        assert_eq!(WidgetFrame::decode("not json"), None);
        assert_eq!(WidgetFrame::decode(r#"{"kind":"message"}"#), None);
        assert_eq!(WidgetFrame::decode(r#"{"type":"message","message":{"id":"x"}}"#), None);
    }

    #[test]
    fn frames_for_agents_read_as_other() {
        let summary = ConversationSummary {
            id: 3,
            visitor_id: "v1".into(),
            created_at: 1,
            last_seq: 2,
            last_message: Some(message()),
            assigned_agent_id: None,
            follow_up_email: None,
            agent_read_seq: 0,
            unread_from_shopper: 1,
            visitor_read_seq: 0,
            closed_at: None,
            closes_at: None,
            resolved: None,
            rating: None,
            rating_comment: None,
        };
        let frames = [
            ServerFrame::Conversation { conversation: summary },
            ServerFrame::Presence { agent_id: 1, status: AgentStatus::Online, capacity: 5, load: 1 },
        ];
        for frame in frames {
            let read = WidgetFrame::decode(&encode(&frame)).expect("read as other");
            assert_eq!(read, WidgetFrame::Other, "{frame:?}");
        }
    }
}
