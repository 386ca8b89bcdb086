//! The shop's own words (Settings, owners and admins): pick one of the bot's texts and a
//! language, rewrite it with the placeholders it knows, see it filled in with sample values as
//! you type, save it, or reset it to the default. The check and the preview are the relay's own
//! (`chat_model::texts`), so what is accepted here is what the relay accepts.

use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::{BotText, BotTextForm};

use super::workspace::Shared;
use crate::api;
use crate::desk::Desk;
use crate::i18n::{text, text_with};

/// What the preview fills each placeholder with.
fn sample(name: &str, store: &str, lang: &str) -> Option<String> {
    let zh = lang == "zh";
    Some(match name {
        "store_name" => store.to_owned(),
        "shopper_name" => "Ana".to_owned(),
        "back_at" if zh => "星期一 09:00（Europe/Paris）".to_owned(),
        "back_at" => "on Monday at 09:00 (Europe/Paris)".to_owned(),
        "queue_place" => "3".to_owned(),
        "reply_time" if zh => "2 分钟".to_owned(),
        "reply_time" => "2 minutes".to_owned(),
        "email" => "ana@example.com".to_owned(),
        "order_number" => "1042".to_owned(),
        "article" if zh => "可以换尺码吗？".to_owned(),
        "article" => "Can I exchange a size?".to_owned(),
        _ => return None,
    })
}

/// The section on the Settings page.
#[component]
pub fn BotTexts() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let shared = expect_context::<Shared>();
    let base = desk.me.with_value(|m| m.store_url("bot/texts"));
    let chosen = RwSignal::new("away".to_owned());
    let lang = RwSignal::new("en".to_owned());
    let draft = RwSignal::new(String::new());
    let message = RwSignal::new(None::<(bool, String)>);
    let current = Memo::new(move |_| {
        let (name, lang) = (chosen.get(), lang.get());
        shared.texts.with(|all| all.iter().find(|t| t.name == name && t.lang == lang).cloned())
    });
    // A new text or language puts what the store says now in the editor.
    Effect::new(move |_| {
        if let Some(t) = current.get() {
            draft.set(t.text.unwrap_or(t.default));
        }
    });
    let allowed = move || current.with(|t| t.as_ref().map(|t| t.placeholders.clone()).unwrap_or_default());
    let problem = move || {
        let allowed = allowed();
        let names: Vec<&str> = allowed.iter().map(String::as_str).collect();
        draft.with(|d| chat_model::texts::check(d, &names).err())
    };
    let url = move || format!("{base}/{}/{}", chosen.get_untracked(), lang.get_untracked());
    let done = move |result, said| answered(shared, draft, message, result, said);
    let save = {
        let url = url.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let (url, form) = (url(), BotTextForm { text: draft.get_untracked() });
            spawn_local(async move { done(api::put::<BotText>(&url, &form).await, "saved") });
        }
    };
    let reset = move |_| {
        let url = url();
        spawn_local(async move { done(api::delete_json::<BotText>(&url).await, "texts-reset-done") });
    };
    view! {
        <section class="bot-texts" aria-labelledby="bot-texts-title">
            <h2 id="bot-texts-title">{text("texts-title")}</h2>
            <p class="hint">{text("texts-hint")}</p>
            <form class="stacked" on:submit=save>
                <TextPicker chosen lang message/>
                <label><span>{text("texts-text")}</span>
                    <textarea rows="4" maxlength="1000" dir="auto" prop:value=move || draft.get()
                        on:input=move |ev| draft.set(event_target_value(&ev))></textarea></label>
                <p class="hint">{move || {
                    let names: Vec<String> = allowed().iter().map(|p| format!("{{{p}}}")).collect();
                    text_with("texts-placeholders", &[("list", names.join(" "))])
                }}</p>
                <TextPreview draft lang/>
                <Show when=move || problem().is_some()>
                    <p class="error" role="alert">{move || problem()}</p>
                </Show>
                <Show when=move || message.get().is_some()>
                    <p role="status" class:error=move || message.get().is_some_and(|(ok, _)| !ok)>
                        {move || message.get().map(|(_, m)| m)}
                    </p>
                </Show>
                <div class="row">
                    <button type="submit" disabled=move || problem().is_some()>{text("texts-save")}</button>
                    <button type="button" class="link" disabled=move || current.with(|t| t.as_ref().is_none_or(|t| t.text.is_none()))
                        on:click=reset>{text("texts-reset")}</button>
                </div>
            </form>
        </section>
    }
}

/// Which text, in which language: a change clears the last outcome.
#[component]
fn TextPicker(
    chosen: RwSignal<String>,
    lang: RwSignal<String>,
    message: RwSignal<Option<(bool, String)>>,
) -> impl IntoView {
    let shared = expect_context::<Shared>();
    view! {
        <label><span>{text("texts-which")}</span>
            <select on:change=move |ev| { chosen.set(event_target_value(&ev)); message.set(None); }>{text_options(shared, lang, chosen)}</select></label>
        <label><span>{text("texts-language")}</span>
            <select on:change=move |ev| { lang.set(event_target_value(&ev)); message.set(None); }>
                <option value="en">"English"</option>
                <option value="zh">"中文"</option>
            </select></label>
    }
}

/// The text as a shopper would see it, its placeholders filled with samples.
#[component]
fn TextPreview(draft: RwSignal<String>, lang: RwSignal<String>) -> impl IntoView {
    let shared = expect_context::<Shared>();
    let preview = move || {
        let store = shared.settings.with(|s| s.as_ref().map(|s| s.name.clone()).unwrap_or_default());
        let lang = lang.get();
        draft.with(|d| chat_model::texts::render(d, |name| sample(name, &store, &lang)))
    };
    view! {
        <div class="text-preview" role="group" aria-label=text("texts-preview")>
            <span class="muted">{text("texts-preview")}</span>
            <p class="pv-bubble" dir="auto">{preview}</p>
        </div>
    }
}

/// The relay's answer to a save or a reset: the text as stored goes into the list and the
/// editor, and the outcome is said.
fn answered(
    shared: Shared,
    draft: RwSignal<String>,
    message: RwSignal<Option<(bool, String)>>,
    result: Result<BotText, api::ApiError>,
    said: &'static str,
) {
    match result {
        Ok(saved) => {
            shared.texts.update(|all| {
                if let Some(t) = all.iter_mut().find(|t| t.name == saved.name && t.lang == saved.lang) {
                    *t = saved.clone();
                }
            });
            draft.set(saved.text.unwrap_or(saved.default));
            message.set(Some((true, text(said))));
        }
        Err(e) => message.set(Some((false, e.message))),
    }
}

/// The texts in the chosen language, those the store rewrote marked as edited.
fn text_options(shared: Shared, lang: RwSignal<String>, chosen: RwSignal<String>) -> impl IntoView {
    move || {
        let names: Vec<(String, bool)> = shared.texts.with(|all| {
            all.iter().filter(|t| t.lang == lang.get()).map(|t| (t.name.clone(), t.text.is_some())).collect()
        });
        names
            .into_iter()
            .map(|(name, own)| {
                let mut label = text(&format!("text-{}", name.replace('_', "-")));
                if own {
                    label = text_with("texts-edited", &[("text", label)]);
                }
                let selected = name == chosen.get_untracked();
                view! { <option value=name selected=selected>{label}</option> }
            })
            .collect_view()
    }
}
