//! One browser WebSocket that comes back after a drop, for the widget's and the console's
//! connection services: it opens the socket with its three handlers, keeps the handlers alive as
//! long as the socket, detaches them when the socket goes, and says how long to wait before the
//! next attempt (exponential backoff with jitter, so that a relay restart is not met by every
//! client at once).
//!
//! It holds no reactive state and schedules nothing itself: each app keeps one in its service,
//! decides what a frame means, and sets its own timer with the delay given here.

use std::time::Duration;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

/// The first retry waits about this long; each further one doubles it.
const FIRST_RETRY_MS: f64 = 500.0;

/// A socket and what it needs to come back.
#[derive(Default)]
pub struct Socket {
    socket: Option<WebSocket>,
    handlers: Vec<Closure<dyn FnMut(Event)>>,
    attempt: u32,
    retry_scheduled: bool,
}

impl Socket {
    /// Whether a socket is open or opening.
    pub fn is_open(&self) -> bool {
        self.socket.is_some()
    }

    /// Opens a socket to `url` with its handlers: `on_open`, `on_text` for each text frame, and
    /// `on_close` with the close code and reason. False when the browser refused to create it
    /// (schedule a retry then).
    pub fn open(
        &mut self,
        url: &str,
        mut on_open: impl FnMut() + 'static,
        mut on_text: impl FnMut(String) + 'static,
        mut on_close: impl FnMut(u16, String) + 'static,
    ) -> bool {
        let Ok(socket) = WebSocket::new(url) else { return false };
        let opened = Closure::<dyn FnMut(Event)>::new(move |_| on_open());
        let message = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            if let Some(text) = event.dyn_ref::<MessageEvent>().and_then(|m| m.data().as_string()) {
                on_text(text);
            }
        });
        let closed = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            let (code, reason) =
                event.dyn_ref::<CloseEvent>().map_or((1006, String::new()), |c| (c.code(), c.reason()));
            on_close(code, reason);
        });
        socket.set_onopen(Some(opened.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(closed.as_ref().unchecked_ref()));
        self.socket = Some(socket);
        self.handlers = vec![opened, message, closed];
        true
    }

    /// Sends a text frame; false when there is no socket or the browser refused.
    pub fn send(&self, text: &str) -> bool {
        self.socket.as_ref().is_some_and(|s| s.send_with_str(text).is_ok())
    }

    /// Lets go of a socket that closed: its handlers are detached before they are dropped.
    pub fn forget(&mut self) {
        if let Some(socket) = self.socket.take() {
            socket.set_onopen(None);
            socket.set_onmessage(None);
            socket.set_onclose(None);
        }
        self.handlers.clear();
    }

    /// Closes the socket on purpose: no handler runs afterwards.
    pub fn close(&mut self) {
        if let Some(socket) = &self.socket {
            let _ = socket.close();
        }
        self.forget();
    }

    /// The link works again: the next drop starts the backoff from the beginning.
    pub fn connected(&mut self) {
        self.attempt = 0;
    }

    /// How long to wait before the next attempt: `min(max, 0.5 s · 2^attempt)`, scaled by a
    /// random 50–100 %. `None` when an attempt is already scheduled.
    pub fn retry_delay(&mut self, max: Duration) -> Option<Duration> {
        if self.retry_scheduled {
            return None;
        }
        let ceiling = (FIRST_RETRY_MS * 2f64.powi(self.attempt.min(16) as i32)).min(max.as_millis() as f64);
        self.retry_scheduled = true;
        self.attempt += 1;
        Some(Duration::from_millis((ceiling * (0.5 + js_sys::Math::random() / 2.0)) as u64))
    }

    /// The scheduled attempt is starting now.
    pub fn retrying(&mut self) {
        self.retry_scheduled = false;
    }
}
