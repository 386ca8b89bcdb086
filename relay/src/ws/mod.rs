//! WebSocket endpoints: `/ws/visitor` for shoppers' widgets and `/ws/agent` for agents' clients.
//!
//! Each socket runs [`socket::drive`] with a session that holds the protocol state of its side.
//! Sessions turn frames into store writes and hub deliveries; they never touch SQL or sockets
//! directly.

pub mod agent;
mod away;
mod identity;
mod proactive;
pub mod socket;
pub mod visitor;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use protocol::{ErrorCode, Seq, ServerFrame, MAX_CLIENT_ID_BYTES, MAX_TEXT_CHARS};

use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::Store;
use socket::Out;

/// The two socket endpoints, for the relay's router.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/ws/visitor", get(visitor::upgrade)).route("/ws/agent", get(agent::upgrade))
}

/// Drops typing reports that come faster than clients are meant to send them.
#[derive(Default)]
pub(crate) struct TypingThrottle {
    last: Option<tokio::time::Instant>,
}

impl TypingThrottle {
    /// Whether a report arriving now should be passed on.
    pub(crate) fn pass(&mut self) -> bool {
        let now = tokio::time::Instant::now();
        let every = std::time::Duration::from_millis(protocol::TYPING_EVERY_MS * 3 / 4);
        if self.last.is_some_and(|last| now - last < every) {
            return false;
        }
        self.last = Some(now);
        true
    }
}

/// Counts `rate_limited` refusals in a row on one socket. The widget waits as it is told; a
/// client that keeps sending regardless only makes the relay parse and refuse, so after
/// [`IgnoredWaits::MOST`] refusals with nothing served between them its socket is closed (and
/// its reconnections are limited per address).
#[derive(Default)]
pub(crate) struct IgnoredWaits(u32);

impl IgnoredWaits {
    /// Refusals in a row a socket may collect.
    pub(crate) const MOST: u32 = 20;

    /// A frame was refused for going over a limit; true when the socket must now close.
    pub(crate) fn refused(&mut self) -> bool {
        self.0 += 1;
        self.0 > Self::MOST
    }

    /// A frame was served: the count starts again.
    pub(crate) fn served(&mut self) {
        self.0 = 0;
    }
}

/// Refuses a connection attempt over the per-address limit (429).
pub(crate) fn admit(state: &AppState, peer: std::net::SocketAddr, who: &str) -> Result<()> {
    state.limits.connection(peer.ip()).map_err(|wait| {
        tracing::info!(ip = %peer.ip(), "too many {who} connections");
        Error::rate_limited("connections", wait)
    })
}

/// Upgrades to a WebSocket run by `session`, tracked so that shutdown waits for it.
pub(crate) fn upgrade_into<S: socket::Session + 'static>(
    state: &AppState,
    ws: axum::extract::ws::WebSocketUpgrade,
    session: S,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let peer_id = state.hub.next_peer_id();
    let shutdown = state.shutdown.clone();
    let guard = state.sessions.token();
    state
        .configure(ws)
        .on_upgrade(move |socket| async move {
            socket::drive(socket, peer_id, shutdown, session).await;
            drop(guard);
        })
        .into_response()
}

/// How many messages one `history` frame carries at most.
const HISTORY_PAGE: u32 = 200;

/// Checks a message before it is stored: a sane client id and a non-blank text within limits.
pub(crate) fn check_message(client_id: &str, text: &str) -> Result<()> {
    if client_id.is_empty() || client_id.len() > MAX_CLIENT_ID_BYTES {
        return Err(Error::new(ErrorCode::BadClientId, format!("client_id must be 1 to {MAX_CLIENT_ID_BYTES} bytes")));
    }
    if text.trim().is_empty() {
        return Err(Error::new(ErrorCode::EmptyText, "the message is empty"));
    }
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(Error::new(
            ErrorCode::TextTooLong,
            format!("the message has {chars} characters; the limit is {MAX_TEXT_CHARS}"),
        ));
    }
    Ok(())
}

/// Sends the first page (at most [`HISTORY_PAGE`] messages) after `after_seq`. When `more`
/// is set the client asks for the next page with `sync`; no page is sent twice.
pub(crate) async fn send_history(store: &Store, out: &Out, conversation_id: i64, after_seq: Seq) -> Result<()> {
    let (messages, more) = store.messages_after(conversation_id, after_seq, HISTORY_PAGE).await?;
    out.send(&ServerFrame::History { conversation_id, messages, more }).await;
    Ok(())
}

/// Tells an agent what became of the conversation's emails (after its history).
pub(crate) async fn send_emails(state: &AppState, out: &Out, conversation_id: i64) -> Result<()> {
    for email in state.mail.emails_of(conversation_id).await? {
        out.send(&ServerFrame::EmailStatus { email }).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_checked_for_blank_long_text_and_bad_ids() {
        assert!(check_message("c1", "hello").is_ok());
        assert_eq!(check_message("c1", "  \n ").unwrap_err().code, ErrorCode::EmptyText);
        let long = "好".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(check_message("c1", &long).unwrap_err().code, ErrorCode::TextTooLong);
        assert!(check_message("c1", &"好".repeat(MAX_TEXT_CHARS)).is_ok(), "the limit counts characters, not bytes");
        assert_eq!(check_message("", "hi").unwrap_err().code, ErrorCode::BadClientId);
        assert_eq!(check_message(&"x".repeat(65), "hi").unwrap_err().code, ErrorCode::BadClientId);
    }
}
