//! The write jobs on PostgreSQL: one thread runs them in the order they were submitted, each
//! in a transaction of its own, and answers once it is committed.
//!
//! In order, as on SQLite: a socket submits its messages one after another and their `seq`
//! must follow that order. One thread is PostgreSQL's first step; batching several jobs into
//! one transaction (as SQLite's writer does) is the next.

use std::sync::mpsc;

use sqlx::PgPool;
use tokio::sync::oneshot;

use super::statements::{PgStatements, Statements};
use super::StoreError;

type Job = Box<dyn FnOnce(&dyn Statements) -> Result<(), StoreError> + Send>;

/// A handle on the PostgreSQL writer thread; cheap to clone.
#[derive(Clone, Debug)]
pub struct PgWriter {
    jobs: mpsc::Sender<(Job, oneshot::Sender<Result<(), StoreError>>)>,
}

impl PgWriter {
    /// Starts the thread; it ends when every handle is dropped.
    pub fn start(pool: PgPool) -> std::io::Result<PgWriter> {
        let (jobs, queue) = mpsc::channel::<(Job, oneshot::Sender<Result<(), StoreError>>)>();
        let runtime = tokio::runtime::Handle::current();
        std::thread::Builder::new().name("parley-pg-writer".into()).spawn(move || {
            for (job, done) in queue {
                let _ = done.send(run(&pool, &runtime, job));
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

/// One job in a transaction of its own: committed when it succeeds, rolled back when it fails.
fn run(pool: &PgPool, runtime: &tokio::runtime::Handle, job: Job) -> Result<(), StoreError> {
    let mut tx = runtime.block_on(pool.begin())?;
    let ran = job(&PgStatements::new(&mut tx, runtime.clone()));
    match ran {
        Ok(()) => {
            let committing = std::time::Instant::now();
            runtime.block_on(tx.commit())?;
            crate::metrics::batch(1, committing.elapsed());
            Ok(())
        }
        Err(e) => {
            let _ = runtime.block_on(tx.rollback());
            Err(e)
        }
    }
}
