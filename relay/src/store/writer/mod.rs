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
//!
//! This file is the queue and its handle; `batch.rs` is what the thread does with it.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::statements::Statements;
use super::StoreError;
use crate::pulse::{Pulse, LATE_BOUND};

mod batch;

use batch::{run, Queued};
pub(super) use batch::{Job, Ran, Session};

/// How long the oldest queued write may have waited before new messages are refused as `busy`.
pub const BEHIND_BOUND: Duration = Duration::from_millis(30);

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
