//! The beat of the relay's background sweeps (first-reply deadlines, email, webhooks): a tick
//! every period, a late tick delayed rather than bunched up, and an end at shutdown, so every
//! sweep stops the same way.

use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::{interval, Interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

/// Ticks every period until shutdown.
pub struct Ticker {
    tick: Interval,
    shutdown: CancellationToken,
}

impl Ticker {
    /// Ticks at once, then every `period`, until `shutdown` is cancelled.
    pub fn new(period: Duration, shutdown: CancellationToken) -> Ticker {
        let mut tick = interval(period);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Ticker { tick, shutdown }
    }

    /// Waits for the next tick, or for `wake` when given (work came in); `false` once the
    /// relay shuts down.
    pub async fn next(&mut self, wake: Option<&Notify>) -> bool {
        let woken = async {
            match wake {
                Some(notify) => notify.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = self.shutdown.cancelled() => false,
            _ = self.tick.tick() => true,
            _ = woken => true,
        }
    }
}
