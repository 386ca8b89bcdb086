//! Finding conversations by what the shopper wrote or the email they left: the console's search
//! box. A plain substring match (no index): it scans one store's rows, so callers bound it per
//! address and by result count, and a query is at most [`MAX_SEARCH_CHARS`] characters.

use protocol::ConversationSummary;

use super::db;
use super::{Store, StoreError};

/// The longest search the store runs, in characters (the rest is ignored).
pub const MAX_SEARCH_CHARS: usize = 100;

/// Which conversations a caller may list: an owner or admin sees every conversation of the
/// store, a plain agent only the queue's and their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every conversation of the store.
    Store,
    /// The queue's and this agent's.
    QueueAnd(i64),
}

impl Scope {
    /// The agent whose own conversations (besides the queue's) are the only ones listed.
    pub(super) fn only(self) -> Option<i64> {
        match self {
            Scope::Store => None,
            Scope::QueueAnd(agent) => Some(agent),
        }
    }
}

impl Store {
    /// The store's conversations, newest first, whose shopper wrote `query` in a message or left
    /// an email containing it (letters compared without case).
    pub async fn search_conversations(
        &self,
        store_id: i64,
        query: &str,
        scope: Scope,
        limit: u32,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let needle: String = query.trim().chars().take(MAX_SEARCH_CHARS).collect::<String>().to_lowercase();
        if needle.is_empty() {
            return Ok(Vec::new());
        }
        let rows = db::query(
            "SELECT c.id, c.store_id, c.visitor_id, c.created_at, c.last_seq, c.assigned_agent_id
             FROM conversations c
             WHERE c.store_id = ?1
               AND (?2 IS NULL OR c.assigned_agent_id IS NULL OR c.assigned_agent_id = ?2)
               AND (instr(lower(coalesce(c.follow_up_email, '')), ?3) > 0
                    OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id
                               AND m.author_role = 'visitor' AND instr(lower(m.text), ?3) > 0))
             ORDER BY c.id DESC LIMIT ?4",
        )
        .bind(store_id)
        .bind(scope.only())
        .bind(needle)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        self.summaries(rows).await
    }
}
