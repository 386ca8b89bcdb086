//! The sign-in form: email and password, posted to `/api/session`, which answers with the
//! session cookie.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;

use crate::api::{self, Me};
use crate::i18n::text;

/// Email, password, "Sign in", and the relay's answer when it refuses.
#[component]
pub fn SignIn(on_signed_in: impl Fn(Me) + Copy + 'static) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    // Asked for only when the email and password open several stores (409 from the relay).
    let store = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let body = json!({ "email": email.get_untracked(), "password": password.get_untracked(),
                           "store": store.get_untracked() });
        spawn_local(async move {
            match api::post::<Me>("/api/session", &body).await {
                Ok(me) => on_signed_in(me),
                Err(e) if e.status == 401 => error.set(Some(text("sign-in-wrong"))),
                Err(e) if e.status == 409 => {
                    store.update(|s| *s = Some(s.clone().unwrap_or_default()));
                    error.set(Some(e.message));
                }
                Err(e) => error.set(Some(e.message)),
            }
            busy.set(false);
        });
    };
    view! {
        <main class="sign-in">
            <form on:submit=submit>
                <h1>{text("app-name")}</h1>
                <label>
                    <span>{text("email")}</span>
                    <input type="email" autocomplete="username" required
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))/>
                </label>
                <label>
                    <span>{text("password")}</span>
                    <input type="password" autocomplete="current-password" required
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))/>
                </label>
                <Show when=move || store.with(Option::is_some)>
                    <label>
                        <span>{text("sign-in-store")}</span>
                        <input type="text" required
                            prop:value=move || store.get().unwrap_or_default()
                            on:input=move |ev| store.set(Some(event_target_value(&ev)))/>
                    </label>
                </Show>
                <Show when=move || error.get().is_some()>
                    <p class="error" role="alert">{move || error.get()}</p>
                </Show>
                <button type="submit" disabled=move || busy.get()>{text("sign-in")}</button>
            </form>
        </main>
    }
}
