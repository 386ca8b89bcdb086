//! Opening the store: SQLite in the data dir (kept private to this user, its connection settings,
//! the one migration SQL files cannot express) or PostgreSQL at a URL, migrated, with the open
//! conversations' facts read and the group-commit writer started.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use super::{db, facts, sessions, writer, Lite, Store, StoreError};

impl Store {
    /// Opens (creating if needed) `DIR/relay.db` and applies pending migrations.
    pub async fn open(data_dir: &Path) -> Result<Store, StoreError> {
        keep_private(data_dir).map_err(sqlx::Error::Io)?;
        let path = data_dir.join("relay.db");
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let one = || SqlitePoolOptions::new().max_connections(1);
        // Only the group-commit thread checkpoints (`writer_connection`).
        let writer = one().connect_with(options.clone().pragma("wal_autocheckpoint", "0")).await?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        emails_unique_per_store(&writer).await?;
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options.read_only(true)).await?;
        let conn = writer_connection(&path)?;
        let facts = std::sync::Arc::new(facts::Facts::default());
        facts.replace(facts::read_open(&conn)?);
        let writes = writer::Writer::start(sessions::Lite(conn)).map_err(sqlx::Error::Io)?;
        let (pool, writer) = (db::Pool::Sqlite(pool), db::Pool::Sqlite(writer));
        let lite = Some(Lite { path: std::sync::Arc::new(path) });
        Ok(Store { pool, writer, lite, writes, facts, others_write: false, hours: Default::default() })
    }

    /// Connects to PostgreSQL at `url` and applies pending migrations (`relay/migrations_pg`).
    ///
    /// Several relays may share the database: each reads the open conversations' facts here
    /// at start (keeping them current across nodes is part of issue 16's routing work).
    pub async fn open_postgres(url: &str) -> Result<Store, StoreError> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        sqlx::migrate!("./migrations_pg").run(&pool).await?;
        let session = sessions::Pg::new(pool.clone(), tokio::runtime::Handle::current());
        let writes = writer::Writer::start(session).map_err(sqlx::Error::Io)?;
        let pool = db::Pool::Postgres(pool);
        let facts = std::sync::Arc::new(facts::Facts::default());
        let (writer, hours) = (pool.clone(), Default::default());
        let store = Store { pool, writer, lite: None, writes, facts, others_write: true, hours };
        store.reload_facts().await?;
        Ok(store)
    }
}

/// The group-commit thread's own connection: WAL and `synchronous = FULL` like the others
/// (an acknowledged write is fsynced), the one that checkpoints, and with room for every
/// statement the hot path prepares.
fn writer_connection(path: &Path) -> Result<rusqlite::Connection, StoreError> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    conn.pragma_update(None, "synchronous", "full")?;
    conn.pragma_update(None, "foreign_keys", "on")?;
    // The writer thread checkpoints between its batches (`writer.rs` says why); this is the
    // cap for when its batches are slow: a commit that leaves the log over 10,000 pages (40 MB)
    // checkpoints (passively) at once.
    conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Makes an agent's email unique within their store instead of across stores (one store's
/// admin adding an email another store uses must neither fail nor learn of the other store).
/// SQLite cannot drop a column constraint, so the table is rebuilt the documented way: with
/// foreign keys off, which a migration cannot do (sqlx runs SQLite migrations inside a
/// transaction, where the pragma is ignored, and dropping the old table would then empty the
/// sessions and assignments that reference it). Runs once: afterwards the schema has no
/// column-level UNIQUE on the email.
async fn emails_unique_per_store(writer: &SqlitePool) -> Result<(), StoreError> {
    let schema: Vec<String> =
        sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'agents'")
            .fetch_all(writer)
            .await?;
    if !schema.first().is_some_and(|sql| sql.contains("UNIQUE COLLATE NOCASE")) {
        return Ok(());
    }
    let mut conn = writer.acquire().await?;
    sqlx::query("PRAGMA foreign_keys = OFF").execute(&mut *conn).await?;
    let rebuilt = async {
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        sqlx::raw_sql(REBUILD_AGENTS).execute(&mut *tx).await?;
        tx.commit().await
    }
    .await;
    sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await?;
    rebuilt?;
    Ok(())
}

/// The agents table with emails unique per store (see [`emails_unique_per_store`]).
const REBUILD_AGENTS: &str = "
CREATE TABLE agents_new (
    id             INTEGER PRIMARY KEY,
    store_id       INTEGER NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    email          TEXT    NOT NULL COLLATE NOCASE,
    name           TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    role           TEXT    NOT NULL DEFAULT 'agent',
    created_at     INTEGER NOT NULL,
    capacity       INTEGER NOT NULL DEFAULT 5,
    active         INTEGER NOT NULL DEFAULT 1,
    UNIQUE (store_id, email)
);
INSERT INTO agents_new (id, store_id, email, name, password_hash, role, created_at, capacity, active)
    SELECT id, store_id, email, name, password_hash, role, created_at, capacity, active FROM agents;
DROP TABLE agents;
ALTER TABLE agents_new RENAME TO agents;
CREATE INDEX agents_by_email ON agents(email);
";

/// Creates the data dir readable by this user only (0700) and its database files 0600, and
/// tightens them when they are looser (with a warning): they hold the visitor-token signing
/// key, the password hashes and every conversation. SQLite gives the `-wal` and `-shm` files the
/// database file's mode, so creating `relay.db` as 0600 covers them too.
fn keep_private(data_dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(data_dir)?;
        let tighten = |path: &Path, mode: u32| -> std::io::Result<()> {
            let Ok(meta) = std::fs::metadata(path) else { return Ok(()) };
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(path = ?path, "others could read this; making it private to this user");
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
            }
            Ok(())
        };
        tighten(data_dir, 0o700)?;
        let db = data_dir.join("relay.db");
        std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(&db)?;
        for name in ["relay.db", "relay.db-wal", "relay.db-shm"] {
            tighten(&data_dir.join(name), 0o600)?;
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(data_dir)?;
    Ok(())
}
