//! What the relay's frames change in the widget: the welcome (and what is sent again after it),
//! messages and history, the agent typing, who attends or the place in the queue, the closing
//! and its rating, the transcript's answer, and refusals (a busy relay's is resent after its
//! wait).

use std::time::Duration;

use leptos::prelude::*;
use protocol::{ErrorCode, Message, Role, ServerFrame, StoreInfo, VisitorFrame, WidgetFrame};

use super::{Attendance, Connection, LinkStatus};
use crate::storage;

impl Connection {
    /// One frame from the relay; only the kinds a widget acts on are decoded (see
    /// `protocol::WidgetFrame`).
    pub(super) fn receive(self, text: &str) {
        let Ok(value) = js_sys::JSON::parse(text) else { return };
        let frame = WidgetFrame::read(|| serde_wasm_bindgen::Deserializer::from(value.clone()));
        let Some(frame) = frame.and_then(WidgetFrame::into_server_frame) else { return };
        match frame {
            ServerFrame::VisitorWelcome { visitor_id, token, store, conversation_id, .. } => {
                self.welcomed(visitor_id, token, store, conversation_id.is_some())
            }
            ServerFrame::History { .. } => self.apply(&frame),
            ServerFrame::Message { ref message } => {
                self.message(message);
                self.apply(&frame);
            }
            ServerFrame::Typing { by: Role::Agent, name, .. } => self.agent_typing(name.unwrap_or_default()),
            ServerFrame::Attendance { agent_name, queue_position } => {
                let attendance = match (agent_name, queue_position) {
                    (Some(name), _) => Some(Attendance::Joined(name)),
                    (None, Some(position)) => Some(Attendance::Waiting(position)),
                    (None, None) => None,
                };
                self.attendance.set(attendance);
            }
            ServerFrame::Closed { conversation_id, .. } => {
                self.attendance.set(None);
                self.rating.set(Some((conversation_id, None)));
            }
            ServerFrame::Rated { conversation_id, score, .. } => self.rating.update(|r| {
                if let Some((_, given)) = r.as_mut().filter(|(id, _)| *id == conversation_id) {
                    *given = Some(score);
                }
            }),
            ServerFrame::Accepted { conversation_id, .. } => {
                // Writing again starts a new conversation: the rating question goes.
                if self.rating.with_untracked(|r| r.is_some_and(|(id, _)| id != conversation_id)) {
                    self.rating.set(None);
                }
                storage::save(&self.store.get_value(), "conversation", "1");
                self.proactive.set_value(None);
                self.messages.update(|chat| {
                    chat.apply(&frame);
                });
            }
            ServerFrame::Read { .. } => self.messages.update(|chat| {
                chat.apply(&frame);
            }),
            ServerFrame::TranscriptQueued { email } => {
                self.link.update_value(|l| l.asked_transcript = false);
                self.transcript.set(Some(Ok(email)));
            }
            ServerFrame::Error { ref message, ref client_id, code, .. } => {
                web_sys::console::warn_1(&format!("Parley: {message}").into());
                self.refused(code, client_id.is_none(), &frame);
            }
            _ => {}
        }
    }

    /// Introduced: the token and the store's name kept, then what is owed sent (unsent
    /// messages, the page, the shop's attributes).
    fn welcomed(self, visitor_id: String, token: String, store: StoreInfo, in_conversation: bool) {
        self.welcomed_as(visitor_id);
        let key = self.store.get_value();
        storage::save(&key, "token", &token);
        if in_conversation {
            storage::save(&key, "conversation", "1");
        }
        self.store_name.set(Some(store.name));
        self.link.update_value(|l| {
            l.introduced = true;
            l.socket.connected();
        });
        self.status.set(LinkStatus::Online);
        self.resend_pending();
        self.link.update_value(|l| l.reported_url = None);
        self.report_page();
        self.send_attributes();
    }

    /// A message from the team ends their typing; the first one of a chat an agent started
    /// makes it the shopper's conversation.
    fn message(self, message: &Message) {
        if message.author.role == Role::Agent {
            self.typing.set(None);
            if !self.has_conversation() {
                // A chat an agent started ("Visitors now"): it is the shopper's now.
                storage::save(&self.store.get_value(), "conversation", "1");
                let name = message.author.name.clone().unwrap_or_default();
                self.started_by_agent.set(Some((name, message.text.clone())));
            }
        }
        if message.author.role != Role::Visitor {
            self.heard(message);
        }
    }

    /// The agent is typing: shown until a message, or until two report intervals pass
    /// without another report.
    fn agent_typing(self, name: String) {
        self.typing.set(Some(name));
        let generation = self.link.with_value(|l| l.typing_generation) + 1;
        self.link.update_value(|l| l.typing_generation = generation);
        set_timeout(
            move || {
                if self.link.with_value(|l| l.typing_generation) == generation {
                    self.typing.set(None);
                }
            },
            Duration::from_millis(protocol::TYPING_EVERY_MS * 2),
        );
    }

    /// A refusal: the answer to a transcript request when one is pending and it names no
    /// message; a busy relay's refusal of a message is resent after its wait.
    fn refused(self, code: ErrorCode, unnamed: bool, frame: &ServerFrame) {
        if unnamed && self.link.with_value(|l| l.asked_transcript) {
            self.link.update_value(|l| l.asked_transcript = false);
            self.transcript.set(Some(Err(code)));
        }
        let effects = self.messages.try_update(|chat| chat.apply(frame)).unwrap_or_default();
        if let Some(resend) = effects.resend {
            // The relay was busy (or we were too fast): the same message, after its wait.
            set_timeout(
                move || {
                    let frame = VisitorFrame::Send { client_id: resend.client_id, text: resend.text };
                    self.send_frame(&frame);
                },
                Duration::from_millis(resend.after_ms),
            );
        }
    }

    /// Applies a frame with lines (see `Chat::apply`): asks for the next page of history
    /// when there is one, and tells the relay what the shopper has now seen.
    fn apply(self, frame: &ServerFrame) {
        let effects = self.messages.try_update(|chat| chat.apply(frame)).unwrap_or_default();
        if let Some(after_seq) = effects.sync_after {
            self.send_frame(&VisitorFrame::Sync { after_seq });
        }
        if effects.changed {
            self.mark_seen();
        }
    }
}
