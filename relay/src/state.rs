//! What the axum handlers extract: the services, already built, and the relay's lifetime.
//!
//! Nothing below the handlers (`ws`, `http`) sees this struct: routing, the conversation
//! service, the bot and the FAQ are each built with what they use (see `app::start`).

use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use protocol::MAX_FRAME_BYTES;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::VisitorTokens;
use crate::bot::Bot;
use crate::chat::Conversations;
use crate::fanout::Fanout;
use crate::faq::Faq;
use crate::hub::Hub;
use crate::limits::Limits;
use crate::routing::Routing;
use crate::store::Store;

/// Everything the request handlers share.
pub struct AppState {
    /// The database.
    pub store: Store,
    /// This relay's live sockets (sessions join it).
    pub hub: Arc<Hub>,
    /// Delivery to everyone else (the hub, or the bus between relays with `--nats`).
    pub fanout: Arc<dyn Fanout>,
    /// Signs and checks visitor tokens.
    pub tokens: VisitorTokens,
    /// Cancelled when the relay shuts down.
    pub shutdown: CancellationToken,
    /// Tracks live sockets so shutdown can wait for them.
    pub sessions: TaskTracker,
    /// Presence, assignment and the queue.
    pub routing: Arc<Routing>,
    /// Messages, closes, notes and read marks.
    pub chat: Arc<Conversations>,
    /// Automatic replies.
    pub bot: Arc<Bot>,
    /// Abuse limits.
    pub limits: Limits,
    /// FAQ search.
    pub faq: Arc<Faq>,
    /// Orders from the shops' order sources.
    pub orders: Arc<crate::orders::Orders>,
    /// Reports and the widget's reply-time line.
    pub reports: Arc<crate::reports::Reports>,
    /// Email to shoppers (follow-up replies, transcripts) and its links.
    pub mail: Arc<crate::mail::Mailer>,
    /// The stores' webhook endpoints and their deliveries.
    pub webhooks: Arc<crate::webhooks::Webhooks>,
    /// Who is on each store's site now (the console's "Visitors now"), on this relay.
    pub live: Arc<crate::live::Live>,
    /// The bus between relays, when there is one (`--nats`): "Visitors now" asks every node.
    pub bus: Option<Arc<crate::bus::Bus>>,
}

impl AppState {
    /// The store's shoppers on the site now, on every relay, the latest arrivals first: a
    /// shopper's id and when their visit began.
    pub async fn visitors_here(&self, store_id: i64) -> Vec<(String, i64)> {
        let mine = self.live.here(store_id);
        match &self.bus {
            Some(bus) => bus.live_everywhere(store_id, mine).await,
            None => mine,
        }
    }
}

/// Frames a socket's writer gathers before writing them out (it flushes after each batch
/// anyway); the buffer grows only as far as a busy socket needs, so an idle one stays small.
const WRITE_BUFFER_BYTES: usize = 16 * 1024;

impl AppState {
    /// Applies the relay's WebSocket limits: frames up to 256 KiB are read (and refused with an
    /// error frame above 16 KiB, the socket staying open), larger ones end the socket with close
    /// code 1009; small buffers keep an idle socket cheap.
    pub fn configure(&self, ws: WebSocketUpgrade) -> WebSocketUpgrade {
        ws.max_message_size(16 * MAX_FRAME_BYTES)
            .max_frame_size(16 * MAX_FRAME_BYTES)
            .read_buffer_size(512)
            .write_buffer_size(WRITE_BUFFER_BYTES)
    }
}
