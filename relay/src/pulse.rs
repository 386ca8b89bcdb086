//! The async workers' pulse: how late the relay's tasks are being run.
//!
//! The writer's queue shows when the disk is behind, but not when the processor is: with every
//! core busy, frames wait unread in their sockets and in the scheduler's run queue, and the
//! writer's queue stays short because nothing reaches it in time. A round trip then takes
//! seconds although each write commits in a millisecond.
//!
//! So a small task beats every [`PERIOD`] on the async workers. A worker running late runs it
//! late too; [`Pulse::lateness`] is how long past its due time the next beat is, read at the
//! moment someone asks. No beat has to happen for the answer to grow: while the workers are
//! stuck, the lateness grows with the clock. After each beat the task also yields once and
//! keeps how long its turn through the run queue took: a round trip waits for such a turn
//! about six times, and under load the queue is long while the timer still fires nearly on
//! time. The writer refuses new messages as `busy` while
//! it is past [`LATE_BOUND`], like it does while its own queue is behind, and refusing is far
//! cheaper than a message's whole round trip, so the relay catches up.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

/// How often the pulse beats.
pub const PERIOD: Duration = Duration::from_millis(10);

/// How late the async workers may run before new messages are refused as `busy`. A round trip
/// waits for a worker about six times (the shopper's frame, its commit, the agent's copy, the
/// reply, its commit, the shopper's copy) besides two commits, so with the writer's own bound
/// this keeps an accepted round trip near 250 ms at worst (measured: README, "Throughput").
pub const LATE_BOUND: Duration = Duration::from_millis(20);

/// The beat's last time; shared by the beating task and everyone who asks.
#[derive(Debug)]
pub struct Pulse {
    base: Instant,
    /// Microseconds from `base` to the last beat.
    last_beat_us: AtomicU64,
    /// Whether a task beats at all (a pulse nobody started is never late).
    beating: AtomicBool,
    /// A test hook: the pulse reads at least this late (µs).
    held_us: AtomicU64,
    /// How long the last beat's turn through the run queue took (µs).
    cycle_us: AtomicU64,
}

impl Default for Pulse {
    fn default() -> Self {
        Pulse {
            base: Instant::now(),
            last_beat_us: AtomicU64::new(0),
            beating: AtomicBool::new(false),
            held_us: AtomicU64::new(0),
            cycle_us: AtomicU64::new(0),
        }
    }
}

impl Pulse {
    /// Starts beating on the current runtime until `shutdown`.
    pub fn start(self: &Arc<Self>, shutdown: CancellationToken) {
        self.beat(Instant::now());
        self.beating.store(true, Ordering::Relaxed);
        let pulse = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(PERIOD) => pulse.beat(Instant::now()),
                }
                // How long a task waits for its turn: back of the run queue and round again.
                let asked = Instant::now();
                tokio::task::yield_now().await;
                pulse.cycle_us.store(asked.elapsed().as_micros() as u64, Ordering::Relaxed);
            }
            pulse.beating.store(false, Ordering::Relaxed);
        });
    }

    /// Records a beat at `at`.
    pub fn beat(&self, at: Instant) {
        let us = at.saturating_duration_since(self.base).as_micros() as u64;
        self.last_beat_us.fetch_max(us, Ordering::Relaxed);
    }

    /// How far past its due time the next beat is at `now` (zero while beats come on time).
    pub fn lateness(&self, now: Instant) -> Duration {
        if !self.beating.load(Ordering::Relaxed) {
            return Duration::ZERO;
        }
        let due = self.base + Duration::from_micros(self.last_beat_us.load(Ordering::Relaxed)) + PERIOD;
        let cycle = self.cycle_us.load(Ordering::Relaxed).max(self.held_us.load(Ordering::Relaxed));
        now.saturating_duration_since(due).max(Duration::from_micros(cycle))
    }

    /// A test hook: the pulse reads at least `late` late (zero ends it), as if the workers were
    /// that far behind. Tests use it to see the relay refuse messages with `busy`.
    pub fn hold_late(&self, late: Duration) {
        self.held_us.store(late.as_micros() as u64, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beating() -> Pulse {
        let pulse = Pulse::default();
        pulse.beating.store(true, Ordering::Relaxed);
        pulse
    }

    #[test]
    fn a_pulse_on_time_is_not_late() {
        let pulse = beating();
        let start = pulse.base;
        pulse.beat(start + Duration::from_millis(30));
        assert_eq!(pulse.lateness(start + Duration::from_millis(35)), Duration::ZERO);
        assert_eq!(pulse.lateness(start + Duration::from_millis(40)), Duration::ZERO);
    }

    #[test]
    fn lateness_grows_with_the_clock_while_no_beat_comes() {
        let pulse = beating();
        let start = pulse.base;
        pulse.beat(start + Duration::from_millis(30));
        assert_eq!(pulse.lateness(start + Duration::from_millis(100)), Duration::from_millis(60));
        assert_eq!(pulse.lateness(start + Duration::from_millis(300)), Duration::from_millis(260));
        pulse.beat(start + Duration::from_millis(300));
        assert_eq!(pulse.lateness(start + Duration::from_millis(305)), Duration::ZERO);
    }

    #[test]
    fn a_pulse_nobody_started_is_never_late() {
        let pulse = Pulse::default();
        assert_eq!(pulse.lateness(Instant::now() + Duration::from_secs(5)), Duration::ZERO);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_blocked_worker_makes_the_pulse_late() {
        let pulse = Arc::new(Pulse::default());
        let shutdown = CancellationToken::new();
        pulse.start(shutdown.clone());
        // The check runs on the held worker too, so that no beat can come in between.
        let late = tokio::spawn({
            let pulse = pulse.clone();
            async move {
                std::thread::sleep(Duration::from_millis(150));
                pulse.lateness(Instant::now())
            }
        });
        let late = late.await.unwrap();
        assert!(late >= Duration::from_millis(100), "{late:?}");
        shutdown.cancel();
    }
}
