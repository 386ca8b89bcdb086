//! What the relay's frames change at the desk: the welcome (and the catch-up after a
//! reconnect), conversations appearing and moving between agents, messages, history, the
//! shopper's reading, typing and presence, closing and ratings, notes, email notices, and
//! refusals (a busy relay's is resent after its wait without a notice).

use std::time::Duration;

use leptos::prelude::*;
use protocol::{AgentFrame, ConversationId, ConversationSummary, ErrorCode, Message, Role, ServerFrame};

use super::{alerts, Conv, Desk, Link, WELCOME_PAGE};

impl Desk {
    /// One frame from the relay; frames this console does not know are ignored.
    pub(super) fn receive(self, text: &str) {
        let Ok(frame) = serde_json::from_str::<ServerFrame>(text) else { return };
        match frame {
            ServerFrame::AgentWelcome { conversations, .. } => self.welcomed(conversations),
            ServerFrame::Conversation { conversation } => self.learn_conversation(conversation),
            ServerFrame::Message { message } => self.incoming(message),
            ServerFrame::History { conversation_id, messages, more } => self.history(conversation_id, messages, more),
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
            ServerFrame::Assignment { conversation_id, agent_id, .. } => self.assigned(conversation_id, agent_id),
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
                self.refused(code, message, client_id, retry_after_ms)
            }
            _ => {}
        }
    }

    /// Signed in on the socket: the conversations as the relay lists them, then what was missed
    /// while away fetched and unsent replies sent again.
    fn welcomed(self, conversations: Vec<ConversationSummary>) {
        self.socket.update_value(|s| {
            s.introduced = true;
            s.link.connected();
        });
        self.link.set(Link::Online);
        // The welcome lists every open conversation the agent may see when it lists fewer than
        // its page: any other one the console thought open was closed, or went to a colleague,
        // while it was away.
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
        let loaded: Vec<(ConversationId, u64)> = self
            .conversations
            .with_untracked(|all| all.values().filter(|c| c.loaded).map(|c| (c.summary.id, c.last_seq())).collect());
        for (conversation_id, after_seq) in loaded {
            self.send_frame(&AgentFrame::Sync { conversation_id, after_seq });
        }
        self.resend_pending();
    }

    /// A conversation the agent may now see, or news of one they know; a new one rings.
    fn learn_conversation(self, conversation: ConversationSummary) {
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

    /// A page of history: the next one is asked for until the last, which marks it read.
    fn history(self, conversation_id: ConversationId, messages: Vec<Message>, more: bool) {
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

    /// A conversation changed hands; one given to this agent rings unless they are looking.
    fn assigned(self, conversation_id: ConversationId, agent_id: Option<i64>) {
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

    /// A refusal: the session's end signs out; a busy relay's refusal of a reply is resent after
    /// its wait; anything else is shown as a notice.
    fn refused(self, code: ErrorCode, message: String, client_id: Option<String>, retry_after_ms: Option<u64>) {
        if code == ErrorCode::BadCredentials {
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
                        let frame =
                            AgentFrame::Send { conversation_id, client_id: resend.client_id, text: resend.text };
                        self.send_frame(&frame);
                    },
                    Duration::from_millis(resend.after_ms),
                );
                return;
            }
        }
        self.notice.set(Some(message));
    }

    /// A message in a conversation: merged when its history is loaded, counted unread and rung
    /// when it is the shopper's and the agent is not looking.
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
}
