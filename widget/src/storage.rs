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

/// A link from an email (`#parley=<visitor token>`, see the relay's `http/email_links.rs`):
/// keeps the token as this store's visitor, so the widget resumes that shopper's
/// conversation, and takes it out of the address bar.
pub fn take_link_token(store: &str) {
    let Some(window) = web_sys::window() else { return };
    let (Ok(hash), Ok(href)) = (window.location().hash(), window.location().href()) else { return };
    let Some(token) = hash.split(['#', '&']).find_map(|part| part.strip_prefix("parley=")) else { return };
    if token.is_empty() || !token.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
        return;
    }
    save(store, "token", token);
    save(store, "conversation", "1");
    if let Ok(history) = window.history() {
        let bare = href.split('#').next().unwrap_or_default();
        let _ = history.replace_state_with_url(&history.state().unwrap_or_default(), "", Some(bare));
    }
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// Reads a value kept for this tab's visit (sessionStorage).
pub fn load_for_visit(store: &str, what: &str) -> Option<String> {
    session_storage()?.get_item(&key(store, what)).ok()?
}

/// Keeps a value for this tab's visit.
pub fn save_for_visit(store: &str, what: &str, value: &str) {
    if let Some(storage) = session_storage() {
        let _ = storage.set_item(&key(store, what), value);
    }
}
