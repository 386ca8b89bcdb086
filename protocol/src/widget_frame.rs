//! The relay's frames as the widget reads them. The widget acts on eight of the fifteen kinds
//! of [`ServerFrame`]; decoding the full enum would put the code for every agent-side shape
//! (inbox summaries, notes, presence, page views) into the wasm on every product page, about
//! 7 KB brotli of a widget whose budget is 100 KB. This type has the same wire form for those
//! eight and reads any other kind as [`WidgetFrame::Other`]; the tests below hold it to
//! `ServerFrame`'s encoding.

use serde::Deserialize;

use crate::{ConversationId, ErrorCode, Message, Millis, Role, Seq, ServerFrame, StoreInfo};

/// A frame for the widget, decoded from the same JSON as [`ServerFrame`]; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[allow(missing_docs)] // each variant is the ServerFrame variant of the same name
pub enum WidgetFrame {
    VisitorWelcome {
        visitor_id: String,
        token: String,
        store: StoreInfo,
        #[serde(default)]
        conversation_id: Option<ConversationId>,
    },
    Message {
        message: Message,
    },
    History {
        conversation_id: ConversationId,
        messages: Vec<Message>,
        more: bool,
    },
    Accepted {
        client_id: String,
        conversation_id: ConversationId,
        message_id: i64,
        seq: Seq,
        at: Millis,
    },
    Read {
        conversation_id: ConversationId,
        seq: Seq,
        by: Role,
    },
    Typing {
        conversation_id: ConversationId,
        by: Role,
        #[serde(default)]
        name: Option<String>,
    },
    Attendance {
        #[serde(default)]
        agent_name: Option<String>,
        #[serde(default)]
        queue_position: Option<u32>,
    },
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default)]
        client_id: Option<String>,
        #[serde(default)]
        retry_after_ms: Option<u64>,
    },
    /// Any other kind: nothing a widget acts on.
    #[serde(other)]
    Other,
}

impl WidgetFrame {
    /// The same frame as the relay's type, for code shared with the console (the chat model);
    /// `None` for [`WidgetFrame::Other`].
    pub fn into_server_frame(self) -> Option<ServerFrame> {
        Some(match self {
            WidgetFrame::VisitorWelcome { visitor_id, token, store, conversation_id } => {
                ServerFrame::VisitorWelcome { visitor_id, token, store, conversation_id }
            }
            WidgetFrame::Message { message } => ServerFrame::Message { message },
            WidgetFrame::History { conversation_id, messages, more } => {
                ServerFrame::History { conversation_id, messages, more }
            }
            WidgetFrame::Accepted { client_id, conversation_id, message_id, seq, at } => {
                ServerFrame::Accepted { client_id, conversation_id, message_id, seq, at }
            }
            WidgetFrame::Read { conversation_id, seq, by } => ServerFrame::Read { conversation_id, seq, by },
            WidgetFrame::Typing { conversation_id, by, name } => ServerFrame::Typing { conversation_id, by, name },
            WidgetFrame::Attendance { agent_name, queue_position } => {
                ServerFrame::Attendance { agent_name, queue_position }
            }
            WidgetFrame::Error { code, message, client_id, retry_after_ms } => {
                ServerFrame::Error { code, message, client_id, retry_after_ms }
            }
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
        }
    }

    #[test]
    fn every_frame_the_widget_acts_on_reads_back_as_the_relay_sent_it() {
        let store = StoreInfo { key: "demo".into(), name: "Demo".into() };
        let frames = [
            ServerFrame::VisitorWelcome { visitor_id: "v1".into(), token: "t".into(), store, conversation_id: Some(3) },
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
        ];
        for frame in frames {
            let read: WidgetFrame = serde_json::from_str(&encode(&frame)).expect("a widget frame");
            assert_eq!(read.into_server_frame(), Some(frame));
        }
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
        };
        let frames = [
            ServerFrame::Conversation { conversation: summary },
            ServerFrame::Presence { agent_id: 1, status: AgentStatus::Online, capacity: 5, load: 1 },
            ServerFrame::Closed { conversation_id: 3, by_agent_id: Some(1) },
        ];
        for frame in frames {
            let read: WidgetFrame = serde_json::from_str(&encode(&frame)).expect("read as other");
            assert_eq!(read, WidgetFrame::Other, "{frame:?}");
        }
    }
}
