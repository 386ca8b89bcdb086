//! Who exists: stores and their allowed origins, agents and their sessions, visitors.

use super::db::{self, Row};
use super::statements::vals;
use protocol::AgentRole;

use super::{now_millis, unique_violation, Hours, Store, StoreError, HOURS_FRESH};

/// Stores one email's password is checked against when a sign-in names no store: each costs a
/// password check, so a sign-in can never cost more than this many.
pub const MAX_STORES_PER_EMAIL: i64 = 5;

/// A store (tenant) as the relay needs it on every connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreRecord {
    /// Internal id.
    pub id: i64,
    /// The public key from the script tag.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Allowed page origins (`scheme://host[:port]`, or `self`).
    pub origins: Vec<String>,
}

/// An agent, with the password hash needed to check a login.
#[derive(Debug, Clone)]
pub struct AgentRecord {
    /// Internal id.
    pub id: i64,
    /// The store the agent works for; they see nothing of any other.
    pub store_id: i64,
    /// Login email.
    pub email: String,
    /// Display name shown to shoppers.
    pub name: String,
    /// What they may do.
    pub role: AgentRole,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// How many conversations they handle at once.
    pub capacity: usize,
}

impl Store {
    /// Creates a store. Fails with `AlreadyExists` when the key is taken.
    pub async fn add_store(&self, key: &str, name: &str, origins: &[String]) -> Result<StoreRecord, StoreError> {
        let mut tx = self.writer.begin().await?;
        let id: i64 = db::query_scalar(
            "INSERT INTO stores (key, name, created_at, identity_secret) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(key)
        .bind(name)
        .bind(now_millis())
        .bind(super::customers::fresh_secret()?)
        .fetch_all(&mut tx)
        .await
        .map_err(|e| unique_violation(e, || format!("a store with key {key:?} already exists")))?
        .into_iter()
        .next()
        .ok_or(sqlx::Error::RowNotFound)?;
        for origin in origins {
            db::query("INSERT OR IGNORE INTO store_origins (store_id, origin) VALUES (?, ?)")
                .bind(id)
                .bind(origin)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
        Ok(StoreRecord { id, key: key.to_owned(), name: name.to_owned(), origins: origins.to_vec() })
    }

    /// Creates the store if its key is free; returns whether it did.
    pub async fn ensure_store(&self, key: &str, name: &str, origins: &[String]) -> Result<bool, StoreError> {
        match self.add_store(key, name, origins).await {
            Ok(_) => Ok(true),
            Err(StoreError::AlreadyExists(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Looks a store up by its public key.
    pub async fn store_by_key(&self, key: &str) -> Result<Option<StoreRecord>, StoreError> {
        let row = db::query("SELECT id, key, name FROM stores WHERE key = ?")
            .bind(key)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .next();
        let Some(row) = row else { return Ok(None) };
        let id: i64 = row.get("id");
        let origins = db::query_scalar("SELECT origin FROM store_origins WHERE store_id = ? ORDER BY origin")
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        Ok(Some(StoreRecord { id, key: row.get("key"), name: row.get("name"), origins }))
    }

    /// Sets the first-reply deadline of a store, in seconds.
    pub async fn set_first_reply_secs(&self, key: &str, secs: u32) -> Result<(), StoreError> {
        let done = db::query("UPDATE stores SET first_reply_secs = ? WHERE key = ?")
            .bind(i64::from(secs))
            .bind(key)
            .execute(&self.writer)
            .await?;
        found_store(done.rows_affected(), key)
    }

    /// Sets a store's business hours (`None`: always open) and time zone, both already checked.
    pub async fn set_hours(&self, key: &str, hours: Option<&str>, timezone: &str) -> Result<(), StoreError> {
        let done = db::query("UPDATE stores SET hours = ?, timezone = ? WHERE key = ?")
            .bind(hours)
            .bind(timezone)
            .bind(key)
            .execute(&self.writer)
            .await?;
        self.hours.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
        found_store(done.rows_affected(), key)
    }

    /// Sets (or with `None` removes) the bot's greeting for shoppers who open the chat.
    pub async fn set_greeting(&self, key: &str, greeting: Option<&str>) -> Result<(), StoreError> {
        let done = db::query("UPDATE stores SET greeting = ? WHERE key = ?")
            .bind(greeting)
            .bind(key)
            .execute(&self.writer)
            .await?;
        found_store(done.rows_affected(), key)
    }

    /// The bot's greeting, if the store has one.
    pub async fn greeting(&self, store_id: i64) -> Result<Option<String>, StoreError> {
        let rows: Vec<Option<String>> =
            db::query_scalar("SELECT greeting FROM stores WHERE id = ?").bind(store_id).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().next().flatten())
    }

    /// A store's business hours (`None`: always open) and time zone; the bot asks for every
    /// shopper message, so they come from memory, read again at most every [`HOURS_FRESH`].
    pub async fn hours(&self, store_id: i64) -> Result<Hours, StoreError> {
        let cache = || self.hours.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((read, hours)) = cache().get(&store_id) {
            if read.elapsed() < HOURS_FRESH {
                return Ok(hours.clone());
            }
        }
        let row = db::query("SELECT hours, timezone FROM stores WHERE id = ?")
            .bind(store_id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NotFound(format!("no store {store_id}")))?;
        let hours: Hours = (row.get("hours"), row.get("timezone"));
        cache().insert(store_id, (std::time::Instant::now(), hours.clone()));
        Ok(hours)
    }

    /// Drops a store's hours from memory after they changed.
    pub(super) fn forget_hours(&self, store_id: i64) {
        self.hours.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&store_id);
    }

    /// A store's first-reply deadline, in seconds.
    pub async fn first_reply_secs(&self, store_id: i64) -> Result<u32, StoreError> {
        let secs: i64 = db::query_scalar("SELECT first_reply_secs FROM stores WHERE id = ?")
            .bind(store_id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .next()
            .ok_or(sqlx::Error::RowNotFound)?;
        Ok(u32::try_from(secs).unwrap_or(60))
    }

    /// Looks a store up by its internal id.
    pub async fn store_by_id(&self, id: i64) -> Result<Option<StoreRecord>, StoreError> {
        let key: Option<String> = db::query_scalar("SELECT key FROM stores WHERE id = ?")
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .next();
        match key {
            Some(key) => self.store_by_key(&key).await,
            None => Ok(None),
        }
    }

    /// Creates an agent of the store with key `store_key`.
    pub async fn add_agent(
        &self,
        store_key: &str,
        email: &str,
        name: &str,
        role: AgentRole,
        password_hash: &str,
    ) -> Result<AgentRecord, StoreError> {
        let store = self
            .store_by_key(store_key)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no store has the key {store_key:?}")))?;
        let id: i64 = db::query_scalar(
            "INSERT INTO agents (store_id, email, name, password_hash, role, created_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(store.id)
        .bind(email)
        .bind(name)
        .bind(password_hash)
        .bind(role.as_str())
        .bind(now_millis())
        .fetch_all(&self.writer)
        .await
        .map_err(|e| unique_violation(e, || format!("this store already has an agent with email {email:?}")))?
        .into_iter()
        .next()
        .ok_or(sqlx::Error::RowNotFound)?;
        Ok(AgentRecord {
            id,
            store_id: store.id,
            email: email.to_owned(),
            name: name.to_owned(),
            role,
            password_hash: password_hash.to_owned(),
            capacity: 5,
        })
    }

    /// The active agents with this email (case-insensitive), one per store, at most
    /// [`MAX_STORES_PER_EMAIL`] (oldest first).
    pub async fn agents_by_email(&self, email: &str) -> Result<Vec<AgentRecord>, StoreError> {
        let rows = db::query(
            "SELECT id, store_id, email, name, role, password_hash, capacity FROM agents
             WHERE email = ? COLLATE NOCASE AND active = 1 ORDER BY id LIMIT ?",
        )
        .bind(email)
        .bind(MAX_STORES_PER_EMAIL)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(agent_from_row).collect())
    }

    /// Records a new session for an agent under the hash of its token.
    pub async fn add_session(&self, agent_id: i64, token_hash: &[u8]) -> Result<(), StoreError> {
        let now = now_millis();
        db::query("INSERT INTO agent_sessions (token_hash, agent_id, created_at, last_used_at) VALUES (?, ?, ?, ?)")
            .bind(token_hash)
            .bind(agent_id)
            .bind(now)
            .bind(now)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Finds the agent of a session used within `max_idle_ms`, and marks the session used.
    pub async fn agent_by_session(
        &self,
        token_hash: &[u8],
        max_idle_ms: i64,
    ) -> Result<Option<AgentRecord>, StoreError> {
        let now = now_millis();
        let row = db::query(
            "UPDATE agent_sessions SET last_used_at = ?1
             WHERE token_hash = ?2 AND last_used_at >= ?3
             RETURNING agent_id",
        )
        .bind(now)
        .bind(token_hash)
        .bind(now - max_idle_ms)
        .fetch_all(&self.writer)
        .await?
        .into_iter()
        .next();
        let Some(row) = row else { return Ok(None) };
        let agent_id: i64 = row.get("agent_id");
        let row = db::query(
            "SELECT id, store_id, email, name, role, password_hash, capacity FROM agents WHERE id = ? AND active = 1",
        )
        .bind(agent_id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .next();
        Ok(row.map(|r| agent_from_row(&r)))
    }

    /// Sets how many conversations an agent handles at once.
    pub async fn set_agent_capacity(&self, agent_id: i64, capacity: usize) -> Result<(), StoreError> {
        db::query("UPDATE agents SET capacity = ? WHERE id = ?")
            .bind(i64::try_from(capacity).unwrap_or(i64::MAX))
            .bind(agent_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Ends a session (logout).
    pub async fn remove_session(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        db::query("DELETE FROM agent_sessions WHERE token_hash = ?").bind(token_hash).execute(&self.writer).await?;
        Ok(())
    }

    /// Creates a visitor of a store.
    pub async fn add_visitor(&self, store_id: i64, visitor_id: &str) -> Result<(), StoreError> {
        let sql = "INSERT INTO visitors (id, store_id, created_at) VALUES (?, ?, ?)";
        self.execute(sql, vals![visitor_id.to_owned(), store_id, now_millis()]).await?;
        Ok(())
    }

    /// Whether a visitor exists in the given store.
    pub async fn visitor_exists(&self, store_id: i64, visitor_id: &str) -> Result<bool, StoreError> {
        let found: Option<i64> =
            db::query_scalar("SELECT CAST(1 AS BIGINT) FROM visitors WHERE id = ? AND store_id = ?")
                .bind(visitor_id)
                .bind(store_id)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .next();
        Ok(found.is_some())
    }
}

/// Turns "no row was updated" into the error an operator understands.
pub(super) fn found_store(rows_affected: u64, key: &str) -> Result<(), StoreError> {
    if rows_affected == 0 {
        return Err(StoreError::NotFound(format!("no store has the key {key:?}")));
    }
    Ok(())
}

fn agent_from_row(r: &Row) -> AgentRecord {
    AgentRecord {
        id: r.get("id"),
        store_id: r.get("store_id"),
        email: r.get("email"),
        name: r.get("name"),
        role: role_of(r),
        password_hash: r.get("password_hash"),
        capacity: r.get::<i64, _>("capacity").max(0) as usize,
    }
}

/// The role stored in a row; an unknown name (written by hand) gets the least power.
pub(super) fn role_of(r: &Row) -> AgentRole {
    r.get::<String, _>("role").parse().unwrap_or_default()
}
