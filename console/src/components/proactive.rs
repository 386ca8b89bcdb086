//! Proactive messages (the Bot page, owners and admins): the store's rules, each a page
//! pattern, when it fires (seconds on the page, scroll depth) and the message, with buttons to
//! turn one off or on, edit and remove it; a form to add or change one. The widget shows at
//! most one a visit, each at most once a day per browser, never during a conversation.

use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::{ProactiveForm, ProactiveRule};

use crate::api;
use crate::desk::Desk;
use crate::i18n::{text, text_with};

/// When a rule fires, in words.
fn when(rule: &ProactiveForm) -> String {
    match (rule.after_secs, rule.scroll_percent) {
        (Some(secs), Some(percent)) => {
            text_with("proactive-when-both", &[("secs", secs.to_string()), ("percent", percent.to_string())])
        }
        (Some(secs), None) => text_with("proactive-when-secs", &[("secs", secs.to_string())]),
        (None, Some(percent)) => text_with("proactive-when-scroll", &[("percent", percent.to_string())]),
        (None, None) => text("proactive-when-now"),
    }
}

/// The section.
#[component]
pub fn ProactiveRules() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let url = StoredValue::new(desk.me.with_value(|m| m.store_url("proactive")));
    let rules = RwSignal::new(Vec::<ProactiveRule>::new());
    let error = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<ProactiveRule>);
    let reload = move || {
        spawn_local(async move {
            match api::get::<Vec<ProactiveRule>>(&url.get_value()).await {
                Ok(list) => rules.set(list),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    reload();
    let save = move |id: i64, form: ProactiveForm| {
        spawn_local(async move {
            let target = format!("{}/{id}", url.get_value());
            if let Err(e) = api::put::<ProactiveRule>(&target, &form).await {
                error.set(Some(e.message));
            }
            reload();
        });
    };
    let remove = move |id: i64| {
        spawn_local(async move {
            if let Err(e) = api::delete(&format!("{}/{id}", url.get_value())).await {
                error.set(Some(e.message));
            }
            reload();
        });
    };
    view! {
        <section class="proactive" aria-labelledby="proactive-title">
            <h2 id="proactive-title">{text("proactive-title")}</h2>
            <p class="hint">{text("proactive-hint")}</p>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get()}</p>
            </Show>
            <ul class="rule-list">
                {move || rules.get().into_iter().map(|rule| {
                    let ProactiveRule { id, rule: form } = rule.clone();
                    let toggled = ProactiveForm { enabled: !form.enabled, ..form.clone() };
                    let chosen = rule.clone();
                    view! {
                        <li>
                            <strong>{form.pattern.clone()}</strong> " " <span class="muted">{when(&form)}</span>
                            <p class="rule-reply" dir="auto">{form.message.clone()}</p>
                            <label class="check">
                                <input type="checkbox" prop:checked=form.enabled
                                    on:change=move |_| save(id, toggled.clone())/>
                                <span>{text_with("proactive-on", &[("pattern", form.pattern.clone())])}</span></label>
                            <button class="link" on:click=move |_| editing.set(Some(chosen.clone()))>{text("edit")}</button>
                            <button class="link" on:click=move |_| remove(id)>{text("remove")}</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <ProactiveEditor url editing on_saved=Callback::new(move |()| reload())/>
        </section>
    }
}

/// Adds a rule, or changes the one being edited.
#[component]
fn ProactiveEditor(
    url: StoredValue<String>,
    editing: RwSignal<Option<ProactiveRule>>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let pattern = RwSignal::new("/products/*".to_owned());
    let secs = RwSignal::new("20".to_owned());
    let percent = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(rule) = editing.get() {
            pattern.set(rule.rule.pattern);
            secs.set(rule.rule.after_secs.map(|s| s.to_string()).unwrap_or_default());
            percent.set(rule.rule.scroll_percent.map(|p| p.to_string()).unwrap_or_default());
            message.set(rule.rule.message);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let enabled = editing.with_untracked(|e| e.as_ref().is_none_or(|r| r.rule.enabled));
        let form = ProactiveForm {
            pattern: pattern.get_untracked(),
            after_secs: secs.get_untracked().trim().parse().ok(),
            scroll_percent: percent.get_untracked().trim().parse().ok(),
            message: message.get_untracked(),
            enabled,
        };
        let target = editing.get_untracked().map(|r| r.id);
        spawn_local(async move {
            let saved = match target {
                Some(id) => api::put::<ProactiveRule>(&format!("{}/{id}", url.get_value()), &form).await,
                None => api::post::<ProactiveRule>(&url.get_value(), &form).await,
            };
            match saved {
                Ok(_) => {
                    error.set(None);
                    editing.set(None);
                    message.set(String::new());
                    on_saved.run(());
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let field = move |label: &'static str, value: RwSignal<String>, kind: &'static str| {
        view! {
            <label><span>{text(label)}</span>
                <input type=kind prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/></label>
        }
    };
    view! {
        <form class="stacked" on:submit=submit>
            {field("proactive-pattern", pattern, "text")}
            {field("proactive-secs", secs, "number")}
            {field("proactive-scroll", percent, "number")}
            <label><span>{text("proactive-message")}</span>
                <textarea rows="2" maxlength="300" dir="auto" prop:value=move || message.get()
                    on:input=move |ev| message.set(event_target_value(&ev))></textarea></label>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get()}</p>
            </Show>
            <button type="submit">{move || text(if editing.with(Option::is_some) { "save" } else { "proactive-add" })}</button>
        </form>
    }
}
