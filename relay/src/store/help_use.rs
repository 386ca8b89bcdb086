//! What shoppers look for in the help: their searches and the articles they open, once per
//! asker a day and at most [`MAX_PER_DAY`] of each per store a day (a stranger cannot fill the
//! disk), kept [`KEPT_DAYS`] days, for the reports' most searched terms and most viewed articles.

use protocol::{ArticleVotes, TermCount};

use super::db;
use super::statements::vals;
use super::{Store, StoreError};

/// The most searches (or views) recorded per store a day.
pub const MAX_PER_DAY: i64 = 5_000;
/// How long they are kept.
pub const KEPT_DAYS: i64 = 90;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A search, unless this asker searched the same that day or the store's day is full.
const RECORD_SEARCH: &str = "INSERT OR IGNORE INTO faq_search_terms (store_id, day, term, who, at)
     SELECT ?1, ?2, ?3, ?4, ?5
     WHERE (SELECT COUNT(*) FROM faq_search_terms WHERE store_id = ?1 AND day = ?2) < ?6";
/// An article view, the same way.
const RECORD_VIEW: &str = "INSERT OR IGNORE INTO faq_article_views (store_id, day, article_id, who, at)
     SELECT ?1, ?2, ?3, ?4, ?5
     WHERE (SELECT COUNT(*) FROM faq_article_views WHERE store_id = ?1 AND day = ?2) < ?6";

impl Store {
    /// Records that `who` searched the help for `term` at `now`.
    pub async fn record_search_term(&self, store_id: i64, term: &str, who: &str, now: i64) -> Result<(), StoreError> {
        self.once_a_day(RECORD_SEARCH, store_id, term, who, now).await
    }

    /// Records that `who` opened an article at `now`.
    pub async fn record_article_view(
        &self,
        store_id: i64,
        article: &str,
        who: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.once_a_day(RECORD_VIEW, store_id, article, who, now).await
    }

    /// Runs one of the recording statements: once per `who` and thing a day, within the cap.
    async fn once_a_day(
        &self,
        sql: &'static str,
        store_id: i64,
        what: &str,
        who: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let values = vals![store_id, now / DAY_MS, what.to_owned(), who.to_owned(), now, MAX_PER_DAY];
        self.execute(sql, values).await.map(drop)
    }

    /// Forgets searches and views older than [`KEPT_DAYS`].
    pub async fn prune_help_use(&self, now: i64) -> Result<(), StoreError> {
        let before = now / DAY_MS - KEPT_DAYS;
        db::query("DELETE FROM faq_search_terms WHERE day < ?").bind(before).execute(&self.writer).await?;
        db::query("DELETE FROM faq_article_views WHERE day < ?").bind(before).execute(&self.writer).await?;
        Ok(())
    }

    /// The most searched terms in `[from, to)`, by how many askers searched each.
    pub async fn top_search_terms(&self, store_id: i64, from: i64, to: i64) -> Result<Vec<TermCount>, StoreError> {
        let rows = db::query(
            "SELECT term, COUNT(*) AS n FROM faq_search_terms
             WHERE store_id = ?1 AND day BETWEEN ?2 / 86400000 AND ?3 / 86400000 AND at >= ?2 AND at < ?3
             GROUP BY term ORDER BY n DESC, term LIMIT 50",
        )
        .bind(store_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| TermCount { term: r.get(0), count: u32::try_from(r.get::<i64, _>(1)).unwrap_or(0) })
            .collect())
    }

    /// Each article's views and votes in `[from, to)`, most viewed first.
    pub async fn article_stats(&self, store_id: i64, from: i64, to: i64) -> Result<Vec<ArticleVotes>, StoreError> {
        let rows = db::query(
            "WITH v AS (SELECT article_id, COUNT(*) AS views FROM faq_article_views
                        WHERE store_id = ?1 AND day BETWEEN ?2 / 86400000 AND ?3 / 86400000 AND at >= ?2 AND at < ?3
                        GROUP BY article_id),
                  f AS (SELECT article_id, CAST(SUM(helpful) AS BIGINT) AS yes, CAST(SUM(1 - helpful) AS BIGINT) AS no FROM faq_feedback
                        WHERE store_id = ?1 AND at >= ?2 AND at < ?3 GROUP BY article_id),
                  ids AS (SELECT article_id FROM v UNION SELECT article_id FROM f)
             SELECT ids.article_id, COALESCE(a.question, ids.article_id), COALESCE(v.views, 0),
                    COALESCE(f.yes, 0), COALESCE(f.no, 0)
             FROM ids LEFT JOIN v ON v.article_id = ids.article_id LEFT JOIN f ON f.article_id = ids.article_id
                  LEFT JOIN faq_articles a ON a.store_id = ?1 AND a.id = ids.article_id
             ORDER BY COALESCE(v.views, 0) DESC, COALESCE(f.yes, 0) + COALESCE(f.no, 0) DESC LIMIT 100",
        )
        .bind(store_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        let count = |r: &super::db::Row, i: usize| u32::try_from(r.get::<i64, _>(i)).unwrap_or(0);
        Ok(rows
            .iter()
            .map(|r| ArticleVotes {
                id: r.get(0),
                question: r.get(1),
                views: count(r, 2),
                helpful: count(r, 3),
                not_helpful: count(r, 4),
            })
            .collect())
    }
}
