//! Agents' tags on shoppers, and each store's tags for autocomplete and the inbox filter.

use super::db;
use super::{Store, StoreError};

/// Tags one shopper may have.
pub const MAX_TAGS_PER_VISITOR: i64 = 20;

impl Store {
    /// A visitor's tags, by name.
    pub async fn tags_of(&self, visitor_id: &str) -> Result<Vec<String>, StoreError> {
        let rows = db::query("SELECT tag FROM visitor_tags WHERE visitor_id = ? ORDER BY tag COLLATE NOCASE")
            .bind(visitor_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| r.get("tag")).collect())
    }

    /// Tags a visitor (a tag already there, in any case, stays as it is). Returns false when
    /// the visitor has [`MAX_TAGS_PER_VISITOR`] already.
    pub async fn add_tag(&self, store_id: i64, visitor_id: &str, tag: &str) -> Result<bool, StoreError> {
        let done = db::query(
            "INSERT OR IGNORE INTO visitor_tags (store_id, visitor_id, tag)
             SELECT ?1, ?2, ?3 WHERE (SELECT COUNT(*) FROM visitor_tags WHERE visitor_id = ?2) < ?4
                OR EXISTS (SELECT 1 FROM visitor_tags WHERE visitor_id = ?2 AND tag = ?3 COLLATE NOCASE)",
        )
        .bind(store_id)
        .bind(visitor_id)
        .bind(tag)
        .bind(MAX_TAGS_PER_VISITOR)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0 || self.tags_of(visitor_id).await?.iter().any(|t| t.eq_ignore_ascii_case(tag)))
    }

    /// Removes a tag from a visitor.
    pub async fn remove_tag(&self, visitor_id: &str, tag: &str) -> Result<(), StoreError> {
        db::query("DELETE FROM visitor_tags WHERE visitor_id = ? AND tag = ? COLLATE NOCASE")
            .bind(visitor_id)
            .bind(tag)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Every tag in use in a store, most used first (for autocomplete).
    pub async fn store_tags(&self, store_id: i64) -> Result<Vec<String>, StoreError> {
        let rows = db::query(
            "SELECT MIN(tag) AS tag FROM visitor_tags WHERE store_id = ? GROUP BY tag COLLATE NOCASE
             ORDER BY COUNT(*) DESC, MIN(tag) LIMIT 200",
        )
        .bind(store_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| r.get("tag")).collect())
    }

    /// The ids of the store's conversations whose shopper has the tag (newest first).
    pub async fn conversations_tagged(&self, store_id: i64, tag: &str, limit: i64) -> Result<Vec<i64>, StoreError> {
        let rows = db::query(
            "SELECT c.id FROM conversations c JOIN visitor_tags t ON t.visitor_id = c.visitor_id
             WHERE c.store_id = ? AND t.tag = ? COLLATE NOCASE ORDER BY c.id DESC LIMIT ?",
        )
        .bind(store_id)
        .bind(tag)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| r.get("id")).collect())
    }
}
