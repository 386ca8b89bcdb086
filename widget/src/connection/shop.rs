//! What the shop's JavaScript API asks of the connection: who the shopper is (`identify`
//! reconnects so that the relay can check it), their attributes, `reset()` on sign-out, and
//! the `message` and `unread` events the shop hears.

use chat_model::Chat;
use leptos::prelude::*;
use protocol::{Message, Role, VisitorFrame};

use super::{Connection, LinkStatus};
use crate::api;

impl Connection {
    /// Notes the visitor the relay welcomed; a different one than before (another customer,
    /// or a fresh start) must not keep showing the old one's messages.
    pub(super) fn welcomed_as(self, visitor_id: String) {
        let before = self.welcomed.try_update_value(|w| w.visitor_id.replace(visitor_id.clone())).flatten();
        if before.is_some_and(|b| b != visitor_id) {
            self.forget_chat();
        }
    }

    /// Sends the attributes the shop set, when connected (else they go after the welcome).
    pub fn send_attributes(self) {
        let attributes = api::attributes();
        if !attributes.is_empty() {
            self.send_frame(&VisitorFrame::Attributes { attributes });
        }
    }

    /// The shop said who the shopper is, or signed them out (`reset`, storage already
    /// cleared): the conversation shown goes, and a live connection says hello again, so the
    /// relay decides who this is. A widget that never connected waits for the panel to open.
    pub fn restart(self) {
        self.forget_chat();
        self.welcomed.update_value(|w| w.visitor_id = None);
        if self.status.get_untracked() == LinkStatus::Idle {
            return;
        }
        self.hang_up(false);
        if self.visible.get_untracked() || self.has_conversation() {
            self.connect();
        } else {
            self.status.set(LinkStatus::Idle);
        }
    }

    /// The page is being left (`pagehide`): the socket closes at once, even when the browser
    /// keeps the page in its back/forward cache, so the relay knows the shopper is gone (an
    /// agent's replies are emailed only to a shopper who left).
    pub fn pause(self) {
        if self.status.get_untracked() == LinkStatus::Idle {
            return;
        }
        self.hang_up(true);
        self.status.set(LinkStatus::Idle);
    }

    /// Closes the socket on purpose, ready to say hello afresh on the next one; `paused` when
    /// it is to reopen once the page is shown again.
    fn hang_up(self, paused: bool) {
        self.link.update_value(|l| {
            l.socket.close();
            l.socket.connected();
            l.introduced = false;
            l.paused = paused;
        });
    }

    /// The page came back from the back/forward cache (`pageshow`): a socket closed by
    /// [`Connection::pause`] opens again.
    pub fn resume(self) {
        if self.link.try_update_value(|l| std::mem::take(&mut l.paused)).unwrap_or(false) {
            self.connect();
        }
    }

    fn forget_chat(self) {
        self.messages.set(Chat::new(Role::Visitor));
        self.attendance.set(None);
        self.typing.set(None);
        self.clear_unread();
    }

    /// A message from the team or the bot arrived: the shop hears of it, and of the unread
    /// count while the panel is closed.
    pub(super) fn heard(self, message: &Message) {
        let role = match message.author.role {
            Role::Agent => "agent",
            Role::Bot => "bot",
            _ => "system",
        };
        api::emit("message", &api::message_detail(&message.text, role, message.author.name.as_deref()));
        if !self.visible.get_untracked() {
            self.unread.update(|n| *n += 1);
            api::emit("unread", &self.unread.get_untracked().into());
        }
    }

    /// The shopper looked: nothing is unread.
    pub(super) fn clear_unread(self) {
        if self.unread.get_untracked() > 0 {
            self.unread.set(0);
            api::emit("unread", &0.into());
        }
    }
}
