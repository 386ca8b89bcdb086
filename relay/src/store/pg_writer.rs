//! The write jobs on PostgreSQL: one thread runs them in the order they were submitted and
//! answers each once it is committed.
//!
//! In order, as on SQLite: a socket submits its messages one after another and their `seq`
//! must follow that order. Group commit, as SQLite's writer does it: every job waiting when the
//! thread is free (up to [`MAX_BATCH`]) runs in one transaction, each inside a savepoint of its
//! own (a job that fails is undone alone), and one commit makes them all durable. A busy relay
//! pays one commit (and its flush to disk) per batch instead of per message.

use std::sync::mpsc;

use sqlx::PgPool;
use tokio::sync::oneshot;

use super::statements::{PgStatements, Statements};
use super::StoreError;

type Job = Box<dyn FnOnce(&dyn Statements) -> Result<(), StoreError> + Send>;
type Queued = (Job, oneshot::Sender<Result<(), StoreError>>);

/// Most jobs committed together.
pub const MAX_BATCH: usize = 256;

/// A handle on the PostgreSQL writer thread; cheap to clone.
#[derive(Clone, Debug)]
pub struct PgWriter {
    jobs: mpsc::Sender<(Job, oneshot::Sender<Result<(), StoreError>>)>,
}

impl PgWriter {
    /// Starts the thread; it ends when every handle is dropped.
    pub fn start(pool: PgPool) -> std::io::Result<PgWriter> {
        let (jobs, queue) = mpsc::channel::<Queued>();
        let runtime = tokio::runtime::Handle::current();
        std::thread::Builder::new().name("parley-pg-writer".into()).spawn(move || {
            while let Ok(first) = queue.recv() {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match queue.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                run(&pool, &runtime, batch);
            }
        })?;
        Ok(PgWriter { jobs })
    }

    /// Queues a job now; the future ends with its result once it is committed (or not).
    pub fn submit<T, F, C>(
        &self,
        op: F,
        on_commit: C,
    ) -> impl std::future::Future<Output = Result<T, StoreError>> + Send + 'static
    where
        T: Send + 'static,
        F: FnOnce(&dyn Statements) -> Result<T, StoreError> + Send + 'static,
        C: FnOnce(&T) + Send + 'static,
    {
        let (result_in, result_out) = oneshot::channel::<T>();
        let (done_in, done_out) = oneshot::channel();
        let job: Job = Box::new(move |statements| {
            let value = op(statements)?;
            let _ = result_in.send(value);
            Ok(())
        });
        let queued = self.jobs.send((job, done_in)).is_ok();
        async move {
            if !queued {
                return Err(StoreError::NotWritten("the relay is shutting down".into()));
            }
            let done = done_out.await.map_err(|_| StoreError::NotWritten("the writer stopped".into()))?;
            done?;
            let value = result_out.await.map_err(|_| StoreError::NotWritten("the writer stopped".into()))?;
            on_commit(&value);
            Ok(value)
        }
    }
}

/// A batch of jobs in one transaction, each in a savepoint; every job is told its own outcome
/// once the batch is committed (or that nothing was, when the commit fails).
fn run(pool: &PgPool, runtime: &tokio::runtime::Handle, batch: Vec<Queued>) {
    let size = batch.len();
    let mut tx = match runtime.block_on(pool.begin()) {
        Ok(tx) => tx,
        Err(error) => return fail_all(batch.into_iter().map(|(_, done)| done), &error),
    };
    let mut outcomes = Vec::with_capacity(size);
    for (job, done) in batch {
        let ran = run_one(&mut tx, runtime, job);
        outcomes.push((done, ran));
    }
    let committing = std::time::Instant::now();
    match runtime.block_on(tx.commit()) {
        Ok(()) => {
            crate::metrics::batch(size, committing.elapsed());
            for (done, ran) in outcomes {
                let _ = done.send(ran);
            }
        }
        Err(error) => fail_all(outcomes.into_iter().map(|(done, _)| done), &error),
    }
}

/// One job inside its savepoint: kept when it succeeds, undone alone when it fails.
fn run_one(tx: &mut sqlx::PgConnection, runtime: &tokio::runtime::Handle, job: Job) -> Result<(), StoreError> {
    runtime.block_on(sqlx::query("SAVEPOINT job").execute(&mut *tx))?;
    let ran = job(&PgStatements::new(tx, runtime.clone()));
    let end = if ran.is_ok() { "RELEASE SAVEPOINT job" } else { "ROLLBACK TO SAVEPOINT job" };
    runtime.block_on(sqlx::query(end).execute(&mut *tx))?;
    ran
}

/// Tells every job of a batch that nothing was written.
fn fail_all(jobs: impl Iterator<Item = oneshot::Sender<Result<(), StoreError>>>, error: &sqlx::Error) {
    tracing::warn!(%error, "PostgreSQL refused a batch of writes");
    for done in jobs {
        let _ = done.send(Err(StoreError::Database(sqlx::Error::Protocol(format!("not written: {error}")))));
    }
}
