//! Persistence: the one place that speaks SQL.
//!
//! The relay keeps everything in one SQLite database inside the data dir (WAL mode,
//! `synchronous = FULL`), so a message is on disk before its sender is told `accepted`. The rest
//! of the relay sees typed rows and never a query. The command-line tools (`store add`,
//! `agent add`) open the same database while a server may be running; SQLite's locking and a busy
//! timeout make that safe.

mod conversations;
mod directory;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

pub use conversations::{AppendOutcome, ConversationRecord, NewMessage, Overdue};
pub use directory::{AgentRecord, StoreRecord};

/// Errors a store operation can end with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken (an existing store key or agent email).
    #[error("{0}")]
    AlreadyExists(String),
    /// A referenced row does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A handle on the relay's database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) `DIR/relay.db` and applies pending migrations.
    pub async fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(sqlx::Error::Io)?;
        let path = data_dir.join("relay.db");
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }

    /// Waits for queries in flight and closes every connection (graceful shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Reads a relay-wide secret, creating it with `make` on first use.
    pub async fn secret(&self, name: &str, make: impl FnOnce() -> Vec<u8>) -> Result<Vec<u8>, StoreError> {
        let fresh = make();
        sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING")
            .bind(name)
            .bind(&fresh)
            .execute(&self.pool)
            .await?;
        let value: Vec<u8> =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = ?").bind(name).fetch_one(&self.pool).await?;
        Ok(value)
    }
}

/// Maps a unique-constraint violation to [`StoreError::AlreadyExists`] with `what` as message.
fn unique_violation(err: sqlx::Error, what: impl FnOnce() -> String) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::AlreadyExists(what()),
        _ => StoreError::Database(err),
    }
}

/// The current time in milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
}
