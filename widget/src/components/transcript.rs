//! "Email me this conversation": under a conversation, when the relay sends email, a button
//! that opens a small form for the address; the relay checks it and says where it went, or
//! why it could not (in the shopper's language).

use leptos::prelude::*;
use protocol::ErrorCode;

use crate::connection::Connection;
use crate::help::Help;
use crate::i18n::I18n;

/// The transcript button and form.
#[component]
pub fn Transcript() -> impl IntoView {
    let connection = expect_context::<Connection>();
    let help = expect_context::<Help>();
    let i18n = expect_context::<I18n>();
    let asking = RwSignal::new(false);
    let email = RwSignal::new(String::new());
    let shown = move || help.email.get() && connection.messages.with(|chat| chat.last_seq() > 0);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        connection.email_transcript(email.get_untracked().trim().to_owned());
    };
    let i18n_answer = i18n.clone();
    let answer = Memo::new(move |_| {
        connection.transcript.get().map(|answer| match answer {
            Ok(to) => i18n_answer.t_with("transcript-sent", &[("email", to)]),
            Err(ErrorCode::InvalidValue) => i18n_answer.t("transcript-bad-address"),
            Err(ErrorCode::RateLimited) => i18n_answer.t("transcript-limited"),
            Err(_) => i18n_answer.t("transcript-failed"),
        })
    });
    let words = StoredValue::new((i18n.t("transcript-open"), i18n.t("transcript-address"), i18n.t("transcript-send")));
    let word = move |pick: fn(&(String, String, String)) -> &String| words.with_value(|w| pick(w).clone());
    view! {
        <Show when=shown>
            <div class="pl-transcript">
                <button type="button" class="pl-transcript-open" aria-expanded=move || asking.get().to_string()
                    on:click=move |_| asking.update(|a| *a = !*a)>{word(|w| &w.0)}</button>
                <Show when=move || asking.get()>
                    <form class="pl-transcript-form" on:submit=submit>
                        <input type="email" required autocomplete="email" aria-label=word(|w| &w.1)
                            placeholder=word(|w| &w.1) prop:value=move || email.get()
                            on:input=move |ev| email.set(event_target_value(&ev))/>
                        <button type="submit">{word(|w| &w.2)}</button>
                    </form>
                    <p class="pl-transcript-answer" role="status">{move || answer.get()}</p>
                </Show>
            </div>
        </Show>
    }
}
