//! Group commit on a thread of its own: the relay's frequent writes share transactions.
//!
//! SQLite commits one transaction at a time, and every commit waits for the disk (fsync, with
//! `synchronous = FULL`); PostgreSQL's commits wait for its disk too. Every frequent write is
//! therefore a job for one thread that owns its database session ([`Session`]: rusqlite's
//! connection with prepared statements kept in its cache, or a PostgreSQL transaction per
//! batch, see `sessions.rs`): it takes every job waiting, runs them in one transaction,
//! commits once, and only then tells each caller its result, in the order they were queued.
//! While it commits, callers keep queueing, so the next batch is ready when the disk is done.
//! A message is still on disk before its sender hears `accepted`; a burst just shares the
//! fsync. No statement crosses a thread: the one hop is the job's, there and back.
//!
//! Each job runs in a savepoint, so a job refused by a constraint (a resent message, say)
//! undoes only itself. An error the session says breaks the transaction (SQLite: disk full,
//! I/O) fails the whole batch: it is rolled back, and every caller in it gets the error.
//!
//! The queue is also the relay's measure of load: when the oldest job waiting has waited
//! longer than [`BEHIND_BOUND`], new messages are refused at once with `busy` rather than
//! accepted to be stored seconds later (see [`Writer::submit`]). So are they while the async
//! workers run late (the processor is behind, not the disk: [`crate::pulse`]).

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::statements::Statements;
use super::StoreError;
use crate::pulse::{Pulse, LATE_BOUND};
/// How long the oldest queued write may have waited before new messages are refused as `busy`.
pub const BEHIND_BOUND: Duration = Duration::from_millis(30);

/// How often the thread copies the write-ahead log back into the database while it writes,
/// and how long it waits once idle before it does. Between batches, so that no commit waits
/// for it; a checkpoint from another connection never caught up with commits that follow each
/// other without a pause (the log only restarts once every frame in it was copied), so the log
/// grew to a gigabyte in a minute of load and every page lookup slowed down with its length.
/// (SQLite also checkpoints after a commit that leaves the log over 10,000 pages: a cap for
/// when batches are slow, see `writer_connection`.)
const SHORTEN_LOG_EVERY: Duration = Duration::from_millis(100);

/// Called once the batch is settled: `None` when it committed, else why it did not.
pub(super) type Finish = Box<dyn FnOnce(Option<&str>) + Send>;

/// How a job went, for the batch around it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Went {
    /// Its changes stay.
    Done,
    /// A constraint refused it: its savepoint is rolled back, the batch goes on.
    Refused,
    /// It left the transaction unusable: the whole batch is rolled back.
    Broke,
}

/// A job's outcome: how to finish it, and how it went.
pub(super) type Ran = (Finish, Went);

/// One write, run on the writer's session inside the current batch.
pub(super) trait Job: Send {
    /// Runs the job's statements on `on`; `breaks` says whether an error leaves the
    /// transaction unusable.
    fn run(self: Box<Self>, on: &dyn Statements, breaks: &dyn Fn(&StoreError) -> bool) -> Ran;

    /// Tells the caller the job was not run, with `error`.
    fn fail(self: Box<Self>, error: StoreError);
}

/// What a writer thread runs its batches on: one database connection or transaction.
pub(super) trait Session: Send + 'static {
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
struct Queued<T, F, C> {
    op: F,
    on_commit: C,
    tell: oneshot::Sender<Result<T, StoreError>>,
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

/// Whether a write may be refused when the writer is behind.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Urgency {
    /// A message someone typed: refused with `busy` when the writer is behind, so that the
    /// sender retries instead of waiting seconds.
    Refusable,
    /// Everything else (routing, closes, the bot's replies): always queued.
    Always,
}

struct Queue {
    jobs: VecDeque<(Instant, Box<dyn Job>)>,
    closed: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
    /// A test hook: each batch waits this long before it commits.
    hold: Mutex<Duration>,
    /// How long the oldest queued job may have waited ([`BEHIND_BOUND`]; tests change it).
    bound_us: AtomicU64,
    /// The async workers' pulse, once the relay serves (a store used alone has none).
    pulse: OnceLock<Arc<Pulse>>,
    /// How late the workers may run ([`LATE_BOUND`]; tests change it).
    late_bound_us: AtomicU64,
    /// A test hook: refuse this many refusable writes as `busy`, whatever the queue.
    refuse_next: AtomicU64,
    /// Writes refused as `busy` so far.
    refused: AtomicU64,
    /// The thread, to wait for when the store closes.
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Closes the queue when the last handle goes: the thread finishes what is queued and ends.
struct Closer(Arc<Shared>);

impl Drop for Closer {
    fn drop(&mut self) {
        self.0.lock().closed = true;
        self.0.ready.notify_all();
    }
}

/// The queue of writes; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    shared: Arc<Shared>,
    _closer: Arc<Closer>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

impl Writer {
    /// Starts the thread that runs jobs on `session`; it ends when every handle is gone.
    pub fn start(session: impl Session) -> std::io::Result<Writer> {
        let queue = Queue { jobs: VecDeque::new(), closed: false };
        let shared = Arc::new(Shared {
            queue: Mutex::new(queue),
            ready: Condvar::new(),
            hold: Mutex::default(),
            bound_us: AtomicU64::new(BEHIND_BOUND.as_micros() as u64),
            pulse: OnceLock::new(),
            late_bound_us: AtomicU64::new(LATE_BOUND.as_micros() as u64),
            refuse_next: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            thread: Mutex::new(None),
        });
        let thread_shared = shared.clone();
        let name = session.name().to_owned();
        let thread = std::thread::Builder::new().name(name).spawn(move || run(session, &thread_shared))?;
        *shared.thread.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(thread);
        Ok(Writer { _closer: Arc::new(Closer(shared.clone())), shared })
    }

    /// Queues `op` for the next batch now, and returns a future of its result once the batch is
    /// on disk. Queued at the call, not at the first poll: a socket submits several messages
    /// in order and then waits for them. A [`Urgency::Refusable`] write is refused with
    /// [`StoreError::Busy`] when the oldest queued job has waited past [`BEHIND_BOUND`], or the
    /// async workers run later than [`LATE_BOUND`].
    pub fn submit<T, F>(
        &self,
        urgency: Urgency,
        op: F,
    ) -> Result<impl Future<Output = Result<T, StoreError>> + Send + 'static, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Statements) -> Result<T, StoreError> + Send + 'static,
    {
        self.submit_then(urgency, op, |_| {})
    }

    /// Like [`Writer::submit`], and once the batch has committed, `on_commit` sees the result
    /// on the writer's thread, before any later batch runs: what memory keeps of the database
    /// (the open conversations' facts) changes in exactly the order the disk did.
    pub fn submit_then<T, F, C>(
        &self,
        urgency: Urgency,
        op: F,
        on_commit: C,
    ) -> Result<impl Future<Output = Result<T, StoreError>> + Send + 'static, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Statements) -> Result<T, StoreError> + Send + 'static,
        C: FnOnce(&T) + Send + 'static,
    {
        let (tell, told) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Queued { op, on_commit, tell });
        {
            let mut queue = self.shared.lock();
            if queue.closed {
                return Err(StoreError::NotWritten("the store is closed".into()));
            }
            let now = Instant::now();
            if urgency == Urgency::Refusable {
                if let Some(behind) = self.behind(&queue, now) {
                    self.shared.refused.fetch_add(1, Ordering::Relaxed);
                    crate::metrics::behind_refusal();
                    return Err(StoreError::Busy(behind));
                }
            }
            queue.jobs.push_back((now, job));
        }
        self.shared.ready.notify_one();
        // A job dropped unrun (its batch could not start, or broke before it) says so here.
        Ok(async move {
            told.await.map_err(|_| StoreError::NotWritten("the write could not be made; nothing was stored".into()))?
        })
    }

    /// How far behind the writer or the workers are, when that is past its bound (or a test said
    /// to refuse).
    fn behind(&self, queue: &Queue, now: Instant) -> Option<Duration> {
        let forced = self.shared.refuse_next.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        if forced.is_ok() {
            return Some(BEHIND_BOUND);
        }
        if let Some(pulse) = self.shared.pulse.get() {
            let late = pulse.lateness(now);
            if late > Duration::from_micros(self.shared.late_bound_us.load(Ordering::Relaxed)) {
                return Some(late);
            }
        }
        let waited = now.saturating_duration_since(queue.jobs.front()?.0);
        let bound = Duration::from_micros(self.shared.bound_us.load(Ordering::Relaxed));
        (waited > bound).then_some(waited)
    }

    /// Refuses messages as `busy` from now on also while `pulse` says the workers run late.
    pub fn watch(&self, pulse: Arc<Pulse>) {
        let _ = self.shared.pulse.set(pulse);
    }

    /// A test hook: how late the workers may run before messages are refused.
    pub fn set_late_bound(&self, bound: Duration) {
        self.shared.late_bound_us.store(bound.as_micros() as u64, Ordering::Relaxed);
    }

    /// Writes refused as `busy` so far.
    pub fn busy_refusals(&self) -> u64 {
        self.shared.refused.load(Ordering::Relaxed)
    }

    /// A test hook: the queue may be this far behind before messages are refused.
    pub fn set_behind_bound(&self, bound: Duration) {
        self.shared.bound_us.store(bound.as_micros() as u64, Ordering::Relaxed);
    }

    /// A test hook: the next `n` messages are refused as `busy`, as if the writer were behind.
    pub fn refuse_next(&self, n: u64) {
        self.shared.refuse_next.store(n, Ordering::Relaxed);
    }

    /// Runs `op` in the next batch and returns its result once the batch is on disk.
    pub async fn write<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Statements) -> Result<T, StoreError> + Send + 'static,
    {
        self.submit(Urgency::Always, op)?.await
    }

    /// Waits until every write queued before this call is settled (for a clean shutdown).
    pub async fn flush(&self) {
        let _ = self.write(|_| Ok(())).await;
    }

    /// Finishes what is queued, then ends the thread and closes its connection cleanly (so a
    /// command-line run leaves no write-ahead log to recover); later writes are refused.
    pub async fn close(&self) {
        self.shared.lock().closed = true;
        self.shared.ready.notify_all();
        let thread = self.shared.thread.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }

    /// A test hook: every batch from now on waits `hold` before it commits, as a slow disk
    /// would (zero ends it).
    pub fn hold_commits(&self, hold: Duration) {
        *self.shared.hold.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = hold;
    }
}

fn run(mut session: impl Session, shared: &Shared) {
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
