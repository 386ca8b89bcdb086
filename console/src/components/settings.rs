//! The store's settings (owners and admins): name, the widget's colour, corner and greeting,
//! the first-reply target, business hours and time zone, and the page origins allowed to embed
//! the widget; below them, the bot's texts in the shop's own words.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::bot_texts::BotTexts;
use super::preview::WidgetPreview;
use super::week_editor::WeekEditor;
use super::workspace::Shared;
use crate::api::{self, Settings};
use crate::desk::Desk;
use crate::i18n::text;

/// Every IANA time zone the browser knows, for the searchable time zone field.
fn time_zones() -> Vec<String> {
    let intl = js_sys::Reflect::get(&js_sys::global(), &"Intl".into()).ok();
    let list = intl.and_then(|intl| {
        let supported = js_sys::Reflect::get(&intl, &"supportedValuesOf".into()).ok()?;
        let supported: js_sys::Function = wasm_bindgen::JsCast::dyn_into(supported).ok()?;
        supported.call1(&intl, &"timeZone".into()).ok()
    });
    let list: Option<js_sys::Array> = list.and_then(|l| wasm_bindgen::JsCast::dyn_into(l).ok());
    list.map(|l| l.iter().filter_map(|z| z.as_string()).collect()).unwrap_or_default()
}

/// The settings form.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let shared = expect_context::<Shared>();
    let url = desk.me.with_value(|m| m.store_url("settings"));
    let form = RwSignal::new(shared.settings.get_untracked().unwrap_or_default());
    let origins = RwSignal::new(form.get_untracked().origins.join("\n"));
    let message = RwSignal::new(None::<(bool, String)>);
    // Read afresh: another admin may have changed them since the console started.
    let fresh = url.clone();
    spawn_local(async move {
        match api::get::<Settings>(&fresh).await {
            Ok(settings) => {
                origins.set(settings.origins.join("\n"));
                form.set(settings.clone());
                shared.settings.set(Some(settings));
            }
            Err(e) => message.set(Some((false, e.message))),
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut settings = form.get_untracked();
        settings.origins =
            origins.get_untracked().lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
        let url = url.clone();
        spawn_local(async move {
            match api::put::<Settings>(&url, &settings).await {
                Ok(saved) => {
                    shared.settings.set(Some(saved.clone()));
                    form.set(saved);
                    message.set(Some((true, text("saved"))));
                }
                Err(e) => message.set(Some((false, e.message))),
            }
        });
    };
    view! {
        <main class="admin-page">
            <h1>{text("page-settings")}</h1>
            <div class="settings-layout">
            <WidgetPreview form/>
            <form class="stacked" on:submit=save>
                <LookFields form/>
                <TimeFields form/>
                {check(form, "settings-csat", |f| f.csat, |f, on| f.csat = on)}
                {check(form, "settings-instant-ack", |f| f.instant_ack, |f, on| f.instant_ack = on)}
                {check(form, "settings-live-visitors", |f| f.live_visitors, |f, on| f.live_visitors = on)}
                {check(form, "settings-agent-chat-opens", |f| f.agent_chat_opens, |f, on| f.agent_chat_opens = on)}
                <label><span>{text("settings-email-from")}</span>
                    <input type="text" autocomplete="off" placeholder="Maison <help@maison.example>"
                        prop:value=move || form.with(|f| f.email_from.clone().unwrap_or_default())
                        on:input=move |ev| form.update(|f| f.email_from = Some(event_target_value(&ev)))/></label>
                <p class="hint">{text("settings-email-from-hint")}</p>
                <label><span>{text("settings-origins")}</span>
                    <textarea rows="3" prop:value=move || origins.get()
                        on:input=move |ev| origins.set(event_target_value(&ev))></textarea></label>
                <p class="hint">{text("settings-origins-hint")}</p>
                <Show when=move || message.get().is_some()>
                    <p role="status" class:error=move || message.get().is_some_and(|(ok, _)| !ok)>
                        {move || message.get().map(|(_, m)| m)}
                    </p>
                </Show>
                <button type="submit">{text("save")}</button>
            </form>
            </div>
            <BotTexts/>
        </main>
    }
}

/// The widget's look: the store's name, its colour (picker and code), corner and greeting.
#[component]
fn LookFields(form: RwSignal<Settings>) -> impl IntoView {
    view! {
        <label><span>{text("settings-name")}</span>
            <input prop:value=move || form.with(|f| f.name.clone()) on:input=move |ev| form.update(|f| f.name = event_target_value(&ev))/>
        </label>
        <div class="colour" role="group" aria-label=text("settings-colour")>
            <label><span>{text("settings-colour")}</span>
                <input type="color" class="swatch" prop:value=move || form.with(|f| f.colour.clone())
                    on:input=move |ev| form.update(|f| f.colour = event_target_value(&ev))/></label>
            <label><span>{text("settings-colour-hex")}</span>
                <input class="hex" maxlength="7" spellcheck="false" prop:value=move || form.with(|f| f.colour.clone())
                    on:input=move |ev| form.update(|f| f.colour = event_target_value(&ev))/></label>
        </div>
        <label><span>{text("settings-position")}</span>
            <select on:change=move |ev| form.update(|f| f.position = event_target_value(&ev))>
                <option value="right" selected=move || form.with(|f| f.position == "right")>{text("position-right")}</option>
                <option value="left" selected=move || form.with(|f| f.position == "left")>{text("position-left")}</option>
            </select></label>
        <label><span>{text("settings-greeting")}</span>
            <textarea rows="2" prop:value=move || form.with(|f| f.greeting.clone().unwrap_or_default())
                on:input=move |ev| form.update(|f| f.greeting = Some(event_target_value(&ev)))></textarea></label>
    }
}

/// The times: the first-reply target, the weekly hours and their time zone, how long
/// conversations are kept, the closing question's wait and the idle close.
#[component]
fn TimeFields(form: RwSignal<Settings>) -> impl IntoView {
    view! {
        {number(form, "settings-first-reply", (1, 86_400), |f| f.first_reply_secs.to_string(), |f, v| {
            if let Ok(secs) = v.parse() {
                f.first_reply_secs = secs;
            }
        })}
        <WeekEditor hours=Signal::derive(move || form.with(|f| f.hours.clone()))
            on_change=Callback::new(move |hours| form.update(|f| f.hours = hours))/>
        <label><span>{text("settings-timezone")}</span>
            <input list="time-zones" autocomplete="off" prop:value=move || form.with(|f| f.timezone.clone())
                on:input=move |ev| form.update(|f| f.timezone = event_target_value(&ev))/></label>
        <datalist id="time-zones">
            {time_zones().into_iter().map(|zone| view! { <option value=zone></option> }).collect_view()}
        </datalist>
        {number(form, "settings-retention", (1, 36_500), |f| f.retention_days.map(|d| d.to_string()).unwrap_or_default(),
            |f, v| f.retention_days = v.parse().ok())}
        <p class="hint">{text("settings-retention-hint")}</p>
        {number(form, "settings-closing-wait", (1, 1_440), |f| (f.closing_wait_secs / 60).to_string(), |f, v| {
            if let Ok(minutes) = v.parse::<u32>() {
                f.closing_wait_secs = minutes.saturating_mul(60);
            }
        })}
        {number(form, "settings-idle-close", (0, 2_160), |f| (f.idle_close_secs / 3_600).to_string(), |f, v| {
            if let Ok(hours) = v.parse::<u32>() {
                f.idle_close_secs = hours.saturating_mul(3_600);
            }
        })}
        <p class="hint">{text("settings-idle-close-hint")}</p>
    }
}

/// A number field within `range`: `show` writes the setting, `take` reads what was typed
/// (trimmed) and keeps what makes sense.
fn number(
    form: RwSignal<Settings>,
    label: &'static str,
    range: (u32, u32),
    show: fn(&Settings) -> String,
    take: fn(&mut Settings, &str),
) -> impl IntoView {
    view! {
        <label><span>{text(label)}</span>
            <input type="number" min=range.0 max=range.1 prop:value=move || form.with(show)
                on:input=move |ev| form.update(|f| take(f, event_target_value(&ev).trim()))/></label>
    }
}

/// A yes/no setting.
fn check(
    form: RwSignal<Settings>,
    label: &'static str,
    get: fn(&Settings) -> bool,
    set: fn(&mut Settings, bool),
) -> impl IntoView {
    view! {
        <label class="check">
            <input type="checkbox" prop:checked=move || form.with(get)
                on:change=move |ev| form.update(|f| set(f, event_target_checked(&ev)))/>
            <span>{text(label)}</span></label>
    }
}
