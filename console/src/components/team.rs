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
                    {move || members.get().into_iter().map(|m| {
                        let own = m.id == desk.my_id();
                        view! { <MemberRow m own change/> }
                    }).collect_view()}
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

/// One agent's row: role, capacity, status, and the buttons that change them. On the agent's
/// own row the role and Deactivate are not offered (nobody demotes or locks out themselves by a
/// slip); Deactivate asks first, and a new password is typed in a masked field.
#[component]
fn MemberRow(m: Member, own: bool, change: Callback<(i64, Value)>) -> impl IntoView {
    let roles = roles();
    let id = m.id;
    let name = m.name.clone();
    let active = m.active;
    let confirming = RwSignal::new(false);
    let setting_password = RwSignal::new(false);
    let role_cell = if own {
        view! { <span>{text(&format!("role-{}", m.role.as_str()))}</span> }.into_any()
    } else {
        view! {
            <select aria-label=crate::i18n::text_with("role-of", &[("name", name.clone())])
                on:change=move |ev| change.run((id, json!({ "role": event_target_value(&ev) })))>
                {roles.iter().map(|r| view! {
                    <option value=*r selected=m.role.as_str() == *r>{text(&format!("role-{r}"))}</option>
                }).collect_view()}
            </select>
        }
        .into_any()
    };
    let question = crate::i18n::text_with("deactivate-confirm", &[("name", name.clone())]);
    view! {
        <tr class:inactive=!active>
            <td>{m.name.clone()}</td>
            <td>{m.email.clone()}</td>
            <td>{role_cell}</td>
            <td>
                <input type="number" min="1" max="50" value=m.capacity
                    aria-label=crate::i18n::text_with("capacity-of", &[("name", name.clone())])
                    on:change=move |ev| {
                        if let Ok(capacity) = event_target_value(&ev).parse::<u32>() {
                            change.run((id, json!({ "capacity": capacity })));
                        }
                    }/>
            </td>
            <td>{text(match m.status {
                Some(protocol::AgentStatus::Online) => "status-online",
                Some(protocol::AgentStatus::Away) => "status-away",
                _ => "status-offline",
            })}</td>
            <td>
                {(!own).then(|| view! {
                    <button on:click=move |_| {
                        if active { confirming.set(true) } else { change.run((id, json!({ "active": true }))) }
                    }>{text(if active { "deactivate" } else { "activate" })}</button>
                    " "
                })}
                <button class="link" on:click=move |_| setting_password.set(true)>{text("reset-password")}</button>
                <Show when=move || confirming.get()>
                    <div class="dialog" role="alertdialog" aria-label=text("deactivate")>
                        <p>{question.clone()}</p>
                        <button on:click=move |_| {
                            confirming.set(false);
                            change.run((id, json!({ "active": false })));
                        }>{text("deactivate")}</button>
                        <button class="link" on:click=move |_| confirming.set(false)>{text("cancel")}</button>
                    </div>
                </Show>
                <Show when=move || setting_password.get()>
                    <PasswordDialog id name=name.clone() change open=setting_password/>
                </Show>
            </td>
        </tr>
    }
}

/// A new password for one agent, typed in a masked field (never `prompt()`, which shows it).
#[component]
fn PasswordDialog(id: i64, name: String, change: Callback<(i64, Value)>, open: RwSignal<bool>) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let label = crate::i18n::text_with("new-password-for", &[("name", name)]);
    let title = label.clone();
    view! {
        <form class="dialog stacked" role="dialog" aria-label=title on:submit=move |ev| {
            ev.prevent_default();
            open.set(false);
            change.run((id, json!({ "password": password.get_untracked() })));
        }>
            <label><span>{label}</span>
                <input type="password" autocomplete="new-password" minlength="8" required
                    on:input=move |ev| password.set(event_target_value(&ev))/></label>
            <button type="submit">{text("set-password")}</button>
            <button type="button" class="link" on:click=move |_| open.set(false)>{text("cancel")}</button>
        </form>
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
