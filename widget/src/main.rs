//! The shopper's chat widget (Leptos, client-side rendered, wasm32).
//!
//! The loader (`widget/loader.js`) has already drawn a placeholder launcher inside an open Shadow
//! DOM and left `window.Parley`. This program replaces the placeholder with the real widget in
//! the same shadow root, so the page's CSS and the widget's never meet.

mod components;
mod connection;
mod help;
mod host;
mod i18n;
mod storage;
mod visit;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use components::{Launcher, Panel};
use connection::Connection;
use help::Help;
use host::Host;

/// The whole widget: the launcher and the panel, sharing one connection.
#[component]
fn Widget(store: String, relay: String, socket_url: String, start_open: bool) -> impl IntoView {
    let help = Help::new(&relay, &store);
    provide_context(help);
    let connection = Connection::new(store, socket_url);
    provide_context(connection);
    provide_context(i18n::from_browser());
    let open = RwSignal::new(start_open);
    if connection.has_conversation() {
        connection.connect();
    }
    // The page is noted at once; single-page shops change the address without a load, so it
    // is compared every second.
    connection.report_page();
    if let Ok(watch) = set_interval_with_handle(move || connection.report_page(), std::time::Duration::from_secs(1)) {
        on_cleanup(move || watch.clear());
    }
    // The store's colour and corner, remembered so the loader draws the launcher right next time.
    help.load_settings();
    let look = help.look;
    let style = move || look.get().map(|(colour, text, _)| format!("--pl-accent:{colour};--pl-accent-text:{text}"));
    let left = move || look.get().is_some_and(|(_, _, position)| position == "left");
    Effect::new(move |_| {
        let is_open = open.get();
        connection.visible.set(is_open);
        if is_open {
            help.load_settings();
            connection.connect();
            connection.mark_seen();
        }
    });
    view! {
        <div class="pl-root" class:is-open=move || open.get() class:is-left=left style=style>
            <Panel open=open/>
            <Launcher open=open/>
        </div>
    }
}

fn main() {
    let Some(host) = Host::from_page() else {
        web_sys::console::error_1(&"Parley: load the widget through widget.js".into());
        return;
    };
    // Replace the loader's placeholder launcher with the real one, keeping keyboard focus.
    let placeholder = host.root.query_selector("button.pl-launch").ok().flatten();
    let had_focus = placeholder.is_some() && host.root.active_element() == placeholder;
    if let Some(placeholder) = placeholder {
        placeholder.remove();
    }
    let document = web_sys::window().and_then(|w| w.document()).expect("a page has a document");
    let mount: web_sys::HtmlElement = document.create_element("div").expect("creating a div").unchecked_into();
    host.root.append_child(&mount).expect("appending to the shadow root");
    let (store, relay, socket_url, start_open) =
        (host.store.clone(), host.relay.clone(), host.socket_url(), host.want_open);
    leptos::mount::mount_to(mount, move || view! { <Widget store relay socket_url start_open/> }).forget();
    if had_focus {
        if let Ok(Some(launcher)) = host.root.query_selector("button.pl-launch") {
            let _ = launcher.unchecked_into::<web_sys::HtmlElement>().focus();
        }
    }
    host.mark_loaded();
}
