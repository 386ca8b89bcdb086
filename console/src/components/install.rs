//! The install page: the store's exact script tag, with a copy button, and where it goes.

use leptos::prelude::*;

use crate::desk::Desk;
use crate::i18n::text;

/// The script tag for this relay and store.
pub fn script_tag(relay_origin: &str, store_key: &str) -> String {
    format!(r#"<script src="{relay_origin}/widget.js" data-store="{store_key}" async></script>"#)
}

/// The install page.
#[component]
pub fn InstallPage() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let key = desk.me.with_value(|m| m.store.key.clone());
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    let tag = script_tag(&origin, &key);
    let copied = RwSignal::new(false);
    let to_copy = tag.clone();
    let copy = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&to_copy);
            copied.set(true);
        }
    };
    view! {
        <main class="admin-page">
            <h1>{text("page-install")}</h1>
            <p>{text("install-intro")}</p>
            <pre class="snippet"><code>{tag}</code></pre>
            <button on:click=copy>{move || text(if copied.get() { "copied" } else { "copy" })}</button>
            <p class="hint">{text("install-origins")}</p>
        </main>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_tag_names_the_relay_and_the_store() {
        assert_eq!(
            super::script_tag("https://chat.example.com", "maison"),
            r#"<script src="https://chat.example.com/widget.js" data-store="maison" async></script>"#
        );
    }
}
