//! Orders from the shop's own order source (docs/orders.md), for the bot's answers and the
//! console's order panel.
//!
//! Each answer is kept for 60 s per store and lookup, so a shopper asking twice or an agent
//! opening the panel does not call the shop again; failures are not kept. At most four calls
//! to one store's source run at once, so a slow shop holds back only its own lookups, and each
//! call is bounded by the client (3 s, 1 MB, no redirects, public addresses only unless the
//! store allowed private ones).

pub mod clean;
pub mod client;
pub mod guard;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use client::{checked_url, sign, Lookup, SourceClient, SourceError, Target, MAX_BODY_BYTES, MAX_ORDERS, TIMEOUT};
use protocol::Order;
use tokio::sync::Semaphore;

use crate::store::Store;

/// The shortest order-source secret taken.
pub const MIN_SECRET_CHARS: usize = 16;

/// Checks an order-source setting before it is stored: an http(s) URL, not a private address
/// unless allowed, and a secret of at least [`MIN_SECRET_CHARS`] once there is a URL.
pub fn check_source(url: Option<&str>, secret: &str, allow_private: bool) -> Result<(), String> {
    let Some(url) = url else { return Ok(()) };
    checked_url(url, allow_private).map_err(|e| e.to_string())?;
    if secret.chars().count() < MIN_SECRET_CHARS {
        return Err(format!("the order source needs a secret of at least {MIN_SECRET_CHARS} characters"));
    }
    Ok(())
}

/// How long an answer of a source is used again.
pub const CACHE_FOR: Duration = Duration::from_secs(60);
/// Calls to one store's source at once.
const CALLS_PER_STORE: usize = 4;
/// Answers kept at most (older ones go first).
const MAX_CACHED: usize = 10_000;

type Cached = (Instant, Arc<Vec<Order>>);

/// The order lookups of every store.
pub struct Orders {
    store: Store,
    client: SourceClient,
    cache: Mutex<HashMap<(i64, Lookup), Cached>>,
    calls: Mutex<HashMap<i64, Arc<Semaphore>>>,
}

impl Orders {
    /// The service; fails only when TLS cannot be set up.
    pub fn new(store: Store) -> Result<Orders, reqwest::Error> {
        Ok(Orders { store, client: SourceClient::new()?, cache: Mutex::default(), calls: Mutex::default() })
    }

    /// Whether the store has an order source, and whether the bot answers while agents are
    /// online.
    pub async fn configured(&self, store_id: i64) -> Option<bool> {
        let settings = self.store.order_source(store_id).await.ok()?;
        settings.url.map(|_| settings.bot_answers)
    }

    /// Asks the store's source (or the cache); `Ok(None)` when the store has no source.
    pub async fn lookup(&self, store_id: i64, lookup: &Lookup) -> Result<Option<Arc<Vec<Order>>>, SourceError> {
        let settings = self.store.order_source(store_id).await.map_err(|e| SourceError::Failed(e.to_string()))?;
        let Some(url) = settings.url.as_deref() else { return Ok(None) };
        let key = (store_id, lookup.clone());
        if let Some(orders) = self.cached(&key) {
            return Ok(Some(orders));
        }
        let gate = self
            .calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(store_id)
            .or_insert_with(|| Arc::new(Semaphore::new(CALLS_PER_STORE)))
            .clone();
        let _permit = gate.acquire_owned().await.map_err(|_| SourceError::Failed("shutting down".into()))?;
        let target = Target { url, secret: &settings.secret, allow_private: settings.allow_private };
        let calling = Instant::now();
        let fetched = self.client.fetch(&target, lookup).await;
        let outcome = match &fetched {
            Ok(_) => "ok",
            Err(SourceError::Failed(_)) => "failed",
            Err(SourceError::Refused(_)) => "refused",
        };
        crate::metrics::order_source(outcome, calling.elapsed());
        let orders = Arc::new(fetched?);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= MAX_CACHED {
            cache.retain(|_, (at, _)| at.elapsed() < CACHE_FOR);
        }
        if cache.len() < MAX_CACHED {
            cache.insert(key, (Instant::now(), orders.clone()));
        }
        Ok(Some(orders))
    }

    fn cached(&self, key: &(i64, Lookup)) -> Option<Arc<Vec<Order>>> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.get(key).filter(|(at, _)| at.elapsed() < CACHE_FOR).map(|(_, orders)| orders.clone())
    }
}
