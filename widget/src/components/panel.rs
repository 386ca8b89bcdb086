//! The chat panel: header with the store's name and reply promise, the help search, a banner
//! while the connection is down, the conversation and the composer.

use leptos::prelude::*;
use protocol::ReplyTime;
use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;

use super::composer::composer;
use super::message_list::message_list;
use super::rating::rating;
use super::search::help_search;
use super::transcript::transcript;
use super::Ui;
use crate::connection::{Attendance, LinkStatus};
use crate::dom::{close_icon, el, El};
use crate::help::Help;
use crate::i18n::I18n;

/// The panel; rendered always, shown only while `open`.
pub fn panel(ui: Ui) -> El {
    let Ui { open, connection, help, i18n, .. } = ui;
    // While the shopper browses the help, it takes the conversation's place.
    let browsing = move || help.results.with(Option::is_some) || help.article.with(Option::is_some);
    let store_name = move || connection.store_name.get().unwrap_or_default();
    let attendance = move || {
        connection.attendance.get().map_or_else(String::new, |a| match a {
            Attendance::Joined(name) => i18n.t_with("attendance-joined", &[("name", name)]),
            Attendance::Waiting(position) => i18n.t_with("attendance-waiting", &[("position", position.to_string())]),
        })
    };
    let chat = el("div").class("pl-chat").attr_with("hidden", move || browsing().then(String::new));
    let chat = transcript(rating(message_list(chat, ui), ui), ui);
    let section = el("section")
        .class("pl-panel")
        .class_when("is-open", move || open.get())
        .attr_with("hidden", move || (!open.get()).then(String::new))
        .attr_with("aria-label", move || Some(store_name()))
        .on("keydown", move |ev| {
            let ev: KeyboardEvent = ev.unchecked_into();
            if ev.key() == "Escape" {
                close_to_launcher(open, &ev);
            }
        })
        .child(header(ui))
        .show(el("p").class("pl-attendance").attr("role", "status").text_with(attendance), move || {
            connection.attendance.with(Option::is_some)
        })
        .show(el("p").class("pl-banner").attr("role", "status").text(&ui.t("banner-reconnecting")), move || {
            connection.status.get() == LinkStatus::Reconnecting
        })
        .child(help_search(ui))
        .child(chat);
    composer(section, ui)
}

/// The store's name, what it promises, and the close button.
fn header(ui: Ui) -> El {
    let Ui { open, connection, help, i18n, .. } = ui;
    let responsive = move || help.available.get() == Some(true) && help.claim.with(|c| c.1);
    let subtitle = el("p")
        .class("pl-subtitle")
        .text_node_with(move || subtitle(i18n, help))
        .show(el("span").class("pl-badge").text(&ui.t("badge-very-responsive")), responsive);
    el("header")
        .class("pl-header")
        .child(
            el("div")
                .child(el("h2").class("pl-title").text_with(move || connection.store_name.get().unwrap_or_default()))
                .child(subtitle),
        )
        .child(
            crate::dom::button("pl-close", "")
                .attr("aria-label", &ui.t("launcher-close"))
                .on("click", move |_| open.set(false))
                .child(close_icon("20")),
        )
}

/// The header's second line says what the store's own figures support, and only while someone
/// is there; an away team says when it is back, in the shopper's time.
fn subtitle(i18n: &I18n, help: Help) -> String {
    let (reply_time, _, back_at) = help.claim.get();
    match (help.available.get(), reply_time, back_at) {
        (Some(true), Some(ReplyTime::UnderAMinute), _) => i18n.t("header-reply-minute"),
        (Some(true), Some(ReplyTime::Minutes { minutes }), _) => {
            i18n.t_with("header-reply-minutes", &[("n", minutes.to_string())])
        }
        (Some(true), Some(ReplyTime::Hours), _) => i18n.t("header-reply-hours"),
        (Some(false), _, Some(at)) => {
            let time = super::clock_time(at, &i18n.locale());
            i18n.t_with("header-back-at", &[("time", time)])
        }
        (Some(false), _, None) => i18n.t("header-away"),
        _ => String::new(),
    }
}

/// Escape closes the panel and gives focus back to the launcher.
fn close_to_launcher(open: RwSignal<bool>, ev: &KeyboardEvent) {
    open.set(false);
    crate::dom::focus_near(ev, "button.pl-launch");
}
