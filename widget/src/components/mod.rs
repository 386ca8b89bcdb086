//! The widget's components: the launcher button and the panel (header, connection banner,
//! message list, composer).

mod composer;
mod launcher;
mod message_list;
mod panel;

pub use launcher::Launcher;
pub use panel::Panel;
