//! When each agent was online, for the reports' time online and conversations per online hour.

use super::db;
use super::statements::vals;
use super::{Store, StoreError};

impl Store {
    /// The agent went online (`true`) or stopped being online at `now`.
    pub async fn agent_online(&self, agent_id: i64, store_id: i64, online: bool, now: i64) -> Result<(), StoreError> {
        let sql = if online {
            "INSERT INTO agent_online (agent_id, store_id, from_at, seen_at)
             SELECT ?1, ?2, ?3, ?3 WHERE NOT EXISTS (SELECT 1 FROM agent_online WHERE agent_id = ?1 AND to_at IS NULL)"
        } else {
            "UPDATE agent_online SET to_at = CASE WHEN from_at > ?3 THEN from_at ELSE ?3 END, seen_at = ?3 WHERE agent_id = ?1 AND to_at IS NULL AND ?2 = store_id"
        };
        self.execute(sql, vals![agent_id, store_id, now]).await.map(drop)
    }

    /// Marks every open interval as seen at `now` (each minute), so that one a stopped relay
    /// left open ends there.
    pub async fn touch_online(&self, now: i64) -> Result<(), StoreError> {
        self.execute("UPDATE agent_online SET seen_at = ? WHERE to_at IS NULL", vals![now]).await.map(drop)
    }

    /// At start-up: intervals a stopped relay left open end when they were last seen.
    pub async fn close_stale_online(&self) -> Result<(), StoreError> {
        self.execute("UPDATE agent_online SET to_at = seen_at WHERE to_at IS NULL", vals![]).await.map(drop)
    }

    /// Milliseconds each agent of the store was online within `[from, to)`, open intervals
    /// counted until `now`.
    pub async fn online_time(
        &self,
        store_id: i64,
        from: i64,
        to: i64,
        now: i64,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let rows = db::query(
            "SELECT agent_id, CAST(SUM(CASE WHEN d > 0 THEN d ELSE 0 END) AS BIGINT) FROM (
               SELECT agent_id, (CASE WHEN COALESCE(to_at, ?4) < ?3 THEN COALESCE(to_at, ?4) ELSE ?3 END)
                                - (CASE WHEN from_at > ?2 THEN from_at ELSE ?2 END) AS d
               FROM agent_online WHERE store_id = ?1 AND from_at < ?3 AND COALESCE(to_at, ?4) > ?2) AS spans
             GROUP BY agent_id",
        )
        .bind(store_id)
        .bind(from)
        .bind(to)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
