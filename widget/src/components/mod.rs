//! The widget's components: the launcher button, the proactive message's bubble and the panel
//! (header, help search, connection banner, message list, composer), built with [`crate::dom`].

mod composer;
mod launcher;
mod message_list;
mod nudge;
mod panel;
mod rating;
mod search;
mod transcript;

use leptos::prelude::RwSignal;

pub use launcher::launcher;
pub use message_list::clock_time;
pub use nudge::nudge_bubble;
pub use panel::panel;

use crate::connection::Connection;
use crate::help::Help;
use crate::i18n::I18n;
use crate::proactive::Nudge;

/// What every component works with: whether the panel is open, the services and the strings.
#[derive(Clone, Copy)]
pub struct Ui {
    /// Whether the panel is open.
    pub open: RwSignal<bool>,
    /// The one connection to the relay.
    pub connection: Connection,
    /// Help articles and the store's settings.
    pub help: Help,
    /// The proactive message's bubble.
    pub nudge: Nudge,
    /// The shopper's language (lives as long as the page).
    pub i18n: &'static I18n,
}

impl Ui {
    /// The UI string `key` in the shopper's language.
    pub fn t(&self, key: &str) -> String {
        self.i18n.t(key)
    }
}
