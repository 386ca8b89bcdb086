//! The round button that opens and closes the chat.

use leptos::prelude::*;

use crate::i18n::I18n;

/// Toggles `open`; its accessible name says what a press will do.
#[component]
pub fn Launcher(open: RwSignal<bool>) -> impl IntoView {
    let i18n = expect_context::<I18n>();
    let (open_label, close_label) = (i18n.t("launcher-open"), i18n.t("launcher-close"));
    view! {
        <button
            type="button"
            class="pl-launch"
            class:is-open=move || open.get()
            aria-label=move || if open.get() { close_label.clone() } else { open_label.clone() }
            aria-expanded=move || open.get().to_string()
            on:click=move |_| open.update(|o| *o = !*o)
        >
            <svg width="26" height="26" viewBox="0 0 24 24" aria-hidden="true">
                <Show
                    when=move || open.get()
                    fallback=|| view! { <path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/> }
                >
                    <path fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round" d="M6 6l12 12M18 6L6 18"/>
                </Show>
            </svg>
        </button>
    }
}
