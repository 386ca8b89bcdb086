//! What the relay holds about one shopper, handed over or removed on request (the right of
//! access and the right to erasure), and the store's retention period.
//!
//! A shopper is a visitor id (the widget's identity in one browser). An email they left with
//! the bot finds every visitor of the store that left it. Deleting a visitor removes, in one
//! transaction, the visitor row and everything that hangs from it: conversations, messages,
//! routing events, private notes about them, FAQ feedback, page history, and the unanswered
//! questions counted for them.

use serde_json::{json, Value};

use super::db;
use super::{Store, StoreError};

/// Which shopper a privacy request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shopper {
    /// One visitor id, as the console shows it.
    Visitor(String),
    /// Every visitor of the store who left this email address.
    Email(String),
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl Store {
    /// The ids of the store's visitors the request is about (none when nothing matches).
    pub async fn shopper_visitors(&self, store_id: i64, shopper: &Shopper) -> Result<Vec<String>, StoreError> {
        let rows = match shopper {
            Shopper::Visitor(id) => {
                db::query("SELECT id FROM visitors WHERE store_id = ? AND id = ?")
                    .bind(store_id)
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?
            }
            Shopper::Email(email) => {
                db::query(
                    "SELECT visitor_id AS id FROM conversations WHERE store_id = ?1 AND follow_up_email = ?2 COLLATE NOCASE
                     UNION SELECT visitor_id FROM customers WHERE store_id = ?1 AND email = ?2 COLLATE NOCASE AND visitor_id IS NOT NULL
                     UNION SELECT id FROM visitors WHERE store_id = ?1 AND claimed_email = ?2 COLLATE NOCASE
                     ORDER BY 1",
                )
                .bind(store_id)
                .bind(email.trim())
                .fetch_all(&self.pool)
                .await?
            }
        };
        Ok(rows.iter().map(|r| r.get("id")).collect())
    }

    /// Everything held about one visitor, as JSON: the visitor, their pages, their conversations
    /// with messages, timeline and notes, the emails they left, and their FAQ feedback.
    pub async fn export_visitor(&self, visitor_id: &str) -> Result<Value, StoreError> {
        let visitor = db::query("SELECT id, created_at, referrer, language, time_zone FROM visitors WHERE id = ?")
            .bind(visitor_id)
            .fetch_all(&self.pool)
            .await?;
        let Some(v) = visitor.first() else { return Ok(Value::Null) };
        let pages = db::query("SELECT url, title, at FROM visitor_pages WHERE visitor_id = ? ORDER BY id")
            .bind(visitor_id)
            .fetch_all(&self.pool)
            .await?;
        let conversations = db::query(
            "SELECT id, created_at, closed_at, follow_up_email FROM conversations WHERE visitor_id = ? ORDER BY id",
        )
        .bind(visitor_id)
        .fetch_all(&self.pool)
        .await?;
        let mut exported = Vec::new();
        let mut emails: Vec<String> = Vec::new();
        for c in &conversations {
            let id: i64 = c.get("id");
            if let Some(email) = c.get::<Option<String>, _>("follow_up_email") {
                if !emails.contains(&email) {
                    emails.push(email);
                }
            }
            exported.push(self.export_conversation(id, c).await?);
        }
        let feedback = db::query(
            "SELECT f.conversation_id, f.article_id, f.helpful, f.at FROM faq_feedback f
             JOIN conversations c ON c.id = f.conversation_id WHERE c.visitor_id = ? ORDER BY f.id",
        )
        .bind(visitor_id)
        .fetch_all(&self.pool)
        .await?;
        let ratings = db::query(
            "SELECT r.conversation_id, r.score, r.comment, r.changed_at FROM ratings r
             JOIN conversations c ON c.id = r.conversation_id WHERE c.visitor_id = ? ORDER BY r.conversation_id",
        )
        .bind(visitor_id)
        .fetch_all(&self.pool)
        .await?;
        let customer = self.customer(visitor_id).await?;
        let claimed = self.claimed_contact(visitor_id).await?;
        let attributes = self.attributes(visitor_id).await?;
        let tags = self.tags_of(visitor_id).await?;
        Ok(json!({
            "customer": customer.map(|c| json!({"id": c.id, "email": c.email, "name": c.name})),
            "claimed_contact": {"email": claimed.0, "name": claimed.1},
            "attributes": attributes,
            "tags": tags,
            "visitor": {
                "id": v.get::<String, _>("id"), "created_at": v.get::<i64, _>("created_at"),
                "referrer": v.get::<Option<String>, _>("referrer"), "language": v.get::<Option<String>, _>("language"),
                "time_zone": v.get::<Option<String>, _>("time_zone"),
            },
            "emails": emails,
            "pages": pages.iter().map(|p| json!({
                "url": p.get::<String, _>("url"), "title": p.get::<String, _>("title"), "at": p.get::<i64, _>("at"),
            })).collect::<Vec<_>>(),
            "conversations": exported,
            "faq_feedback": feedback.iter().map(|f| json!({
                "conversation_id": f.get::<i64, _>("conversation_id"), "article_id": f.get::<String, _>("article_id"),
                "helpful": f.flag("helpful"), "at": f.get::<i64, _>("at"),
            })).collect::<Vec<_>>(),
            "ratings": ratings.iter().map(|r| json!({
                "conversation_id": r.get::<i64, _>("conversation_id"), "score": r.get::<i64, _>("score"),
                "comment": r.get::<Option<String>, _>("comment"), "at": r.get::<i64, _>("changed_at"),
            })).collect::<Vec<_>>(),
        }))
    }

    /// One conversation of an export: its messages, timeline and notes.
    async fn export_conversation(&self, id: i64, row: &super::db::Row) -> Result<Value, StoreError> {
        let messages = db::query(
            "SELECT seq, author_role, author_name, text, created_at FROM messages WHERE conversation_id = ? ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let events =
            db::query("SELECT kind, agent_id, at FROM conversation_events WHERE conversation_id = ? ORDER BY id")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        let notes = db::query("SELECT agent_name, text, created_at FROM notes WHERE conversation_id = ? ORDER BY id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        Ok(json!({
            "id": id,
            "created_at": row.get::<i64, _>("created_at"),
            "closed_at": row.get::<Option<i64>, _>("closed_at"),
            "email": row.get::<Option<String>, _>("follow_up_email"),
            "messages": messages.iter().map(|m| json!({
                "seq": m.get::<i64, _>("seq"), "role": m.get::<String, _>("author_role"),
                "author": m.get::<Option<String>, _>("author_name"), "text": m.get::<String, _>("text"),
                "at": m.get::<i64, _>("created_at"),
            })).collect::<Vec<_>>(),
            "timeline": events.iter().map(|e| json!({
                "kind": e.get::<String, _>("kind"), "agent_id": e.get::<Option<i64>, _>("agent_id"),
                "at": e.get::<i64, _>("at"),
            })).collect::<Vec<_>>(),
            "notes": notes.iter().map(|n| json!({
                "by": n.get::<String, _>("agent_name"), "text": n.get::<String, _>("text"),
                "at": n.get::<i64, _>("created_at"),
            })).collect::<Vec<_>>(),
        }))
    }

    /// Removes one visitor and everything held about them; returns how many conversations went
    /// with them.
    pub async fn delete_visitor(&self, store_id: i64, visitor_id: &str) -> Result<u64, StoreError> {
        let mut tx = self.writer.begin().await?;
        let conversations = db::query("SELECT COUNT(*) AS n FROM conversations WHERE visitor_id = ?")
            .bind(visitor_id)
            .fetch_all(&mut tx)
            .await?
            .first()
            .map_or(0, |r| r.get::<i64, _>("n"));
        db::query("DELETE FROM faq_unanswered_seen WHERE who = ?").bind(visitor_id).execute(&mut tx).await?;
        // The customer record (email, name) goes too; attributes cascade with the visitor.
        db::query("DELETE FROM customers WHERE store_id = ? AND visitor_id = ?")
            .bind(store_id)
            .bind(visitor_id)
            .execute(&mut tx)
            .await?;
        // Conversations, messages, events, notes, feedback and pages cascade.
        db::query("DELETE FROM visitors WHERE store_id = ? AND id = ?")
            .bind(store_id)
            .bind(visitor_id)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        self.reload_facts().await?;
        Ok(u64::try_from(conversations).unwrap_or(0))
    }

    /// Sets how many days a store keeps conversations (`None`: for ever).
    pub async fn set_retention_days(&self, key: &str, days: Option<u32>) -> Result<(), StoreError> {
        let done = db::query("UPDATE stores SET retention_days = ? WHERE key = ?")
            .bind(days.map(i64::from))
            .bind(key)
            .execute(&self.writer)
            .await?;
        super::directory::found_store(done.rows_affected(), key)
    }

    /// The daily clean-up at `now`: each store's conversations whose last message is older
    /// than its retention period, visitors left with nothing, page history older than a week,
    /// and unanswered-question bookkeeping (see [`Store::prune_unanswered`]). Returns how many
    /// conversations were deleted.
    pub async fn apply_retention(&self, now: i64) -> Result<u64, StoreError> {
        let mut tx = self.writer.begin().await?;
        let deleted = db::query(
            "DELETE FROM conversations WHERE id IN (
               SELECT c.id FROM conversations c JOIN stores s ON s.id = c.store_id
               WHERE s.retention_days IS NOT NULL
                 AND COALESCE((SELECT MAX(m.created_at) FROM messages m WHERE m.conversation_id = c.id), c.created_at)
                     < ?1 - s.retention_days * ?2)",
        )
        .bind(now)
        .bind(DAY_MS)
        .execute(&mut tx)
        .await?
        .rows_affected();
        db::query("DELETE FROM visitor_pages WHERE at < ?").bind(now - 7 * DAY_MS).execute(&mut tx).await?;
        // Webhook deliveries carry what shoppers wrote: kept 30 days, for the console's log.
        db::query("DELETE FROM webhook_deliveries WHERE status != 'pending' AND created_at < ?")
            .bind(now - 30 * DAY_MS)
            .execute(&mut tx)
            .await?;
        // So do sent emails: their state shows in the console for 30 days.
        db::query("DELETE FROM email_outbox WHERE status != 'pending' AND created_at < ?")
            .bind(now - 30 * DAY_MS)
            .execute(&mut tx)
            .await?;
        db::query(
            "DELETE FROM visitors WHERE id IN (
               SELECT v.id FROM visitors v JOIN stores s ON s.id = v.store_id
               WHERE s.retention_days IS NOT NULL AND v.created_at < ?1 - s.retention_days * ?2
                 AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.visitor_id = v.id)
                 AND NOT EXISTS (SELECT 1 FROM visitor_pages p WHERE p.visitor_id = v.id))",
        )
        .bind(now)
        .bind(DAY_MS)
        .execute(&mut tx)
        .await?;
        // A customer whose visitor went keeps nothing of theirs behind.
        db::query("DELETE FROM customers WHERE visitor_id IS NULL").execute(&mut tx).await?;
        tx.commit().await?;
        if deleted > 0 {
            self.reload_facts().await?;
        }
        self.prune_unanswered(now).await?;
        self.prune_help_use(now).await?;
        Ok(deleted)
    }
}
