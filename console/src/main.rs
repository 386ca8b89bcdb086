//! The agents' console (Leptos, client-side rendered, wasm32), served by the relay at
//! `/console/`.
//!
//! It asks the relay who is signed in (the session is an HttpOnly cookie the page cannot
//! read), shows the sign-in form or the workspace, and talks to the relay over one agent socket
//! ([`desk::Desk`]) plus a few JSON calls ([`api`]).

mod alerts;
mod api;
mod components;
mod desk;
mod hours;
mod i18n;

use leptos::prelude::*;
use leptos::task::spawn_local;

use api::Me;
use components::{SignIn, Workspace};

/// Sign-in or workspace, whichever the session calls for.
#[component]
fn App() -> impl IntoView {
    let me = RwSignal::new(None::<Me>);
    let checked = RwSignal::new(false);
    spawn_local(async move {
        // The probe answers `null` rather than 401 before anyone signed in: no error in the log.
        if let Ok(found) = api::get::<Option<Me>>("/api/session?probe=1").await {
            me.set(found);
        }
        checked.set(true);
    });
    let signed_in = move |found: Me| me.set(Some(found));
    let signed_out = move || me.set(None);
    view! {
        <Show when=move || checked.get()>
            {move || match me.get() {
                Some(found) => view! { <Workspace me=found on_sign_out=signed_out/> }.into_any(),
                None => view! { <SignIn on_signed_in=signed_in/> }.into_any(),
            }}
        </Show>
    }
}

fn main() {
    // The page takes the UI's language and direction: Arabic reads right to left.
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("lang", &i18n::locale());
        let _ = root.set_attribute("dir", i18n::dir());
    }
    leptos::mount::mount_to_body(App);
}
