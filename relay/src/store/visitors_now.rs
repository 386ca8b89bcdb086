//! What the console's "Visitors now" shows of a shopper beyond their visit: when the relay
//! first saw them (a returning shopper came before this visit) and whether they ever talked.

use super::db;
use super::{Store, StoreError};

impl Store {
    /// When the shopper was first seen (ms) and how many conversations they had; `None` for
    /// an unknown visitor.
    pub async fn visitor_history(&self, visitor_id: &str) -> Result<Option<(i64, i64)>, StoreError> {
        let rows: Vec<(i64, i64)> = db::query_as(
            "SELECT v.created_at, (SELECT COUNT(*) FROM conversations c WHERE c.visitor_id = v.id)
             FROM visitors v WHERE v.id = ?",
        )
        .bind(visitor_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().next())
    }
}
