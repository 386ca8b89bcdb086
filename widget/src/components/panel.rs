//! The chat panel: header with the store's name and reply promise, a banner while the
//! connection is down, the conversation and the composer.

use leptos::prelude::*;

use super::composer::Composer;
use super::message_list::MessageList;
use crate::connection::{Connection, LinkStatus};
use crate::i18n::I18n;

/// The panel; rendered always, shown only while `open`.
#[component]
pub fn Panel(open: RwSignal<bool>) -> impl IntoView {
    let i18n = expect_context::<I18n>();
    let connection = expect_context::<Connection>();
    let reconnecting = move || connection.status.get() == LinkStatus::Reconnecting;
    let store_name = move || connection.store_name.get().unwrap_or_default();
    view! {
        <section class="pl-panel" class:is-open=move || open.get() hidden=move || !open.get() aria-label=store_name>
            <header class="pl-header">
                <div>
                    <h2 class="pl-title">{store_name}</h2>
                    <p class="pl-subtitle">{i18n.t("header-reply-time")}</p>
                </div>
                <button type="button" class="pl-close" aria-label=i18n.t("launcher-close") on:click=move |_| open.set(false)>
                    <svg width="20" height="20" viewBox="0 0 24 24" aria-hidden="true">
                        <path fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round" d="M6 6l12 12M18 6L6 18"/>
                    </svg>
                </button>
            </header>
            <Show when=reconnecting>
                <p class="pl-banner" role="status">{i18n.t("banner-reconnecting")}</p>
            </Show>
            <MessageList/>
            <Composer open=open/>
        </section>
    }
}
