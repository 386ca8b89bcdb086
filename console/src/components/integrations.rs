//! For owners and admins, on the Install page: the shop's order source (docs/orders.md), whether
//! the bot answers order questions while agents are online, and whether `identify` must be
//! signed. The order source's secret is write-only: the page only says whether one is set.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};

use crate::api;
use crate::desk::Desk;
use crate::i18n::text;

/// `GET`/`PUT …/integrations`.
#[derive(Clone, Default, Serialize, Deserialize)]
struct Integrations {
    order_source_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    order_source_secret: Option<String>,
    #[serde(default, skip_serializing)]
    order_source_has_secret: bool,
    order_source_allow_private: bool,
    bot_answers_orders: bool,
    require_identity: bool,
}

/// The form.
#[component]
pub fn IntegrationsForm() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let url = desk.me.with_value(|m| m.store_url("integrations"));
    let form = RwSignal::new(None::<Integrations>);
    let said = RwSignal::new(None::<Result<String, String>>);
    let load_url = url.clone();
    spawn_local(async move {
        if let Ok(found) = api::get::<Integrations>(&load_url).await {
            form.set(Some(found));
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(wanted) = form.get_untracked() else { return };
        let url = url.clone();
        spawn_local(async move {
            match api::put::<Integrations>(&url, &wanted).await {
                Ok(now) => {
                    form.set(Some(now));
                    said.set(Some(Ok(text("saved"))));
                }
                Err(e) => said.set(Some(Err(e.message))),
            }
        });
    };
    let check = move |label: &'static str, get: fn(&Integrations) -> bool, set: fn(&mut Integrations, bool)| {
        view! {
            <label class="check">
                <input type="checkbox" prop:checked=move || form.with(|f| f.as_ref().is_some_and(get))
                    on:change=move |ev| form.update(|f| if let Some(f) = f { set(f, event_target_checked(&ev)) })/>
                <span>{text(label)}</span>
            </label>
        }
    };
    view! {
        <h2>{text("integrations")}</h2>
        <form class="integrations" on:submit=save>
            <label><span>{text("order-source-url")}</span>
                <input type="url" placeholder="https://shop.example.com/parley/orders"
                    prop:value=move || form.with(|f| f.as_ref().and_then(|f| f.order_source_url.clone()).unwrap_or_default())
                    on:input=move |ev| form.update(|f| if let Some(f) = f { f.order_source_url = Some(event_target_value(&ev)) })/>
            </label>
            <label><span>{text("order-source-secret")}</span>
                <input type="password" autocomplete="new-password"
                    placeholder=move || text(if form.with(|f| f.as_ref().is_some_and(|f| f.order_source_has_secret)) { "secret-kept" } else { "secret-none" })
                    prop:value=move || form.with(|f| f.as_ref().and_then(|f| f.order_source_secret.clone()).unwrap_or_default())
                    on:input=move |ev| form.update(|f| if let Some(f) = f { f.order_source_secret = Some(event_target_value(&ev)) })/>
            </label>
            {check("order-source-allow-private", |f| f.order_source_allow_private, |f, v| f.order_source_allow_private = v)}
            {check("bot-answers-orders", |f| f.bot_answers_orders, |f, v| f.bot_answers_orders = v)}
            {check("require-identity", |f| f.require_identity, |f, v| f.require_identity = v)}
            <button type="submit">{text("save")}</button>
            {move || said.get().map(|s| match s {
                Ok(done) => view! { <p role="status">{done}</p> }.into_any(),
                Err(why) => view! { <p role="alert">{why}</p> }.into_any(),
            })}
        </form>
    }
}
