//! The widget's components: the launcher button and the panel (header, help search, connection
//! banner, message list, composer).

mod composer;
mod launcher;
mod message_list;
mod panel;
mod rating;
mod search;
mod transcript;

pub use launcher::Launcher;
pub use panel::Panel;
