//! A store's keyword rules as the console manages them: change, remove, and put in the order
//! they are tried. The order is the rules' priority (highest first, the oldest first on a tie,
//! as `relay bot rule --priority` sets it); reordering rewrites the priorities so that the list
//! as given is the order.

use super::db;
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
        self.writes()?
            .write(move |conn| {
                let priority: i64 = conn
                    .prepare_cached("SELECT COALESCE(MIN(priority), 1) - 1 FROM bot_rules WHERE store_id = ?1")?
                    .query_row(rusqlite::params![store_id], |row| row.get(0))?;
                let id: i64 = conn
                    .prepare_cached(
                        "INSERT INTO bot_rules (store_id, kind, pattern, reply, priority) VALUES (?1, ?2, ?3, ?4, ?5)
                         RETURNING id",
                    )?
                    .query_row(rusqlite::params![store_id, kind, pattern, reply, priority], |row| row.get(0))?;
                Ok(BotRule { id, kind, pattern, reply, priority })
            })
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
        self.writes()?
            .write(move |conn| {
                let priority = conn
                    .prepare_cached(
                        "UPDATE bot_rules SET kind = ?3, pattern = ?4, reply = ?5 WHERE id = ?2 AND store_id = ?1
                         RETURNING priority",
                    )?
                    .query_row(rusqlite::params![store_id, id, kind, pattern, reply], |row| row.get::<_, i64>(0));
                match priority {
                    Ok(priority) => Ok(Some(BotRule { id, kind, pattern, reply, priority })),
                    Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
                    Err(e) => Err(e.into()),
                }
            })
            .await
    }

    /// Removes a rule of the store; whether it had one.
    pub async fn delete_bot_rule(&self, store_id: i64, id: i64) -> Result<bool, StoreError> {
        let done = self.execute("DELETE FROM bot_rules WHERE id = ?2 AND store_id = ?1", args![store_id, id]).await?;
        Ok(done > 0)
    }

    /// Puts the store's rules in the order of `ids` (first tried first), which must name each
    /// of its rules once; `false` (and no change) when it does not.
    pub async fn reorder_bot_rules(&self, store_id: i64, ids: Vec<i64>) -> Result<bool, StoreError> {
        self.writes()?
            .write(move |conn| {
                let mut have: Vec<i64> = conn
                    .prepare_cached("SELECT id FROM bot_rules WHERE store_id = ?1")?
                    .query_map(rusqlite::params![store_id], |row| row.get(0))?
                    .collect::<Result<_, _>>()?;
                let mut given = ids.clone();
                have.sort_unstable();
                given.sort_unstable();
                if have != given {
                    return Ok(false);
                }
                let mut set =
                    conn.prepare_cached("UPDATE bot_rules SET priority = ?3 WHERE id = ?2 AND store_id = ?1")?;
                let count = i64::try_from(ids.len()).unwrap_or(i64::MAX);
                for (place, id) in ids.iter().enumerate() {
                    let place = i64::try_from(place).unwrap_or(i64::MAX);
                    set.execute(rusqlite::params![store_id, id, count - place])?;
                }
                Ok(true)
            })
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
