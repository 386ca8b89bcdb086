//! The shopper's orders beside the chat: for a verified customer, or once an order was proved
//! in the conversation. Each shows its status, items, total and tracking link, and a button
//! that puts its status line into the reply. Everything from the shop is shown as text; links
//! only when they are http(s), opened with `rel="noopener noreferrer"`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::Order;
use serde::Deserialize;

use crate::api;
use crate::desk::Desk;
use crate::i18n::text;

/// Text an agent asked to put into the reply box (the composer takes it and clears it).
#[derive(Clone, Copy)]
pub struct ReplyInsert(pub RwSignal<Option<String>>);

#[derive(Clone, Deserialize)]
struct Listed {
    order: Order,
    status_line: String,
}

#[derive(Clone, Deserialize)]
struct Answer {
    orders: Vec<Listed>,
    error: Option<String>,
}

/// A link's address, if it is a web address.
fn web(url: Option<&String>) -> Option<String> {
    url.filter(|u| u.starts_with("https://") || u.starts_with("http://")).cloned()
}

/// The orders panel of a conversation.
#[component]
pub fn OrdersPanel(id: i64) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let answer = RwSignal::new(None::<Answer>);
    let url = desk.me.with_value(|m| m.store_url(&format!("conversations/{id}/orders")));
    // Read again as the conversation grows (an order proved with the bot shows up).
    let length = Memo::new(move |_| desk.conversations.with(|all| all.get(&id).map(|c| c.summary.last_seq)));
    Effect::new(move |_| {
        length.track();
        let url = url.clone();
        spawn_local(async move {
            if let Ok(found) = api::get::<Answer>(&url).await {
                answer.set(Some(found));
            }
        });
    });
    move || {
        let found = answer.get()?;
        (!found.orders.is_empty() || found.error.is_some()).then(|| {
            view! {
                <section class="orders" aria-label=text("orders")>
                    <h3>{text("orders")}</h3>
                    {found.error.map(|why| view! { <p class="muted" role="status">{text("orders-unavailable")} " " {why}</p> })}
                    <ul>{found.orders.into_iter().map(|listed| view! { <OrderCard listed/> }).collect_view()}</ul>
                </section>
            }
        })
    }
}

#[component]
fn OrderCard(listed: Listed) -> impl IntoView {
    let insert = use_context::<ReplyInsert>();
    let Listed { order, status_line } = listed;
    let tracking = order.fulfilment.as_ref().and_then(|f| web(f.tracking_url.as_ref()));
    let tracking_number = order.fulfilment.as_ref().and_then(|f| f.tracking_number.clone()).unwrap_or_default();
    let page = web(order.status_url.as_ref());
    view! {
        <li class="order">
            <p><strong>"#" {order.number.clone()}</strong> " · " {order.status.as_str()} " · " {format!("{} {}", order.total, order.currency)}</p>
            <ul class="items">
                {order.items.iter().map(|i| view! { <li>{format!("{} × {}", i.quantity, i.title)}</li> }).collect_view()}
            </ul>
            {tracking.map(|href| view! {
                <p><a href=href target="_blank" rel="noopener noreferrer">{text("orders-track")} " " {tracking_number.clone()}</a></p>
            })}
            {page.map(|href| view! { <p><a href=href target="_blank" rel="noopener noreferrer">{text("orders-page")}</a></p> })}
            <button type="button" class="link" on:click=move |_| {
                if let Some(ReplyInsert(slot)) = insert {
                    slot.set(Some(status_line.clone()));
                }
            }>{text("orders-insert")}</button>
        </li>
    }
}
