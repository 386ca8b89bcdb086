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
mod opening;
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

use std::time::Duration;

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
