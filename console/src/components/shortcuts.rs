//! Keyboard shortcuts for an agent's eight-hour day: next and previous conversation, the reply
//! box, search, claim, close, and `?` for the sheet that lists them. Keys act on what the screen
//! shows (the inbox's order, the open conversation's buttons), so a shortcut never does what a
//! click could not. Typing in a field is never taken for a shortcut.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::i18n::text;

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    /// The conversation below the open one in the list.
    Next,
    /// The one above.
    Previous,
    /// Into the reply box.
    Reply,
    /// Into the search box.
    Search,
    /// Claim the open conversation.
    Claim,
    /// Close it (the closing dialog opens).
    Close,
    /// Show or hide the sheet of shortcuts.
    Sheet,
    /// Hide the sheet.
    Dismiss,
}

/// Every shortcut with its key, in the sheet's order.
pub const ALL: [(&str, Shortcut, &str); 7] = [
    ("j", Shortcut::Next, "shortcut-next"),
    ("k", Shortcut::Previous, "shortcut-previous"),
    ("r", Shortcut::Reply, "shortcut-reply"),
    ("/", Shortcut::Search, "shortcut-search"),
    ("c", Shortcut::Claim, "shortcut-claim"),
    ("x", Shortcut::Close, "shortcut-close"),
    ("?", Shortcut::Sheet, "shortcut-sheet"),
];

/// The shortcut of a key press; none while typing in a field or with Ctrl, Alt or Meta held
/// (those belong to the browser).
pub fn shortcut_of(key: &str, typing: bool, modified: bool) -> Option<Shortcut> {
    if key == "Escape" {
        return Some(Shortcut::Dismiss);
    }
    if typing || modified {
        return None;
    }
    ALL.iter().find(|(k, ..)| *k == key).map(|(_, s, _)| *s)
}

/// Whether the key press comes from a place where keys are text.
fn typing_in(target: Option<web_sys::EventTarget>) -> bool {
    let Some(element) = target.and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) else { return false };
    matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || element.is_content_editable()
}

fn query(selector: &str) -> Option<web_sys::HtmlElement> {
    let document = web_sys::window()?.document()?;
    document.query_selector(selector).ok().flatten()?.dyn_into().ok()
}

/// Opens the conversation `step` rows away from the open one (the first row when none is open).
fn move_in_list(step: i32) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(rows) = document.query_selector_all(".conversations button.conversation") else { return };
    let rows: Vec<web_sys::HtmlElement> =
        (0..rows.length()).filter_map(|i| rows.item(i)?.dyn_into::<web_sys::HtmlElement>().ok()).collect();
    if rows.is_empty() {
        return;
    }
    let open = rows.iter().position(|r| r.class_list().contains("selected"));
    let to = match open {
        None => 0,
        Some(at) => (at as i32 + step).clamp(0, rows.len() as i32 - 1) as usize,
    };
    rows[to].click();
}

/// Does what the shortcut asks on the current screen.
fn perform(shortcut: Shortcut, sheet: RwSignal<bool>) {
    match shortcut {
        Shortcut::Next => move_in_list(1),
        Shortcut::Previous => move_in_list(-1),
        Shortcut::Reply => {
            if let Some(field) = query(".composer textarea") {
                let _ = field.focus();
            }
        }
        Shortcut::Search => {
            if let Some(field) = query("input.conversation-search") {
                let _ = field.focus();
            }
        }
        Shortcut::Claim => {
            if let Some(button) = query(".conversation-head button[data-shortcut='c']:not([disabled])") {
                button.click();
            }
        }
        Shortcut::Close => {
            if let Some(button) = query(".conversation-head button[data-shortcut='x']") {
                button.click();
            }
        }
        Shortcut::Sheet => sheet.update(|open| *open = !*open),
        Shortcut::Dismiss => sheet.set(false),
    }
}

/// Listens for the shortcuts on the inbox page and shows the sheet when asked.
#[component]
pub fn Shortcuts() -> impl IntoView {
    let sheet = RwSignal::new(false);
    let listener = window_event_listener(leptos::ev::keydown, move |ev| {
        let modified = ev.ctrl_key() || ev.alt_key() || ev.meta_key();
        let Some(shortcut) = shortcut_of(&ev.key(), typing_in(ev.target()), modified) else { return };
        if shortcut == Shortcut::Dismiss && !sheet.get_untracked() {
            return;
        }
        ev.prevent_default();
        perform(shortcut, sheet);
    });
    on_cleanup(move || listener.remove());
    view! {
        <Show when=move || sheet.get()>
            <div class="dialog shortcuts" role="dialog" aria-labelledby="shortcuts-title">
                <h2 id="shortcuts-title">{text("shortcuts-title")}</h2>
                <dl>
                    {ALL.iter().map(|(key, _, label)| view! {
                        <div><dt><kbd>{*key}</kbd></dt><dd>{text(label)}</dd></div>
                    }).collect_view()}
                </dl>
                <button class="link" on:click=move |_| sheet.set(false)>{text("dismiss")}</button>
            </div>
        </Show>
        <button class="link shortcuts-hint" on:click=move |_| sheet.set(true)>{text("shortcuts-hint")}</button>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_shortcuts_only_outside_fields_and_without_modifiers() {
        assert_eq!(shortcut_of("j", false, false), Some(Shortcut::Next));
        assert_eq!(shortcut_of("?", false, false), Some(Shortcut::Sheet));
        assert_eq!(shortcut_of("j", true, false), None, "a j typed in the reply box is a letter");
        assert_eq!(shortcut_of("c", false, true), None, "Ctrl+C copies");
        assert_eq!(shortcut_of("Escape", true, false), Some(Shortcut::Dismiss));
        assert_eq!(shortcut_of("q", false, false), None);
    }
}
