//! The widget's components: the launcher button, the proactive message's bubble and the panel
//! (header, help search, connection banner, message list, composer).

mod composer;
mod launcher;
mod message_list;
mod nudge;
mod panel;
mod rating;
mod search;
mod transcript;

pub use launcher::Launcher;
pub use nudge::NudgeBubble;
pub use panel::Panel;
