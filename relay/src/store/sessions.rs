//! The two databases a writer thread runs its batches on: a batch is a transaction, each job
//! in it a savepoint.
//!
//! SQLite runs in this process, so a savepoint costs nothing and is released after each job.
//! PostgreSQL is a round trip away and the thread waits on every statement, so round trips
//! are its limit: a job costs one for its savepoint and one per statement. Its savepoints are
//! not released (a release is another round trip; the commit ends them all), its statements
//! have no savepoint of their own (a job ends on its first error), and a batch holds at most
//! [`PG_MAX_BATCH`] jobs, which keeps its subtransactions within the 64 PostgreSQL tracks
//! cheaply for every snapshot.

use sqlx::{PgPool, Postgres, Transaction};

use super::statements::{PgStatements, Statements};
use super::writer::{Job, Ran, Session};
use super::StoreError;

/// Most jobs in one SQLite transaction.
const LITE_MAX_BATCH: usize = 1024;

/// Most jobs in one PostgreSQL transaction: each that writes is a subtransaction, and past 64
/// of them every other session's snapshot checks them the slow way
/// (PostgreSQL's `PGPROC_MAX_CACHED_SUBXIDS`).
pub const PG_MAX_BATCH: usize = 60;

/// SQLite: the writer's own connection, with its prepared statements cached.
pub struct Lite(pub rusqlite::Connection);

impl Lite {
    /// Runs one statement of the batch's bookkeeping (`BEGIN`, savepoints, `COMMIT`).
    fn step(&self, sql: &str) -> Result<(), StoreError> {
        self.0.prepare_cached(sql)?.execute([])?;
        Ok(())
    }
}

impl Session for Lite {
    fn name(&self) -> &'static str {
        "sqlite-writer"
    }

    fn max_batch(&self) -> usize {
        LITE_MAX_BATCH
    }

    fn begin(&mut self) -> Result<(), StoreError> {
        self.step("BEGIN IMMEDIATE")
    }

    fn savepoint(&mut self) -> Result<(), StoreError> {
        self.step("SAVEPOINT job")
    }

    fn run(&mut self, job: Box<dyn Job>) -> Ran {
        job.run(&self.0, &breaks_sqlite)
    }

    fn keep(&mut self) -> Result<(), StoreError> {
        self.step("RELEASE job")
    }

    fn undo(&mut self) -> Result<(), StoreError> {
        self.step("ROLLBACK TO job")?;
        self.step("RELEASE job")
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.step("COMMIT").inspect_err(|_| self.rollback())
    }

    fn rollback(&mut self) {
        let _ = self.step("ROLLBACK");
    }

    fn shorten_log(&mut self) {
        // Passive: copies what no reader still needs and waits for nobody; the next batch then
        // writes the log from its start again.
        if let Err(error) = self.0.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get::<_, i64>(0)) {
            tracing::warn!(%error, "checkpoint failed");
        }
    }
}

/// Whether a job's error leaves SQLite's transaction unusable. Constraint errors undo only
/// the job that hit them (its savepoint); anything else (disk full, I/O) may have rolled back
/// everything.
fn breaks_sqlite(error: &StoreError) -> bool {
    match error {
        StoreError::AlreadyExists(_) | StoreError::NotFound(_) => false,
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => e.code != rusqlite::ErrorCode::ConstraintViolation,
        _ => true,
    }
}

/// PostgreSQL: a transaction on one of the pool's connections per batch, driven from the
/// writer thread.
pub struct Pg {
    pool: PgPool,
    runtime: tokio::runtime::Handle,
    tx: Option<Transaction<'static, Postgres>>,
}

impl Pg {
    /// Batches on connections from `pool`, run to completion on `runtime`.
    pub fn new(pool: PgPool, runtime: tokio::runtime::Handle) -> Pg {
        Pg { pool, runtime, tx: None }
    }

    fn simple(&mut self, sql: &'static str) -> Result<(), StoreError> {
        let tx = self.tx.as_mut().ok_or_else(|| StoreError::NotWritten("no batch is open".into()))?;
        self.runtime.block_on(sqlx::raw_sql(sql).execute(&mut **tx))?;
        Ok(())
    }
}

impl Session for Pg {
    fn name(&self) -> &'static str {
        "parley-pg-writer"
    }

    fn max_batch(&self) -> usize {
        PG_MAX_BATCH
    }

    fn begin(&mut self) -> Result<(), StoreError> {
        self.tx = Some(self.runtime.block_on(self.pool.begin())?);
        Ok(())
    }

    fn savepoint(&mut self) -> Result<(), StoreError> {
        self.simple("SAVEPOINT job")
    }

    fn run(&mut self, job: Box<dyn Job>) -> Ran {
        let Some(tx) = self.tx.as_mut() else {
            return job.run(&NoBatch, &|_| true);
        };
        // Any error ends the job, and rolling back to its savepoint undoes it whatever it was.
        job.run(&PgStatements::new(tx, self.runtime.clone()), &|_| false)
    }

    fn keep(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    fn undo(&mut self) -> Result<(), StoreError> {
        // Back to this job's savepoint, the latest of that name.
        self.simple("ROLLBACK TO SAVEPOINT job")
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        let tx = self.tx.take().ok_or_else(|| StoreError::NotWritten("no batch is open".into()))?;
        self.runtime.block_on(tx.commit())?;
        Ok(())
    }

    fn rollback(&mut self) {
        if let Some(tx) = self.tx.take() {
            let _ = self.runtime.block_on(tx.rollback());
        }
    }
}

/// Statements with no transaction under them (never used: a batch that could not begin runs
/// no job).
struct NoBatch;

impl Statements for NoBatch {
    fn execute(&self, _: &str, _: Vec<super::db::Value>) -> Result<u64, StoreError> {
        Err(StoreError::NotWritten("no batch is open".into()))
    }

    fn rows(&self, _: &str, _: Vec<super::db::Value>) -> Result<Vec<super::statements::Values>, StoreError> {
        Err(StoreError::NotWritten("no batch is open".into()))
    }
}
