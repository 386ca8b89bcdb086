//! Webhooks: a store's HTTPS endpoints are told of its conversations' events
//! (docs/webhooks.md), each delivery signed, retried, and logged.
//!
//! The events come from triggers in the database (migration 0014), written in the same
//! transaction as the change, so no event is lost between the change and the outbox. A sweep
//! (every [`SWEEP_EVERY`]) turns each into one delivery per subscribed endpoint, with its body
//! fixed then, and sends the deliveries due: `POST` with the JSON body, signed like calls to an
//! order source, [`TIMEOUT`] each, no redirects, through the private-address guard. A 2xx
//! answer delivers it; anything else is retried with backoff for [`RETRY_FOR_MS`], then it
//! counts as failed. The endpoint's latest status shows in the console.

mod payload;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;

use crate::orders::client::{checked_url, sign};
use crate::orders::guard::PublicOnly;
use crate::store::{DueDelivery, Store, StoreError};

/// How long one delivery may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a delivery is retried before it counts as failed.
pub const RETRY_FOR_MS: i64 = 24 * 60 * 60 * 1000;
/// How often the sweep runs.
pub const SWEEP_EVERY: Duration = Duration::from_secs(2);
/// Events and deliveries one sweep handles; a sweep's deliveries are all sent at once, so a
/// sweep takes at most about [`TIMEOUT`] however slow the endpoints are.
const PER_SWEEP: u32 = 200;
/// Deliveries of one endpoint in one sweep: a store whose endpoint is slow or down does not
/// hold up the others' (its backlog drains a few at a time, in order).
const PER_ENDPOINT: u32 = 4;
/// Endpoints one store may have.
pub const MAX_PER_STORE: usize = 10;

/// The delay before attempt `n + 1` (10 s, doubling, at most an hour).
pub fn backoff_ms(attempts: u32) -> i64 {
    (10_000i64 << attempts.min(9)).min(60 * 60 * 1000)
}

/// The webhook service.
pub struct Webhooks {
    store: Store,
    timeout: Duration,
    public: reqwest::Client,
    any: reqwest::Client,
}

fn builder(timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("Parley-Webhooks/", env!("CARGO_PKG_VERSION")))
}

/// Checks an endpoint URL: https (http too for a store allowed private addresses, which is
/// how local tools and tests are reached), at most 2,048 bytes, and not a literal private
/// address unless allowed.
pub fn check_url(url: &str, allow_private: bool) -> Result<String, String> {
    let url = url.trim();
    if url.len() > 2_048 {
        return Err("the URL is longer than 2048 bytes".into());
    }
    let parsed = checked_url(url, allow_private).map_err(|e| e.to_string())?;
    if parsed.scheme() != "https" && !allow_private {
        return Err("webhook endpoints must be https URLs".into());
    }
    Ok(parsed.to_string())
}

/// Checks a list of event names: known ones, at least one, each once.
pub fn check_events(events: &[String]) -> Result<Vec<String>, String> {
    let mut checked: Vec<String> = Vec::new();
    for event in events {
        if !protocol::WEBHOOK_EVENTS.contains(&event.as_str()) {
            return Err(format!("{event:?} is not an event; they are {}", protocol::WEBHOOK_EVENTS.join(", ")));
        }
        if !checked.contains(event) {
            checked.push(event.clone());
        }
    }
    if checked.is_empty() {
        return Err("choose at least one event".into());
    }
    Ok(checked)
}

impl Webhooks {
    /// The service, each call given `timeout` (normally [`TIMEOUT`]); fails only when TLS
    /// cannot be set up.
    pub fn new(store: Store, timeout: Duration) -> Result<Webhooks, reqwest::Error> {
        let public = builder(timeout).dns_resolver(Arc::new(PublicOnly)).build()?;
        Ok(Webhooks { store, timeout, public, any: builder(timeout).build()? })
    }

    /// Turns waiting events into deliveries; returns how many events it handled.
    pub async fn dispatch(&self) -> Result<usize, StoreError> {
        let events = self.store.waiting_webhook_events(PER_SWEEP).await?;
        for event in &events {
            let hooks = self.store.webhooks(event.store_id).await?;
            let subscribed: Vec<_> = hooks.iter().filter(|w| w.active && w.events.contains(&event.event)).collect();
            let deliveries = match subscribed.is_empty() {
                true => Vec::new(),
                false => match payload::body(&self.store, event).await? {
                    Some(body) => subscribed.iter().map(|w| (w.id, body.clone())).collect(),
                    // What it was about is gone (deleted meanwhile): nothing to tell.
                    None => Vec::new(),
                },
            };
            self.store.dispatch_webhook_event(event, deliveries).await?;
        }
        Ok(events.len())
    }

    /// Sends the deliveries due at `now`; returns how many were delivered.
    pub async fn deliver(&self, now: i64) -> Result<usize, StoreError> {
        let due = self.store.claim_webhook_deliveries(now, now + backoff_ms(0), PER_SWEEP, PER_ENDPOINT).await?;
        let answers = futures_util::future::join_all(due.iter().map(|d| self.call(d))).await;
        let mut delivered = 0;
        for (delivery, answer) in due.iter().zip(answers) {
            let (status, error) = match answer {
                Ok(status) if (200..300).contains(&status) => (Some(status), None),
                Ok(status) => (Some(status), Some(format!("answered {status}"))),
                Err(error) => (None, Some(error)),
            };
            let (state, retry_at) = match &error {
                None => ("delivered", None),
                Some(_) => {
                    let next = now + backoff_ms(delivery.attempts + 1);
                    if next - delivery.created_at > RETRY_FOR_MS {
                        ("failed", None)
                    } else {
                        ("pending", Some(next))
                    }
                }
            };
            if let Some(e) = &error {
                tracing::info!(webhook = delivery.webhook_id, event = delivery.event_id, error = %e, "a webhook delivery failed");
            }
            delivered += usize::from(error.is_none());
            self.store.webhook_attempted(delivery, state, status, error, retry_at).await?;
        }
        Ok(delivered)
    }

    /// One signed `POST`; the HTTP status, or why there was none.
    async fn call(&self, delivery: &DueDelivery) -> Result<u16, String> {
        let url = checked_url(&delivery.url, delivery.allow_private).map_err(|e| e.to_string())?;
        let stamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()).to_string();
        let client = if delivery.allow_private { &self.any } else { &self.public };
        let response = client
            .post(url)
            .header("Content-Type", "application/json")
            .header("X-Parley-Event", &delivery.event)
            .header("X-Parley-Event-Id", format!("evt_{}", delivery.event_id))
            .header("X-Parley-Timestamp", &stamp)
            .header("X-Parley-Signature", format!("sha256={}", sign(&delivery.secret, &stamp, &delivery.body)))
            .body(delivery.body.clone())
            .send()
            .await
            .map_err(|e| describe(e, self.timeout))?;
        Ok(response.status().as_u16())
    }
}

fn describe(e: reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no answer within {} ms", timeout.as_millis());
    }
    let e = e.without_url();
    let mut why = vec![e.to_string()];
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        why.push(c.to_string());
        cause = c.source();
    }
    why.join(": ")
}

/// Runs the sweep every [`SWEEP_EVERY`] until shutdown.
pub async fn watch(hooks: Arc<Webhooks>, shutdown: CancellationToken) {
    let mut ticker = crate::ticker::Ticker::new(SWEEP_EVERY, shutdown);
    while ticker.next(None).await {
        if let Err(error) = hooks.dispatch().await {
            tracing::warn!(%error, "turning events into webhook deliveries failed");
        }
        if let Err(error) = hooks.deliver(crate::store::now_millis()).await {
            tracing::warn!(%error, "delivering webhooks failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_https_and_public_unless_the_store_is_allowed_private_ones() {
        assert_eq!(check_url("https://hooks.example.com/parley", false).unwrap(), "https://hooks.example.com/parley");
        assert!(check_url("http://hooks.example.com/parley", false).unwrap_err().contains("https"));
        assert!(check_url("https://127.0.0.1/hook", false).unwrap_err().contains("private address"));
        assert!(check_url("https://169.254.169.254/latest", false).unwrap_err().contains("private address"));
        assert!(check_url("https://localhost/hook", false).is_err());
        assert!(check_url("ftp://hooks.example.com", false).is_err());
        assert_eq!(check_url("http://127.0.0.1:9000/hook", true).unwrap(), "http://127.0.0.1:9000/hook");
    }

    #[test]
    fn events_are_known_names() {
        let events = vec!["message.created".to_owned(), "message.created".to_owned()];
        assert_eq!(check_events(&events).unwrap(), ["message.created"]);
        assert!(check_events(&["message.deleted".to_owned()]).unwrap_err().contains("not an event"));
        assert!(check_events(&[]).is_err());
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(backoff_ms(0), 10_000);
        assert_eq!(backoff_ms(3), 80_000);
        assert_eq!(backoff_ms(30), 3_600_000);
    }
}
