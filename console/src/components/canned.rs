//! Canned replies (owners and admins): the store's shared list, with a form to add one and a
//! button to remove one. Agents use them by typing `/` in the composer.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};

use super::workspace::Shared;
use crate::api;
use crate::desk::Desk;
use crate::i18n::text;

/// The form's state: the reply being edited, if any (else the form adds a new one), and
/// its fields.
#[derive(Clone, Copy)]
struct Draft {
    editing: RwSignal<Option<i64>>,
    shortcut: RwSignal<String>,
    body: RwSignal<String>,
}

impl Draft {
    /// An empty form that adds a reply.
    fn clear(self) {
        self.editing.set(None);
        self.shortcut.set(String::new());
        self.body.set(String::new());
    }

    /// The form filled with `reply`, to change it.
    fn edit(self, reply: &protocol::CannedReply) {
        self.editing.set(Some(reply.id));
        self.shortcut.set(reply.shortcut.clone());
        self.body.set(reply.text.clone());
    }
}

/// The canned replies page.
#[component]
pub fn CannedPage() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let shared = expect_context::<Shared>();
    let url = desk.me.with_value(|m| m.store_url("canned"));
    let me = desk.me.get_value();
    let draft = Draft {
        editing: RwSignal::new(None),
        shortcut: RwSignal::new(String::new()),
        body: RwSignal::new(String::new()),
    };
    let error = RwSignal::new(None::<String>);
    let form_url = url.clone();
    view! {
        <main class="admin-page">
            <h1>{text("page-canned")}</h1>
            <p class="hint">{crate::i18n::text_with("canned-hint", &[
                ("shopper_name", "{shopper_name}".into()),
                ("agent_name", "{agent_name}".into()),
                ("store_name", "{store_name}".into()),
            ])}</p>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get()}</p>
            </Show>
            <ul class="canned-list">
                {move || shared.canned.get().into_iter().map(|reply| {
                    let remove_url = format!("{url}/{}", reply.id);
                    let me = me.clone();
                    let edited = reply.clone();
                    view! {
                        <li>
                            <strong>"/" {reply.shortcut.clone()}</strong>
                            <span>{reply.text.clone()}</span>
                            <button class="link" on:click=move |_| draft.edit(&edited)>{text("edit")}</button>
                            <button class="link" on:click=move |_| {
                                let (remove_url, me) = (remove_url.clone(), me.clone());
                                spawn_local(async move {
                                    if let Err(e) = api::delete(&remove_url).await {
                                        error.set(Some(e.message));
                                    }
                                    shared.reload_canned(&me);
                                });
                            }>{text("remove")}</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <CannedForm draft url=form_url error/>
        </main>
    }
}

/// The form under the list: adds a reply, or saves the one being edited.
#[component]
fn CannedForm(draft: Draft, url: String, error: RwSignal<Option<String>>) -> impl IntoView {
    let shared = expect_context::<Shared>();
    let me = expect_context::<Desk>().me.get_value();
    let Draft { editing, shortcut, body } = draft;
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = json!({ "shortcut": shortcut.get_untracked(), "text": body.get_untracked() });
        let (url, me) = (url.clone(), me.clone());
        let editing_id = editing.get_untracked();
        spawn_local(async move {
            let saved = match editing_id {
                Some(id) => api::put::<Value>(&format!("{url}/{id}"), &request).await,
                None => api::post::<Value>(&url, &request).await,
            };
            match saved {
                Ok(_) => {
                    error.set(None);
                    draft.clear();
                }
                Err(e) => error.set(Some(e.message)),
            }
            shared.reload_canned(&me);
        });
    };
    view! {
        <h2>{move || text(if editing.get().is_some() { "canned-edit" } else { "canned-add" })}</h2>
        <form class="stacked" on:submit=add>
            <label><span>{text("canned-shortcut")}</span>
                <input required prop:value=move || shortcut.get() on:input=move |ev| shortcut.set(event_target_value(&ev))/></label>
            <label><span>{text("canned-text")}</span>
                <textarea rows="3" required prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea></label>
            <button type="submit">{move || text(if editing.get().is_some() { "save" } else { "canned-add" })}</button>
            <Show when=move || editing.get().is_some()>
                <button type="button" class="link" on:click=move |_| draft.clear()>{text("cancel")}</button>
            </Show>
        </form>
    }
}
