//! The FAQ's rows: articles, the unanswered questions, the shoppers' feedback, the bot's rules.
//! Search itself lives in the `faq` module, which indexes what this module stores.

use super::db::{self, Row};
use super::statements::vals;

use super::{now_millis, Store, StoreError};

/// One FAQ article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// Unique per store; as text.
    pub id: String,
    /// The id as the JSON it was imported as (`"ship-1"` or `17`), handed back unchanged.
    pub id_json: String,
    /// The question, as shoppers would ask it.
    pub question: String,
    /// The answer, plain text.
    pub answer: String,
    /// A grouping such as "Shipping".
    pub category: String,
    /// Extra words that lead to it.
    pub tags: Vec<String>,
    /// `en`, `zh`, …
    pub language: String,
}

/// A keyword rule of the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotRule {
    /// Its id.
    pub id: i64,
    /// `exact`, `contains` or `fuzzy`.
    pub kind: String,
    /// What to look for.
    pub pattern: String,
    /// What the bot answers.
    pub reply: String,
    /// Higher wins when several match.
    pub priority: i64,
}

/// Unanswered questions a store keeps (the most frequent).
pub const MAX_UNANSWERED: i64 = 500;
/// Days an unanswered question is kept after it was last asked.
pub const UNANSWERED_KEPT_DAYS: i64 = 90;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

const ARTICLE_COLUMNS: &str = "id, id_json, question, answer, category, tags, language";

impl Store {
    /// Adds or replaces articles (by id) in one transaction: all of them or none. Articles
    /// without an id get a fresh one. Returns how many were written.
    pub async fn upsert_articles(&self, store_id: i64, articles: Vec<Article>) -> Result<usize, StoreError> {
        let mut tx = self.writer.begin().await?;
        let count = articles.len();
        for article in articles {
            db::query(format!(
                "INSERT INTO faq_articles (store_id, {ARTICLE_COLUMNS}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (store_id, id) DO UPDATE SET id_json = excluded.id_json, question = excluded.question,
                   answer = excluded.answer, category = excluded.category, tags = excluded.tags,
                   language = excluded.language, updated_at = excluded.updated_at"
            ))
            .bind(store_id)
            .bind(&article.id)
            .bind(&article.id_json)
            .bind(&article.question)
            .bind(&article.answer)
            .bind(&article.category)
            .bind(serde_json::to_string(&article.tags).unwrap_or_else(|_| "[]".into()))
            .bind(&article.language)
            .bind(now_millis())
            .execute(&mut tx)
            .await?;
        }
        bump_faq_version(&mut tx, store_id).await?;
        tx.commit().await?;
        Ok(count)
    }

    /// Deletes an article; returns whether it existed.
    pub async fn delete_article(&self, store_id: i64, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let done = db::query("DELETE FROM faq_articles WHERE store_id = ? AND id = ?")
            .bind(store_id)
            .bind(id)
            .execute(&mut tx)
            .await?;
        bump_faq_version(&mut tx, store_id).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every article of a store, in id order.
    pub async fn articles(&self, store_id: i64) -> Result<Vec<Article>, StoreError> {
        let rows = db::query(format!("SELECT {ARTICLE_COLUMNS} FROM faq_articles WHERE store_id = ? ORDER BY id"))
            .bind(store_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(article_from_row).collect())
    }

    /// One article.
    pub async fn article(&self, store_id: i64, id: &str) -> Result<Option<Article>, StoreError> {
        let row = db::query(format!("SELECT {ARTICLE_COLUMNS} FROM faq_articles WHERE store_id = ? AND id = ?"))
            .bind(store_id)
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .next();
        Ok(row.as_ref().map(article_from_row))
    }

    /// Each store's FAQ version, to notice changes made by another process.
    pub async fn faq_versions(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        let rows = db::query("SELECT id, faq_version FROM stores").fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|r| (r.get("id"), r.get("faq_version"))).collect())
    }

    /// Counts a question nobody could answer (normalized by the caller), asked by `who` (a
    /// visitor id, or the address of an anonymous help search): once per asker and day. A
    /// store keeps its [`MAX_UNANSWERED`] most frequent questions.
    pub async fn record_unanswered(&self, store_id: i64, query: &str, who: &str) -> Result<(), StoreError> {
        let (query, who) = (query.to_owned(), who.to_owned());
        self.job(
            move |conn| {
                let now = now_millis();
                let first_today = conn.execute(
                    "INSERT OR IGNORE INTO faq_unanswered_seen (store_id, query, who, day) VALUES (?, ?, ?, ?)",
                    vals![store_id, query.as_str(), who, now / DAY_MS],
                )? == 1;
                if !first_today {
                    return Ok(());
                }
                conn.execute(
                    "INSERT INTO faq_unanswered (store_id, query, count, last_at) VALUES (?, ?, 1, ?)
                     ON CONFLICT (store_id, query) DO UPDATE SET count = faq_unanswered.count + 1,
                       last_at = excluded.last_at",
                    vals![store_id, query.as_str(), now],
                )?;
                conn.execute(
                    "DELETE FROM faq_unanswered WHERE store_id = ?1 AND query IN (
                       SELECT query FROM faq_unanswered WHERE store_id = ?1
                       ORDER BY count DESC, last_at DESC LIMIT 1000000000 OFFSET ?2)",
                    vals![store_id, MAX_UNANSWERED],
                )?;
                Ok(())
            },
            |_| {},
        )
        .await
    }

    /// Forgets who asked what before today, and questions nobody asked for
    /// [`UNANSWERED_KEPT_DAYS`] days.
    pub async fn prune_unanswered(&self, now: i64) -> Result<(), StoreError> {
        db::query("DELETE FROM faq_unanswered_seen WHERE day < ?").bind(now / DAY_MS).execute(&self.writer).await?;
        db::query("DELETE FROM faq_unanswered WHERE last_at < ?")
            .bind(now - UNANSWERED_KEPT_DAYS * DAY_MS)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The most frequent unanswered questions of a store, with their counts.
    pub async fn top_unanswered(&self, store_id: i64, limit: u32) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = db::query(
            "SELECT query, count FROM faq_unanswered WHERE store_id = ? ORDER BY count DESC, last_at DESC LIMIT ?",
        )
        .bind(store_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| (r.get("query"), r.get("count"))).collect())
    }

    /// Records a shopper's answer to "Did this answer your question?"; false when this message
    /// was already answered.
    pub async fn record_feedback(
        &self,
        store_id: i64,
        conversation_id: i64,
        message_id: i64,
        article_id: &str,
        helpful: bool,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO faq_feedback (store_id, conversation_id, message_id, article_id, helpful, at)
                   VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
        let args = vals![store_id, conversation_id, message_id, article_id.to_owned(), helpful, now_millis()];
        Ok(self.execute(sql, args).await? == 1)
    }

    /// How many answers shoppers found helpful (deflections) and not, per store.
    pub async fn feedback_counts(&self, store_id: i64) -> Result<(i64, i64), StoreError> {
        let row = db::query(
            "SELECT CAST(COALESCE(SUM(helpful), 0) AS BIGINT) AS yes, CAST(COALESCE(SUM(1 - helpful), 0) AS BIGINT) AS no
             FROM faq_feedback WHERE store_id = ?",
        )
        .bind(store_id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .next()
        .ok_or(sqlx::Error::RowNotFound)?;
        Ok((row.get("yes"), row.get("no")))
    }

    /// Adds a keyword rule.
    pub async fn add_bot_rule(
        &self,
        store_id: i64,
        kind: &str,
        pattern: &str,
        reply: &str,
        priority: i64,
    ) -> Result<i64, StoreError> {
        let id = db::query_scalar(
            "INSERT INTO bot_rules (store_id, kind, pattern, reply, priority) VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(store_id)
        .bind(kind)
        .bind(pattern)
        .bind(reply)
        .bind(priority)
        .fetch_all(&self.writer)
        .await?
        .into_iter()
        .next()
        .ok_or(sqlx::Error::RowNotFound)?;
        Ok(id)
    }

    /// A store's keyword rules, highest priority first.
    pub async fn bot_rules(&self, store_id: i64) -> Result<Vec<BotRule>, StoreError> {
        let rows = db::query(
            "SELECT id, kind, pattern, reply, priority FROM bot_rules WHERE store_id = ? ORDER BY priority DESC, id",
        )
        .bind(store_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| BotRule {
                id: r.get("id"),
                kind: r.get("kind"),
                pattern: r.get("pattern"),
                reply: r.get("reply"),
                priority: r.get("priority"),
            })
            .collect())
    }
}

async fn bump_faq_version(tx: &mut db::Tx, store_id: i64) -> Result<(), StoreError> {
    db::query("UPDATE stores SET faq_version = faq_version + 1 WHERE id = ?").bind(store_id).execute(tx).await?;
    Ok(())
}

fn article_from_row(row: &Row) -> Article {
    let tags: String = row.get("tags");
    Article {
        id: row.get("id"),
        id_json: row.get("id_json"),
        question: row.get("question"),
        answer: row.get("answer"),
        category: row.get("category"),
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        language: row.get("language"),
    }
}
