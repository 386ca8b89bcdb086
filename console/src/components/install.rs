//! The install page: the store's exact script tag, with a copy button, and where it goes; for
//! owners, the identity secret that signs `Parley.identify` and the server code that uses it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;

use crate::api;
use crate::desk::Desk;
use crate::i18n::text;

/// Server-side code computing `signature = hex(HMAC-SHA256(secret, id))`, per language.
const SIGNING_SAMPLES: [(&str, &str); 4] = [
    ("Node.js", "crypto.createHmac('sha256', SECRET).update(String(customer.id)).digest('hex')"),
    ("PHP", "hash_hmac('sha256', (string) $customer->id, SECRET)"),
    ("Python", "hmac.new(SECRET.encode(), str(customer.id).encode(), hashlib.sha256).hexdigest()"),
    ("Ruby", "OpenSSL::HMAC.hexdigest('SHA256', SECRET, customer.id.to_s)"),
];

/// The relay's answer to `POST …/identity-secret`.
#[derive(Deserialize)]
struct Secret {
    secret: String,
}

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
            {desk.me.with_value(|m| m.is_owner()).then(|| view! { <IdentitySecret/> })}
            {desk.me.with_value(|m| m.is_admin()).then(|| view! { <super::integrations::IntegrationsForm/> })}
            {desk.me.with_value(|m| m.is_admin()).then(|| view! { <super::webhooks::WebhooksSection/> })}
        </main>
    }
}

/// For owners: the identity secret on request, a rotation, and the code to sign with it.
#[component]
fn IdentitySecret() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let url = desk.me.with_value(|m| m.store_url("identity-secret"));
    let shown = RwSignal::new(None::<Result<String, String>>);
    let ask = move |rotate: bool| {
        if rotate {
            let sure = web_sys::window().and_then(|w| w.confirm_with_message(&text("install-rotate-confirm")).ok());
            if sure != Some(true) {
                return;
            }
        }
        let url = url.clone();
        spawn_local(async move {
            let answer = api::post::<Secret>(&url, &serde_json::json!({ "rotate": rotate })).await;
            shown.set(Some(answer.map(|s| s.secret).map_err(|e| e.message)));
        });
    };
    let (show, rotate) = (ask.clone(), ask);
    view! {
        <h2>{text("install-identity")}</h2>
        <p>{text("install-identity-intro")}</p>
        <p>
            <button on:click=move |_| show(false)>{text("install-show-secret")}</button> " "
            <button class="danger" on:click=move |_| rotate(true)>{text("install-rotate-secret")}</button>
        </p>
        {move || shown.get().map(|answer| match answer {
            Ok(secret) => view! { <pre class="snippet secret"><code>{secret}</code></pre> }.into_any(),
            Err(why) => view! { <p role="alert">{why}</p> }.into_any(),
        })}
        <dl class="samples">
            {SIGNING_SAMPLES.iter().map(|(language, code)| view! {
                <dt>{*language}</dt>
                <dd><pre class="snippet"><code>{format!("signature = {code}")}</code></pre></dd>
            }).collect_view()}
        </dl>
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
