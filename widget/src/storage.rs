//! What the widget remembers across page loads, in localStorage, per store: the signed visitor
//! token and whether a conversation is going (so the loader reconnects at once next time).
//! Storage can be missing or full (private modes); the widget then simply forgets.

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn key(store: &str, what: &str) -> String {
    format!("parley:{store}:{what}")
}

/// Reads a remembered value.
pub fn load(store: &str, what: &str) -> Option<String> {
    local_storage()?.get_item(&key(store, what)).ok()?
}

/// Remembers a value.
pub fn save(store: &str, what: &str, value: &str) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(&key(store, what), value);
    }
}
