//! Group commit: the relay's frequent writes share transactions.
//!
//! SQLite commits one transaction at a time, and every commit waits for the disk (fsync, with
//! `synchronous = FULL`). Under load, writers would queue for that one by one. Instead, every
//! frequent write is a job for one task: it takes every job waiting, runs them in one
//! transaction, commits once, and only then tells each caller its result. A message is still on
//! disk before its sender hears `accepted`; a burst just shares the fsync. With one job waiting
//! the task skips the explicit transaction, so a quiet relay pays nothing extra.
//!
//! Jobs are single statements, or wrap themselves in a savepoint, so a job refused by a
//! constraint (a resent message, say) undoes only itself. Any other error fails the whole batch:
//! it is rolled back, and every caller in it gets the error.

use futures_util::future::BoxFuture;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Connection, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::StoreError;

/// Most jobs in one transaction.
const MAX_BATCH: usize = 512;

/// Called once the batch is settled: `None` when it committed, else why it did not.
type Finish = Box<dyn FnOnce(Option<&str>) + Send>;

/// A job's outcome: how to finish it, and whether it broke the transaction.
type Ran = (Finish, bool);

/// One write, run on the writer's connection inside the current batch.
type Job = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Ran> + Send>;

/// The queue of writes; cheap to clone.
#[derive(Clone, Debug)]
pub struct Writer {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Writer {
    /// Starts the task that runs jobs on `pool`'s connection; it ends when every handle is gone.
    pub fn start(pool: SqlitePool) -> Writer {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, queue));
        Writer { jobs }
    }

    /// Runs `op` in the next batch and returns its result once the batch is on disk.
    pub async fn write<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, StoreError>> + Send + 'static,
    {
        let (tell, told) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            Box::pin(async move {
                let result = op(conn).await;
                let broke = result.as_ref().is_err_and(breaks_transaction);
                let finish: Finish = Box::new(move |failed| {
                    let outcome = match (result, failed) {
                        (Err(e), _) => Err(e),
                        (Ok(_), Some(why)) => Err(StoreError::NotWritten(why.to_owned())),
                        (Ok(value), None) => Ok(value),
                    };
                    let _ = tell.send(outcome);
                });
                (finish, broke)
            })
        });
        self.jobs.send(job).map_err(|_| StoreError::NotWritten("the store is closed".into()))?;
        // A job dropped unrun (its batch could not start, or broke before it) says so here.
        told.await.map_err(|_| StoreError::NotWritten("the write could not be made; nothing was stored".into()))?
    }

    /// Runs one statement with its arguments (built with the store's `args!`) in the next
    /// batch; returns how many rows it changed once the batch is on disk.
    pub async fn execute(&self, sql: &'static str, args: SqliteArguments<'static>) -> Result<u64, StoreError> {
        self.write(move |conn| {
            Box::pin(async move { Ok(sqlx::query_with(sql, args).execute(conn).await?.rows_affected()) })
        })
        .await
    }

    /// Waits until every write queued before this call is settled (for a clean shutdown).
    pub async fn flush(&self) {
        let _ = self.write(|_| Box::pin(async { Ok(()) })).await;
    }
}

/// Whether a job's error leaves the transaction unusable. Constraint errors undo only the
/// statement that hit them; anything else (disk full, I/O) may have rolled back everything.
fn breaks_transaction(error: &StoreError) -> bool {
    match error {
        StoreError::AlreadyExists(_) | StoreError::NotFound(_) => false,
        StoreError::Database(sqlx::Error::Database(db)) => !matches!(
            db.kind(),
            sqlx::error::ErrorKind::UniqueViolation
                | sqlx::error::ErrorKind::ForeignKeyViolation
                | sqlx::error::ErrorKind::NotNullViolation
                | sqlx::error::ErrorKind::CheckViolation
        ),
        _ => true,
    }
}

async fn run(pool: SqlitePool, mut queue: mpsc::UnboundedReceiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let jobs: Vec<Job> = std::mem::take(&mut batch);
        match pool.acquire().await {
            Ok(mut conn) => run_batch(&mut conn, jobs).await,
            Err(error) => tracing::error!(%error, jobs = jobs.len(), "no database connection; writes dropped"),
        }
    }
}

async fn run_batch(conn: &mut SqliteConnection, jobs: Vec<Job>) {
    if jobs.len() == 1 {
        // Alone: autocommit is one statement's commit, the cheapest there is.
        for job in jobs {
            let (finish, _) = job(conn).await;
            finish(None);
        }
        return;
    }
    let mut tx = match conn.begin().await {
        Ok(tx) => tx,
        Err(error) => {
            tracing::error!(%error, jobs = jobs.len(), "could not begin a batch; writes dropped");
            return;
        }
    };
    let mut finishes = Vec::with_capacity(jobs.len());
    let mut broken = None;
    for job in jobs {
        if broken.is_some() {
            // Not run: its caller hears that nothing was stored.
            drop(job);
            continue;
        }
        let (finish, broke) = job(&mut tx).await;
        if broke {
            broken = Some("a write in the same batch failed; nothing in it was stored".to_owned());
        }
        finishes.push(finish);
    }
    let failed = match broken {
        Some(why) => {
            let _ = tx.rollback().await;
            Some(why)
        }
        None => tx.commit().await.err().map(|e| e.to_string()),
    };
    if let Some(why) = &failed {
        tracing::error!(%why, jobs = finishes.len(), "a batch of writes was not stored");
    }
    for finish in finishes {
        finish(failed.as_deref());
    }
}
