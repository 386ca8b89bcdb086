//! The relay's frames as the widget reads them. The widget acts on eleven of the twenty kinds
//! of [`ServerFrame`]; decoding the full enum would put the code for every agent-side shape
//! (inbox summaries, notes, presence, page views) into the wasm on every product page, and
//! serde's internally tagged enums buffer each frame into a generic tree and compile a second
//! decoder for every shape inside it. Reading the `type` first and then that kind's fields as a
//! plain struct saves 13 KB brotli of a widget whose budget is 100 KB. Any other kind reads as
//! [`WidgetFrame::Other`]; the tests below hold these shapes to `ServerFrame`'s encoding.

use serde::Deserialize;

use crate::{ConversationId, ErrorCode, Message, Millis, Role, Seq, ServerFrame, StoreInfo};

/// A frame for the widget, decoded from the same JSON as [`ServerFrame`] by
/// [`WidgetFrame::decode`]; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)] // each variant is the ServerFrame variant of the same name
pub enum WidgetFrame {
    VisitorWelcome(Welcome),
    Message(One),
    History(History),
    Accepted(Accepted),
    Read(Read),
    Typing(Typing),
    Attendance(Attendance),
    Error(Refusal),
    Closed(Closed),
    Rated(Rated),
    TranscriptQueued(TranscriptQueued),
    /// Any other kind: nothing a widget acts on.
    Other,
}

/// `visitor_welcome`'s fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[allow(missing_docs)]
pub struct Welcome {
    pub visitor_id: String,
    pub token: String,
    pub store: StoreInfo,
    #[serde(default)]
    pub conversation_id: Option<ConversationId>,
    #[serde(default)]
    pub customer_id: Option<String>,
}

/// `message`'s fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[allow(missing_docs)]
pub struct One {
    pub message: Message,
}

/// `history`'s fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[allow(missing_docs)]
pub struct History {
    pub conversation_id: ConversationId,
    pub messages: Vec<Message>,
    pub more: bool,
}

/// `transcript_queued`'s fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[allow(missing_docs)]
pub struct TranscriptQueued {
    pub email: String,
}

/// `accepted`'s fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[allow(missing_docs)]
pub struct Accepted {
    pub client_id: String,
    pub conversation_id: ConversationId,
    pub message_id: i64,
    pub seq: Seq,
    pub at: Millis,
}

/// `read`'s fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[allow(missing_docs)]
pub struct Read {
    pub conversation_id: ConversationId,
    pub seq: Seq,
    pub by: Role,
}

/// `typing`'s fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[allow(missing_docs)]
pub struct Typing {
    pub conversation_id: ConversationId,
    pub by: Role,
    #[serde(default)]
    pub name: Option<String>,
}

/// `attendance`'s fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[allow(missing_docs)]
pub struct Attendance {
    #[serde(default)]
    pub agent_name: Option<String>,
    #[serde(default)]
    pub queue_position: Option<u32>,
}

/// `error`'s fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[allow(missing_docs)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub retry_after_ms: Option<u64>,
}

/// `closed`'s fields (the widget needs only which conversation).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[allow(missing_docs)]
pub struct Closed {
    pub conversation_id: ConversationId,
    #[serde(default)]
    pub by_agent_id: Option<i64>,
}

/// `rated`'s fields.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[allow(missing_docs)]
pub struct Rated {
    pub conversation_id: ConversationId,
    pub score: u8,
    #[serde(default)]
    pub comment: Option<String>,
}

/// The `type` field alone (the others are skipped).
#[derive(Deserialize)]
struct Kind<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
}

impl WidgetFrame {
    /// Reads one text frame: its `type` first, then the fields of that kind as a plain struct
    /// (serde's internally tagged enums buffer every frame and compile a second decoder for
    /// each shape inside, which the widget cannot afford). `None` when it is not a frame.
    pub fn decode(text: &str) -> Option<WidgetFrame> {
        fn fields<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
            serde_json::from_str(text).ok()
        }
        let kind: Kind = serde_json::from_str(text).ok()?;
        Some(match &*kind.kind {
            "visitor_welcome" => WidgetFrame::VisitorWelcome(fields(text)?),
            "message" => WidgetFrame::Message(fields(text)?),
            "history" => WidgetFrame::History(fields(text)?),
            "accepted" => WidgetFrame::Accepted(fields(text)?),
            "read" => WidgetFrame::Read(fields(text)?),
            "typing" => WidgetFrame::Typing(fields(text)?),
            "attendance" => WidgetFrame::Attendance(fields(text)?),
            "error" => WidgetFrame::Error(fields(text)?),
            "closed" => WidgetFrame::Closed(fields(text)?),
            "rated" => WidgetFrame::Rated(fields(text)?),
            "transcript_queued" => WidgetFrame::TranscriptQueued(fields(text)?),
            _ => WidgetFrame::Other,
        })
    }

    /// The same frame as the relay's type, for code shared with the console (the chat model);
    /// `None` for [`WidgetFrame::Other`].
    pub fn into_server_frame(self) -> Option<ServerFrame> {
        Some(match self {
            WidgetFrame::VisitorWelcome(Welcome { visitor_id, token, store, conversation_id, customer_id }) => {
                ServerFrame::VisitorWelcome { visitor_id, token, store, conversation_id, customer_id }
            }
            WidgetFrame::Message(One { message }) => ServerFrame::Message { message },
            WidgetFrame::History(History { conversation_id, messages, more }) => {
                ServerFrame::History { conversation_id, messages, more }
            }
            WidgetFrame::Accepted(Accepted { client_id, conversation_id, message_id, seq, at }) => {
                ServerFrame::Accepted { client_id, conversation_id, message_id, seq, at }
            }
            WidgetFrame::Read(Read { conversation_id, seq, by }) => ServerFrame::Read { conversation_id, seq, by },
            WidgetFrame::Typing(Typing { conversation_id, by, name }) => {
                ServerFrame::Typing { conversation_id, by, name }
            }
            WidgetFrame::Attendance(Attendance { agent_name, queue_position }) => {
                ServerFrame::Attendance { agent_name, queue_position }
            }
            WidgetFrame::Error(Refusal { code, message, client_id, retry_after_ms }) => {
                ServerFrame::Error { code, message, client_id, retry_after_ms }
            }
            WidgetFrame::Closed(Closed { conversation_id, by_agent_id }) => {
                ServerFrame::Closed { conversation_id, by_agent_id }
            }
            WidgetFrame::Rated(Rated { conversation_id, score, comment }) => {
                ServerFrame::Rated { conversation_id, score, comment }
            }
            WidgetFrame::TranscriptQueued(TranscriptQueued { email }) => ServerFrame::TranscriptQueued { email },
            WidgetFrame::Other => return None,
        })
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
