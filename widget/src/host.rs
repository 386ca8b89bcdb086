//! What the loader left for the widget: `window.Parley`, with the store key, the relay's
//! origin, the Shadow DOM root to render into, and whether the shopper already clicked.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::ShadowRoot;

/// The page-level facts the widget starts from.
pub struct Host {
    /// The store key from the script tag's `data-store`.
    pub store: String,
    /// The relay's origin, `http(s)://host:port`.
    pub relay: String,
    /// The open shadow root the loader attached.
    pub root: ShadowRoot,
    /// True when the shopper clicked the launcher before the widget had loaded, or was
    /// pressing it as the widget started (that click never reaches the placeholder).
    pub want_open: bool,
}

fn field(object: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

impl Host {
    /// Reads `window.Parley`; `None` when the widget was loaded without the loader.
    pub fn from_page() -> Option<Host> {
        let global = field(&web_sys::window()?.into(), "Parley");
        Some(Host {
            store: field(&global, "store").as_string()?,
            relay: field(&global, "relay").as_string()?,
            root: field(&global, "root").dyn_into().ok()?,
            want_open: field(&global, "wantOpen").is_truthy(),
        })
    }

    /// Tells the page the widget has taken over: `Parley.loaded` becomes the time it did
    /// (`performance.now()`), which with `Parley.t0` (when loading began) times the load.
    pub fn mark_loaded(&self) {
        if let Some(window) = web_sys::window() {
            let now = window.performance().map_or(1.0, |p| p.now());
            let global = field(&window.into(), "Parley");
            let _ = js_sys::Reflect::set(&global, &JsValue::from_str("loaded"), &JsValue::from_f64(now));
        }
    }

    /// The visitor WebSocket URL for this store.
    pub fn socket_url(&self) -> String {
        let ws_origin = self.relay.replacen("http", "ws", 1);
        format!("{ws_origin}/ws/visitor?store={}", js_sys::encode_uri_component(&self.store))
    }
}
