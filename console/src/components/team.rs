//! The team page (owners and admins): every agent with their role, capacity and whether they
//! may sign in, and a form to add one. The relay checks every change; its refusals show here.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{json, Value};

use crate::api::{self, Member};
use crate::desk::Desk;
use crate::i18n::text;

/// The team page.
#[component]
pub fn TeamPage() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let url = desk.me.with_value(|m| m.store_url("team"));
    let members = RwSignal::new(Vec::<Member>::new());
    let error = RwSignal::new(None::<String>);
    let reload = {
        let url = url.clone();
        Callback::new(move |()| {
            let url = url.clone();
            spawn_local(async move {
                match api::get::<Vec<Member>>(&url).await {
                    Ok(list) => members.set(list),
                    Err(e) => error.set(Some(e.message)),
                }
            });
        })
    };
    reload.run(());
    let change = {
        let url = url.clone();
        Callback::new(move |(id, body): (i64, Value)| {
            let url = format!("{url}/{id}");
            spawn_local(async move {
                match api::patch::<Value>(&url, &body).await {
                    Ok(_) => error.set(None),
                    Err(e) => error.set(Some(e.message)),
                }
                reload.run(());
            });
        })
    };
    view! {
        <main class="admin-page">
            <h1>{text("page-team")}</h1>
            <Show when=move || error.get().is_some()>
                <p class="error" role="alert">{move || error.get()}</p>
            </Show>
            <table>
                <thead><tr>
                    <th>{text("team-name")}</th><th>{text("email")}</th><th>{text("team-role")}</th>
                    <th>{text("team-capacity")}</th><th>{text("team-status")}</th><th>{text("team-active")}</th>
                </tr></thead>
                <tbody>
                    {move || members.get().into_iter().map(|m| view! { <MemberRow m change/> }).collect_view()}
                </tbody>
            </table>
            <AddMember url error reload/>
        </main>
    }
}

/// The role names, most powerful first.
fn roles() -> [&'static str; 3] {
    protocol::AgentRole::ALL.map(protocol::AgentRole::as_str)
}

/// One agent's row: role, capacity, status, and the buttons that change them.
#[component]
fn MemberRow(m: Member, change: Callback<(i64, Value)>) -> impl IntoView {
    let roles = roles();
    let (on_role, on_capacity, on_active, on_password) = (change, change, change, change);
    let id = m.id;
    let name = m.name.clone();
    let active = m.active;
    view! {
        <tr class:inactive=!active>
            <td>{m.name.clone()}</td>
            <td>{m.email.clone()}</td>
            <td>
                <select aria-label=text("team-role") on:change=move |ev| on_role.run((id, json!({ "role": event_target_value(&ev) })))>
                    {roles.iter().map(|r| view! {
                        <option value=*r selected=m.role.as_str() == *r>{text(&format!("role-{r}"))}</option>
                    }).collect_view()}
                </select>
            </td>
            <td>
                <input type="number" min="1" max="50" aria-label=text("team-capacity") value=m.capacity
                    on:change=move |ev| {
                        if let Ok(capacity) = event_target_value(&ev).parse::<u32>() {
                            on_capacity.run((id, json!({ "capacity": capacity })));
                        }
                    }/>
            </td>
            <td>{text(match m.status {
                Some(protocol::AgentStatus::Online) => "status-online",
                Some(protocol::AgentStatus::Away) => "status-away",
                _ => "status-offline",
            })}</td>
            <td>
                <button on:click=move |_| on_active.run((id, json!({ "active": !active })))>
                    {text(if active { "deactivate" } else { "activate" })}
                </button>
                " "
                <button class="link" on:click=move |_| {
                    let question = crate::i18n::text_with("new-password-for", &[("name", name.clone())]);
                    let answer = web_sys::window().and_then(|w| w.prompt_with_message(&question).ok().flatten());
                    if let Some(password) = answer.filter(|p| !p.is_empty()) {
                        on_password.run((id, json!({ "password": password })));
                    }
                }>{text("reset-password")}</button>
            </td>
        </tr>
    }
}

/// The form that adds an agent; the relay's refusal shows in `error`.
#[component]
fn AddMember(url: String, error: RwSignal<Option<String>>, reload: Callback<()>) -> impl IntoView {
    let roles = roles();
    let (email, name, password, role) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new("agent".to_owned()),
    );
    let add = {
        let url = url.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let body = json!({ "email": email.get_untracked(), "name": name.get_untracked(),
                               "password": password.get_untracked(), "role": role.get_untracked() });
            let url = url.clone();
            spawn_local(async move {
                match api::post::<Value>(&url, &body).await {
                    Ok(_) => {
                        error.set(None);
                        email.set(String::new());
                        name.set(String::new());
                        password.set(String::new());
                    }
                    Err(e) => error.set(Some(e.message)),
                }
                reload.run(());
            });
        }
    };
    view! {
        <h2>{text("team-add")}</h2>
        <form class="stacked" on:submit=add>
            <label><span>{text("team-name")}</span>
                <input required prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
            <label><span>{text("email")}</span>
                <input type="email" required prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/></label>
            <label><span>{text("team-password")}</span>
                <input type="password" autocomplete="new-password" minlength="8" required
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/></label>
            <label><span>{text("team-role")}</span>
                <select on:change=move |ev| role.set(event_target_value(&ev))>
                    {roles.iter().map(|r| view! { <option value=*r selected=*r == "agent">{text(&format!("role-{r}"))}</option> }).collect_view()}
                </select></label>
            <button type="submit">{text("team-add")}</button>
        </form>
    }
}
