//! A store's keyword rules as the console manages them: change, remove, and put in the order
//! they are tried. The order is the rules' priority (highest first, the oldest first on a tie,
//! as `relay bot rule --priority` sets it); reordering rewrites the priorities so that the list
//! as given is the order.

use super::db;
use super::statements::vals;
use super::{BotRule, Store, StoreError};

impl Store {
    /// Adds a rule after the store's others (tried last); returns it.
    pub async fn append_bot_rule(
        &self,
        store_id: i64,
        kind: &str,
        pattern: &str,
        reply: &str,
    ) -> Result<BotRule, StoreError> {
        let (kind, pattern, reply) = (kind.to_owned(), pattern.to_owned(), reply.to_owned());
        self.job(
            move |conn| {
                let priority = conn
                    .row("SELECT COALESCE(MIN(priority), 1) - 1 FROM bot_rules WHERE store_id = ?1", vals![store_id])?
                    .map_or(0, |r| r.int(0));
                let id = conn
                    .row(
                        "INSERT INTO bot_rules (store_id, kind, pattern, reply, priority) VALUES (?1, ?2, ?3, ?4, ?5)
                         RETURNING id",
                        vals![store_id, kind.as_str(), pattern.as_str(), reply.as_str(), priority],
                    )?
                    .ok_or_else(|| StoreError::NotWritten("the rule was not stored".into()))?
                    .int(0);
                Ok(BotRule { id, kind, pattern, reply, priority })
            },
            |_| {},
        )
        .await
    }

    /// Changes a rule of the store (its place stays); `None` when the store has no such rule.
    pub async fn update_bot_rule(
        &self,
        store_id: i64,
        id: i64,
        kind: &str,
        pattern: &str,
        reply: &str,
    ) -> Result<Option<BotRule>, StoreError> {
        let (kind, pattern, reply) = (kind.to_owned(), pattern.to_owned(), reply.to_owned());
        self.job(
            move |conn| {
                let priority = conn.row(
                    "UPDATE bot_rules SET kind = ?3, pattern = ?4, reply = ?5 WHERE id = ?2 AND store_id = ?1
                     RETURNING priority",
                    vals![store_id, id, kind.as_str(), pattern.as_str(), reply.as_str()],
                )?;
                Ok(priority.map(|r| BotRule { id, kind, pattern, reply, priority: r.int(0) }))
            },
            |_| {},
        )
        .await
    }

    /// Removes a rule of the store; whether it had one.
    pub async fn delete_bot_rule(&self, store_id: i64, id: i64) -> Result<bool, StoreError> {
        let done = self.execute("DELETE FROM bot_rules WHERE id = ?2 AND store_id = ?1", vals![store_id, id]).await?;
        Ok(done > 0)
    }

    /// Puts the store's rules in the order of `ids` (first tried first), which must name each
    /// of its rules once; `false` (and no change) when it does not.
    pub async fn reorder_bot_rules(&self, store_id: i64, ids: Vec<i64>) -> Result<bool, StoreError> {
        self.job(
            move |conn| {
                let mut have: Vec<i64> = conn
                    .rows("SELECT id FROM bot_rules WHERE store_id = ?1", vals![store_id])?
                    .iter()
                    .map(|r| r.int(0))
                    .collect();
                let mut given = ids.clone();
                have.sort_unstable();
                given.sort_unstable();
                if have != given {
                    return Ok(false);
                }
                let count = i64::try_from(ids.len()).unwrap_or(i64::MAX);
                for (place, id) in ids.iter().enumerate() {
                    let place = i64::try_from(place).unwrap_or(i64::MAX);
                    conn.execute(
                        "UPDATE bot_rules SET priority = ?3 WHERE id = ?2 AND store_id = ?1",
                        vals![store_id, *id, count - place],
                    )?;
                }
                Ok(true)
            },
            |_| {},
        )
        .await
    }

    /// The store's own repeat window in seconds, if it set one.
    pub async fn bot_repeat_secs(&self, store_id: i64) -> Result<Option<u32>, StoreError> {
        let secs: Option<Option<i64>> = db::query_scalar("SELECT bot_repeat_secs FROM stores WHERE id = ?")
            .bind(store_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(secs.flatten().and_then(|s| u32::try_from(s).ok()))
    }
}
