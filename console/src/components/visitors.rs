//! "Visitors now" (an inbox tab): the shoppers on the store's site at this moment, with the
//! page they are on, how long they have been on the site, where they are from as their browser
//! says, whether they came before, and their name when the shop identified them. "Start chat"
//! sends them a first message: the conversation is the agent's and opens in the shopper's
//! widget at once. The list is read again every 10 seconds while the tab shows.

use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::{LiveVisitor, StartChat};

use super::elapsed;
use crate::api;
use crate::desk::Desk;
use crate::i18n::{text, text_with};

/// How often the list is read again.
const REFRESH_MS: u64 = 10_000;

/// Where the shopper is from and speaks, in one line: `FR · Europe/Paris · fr-FR`.
fn whereabouts(v: &LiveVisitor) -> String {
    [v.country.as_deref(), v.time_zone.as_deref(), v.language.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The tab's content.
#[component]
pub fn VisitorsNow() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let url = StoredValue::new(desk.me.with_value(|m| m.store_url("visitors/live")));
    let visitors = RwSignal::new(Vec::<LiveVisitor>::new());
    let error = RwSignal::new(None::<String>);
    let reload = move || {
        spawn_local(async move {
            match api::get::<Vec<LiveVisitor>>(&url.get_value()).await {
                Ok(list) => visitors.set(list),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    reload();
    let timer = set_interval_with_handle(reload, std::time::Duration::from_millis(REFRESH_MS)).ok();
    on_cleanup(move || {
        if let Some(timer) = timer {
            timer.clear();
        }
    });
    let starting = RwSignal::new(None::<String>);
    view! {
        <div class="visitors-now">
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get()}</p>
            </Show>
            <ul class="visitors">
                <For each=move || visitors.get() key=|v| (v.visitor_id.clone(), v.page.as_ref().map(|p| p.url.clone()), v.conversation_id) let:v>
                    {
                        let id = v.visitor_id.clone();
                        let label = v.name.clone().unwrap_or_else(|| text_with("visitor-anonymous", &[("id", v.visitor_id.chars().take(6).collect())]));
                        let page = v.page.clone().map(|p| if p.title.trim().is_empty() { p.url } else { p.title });
                        let since = v.since as f64;
                        let kind = text(if v.returning { "visitor-returning" } else { "visitor-new" });
                        let conversation = v.conversation_id;
                        view! {
                            <li class="visitor">
                                <strong>{label.clone()}</strong> " " <span class="pill">{kind}</span>
                                <span class="muted">{move || text_with("visitor-on-site", &[("time", elapsed(desk.now.get() - since))])}</span>
                                {page.map(|p| view! { <span class="page" dir="auto">{p}</span> })}
                                <span class="muted">{whereabouts(&v)}</span>
                                {match conversation {
                                    Some(cid) => view! {
                                        <button class="link" on:click=move |_| desk.open(cid)>{text("visitor-open-chat")}</button>
                                    }.into_any(),
                                    None => {
                                        let id = id.clone();
                                        view! {
                                            <button on:click=move |_| starting.set(Some(id.clone()))
                                                aria-label=text_with("visitor-start-for", &[("name", label.clone())])>
                                                {text("visitor-start")}</button>
                                        }.into_any()
                                    }
                                }}
                            </li>
                        }
                    }
                </For>
            </ul>
            <Show when=move || visitors.with(Vec::is_empty)>
                <p class="empty">{text("visitors-none")}</p>
            </Show>
            <StartForm starting on_started=Callback::new(move |()| reload())/>
        </div>
    }
}

/// The first message of a chat the agent starts.
#[component]
fn StartForm(starting: RwSignal<Option<String>>, on_started: Callback<()>) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let message = RwSignal::new(text("visitor-start-text"));
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(visitor) = starting.get_untracked() else { return };
        let url = desk.me.with_value(|m| m.store_url(&format!("visitors/{visitor}/chat")));
        let form = StartChat { text: message.get_untracked() };
        spawn_local(async move {
            match api::post::<serde_json::Value>(&url, &form).await {
                Ok(started) => {
                    starting.set(None);
                    error.set(None);
                    if let Some(id) = started["conversation_id"].as_i64() {
                        desk.open(id);
                    }
                    on_started.run(());
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <Show when=move || starting.with(Option::is_some)>
            <form class="stacked start-chat" on:submit=submit>
                <label><span>{text("visitor-start-label")}</span>
                    <textarea rows="2" dir="auto" prop:value=move || message.get()
                        on:input=move |ev| message.set(event_target_value(&ev))></textarea></label>
                <Show when=move || error.get().is_some()>
                    <p class="error" role="alert">{move || error.get()}</p>
                </Show>
                <div class="row">
                    <button type="submit">{text("visitor-start-send")}</button>
                    <button type="button" class="link" on:click=move |_| starting.set(None)>{text("cancel")}</button>
                </div>
            </form>
        </Show>
    }
}
