//! Proactive messages on the page: once the store's rules come with the settings, the rule
//! that fits this page (`chat_model::proactive` decides which, and whether this browser may see
//! it) is shown in a bubble above the launcher after its seconds on the page or its scroll
//! depth. Time counts from the page's load (`performance.now()`), so a widget started late
//! waits no longer. What was shown is remembered: per rule for a day (localStorage), and that
//! one was shown in this visit (sessionStorage).

use chat_model::proactive::{due, pick, Shown};
use leptos::prelude::*;
use protocol::ProactiveRule;

use crate::storage;

/// What the bubble above the launcher says: a proactive rule's message, or the first message
/// of a chat an agent started.
#[derive(Clone, Debug, PartialEq)]
pub struct Bubble {
    /// The proactive rule, when it is one.
    pub rule: Option<i64>,
    /// Who says it (the agent's name; the bot's when absent).
    pub author: Option<String>,
    /// What it says, as text.
    pub text: String,
}

/// The bubble on screen, and the proactive message the shopper answered (the conversation their
/// first message opens starts with it).
#[derive(Clone, Copy)]
pub struct Nudge {
    /// The bubble, while it shows.
    pub shown: RwSignal<Option<Bubble>>,
    /// The proactive message the shopper opened the chat from, until their conversation exists.
    pub answered: RwSignal<Option<Bubble>>,
}

impl Nudge {
    /// Nothing shown yet.
    pub fn new() -> Nudge {
        Nudge { shown: RwSignal::new(None), answered: RwSignal::new(None) }
    }

    /// The shopper opened the chat from the bubble.
    pub fn answer(self) {
        self.answered.set(self.shown.get_untracked().filter(|b| b.rule.is_some()));
        self.shown.set(None);
    }
}

/// The page's path and query, as rules match them.
fn path() -> String {
    let location = web_sys::window().map(|w| w.location());
    let part = |f: fn(&web_sys::Location) -> Result<String, wasm_bindgen::JsValue>| {
        location.as_ref().and_then(|l| f(l).ok()).unwrap_or_default()
    };
    part(web_sys::Location::pathname) + &part(web_sys::Location::search)
}

/// Milliseconds since the page loaded.
fn on_page_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// How far down the page the shopper has seen, in per cent.
fn scrolled() -> f64 {
    let Some(window) = web_sys::window() else { return 0.0 };
    let seen = window.scroll_y().unwrap_or(0.0) + window.inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(0.0);
    let height = window.document().and_then(|d| d.document_element()).map_or(0, |e| e.scroll_height());
    if height <= 0 {
        return 100.0;
    }
    seen * 100.0 / f64::from(height)
}

/// Picks this page's rule once the rules come, and shows it when due, unless the chat is open
/// or a conversation is going by then.
pub fn watch(
    nudge: Nudge,
    rules: RwSignal<Vec<ProactiveRule>>,
    store: String,
    open: RwSignal<bool>,
    going: impl Fn() -> bool + Copy + 'static,
) {
    let store = StoredValue::new(store);
    Effect::new(move |_| {
        let rules = rules.get();
        let shown = Shown::read(
            &storage::load(&store.get_value(), "proactive").unwrap_or_default(),
            storage::load_for_visit(&store.get_value(), "proactive").is_some(),
        );
        let now = js_sys::Date::now() as i64;
        let Some(rule) = pick(&rules, &path(), &shown, going(), now).cloned() else { return };
        let (after_secs, scroll_percent) = (rule.rule.after_secs, rule.rule.scroll_percent);
        let rule = StoredValue::new(rule);
        let show = move || {
            if nudge.shown.get_untracked().is_some() || open.get_untracked() || going() {
                return;
            }
            let mut shown = shown.clone();
            shown.note(rule.with_value(|r| r.id), js_sys::Date::now() as i64);
            storage::save(&store.get_value(), "proactive", &shown.remembered(js_sys::Date::now() as i64));
            storage::save_for_visit(&store.get_value(), "proactive", "1");
            let (id, text) = rule.with_value(|r| (r.id, r.rule.message.clone()));
            nudge.shown.set(Some(Bubble { rule: Some(id), author: None, text }));
        };
        let due_now = move || rule.with_value(|r| due(r, on_page_ms(), scrolled()));
        if due_now() {
            return show();
        }
        let fired = StoredValue::new(false);
        let once = move || {
            if !fired.get_value() && due_now() {
                fired.set_value(true);
                show();
            }
        };
        let once = StoredValue::new_local(once);
        if let Some(secs) = after_secs {
            let wait = (f64::from(secs) * 1000.0 - on_page_ms()).max(0.0);
            set_timeout(move || once.with_value(|f| f()), std::time::Duration::from_millis(wait as u64 + 1));
        }
        if scroll_percent.is_some() {
            let listener = window_event_listener(leptos::ev::scroll, move |_| once.with_value(|f| f()));
            on_cleanup(move || listener.remove());
        }
    });
}
