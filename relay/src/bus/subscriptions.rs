//! Which subjects this node listens on: one NATS subscription per room that has a socket here,
//! counted, made when the room's first socket joins and dropped when its last one leaves.
//!
//! The hub reports joins and leaves without waiting ([`Interest`]); one task applies them in
//! order, so a leave never overtakes its join. A socket that has just joined waits on
//! [`Interest::settled`] (the server has confirmed every subscription made so far) before it
//! reads its backlog: a frame published after that reaches it. (The client's `flush` only
//! writes the subscriptions out; a message this node sends itself and hears back is proof the
//! server has taken every subscription sent before it, since a server handles one connection's
//! commands in order.)

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::hub::{Hub, Interest, Room};

/// How long a joining socket waits for NATS to confirm its subscriptions; past it (NATS is
/// away) the socket carries on and the client subscribes again when it reconnects.
const SETTLE_WITHIN: Duration = Duration::from_secs(1);

enum Change {
    Watch(String),
    Unwatch(String),
    Settle(oneshot::Sender<()>),
}

/// The hub's side: queues changes for the task, naming each room's subject in the cluster's space.
struct Changes(UnboundedSender<Change>, super::Space);

impl Interest for Changes {
    fn watch(&self, room: &Room) {
        if let Some(subject) = self.1.room(room) {
            let _ = self.0.send(Change::Watch(subject));
        }
    }

    fn unwatch(&self, room: &Room) {
        if let Some(subject) = self.1.room(room) {
            let _ = self.0.send(Change::Unwatch(subject));
        }
    }

    fn settled(&self) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let (done, settled) = oneshot::channel();
        let queued = self.0.send(Change::Settle(done)).is_ok();
        Box::pin(async move {
            if queued {
                let _ = settled.await;
            }
        })
    }
}

/// How many subjects this node listens on (settled: after [`Interest::settled`] it counts
/// every change reported before).
pub(super) type Count = Arc<std::sync::atomic::AtomicUsize>;

/// Starts the task that keeps this node's subscriptions; returns what the hub reports to.
pub(super) fn start(
    client: async_nats::Client,
    space: super::Space,
    node: Node,
    stop: CancellationToken,
) -> Arc<dyn Interest> {
    let (changes, queued) = unbounded_channel();
    tokio::spawn(keep(client, node, queued, stop));
    Arc::new(Changes(changes, space))
}

/// What the subscriptions serve: this node's hub, its id on the bus, and the count.
pub(super) struct Node {
    pub hub: Arc<Hub>,
    pub id: u64,
    pub count: Count,
}

/// One subject's listeners here, and how to stop its subscription.
struct Listening {
    sockets: usize,
    stop: CancellationToken,
}

async fn keep(client: async_nats::Client, node: Node, mut queued: UnboundedReceiver<Change>, stop: CancellationToken) {
    let mut subjects = Subjects { client: client.clone(), node, listening: HashMap::new(), stop: stop.clone() };
    let mut echo = Echo::start(&client, subjects.node.id).await;
    let mut waiting = Vec::new();
    loop {
        let change = tokio::select! {
            next = queued.recv() => match next { Some(change) => change, None => break },
            () = stop.cancelled() => break,
        };
        // Everything queued meanwhile is applied too, and every socket waiting to settle is
        // answered by one round trip: a wave of joins costs one, not one each.
        let mut next = Some(change);
        while let Some(change) = next {
            match change {
                Change::Watch(subject) => subjects.watch(subject).await,
                Change::Unwatch(subject) => subjects.unwatch(&subject),
                Change::Settle(done) => waiting.push(done),
            }
            next = queued.try_recv().ok();
        }
        if !waiting.is_empty() {
            if let Some(echo) = echo.as_mut() {
                echo.round_trip(&client).await;
            }
            for done in waiting.drain(..) {
                let _ = done.send(());
            }
        }
    }
    subjects.listening.values().for_each(|listening| listening.stop.cancel());
}

/// The subjects this node listens on, counted by sockets.
struct Subjects {
    client: async_nats::Client,
    node: Node,
    listening: HashMap<String, Listening>,
    stop: CancellationToken,
}

impl Subjects {
    async fn watch(&mut self, subject: String) {
        if let Some(listening) = self.listening.get_mut(&subject) {
            listening.sockets += 1;
            return;
        }
        match self.client.subscribe(subject.clone()).await {
            Ok(subscriber) => {
                let ends = self.stop.child_token();
                let (hub, client) = (self.node.hub.clone(), self.client.clone());
                tokio::spawn(forward(subscriber, hub, client, self.node.id, ends.clone()));
                self.listening.insert(subject, Listening { sockets: 1, stop: ends });
                self.count();
            }
            Err(error) => tracing::warn!(%error, %subject, "could not subscribe on NATS"),
        }
    }

    fn unwatch(&mut self, subject: &str) {
        let Some(listening) = self.listening.get_mut(subject) else { return };
        listening.sockets -= 1;
        if listening.sockets == 0 {
            listening.stop.cancel();
            self.listening.remove(subject);
            self.count();
        }
    }

    fn count(&self) {
        self.node.count.store(self.listening.len(), std::sync::atomic::Ordering::Relaxed);
        crate::metrics::bus_subjects(self.listening.len());
    }
}

/// This node's own subject, for round trips through the server.
struct Echo {
    subject: String,
    heard: async_nats::Subscriber,
    sent: u64,
}

impl Echo {
    async fn start(client: &async_nats::Client, node: u64) -> Option<Echo> {
        let subject = format!("parley.echo.{node:016x}");
        match client.subscribe(subject.clone()).await {
            Ok(heard) => Some(Echo { subject, heard, sent: 0 }),
            Err(error) => {
                tracing::warn!(%error, "could not subscribe on NATS");
                None
            }
        }
    }

    /// Sends a numbered message to itself and waits (at most [`SETTLE_WITHIN`]) to hear it.
    async fn round_trip(&mut self, client: &async_nats::Client) {
        self.sent += 1;
        let number = self.sent.to_string();
        let heard = async {
            client.publish(self.subject.clone(), number.clone().into()).await.ok()?;
            while let Some(message) = self.heard.next().await {
                if message.payload == number.as_bytes() {
                    return Some(());
                }
            }
            None
        };
        if tokio::time::timeout(SETTLE_WITHIN, heard).await.ok().flatten().is_none() {
            tracing::debug!("NATS did not confirm subscriptions in time");
        }
    }
}

/// Hands one subject's messages to the hub until told to stop, then unsubscribes; answers
/// another node's "do you hold a socket of this" when it does.
async fn forward(
    mut subscriber: async_nats::Subscriber,
    hub: Arc<Hub>,
    client: async_nats::Client,
    node: u64,
    stop: CancellationToken,
) {
    loop {
        let message = tokio::select! {
            next = subscriber.next() => match next { Some(message) => message, None => return },
            () = stop.cancelled() => break,
        };
        let Some(envelope) = super::envelope_from(node, &message.payload) else { continue };
        match message.reply {
            Some(reply) if super::holds(&hub, &envelope) => {
                let _ = client.publish(reply, "here".into()).await;
            }
            Some(_) => {}
            None => super::deliver(&hub, envelope),
        }
    }
    let _ = subscriber.unsubscribe().await;
}
