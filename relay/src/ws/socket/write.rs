//! The writing half of a socket: drains the outbox into the sink, a batch of frames per flush,
//! pings on a timer, and sends the close frame the outbox ends with.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use tokio_util::sync::CancellationToken;

use crate::hub::{OutboxReader, Outgoing};

/// The writer pings this often.
const PING_EVERY: Duration = Duration::from_secs(25);

/// Writes until the outbox ends, a close is sent or the peer is gone; then cancels `done`.
pub(super) async fn write_loop(mut sink: SplitSink<WebSocket, Message>, mut rx: OutboxReader, done: CancellationToken) {
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        let result = tokio::select! {
            item = rx.recv() => match item {
                Some(Outgoing::Text(text)) => match write_pending(&mut sink, &mut rx, text).await {
                    Ok(Some(close)) => {
                        let _ = sink.send(close).await;
                        break;
                    }
                    Ok(None) => Ok(()),
                    Err(e) => Err(e),
                },
                Some(Outgoing::Close(code, reason)) => {
                    let _ = sink.send(close_message(code, reason)).await;
                    break;
                }
                None => {
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                }
            },
            _ = ping.tick() => sink.send(Message::Ping(Default::default())).await,
        };
        if result.is_err() {
            break;
        }
    }
    done.cancel();
}

/// The most frames put into one write: a busy agent's socket carries thousands a second, and a
/// write (a system call) per frame would cost more than the frames.
const FRAMES_PER_WRITE: usize = 64;

/// Sends `first` and whatever else already waits in the outbox (up to [`FRAMES_PER_WRITE`]) with
/// one flush; the close frame found among them, if any, is returned unsent.
async fn write_pending(
    sink: &mut SplitSink<WebSocket, Message>,
    rx: &mut OutboxReader,
    first: Utf8Bytes,
) -> Result<Option<Message>, axum::Error> {
    sink.feed(Message::Text(first)).await?;
    let mut close = None;
    for _ in 1..FRAMES_PER_WRITE {
        match rx.try_recv() {
            Some(Outgoing::Text(text)) => sink.feed(Message::Text(text)).await?,
            Some(Outgoing::Close(code, reason)) => {
                close = Some(close_message(code, reason));
                break;
            }
            None => break,
        }
    }
    sink.flush().await?;
    Ok(close)
}

pub(super) fn close_message(code: u16, reason: String) -> Message {
    Message::Close(Some(CloseFrame { code, reason: reason.into() }))
}
