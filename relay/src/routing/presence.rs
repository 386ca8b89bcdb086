//! Connection counting with a grace period: an agent may be connected several times (two tabs,
//! a phone); they count as gone only when every connection has been closed for the grace period
//! (default 30 s), so a reload or a flaky network does not hand their chats to someone else.
//!
//! Going offline is reported on a channel, which the routing service consumes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use super::desk::AgentId;

#[derive(Debug, Default)]
struct Entry {
    sockets: usize,
    /// Bumped on every connect and every cancellation, so a stale timer knows it is stale.
    generation: u64,
}

/// Counts each agent's open connections and reports those gone for longer than the grace period.
#[derive(Debug)]
pub struct Connections {
    grace: Duration,
    entries: Mutex<HashMap<AgentId, Entry>>,
    gone: mpsc::UnboundedSender<AgentId>,
}

impl Connections {
    /// A tracker with the given grace period, and the channel on which gone agents arrive.
    pub fn new(grace: Duration) -> (Arc<Connections>, mpsc::UnboundedReceiver<AgentId>) {
        let (gone, receiver) = mpsc::unbounded_channel();
        (Arc::new(Connections { grace, entries: Mutex::default(), gone }), receiver)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<AgentId, Entry>> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// An agent opened a connection (this cancels any pending grace timer).
    pub fn connected(&self, agent: AgentId) {
        let mut entries = self.lock();
        let entry = entries.entry(agent).or_default();
        entry.sockets += 1;
        entry.generation += 1;
    }

    /// How many connections the agent has open.
    pub fn sockets(&self, agent: AgentId) -> usize {
        self.lock().get(&agent).map_or(0, |e| e.sockets)
    }

    /// An agent closed a connection; when it was the last, the grace timer starts.
    pub fn disconnected(self: &Arc<Self>, agent: AgentId) {
        let mut entries = self.lock();
        let entry = entries.entry(agent).or_default();
        entry.sockets = entry.sockets.saturating_sub(1);
        if entry.sockets == 0 {
            let generation = entry.generation;
            drop(entries);
            self.start_timer(agent, generation);
        }
    }

    /// Starts the grace timer for an agent who is expected back but not connected (after a
    /// relay restart, for agents who held conversations).
    pub fn expect_back(self: &Arc<Self>, agent: AgentId) {
        let generation = {
            let mut entries = self.lock();
            let entry = entries.entry(agent).or_default();
            if entry.sockets > 0 {
                return;
            }
            entry.generation
        };
        self.start_timer(agent, generation);
    }

    /// Forgets an agent at once (a clean logout): no timer will report them later.
    pub fn forget(&self, agent: AgentId) {
        if let Some(entry) = self.lock().get_mut(&agent) {
            entry.generation += 1;
        }
    }

    fn start_timer(self: &Arc<Self>, agent: AgentId, generation: u64) {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(this.grace).await;
            let still_gone = this.lock().get(&agent).is_some_and(|e| e.sockets == 0 && e.generation == generation);
            if still_gone {
                let _ = this.gone.send(agent);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRACE: Duration = Duration::from_secs(30);

    #[tokio::test(start_paused = true)]
    async fn an_agent_is_gone_only_after_every_connection_stayed_closed_for_the_grace_period() {
        let (connections, mut gone) = Connections::new(GRACE);
        connections.connected(7);
        connections.connected(7); // a second tab
        connections.disconnected(7);
        tokio::time::sleep(GRACE * 2).await;
        assert!(gone.try_recv().is_err(), "one tab is still open");

        connections.disconnected(7);
        tokio::time::sleep(GRACE - Duration::from_secs(1)).await;
        assert!(gone.try_recv().is_err(), "still within the grace period");
        connections.connected(7); // back just in time (a reload)
        tokio::time::sleep(GRACE * 2).await;
        assert!(gone.try_recv().is_err(), "the reconnect cancelled the timer");

        connections.disconnected(7);
        let started = tokio::time::Instant::now();
        assert_eq!(gone.recv().await, Some(7));
        assert_eq!(started.elapsed(), GRACE);
    }

    #[tokio::test(start_paused = true)]
    async fn a_logout_is_not_reported_again_and_expected_agents_get_a_timer() {
        let (connections, mut gone) = Connections::new(GRACE);
        connections.connected(1);
        connections.disconnected(1);
        connections.forget(1);
        connections.expect_back(2);
        assert_eq!(gone.recv().await, Some(2));
        tokio::time::sleep(GRACE * 2).await;
        assert!(gone.try_recv().is_err(), "the logged-out agent was handled already");
    }
}
