//! The console's screens and their parts, one component per file.

mod canned;
mod composer;
mod context_panel;
mod conversation;
mod inbox;
mod install;
mod settings;
mod sign_in;
mod team;
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

/// `m:ss` (or `h:mm:ss`) for a wait of `ms` milliseconds.
pub fn elapsed(ms: f64) -> String {
    let secs = (ms.max(0.0) / 1000.0) as u64;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// The time of day of a timestamp (ms), in the console's language.
pub fn clock(ms: f64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"hour".into(), &"2-digit".into());
    let _ = js_sys::Reflect::set(&options, &"minute".into(), &"2-digit".into());
    date.to_locale_time_string_with_options(&crate::i18n::locale(), &options).into()
}
