//! Abuse limits: messages per visitor (a burst, then a steady rate), new conversations per IP
//! address, connection attempts per IP address, FAQ searches per IP address, and sign-in
//! attempts per account. Uses governor's keyed GCRA limiters.
//!
//! Going over a limit is never silent: a refused message gets an `error` frame `rate_limited`
//! (with its `client_id` and how long to wait), and a refused connection an HTTP 429 with
//! `Retry-After`. The limiters are generic over the clock so that tests move time by hand.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

/// The limits a relay enforces; every value is at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitsConfig {
    /// Messages a visitor may send at once before the steady rate applies.
    pub message_burst: NonZeroU32,
    /// Messages per minute a visitor may send in the long run.
    pub messages_per_minute: NonZeroU32,
    /// New conversations per hour from one IP address.
    pub conversations_per_hour: NonZeroU32,
    /// WebSocket connection attempts per minute from one IP address.
    pub connections_per_minute: NonZeroU32,
    /// FAQ searches per minute from one IP address (results update as shoppers type).
    pub searches_per_minute: NonZeroU32,
    /// Sign-in attempts one account may take at once; after that, one a minute. Password
    /// guessing spread over many connections or addresses still hits this.
    pub sign_ins_per_account: NonZeroU32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let n = |v| NonZeroU32::new(v).expect("non-zero default");
        LimitsConfig {
            message_burst: n(10),
            messages_per_minute: n(30),
            conversations_per_hour: n(20),
            connections_per_minute: n(60),
            searches_per_minute: n(120),
            sign_ins_per_account: n(5),
        }
    }
}

type Keyed<K, C> = RateLimiter<K, DefaultKeyedStateStore<K>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// The relay's limiters.
pub struct Limits<C: Clock = DefaultClock> {
    clock: C,
    messages: Keyed<String, C>,
    conversations: Keyed<IpAddr, C>,
    connections: Keyed<IpAddr, C>,
    searches: Keyed<IpAddr, C>,
    sign_ins: Keyed<String, C>,
}

/// `count` events per `period`, all of which may come at once.
fn spread(count: NonZeroU32, period: Duration) -> Quota {
    let each = period / count.get();
    Quota::with_period(each.max(Duration::from_nanos(1))).expect("a positive period").allow_burst(count)
}

impl Limits<DefaultClock> {
    /// Limiters on the real clock.
    pub fn new(config: LimitsConfig) -> Self {
        Self::with_clock(config, DefaultClock::default())
    }
}

impl<C: Clock + Clone> Limits<C> {
    /// Limiters on the given clock.
    pub fn with_clock(config: LimitsConfig, clock: C) -> Self {
        let per_minute = Duration::from_secs(60);
        let messages = spread(config.messages_per_minute, per_minute).allow_burst(config.message_burst);
        Limits {
            messages: RateLimiter::dashmap_with_clock(messages, clock.clone()),
            conversations: RateLimiter::dashmap_with_clock(
                spread(config.conversations_per_hour, Duration::from_secs(3600)),
                clock.clone(),
            ),
            connections: RateLimiter::dashmap_with_clock(
                spread(config.connections_per_minute, per_minute),
                clock.clone(),
            ),
            searches: RateLimiter::dashmap_with_clock(spread(config.searches_per_minute, per_minute), clock.clone()),
            sign_ins: RateLimiter::dashmap_with_clock(
                Quota::per_minute(NonZeroU32::MIN).allow_burst(config.sign_ins_per_account),
                clock.clone(),
            ),
            clock,
        }
    }

    fn check<K: Hash + Eq + Clone>(&self, limiter: &Keyed<K, C>, key: &K) -> Result<(), Duration> {
        limiter.check_key(key).map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// A visitor wants to send a message; `Err` holds how long to wait.
    pub fn message(&self, visitor: &str) -> Result<(), Duration> {
        self.check(&self.messages, &visitor.to_owned())
    }

    /// Someone at `ip` starts a new conversation.
    pub fn conversation(&self, ip: IpAddr) -> Result<(), Duration> {
        self.check(&self.conversations, &ip)
    }

    /// Someone at `ip` opens a WebSocket.
    pub fn connection(&self, ip: IpAddr) -> Result<(), Duration> {
        self.check(&self.connections, &ip)
    }

    /// Someone at `ip` searches the FAQ.
    pub fn search(&self, ip: IpAddr) -> Result<(), Duration> {
        self.check(&self.searches, &ip)
    }

    /// Someone tries to sign in as `email` (any case).
    pub fn sign_in(&self, email: &str) -> Result<(), Duration> {
        self.check(&self.sign_ins, &email.trim().to_lowercase())
    }

    /// Forgets keys whose limits have fully recovered, so memory does not grow with every
    /// visitor ever seen.
    pub fn forget_idle(&self) {
        self.messages.retain_recent();
        self.conversations.retain_recent();
        self.connections.retain_recent();
        self.searches.retain_recent();
        self.sign_ins.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn config() -> LimitsConfig {
        let n = |v| NonZeroU32::new(v).unwrap();
        LimitsConfig {
            message_burst: n(3),
            messages_per_minute: n(6),
            conversations_per_hour: n(2),
            connections_per_minute: n(2),
            searches_per_minute: n(2),
            sign_ins_per_account: n(2),
        }
    }

    #[test]
    fn a_burst_is_allowed_then_the_steady_rate_with_the_wait_told() {
        let clock = FakeRelativeClock::default();
        let limits = Limits::with_clock(config(), clock.clone());
        for _ in 0..3 {
            assert_eq!(limits.message("v1"), Ok(()));
        }
        assert_eq!(limits.message("v1"), Err(Duration::from_secs(10)), "6 a minute: one every 10 s");
        assert_eq!(limits.message("v2"), Ok(()), "visitors are limited separately");
        clock.advance(Duration::from_secs(10));
        assert_eq!(limits.message("v1"), Ok(()));
        assert!(limits.message("v1").is_err());
    }

    #[test]
    fn conversations_and_connections_are_limited_per_ip() {
        let clock = FakeRelativeClock::default();
        let limits = Limits::with_clock(config(), clock.clone());
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        assert!(limits.conversation(a).is_ok() && limits.conversation(a).is_ok());
        assert_eq!(limits.conversation(a), Err(Duration::from_secs(1800)));
        assert!(limits.conversation(b).is_ok());
        assert!(limits.connection(a).is_ok() && limits.connection(a).is_ok());
        assert_eq!(limits.connection(a), Err(Duration::from_secs(30)));
        clock.advance(Duration::from_secs(30));
        assert!(limits.connection(a).is_ok());
        assert!(limits.search(b).is_ok() && limits.search(b).is_ok());
        assert_eq!(limits.search(b), Err(Duration::from_secs(30)));
        assert!(limits.sign_in("Ann@Shop.test").is_ok() && limits.sign_in("ann@shop.test ").is_ok());
        assert_eq!(limits.sign_in("ann@shop.test"), Err(Duration::from_secs(60)), "the same account in any case");
        assert!(limits.sign_in("bo@shop.test").is_ok());
    }
}
