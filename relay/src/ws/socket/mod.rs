//! One WebSocket, split into a reader loop and a writer task.
//!
//! The writer owns the sending half and drains the socket's outbox (so the hub, the session and
//! anybody else can queue frames without touching the socket), and pings every 25 s so that dead
//! peers and idle proxies are noticed. The reader turns text frames into typed frames for a
//! [`Session`], answers bad input with an error frame and keeps going, and ends the socket on
//! shutdown, on a kick (outbox overflow), on a read error or after 75 s of silence.

use std::future::Future;
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesOrdered;
use futures_util::{FutureExt, StreamExt};
use protocol::{DecodeError, ErrorCode, ServerFrame};
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use crate::error::Error;
use crate::hub::{outbox, Outgoing, Peer};

mod write;

use write::write_loop;

/// A socket silent this long (no frame, no pong) is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(75);
/// A client must introduce itself (`hello`, `login`, `resume`) this soon after connecting.
const INTRODUCTION_TIMEOUT: Duration = Duration::from_secs(15);

/// How long an ending socket waits for its sends in flight to be finished.
const FINISH_GRACE: Duration = Duration::from_secs(5);

/// How long a closing socket waits for the client's close reply.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

pub use crate::fanout::close_code;

/// What a session wants after handling a frame.
pub enum Flow {
    /// Keep reading.
    Continue,
    /// Close the socket with this code and reason.
    Close(u16, String),
}

/// The sending side of a socket, handed to its session.
pub struct Out {
    peer: Peer,
}

impl Out {
    /// This socket as the hub registers it.
    pub fn peer(&self) -> Peer {
        self.peer.clone()
    }

    /// Queues a frame for this socket: its own answers always go in (only frames from others
    /// count against the outbox's capacity).
    pub async fn send(&self, frame: &ServerFrame) {
        let text = Utf8Bytes::from(protocol::encode(frame));
        // A closed outbox means the writer is gone; the reader is about to notice.
        self.peer.tx.push(Outgoing::Text(text));
    }

    /// Queues an error frame.
    pub async fn error(&self, code: ErrorCode, message: impl Into<String>, client_id: Option<String>) {
        self.refuse(&Error::new(code, message), client_id).await;
    }

    /// Tells the client of a refusal; `client_id` names the refused message.
    pub async fn refuse(&self, error: &Error, client_id: Option<String>) {
        self.send(&error.frame(client_id)).await;
    }
}

/// Most sends of one socket waiting for the disk at once. Past it the socket reads on and
/// refuses the next sends as `busy` (in their turn), rather than leaving them unread: frames
/// left in the kernel's buffer are late where no measure of the relay's load sees them (a
/// sender at 500 messages a second waited seconds that way while the writer's queue stayed
/// short).
const MAX_IN_FLIGHT: usize = 16;

/// Most sends of one socket in flight or refused and waiting for their turn to be told; past
/// it the socket stops reading until the oldest is finished.
const MAX_UNTOLD: usize = 256;

/// How long a sender refused for having too many sends in flight is told to wait.
const FULL_SOCKET_WAIT: Duration = Duration::from_millis(200);

/// A send on its way to the disk: it resolves to what the session needs to finish it.
pub type InFlight<D> = BoxFuture<'static, D>;

/// What handling a frame came to.
pub enum Handled<D> {
    /// Done; the socket goes on (or closes) as the flow says.
    Now(Flow),
    /// A send was queued for the disk: the socket reads on, and the session finishes it (with
    /// `accepted`, or a refusal) once it resolves, in the order the sends came.
    Later(InFlight<D>),
}

impl<D> From<Flow> for Handled<D> {
    fn from(flow: Flow) -> Self {
        Handled::Now(flow)
    }
}

/// The protocol logic of one kind of socket (visitor or agent).
///
/// Sends are pipelined: a socket may have up to [`MAX_IN_FLIGHT`] messages waiting for the
/// disk while it reads the next frames, and their acknowledgements (or refusals) leave in the
/// order the sends came. Any other frame waits until the sends before it are finished, so a
/// close or a read mark never overtakes a message.
pub trait Session: Send {
    /// The frames this kind of client sends.
    type Frame: DeserializeOwned + Send;
    /// What a send resolves to, for [`Session::finish`].
    type Done: Send + 'static;
    /// Their `type` values.
    const TYPES: &'static [&'static str];
    /// The kind of client, as the open-sockets metric labels it.
    const KIND: &'static str;
    /// Whether the client has introduced itself yet.
    fn introduced(&self) -> bool;
    /// Whether the frame is a send, which may go on while earlier sends wait for the disk.
    fn pipelined(frame: &Self::Frame) -> bool;
    /// A send that came while the socket is full, refused without being queued: with `busy`
    /// unless the sender's own checks refuse it first (a limit the sender keeps ignoring
    /// still ends the socket). Finished in its turn like the sends before it.
    fn too_many(&mut self, frame: Self::Frame, busy: Error) -> Self::Done;
    /// Handles one frame.
    fn handle(&mut self, frame: Self::Frame, out: &Out) -> impl Future<Output = Handled<Self::Done>> + Send;
    /// Finishes a send once its write resolved (in the order the sends came).
    fn finish(&mut self, done: Self::Done, out: &Out) -> impl Future<Output = Flow> + Send;
}

/// Finishes the oldest send in flight (all of them with `all`); the first `Close` ends it.
async fn settle<S: Session>(
    session: &mut S,
    in_flight: &mut FuturesOrdered<InFlight<S::Done>>,
    out: &Out,
    all: bool,
) -> Flow {
    while let Some(done) = in_flight.next().await {
        if let Flow::Close(code, reason) = Box::pin(session.finish(done, out)).await {
            return Flow::Close(code, reason);
        }
        if !all {
            break;
        }
    }
    Flow::Continue
}

/// Finishes the sends in flight whose writes have already resolved, oldest first (refusals,
/// writes whose batch committed), so that only sends still waiting for the disk count against
/// [`MAX_IN_FLIGHT`]; the first `Close` ends it.
async fn settle_ready<S: Session>(
    session: &mut S,
    in_flight: &mut FuturesOrdered<InFlight<S::Done>>,
    out: &Out,
) -> Flow {
    while let Some(Some(done)) = in_flight.next().now_or_never() {
        if let Flow::Close(code, reason) = Box::pin(session.finish(done, out)).await {
            return Flow::Close(code, reason);
        }
    }
    Flow::Continue
}

/// What the socket's loop woke up for.
enum Woke<D> {
    Frame(Result<Option<Result<Message, axum::Error>>, tokio::time::error::Elapsed>),
    Finished(Option<D>),
}

/// Runs a socket until it ends, then lets the writer flush its last frames.
pub async fn drive<S: Session>(socket: WebSocket, peer_id: u64, shutdown: CancellationToken, mut session: S) {
    let _counted = crate::metrics::OpenSocket::new(S::KIND);
    let (sink, mut stream) = socket.split();
    let (tx, rx) = outbox();
    let kick = CancellationToken::new();
    let writer_done = CancellationToken::new();
    let writer = tokio::spawn(write_loop(sink, rx, writer_done.clone()));
    let out = Out { peer: Peer { id: peer_id, tx: tx.clone(), kick: kick.clone() } };
    let mut in_flight: FuturesOrdered<InFlight<S::Done>> = FuturesOrdered::new();

    let ending: Option<(u16, String)> = loop {
        let limit = if session.introduced() { IDLE_TIMEOUT } else { INTRODUCTION_TIMEOUT };
        let woke = tokio::select! {
            _ = shutdown.cancelled() => break Some((close_code::GOING_AWAY, "relay shutting down".into())),
            _ = kick.cancelled() => break Some((close_code::TRY_AGAIN_LATER, "too far behind; reconnect".into())),
            _ = writer_done.cancelled() => break None,
            done = in_flight.next(), if !in_flight.is_empty() => Woke::Finished(done),
            next = tokio::time::timeout(limit, stream.next()) => Woke::Frame(next),
        };
        let next = match woke {
            Woke::Finished(Some(done)) => match Box::pin(session.finish(done, &out)).await {
                Flow::Close(code, reason) => break Some((code, reason)),
                Flow::Continue => continue,
            },
            Woke::Finished(None) => continue,
            Woke::Frame(next) => next,
        };
        let message = match next {
            Err(_) if session.introduced() => break Some((close_code::PROTOCOL_ERROR, "idle for too long".into())),
            Err(_) => {
                out.error(ErrorCode::NotAuthenticated, "no hello, login or resume in time", None).await;
                break Some((close_code::PROTOCOL_ERROR, "no introduction in time".into()));
            }
            Ok(None) => break None,
            Ok(Some(Err(e))) => break Some(read_error_close(&e)),
            Ok(Some(Ok(message))) => message,
        };
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(_) => {
                out.error(ErrorCode::BinaryNotSupported, "frames are JSON text", None).await;
                continue;
            }
            Message::Close(_) => break None,
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        if let Flow::Close(code, reason) = take(&mut session, &mut in_flight, &out, peer_id, text.as_str()).await {
            break Some((code, reason));
        }
    };

    // Sends still waiting for the disk are finished first: their messages reach the other side
    // (and the bot), and their acknowledgements leave before the close.
    let _ = tokio::time::timeout(FINISH_GRACE, settle(&mut session, &mut in_flight, &out, true)).await;
    if let Some((code, reason)) = ending {
        tx.push(Outgoing::Close(code, reason));
        drain(&mut stream).await;
    }
    // Unregister from the hub before waiting, so that nobody queues to a dying socket.
    drop(session);
    drop(out);
    drop(tx);
    let _ = tokio::time::timeout(Duration::from_secs(5), writer).await;
}

/// One text frame from the client: decoded and handled, or refused with a clear error. A
/// pipelined frame (a `send`) may be answered later; past the socket's limits earlier ones are
/// settled first, or it is refused as `busy`.
async fn take<S: Session>(
    session: &mut S,
    in_flight: &mut FuturesOrdered<InFlight<S::Done>>,
    out: &Out,
    peer_id: u64,
    text: &str,
) -> Flow {
    let frame = match protocol::decode::<S::Frame>(text, S::TYPES) {
        Ok(frame) => frame,
        Err(e) => {
            tracing::info!(peer = peer_id, error = ?e, "refused a frame");
            out.error(e.code(), e.to_string(), client_id_of(text, &e)).await;
            return Flow::Continue;
        }
    };
    let all = !S::pipelined(&frame);
    if !all && in_flight.len() >= MAX_IN_FLIGHT {
        if let Flow::Close(code, reason) = settle_ready(session, in_flight, out).await {
            return Flow::Close(code, reason);
        }
    }
    if all || in_flight.len() >= MAX_UNTOLD {
        if let Flow::Close(code, reason) = settle(session, in_flight, out, all).await {
            return Flow::Close(code, reason);
        }
    } else if in_flight.len() >= MAX_IN_FLIGHT {
        crate::metrics::full_socket_refusal();
        let refused = session.too_many(frame, Error::busy(FULL_SOCKET_WAIT));
        in_flight.push_back(Box::pin(std::future::ready(refused)));
        return Flow::Continue;
    }
    // Boxed: handling a frame involves large futures (queries); an idle socket should not carry
    // their size for its whole life.
    match Box::pin(session.handle(frame, out)).await {
        Handled::Now(flow) => flow,
        Handled::Later(send) => {
            in_flight.push_back(send);
            Flow::Continue
        }
    }
}

/// After the close frame is queued: reads on until the client answers it (or briefly).
/// Dropping a socket with unread input makes the kernel reset it, and the client would never
/// see why it was closed. After a read error nothing more can be read: it lingers until the
/// deadline instead, so the close frame is on its way before the kernel sees unread input.
async fn drain(stream: &mut futures_util::stream::SplitStream<WebSocket>) {
    let deadline = tokio::time::Instant::now() + CLOSE_GRACE;
    let reading = async {
        loop {
            match stream.next().await {
                Some(Ok(_)) => continue,
                Some(Err(_)) => tokio::time::sleep_until(deadline).await,
                None => return,
            }
        }
    };
    let _ = tokio::time::timeout_at(deadline, reading).await;
}

/// The `client_id` of a refused `send`, so the sender can mark exactly that message failed.
/// A frame too large to be parsed has none (see docs/protocol.md).
fn client_id_of(text: &str, error: &DecodeError) -> Option<String> {
    if matches!(error, DecodeError::TooLarge(_)) {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    value.get("client_id")?.as_str().map(str::to_owned)
}

/// The close code and reason for a socket whose read failed: 1009 for a frame over the size
/// limit, 1002 for anything else the peer broke.
fn read_error_close(error: &axum::Error) -> (u16, String) {
    use std::error::Error as _;
    let text = error.to_string();
    tracing::debug!(error = ?text, "websocket read failed");
    let cause = error.source().and_then(|s| s.downcast_ref::<tungstenite::Error>());
    let code = match cause {
        Some(tungstenite::Error::Capacity(_)) => close_code::MESSAGE_TOO_BIG,
        _ => close_code::PROTOCOL_ERROR,
    };
    (code, close_reason(text))
}

/// Most bytes of a close reason (RFC 6455 leaves 123 after the code).
const MAX_CLOSE_REASON_BYTES: usize = 123;

/// A close reason cut to the size a close frame allows, at a character boundary.
fn close_reason(mut text: String) -> String {
    if text.len() > MAX_CLOSE_REASON_BYTES {
        let end = (0..=MAX_CLOSE_REASON_BYTES).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_are_cut_at_a_character_boundary() {
        let long = "é".repeat(100);
        let cut = close_reason(long);
        assert!(cut.len() <= MAX_CLOSE_REASON_BYTES && cut.chars().all(|c| c == 'é'));
        assert_eq!(close_reason("short".into()), "short");
    }

    #[test]
    fn read_errors_are_told_apart_by_type() {
        let too_big = tungstenite::Error::Capacity(tungstenite::error::CapacityError::MessageTooLong {
            size: 1 << 20,
            max_size: 1 << 18,
        });
        assert_eq!(read_error_close(&axum::Error::new(too_big)).0, close_code::MESSAGE_TOO_BIG);
        let broken = tungstenite::Error::Protocol(tungstenite::error::ProtocolError::NonZeroReservedBits);
        assert_eq!(read_error_close(&axum::Error::new(broken)).0, close_code::PROTOCOL_ERROR);
    }
}
