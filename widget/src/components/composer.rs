//! The composer: Enter sends, Shift+Enter starts a new line, and an IME composition (Chinese,
//! Japanese…) is never cut short by the Enter that confirms it. The box grows with its lines
//! (up to a limit, then scrolls). Focus lands here when the panel opens on a device with a
//! mouse; on a touch screen that would raise the keyboard over the panel, so it does not.

use leptos::html;
use leptos::prelude::*;
use web_sys::KeyboardEvent;

use crate::connection::Connection;
use crate::help::Help;
use crate::i18n::I18n;

/// The message box and the send button.
#[component]
pub fn Composer(open: RwSignal<bool>) -> impl IntoView {
    let i18n = expect_context::<I18n>();
    let connection = expect_context::<Connection>();
    let help = expect_context::<Help>();
    let text = RwSignal::new(String::new());
    let input: NodeRef<html::Textarea> = NodeRef::new();

    Effect::new(move |_| {
        if open.get() && !has_coarse_pointer() {
            request_animation_frame(move || {
                if let Some(input) = input.get_untracked() {
                    let _ = input.focus();
                }
            });
        }
    });
    // The box is as tall as its text (the CSS caps it, then it scrolls).
    Effect::new(move |_| {
        text.track();
        request_animation_frame(move || {
            if let Some(input) = input.get_untracked() {
                let style = web_sys::HtmlElement::style(&input);
                let _ = style.set_property("height", "auto");
                let _ = style.set_property("height", &format!("{}px", input.scroll_height() + 2));
            }
        });
    });

    let submit = move || {
        let message = text.get_untracked();
        if message.trim().is_empty() {
            return;
        }
        connection.send(message);
        text.set(String::new());
        help.suggest(String::new());
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() && ev.key_code() != 229 {
            ev.prevent_default();
            submit();
        }
    };
    let suggested = i18n.t("suggestions-label");
    view! {
        <Show when=move || help.suggestions.with(|s| !s.is_empty())>
            <div class="pl-suggest" role="group" aria-label=suggested.clone()>
                <span>{suggested.clone()}</span>
                {move || help.suggestions.get().into_iter().map(|hit| {
                    let id = hit.id.clone();
                    view! { <button type="button" class="pl-chip" dir="auto" on:click=move |_| help.open(&id)>{hit.question}</button> }
                }).collect_view()}
            </div>
        </Show>
        <form class="pl-composer" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <textarea
                node_ref=input
                rows="1"
                dir="auto"
                aria-label=i18n.t("composer-label")
                placeholder=i18n.t("composer-placeholder")
                maxlength="4000"
                prop:value=move || text.get()
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    help.suggest(value.clone());
                    text.set(value);
                    connection.report_typing();
                }
                on:keydown=on_keydown
            ></textarea>
            <button type="submit" class="pl-send">{i18n.t("send")}</button>
        </form>
    }
}

/// Whether the main pointer is a finger (a touch screen, whose keyboard would cover the panel).
fn has_coarse_pointer() -> bool {
    web_sys::window().and_then(|w| w.match_media("(pointer: coarse)").ok().flatten()).is_some_and(|m| m.matches())
}
