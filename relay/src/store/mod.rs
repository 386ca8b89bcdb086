//! Persistence: the one place that speaks SQL.
//!
//! The relay keeps everything in one SQLite database inside the data dir (WAL mode,
//! `synchronous = FULL`), so a message is on disk before its sender is told `accepted`. The rest
//! of the relay sees typed rows and never a query. The command-line tools (`store add`,
//! `agent add`) open the same database while a server may be running; SQLite's locking and a busy
//! timeout make that safe.

mod bot_rules;
mod closing;
mod console;
mod conversations;
mod customers;
mod db;
mod dialect;
mod directory;
mod facts;
mod faq;
mod faq_vectors;
mod figures;
mod help_use;
mod mail;
mod messages;
mod online;
mod order_source;
mod privacy;
mod proactive;
mod ratings;
mod reports;
mod rows;
mod search;
mod sessions;
mod settings;
mod statements;
mod tags;
mod texts;
mod timeline;
mod visitors_now;
mod webhooks;
mod writer;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

pub use closing::{DueClose, DEFAULT_CLOSING_WAIT_SECS, DEFAULT_IDLE_CLOSE_SECS};
pub use console::{MemberChange, VisitorContext};
pub use conversations::ConversationRecord;
pub use customers::{CustomerRecord, IdentitySettings};
pub use directory::{AgentRecord, StoreRecord};
pub use facts::ConversationFacts;
pub use faq::{Article, BotRule, MAX_UNANSWERED};
pub use faq_vectors::StoredVector;
pub use figures::QueueFigure;
pub use mail::{NewEmail, OutboxEmail, WaitingReplies};
pub use messages::{AppendOutcome, NewMessage};
pub use order_source::{OrderSourceChange, OrderSourceSettings};
pub use privacy::Shopper;
pub use protocol::{CannedReply, StoreSettings, TeamMember};
pub use ratings::RATING_CHANGEABLE_MS;
pub use reports::{PastConversation, ReportRow};
pub use search::{Scope, MAX_SEARCH_CHARS};
pub use tags::MAX_TAGS_PER_VISITOR;
pub use timeline::{BotContext, EventKind, Overdue, RoutingEvent};
pub use webhooks::{DueDelivery, WebhookEvent};
pub use writer::BEHIND_BOUND;

/// Errors a store operation can end with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken (an existing store key or agent email).
    #[error("{0}")]
    AlreadyExists(String),
    /// A referenced row does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A batched write failed, or the relay is shutting down before it could be made.
    #[error("write not completed: {0}")]
    NotWritten(String),
    /// The writer is behind (its oldest queued write has waited this long): a message is
    /// refused at once, to be sent again shortly, rather than stored seconds from now.
    #[error("the relay is busy; the write was not queued")]
    Busy(Duration),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The database failed on the writer's connection.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The schema could not be brought up to date.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A handle on the relay's database; cheap to clone.
///
/// Reads share a pool of connections (sqlx). The frequent writes (messages, routing events,
/// read marks, pages) are group-committed by [`writer`] on a thread that owns its own
/// connection; the rare ones (settings, the team, the FAQ) go through one more connection,
/// and SQLite's lock orders the two. The writer thread's connection also checkpoints the
/// write-ahead log (`writer_connection` says why there).
#[derive(Clone, Debug)]
pub struct Store {
    /// Reads (SQLite: read-only connections).
    pool: db::Pool,
    /// The rare writes (SQLite: one connection; PostgreSQL: the same pool as the reads).
    writer: db::Pool,
    /// What only the embedded database has (`None` on PostgreSQL).
    lite: Option<Lite>,
    /// The frequent writes, group-committed on a thread of their own (either database).
    writes: writer::Writer,
    /// The open conversations, kept by the writer's thread (see [`facts`]).
    facts: std::sync::Arc<facts::Facts>,
    /// Whether other relays may write to the same database (see [`Store::shared`]).
    others_write: bool,
    /// Each store's business hours and time zone, read at most every [`HOURS_FRESH`].
    hours: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<i64, (std::time::Instant, Hours)>>>,
}

/// The parts of a store on SQLite that PostgreSQL does not need.
#[derive(Clone, Debug)]
struct Lite {
    /// The database file, for the large reads that open a connection of their own (reports).
    path: std::sync::Arc<std::path::PathBuf>,
}

/// A write job's outcome, once it is durable.
type Pending<T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, StoreError>> + Send + 'static>>;

/// A store's business hours (`None`: always open) and time zone.
pub type Hours = (Option<String>, String);

/// How long a store's hours are taken from memory: this process's changes apply at once,
/// another's (the command line) within this.
const HOURS_FRESH: Duration = Duration::from_secs(2);

impl Store {
    /// Whether other relays may write to this database too (PostgreSQL, unless the relay was
    /// told it is alone): then what memory knows of open conversations is a hint and the
    /// database is asked.
    fn shared(&self) -> bool {
        self.others_write
    }

    /// This handle for a relay that is the only one writing to its database (PostgreSQL
    /// without a bus): open conversations' facts come from memory, as on SQLite, which saves
    /// PostgreSQL a read per message. Other handles on the same store keep asking the database.
    pub fn alone(mut self) -> Store {
        self.others_write = false;
        self
    }

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

    /// Queues a write job now for the next group commit (refused at once as `busy` when
    /// `urgency` allows and the writer is behind); the future ends once the job is durable,
    /// after `on_commit` has run on the writer's thread.
    fn submit_job<T, F, C>(&self, urgency: writer::Urgency, op: F, on_commit: C) -> Result<Pending<T>, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn statements::Statements) -> Result<T, StoreError> + Send + 'static,
        C: FnOnce(&T) + Send + 'static,
    {
        Ok(Box::pin(self.writes.submit_then(urgency, op, on_commit)?))
    }

    /// Runs a write job (never refused as `busy`) and `on_commit` once it is durable.
    async fn job<T, F, C>(&self, op: F, on_commit: C) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn statements::Statements) -> Result<T, StoreError> + Send + 'static,
        C: FnOnce(&T) + Send + 'static,
    {
        self.submit_job(writer::Urgency::Always, op, on_commit)?.await
    }

    /// Runs one statement in the next group commit; returns how many rows it changed once it
    /// is durable.
    async fn execute(&self, sql: &'static str, values: Vec<db::Value>) -> Result<u64, StoreError> {
        self.job(move |conn| conn.execute(sql, values), |_| {}).await
    }

    /// Waits for queries in flight and closes every connection (graceful shutdown).
    pub async fn close(&self) {
        self.writes.flush().await;
        self.writes.close().await;
        self.writer.close().await;
        self.pool.close().await;
    }

    /// A test hook: every batch of frequent writes waits `hold` before it commits, as a slow
    /// disk would (zero ends it). Tests use it to see the relay refuse messages with `busy`.
    pub fn hold_commits(&self, hold: Duration) {
        self.writes.hold_commits(hold);
    }

    /// From now on refuses messages as `busy` also while the async workers run late (the relay
    /// starts its pulse when it serves; a store used alone by a command has none).
    pub fn watch(&self, pulse: std::sync::Arc<crate::pulse::Pulse>) {
        self.writes.watch(pulse);
    }

    /// A test hook: how late the async workers may run before messages are refused as `busy`
    /// (`pulse::LATE_BOUND` unless a test changes it).
    pub fn set_late_bound(&self, bound: Duration) {
        self.writes.set_late_bound(bound);
    }

    /// Messages refused as `busy` so far (the writer or the workers were behind).
    pub fn busy_refusals(&self) -> u64 {
        self.writes.busy_refusals()
    }

    /// A test hook: how far behind the writer may be before messages are refused as `busy`
    /// (200 ms unless a test changes it).
    pub fn set_behind_bound(&self, bound: Duration) {
        self.writes.set_behind_bound(bound);
    }

    /// A test hook: the next `n` messages are refused as `busy`, as if the writer were behind.
    pub fn refuse_next_messages(&self, n: u64) {
        self.writes.refuse_next(n);
    }

    /// Reads a relay-wide secret, creating it with `make` on first use.
    pub async fn secret(&self, name: &str, make: impl FnOnce() -> Vec<u8>) -> Result<Vec<u8>, StoreError> {
        let fresh = make();
        db::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING")
            .bind(name)
            .bind(&fresh)
            .execute(&self.writer)
            .await?;
        let value: Vec<u8> = db::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(name)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .next()
            .ok_or(sqlx::Error::RowNotFound)?;
        Ok(value)
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

// Every query here reads its rows to the end (`fetch_all`), never `fetch_one` or
// `fetch_optional`: those stop after the first row, and SQLite keeps a statement that was not
// run to completion active. An active statement holds its connection's read snapshot (later
// reads on that connection would miss newer commits) and, for `INSERT … RETURNING` outside a
// transaction, holds back the commit itself, so a write could be acknowledged before it is
// on disk.

/// Whether an error of the writer's connection is a broken uniqueness rule.
fn is_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(e, _)
        if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
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
