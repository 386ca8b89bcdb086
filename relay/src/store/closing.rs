//! Closing properly: the closing question's pending close, the idle close, whether a close
//! counts as resolved, and the stores' closing times.
//!
//! A pending close is a time on the conversation (`closing_at`), so a restart loses nothing:
//! the sweep asks which are due. The shopper's next message clears it in the same statement
//! that stores the message (the `messages_keep_conversation` trigger).

use super::db;
use super::statements::vals;
use super::{Store, StoreError};

/// Default seconds the closing question waits for the shopper's answer.
pub const DEFAULT_CLOSING_WAIT_SECS: u32 = 600;
/// Default seconds without a message before a conversation closes by itself.
pub const DEFAULT_IDLE_CLOSE_SECS: u32 = 86_400;
/// A reopen within this long of a close makes the conversation count as not resolved.
pub const REOPEN_UNRESOLVES_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// Idle conversations closed per sweep (the next sweep takes the rest).
const IDLE_PER_SWEEP: i64 = 200;

/// A conversation to close now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueClose {
    /// The conversation.
    pub conversation_id: i64,
    /// The agent who asked the closing question (none for an idle close).
    pub by_agent_id: Option<i64>,
    /// Whether the close counts as resolved.
    pub resolved: bool,
}

impl Store {
    /// Starts the closing wait of an open conversation: it closes at `now` plus its store's
    /// closing wait unless the shopper writes first. Returns when, or `None` if it is closed.
    pub async fn ask_to_close(
        &self,
        conversation_id: i64,
        agent_id: i64,
        resolved: bool,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        self.job(
            move |conn| {
                let at = conn.row(
                    "UPDATE conversations SET
                       closing_at = ?1 + 1000 * (SELECT closing_wait_secs FROM stores WHERE stores.id = store_id),
                       closing_by = ?2, closing_resolved = ?3
                     WHERE id = ?4 AND closed_at IS NULL RETURNING closing_at",
                    vals![now, agent_id, resolved, conversation_id],
                )?;
                Ok(at.map(|r| r.int(0)))
            },
            |_| {},
        )
        .await
    }

    /// Open conversations whose closing question went unanswered until `now`.
    pub async fn due_closings(&self, now: i64) -> Result<Vec<DueClose>, StoreError> {
        let rows = db::query(
            "SELECT id, closing_by, COALESCE(closing_resolved, 1) FROM conversations
             WHERE closing_at IS NOT NULL AND closing_at <= ? AND closed_at IS NULL",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| DueClose { conversation_id: r.get(0), by_agent_id: r.get(1), resolved: r.flag(2) })
            .collect())
    }

    /// Open conversations with no message for their store's idle time at `now` (a few hundred
    /// at a time). Each counts as resolved unless the shopper's last message went unanswered.
    pub async fn idle_conversations(&self, now: i64) -> Result<Vec<DueClose>, StoreError> {
        let rows = db::query(
            "SELECT c.id, c.awaiting_since IS NULL FROM conversations c JOIN stores s ON s.id = c.store_id
             WHERE c.closed_at IS NULL AND s.idle_close_secs > 0
               AND COALESCE(c.last_message_at, c.created_at) <= ?1 - s.idle_close_secs * 1000
             LIMIT ?2",
        )
        .bind(now)
        .bind(IDLE_PER_SWEEP)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| DueClose { conversation_id: r.get(0), by_agent_id: None, resolved: r.flag(1) })
            .collect())
    }

    /// Sets a store's closing wait and idle time (seconds; an idle time of 0 turns the idle
    /// close off).
    pub async fn set_closing_times(
        &self,
        key: &str,
        wait_secs: Option<u32>,
        idle_secs: Option<u32>,
    ) -> Result<(), StoreError> {
        let done = db::query(
            "UPDATE stores SET closing_wait_secs = COALESCE(?, closing_wait_secs),
               idle_close_secs = COALESCE(?, idle_close_secs) WHERE key = ?",
        )
        .bind(wait_secs.map(i64::from))
        .bind(idle_secs.map(i64::from))
        .bind(key)
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("no store {key:?}")));
        }
        Ok(())
    }
}
