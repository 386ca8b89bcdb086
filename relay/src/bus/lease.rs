//! One owner per store's desk (issue 16): a lease per store in a NATS JetStream key-value
//! bucket whose entries expire.
//!
//! The bucket keeps each key for [`Leases::ttl`] after its last write. A node takes a desk by
//! creating `desk.STORE` (only one create can win), keeps it by rewriting the entry every third
//! of the TTL with the revision it last wrote (a compare-and-set: a node that lost the lease
//! cannot renew it), and lets go by deleting it. A node that dies stops renewing; its entry
//! expires within the TTL and the next node to try creates it. With the 6 s default and tries
//! every 2 s, another node holds the desk within 8 s of the owner's last renewal.
//!
//! What a desk owner does with the lease (routing decisions, the first-reply sweep) builds on
//! this; see docs/operations.md for what is in place.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::kv;

/// How long a lease outlives its holder's last renewal by default.
pub const DEFAULT_TTL: Duration = Duration::from_secs(6);

/// This node's view of the desks' leases.
pub struct Leases {
    kv: kv::Store,
    /// This node's name in the leases it holds.
    node: String,
    ttl: Duration,
    /// The desks this node holds, with the revision of its last write.
    held: Mutex<HashMap<i64, u64>>,
}

fn key(store_id: i64) -> String {
    format!("desk.{store_id}")
}

impl Leases {
    /// Opens (creating if needed) the leases bucket `bucket` (the cluster's, see
    /// [`super::Space::bucket`]) with entries that live `ttl`; `node` names this node in the
    /// leases it takes.
    pub async fn open(client: async_nats::Client, bucket: &str, node: &str, ttl: Duration) -> anyhow::Result<Leases> {
        let jetstream = async_nats::jetstream::new(client);
        // The bucket's stream made by hand, as `create_key_value` would: that call first reads
        // the account's limits in a shape NATS 2.9 does not send.
        let stream = async_nats::jetstream::stream::Config {
            name: format!("KV_{bucket}"),
            subjects: vec![format!("$KV.{bucket}.>")],
            max_messages_per_subject: 1,
            max_age: ttl,
            // Retried writes within this window are not doubled; it may not exceed the age.
            duplicate_window: ttl,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            discard: async_nats::jetstream::stream::DiscardPolicy::New,
            num_replicas: 1,
            ..Default::default()
        };
        jetstream
            .get_or_create_stream(stream)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("creating the desks' lease bucket (is JetStream on in the NATS server?)")?;
        let kv = jetstream.get_key_value(bucket).await.context("opening the desks' lease bucket")?;
        Ok(Leases { kv, node: node.to_owned(), ttl, held: Mutex::new(HashMap::new()) })
    }

    /// How long a lease outlives its holder's last renewal.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<i64, u64>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether this node holds the store's desk (as of its last renewal).
    pub fn holds(&self, store_id: i64) -> bool {
        self.held().contains_key(&store_id)
    }

    /// Takes the store's desk if nobody holds it; true when this node holds it now.
    pub async fn try_take(&self, store_id: i64) -> anyhow::Result<bool> {
        if self.holds(store_id) {
            return Ok(true);
        }
        match self.kv.create(key(store_id), self.node.clone().into()).await {
            Ok(revision) => {
                self.held().insert(store_id, revision);
                Ok(true)
            }
            Err(error) if error.kind() == kv::CreateErrorKind::AlreadyExists => Ok(false),
            Err(error) => Err(error).context("taking a desk's lease"),
        }
    }

    /// Who holds the store's desk: the holder's node name, `None` when nobody does.
    pub async fn owner(&self, store_id: i64) -> anyhow::Result<Option<String>> {
        let value = self.kv.get(key(store_id)).await.context("reading a desk's lease")?;
        Ok(value.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// Renews every lease this node holds; returns the stores whose lease it lost (another
    /// node took it after it expired, or NATS refused). Call it every third of the TTL.
    pub async fn renew(&self) -> Vec<i64> {
        let held: Vec<(i64, u64)> = self.held().iter().map(|(s, r)| (*s, *r)).collect();
        let mut lost = Vec::new();
        for (store_id, revision) in held {
            match self.kv.update(key(store_id), self.node.clone().into(), revision).await {
                Ok(next) => {
                    self.held().insert(store_id, next);
                }
                Err(error) => {
                    tracing::warn!(%error, store_id, "lost a desk's lease");
                    self.held().remove(&store_id);
                    lost.push(store_id);
                }
            }
        }
        lost
    }

    /// Lets go of the store's desk at once (a clean shutdown), so another node need not wait
    /// for the lease to expire.
    pub async fn release(&self, store_id: i64) {
        let Some(revision) = self.held().remove(&store_id) else { return };
        if let Err(error) = self.kv.delete_expect_revision(key(store_id), Some(revision)).await {
            tracing::debug!(%error, store_id, "could not release a desk's lease");
        }
    }
}
