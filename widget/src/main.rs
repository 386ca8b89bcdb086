//! The shopper's chat widget (Leptos's reactive system, views built by [`dom`], wasm32).
//!
//! The loader (`widget/loader.js`) has already drawn a placeholder launcher inside an open Shadow
//! DOM and left `window.Parley`. This program replaces the placeholder with the real widget in
//! the same shadow root, so the page's CSS and the widget's never meet.

mod api;
mod components;
mod connection;
mod dom;
mod help;
mod host;
mod i18n;
mod json;
mod proactive;
mod storage;
mod visit;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use components::{launcher, nudge_bubble, panel, Ui};
use connection::Connection;
use dom::{el, El};
use help::Help;
use host::Host;

/// How long the address must stay put before the page is reported to agents.
const PAGE_QUIET: std::time::Duration = std::time::Duration::from_millis(250);

/// What a `parley:*` window event from the loader does.
type ShopCall = Box<dyn Fn()>;

/// The colour, text colour and corner the loader's launcher wore.
type Worn = Option<(String, &'static str, String)>;

/// The whole widget: the launcher and the panel, sharing one connection.
fn widget(store: String, relay: String, socket_url: String, start_open: bool, worn: Worn) -> El {
    storage::take_link_token(&store);
    let help = Help::new(&relay, &store);
    let nudge = proactive::Nudge::new();
    let connection = Connection::new(store.clone(), socket_url);
    let i18n: &'static i18n::I18n = Box::leak(Box::new(i18n::from_browser()));
    let (lang, dir) = (i18n.locale(), i18n.dir());
    let open = RwSignal::new(start_open);
    let ui = Ui { open, connection, help, nudge, i18n };
    if connection.has_conversation() {
        connection.connect();
    }
    proactive::watch(nudge, help.proactive, store, open, move || connection.has_conversation());
    // A store whose agents see who is on the site: the widget stays connected on every page.
    Effect::new(move |_| {
        if help.live.get() {
            connection.connect();
        }
    });
    // A chat an agent started: the panel opens when the store allows it, else the bubble says it.
    Effect::new(move |_| {
        let Some((name, text)) = connection.started_by_agent.get() else { return };
        if help.agent_chat_opens.get_untracked() {
            open.set(true);
        } else if !open.get_untracked() {
            let author = Some(name).filter(|n| !n.is_empty());
            nudge.shown.set(Some(proactive::Bubble { rule: None, author, text }));
        }
    });
    follow_the_address(connection);
    hear_the_shop(connection, open);
    // The store's colour and corner, remembered so the loader draws the launcher right next time.
    // Until the settings come, the look the loader's launcher wore: the real launcher appears
    // where the shopper is pointing.
    help.look.set(worn);
    help.load_settings();
    let look = help.look;
    let style = move || look.get().map(|(colour, text, _)| format!("--pl-accent:{colour};--pl-accent-text:{text}"));
    let left = move || look.get().is_some_and(|(_, _, position)| position == "left");
    follow_open(open, help, connection);
    // The widget's own language and direction, never the page's (an Arabic storefront must not
    // half-mirror an English widget, nor the reverse).
    let root = el("div")
        .class("pl-root")
        .attr("lang", &lang)
        .attr("dir", dir)
        .class_when("is-open", move || open.get())
        .class_when("is-left", left)
        .attr_with("style", style)
        .child(panel(ui));
    nudge_bubble(root, ui).child(launcher(ui))
}

/// Reports the page to agents: at once, then after every address change once it has been
/// quiet for [`PAGE_QUIET`].
fn follow_the_address(connection: Connection) {
    // The page is noted at once; single-page shops change the address without a load: the
    // loader turns every History API change into `parley:navigate`, and back/forward is
    // `popstate`. Nothing runs while the shopper stays on a page.
    // Reports wait for a quarter second of quiet: a shop sets the new page's title right
    // after changing the address, and some call replaceState on every scroll.
    connection.report_page();
    let pending = StoredValue::new_local(None::<TimeoutHandle>);
    let moved = move || {
        if let Some(timer) = pending.try_update_value(Option::take).flatten() {
            timer.clear();
        }
        let timer = set_timeout_with_handle(move || connection.report_page(), PAGE_QUIET);
        pending.set_value(timer.ok());
    };
    for event in ["parley:navigate", "popstate", "hashchange"] {
        let listener = window_event_listener_untyped(event, move |_| moved());
        on_cleanup(move || listener.remove());
    }
}

/// The shop's calls (`Parley.open()`, `identify`…) and the page's hiding and showing, heard as
/// window events.
fn hear_the_shop(connection: Connection, open: RwSignal<bool>) {
    // Leaving the page closes the socket (the back/forward cache would keep it open); a page
    // brought back reconnects.
    let calls: [(&str, ShopCall); 7] = [
        ("pagehide", Box::new(move || connection.pause())),
        ("pageshow", Box::new(move || connection.resume())),
        ("parley:open", Box::new(move || open.set(true))),
        ("parley:close", Box::new(move || open.set(false))),
        ("parley:identify", Box::new(move || connection.restart())),
        ("parley:reset", Box::new(move || connection.restart())),
        ("parley:attributes", Box::new(move || connection.send_attributes())),
    ];
    for (event, call) in calls {
        let listener = window_event_listener_untyped(event, move |_| call());
        on_cleanup(move || listener.remove());
    }
}

/// Opening and closing: the shop hears of it, and an open panel loads the settings, connects
/// and marks what it shows as seen.
fn follow_open(open: RwSignal<bool>, help: Help, connection: Connection) {
    Effect::new(move |was_open: Option<bool>| {
        let is_open = open.get();
        if was_open.unwrap_or(false) != is_open {
            api::emit(if is_open { "open" } else { "close" }, &wasm_bindgen::JsValue::UNDEFINED);
        }
        connection.visible.set(is_open);
        if is_open {
            help.load_settings();
            connection.connect();
            connection.mark_seen();
        }
        is_open
    });
}

fn main() {
    let Some(host) = Host::from_page() else {
        web_sys::console::error_1(&"Parley: load the widget through widget.js".into());
        return;
    };
    // Replace the loader's placeholder launcher with the real one, keeping keyboard focus.
    let placeholder = host.root.query_selector("button.pl-launch").ok().flatten();
    let had_focus = placeholder.is_some() && host.root.active_element() == placeholder;
    let worn = placeholder.as_ref().and_then(|p| worn_look(p.unchecked_ref()));
    if let Some(placeholder) = placeholder {
        placeholder.remove();
    }
    let document = web_sys::window().and_then(|w| w.document()).expect("a page has a document");
    let mount: web_sys::HtmlElement = document.create_element("div").expect("creating a div").unchecked_into();
    host.root.append_child(&mount).expect("appending to the shadow root");
    let (store, relay, socket_url, start_open) =
        (host.store.clone(), host.relay.clone(), host.socket_url(), host.want_open);
    // Leptos's reactive system drives the views: its effects run on the browser's microtasks,
    // under one owner that lives as long as the page.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let owner = Owner::new();
    owner.set();
    std::mem::forget(owner);
    let _ = mount.append_child(&widget(store, relay, socket_url, start_open, worn).0);
    // The loader's frame (drawn on a cold tap while the wasm loaded) gives way to the panel.
    if let Ok(Some(frame)) = host.root.query_selector(".pl-frame") {
        frame.remove();
    }
    if had_focus {
        if let Ok(Some(launcher)) = host.root.query_selector("button.pl-launch") {
            let _ = launcher.unchecked_into::<web_sys::HtmlElement>().focus();
        }
    }
    host.mark_loaded();
}

/// The colour, text colour and corner the loader dressed its launcher in (from what it
/// remembered or fetched), if it dressed it.
fn worn_look(button: &web_sys::HtmlElement) -> Worn {
    let style = button.style();
    let corner = if button.class_list().contains("is-left") { "left" } else { "right" }.to_owned();
    let colour = style.get_property_value("background-color").ok().filter(|c| !c.is_empty());
    let dark_text = style.get_property_value("color").is_ok_and(|c| c == "rgb(29, 29, 31)");
    Some((colour.unwrap_or_else(|| "#1f5eff".into()), if dark_text { "#1d1d1f" } else { "#fff" }, corner))
}
