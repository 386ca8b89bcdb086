//! The writer's thread: it waits for jobs, runs each batch in one transaction with a savepoint
//! per job, commits once, then tells every caller in order; between batches it shortens
//! SQLite's write-ahead log.

use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::super::statements::Statements;
use super::super::StoreError;
use super::Shared;

/// How often the thread copies the write-ahead log back into the database while it writes,
/// and how long it waits once idle before it does. Between batches, so that no commit waits
/// for it; a checkpoint from another connection never caught up with commits that follow each
/// other without a pause (the log only restarts once every frame in it was copied), so the log
/// grew to a gigabyte in a minute of load and every page lookup slowed down with its length.
/// (SQLite also checkpoints after a commit that leaves the log over 10,000 pages: a cap for
/// when batches are slow, see `writer_connection`.)
const SHORTEN_LOG_EVERY: Duration = Duration::from_millis(100);

/// Called once the batch is settled: `None` when it committed, else why it did not.
pub(in crate::store) type Finish = Box<dyn FnOnce(Option<&str>) + Send>;

/// How a job went, for the batch around it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(in crate::store) enum Went {
    /// Its changes stay.
    Done,
    /// A constraint refused it: its savepoint is rolled back, the batch goes on.
    Refused,
    /// It left the transaction unusable: the whole batch is rolled back.
    Broke,
}

/// A job's outcome: how to finish it, and how it went.
pub(in crate::store) type Ran = (Finish, Went);

/// One write, run on the writer's session inside the current batch.
pub(in crate::store) trait Job: Send {
    /// Runs the job's statements on `on`; `breaks` says whether an error leaves the
    /// transaction unusable.
    fn run(self: Box<Self>, on: &dyn Statements, breaks: &dyn Fn(&StoreError) -> bool) -> Ran;

    /// Tells the caller the job was not run, with `error`.
    fn fail(self: Box<Self>, error: StoreError);
}

/// What a writer thread runs its batches on: one database connection or transaction.
pub(in crate::store) trait Session: Send + 'static {
    /// The thread's name.
    fn name(&self) -> &'static str;
    /// Most jobs in one transaction.
    fn max_batch(&self) -> usize;
    /// Starts a batch's transaction.
    fn begin(&mut self) -> Result<(), StoreError>;
    /// Starts a job's savepoint.
    fn savepoint(&mut self) -> Result<(), StoreError>;
    /// Runs a job inside the open transaction.
    fn run(&mut self, job: Box<dyn Job>) -> Ran;
    /// Keeps what the job just did.
    fn keep(&mut self) -> Result<(), StoreError>;
    /// Undoes what the job just did, back to its savepoint.
    fn undo(&mut self) -> Result<(), StoreError>;
    /// Makes the batch durable (rolled back when that fails).
    fn commit(&mut self) -> Result<(), StoreError>;
    /// Gives the batch up.
    fn rollback(&mut self);
    /// Copies what the write-ahead log holds back into the database, between batches, so the
    /// log restarts instead of growing (SQLite; nothing on PostgreSQL).
    fn shorten_log(&mut self) {}
}

/// A write and where its result goes.
pub(super) struct Queued<T, F, C> {
    pub(super) op: F,
    pub(super) on_commit: C,
    pub(super) tell: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F, C> Job for Queued<T, F, C>
where
    T: Send + 'static,
    F: FnOnce(&dyn Statements) -> Result<T, StoreError> + Send + 'static,
    C: FnOnce(&T) + Send + 'static,
{
    fn run(self: Box<Self>, on: &dyn Statements, breaks: &dyn Fn(&StoreError) -> bool) -> Ran {
        let Queued { op, on_commit, tell } = *self;
        let result = op(on);
        let went = match &result {
            Ok(_) => Went::Done,
            Err(e) if breaks(e) => Went::Broke,
            Err(_) => Went::Refused,
        };
        let finish: Finish = Box::new(move |failed| {
            let outcome = match (result, failed) {
                (Err(e), _) => Err(e),
                (Ok(_), Some(why)) => Err(StoreError::NotWritten(why.to_owned())),
                (Ok(value), None) => {
                    on_commit(&value);
                    Ok(value)
                }
            };
            let _ = tell.send(outcome);
        });
        (finish, went)
    }

    fn fail(self: Box<Self>, error: StoreError) {
        let _ = self.tell.send(Err(error));
    }
}

/// The thread's loop: a batch of every job waiting (up to the session's most), until the queue
/// is closed and empty.
pub(super) fn run(mut session: impl Session, shared: &Shared) {
    let (mut shortened, mut written) = (Instant::now(), false);
    loop {
        let jobs: Vec<Box<dyn Job>> = {
            let mut queue = shared.lock();
            while queue.jobs.is_empty() && !queue.closed {
                if !written {
                    queue = shared.ready.wait(queue).unwrap_or_else(std::sync::PoisonError::into_inner);
                    continue;
                }
                let (woken, waited) = shared
                    .ready
                    .wait_timeout(queue, SHORTEN_LOG_EVERY)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                queue = woken;
                if waited.timed_out() && queue.jobs.is_empty() {
                    drop(queue);
                    session.shorten_log();
                    (shortened, written) = (Instant::now(), false);
                    queue = shared.lock();
                }
            }
            if queue.jobs.is_empty() {
                return;
            }
            let take = queue.jobs.len().min(session.max_batch());
            queue.jobs.drain(..take).map(|(_, job)| job).collect()
        };
        let hold = *shared.hold.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        run_batch(&mut session, jobs, hold);
        written = true;
        if shortened.elapsed() >= SHORTEN_LOG_EVERY {
            session.shorten_log();
            (shortened, written) = (Instant::now(), false);
        }
    }
}

/// One batch: begin, each job in its savepoint, commit (or roll back when one broke the
/// transaction), then each caller told in order.
fn run_batch(session: &mut impl Session, jobs: Vec<Box<dyn Job>>, hold: Duration) {
    if let Err(error) = session.begin() {
        tracing::error!(%error, jobs = jobs.len(), "could not begin a batch; writes not stored");
        let why = error.to_string();
        for job in jobs {
            job.fail(StoreError::NotWritten(format!("the database refused the write: {why}")));
        }
        return;
    }
    let mut finishes = Vec::with_capacity(jobs.len());
    let mut broken = None;
    for job in jobs {
        if broken.is_some() {
            job.fail(StoreError::NotWritten("a write in the same batch failed; nothing in it was stored".into()));
            continue;
        }
        if let Err(error) = session.savepoint() {
            broken = Some(error.to_string());
            job.fail(StoreError::NotWritten(format!("the database refused the write: {error}")));
            continue;
        }
        let (finish, went) = session.run(job);
        let settled = match went {
            Went::Broke => {
                broken = Some("a write in the same batch failed; nothing in it was stored".to_owned());
                Ok(())
            }
            Went::Done => session.keep(),
            // A refused job (a constraint) leaves nothing behind.
            Went::Refused => session.undo(),
        };
        if let Err(error) = settled {
            broken = Some(error.to_string());
        }
        finishes.push(finish);
    }
    if !hold.is_zero() && broken.is_none() {
        std::thread::sleep(hold);
    }
    let failed = match broken {
        Some(why) => {
            session.rollback();
            Some(why)
        }
        None => {
            let committing = std::time::Instant::now();
            let failed = session.commit().err().map(|e| e.to_string());
            crate::metrics::batch(finishes.len(), committing.elapsed());
            failed
        }
    };
    if let Some(why) = &failed {
        tracing::error!(%why, jobs = finishes.len(), "a batch of writes was not stored");
    }
    for finish in finishes {
        finish(failed.as_deref());
    }
}
