//! Figures read for monitoring: each store's queue, scraped by the metrics listener.

use super::db;
use super::{Store, StoreError};

/// One store's queue right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueFigure {
    /// The store's key.
    pub store_key: String,
    /// Open conversations with a shopper message and no agent.
    pub waiting: u64,
    /// When the longest of those waits began (ms), if any waits.
    pub longest_since: Option<i64>,
}

impl Store {
    /// Every store's queue: its open, unassigned conversations in which the shopper wrote, and
    /// the start of the longest wait among them (the unanswered message, else the first one).
    pub async fn queues(&self) -> Result<Vec<QueueFigure>, StoreError> {
        let rows = db::query(
            "SELECT s.key, COUNT(c.id), MIN(COALESCE(c.awaiting_since, c.first_visitor_message_at))
             FROM stores s
             LEFT JOIN conversations c ON c.store_id = s.id AND c.closed_at IS NULL
                  AND c.assigned_agent_id IS NULL AND c.first_visitor_message_at IS NOT NULL
             GROUP BY s.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|row| QueueFigure {
                store_key: row.get(0),
                waiting: u64::try_from(row.get::<i64, _>(1)).unwrap_or(0),
                longest_since: row.get(2),
            })
            .collect())
    }
}
