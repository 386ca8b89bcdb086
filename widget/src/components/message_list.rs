//! The conversation: the shopper's messages on the right, the store's on the left, each with
//! its time and, for the shopper's own, whether it is sending, sent, seen or failed.
//! Texts are rendered as text nodes, never as HTML.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use protocol::Role;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, Node};

use super::Ui;
use crate::connection::{ChatMessage, Connection, Delivery};
use crate::dom::{button, el, watch, El};

/// A message on screen: what it showed when built, its element, and its buttons under a bot
/// message (with whether they offer articles, which a later message puts away).
struct Row {
    key: (String, Option<u64>, Delivery),
    item: Element,
    chips: Option<(Element, bool)>,
    seq: Option<u64>,
}

/// Adds to `chat` the scrolling list of messages; keeps the newest in view, also when the panel
/// opens on a conversation loaded while it was hidden (a hidden list has no height to scroll).
pub fn message_list(chat: El, ui: Ui) -> El {
    let connection = ui.connection;
    // The log is the scrolling box (focusable, so the keyboard scrolls it); the list inside
    // keeps its list semantics.
    let log = el("div")
        .class("pl-messages")
        .attr("role", "log")
        .attr("aria-live", "polite")
        .attr("aria-label", &ui.t("message-log"))
        .attr("tabindex", "0");
    let list = el("ol").class("pl-lines").slot(greeting(ui));
    let end = list.marker();
    let list = list.slot(move || {
        let name = connection.typing.get()?;
        Some(el("li").class("pl-typing").text(&ui.i18n.t_with("typing", &[("name", name)])))
    });
    let rows = Rc::new(RefCell::new(Vec::<Row>::new()));
    let list = list.on("click", move |ev| tapped(&ev, connection));
    let parent = list.0.clone();
    watch(move || connection.messages.with(|chat| show_lines(&parent, &end, &rows, chat, ui)));
    let scroller = log.0.clone();
    Effect::new(move |_| {
        connection.messages.track();
        if !connection.visible.get() {
            return;
        }
        // After the panel is laid out.
        let scroller = scroller.clone();
        request_animation_frame(move || scroller.set_scroll_top(scroller.scroll_height()));
    });
    chat.child(log.child(list))
}

/// While nothing is written: the proactive message the chat was opened from, or the store's
/// greeting from its bot, or the widget's own.
fn greeting(ui: Ui) -> impl Fn() -> Option<El> {
    let Ui { connection, help, nudge, .. } = ui;
    move || {
        if !connection.messages.with(|chat| chat.lines.is_empty()) {
            return None;
        }
        let answered = nudge.answered.with(|b| b.as_ref().map(|b| b.text.clone()));
        Some(match answered.or_else(|| help.greeting.get()) {
            Some(text) => el("li")
                .class("pl-message theirs automatic")
                .child(el("span").class("pl-author").text(&ui.t("author-bot")))
                .child(el("p").class("pl-bubble").attr("dir", "auto").text(&text)),
            None => el("li").class("pl-greeting").text(&ui.t("empty-greeting")),
        })
    }
}

/// Puts the lines on screen in order before `end`, keeping the elements of lines that did not
/// change and putting away offered articles once the shopper wrote again.
fn show_lines(list: &Element, end: &Node, rows: &RefCell<Vec<Row>>, chat: &chat_model::Chat, ui: Ui) {
    let lines = &chat.lines;
    let mut old: Vec<Option<Row>> = std::mem::take(&mut *rows.borrow_mut()).into_iter().map(Some).collect();
    let same = |o: usize, n: usize| {
        let line = &lines[n];
        old[o].as_ref().is_some_and(|r| r.key.0 == line.key && r.key.1 == line.seq && r.key.2 == line.delivery)
    };
    let found = crate::dom::keep(old.len(), lines.len(), same);
    let mut new = Vec::with_capacity(lines.len());
    for (line, at) in lines.iter().zip(found) {
        new.push(at.and_then(|at| old[at].take()).unwrap_or_else(|| item(line, ui)));
    }
    for gone in old.into_iter().flatten() {
        gone.item.remove();
    }
    let mut next: Node = end.clone();
    for row in new.iter_mut().rev() {
        if row.item.next_sibling().as_ref() != Some(&next) {
            let _ = list.insert_before(&row.item, Some(&next));
        }
        next = row.item.clone().unchecked_into();
        if let Some((chips, offers)) = &row.chips {
            if *offers && chat.written_after(row.seq) {
                chips.remove();
            }
        }
    }
    *rows.borrow_mut() = new;
}

/// One message.
fn item(message: &ChatMessage, ui: Ui) -> Row {
    let mine = message.role == Role::Visitor;
    let author = match message.role {
        Role::Visitor => ui.t("author-you"),
        Role::Bot | Role::System => ui.t("author-bot"),
        Role::Agent => message.author_name.clone().unwrap_or_else(|| ui.t("author-agent")),
    };
    let automatic = if matches!(message.role, Role::Bot | Role::System) { " automatic" } else { "" };
    let class = format!("pl-message {}{automatic}", if mine { "mine" } else { "theirs" });
    let mut meta = el("span").class("pl-meta").child(el("time").text(&clock_time(message.at, &ui.i18n.locale())));
    if mine {
        let label = ui.t(match message.delivery {
            Delivery::Sending => "status-sending",
            Delivery::Sent => "status-sent",
            Delivery::Seen => "status-seen",
            Delivery::Failed => "status-failed",
        });
        let mut status =
            button("pl-status", &label).attr("data-state", message.delivery.name()).attr("data-retry", &message.key);
        if message.delivery != Delivery::Failed {
            status = status.attr("disabled", "");
        }
        meta = meta.child(status);
    }
    let chips = chips_of(message, ui);
    let item = el("li")
        .class(&class)
        .child(el("span").class("pl-author").text(&author))
        .child(el("p").class("pl-bubble").attr("dir", "auto").text(&message.text));
    let chips = chips.map(|(chips, offers)| {
        let element = chips.0.clone();
        let _ = item.0.append_child(&chips.0);
        (element, offers)
    });
    let item = item.child(meta);
    Row { key: (message.key.clone(), message.seq, message.delivery), item: item.0, chips, seq: message.seq }
}

/// The buttons under a bot message: "Did this answer your question?" under an answer from the
/// FAQ, until answered; or the FAQ articles a reply offers, until the shopper taps one or
/// writes again. One view for both keeps the widget small.
fn chips_of(message: &ChatMessage, ui: Ui) -> Option<(El, bool)> {
    if message.role != Role::Bot {
        return None;
    }
    let (group, chips): (El, Vec<(String, String, String)>) = match (&message.faq_article, message.id) {
        (Some(_), Some(id)) => {
            let question = ui.t("feedback-question");
            let group = el("div").class("pl-feedback").attr("aria-label", &question).child(el("span").text(&question));
            let id = id.to_string();
            (group, vec![(ui.t("feedback-yes"), "y".into(), id.clone()), (ui.t("feedback-no"), "n".into(), id)])
        }
        _ if !message.faq_choices.is_empty() => {
            let group = el("div").class("pl-feedback pl-choices").attr("aria-label", &ui.t("faq-choices"));
            let asks = message.faq_choices.iter().map(|c| (c.question.clone(), "a".into(), c.question.clone()));
            (group, asks.collect())
        }
        _ => return None,
    };
    let offers = chips.first().is_some_and(|c| c.1 == "a");
    let mut group = group.attr("role", "group");
    for (text, kind, value) in chips {
        group = group.child(button("pl-chip", &text).attr("data-chip", &kind).attr("data-v", &value));
    }
    Some((group, offers))
}

/// A tap in the list: a failed message's status retries it; a button under a bot message
/// answers "Did this answer your question?" or asks the article's question, and the buttons go.
fn tapped(ev: &web_sys::Event, connection: Connection) {
    let Some(button) =
        ev.target().and_then(|t| t.dyn_into::<Element>().ok()).and_then(|t| t.closest("button").ok().flatten())
    else {
        return;
    };
    if let Some(key) = button.get_attribute("data-retry") {
        return connection.retry(key);
    }
    let (Some(kind), Some(value)) = (button.get_attribute("data-chip"), button.get_attribute("data-v")) else { return };
    if let Ok(Some(group)) = button.closest(".pl-feedback") {
        group.remove();
    }
    match (kind.as_str(), value.parse::<i64>()) {
        ("a", _) => connection.send(value),
        (yes_no, Ok(id)) => connection.feedback(id, yes_no == "y"),
        _ => {}
    }
}

/// "14:05" or "9:38 PM" in the shopper's language and time zone (no leading zero on the hour).
pub fn clock_time(at_millis: f64, locale: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at_millis));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"hour".into(), &"numeric".into());
    let _ = js_sys::Reflect::set(&options, &"minute".into(), &"2-digit".into());
    date.to_locale_time_string_with_options(locale, &options).into()
}
