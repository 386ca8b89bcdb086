//! Webhooks (owners and admins; docs/webhooks.md): the store's endpoints with their events,
//! signing secret and latest status, a form to add one, and each one's recent deliveries.

use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::{Webhook, WebhookDelivery, WebhookForm, WEBHOOK_EVENTS};

use crate::api;
use crate::desk::Desk;
use crate::i18n::{text, text_with};

/// The webhooks section of the Install page: everything that leaves the relay for the shop.
#[component]
pub fn WebhooksSection() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let url = StoredValue::new(desk.me.with_value(|m| m.store_url("webhooks")));
    let hooks = RwSignal::new(Vec::<Webhook>::new());
    let error = RwSignal::new(None::<String>);
    let reload = move || {
        spawn_local(async move {
            match api::get::<Vec<Webhook>>(&url.get_value()).await {
                Ok(list) => hooks.set(list),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    reload();
    let endpoint = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec!["message.created".to_owned()]);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = WebhookForm {
            url: endpoint.get_untracked().trim().to_owned(),
            events: chosen.get_untracked(),
            active: true,
        };
        spawn_local(async move {
            match api::post::<Webhook>(&url.get_value(), &form).await {
                Ok(_) => {
                    error.set(None);
                    endpoint.set(String::new());
                }
                Err(e) => error.set(Some(e.message)),
            }
            reload();
        });
    };
    let checkbox = move |event: &'static str| {
        view! {
            <label class="check">
                <input type="checkbox" prop:checked=move || chosen.with(|c| c.iter().any(|e| e == event))
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        chosen.update(|c| {
                            c.retain(|e| e != event);
                            if on {
                                c.push(event.to_owned());
                            }
                        });
                    }/>
                <code>{event}</code>
            </label>
        }
    };
    view! {
        <section class="webhooks" aria-labelledby="webhooks-heading">
            <h2 id="webhooks-heading">{text("page-webhooks")}</h2>
            <p class="hint">{text("webhooks-hint")}</p>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get()}</p>
            </Show>
            <ul class="webhook-list">
                {move || hooks.get().into_iter().map(|hook| view! { <Endpoint hook=hook base=url.get_value() on_change=Callback::new(move |()| reload())/> }).collect_view()}
            </ul>
            <h3>{text("webhooks-add")}</h3>
            <form class="stacked webhook-form" on:submit=add>
                <label><span>{text("webhooks-url")}</span>
                    <input type="url" required placeholder="https://hooks.example.com/parley" prop:value=move || endpoint.get()
                        on:input=move |ev| endpoint.set(event_target_value(&ev))/></label>
                <fieldset>
                    <legend>{text("webhooks-events")}</legend>
                    {WEBHOOK_EVENTS.iter().map(|e| checkbox(e)).collect_view()}
                </fieldset>
                <button type="submit">{text("webhooks-add")}</button>
            </form>
        </section>
    }
}

/// One endpoint: its URL, events, status, secret, recent deliveries, and its removal.
#[component]
fn Endpoint(hook: Webhook, base: String, on_change: Callback<()>) -> impl IntoView {
    let this = format!("{base}/{}", hook.id);
    let log = RwSignal::new(None::<Vec<WebhookDelivery>>);
    let show_secret = RwSignal::new(false);
    let status = match (hook.last_status, &hook.last_error) {
        (Some(code), None) if hook.last_attempt_at.is_some() => {
            text_with("webhooks-ok", &[("status", code.to_string())])
        }
        (_, None) => text("webhooks-never"),
        (_, Some(error)) => text_with("webhooks-failing", &[("error", error.clone())]),
    };
    let failing = hook.last_error.is_some();
    let secret = hook.secret.clone();
    let deliveries_url = format!("{this}/deliveries");
    let open_log = move |_| {
        let url = deliveries_url.clone();
        spawn_local(async move {
            if let Ok(list) = api::get::<Vec<WebhookDelivery>>(&url).await {
                log.set(Some(list));
            }
        });
    };
    let active = hook.active;
    let wanted = WebhookForm { url: hook.url.clone(), events: hook.events.clone(), active: !active };
    let put_url = this.clone();
    let toggle = move |_| {
        let (url, form) = (put_url.clone(), wanted.clone());
        spawn_local(async move {
            let _ = api::put::<Webhook>(&url, &form).await;
            on_change.run(());
        });
    };
    let remove = move |_| {
        let url = this.clone();
        spawn_local(async move {
            let _ = api::delete(&url).await;
            on_change.run(());
        });
    };
    view! {
        <li class="webhook">
            <div><strong class="webhook-url">{hook.url.clone()}</strong></div>
            <div class="muted">{hook.events.join(", ")}</div>
            <div class:error=failing class="webhook-status">{if active { status } else { text("webhooks-paused") }}</div>
            <div>
                <button class="link" on:click=move |_| show_secret.update(|s| *s = !*s)>{text("webhooks-secret")}</button>
                <Show when=move || show_secret.get()>
                    " " <code class="webhook-secret">{secret.clone()}</code>
                </Show>
                " " <button class="link" on:click=open_log>{text("webhooks-deliveries")}</button>
                " " <button class="link" on:click=toggle>{text(if active { "webhooks-pause" } else { "webhooks-resume" })}</button>
                " " <button class="link" on:click=remove>{text("remove")}</button>
            </div>
            <Show when=move || log.with(Option::is_some)>
                <table class="webhook-log">
                    <thead><tr><th>{text("webhooks-event")}</th><th>{text("webhooks-state")}</th><th>{text("webhooks-attempts")}</th><th>{text("webhooks-answer")}</th></tr></thead>
                    <tbody>
                        {move || log.get().unwrap_or_default().into_iter().map(|d| view! {
                            <tr>
                                <td><code>{d.event}</code> " " <span class="muted">{d.event_id}</span></td>
                                <td>{d.status}</td>
                                <td>{d.attempts}</td>
                                <td>{d.last_error.or(d.last_status.map(|s| s.to_string())).unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </Show>
        </li>
    }
}
