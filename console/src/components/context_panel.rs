//! Who the shopper is and what they are doing: the customer the shop says they are and its
//! attributes, the page they are on now, the pages of this visit, where they came from, their language and local time, the email they left, and their
//! earlier conversations.

use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::{ConversationSummary, PageView};

use super::{clock, shopper_label};
use crate::api::{self, Context};
use crate::desk::Desk;
use crate::i18n::{locale, text};

/// The shopper's local time now, in their time zone.
fn local_time(zone: &str, now: f64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(now));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"timeZone".into(), &zone.into());
    let _ = js_sys::Reflect::set(&options, &"hour".into(), &"2-digit".into());
    let _ = js_sys::Reflect::set(&options, &"minute".into(), &"2-digit".into());
    let _ = js_sys::Reflect::set(&options, &"weekday".into(), &"short".into());
    date.to_locale_time_string_with_options(&locale(), &options).into()
}

/// The panel beside a conversation.
#[component]
pub fn ContextPanel(id: i64) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let context = RwSignal::new(None::<Context>);
    // Read again when the shopper moves to another page.
    let live_page = Memo::new(move |_| desk.conversations.with(|all| all.get(&id).and_then(|c| c.live_page.clone())));
    Effect::new(move |_| {
        live_page.track();
        let url = desk.me.with_value(|m| m.store_url(&format!("conversations/{id}/context")));
        spawn_local(async move {
            if let Ok(found) = api::get::<Context>(&url).await {
                desk.set_notes(id, found.notes.clone());
                desk.learn(found.previous.clone());
                context.set(Some(found));
            }
        });
    });
    view! {
        <aside class="context" aria-label=text("context")>
            {move || context.get().map(|c| {
                let zone = c.time_zone.clone();
                view! {
                    {c.customer.clone().map(|customer| view! { <CustomerCard customer/> })}
                    <Attributes attributes=c.attributes.clone()/>
                    <super::tags::TagEditor id=id tags=c.tags.clone()/>
                    <super::orders_panel::OrdersPanel id=id/>
                    <Pages pages=c.pages.clone()/>
                    <dl>
                        <dt>{text("context-email")}</dt>
                        <dd>{c.email.clone().unwrap_or_else(|| "—".into())}</dd>
                        <dt>{text("context-referrer")}</dt>
                        <dd class="url">{c.referrer.clone().unwrap_or_else(|| text("context-direct"))}</dd>
                        <dt>{text("context-language")}</dt>
                        <dd>{c.language.clone().unwrap_or_else(|| "—".into())}</dd>
                        <dt>{text("context-local-time")}</dt>
                        <dd>{move || match &zone {
                            Some(zone) => format!("{} ({zone})", local_time(zone, desk.now.get())),
                            None => "—".into(),
                        }}</dd>
                    </dl>
                    <ShopperData visitor=c.visitor_id.clone()/>
                    <Previous previous=c.previous.clone()/>
                }
            })}
        </aside>
    }
}

/// The page the shopper is on now, and the earlier pages of this visit.
#[component]
fn Pages(pages: Vec<PageView>) -> impl IntoView {
    let title = |p: &PageView| if p.title.is_empty() { p.url.clone() } else { p.title.clone() };
    let current = match pages.first() {
        Some(page) => view! {
            <p class="page-now">
                <a href=page.url.clone() target="_blank" rel="noopener noreferrer">{title(page)}</a>
                <br/><span class="muted url">{page.url.clone()}</span>
            </p>
        }
        .into_any(),
        None => view! { <p class="muted">{text("context-unknown")}</p> }.into_any(),
    };
    let earlier = pages.len() > 1;
    view! {
        <h3>{text("context-now")}</h3>
        {current}
        <Show when=move || earlier>
            <h3>{text("context-pages")}</h3>
        </Show>
        <ol class="pages">
            {pages.iter().skip(1).map(|p| view! {
                <li>
                    <span class="muted">{clock(p.at as f64)}</span> " "
                    <span title=p.url.clone()>{title(p)}</span>
                </li>
            }).collect_view()}
        </ol>
    }
}

/// The shopper's earlier conversations, each opening with a click.
#[component]
fn Previous(previous: Vec<ConversationSummary>) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let list = if previous.is_empty() {
        view! { <p class="muted">{text("context-none")}</p> }.into_any()
    } else {
        view! {
            <ul class="previous">
                {previous.iter().map(|p| {
                    let other = p.id;
                    let preview = p.last_message.as_ref().map(|m| m.text.clone()).unwrap_or_default();
                    view! {
                        <li><button class="link" on:click=move |_| desk.open(other)>
                            {clock(p.created_at as f64)} " " {shopper_label(p)} ": " {preview}
                        </button></li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <h3>{text("context-previous")}</h3>
        {list}
    }
}

/// For owners: the shopper's data on request, as a JSON download, or deleted for good.
#[component]
fn ShopperData(visitor: String) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let owner = desk.me.with_value(|m| m.is_owner());
    let done = RwSignal::new(None::<String>);
    let path = format!("visitors/{visitor}");
    let export = desk.me.with_value(|m| m.store_url(&format!("{path}/export")));
    let url = desk.me.with_value(|m| m.store_url(&path));
    let delete = move |_| {
        let sure = web_sys::window().and_then(|w| w.confirm_with_message(&text("shopper-delete-confirm")).ok());
        if sure != Some(true) {
            return;
        }
        let url = url.clone();
        spawn_local(async move {
            let said = match api::delete(&url).await {
                Ok(()) => text("shopper-deleted"),
                Err(e) => e.message,
            };
            done.set(Some(said));
        });
    };
    (owner && !visitor.is_empty()).then(|| {
        view! {
            <h3>{text("shopper-data")}</h3>
            <p>
                <a href=export download="shopper.json">{text("shopper-export")}</a> " "
                <button class="link danger" on:click=delete>{text("shopper-delete")}</button>
            </p>
            <p role="status">{move || done.get()}</p>
        }
    })
}

/// Who the shop says the shopper is, with a mark for a verified identity. Text only.
#[component]
fn CustomerCard(customer: api::Customer) -> impl IntoView {
    let mark = if customer.verified { "context-verified" } else { "context-unverified" };
    view! {
        <section class="customer" aria-label=text("context-customer")>
            <h3>{text("context-customer")}</h3>
            <p>
                <strong>{customer.name.clone().unwrap_or_else(|| "—".into())}</strong> " "
                <span class=if customer.verified { "mark verified" } else { "mark" }>{text(mark)}</span>
            </p>
            <p class="muted">{customer.email.clone().unwrap_or_default()}</p>
            {customer.id.map(|id| view! { <p class="muted">"# " {id}</p> })}
        </section>
    }
}

/// The attributes the shop set, as a list of names and values. Text only.
#[component]
fn Attributes(attributes: std::collections::BTreeMap<String, String>) -> impl IntoView {
    (!attributes.is_empty()).then(|| {
        view! {
            <h3>{text("context-attributes")}</h3>
            <dl class="attributes">
                {attributes.into_iter().map(|(name, value)| view! { <dt>{name}</dt><dd>{value}</dd> }).collect_view()}
            </dl>
        }
    })
}
