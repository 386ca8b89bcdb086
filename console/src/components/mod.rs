//! The console's screens and their parts, one component per file.

mod bot_rules;
mod bot_texts;
mod canned;
mod composer;
mod context_panel;
mod conversation;
mod inbox;
mod install;
mod integrations;
mod orders_panel;
mod preview;
mod proactive;
mod reports;
mod settings;
mod shortcuts;
mod sign_in;
mod tags;
mod team;
mod visitors;
mod webhooks;
mod week_editor;
mod workspace;

pub use sign_in::SignIn;
pub use workspace::Workspace;

/// A short label for a shopper: the email they left, else "Shopper" and a bit of their id.
pub fn shopper_label(summary: &protocol::ConversationSummary) -> String {
    match &summary.follow_up_email {
        Some(email) => email.clone(),
        None => {
            let short: String = summary.visitor_id.chars().filter(|c| c.is_ascii_alphanumeric()).take(6).collect();
            crate::i18n::text_with("shopper-label", &[("id", short)])
        }
    }
}

/// How long a shopper has waited, in the unit it reads best in: "45 s", "17 min", "2 h 5 min"
/// (never "17:18", which reads as a time of day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Under a minute.
    Seconds(u64),
    /// Under an hour.
    Minutes(u64),
    /// An hour or more: hours and minutes.
    Hours(u64, u64),
}

/// The wait of `ms` milliseconds.
pub fn wait_of(ms: f64) -> Wait {
    let secs = (ms.max(0.0) / 1000.0) as u64;
    match secs {
        0..60 => Wait::Seconds(secs),
        60..3600 => Wait::Minutes(secs / 60),
        _ => Wait::Hours(secs / 3600, secs / 60 % 60),
    }
}

/// A wait of `ms` milliseconds in the console's language.
pub fn elapsed(ms: f64) -> String {
    let text = crate::i18n::text_with;
    match wait_of(ms) {
        Wait::Seconds(n) => text("wait-seconds", &[("n", n.to_string())]),
        Wait::Minutes(n) => text("wait-minutes", &[("n", n.to_string())]),
        Wait::Hours(h, m) => text("wait-hours", &[("h", h.to_string()), ("m", m.to_string())]),
    }
}

/// The time of day of a timestamp (ms), in the console's language.
pub fn clock(ms: f64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"hour".into(), &"numeric".into());
    let _ = js_sys::Reflect::set(&options, &"minute".into(), &"2-digit".into());
    date.to_locale_time_string_with_options(&crate::i18n::locale(), &options).into()
}
