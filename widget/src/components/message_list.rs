//! The conversation: the shopper's messages on the right, the store's on the left, each with
//! its time and, for the shopper's own, whether it is sending, sent, seen or failed.
//! Texts are rendered as text nodes, never as HTML.

use leptos::html;
use leptos::prelude::*;
use protocol::Role;
use wasm_bindgen::JsValue;

use crate::connection::{ChatMessage, Connection, Delivery};
use crate::help::Help;
use crate::i18n::I18n;

/// The scrolling list of messages; keeps the newest in view, also when the panel opens on a
/// conversation loaded while it was hidden (a hidden list has no height to scroll).
#[component]
pub fn MessageList() -> impl IntoView {
    let i18n = expect_context::<I18n>();
    let connection = expect_context::<Connection>();
    let list: NodeRef<html::Div> = NodeRef::new();
    Effect::new(move |_| {
        connection.messages.track();
        if !connection.visible.get() {
            return;
        }
        // After the panel is laid out.
        request_animation_frame(move || {
            if let Some(list) = list.get_untracked() {
                list.set_scroll_top(list.scroll_height());
            }
        });
    });
    let help = expect_context::<Help>();
    let greeting = i18n.t("empty-greeting");
    let bot = i18n.t("author-bot");
    let i18n_typing = i18n.clone();
    let typing =
        Memo::new(move |_| connection.typing.get().map(|name| i18n_typing.t_with("typing", &[("name", name)])));
    view! {
        // The log is the scrolling box (focusable, so the keyboard scrolls it); the list inside
        // keeps its list semantics.
        <div class="pl-messages" role="log" aria-live="polite" aria-label=i18n.t("message-log") tabindex="0" node_ref=list>
        <ol class="pl-lines">
            <Show when=move || connection.messages.with(|chat| chat.lines.is_empty())>
                {
                    let (greeting, bot) = (greeting.clone(), bot.clone());
                    let nudge = expect_context::<crate::proactive::Nudge>();
                    // Opened from a proactive message: it stands where the greeting would.
                    let answered = move || nudge.answered.with(|b| b.as_ref().map(|b| b.text.clone()));
                    move || match answered().or_else(|| help.greeting.get()) {
                        // The store's own greeting comes from its bot.
                        Some(text) => view! {
                            <li class="pl-message theirs automatic">
                                <span class="pl-author">{bot.clone()}</span>
                                <p class="pl-bubble" dir="auto">{text}</p>
                            </li>
                        }.into_any(),
                        None => view! { <li class="pl-greeting">{greeting.clone()}</li> }.into_any(),
                    }
                }
            </Show>
            <For each=move || connection.messages.get().lines key=|m| (m.key.clone(), m.seq, delivery_code(m.delivery)) children=move |m| view! { <MessageItem message=m/> }/>
            <Show when=move || typing.with(Option::is_some)>
                <li class="pl-typing">{move || typing.get()}</li>
            </Show>
        </ol>
        </div>
    }
}

fn delivery_code(d: Delivery) -> u8 {
    d as u8
}

/// One message.
#[component]
fn MessageItem(message: ChatMessage) -> impl IntoView {
    let i18n = expect_context::<I18n>();
    let connection = expect_context::<Connection>();
    let mine = message.role == Role::Visitor;
    let author = match message.role {
        Role::Visitor => i18n.t("author-you"),
        Role::Bot | Role::System => i18n.t("author-bot"),
        Role::Agent => message.author_name.clone().unwrap_or_else(|| i18n.t("author-agent")),
    };
    let time = clock_time(message.at, &i18n.locale());
    let status = mine.then(|| {
        let label = match message.delivery {
            Delivery::Sending => i18n.t("status-sending"),
            Delivery::Sent => i18n.t("status-sent"),
            Delivery::Seen => i18n.t("status-seen"),
            Delivery::Failed => i18n.t("status-failed"),
        };
        (message.delivery.name(), label)
    });
    let failed = message.delivery == Delivery::Failed;
    let key = message.key.clone();
    let chips = chips_of(&message, connection, &i18n);
    view! {
        <li class="pl-message" class:mine=mine class:theirs=!mine class:automatic=matches!(message.role, Role::Bot | Role::System)>
            <span class="pl-author">{author}</span>
            <p class="pl-bubble" dir="auto">{message.text}</p>
            {chips}
            <span class="pl-meta">
                <time>{time}</time>
                {status.map(|(state, label)| {
                    let key = key.clone();
                    view! {
                        <button type="button" class="pl-status" data-state=state disabled=!failed
                            on:click=move |_| connection.retry(key.clone())>{label}</button>
                    }
                })}
            </span>
        </li>
    }
}

/// What a tap on a button under a bot message does.
#[derive(Clone)]
enum Chip {
    /// Answers "Did this answer your question?" for this message.
    Helpful(i64, bool),
    /// Asks this question (an FAQ article the bot offered; the bot answers with it).
    Ask(String),
}

/// The buttons under a bot message: "Did this answer your question?" under an answer from the
/// FAQ, until answered; or the FAQ articles a reply offers, until the shopper taps one or
/// writes again. One view for both keeps the widget small.
fn chips_of(message: &ChatMessage, connection: Connection, i18n: &I18n) -> Option<impl IntoView> {
    if message.role != Role::Bot {
        return None;
    }
    let (label, prompt, chips) = match (&message.faq_article, message.id) {
        (Some(_), Some(id)) => {
            let question = i18n.t("feedback-question");
            let yes_no = vec![
                (i18n.t("feedback-yes"), Chip::Helpful(id, true)),
                (i18n.t("feedback-no"), Chip::Helpful(id, false)),
            ];
            (question.clone(), Some(question), yes_no)
        }
        _ if !message.faq_choices.is_empty() => {
            let asks = message.faq_choices.iter().map(|c| (c.question.clone(), Chip::Ask(c.question.clone())));
            (i18n.t("faq-choices"), None, asks.collect())
        }
        _ => return None,
    };
    let offers = prompt.is_none();
    let (done, seq) = (RwSignal::new(false), message.seq);
    let closed = move || done.get() || (offers && connection.messages.with(|chat| chat.written_after(seq)));
    let buttons: Vec<_> = chips
        .into_iter()
        .map(|(text, chip)| {
            let tap = move |_| {
                done.set(true);
                match chip.clone() {
                    Chip::Helpful(id, helpful) => connection.feedback(id, helpful),
                    Chip::Ask(question) => connection.send(question),
                }
            };
            view! { <button type="button" class="pl-chip" on:click=tap>{text}</button> }
        })
        .collect();
    Some(view! {
        <Show when=move || !closed()>
            <div class="pl-feedback" class:pl-choices=offers role="group" aria-label=label.clone()>
                {prompt.clone().map(|p| view! { <span>{p}</span> })}
                {buttons.clone()}
            </div>
        </Show>
    })
}

/// "14:05" or "9:38 PM" in the shopper's language and time zone (no leading zero on the hour).
pub fn clock_time(at_millis: f64, locale: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at_millis));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"hour".into(), &"numeric".into());
    let _ = js_sys::Reflect::set(&options, &"minute".into(), &"2-digit".into());
    date.to_locale_time_string_with_options(locale, &options).into()
}
