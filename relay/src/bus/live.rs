//! "Visitors now" across relays: each node knows only the shoppers whose widget holds a socket
//! to it ([`Live`]), so a console asking any node gathers every node's list. A request on
//! `parley.CLUSTER.live.STORE` is answered by every node with its list for that store; the asker takes
//! what arrives within [`GATHER_WITHIN`] (a node that does not answer in time, or is gone, is
//! left out).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use super::Bus;
use crate::live::{Live, MAX_LISTED};

/// How long a console's request waits for the other nodes' lists.
pub const GATHER_WITHIN: Duration = Duration::from_millis(150);

impl Bus {
    /// Answers the other nodes' "who is on this store's site" from `live`, until `stop`.
    pub async fn serve_live(self: Arc<Self>, live: Arc<Live>, stop: CancellationToken) {
        let mut requests = match self.client.subscribe(self.space.subject("live.*")).await {
            Ok(subscriber) => subscriber,
            Err(error) => {
                tracing::error!(%error, "could not answer for Visitors now across relays");
                return;
            }
        };
        loop {
            let request = tokio::select! {
                next = requests.next() => match next { Some(request) => request, None => return },
                () = stop.cancelled() => return,
            };
            let store_id = request.subject.rsplit('.').next().and_then(|id| id.parse::<i64>().ok());
            let (Some(store_id), Some(reply)) = (store_id, request.reply) else { continue };
            if request.payload.as_ref() == self.node.to_le_bytes() {
                continue; // its own request: the asker has its own list
            }
            match serde_json::to_vec(&live.here(store_id)) {
                Ok(list) => {
                    if let Err(error) = self.client.publish(reply, list.into()).await {
                        tracing::debug!(%error, "could not answer a Visitors now request");
                    }
                }
                Err(error) => tracing::error!(%error, "could not encode a Visitors now list"),
            }
        }
    }

    /// The store's shoppers on the site as every node sees them, `mine` (this node's) included:
    /// one entry per shopper with the earliest start of their visit, the latest first.
    pub async fn live_everywhere(&self, store_id: i64, mine: Vec<(String, i64)>) -> Vec<(String, i64)> {
        let mut all: HashMap<String, i64> = mine.into_iter().collect();
        let inbox = self.client.new_inbox();
        if let Ok(mut answers) = self.client.subscribe(inbox.clone()).await {
            let asked = self
                .client
                .publish_with_reply(
                    self.space.subject(&format!("live.{store_id}")),
                    inbox,
                    self.node.to_le_bytes().to_vec().into(),
                )
                .await;
            if asked.is_ok() {
                let until = tokio::time::Instant::now() + GATHER_WITHIN;
                while let Ok(Some(answer)) = tokio::time::timeout_at(until, answers.next()).await {
                    let Ok(list) = serde_json::from_slice::<Vec<(String, i64)>>(&answer.payload) else { continue };
                    for (visitor, since) in list {
                        let earliest = all.entry(visitor).or_insert(since);
                        *earliest = (*earliest).min(since);
                    }
                }
            }
            let _ = answers.unsubscribe().await;
        }
        let mut all: Vec<(String, i64)> = all.into_iter().collect();
        all.sort_by_key(|(_, since)| std::cmp::Reverse(*since));
        all.truncate(MAX_LISTED);
        all
    }
}
