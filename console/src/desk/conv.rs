//! What the console knows of one conversation: the relay's summary, its messages through the
//! shared chat model, notes, unread count and the shopper's typing, page and presence.

use chat_model::Chat;
use protocol::{ConversationSummary, Message, Note, PageView, Role};

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
    pub(super) fn new(summary: ConversationSummary) -> Conv {
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
    pub(super) fn refresh(&mut self, summary: ConversationSummary) {
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
    pub(super) fn recompute_wait(&mut self) {
        let since_reply = self.chat.lines.iter().rev().take_while(|l| l.role != Role::Agent);
        if let Some(first) = since_reply.filter(|l| l.role == Role::Visitor).last() {
            self.waiting_since = first.at;
        }
    }

    pub(super) fn last_seq(&self) -> u64 {
        self.chat.last_seq()
    }

    pub(super) fn merge(&mut self, messages: Vec<Message>) {
        if let Some(last) = messages.iter().map(|m| m.seq).max() {
            self.summary.last_seq = self.summary.last_seq.max(last);
        }
        self.chat.merge(messages);
        self.recompute_wait();
    }
}
