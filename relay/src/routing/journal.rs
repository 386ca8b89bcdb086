//! The routing journal: makes routing decisions durable in the order they were taken, then
//! announces them.
//!
//! The desk decides in memory under its lock and hands the result here before letting go, so
//! the order of decisions is the order of this queue. One task drains the queue: everything
//! waiting is written in one transaction (one fsync for a whole burst of new conversations), then
//! each decision's frames go out, in order, and its caller is told. The desk lock is never held
//! across a disk write, so a burst of shoppers does not queue up behind the disk one by one.

use std::sync::Arc;

use protocol::ServerFrame;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::error::Result;
use crate::fanout::{Audience, Fanout};
use crate::store::{RoutingEvent, Store};

/// Most decisions written in one transaction.
const MAX_BATCH: usize = 1024;

/// One decision: its timeline events, the frames that announce it, and its caller.
pub struct Entry {
    /// What to write.
    pub events: Vec<RoutingEvent>,
    /// What to send once it is written.
    pub frames: Vec<(Audience, ServerFrame)>,
    /// Told when the events are on disk and the frames queued.
    pub done: oneshot::Sender<Result<()>>,
}

/// The sending side, held by the routing service.
pub type Journal = mpsc::UnboundedSender<Entry>;

/// Writes and announces decisions until the relay shuts down, then finishes those queued.
pub async fn run(
    store: Store,
    fanout: Arc<dyn Fanout>,
    mut entries: mpsc::UnboundedReceiver<Entry>,
    shutdown: CancellationToken,
) {
    let mut batch = Vec::new();
    loop {
        let received = tokio::select! {
            biased;
            n = entries.recv_many(&mut batch, MAX_BATCH) => n,
            _ = shutdown.cancelled() => {
                entries.close();
                entries.recv_many(&mut batch, usize::MAX).await
            }
        };
        if received == 0 {
            return;
        }
        write_and_announce(&store, &*fanout, std::mem::take(&mut batch)).await;
    }
}

async fn write_and_announce(store: &Store, fanout: &dyn Fanout, batch: Vec<Entry>) {
    let events: Vec<&RoutingEvent> = batch.iter().flat_map(|e| &e.events).collect();
    let written = store.record_events(&events).await.map_err(crate::error::Error::from);
    if let Err(error) = &written {
        tracing::error!(%error, decisions = batch.len(), "routing decisions could not be recorded");
    }
    for entry in batch {
        if written.is_ok() {
            for (audience, frame) in &entry.frames {
                fanout.publish(audience, frame);
            }
        }
        let _ = entry.done.send(written.clone());
    }
}
