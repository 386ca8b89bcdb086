//! "Email me this conversation": under a conversation, when the relay sends email, a button
//! that opens a small form for the address; the relay checks it and says where it went, or
//! why it could not (in the shopper's language).

use leptos::prelude::*;
use protocol::ErrorCode;
use wasm_bindgen::JsCast;

use super::Ui;
use crate::dom::{button, el, value_of, El};

/// Adds to `chat` the transcript button and form.
pub fn transcript(chat: El, ui: Ui) -> El {
    let Ui { connection, help, i18n, .. } = ui;
    let asking = RwSignal::new(false);
    let email = RwSignal::new(String::new());
    let answer = move || {
        connection.transcript.get().map(|answer| match answer {
            Ok(to) => i18n.t_with("transcript-sent", &[("email", to)]),
            Err(ErrorCode::InvalidValue) => i18n.t("transcript-bad-address"),
            Err(ErrorCode::RateLimited) => i18n.t("transcript-limited"),
            Err(_) => i18n.t("transcript-failed"),
        })
    };
    let address = ui.t("transcript-address");
    let form = el("form")
        .class("pl-transcript-form")
        .on("submit", move |ev| {
            ev.prevent_default();
            connection.email_transcript(email.get_untracked().trim().to_owned());
        })
        .child(
            el("input")
                .attr("type", "email")
                .attr("required", "")
                .attr("autocomplete", "email")
                .attr("aria-label", &address)
                .attr("placeholder", &address)
                .bind(move |e| e.unchecked_ref::<web_sys::HtmlInputElement>().set_value(&email.get()))
                .on("input", move |ev| email.set(value_of(&ev))),
        )
        .child(el("button").attr("type", "submit").text(&ui.t("transcript-send")));
    let answered =
        el("p").class("pl-transcript-answer").attr("role", "status").text_with(move || answer().unwrap_or_default());
    let block = el("div")
        .class("pl-transcript")
        .child(
            button("pl-transcript-open", &ui.t("transcript-open"))
                .attr_with("aria-expanded", move || Some(asking.get().to_string()))
                .on("click", move |_| asking.update(|a| *a = !*a)),
        )
        .show(form, move || asking.get())
        .show(answered, move || asking.get());
    chat.show(block, move || help.email.get() && connection.messages.with(|chat| chat.last_seq() > 0))
}
