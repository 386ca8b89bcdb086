//! The bubble above the launcher: a proactive message (the store's words, as text; the
//! shopper's answer starts a conversation that begins with them) or the first message of a chat
//! an agent started. A press opens the chat, a close button puts it away.

use leptos::prelude::*;

use super::Ui;
use crate::dom::{button, el, El};

/// Adds to `root` the bubble, while a proactive message shows and the chat is closed.
pub fn nudge_bubble(root: El, ui: Ui) -> El {
    let Ui { nudge, connection, open, .. } = ui;
    let bot = ui.t("author-bot");
    let answer = move |_| {
        if let Some(rule) = nudge.shown.with_untracked(|b| b.as_ref().and_then(|b| b.rule)) {
            connection.answering(rule);
        }
        nudge.answer();
        open.set(true);
    };
    let author = move || nudge.shown.with(|b| b.as_ref().and_then(|b| b.author.clone())).unwrap_or_else(|| bot.clone());
    let message = move || nudge.shown.with(|b| b.as_ref().map(|b| b.text.clone()).unwrap_or_default());
    let bubble = el("div")
        .class("pl-nudge")
        .attr("role", "status")
        .child(
            button("pl-nudge-open", "")
                .on("click", answer)
                .child(el("span").class("pl-author").text_with(author))
                .child(el("span").class("pl-nudge-text").attr("dir", "auto").text_with(message)),
        )
        .child(
            button("pl-nudge-close", "×")
                .attr("aria-label", &ui.t("nudge-dismiss"))
                .on("click", move |_| nudge.shown.set(None)),
        );
    root.show(bubble, move || nudge.shown.with(Option::is_some) && !open.get())
}
