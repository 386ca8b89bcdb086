//! Getting the agent's attention: a short tone, the unread count in the tab title, and a
//! desktop notification once the agent has allowed them.

use web_sys::{AudioContext, Notification, NotificationOptions, NotificationPermission};

thread_local! {
    /// One audio context for the page's life (browsers limit how many exist).
    static AUDIO: Option<AudioContext> = AudioContext::new().ok();
}

/// Whether the console's tab is in front.
pub fn page_visible() -> bool {
    web_sys::window().and_then(|w| w.document()).is_none_or(|d| !d.hidden())
}

/// Where the agent's choice to mute the tone is kept.
const MUTED_KEY: &str = "parley-console:muted";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Whether the agent turned the tone off (remembered in this browser).
pub fn muted() -> bool {
    local_storage().and_then(|s| s.get_item(MUTED_KEY).ok().flatten()).is_some()
}

/// Turns the tone off or on.
pub fn set_muted(muted: bool) {
    if let Some(storage) = local_storage() {
        let _ = if muted { storage.set_item(MUTED_KEY, "1") } else { storage.remove_item(MUTED_KEY) };
    }
}

/// Plays a short two-note tone, unless muted.
pub fn chime() {
    if muted() {
        return;
    }
    AUDIO.with(|audio| {
        let Some(audio) = audio else { return };
        let _ = audio.resume();
        let start = audio.current_time();
        for (i, frequency) in [880.0f32, 1320.0].into_iter().enumerate() {
            let (Ok(tone), Ok(gain)) = (audio.create_oscillator(), audio.create_gain()) else { return };
            tone.frequency().set_value(frequency);
            let at = start + i as f64 * 0.12;
            gain.gain().set_value(0.0);
            let _ = gain.gain().linear_ramp_to_value_at_time(0.15, at + 0.01);
            let _ = gain.gain().linear_ramp_to_value_at_time(0.0, at + 0.11);
            let _ = tone.connect_with_audio_node(&gain);
            let _ = gain.connect_with_audio_node(&audio.destination());
            let _ = tone.start_with_when(at);
            let _ = tone.stop_with_when(at + 0.12);
        }
    });
}

/// Whether desktop notifications may be shown.
pub fn notifications_allowed() -> bool {
    Notification::permission() == NotificationPermission::Granted
}

/// Whether the agent has not yet been asked about notifications.
pub fn notifications_undecided() -> bool {
    Notification::permission() == NotificationPermission::Default
}

/// Asks the browser for permission to notify (must follow a click).
pub fn ask_for_notifications() {
    let _ = Notification::request_permission();
}

/// A tone, and a desktop notification when allowed and the console is not in front.
pub fn ring(title: &str, body: &str) {
    chime();
    if notifications_allowed() && !page_visible() {
        let options = NotificationOptions::new();
        options.set_body(body);
        options.set_tag("parley");
        let _ = Notification::new_with_options(title, &options);
    }
}

/// Puts the unread count before the page title: "(3) Parley console".
pub fn show_count(count: u32, title: &str) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        let text = if count > 0 { format!("({count}) {title}") } else { title.to_owned() };
        document.set_title(&text);
    }
}
