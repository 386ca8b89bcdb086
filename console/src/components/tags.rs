//! Tags on the shopper (VIP, wholesale, new customer…): shown beside the chat, added with
//! autocomplete from the store's tags and removed with a button; and the store's tags for the
//! inbox's filter.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;

use crate::api;
use crate::desk::Desk;
use crate::i18n::{text, text_with};

/// The relay's answer with a list of tags.
#[derive(Clone, Deserialize)]
struct Tags {
    tags: Vec<String>,
}

/// The store's tags, most used first.
pub fn load_store_tags(desk: Desk, into: RwSignal<Vec<String>>) {
    let url = desk.me.with_value(|m| m.store_url("tags"));
    spawn_local(async move {
        if let Ok(found) = api::get::<Tags>(&url).await {
            into.set(found.tags);
        }
    });
}

/// The shopper's tags in a conversation's context panel.
#[component]
pub fn TagEditor(id: i64, tags: Vec<String>) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let tags = RwSignal::new(tags);
    let known = RwSignal::new(Vec::<String>::new());
    load_store_tags(desk, known);
    let draft = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let url = StoredValue::new(desk.me.with_value(|m| m.store_url(&format!("conversations/{id}/tags"))));
    let apply = move |answer: Result<Tags, api::ApiError>| match answer {
        Ok(now) => {
            tags.set(now.tags);
            problem.set(None);
            load_store_tags(desk, known);
        }
        Err(e) => problem.set(Some(e.message)),
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let tag = draft.get_untracked().trim().to_owned();
        if tag.is_empty() {
            return;
        }
        draft.set(String::new());
        let url = url.get_value();
        spawn_local(async move { apply(api::post::<Tags>(&url, &serde_json::json!({ "tag": tag })).await) });
    };
    let remove = move |tag: String| {
        let url = format!("{}/{}", url.get_value(), js_sys::encode_uri_component(&tag));
        spawn_local(async move { apply(api::delete_json::<Tags>(&url).await) });
    };
    let list_id = format!("tags-{id}");
    view! {
        <h3>{text("tags")}</h3>
        <ul class="tags">
            {move || tags.get().into_iter().map(|tag| {
                let label = text_with("tag-remove", &[("tag", tag.clone())]);
                let gone = tag.clone();
                view! {
                    <li class="tag">{tag}
                        <button type="button" class="link" aria-label=label on:click=move |_| remove(gone.clone())>"×"</button>
                    </li>
                }
            }).collect_view()}
        </ul>
        <form class="tag-form" on:submit=add>
            <input type="text" list=list_id.clone() aria-label=text("tag-new") maxlength="40"
                prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev))/>
            <datalist id=list_id>
                {move || known.get().into_iter().map(|t| view! { <option value=t></option> }).collect_view()}
            </datalist>
            <button type="submit">{text("tag-add")}</button>
        </form>
        <p role="alert">{move || problem.get()}</p>
    }
}
