//! The composer: Enter sends, Shift+Enter starts a new line, and an IME composition (Chinese,
//! Japanese…) is never cut short by the Enter that confirms it. The box grows with its lines
//! (up to a limit, then scrolls). Focus lands here when the panel opens on a device with a
//! mouse; on a touch screen that would raise the keyboard over the panel, so it does not.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlTextAreaElement, KeyboardEvent};

use super::Ui;
use crate::dom::{button, clear, clicked_index, el, value_of, El};

/// Adds to the panel the articles that may answer what is being written, the message box and
/// the send button.
pub fn composer(panel: El, ui: Ui) -> El {
    let Ui { connection, help, open, .. } = ui;
    let text = RwSignal::new(String::new());
    let suggested = ui.t("suggestions-label");
    let suggestions = el("div")
        .class("pl-suggest")
        .attr("role", "group")
        .attr("aria-label", &suggested)
        .bind(move |e| {
            clear(e);
            let _ = e.append_child(&el("span").text(&suggested).0);
            for (i, hit) in help.suggestions.get().into_iter().enumerate() {
                let chip = button("pl-chip", &hit.question).attr("dir", "auto").attr("data-i", &i.to_string());
                let _ = e.append_child(&chip.0);
            }
        })
        .on("click", move |ev| {
            let id =
                clicked_index(&ev).and_then(|i| help.suggestions.with_untracked(|s| s.get(i).map(|h| h.id.clone())));
            if let Some(id) = id {
                help.open(&id);
            }
        });
    let input = el("textarea")
        .attr("rows", "1")
        .attr("dir", "auto")
        .attr("aria-label", &ui.t("composer-label"))
        .attr("placeholder", &ui.t("composer-placeholder"))
        .attr("maxlength", "4000")
        .on("input", move |ev| {
            let value = value_of(&ev);
            help.suggest(value.clone());
            text.set(value);
            connection.report_typing();
        });
    let area: HtmlTextAreaElement = input.0.clone().unchecked_into();
    let submit = move || {
        let message = text.get_untracked();
        if message.trim().is_empty() {
            return;
        }
        connection.send(message);
        text.set(String::new());
        help.suggest(String::new());
    };
    let input =
        input.bind(move |e| e.unchecked_ref::<HtmlTextAreaElement>().set_value(&text.get())).on("keydown", move |ev| {
            let ev: KeyboardEvent = ev.unchecked_into();
            if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() && ev.key_code() != 229 {
                ev.prevent_default();
                submit();
            }
        });
    follow(open, text, area);
    let form = el("form")
        .class("pl-composer")
        .on("submit", move |ev| {
            ev.prevent_default();
            submit();
        })
        .child(input)
        .child(el("button").attr("type", "submit").class("pl-send").text(&ui.t("send")));
    panel.show(suggestions, move || help.suggestions.with(|s| !s.is_empty())).child(form)
}

/// Focus on open (not on a touch screen), and a box as tall as its text (the CSS caps it,
/// then it scrolls).
fn follow(open: RwSignal<bool>, text: RwSignal<String>, area: HtmlTextAreaElement) {
    let input = area.clone();
    Effect::new(move |_| {
        if open.get() && !has_coarse_pointer() {
            let input = input.clone();
            request_animation_frame(move || {
                let _ = input.focus();
            });
        }
    });
    Effect::new(move |_| {
        text.track();
        let input = area.clone();
        request_animation_frame(move || {
            let style = web_sys::HtmlElement::style(&input);
            let _ = style.set_property("height", "auto");
            let _ = style.set_property("height", &format!("{}px", input.scroll_height() + 2));
        });
    });
}

/// Whether the main pointer is a finger (a touch screen, whose keyboard would cover the panel).
fn has_coarse_pointer() -> bool {
    web_sys::window().and_then(|w| w.match_media("(pointer: coarse)").ok().flatten()).is_some_and(|m| m.matches())
}
