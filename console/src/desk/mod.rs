//! The agent's desk: the one service that owns the agent socket. It resumes the session with
//! the cookie, reconnects with backoff, keeps every conversation the agent may see (messages,
//! notes, unread counts, the shopper's typing) in signals, and sends what the agent does.
//!
//! Components never see the socket: they read [`Desk::conversations`] and call its methods.
//! This file holds the desk and its socket's life; `conv` what it knows of one conversation,
//! `receive` what the relay's frames change, `actions` what the agent does.

mod actions;
mod conv;
mod receive;

use std::collections::BTreeMap;
use std::time::Duration;

use leptos::prelude::*;
use protocol::{AgentFrame, AgentStatus, ConversationId};

use crate::alerts;
use crate::api::Me;

/// The longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(15);
/// How many open conversations `agent_welcome` lists at most.
const WELCOME_PAGE: usize = 100;
/// A reply not stored by then shows as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The link to the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Connecting for the first time.
    Connecting,
    /// Signed in on the socket.
    Online,
    /// Dropped; trying again.
    Reconnecting,
    /// The session is over (expired, deactivated, or signed out elsewhere).
    SignedOut,
}

pub use chat_model::{Delivery, Line};
pub use conv::Conv;

/// The socket, and what the desk tracks per connection.
#[derive(Default)]
struct Socket {
    link: browser_socket::Socket,
    introduced: bool,
    typing_sent: BTreeMap<ConversationId, f64>,
    stopped: bool,
}

/// The handle components use; `Copy`, shared through context.
#[derive(Clone, Copy)]
pub struct Desk {
    /// The signed-in agent.
    pub me: StoredValue<Me>,
    /// Every conversation the agent can see, by id.
    pub conversations: RwSignal<BTreeMap<ConversationId, Conv>>,
    /// The conversation on screen.
    pub selected: RwSignal<Option<ConversationId>>,
    /// The link's state.
    pub link: RwSignal<Link>,
    /// The agent's own status.
    pub status: RwSignal<AgentStatus>,
    /// Their capacity and load, as the relay last said.
    pub capacity: RwSignal<(u32, u32)>,
    /// The latest refusal to show (a transfer to a busy agent, say).
    pub notice: RwSignal<Option<String>>,
    /// Now (ms), ticking every second: waiting times and typing indicators follow it.
    pub now: RwSignal<f64>,
    socket: StoredValue<Socket, LocalStorage>,
}

impl Desk {
    /// A desk for the signed-in agent; call [`Desk::connect`] to open the socket.
    pub fn new(me: Me) -> Desk {
        let desk = Desk {
            me: StoredValue::new(me),
            conversations: RwSignal::new(BTreeMap::new()),
            selected: RwSignal::new(None),
            link: RwSignal::new(Link::Connecting),
            status: RwSignal::new(AgentStatus::Online),
            capacity: RwSignal::new((0, 0)),
            notice: RwSignal::new(None),
            now: RwSignal::new(js_sys::Date::now()),
            socket: StoredValue::new_local(Socket::default()),
        };
        let tick = set_interval_with_handle(move || desk.now.set(js_sys::Date::now()), Duration::from_secs(1));
        if let Ok(tick) = tick {
            on_cleanup(move || tick.clear());
        }
        desk
    }

    /// The signed-in agent's id.
    pub fn my_id(&self) -> i64 {
        self.me.with_value(|m| m.agent.id)
    }

    /// Opens the socket unless it is open or opening.
    pub fn connect(self) {
        if self.socket.with_value(|s| s.link.is_open() || s.stopped) {
            return;
        }
        let Some(url) = socket_url() else { return };
        let opened = self.socket.try_update_value(|s| {
            s.introduced = false;
            s.link.open(
                &url,
                move || {
                    let status = Some(self.status.get_untracked());
                    self.raw_send(&AgentFrame::Resume { token: String::new(), status });
                },
                move |text| self.receive(&text),
                move |_, _| self.dropped(),
            )
        });
        if opened != Some(true) {
            self.schedule_retry();
        }
    }

    /// Signs out on the socket and closes it for good.
    pub fn stop(self) {
        self.raw_send(&AgentFrame::Logout);
        self.close_for_good();
    }

    /// Closes the socket and never reconnects (signed out, or the session is over).
    fn close_for_good(self) {
        self.socket.update_value(|s| {
            s.stopped = true;
            s.link.close();
        });
    }

    fn raw_send(&self, frame: &AgentFrame) -> bool {
        self.socket.with_value(|s| s.link.send(&protocol::encode(frame)))
    }

    fn send_frame(&self, frame: &AgentFrame) -> bool {
        self.socket.with_value(|s| s.introduced && s.link.send(&protocol::encode(frame)))
    }

    fn dropped(self) {
        self.socket.update_value(|s| {
            s.link.forget();
            s.introduced = false;
        });
        if self.link.get_untracked() != Link::SignedOut {
            self.link.set(Link::Reconnecting);
            self.schedule_retry();
        }
    }

    /// Reconnects after the socket's backoff (at most 15 s).
    fn schedule_retry(self) {
        let Some(delay) = self.socket.try_update_value(|s| s.link.retry_delay(MAX_BACKOFF)).flatten() else { return };
        set_timeout(
            move || {
                self.socket.update_value(|s| s.link.retrying());
                self.connect();
            },
            delay,
        );
    }

    fn update(&self, id: ConversationId, f: impl FnOnce(&mut Conv)) {
        self.conversations.update(|all| {
            if let Some(conv) = all.get_mut(&id) {
                f(conv);
            }
        });
    }

    /// Whether the agent is looking at this conversation right now.
    fn watching(&self, id: ConversationId) -> bool {
        self.selected.get_untracked() == Some(id) && alerts::page_visible()
    }
}

/// A fresh id for a reply or note, so a resend is never stored twice.
fn new_client_id() -> String {
    format!("c{}-{}", js_sys::Date::now() as u64, (js_sys::Math::random() * 1e9) as u64)
}

/// `ws(s)://this-host/ws/agent`.
fn socket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" { "wss" } else { "ws" };
    Some(format!("{scheme}://{}/ws/agent", location.host().ok()?))
}
