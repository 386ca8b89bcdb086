//! The signed-in screen: the top bar (presence, load, notifications, pages, sign-out) and the
//! page in view: the inbox for everyone; team, settings, canned replies, install and reports
//! for owners and admins.

use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::AgentStatus;

use super::bot_rules::BotRulesPage;
use super::canned::CannedPage;
use super::conversation::ConversationView;
use super::inbox::{Inbox, Tab};
use super::install::InstallPage;
use super::reports::ReportsPage;
use super::settings::SettingsPage;
use super::shortcuts::Shortcuts;
use super::team::TeamPage;
use crate::alerts;
use crate::api::{self, Canned, Me, Settings};
use crate::desk::{Desk, Link};
use crate::i18n::text;

/// The workspace's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    Inbox,
    Team,
    Settings,
    Canned,
    Rules,
    Install,
    Reports,
}

/// What the pages share beyond the desk: the store's settings and canned replies.
#[derive(Clone, Copy)]
pub struct Shared {
    /// The store's settings (the first-reply deadline colours the queue).
    pub settings: RwSignal<Option<Settings>>,
    /// The canned replies, for `/` in the composer.
    pub canned: RwSignal<Vec<Canned>>,
    /// The bot's texts in the store's own words (the closing question is prefilled from them).
    pub texts: RwSignal<Vec<protocol::BotText>>,
}

impl Shared {
    /// Reads the store's texts again (after an admin changed one).
    pub fn reload_texts(self, me: &Me) {
        let url = me.store_url("bot/texts");
        spawn_local(async move {
            if let Ok(list) = api::get::<Vec<protocol::BotText>>(&url).await {
                self.texts.set(list);
            }
        });
    }

    /// A text as the store says it in `lang` (`en`, `zh`): its own version, else the default.
    pub fn text(self, name: &str, lang: &str) -> Option<String> {
        self.texts.with(|all| {
            all.iter().find(|t| t.name == name && t.lang == lang).map(|t| t.text.clone().unwrap_or(t.default.clone()))
        })
    }

    /// Reads the canned replies again (after an admin changed them).
    pub fn reload_canned(self, me: &Me) {
        let url = me.store_url("canned");
        spawn_local(async move {
            if let Ok(list) = api::get::<Vec<Canned>>(&url).await {
                self.canned.set(list);
            }
        });
    }
}

/// The unread count of the agent's inbox (theirs and the queue's), in the tab's title.
fn show_unread_in_title(desk: Desk) {
    let title = text("app-name");
    Effect::new(move |_| {
        let my_id = desk.my_id();
        let count: u32 = desk.conversations.with(|all| {
            all.values()
                .filter(|c| !c.is_closed())
                .filter(|c| c.summary.assigned_agent_id.is_none_or(|a| a == my_id))
                .map(|c| c.unread)
                .sum()
        });
        alerts::show_count(count, &title);
    });
}

/// The agent's presence, load, sound and notification controls in the top bar.
#[component]
fn StatusControls() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let notifications_undecided = RwSignal::new(alerts::notifications_undecided());
    view! {
        <label class="presence">
            <span class="visually-hidden">{text("presence")}</span>
            <select aria-label=text("presence") on:change=move |ev| {
                let status = if event_target_value(&ev) == "away" { AgentStatus::Away } else { AgentStatus::Online };
                desk.set_status(status);
            }>
                <option value="online" selected=move || desk.status.get() == AgentStatus::Online>{text("status-online")}</option>
                <option value="away" selected=move || desk.status.get() == AgentStatus::Away>{text("status-away")}</option>
            </select>
        </label>
        <span class="load" title=text("load-title")>
            {move || {
                let (load, capacity) = desk.capacity.get();
                crate::i18n::text_with("load", &[("load", load.to_string()), ("capacity", capacity.to_string())])
            }}
        </span>
        <label class="sound">
            <input type="checkbox" prop:checked=!alerts::muted()
                on:change=move |ev| alerts::set_muted(!event_target_checked(&ev))/>
            " " {text("sound")}
        </label>
        <Show when=move || notifications_undecided.get()>
            <button class="link" on:click=move |_| {
                alerts::ask_for_notifications();
                notifications_undecided.set(false);
            }>{text("enable-notifications")}</button>
        </Show>
    }
}

/// The whole signed-in console.
#[component]
pub fn Workspace(me: Me, on_sign_out: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let desk = Desk::new(me.clone());
    provide_context(desk);
    let shared =
        Shared { settings: RwSignal::new(None), canned: RwSignal::new(Vec::new()), texts: RwSignal::new(Vec::new()) };
    provide_context(shared);
    desk.connect();
    let settings_url = me.store_url("settings");
    spawn_local(async move {
        if let Ok(settings) = api::get::<Settings>(&settings_url).await {
            shared.settings.set(Some(settings));
        }
    });
    shared.reload_canned(&me);
    shared.reload_texts(&me);

    let page = RwSignal::new(Page::Inbox);
    let tab = RwSignal::new(Tab::Mine);

    show_unread_in_title(desk);
    Effect::new(move |_| {
        if desk.link.get() == Link::SignedOut {
            on_sign_out();
        }
    });
    view! {
        // Busy until the socket is signed in: the inbox shown before then is not yet the desk's.
        <div class="workspace" aria-busy=move || (desk.link.get() == Link::Connecting).then_some("true")>
            <TopBar me=me page=page on_sign_out=on_sign_out/>
            <Show when=move || desk.notice.get().is_some()>
                <p class="notice" role="alert">
                    {move || desk.notice.get()}
                    <button class="link" on:click=move |_| desk.notice.set(None)>{text("dismiss")}</button>
                </p>
            </Show>
            {move || page_view(page.get(), tab)}
        </div>
    }
}

/// The bar at the top: the store, the pages (admins see them all), the link's state, the
/// agent's status and sign-out.
#[component]
fn TopBar(me: Me, page: RwSignal<Page>, on_sign_out: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let sign_out = move |_| {
        desk.stop();
        spawn_local(async move {
            let _ = api::delete("/api/session").await;
            on_sign_out();
        });
    };
    let nav = move |target: Page, label: &'static str| {
        view! {
            <button class="nav" class:current=move || page.get() == target
                aria-current=move || (page.get() == target).then_some("page")
                on:click=move |_| page.set(target)>{text(label)}</button>
        }
    };
    view! {
        <header class="top">
            <strong class="store">{me.store.name.clone()}</strong>
            <nav>
                {nav(Page::Inbox, "page-inbox")}
                {me.is_admin().then(|| view! {
                    {nav(Page::Team, "page-team")}
                    {nav(Page::Settings, "page-settings")}
                    {nav(Page::Canned, "page-canned")}
                    {nav(Page::Rules, "nav-rules")}
                    {nav(Page::Install, "page-install")}
                    {nav(Page::Reports, "page-reports")}
                })}
            </nav>
            <span class="spacer"></span>
            <Show when=move || desk.link.get() == Link::Reconnecting>
                <span class="banner" role="status">{text("reconnecting")}</span>
            </Show>
            <StatusControls/>
            <span class="who">{me.agent.name.clone()}</span>
            <button class="link" on:click=sign_out>{text("sign-out")}</button>
        </header>
    }
}

/// The page the workspace shows.
fn page_view(page: Page, tab: RwSignal<Tab>) -> AnyView {
    match page {
        Page::Inbox => view! {
            <main class="inbox-page">
                // Every page has one level-one heading; the inbox's is for screen readers.
                <h1 class="visually-hidden">{text("page-inbox")}</h1>
                <Inbox tab=tab/>
                <ConversationView/>
                <Shortcuts/>
            </main>
        }
        .into_any(),
        Page::Team => view! { <TeamPage/> }.into_any(),
        Page::Settings => view! { <SettingsPage/> }.into_any(),
        Page::Canned => view! { <CannedPage/> }.into_any(),
        Page::Rules => view! { <BotRulesPage/> }.into_any(),
        Page::Install => view! { <InstallPage/> }.into_any(),
        Page::Reports => view! { <ReportsPage/> }.into_any(),
    }
}
