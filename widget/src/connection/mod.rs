//! The one connection service: owns the WebSocket, says hello, reconnects with backoff and
//! jitter, resends what was not acknowledged, and exposes the conversation as signals.
//!
//! Components never see the socket. They read [`Connection::messages`] and
//! [`Connection::status`], and call [`Connection::send`], [`Connection::connect`] and
//! [`Connection::mark_seen`].

use std::time::Duration;

use chat_model::Chat;
use leptos::prelude::*;
use protocol::{Role, VisitorFrame};

use crate::storage;

mod receive;
mod shop;

/// How long a message may wait for the relay's acknowledgement before it shows as failed
/// (it is still resent on the next connection).
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The state of the link to the relay, as the UI shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStatus {
    /// Not connected and not trying (the chat was never opened).
    Idle,
    /// First connection under way.
    Connecting,
    /// Connected and introduced.
    Online,
    /// The connection dropped; a new attempt is scheduled.
    Reconnecting,
}

pub use chat_model::{Delivery, Line as ChatMessage};

/// Where the conversation stands with the store's team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attendance {
    /// An agent (by display name) has joined.
    Joined(String),
    /// Waiting for an agent, at this place in the queue (1 = next).
    Waiting(u32),
}

/// The non-reactive half: the socket, and what the widget tracks per connection.
#[derive(Default)]
struct Link {
    socket: browser_socket::Socket,
    introduced: bool,
    /// When this widget last reported typing (ms), to send at most one report every 2 s.
    typing_sent_at: f64,
    /// Bumped by every typing report received, so an old expiry timer knows it is old.
    typing_generation: u64,
    /// The page address last reported on this connection.
    reported_url: Option<String>,
    /// The page address last seen (reported or not).
    seen_url: Option<String>,
    /// A transcript was asked for and not answered yet (the next error is its answer).
    asked_transcript: bool,
    /// The socket was closed because the page was hidden (`pagehide`); it reopens if the page
    /// comes back from the browser's back/forward cache.
    paused: bool,
}

/// The visitor this widget last was welcomed as, to notice when that changed.
#[derive(Default)]
struct Welcomed {
    visitor_id: Option<String>,
}

/// The handle components use; `Copy`, shared through context.
#[derive(Clone, Copy)]
pub struct Connection {
    /// The conversation, oldest first; the shopper's unsent messages last.
    pub messages: RwSignal<Chat>,
    /// The link's state.
    pub status: RwSignal<LinkStatus>,
    /// The store's display name, once the relay said it.
    pub store_name: RwSignal<Option<String>>,
    /// Whether the shopper is looking (panel open): messages are then acknowledged as seen.
    pub visible: RwSignal<bool>,
    /// Who has joined, or the place in the queue, once the relay said.
    pub attendance: RwSignal<Option<Attendance>>,
    /// The name of the agent typing right now.
    pub typing: RwSignal<Option<String>>,
    /// Messages from the team that arrived while the panel was closed.
    pub unread: RwSignal<u32>,
    /// The conversation that closed while the widget watched, and the shopper's rating of it
    /// once the relay stored one: the panel then asks how it went.
    pub rating: RwSignal<Option<(protocol::ConversationId, Option<u8>)>>,
    /// Where the transcript went, once the relay queued it; or why it could not.
    pub transcript: RwSignal<Option<Result<String, protocol::ErrorCode>>>,
    /// An agent started a chat with the shopper: their name and first message.
    pub started_by_agent: RwSignal<Option<(String, String)>>,
    welcomed: StoredValue<Welcomed, LocalStorage>,
    store: StoredValue<String>,
    url: StoredValue<String>,
    link: StoredValue<Link, LocalStorage>,
    /// The proactive message the shopper answers, until their conversation exists.
    proactive: StoredValue<Option<i64>>,
}

impl Connection {
    /// A connection for the given store and socket URL; nothing is opened yet.
    pub fn new(store: String, url: String) -> Connection {
        Connection {
            messages: RwSignal::new(Chat::new(Role::Visitor)),
            status: RwSignal::new(LinkStatus::Idle),
            store_name: RwSignal::new(None),
            visible: RwSignal::new(false),
            attendance: RwSignal::new(None),
            typing: RwSignal::new(None),
            unread: RwSignal::new(0),
            rating: RwSignal::new(None),
            transcript: RwSignal::new(None),
            started_by_agent: RwSignal::new(None),
            welcomed: StoredValue::new_local(Welcomed::default()),
            store: StoredValue::new(store),
            url: StoredValue::new(url),
            link: StoredValue::new_local(Link::default()),
            proactive: StoredValue::new(None),
        }
    }

    /// The shopper opened the chat from a proactive message: the conversation their first
    /// message opens starts with it (the relay hears `proactive` before that message).
    pub fn answering(self, rule_id: i64) {
        self.proactive.set_value(Some(rule_id));
    }

    /// Tells the relay which proactive message the next message answers, if any.
    fn announce_proactive(self) {
        if let Some(rule_id) = self.proactive.get_value() {
            self.send_frame(&VisitorFrame::Proactive { rule_id });
        }
    }

    /// Whether an earlier page load started a conversation (then the widget connects at once).
    pub fn has_conversation(&self) -> bool {
        storage::load(&self.store.get_value(), "conversation").is_some()
    }

    /// Opens the socket unless it is open or opening.
    pub fn connect(self) {
        if self.link.with_value(|l| l.socket.is_open()) {
            return;
        }
        let url = self.url.get_value();
        let opened = self.link.try_update_value(|l| {
            l.introduced = false;
            l.socket.open(
                &url,
                move || self.say_hello(),
                move |text| self.receive(&text),
                move |code, reason| {
                    web_sys::console::info_1(&format!("Parley: connection closed ({code}) {reason}").into());
                    self.dropped();
                },
            )
        });
        if opened != Some(true) {
            return self.schedule_retry();
        }
        if self.status.get_untracked() == LinkStatus::Idle {
            self.status.set(LinkStatus::Connecting);
        }
    }

    fn send_frame(&self, frame: &VisitorFrame) -> bool {
        self.link.with_value(|l| {
            (l.introduced || matches!(frame, VisitorFrame::Hello { .. }))
                && crate::json::write(frame).is_some_and(|text| l.socket.send(&text))
        })
    }

    fn last_seq(&self) -> u64 {
        self.messages.with_untracked(Chat::last_seq)
    }

    fn say_hello(self) {
        let token = storage::load(&self.store.get_value(), "token");
        let last_seq = self.last_seq();
        self.send_frame(&VisitorFrame::Hello { token, last_seq, identity: crate::api::identity() });
    }

    fn dropped(self) {
        self.link.update_value(|l| {
            l.socket.forget();
            l.introduced = false;
        });
        self.status.set(LinkStatus::Reconnecting);
        self.schedule_retry();
    }

    /// Reconnects after the socket's backoff (at most 30 s).
    fn schedule_retry(self) {
        let Some(delay) = self.link.try_update_value(|l| l.socket.retry_delay(MAX_BACKOFF)).flatten() else { return };
        set_timeout(
            move || {
                self.link.update_value(|l| l.socket.retrying());
                self.connect();
            },
            delay,
        );
    }

    /// Tells the relay the shopper has seen everything shown, when the panel is open.
    pub fn mark_seen(self) {
        if self.visible.get_untracked() {
            self.clear_unread();
            let seq = self.last_seq();
            if seq > 0 {
                self.send_frame(&VisitorFrame::Ack { seq });
            }
        }
    }

    /// Sends every message not yet stored again, with its client id (after the welcome).
    fn resend_pending(self) {
        let pending = self.messages.try_update(Chat::resend).unwrap_or_default();
        if !pending.is_empty() {
            self.announce_proactive();
        }
        for (client_id, text) in pending {
            self.send_frame(&VisitorFrame::Send { client_id, text });
        }
    }

    /// Sends a message from the shopper: shown at once as "sending", resent after reconnects
    /// with the same client id until the relay stores it.
    pub fn send(self, text: String) {
        // Sending ends this spell of typing: the next keystroke is reported at once.
        self.link.update_value(|l| l.typing_sent_at = 0.0);
        let client_id = format!("w{}-{}", js_sys::Date::now() as u64, (js_sys::Math::random() * 1e9) as u64);
        self.messages.update(|chat| chat.add_pending(&client_id, &text, None, js_sys::Date::now()));
        self.announce_proactive();
        if !self.send_frame(&VisitorFrame::Send { client_id: client_id.clone(), text }) {
            self.connect();
        }
        self.watch_delivery(client_id);
    }

    /// Tells the relay which page the shopper is on, when it changed since the last report
    /// (agents see it beside the chat). Pages seen while not connected are kept for the visit.
    pub fn report_page(self) {
        let Some((url, _)) = crate::visit::here() else { return };
        // Called on every address change: nothing more is done while it stays the same.
        let moved = self.link.with_value(|l| l.seen_url.as_deref() != Some(url.as_str()));
        let connected = self.link.with_value(|l| l.introduced);
        let unreported = connected && self.link.with_value(|l| l.reported_url.as_deref() != Some(url.as_str()));
        if !moved && !unreported {
            return;
        }
        let store = self.store.get_value();
        if moved {
            crate::visit::remember(&store);
            self.link.update_value(|l| l.seen_url = Some(url.clone()));
        }
        if !unreported {
            return;
        }
        if let Some(frame) = crate::visit::report(&store) {
            if self.send_frame(&frame) {
                self.link.update_value(|l| l.reported_url = Some(url));
            }
        }
    }

    /// Answers "Did this answer your question?" under a bot's FAQ answer.
    pub fn feedback(self, message_id: i64, helpful: bool) {
        self.send_frame(&VisitorFrame::Feedback { message_id, helpful });
    }

    /// Asks the relay to email the conversation to the shopper (the answer comes as
    /// `transcript_queued` or an error).
    pub fn email_transcript(self, email: String) {
        self.transcript.set(None);
        self.link.update_value(|l| l.asked_transcript = true);
        self.send_frame(&VisitorFrame::EmailTranscript { email });
    }

    /// Sends the shopper's rating of a closed conversation.
    pub fn rate(self, conversation_id: protocol::ConversationId, score: u8, comment: String) {
        let comment = Some(comment).filter(|c| !c.trim().is_empty());
        self.send_frame(&VisitorFrame::Rate { conversation_id, score, comment });
    }

    /// Tells the agent the shopper is typing, at most once every 2 s.
    pub fn report_typing(self) {
        let now = js_sys::Date::now();
        let due = self.link.with_value(|l| now - l.typing_sent_at >= protocol::TYPING_EVERY_MS as f64);
        if due && self.send_frame(&VisitorFrame::Typing) {
            self.link.update_value(|l| l.typing_sent_at = now);
        }
    }

    /// Retries a failed message now.
    pub fn retry(self, key: String) {
        let text = self.messages.try_update(|chat| chat.retry(&key)).flatten();
        if let Some(text) = text {
            if !self.send_frame(&VisitorFrame::Send { client_id: key.clone(), text }) {
                self.link.update_value(|l| l.socket.connected());
                self.connect();
            }
            self.watch_delivery(key);
        }
    }

    /// Shows a message as failed when the relay has not stored it within the send timeout.
    fn watch_delivery(self, key: String) {
        set_timeout(
            move || {
                let sending = self
                    .messages
                    .with_untracked(|chat| chat.lines.iter().any(|l| l.key == key && l.delivery == Delivery::Sending));
                if sending {
                    self.messages.update(|chat| {
                        chat.give_up_on(&key);
                    });
                }
            },
            SEND_TIMEOUT,
        );
    }
}
