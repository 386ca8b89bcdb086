//! Webhooks' bookkeeping: the stores' endpoints, the events the triggers of migration 0014
//! record in the same transaction as each change, and the deliveries made from them.
//!
//! An event becomes one delivery per subscribed endpoint in one job that also marks it
//! dispatched; a delivery is claimed by pushing its next attempt into the future before it is
//! tried. So nothing is lost over a restart, and an endpoint may see an event twice at most
//! after a crash mid-call (at least once; the event id tells repeats apart).

use super::db::{self, Row};
use super::statements::vals;
use protocol::{Webhook, WebhookDelivery};

use super::{Store, StoreError};

/// An event waiting to be turned into deliveries.
#[derive(Debug, Clone)]
pub struct WebhookEvent {
    /// Its id.
    pub id: i64,
    /// The store.
    pub store_id: i64,
    /// Its name (`message.created`, …).
    pub event: String,
    /// The conversation it is about.
    pub conversation_id: i64,
    /// The message, for `message.created`.
    pub message_id: Option<i64>,
    /// When it happened (ms).
    pub at: i64,
}

/// A delivery taken for one attempt.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    /// Its id.
    pub id: i64,
    /// The endpoint.
    pub webhook_id: i64,
    /// The endpoint's URL.
    pub url: String,
    /// The endpoint's signing secret.
    pub secret: String,
    /// Whether the store may call private addresses.
    pub allow_private: bool,
    /// The event's name.
    pub event: String,
    /// The event's id.
    pub event_id: i64,
    /// The body to send.
    pub body: String,
    /// When it was made (ms): retries stop 24 hours later.
    pub created_at: i64,
    /// Attempts before this one.
    pub attempts: u32,
}

fn webhook_from_row(r: &Row) -> Webhook {
    Webhook {
        id: r.get("id"),
        url: r.get("url"),
        events: r.get::<String, _>("events").split(',').filter(|e| !e.is_empty()).map(str::to_owned).collect(),
        active: r.get::<i64, _>("active") != 0,
        secret: r.get("secret"),
        last_attempt_at: r.get("last_attempt_at"),
        last_status: r.get::<Option<i64>, _>("last_status").and_then(|s| u16::try_from(s).ok()),
        last_error: r.get("last_error"),
    }
}

impl Store {
    /// A store's endpoints, oldest first.
    pub async fn webhooks(&self, store_id: i64) -> Result<Vec<Webhook>, StoreError> {
        let rows = db::query("SELECT * FROM webhooks WHERE store_id = ? ORDER BY id")
            .bind(store_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(webhook_from_row).collect())
    }

    /// Adds an endpoint (already checked).
    pub async fn add_webhook(
        &self,
        store_id: i64,
        url: &str,
        events: &[String],
        active: bool,
        secret: &str,
    ) -> Result<Webhook, StoreError> {
        let row = db::query(
            "INSERT INTO webhooks (store_id, url, secret, events, active, created_at) VALUES (?, ?, ?, ?, ?, ?)
             RETURNING *",
        )
        .bind(store_id)
        .bind(url)
        .bind(secret)
        .bind(events.join(","))
        .bind(active)
        .bind(super::now_millis())
        .fetch_one(&self.writer)
        .await?;
        Ok(webhook_from_row(&row))
    }

    /// Changes an endpoint of the store; `None` when it has no such endpoint.
    pub async fn update_webhook(
        &self,
        store_id: i64,
        id: i64,
        url: &str,
        events: &[String],
        active: bool,
    ) -> Result<Option<Webhook>, StoreError> {
        let row =
            db::query("UPDATE webhooks SET url = ?, events = ?, active = ? WHERE id = ? AND store_id = ? RETURNING *")
                .bind(url)
                .bind(events.join(","))
                .bind(active)
                .bind(id)
                .bind(store_id)
                .fetch_optional(&self.writer)
                .await?;
        Ok(row.as_ref().map(webhook_from_row))
    }

    /// Removes an endpoint of the store, with its deliveries; false when it had none.
    pub async fn delete_webhook(&self, store_id: i64, id: i64) -> Result<bool, StoreError> {
        let done = db::query("DELETE FROM webhooks WHERE id = ? AND store_id = ?")
            .bind(id)
            .bind(store_id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// An endpoint's latest deliveries, newest first; `None` when the store has no such endpoint.
    pub async fn webhook_deliveries(
        &self,
        store_id: i64,
        id: i64,
        limit: u32,
    ) -> Result<Option<Vec<WebhookDelivery>>, StoreError> {
        if !self.webhooks(store_id).await?.iter().any(|w| w.id == id) {
            return Ok(None);
        }
        let rows = db::query(
            "SELECT event_id, event, status, attempts, created_at, last_status, last_error FROM webhook_deliveries
             WHERE webhook_id = ? ORDER BY id DESC LIMIT ?",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(
            rows.iter()
                .map(|r| WebhookDelivery {
                    event_id: format!("evt_{}", r.get::<i64, _>("event_id")),
                    event: r.get("event"),
                    status: r.get("status"),
                    attempts: u32::try_from(r.get::<i64, _>("attempts")).unwrap_or(0),
                    created_at: r.get("created_at"),
                    last_status: r.get::<Option<i64>, _>("last_status").and_then(|s| u16::try_from(s).ok()),
                    last_error: r.get("last_error"),
                })
                .collect(),
        ))
    }

    /// Whether the store's endpoints may be private or loopback addresses (the operator's say).
    pub async fn set_webhooks_allow_private(&self, key: &str, allow: bool) -> Result<(), StoreError> {
        let done = db::query("UPDATE stores SET webhooks_allow_private = ? WHERE key = ?")
            .bind(allow)
            .bind(key)
            .execute(&self.writer)
            .await?;
        super::directory::found_store(done.rows_affected(), key)
    }

    /// Whether the store's endpoints may be private addresses.
    pub async fn webhooks_allow_private(&self, store_id: i64) -> Result<bool, StoreError> {
        let allow: Option<i64> = db::query_scalar("SELECT webhooks_allow_private FROM stores WHERE id = ?")
            .bind(store_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(allow.is_some_and(|a| a != 0))
    }

    /// Events not yet turned into deliveries, oldest first.
    pub async fn waiting_webhook_events(&self, limit: u32) -> Result<Vec<WebhookEvent>, StoreError> {
        let rows = db::query(
            "SELECT id, store_id, event, conversation_id, message_id, at FROM webhook_events
             WHERE dispatched = 0 ORDER BY id LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| WebhookEvent {
                id: r.get("id"),
                store_id: r.get("store_id"),
                event: r.get("event"),
                conversation_id: r.get("conversation_id"),
                message_id: r.get("message_id"),
                at: r.get("at"),
            })
            .collect())
    }

    /// Makes the event's deliveries (`(endpoint, body)`, due from the event's time) and marks
    /// it dispatched, in one job.
    pub async fn dispatch_webhook_event(
        &self,
        event: &WebhookEvent,
        deliveries: Vec<(i64, String)>,
    ) -> Result<(), StoreError> {
        let (event_id, name, now) = (event.id, event.event.clone(), super::now_millis());
        let (conversation_id, at) = (event.conversation_id, event.at);
        self.job(
            move |conn| {
                for (webhook_id, body) in deliveries {
                    conn.execute(
                        "INSERT OR IGNORE INTO webhook_deliveries (webhook_id, conversation_id, event_id, event, body,
                           created_at, next_attempt_at)
                         SELECT ?1, ?6, ?2, ?3, ?4, ?5, ?5 WHERE EXISTS (SELECT 1 FROM conversations WHERE id = ?6)",
                        vals![webhook_id, event_id, name.as_str(), body, at, conversation_id],
                    )?;
                }
                conn.execute("UPDATE webhook_events SET dispatched = 1 WHERE id = ?1", vals![event_id])?;
                // Dispatched events are kept a day, for looking into.
                conn.execute(
                    "DELETE FROM webhook_events WHERE dispatched = 1 AND at < ?1",
                    vals![now - 24 * 60 * 60 * 1000],
                )?;
                Ok(())
            },
            |_| {},
        )
        .await
    }

    /// Takes up to `limit` deliveries due at `now` for an attempt, at most `per_endpoint` of
    /// any one endpoint (the oldest first), moving their next attempt to `retry_at` first. The
    /// cap per endpoint keeps one store's slow or dead endpoint from filling a sweep.
    pub async fn claim_webhook_deliveries(
        &self,
        now: i64,
        retry_at: i64,
        limit: u32,
        per_endpoint: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        self.job(
            move |conn| {
                let claimed = conn.rows(
                    "UPDATE webhook_deliveries SET next_attempt_at = ?2, attempts = attempts + 1
                     WHERE id IN (
                       SELECT id FROM (
                         SELECT d.id, d.next_attempt_at,
                                ROW_NUMBER() OVER (PARTITION BY d.webhook_id ORDER BY d.next_attempt_at, d.id) AS n
                         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
                         WHERE d.status = 'pending' AND d.next_attempt_at <= ?1 AND w.active = 1) AS ranked
                       WHERE n <= ?4 ORDER BY next_attempt_at LIMIT ?3)
                     RETURNING id, webhook_id, event, event_id, body, created_at, attempts - 1",
                    vals![now, retry_at, limit, per_endpoint],
                )?;
                let mut due = Vec::with_capacity(claimed.len());
                for row in claimed {
                    let webhook_id = row.int(1);
                    let hook = conn
                        .row(
                            "SELECT w.url, w.secret, s.webhooks_allow_private FROM webhooks w
                             JOIN stores s ON s.id = w.store_id WHERE w.id = ?1",
                            vals![webhook_id],
                        )?
                        .ok_or_else(|| StoreError::NotFound(format!("no webhook {webhook_id}")))?;
                    due.push(DueDelivery {
                        id: row.int(0),
                        webhook_id,
                        url: hook.text(0),
                        secret: hook.text(1),
                        allow_private: hook.int(2) != 0,
                        event: row.text(2),
                        event_id: row.int(3),
                        body: row.text(4),
                        created_at: row.int(5),
                        attempts: u32::try_from(row.int(6)).unwrap_or(0),
                    });
                }
                // RETURNING gives no order; deliveries go out oldest first.
                due.sort_by_key(|d| d.id);
                Ok(due)
            },
            |_| {},
        )
        .await
    }

    /// Records how an attempt went (`status` `delivered`, `pending` with `retry_at`, or
    /// `failed`), on the delivery and its endpoint.
    pub async fn webhook_attempted(
        &self,
        delivery: &DueDelivery,
        status: &'static str,
        http_status: Option<u16>,
        error: Option<String>,
        retry_at: Option<i64>,
    ) -> Result<(), StoreError> {
        let (id, webhook_id, now) = (delivery.id, delivery.webhook_id, super::now_millis());
        let http_status = http_status.map(i64::from);
        self.job(
            move |conn| {
                conn.execute(
                    "UPDATE webhook_deliveries SET status = ?2, last_status = ?3, last_error = ?4,
                       delivered_at = CASE WHEN ?2 = 'delivered' THEN ?5 END,
                       next_attempt_at = COALESCE(?6, next_attempt_at)
                     WHERE id = ?1",
                    vals![id, status, http_status, error.as_deref(), now, retry_at],
                )?;
                conn.execute(
                    "UPDATE webhooks SET last_attempt_at = ?2, last_status = ?3, last_error = ?4 WHERE id = ?1",
                    vals![webhook_id, now, http_status, error],
                )?;
                Ok(())
            },
            |_| {},
        )
        .await
    }

    /// The rating of a conversation, for `csat.submitted`.
    pub async fn rating_of(&self, conversation_id: i64) -> Result<Option<(u8, Option<String>)>, StoreError> {
        let row = db::query("SELECT score, comment FROM ratings WHERE conversation_id = ?")
            .bind(conversation_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (u8::try_from(r.get::<i64, _>("score")).unwrap_or(0), r.get("comment"))))
    }
}
