//! The agent's desk: the one service that owns the agent socket. It resumes the session with
//! the cookie, reconnects with backoff, keeps every conversation the agent may see (messages,
//! notes, unread counts, the shopper's typing) in signals, and sends what the agent does.
//!
//! Components never see the socket: they read [`Desk::conversations`] and call its methods.

use std::collections::BTreeMap;
use std::time::Duration;

use chat_model::Chat;
use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::{
    AgentFrame, AgentStatus, ConversationId, ConversationSummary, Message, Note, PageView, Role, ServerFrame,
};

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

/// Everything the console knows of one conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Conv {
    /// What the relay said of it.
    pub summary: ConversationSummary,
    /// Its messages, oldest first (the agent's unsent ones last).
    pub chat: Chat,
    /// Private notes, oldest first.
    pub notes: Vec<Note>,
    /// Shopper messages the agent has not looked at.
    pub unread: u32,
    /// How far the shopper has read.
    pub visitor_read_seq: u64,
    /// Until when the shopper shows as typing (ms).
    pub typing_until: f64,
    /// Whether its history was fetched.
    pub loaded: bool,
    /// The page the shopper moved to while the console watched.
    pub live_page: Option<PageView>,
    /// When the latest shopper message came (ms): the waiting time runs from there.
    pub waiting_since: f64,
    /// The emails sent to the shopper about it, as the relay last told.
    pub emails: Vec<protocol::EmailNotice>,
    /// Whether the shopper has the shop open, once the relay said (`shopper_presence`).
    pub shopper_here: Option<bool>,
}

impl Conv {
    fn new(summary: ConversationSummary) -> Conv {
        let unread = summary.unread_from_shopper;
        let visitor_read_seq = summary.visitor_read_seq;
        // Until the history is read, the wait is known only when the shopper wrote last.
        let waiting_since = summary
            .last_message
            .as_ref()
            .filter(|m| m.author.role == Role::Visitor)
            .map_or(summary.created_at, |m| m.at) as f64;
        Conv {
            summary,
            chat: Chat::new(Role::Agent),
            notes: Vec::new(),
            unread,
            visitor_read_seq,
            typing_until: 0.0,
            loaded: false,
            live_page: None,
            waiting_since,
            emails: Vec::new(),
            shopper_here: None,
        }
    }

    /// Takes a newer summary from the relay; how far the shopper read only moves forward.
    fn refresh(&mut self, summary: ConversationSummary) {
        self.visitor_read_seq = self.visitor_read_seq.max(summary.visitor_read_seq);
        self.summary = summary;
    }

    /// Whether it is closed.
    pub fn is_closed(&self) -> bool {
        self.summary.closed_at.is_some()
    }

    /// The latest message's text, for the inbox.
    pub fn preview(&self) -> String {
        match self.chat.lines.iter().rev().find(|l| l.seq.is_some()) {
            Some(line) => line.text.clone(),
            None => self.summary.last_message.as_ref().map(|m| m.text.clone()).unwrap_or_default(),
        }
    }

    /// Whether the shopper waits for a person: they wrote after the last human reply (automatic
    /// replies and notices do not end the wait).
    pub fn awaits_reply(&self) -> bool {
        let human = |role: Role| matches!(role, Role::Visitor | Role::Agent);
        let last = self.chat.lines.iter().rev().map(|l| l.role).find(|r| human(*r));
        let last = last.or(self.summary.last_message.as_ref().map(|m| m.author.role).filter(|r| human(*r)));
        match last {
            Some(role) => role == Role::Visitor,
            // Only automatic messages known so far: a shopper's message started it.
            None => !self.is_closed() && self.summary.last_seq > 0,
        }
    }

    /// When the current wait began: the shopper's first message after the last human reply.
    fn recompute_wait(&mut self) {
        let since_reply = self.chat.lines.iter().rev().take_while(|l| l.role != Role::Agent);
        if let Some(first) = since_reply.filter(|l| l.role == Role::Visitor).last() {
            self.waiting_since = first.at;
        }
    }

    fn last_seq(&self) -> u64 {
        self.chat.last_seq()
    }

    fn merge(&mut self, messages: Vec<Message>) {
        if let Some(last) = messages.iter().map(|m| m.seq).max() {
            self.summary.last_seq = self.summary.last_seq.max(last);
        }
        self.chat.merge(messages);
        self.recompute_wait();
    }
}

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

    fn receive(self, text: &str) {
        let Ok(frame) = serde_json::from_str::<ServerFrame>(text) else { return };
        match frame {
            ServerFrame::AgentWelcome { conversations, .. } => {
                self.socket.update_value(|s| {
                    s.introduced = true;
                    s.link.connected();
                });
                self.link.set(Link::Online);
                // The welcome lists every open conversation the agent may see when it lists fewer
                // than its page: any other one the console thought open was closed, or went to a
                // colleague, while it was away.
                let complete = conversations.len() < WELCOME_PAGE;
                let listed: Vec<ConversationId> = conversations.iter().map(|c| c.id).collect();
                self.conversations.update(|all| {
                    if complete {
                        all.retain(|id, c| c.is_closed() || listed.contains(id));
                    }
                    for summary in conversations {
                        match all.get_mut(&summary.id) {
                            Some(conv) => conv.refresh(summary),
                            None => {
                                all.insert(summary.id, Conv::new(summary));
                            }
                        }
                    }
                });
                // Catch up on what was missed while disconnected.
                let loaded: Vec<(ConversationId, u64)> = self.conversations.with_untracked(|all| {
                    all.values().filter(|c| c.loaded).map(|c| (c.summary.id, c.last_seq())).collect()
                });
                for (conversation_id, after_seq) in loaded {
                    self.send_frame(&AgentFrame::Sync { conversation_id, after_seq });
                }
                self.resend_pending();
            }
            ServerFrame::Conversation { conversation } => {
                let id = conversation.id;
                let known = self.conversations.with_untracked(|all| all.contains_key(&id));
                self.conversations.update(|all| match all.get_mut(&id) {
                    Some(conv) => conv.refresh(conversation),
                    None => {
                        all.insert(id, Conv::new(conversation));
                    }
                });
                if !known {
                    alerts::ring(&crate::i18n::text("alert-new-conversation"), "");
                }
            }
            ServerFrame::Message { message } => self.incoming(message),
            ServerFrame::History { conversation_id, messages, more } => {
                let after = messages.last().map(|m| m.seq);
                self.update(conversation_id, |conv| {
                    conv.merge(messages);
                    conv.loaded = true;
                });
                match (more, after) {
                    (true, Some(after_seq)) => {
                        self.send_frame(&AgentFrame::Sync { conversation_id, after_seq });
                    }
                    _ => self.mark_seen(conversation_id),
                }
            }
            ServerFrame::Accepted { conversation_id, .. } => self.update(conversation_id, |conv| {
                conv.chat.apply(&frame);
            }),
            ServerFrame::Read { conversation_id, seq, by: Role::Visitor } => {
                self.update(conversation_id, |conv| conv.visitor_read_seq = conv.visitor_read_seq.max(seq));
            }
            ServerFrame::Typing { conversation_id, by: Role::Visitor, .. } => {
                let until = js_sys::Date::now() + protocol::TYPING_EVERY_MS as f64 * 2.0;
                self.update(conversation_id, |conv| conv.typing_until = until);
            }
            ServerFrame::Assignment { conversation_id, agent_id, .. } => {
                let mine = agent_id == Some(self.my_id());
                let was_mine = self.conversations.with_untracked(|all| {
                    all.get(&conversation_id).is_some_and(|c| c.summary.assigned_agent_id == Some(self.my_id()))
                });
                let known = self.conversations.with_untracked(|all| all.contains_key(&conversation_id));
                self.update(conversation_id, |conv| conv.summary.assigned_agent_id = agent_id);
                if mine && !known {
                    // Transferred to me: a plain agent never heard of it before.
                    self.fetch_summary(conversation_id);
                }
                if mine && !was_mine && !self.watching(conversation_id) {
                    alerts::ring(&crate::i18n::text("alert-assigned"), "");
                }
            }
            ServerFrame::Presence { agent_id, status, capacity, load } if agent_id == self.my_id() => {
                self.status.set(status);
                self.capacity.set((load, capacity));
            }
            ServerFrame::Closed { conversation_id, .. } => {
                let now = js_sys::Date::now() as i64;
                self.update(conversation_id, |conv| {
                    conv.summary.closed_at = Some(now);
                    conv.summary.closes_at = None;
                    conv.unread = 0;
                });
            }
            ServerFrame::Rated { conversation_id, score, comment } => self.update(conversation_id, |conv| {
                conv.summary.rating = Some(score);
                conv.summary.rating_comment = comment;
            }),
            ServerFrame::Closing { conversation_id, closes_at } => {
                self.update(conversation_id, |conv| conv.summary.closes_at = Some(closes_at));
            }
            ServerFrame::Note { note } => self.update(note.conversation_id, |conv| {
                if !conv.notes.iter().any(|n| n.id == note.id) {
                    conv.notes.push(note);
                }
            }),
            ServerFrame::EmailStatus { email } => self.update(email.conversation_id, |conv| {
                let same = |e: &protocol::EmailNotice| {
                    (e.kind, e.first_seq, e.last_seq) == (email.kind, email.first_seq, email.last_seq)
                        && e.to == email.to
                };
                match conv.emails.iter_mut().find(|e| same(e)) {
                    Some(known) => *known = email,
                    None => conv.emails.push(email),
                }
            }),
            ServerFrame::ShopperPresence { conversation_id, here } => {
                self.update(conversation_id, |conv| conv.shopper_here = Some(here));
            }
            ServerFrame::VisitorPage { conversation_id, page } => {
                self.update(conversation_id, |conv| conv.live_page = Some(page));
            }
            ServerFrame::Error { code, message, client_id, retry_after_ms } => {
                if code == protocol::ErrorCode::BadCredentials {
                    self.close_for_good();
                    self.link.set(Link::SignedOut);
                    return;
                }
                if let Some(client_id) = client_id {
                    let refused = ServerFrame::Error {
                        code,
                        message: message.clone(),
                        client_id: Some(client_id.clone()),
                        retry_after_ms,
                    };
                    let resend = self.conversations.try_update(|all| {
                        let conv = all.values_mut().find(|c| c.chat.lines.iter().any(|l| l.key == client_id))?;
                        conv.chat.apply(&refused).resend.map(|r| (conv.summary.id, r))
                    });
                    if let Some(Some((conversation_id, resend))) = resend {
                        // The relay was busy: the same reply, after its wait, without a notice.
                        set_timeout(
                            move || {
                                let frame = AgentFrame::Send {
                                    conversation_id,
                                    client_id: resend.client_id,
                                    text: resend.text,
                                };
                                self.send_frame(&frame);
                            },
                            Duration::from_millis(resend.after_ms),
                        );
                        return;
                    }
                }
                self.notice.set(Some(message));
            }
            _ => {}
        }
    }

    fn incoming(self, message: Message) {
        let id = message.conversation_id;
        let from_shopper = message.author.role == Role::Visitor;
        let watching = self.watching(id);
        let at = message.at as f64;
        let text = message.text.clone();
        // A new conversation's summary already carries its first message: counted once.
        let known = self.conversations.with_untracked(|all| {
            all.get(&id).and_then(|c| c.summary.last_message.as_ref()).is_some_and(|m| m.id == message.id)
        });
        if known {
            self.update(id, |conv| {
                if conv.loaded {
                    conv.merge(vec![message]);
                }
            });
            return;
        }
        self.update(id, |conv| {
            let was_waiting = conv.awaits_reply();
            if from_shopper {
                // The shopper answered the closing question: it stays open.
                conv.summary.closes_at = None;
            }
            conv.summary.last_message = Some(message.clone());
            conv.summary.last_seq = conv.summary.last_seq.max(message.seq);
            // Unloaded conversations fetch their whole history when opened.
            if conv.loaded {
                conv.merge(vec![message]);
            }
            if from_shopper {
                conv.typing_until = 0.0;
                if !was_waiting {
                    conv.waiting_since = at;
                }
                if !watching {
                    conv.unread += 1;
                }
            }
        });
        if from_shopper {
            if watching {
                self.mark_seen(id);
            } else {
                alerts::ring(&crate::i18n::text("alert-new-message"), &text);
            }
        }
    }

    /// Shows a conversation: fetches its history once, and marks it read.
    pub fn open(self, id: ConversationId) {
        self.selected.set(Some(id));
        let (loaded, after) =
            self.conversations.with_untracked(|all| all.get(&id).map_or((true, 0), |c| (c.loaded, c.last_seq())));
        if !loaded {
            self.send_frame(&AgentFrame::Sync { conversation_id: id, after_seq: after });
        }
        self.mark_seen(id);
    }

    /// Learns one conversation's summary over HTTP (one transferred to this agent).
    fn fetch_summary(self, id: ConversationId) {
        let url = self.me.with_value(|m| m.store_url(&format!("conversations/{id}/context")));
        spawn_local(async move {
            #[derive(serde::Deserialize)]
            struct Context {
                conversation: ConversationSummary,
            }
            if let Ok(context) = crate::api::get::<Context>(&url).await {
                self.learn_open(context.conversation);
            }
        });
    }

    /// Adds an open conversation the relay just made visible, unread count and all.
    fn learn_open(self, summary: ConversationSummary) {
        self.conversations.update(|all| match all.get_mut(&summary.id) {
            Some(conv) => conv.refresh(summary),
            None => {
                all.insert(summary.id, Conv::new(summary));
            }
        });
    }

    /// Adds conversations listed over HTTP (the Closed tab, a shopper's earlier chats).
    pub fn learn(self, summaries: Vec<ConversationSummary>) {
        self.conversations.update(|all| {
            for summary in summaries {
                all.entry(summary.id).or_insert_with(|| {
                    let mut conv = Conv::new(summary);
                    conv.unread = 0;
                    conv
                });
            }
        });
    }

    /// Tells the relay the agent has seen the conversation, and clears its unread count.
    pub fn mark_seen(self, id: ConversationId) {
        if !self.watching(id) {
            return;
        }
        let seq = self.conversations.with_untracked(|all| all.get(&id).map(|c| c.last_seq()).unwrap_or(0));
        self.update(id, |conv| conv.unread = 0);
        if seq > 0 {
            self.send_frame(&AgentFrame::Ack { conversation_id: id, seq });
        }
    }

    fn resend_pending(self) {
        let pending: Vec<(ConversationId, String, String)> = self
            .conversations
            .try_update(|all| {
                let each = all.values_mut().flat_map(|c| {
                    let id = c.summary.id;
                    c.chat.resend().into_iter().map(move |(key, text)| (id, key, text))
                });
                each.collect()
            })
            .unwrap_or_default();
        for (conversation_id, client_id, text) in pending {
            self.send_frame(&AgentFrame::Send { conversation_id, client_id, text });
        }
    }

    /// Replies to the shopper: shown at once as sending, resent after a reconnect.
    pub fn reply(self, id: ConversationId, text: String) {
        let client_id = new_client_id();
        let name = self.me.with_value(|m| m.agent.name.clone());
        self.update(id, |conv| conv.chat.add_pending(&client_id, &text, Some(name), js_sys::Date::now()));
        self.socket.update_value(|s| {
            s.typing_sent.remove(&id);
        });
        self.send_frame(&AgentFrame::Send { conversation_id: id, client_id: client_id.clone(), text });
        set_timeout(
            move || {
                self.update(id, |conv| {
                    conv.chat.give_up_on(&client_id);
                })
            },
            SEND_TIMEOUT,
        );
    }

    /// Sends a failed reply again, with the same client id (never a duplicate).
    pub fn retry(self, id: ConversationId, key: String) {
        let text = self.conversations.try_update(|all| all.get_mut(&id).and_then(|c| c.chat.retry(&key))).flatten();
        if let Some(text) = text {
            self.send_frame(&AgentFrame::Send { conversation_id: id, client_id: key, text });
        }
    }

    /// Leaves a private note (the relay shows it to the store's agents only).
    pub fn note(self, id: ConversationId, text: String) {
        self.send_frame(&AgentFrame::Note { conversation_id: id, client_id: new_client_id(), text });
    }

    /// Notes loaded over HTTP with the context panel.
    pub fn set_notes(self, id: ConversationId, notes: Vec<Note>) {
        self.update(id, |conv| {
            for note in notes {
                if !conv.notes.iter().any(|n| n.id == note.id) {
                    conv.notes.push(note);
                }
            }
            conv.notes.sort_by_key(|n| n.id);
        });
    }

    /// Reports typing in a conversation, at most once every 2 s.
    pub fn typing(self, id: ConversationId) {
        let now = js_sys::Date::now();
        let due = self
            .socket
            .with_value(|s| s.typing_sent.get(&id).is_none_or(|at| now - at >= protocol::TYPING_EVERY_MS as f64));
        if due && self.send_frame(&AgentFrame::Typing { conversation_id: id }) {
            self.socket.update_value(|s| {
                s.typing_sent.insert(id, now);
            });
        }
    }

    /// Takes a conversation from the queue.
    pub fn claim(self, id: ConversationId) {
        self.send_frame(&AgentFrame::Claim { conversation_id: id });
    }

    /// Hands a conversation to another agent.
    pub fn transfer(self, id: ConversationId, to_agent_id: i64) {
        self.send_frame(&AgentFrame::Transfer { conversation_id: id, to_agent_id });
    }

    /// Puts a conversation back in the queue.
    pub fn release(self, id: ConversationId) {
        self.send_frame(&AgentFrame::Release { conversation_id: id });
    }

    /// Closes a conversation, after a closing reply when one is given.
    pub fn close(self, id: ConversationId, closing: Option<String>, resolved: bool) {
        let question = closing.filter(|t| !t.trim().is_empty());
        self.send_frame(&AgentFrame::Close { conversation_id: id, question, resolved: Some(resolved) });
    }

    /// Opens a closed conversation again.
    pub fn reopen(self, id: ConversationId) {
        if self.send_frame(&AgentFrame::Reopen { conversation_id: id }) {
            self.update(id, |conv| conv.summary.closed_at = None);
        }
    }

    /// Sets the agent's status.
    pub fn set_status(self, status: AgentStatus) {
        self.status.set(status);
        self.send_frame(&AgentFrame::SetStatus { status });
    }
}

fn new_client_id() -> String {
    format!("c{}-{}", js_sys::Date::now() as u64, (js_sys::Math::random() * 1e9) as u64)
}

/// `ws(s)://this-host/ws/agent`.
fn socket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" { "wss" } else { "ws" };
    Some(format!("{scheme}://{}/ws/agent", location.host().ok()?))
}
