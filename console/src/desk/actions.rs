//! What the agent does at the desk: open, reply, note, claim, transfer, release, close and
//! reopen conversations, and set their status. Each is one frame on the socket; replies are
//! shown at once and resent after a reconnect.

use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::{AgentFrame, AgentStatus, ConversationId, ConversationSummary, Note};

use super::{new_client_id, Conv, Desk, SEND_TIMEOUT};

impl Desk {
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
    pub(super) fn fetch_summary(self, id: ConversationId) {
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

    /// Sends every reply not yet stored again, with its client id (after a reconnect).
    pub(super) fn resend_pending(self) {
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
