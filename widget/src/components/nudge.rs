//! The bubble above the launcher: a proactive message (the store's words, as text; the
//! shopper's answer starts a conversation that begins with them) or the first message of a chat
//! an agent started. A press opens the chat, a close button puts it away.

use leptos::prelude::*;

use crate::connection::Connection;
use crate::i18n::I18n;
use crate::proactive::Nudge;

/// The bubble, while a proactive message shows and the chat is closed.
#[component]
pub fn NudgeBubble(open: RwSignal<bool>) -> impl IntoView {
    let nudge = expect_context::<Nudge>();
    let connection = expect_context::<Connection>();
    let i18n = expect_context::<I18n>();
    let (bot, dismiss) = (i18n.t("author-bot"), i18n.t("nudge-dismiss"));
    let message = move || nudge.shown.with(|b| b.as_ref().map(|b| b.text.clone()).unwrap_or_default());
    let bot = StoredValue::new(bot);
    let author =
        move || nudge.shown.with(|b| b.as_ref().and_then(|b| b.author.clone())).unwrap_or_else(|| bot.get_value());
    let answer = move |_| {
        if let Some(rule) = nudge.shown.with_untracked(|b| b.as_ref().and_then(|b| b.rule)) {
            connection.answering(rule);
        }
        nudge.answer();
        open.set(true);
    };
    view! {
        <Show when=move || nudge.shown.with(Option::is_some) && !open.get()>
            <div class="pl-nudge" role="status">
                <button type="button" class="pl-nudge-open" on:click=answer>
                    <span class="pl-author">{author}</span>
                    <span class="pl-nudge-text" dir="auto">{message}</span>
                </button>
                <button type="button" class="pl-nudge-close" aria-label=dismiss.clone()
                    on:click=move |_| nudge.shown.set(None)>"×"</button>
            </div>
        </Show>
    }
}
