//! A live preview of the widget on the Settings page: the launcher in its corner and the open
//! panel with the store's name, colour and greeting, redrawn as the owner types, before saving.
//! Drawn by the console (not the widget itself), with the widget's own text-colour rule.

use leptos::prelude::*;

use crate::api::Settings;
use crate::i18n::text;

/// The preview of `form`.
#[component]
pub fn WidgetPreview(form: RwSignal<Settings>) -> impl IntoView {
    let colour = move || {
        form.with(|f| if chat_model::look::is_colour(&f.colour) { f.colour.clone() } else { "#1f5eff".to_owned() })
    };
    let on = move || chat_model::look::text_on(&colour()).to_owned();
    let greeting = move || {
        form.with(|f| f.greeting.clone().filter(|g| !g.trim().is_empty())).unwrap_or_else(|| text("preview-greeting"))
    };
    view! {
        <figure class="preview" aria-label=text("preview-title")>
            <figcaption>{text("preview-title")}</figcaption>
            <div class="pv-page" class:pv-left=move || form.with(|f| f.position == "left")
                // Set through the CSSOM: the console's Content-Security-Policy refuses style attributes.
                style:--pv-accent=colour style:--pv-on=on>
                <div class="pv-panel" aria-hidden="true">
                    <div class="pv-head">
                        <strong dir="auto">{move || form.with(|f| f.name.clone())}</strong>
                    </div>
                    <div class="pv-body">
                        <p class="pv-bubble" dir="auto">{greeting}</p>
                    </div>
                    <div class="pv-composer">{text("preview-message")}</div>
                </div>
                <span class="pv-launcher" aria-hidden="true"></span>
            </div>
        </figure>
    }
}
