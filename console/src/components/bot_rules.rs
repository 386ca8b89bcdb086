//! The bot's keyword rules (owners and admins): the list in the order the bot tries them, with
//! buttons to move, edit and remove each; a form to add or change one; a box to test a message
//! against them; and the store's repeat window. Rules used to be the command line's alone.

use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::{BotRuleForm, BotRuleView, RuleMatch, RuleOrder, RuleTest, RuleTestResult};

use super::workspace::Shared;
use crate::api::{self, Settings};
use crate::desk::Desk;
use crate::i18n::{text, text_with};

fn match_label(kind: RuleMatch) -> String {
    text(match kind {
        RuleMatch::Exact => "rules-exact",
        RuleMatch::Contains => "rules-contains",
        RuleMatch::Fuzzy => "rules-fuzzy",
    })
}

/// The Bot rules page.
#[component]
pub fn BotRulesPage() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let url = desk.me.with_value(|m| m.store_url("bot/rules"));
    let rules = RwSignal::new(Vec::<BotRuleView>::new());
    let error = RwSignal::new(None::<String>);
    let reload = {
        let url = url.clone();
        move || {
            let url = url.clone();
            spawn_local(async move {
                match api::get::<Vec<BotRuleView>>(&url).await {
                    Ok(list) => rules.set(list),
                    Err(e) => error.set(Some(e.message)),
                }
            });
        }
    };
    reload();
    // Moves the rule at `from` to `to` and saves the new order.
    let order_url = StoredValue::new(format!("{url}/order"));
    let move_rule = move |from: usize, to: usize| {
        let mut ids: Vec<i64> = rules.get_untracked().iter().map(|r| r.id).collect();
        if to >= ids.len() {
            return;
        }
        ids.swap(from, to);
        let url = order_url.get_value();
        spawn_local(async move {
            match api::put::<Vec<BotRuleView>>(&url, &RuleOrder { ids }).await {
                Ok(list) => rules.set(list),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let editing = RwSignal::new(None::<BotRuleView>);
    view! {
        <main class="admin-page">
            <h1>{text("page-rules")}</h1>
            <p class="hint">{text("rules-hint")}</p>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get()}</p>
            </Show>
            <Show when=move || rules.with(Vec::is_empty)>
                <p>{text("rules-none")}</p>
            </Show>
            <ol class="rule-list">
                {let (url, reload) = (url.clone(), reload.clone());
                move || {
                    let count = rules.with(Vec::len);
                    let (on_move, on_removed) = (Callback::new(move |(from, to)| move_rule(from, to)), Callback::new({
                        let reload = reload.clone();
                        move |()| reload()
                    }));
                    rules.get().into_iter().enumerate().map(|(place, rule)| {
                        let remove_url = format!("{url}/{}", rule.id);
                        view! { <RuleRow rule place count remove_url editing error on_move on_removed/> }
                    }).collect_view()
                }}
            </ol>
            <RuleForm url=url.clone() editing=editing on_saved=Callback::new({
                let reload = reload.clone();
                move |()| reload()
            })/>
            <RuleTester url=desk.me.with_value(|m| m.store_url("bot/test"))/>
            <RepeatWindow/>
            <super::proactive::ProactiveRules/>
        </main>
    }
}

/// One rule in the list, with its buttons: up, down, edit, remove.
#[component]
fn RuleRow(
    rule: BotRuleView,
    place: usize,
    count: usize,
    remove_url: String,
    editing: RwSignal<Option<BotRuleView>>,
    error: RwSignal<Option<String>>,
    on_move: Callback<(usize, usize)>,
    on_removed: Callback<()>,
) -> impl IntoView {
    let pattern = rule.pattern.clone();
    let chosen = rule.clone();
    let remove = move |_| {
        let remove_url = remove_url.clone();
        spawn_local(async move {
            if let Err(e) = api::delete(&remove_url).await {
                error.set(Some(e.message));
            }
            on_removed.run(());
        });
    };
    view! {
        <li>
            <span class="rule-match">{match_label(rule.kind)}</span>
            " " <strong>{rule.pattern.clone()}</strong>
            <p class="rule-reply">{rule.reply.clone()}</p>
            <button class="link" disabled=place == 0
                aria-label=text_with("rules-up", &[("pattern", pattern.clone())])
                on:click=move |_| on_move.run((place, place.wrapping_sub(1)))>"↑"</button>
            <button class="link" disabled=place + 1 == count
                aria-label=text_with("rules-down", &[("pattern", pattern)])
                on:click=move |_| on_move.run((place, place + 1))>"↓"</button>
            <button class="link" on:click=move |_| editing.set(Some(chosen.clone()))>{text("edit")}</button>
            <button class="link" on:click=remove>{text("remove")}</button>
        </li>
    }
}

/// Adds a rule, or changes the one being edited.
#[component]
fn RuleForm(url: String, editing: RwSignal<Option<BotRuleView>>, on_saved: Callback<()>) -> impl IntoView {
    let kind = RwSignal::new(RuleMatch::Contains);
    let pattern = RwSignal::new(String::new());
    let reply = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(rule) = editing.get() {
            kind.set(rule.kind);
            pattern.set(rule.pattern);
            reply.set(rule.reply);
        }
    });
    let clear = move || {
        editing.set(None);
        pattern.set(String::new());
        reply.set(String::new());
        kind.set(RuleMatch::Contains);
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form =
            BotRuleForm { kind: kind.get_untracked(), pattern: pattern.get_untracked(), reply: reply.get_untracked() };
        let target = editing.get_untracked().map(|r| r.id);
        let url = url.clone();
        spawn_local(async move {
            let saved = match target {
                Some(id) => api::put::<BotRuleView>(&format!("{url}/{id}"), &form).await,
                None => api::post::<BotRuleView>(&url, &form).await,
            };
            match saved {
                Ok(_) => {
                    error.set(None);
                    clear();
                    on_saved.run(());
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let choice = move |value: RuleMatch| {
        view! { <option value=value.as_str() selected=move || kind.get() == value>{match_label(value)}</option> }
    };
    view! {
        <h2>{move || text(if editing.get().is_some() { "rules-edit" } else { "rules-add" })}</h2>
        <form class="stacked" on:submit=submit>
            <label><span>{text("rules-match")}</span>
                <select on:change=move |ev| kind.set(match event_target_value(&ev).as_str() {
                    "exact" => RuleMatch::Exact,
                    "fuzzy" => RuleMatch::Fuzzy,
                    _ => RuleMatch::Contains,
                })>
                    {choice(RuleMatch::Contains)}
                    {choice(RuleMatch::Exact)}
                    {choice(RuleMatch::Fuzzy)}
                </select></label>
            <label><span>{text("rules-pattern")}</span>
                <input required maxlength="200" prop:value=move || pattern.get()
                    on:input=move |ev| pattern.set(event_target_value(&ev))/></label>
            <label><span>{text("rules-reply")}</span>
                <textarea rows="3" required maxlength="2000" prop:value=move || reply.get()
                    on:input=move |ev| reply.set(event_target_value(&ev))></textarea></label>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get()}</p>
            </Show>
            <button type="submit">{move || text(if editing.get().is_some() { "save" } else { "rules-add" })}</button>
            <Show when=move || editing.get().is_some()>
                <button type="button" class="link" on:click=move |_| clear()>{text("cancel")}</button>
            </Show>
        </form>
    }
}

/// "Test a message": what the rules make of it, without a shopper.
#[component]
fn RuleTester(url: String) -> impl IntoView {
    let probe = RwSignal::new(String::new());
    let result = RwSignal::new(None::<Result<RuleTestResult, String>>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (url, body) = (url.clone(), RuleTest { text: probe.get_untracked() });
        spawn_local(async move {
            result.set(Some(api::post::<RuleTestResult>(&url, &body).await.map_err(|e| e.message)));
        });
    };
    let verdict = move || {
        result.get().map(|r| match r {
            Err(e) => e,
            Ok(RuleTestResult { wants_a_person: true, .. }) => text("rules-test-person"),
            Ok(RuleTestResult { rule: Some(rule), .. }) => {
                text_with("rules-test-match", &[("pattern", rule.pattern), ("reply", rule.reply)])
            }
            Ok(RuleTestResult { rule: None, .. }) => text("rules-test-none"),
        })
    };
    view! {
        <h2>{text("rules-test")}</h2>
        <form class="stacked" on:submit=submit>
            <label><span>{text("rules-test-message")}</span>
                <input required prop:value=move || probe.get() on:input=move |ev| probe.set(event_target_value(&ev))/></label>
            <button type="submit">{text("rules-test-button")}</button>
        </form>
        <p role="status" class="rule-verdict">{verdict}</p>
    }
}

/// "The same reply at most once in N minutes", the store's own (saved with its settings).
#[component]
fn RepeatWindow() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let shared = expect_context::<Shared>();
    let url = desk.me.with_value(|m| m.store_url("settings"));
    let minutes = RwSignal::new(String::new());
    let message = RwSignal::new(None::<String>);
    let fresh = url.clone();
    spawn_local(async move {
        if let Ok(settings) = api::get::<Settings>(&fresh).await {
            minutes.set(settings.bot_repeat_secs.map_or_else(|| "60".into(), |s| (s / 60).to_string()));
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let url = url.clone();
        let wanted = minutes.get_untracked().trim().parse::<u32>().ok();
        spawn_local(async move {
            let saved = match api::get::<Settings>(&url).await {
                Ok(mut settings) => {
                    settings.bot_repeat_secs = wanted.map(|m| m.saturating_mul(60));
                    api::put::<Settings>(&url, &settings).await
                }
                Err(e) => Err(e),
            };
            match saved {
                Ok(settings) => {
                    shared.settings.set(Some(settings));
                    message.set(Some(text("saved")));
                }
                Err(e) => message.set(Some(e.message)),
            }
        });
    };
    view! {
        <h2>{text("rules-repeat")}</h2>
        <form class="stacked" on:submit=save>
            <label><span>{text("rules-repeat-minutes")}</span>
                <input type="number" min="0" max="10080" prop:value=move || minutes.get()
                    on:input=move |ev| minutes.set(event_target_value(&ev))/></label>
            <p class="hint">{text("rules-repeat-hint")}</p>
            <button type="submit">{text("save")}</button>
            <p role="status">{move || message.get()}</p>
        </form>
    }
}
