//! The chat panel: header with the store's name and reply promise, the help search, a banner
//! while the connection is down, the conversation and the composer.

use leptos::prelude::*;
use protocol::ReplyTime;
use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;

use super::composer::Composer;
use super::message_list::MessageList;
use super::rating::Rating;
use super::search::HelpSearch;
use super::transcript::Transcript;
use crate::connection::{Attendance, Connection, LinkStatus};
use crate::help::Help;
use crate::i18n::I18n;

/// The panel; rendered always, shown only while `open`.
#[component]
pub fn Panel(open: RwSignal<bool>) -> impl IntoView {
    let i18n = expect_context::<I18n>();
    let connection = expect_context::<Connection>();
    let help = expect_context::<Help>();
    // While the shopper browses the help, it takes the conversation's place.
    let browsing = move || help.results.with(Option::is_some) || help.article.with(Option::is_some);
    let reconnecting = move || connection.status.get() == LinkStatus::Reconnecting;
    let store_name = move || connection.store_name.get().unwrap_or_default();
    let i18n_header = i18n.clone();
    let subtitle = move || subtitle(&i18n_header, help);
    let badge = i18n.t("badge-very-responsive");
    let responsive = move || help.available.get() == Some(true) && help.claim.with(|c| c.1);
    let i18n_attendance = i18n.clone();
    let attendance = Memo::new(move |_| {
        connection.attendance.get().map(|a| match a {
            Attendance::Joined(name) => i18n_attendance.t_with("attendance-joined", &[("name", name)]),
            Attendance::Waiting(position) => {
                i18n_attendance.t_with("attendance-waiting", &[("position", position.to_string())])
            }
        })
    });
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            close_to_launcher(open, &ev);
        }
    };
    view! {
        <section class="pl-panel" class:is-open=move || open.get() hidden=move || !open.get() aria-label=store_name on:keydown=on_keydown>
            <header class="pl-header">
                <div>
                    <h2 class="pl-title">{store_name}</h2>
                    <p class="pl-subtitle">
                        {subtitle}
                        <Show when=responsive>
                            <span class="pl-badge">{badge.clone()}</span>
                        </Show>
                    </p>
                </div>
                <button type="button" class="pl-close" aria-label=i18n.t("launcher-close") on:click=move |_| open.set(false)>
                    <svg width="20" height="20" viewBox="0 0 24 24" aria-hidden="true">
                        <path fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round" d="M6 6l12 12M18 6L6 18"/>
                    </svg>
                </button>
            </header>
            <Show when=move || connection.attendance.with(Option::is_some)>
                <p class="pl-attendance" role="status">{move || attendance.get()}</p>
            </Show>
            <Show when=reconnecting>
                <p class="pl-banner" role="status">{i18n.t("banner-reconnecting")}</p>
            </Show>
            <HelpSearch/>
            <div class="pl-chat" hidden=browsing>
                <MessageList/>
                <Rating/>
                <Transcript/>
            </div>
            <Composer open=open/>
        </section>
    }
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
            let time = super::message_list::clock_time(at, &i18n.locale());
            i18n.t_with("header-back-at", &[("time", time)])
        }
        (Some(false), _, None) => i18n.t("header-away"),
        _ => String::new(),
    }
}

/// Escape closes the panel and gives focus back to the launcher.
fn close_to_launcher(open: RwSignal<bool>, ev: &KeyboardEvent) {
    open.set(false);
    let root = ev.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok()).map(|n| n.get_root_node());
    let launcher = root
        .and_then(|r| r.dyn_into::<web_sys::ShadowRoot>().ok())
        .and_then(|r| r.query_selector("button.pl-launch").ok().flatten());
    if let Some(launcher) = launcher.and_then(|l| l.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = launcher.focus();
    }
}
