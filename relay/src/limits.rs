//! Abuse limits: messages per visitor (a burst, then a steady rate), page reports per visitor,
//! new conversations, connection attempts, FAQ searches and sign-ins per client address, sign-in
//! attempts per account and address with a ceiling per account, and how many password checks
//! run at once. Uses governor's keyed GCRA limiters (token buckets: a burst, then a steady
//! refill).
//!
//! Going over a limit is never silent: a refused message gets an `error` frame `rate_limited`
//! (with its `client_id` and how long to wait), and a refused request an HTTP 429 with
//! `Retry-After`. The limiters are generic over the clock so that tests move time by hand.
//!
//! Addresses are grouped by [`ClientKey`]: an IPv4 address stands alone, an IPv6 address counts
//! with its /64 (one household or phone gets a whole /64, so per-address limits keyed on the
//! exact address would be trivial to dodge).

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The limits a relay enforces; every count is at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitsConfig {
    /// Messages a visitor may send at once before the steady rate applies.
    pub message_burst: NonZeroU32,
    /// Messages per minute a visitor may send in the long run.
    pub messages_per_minute: NonZeroU32,
    /// New conversations per hour from one client address.
    pub conversations_per_hour: NonZeroU32,
    /// WebSocket connection attempts per minute from one client address.
    pub connections_per_minute: NonZeroU32,
    /// FAQ searches per minute from one client address (results update as shoppers type).
    pub searches_per_minute: NonZeroU32,
    /// Sign-in attempts one account may take at once from one address; after that, one a
    /// minute. Guesses from elsewhere never lock the owner out: they count against the guesser's
    /// address (and the generous per-account ceiling).
    pub sign_ins_per_account: NonZeroU32,
    /// Sign-in attempts one account may take at once from all addresses together, then this
    /// many an hour: the ceiling for guessing spread over many addresses.
    pub sign_ins_per_account_total: NonZeroU32,
    /// Sign-in attempts one client address may make at once, for any accounts (made-up emails
    /// included); then this many a minute.
    pub sign_ins_per_address: NonZeroU32,
    /// Password checks (argon2, about 19 MiB and tens of milliseconds each) running at once;
    /// sign-ins beyond are answered 429 at once instead of queueing.
    pub password_checks: NonZeroU32,
    /// Open connections one client address may hold (plain HTTP and WebSocket alike).
    pub connections_per_address: NonZeroU32,
    /// New TCP connections per second from one client address, in the long run (ten seconds'
    /// worth may come at once); more are closed as soon as they are accepted, before any HTTP.
    pub new_connections_per_second: NonZeroU32,
    /// The IPv6 prefix length that counts as one client address (IPv4 is always per address).
    pub ipv6_prefix: u8,
}

impl Default for LimitsConfig {
    #[allow(clippy::expect_used)] // each expect states an invariant that holds
    fn default() -> Self {
        let n = |v| NonZeroU32::new(v).expect("non-zero default");
        LimitsConfig {
            message_burst: n(10),
            messages_per_minute: n(30),
            conversations_per_hour: n(20),
            connections_per_minute: n(60),
            searches_per_minute: n(120),
            sign_ins_per_account: n(5),
            sign_ins_per_account_total: n(50),
            sign_ins_per_address: n(20),
            password_checks: n(2),
            connections_per_address: n(500),
            new_connections_per_second: n(20),
            ipv6_prefix: 64,
        }
    }
}

/// A client address as limits count it: IPv4 as it is, IPv6 cut to its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    /// The key of `ip` when IPv6 addresses count per `/prefix`.
    pub fn of(ip: IpAddr, ipv6_prefix: u8) -> ClientKey {
        match ip {
            IpAddr::V4(_) => ClientKey(ip),
            IpAddr::V6(v6) => {
                // An IPv4-mapped address is that IPv4 address.
                if let Some(v4) = v6.to_ipv4_mapped() {
                    return ClientKey(IpAddr::V4(v4));
                }
                let bits = u128::from(v6);
                let prefix = u32::from(ipv6_prefix.min(128));
                let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix) };
                ClientKey(IpAddr::V6((bits & mask).into()))
            }
        }
    }
}

impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

type Keyed<K, C> = RateLimiter<K, DefaultKeyedStateStore<K>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// Page reports a visitor may send at once: one page with the most earlier pages it may carry.
pub const PAGE_BURST: u32 = 21;
/// How often a visitor's page-report allowance grows by one page, across all their tabs.
pub const PAGE_EVERY: Duration = Duration::from_millis(500);

/// The relay's limiters.
pub struct Limits<C: Clock = DefaultClock> {
    clock: C,
    ipv6_prefix: u8,
    messages: Keyed<String, C>,
    pages: Keyed<String, C>,
    conversations: Keyed<ClientKey, C>,
    connections: Keyed<ClientKey, C>,
    searches: Keyed<ClientKey, C>,
    sign_ins_by_address: Keyed<ClientKey, C>,
    sign_ins_by_account_and_address: Keyed<(String, ClientKey), C>,
    sign_ins_by_account: Keyed<String, C>,
    password_checks: Arc<Semaphore>,
    open_connections_allowed: usize,
}

/// `count` events per `period`, all of which may come at once.
#[allow(clippy::expect_used)] // each expect states an invariant that holds
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

/// How long a sign-in or password change refused for lack of a free password-check slot is
/// told to wait.
pub const BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Why a sign-in attempt may not go ahead now.
#[derive(Debug, PartialEq, Eq)]
pub enum SignInRefused {
    /// Over one of the sign-in limits; try again after the wait.
    Limited(Duration),
    /// Every password check slot is taken; try again in a moment.
    Busy,
}

impl<C: Clock + Clone> Limits<C> {
    /// Limiters on the given clock.
    #[allow(clippy::expect_used)] // each expect states an invariant that holds
    pub fn with_clock(config: LimitsConfig, clock: C) -> Self {
        let per_minute = Duration::from_secs(60);
        let messages = spread(config.messages_per_minute, per_minute).allow_burst(config.message_burst);
        let pages = Quota::with_period(PAGE_EVERY)
            .expect("a positive period")
            .allow_burst(NonZeroU32::new(PAGE_BURST).expect("non-zero"));
        let keyed = |quota: Quota| RateLimiter::dashmap_with_clock(quota, clock.clone());
        Limits {
            ipv6_prefix: config.ipv6_prefix,
            messages: RateLimiter::dashmap_with_clock(messages, clock.clone()),
            pages: RateLimiter::dashmap_with_clock(pages, clock.clone()),
            conversations: keyed(spread(config.conversations_per_hour, Duration::from_secs(3600))),
            connections: keyed(spread(config.connections_per_minute, per_minute)),
            searches: keyed(spread(config.searches_per_minute, per_minute)),
            sign_ins_by_address: keyed(spread(config.sign_ins_per_address, per_minute)),
            sign_ins_by_account_and_address: RateLimiter::dashmap_with_clock(
                Quota::per_minute(NonZeroU32::MIN).allow_burst(config.sign_ins_per_account),
                clock.clone(),
            ),
            sign_ins_by_account: RateLimiter::dashmap_with_clock(
                spread(config.sign_ins_per_account_total, Duration::from_secs(3600)),
                clock.clone(),
            ),
            password_checks: Arc::new(Semaphore::new(config.password_checks.get() as usize)),
            open_connections_allowed: config.connections_per_address.get() as usize,
            clock,
        }
    }

    fn check<K: Hash + Eq + Clone>(&self, limiter: &Keyed<K, C>, key: &K) -> Result<(), Duration> {
        limiter.check_key(key).map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// How limits count `ip`.
    pub fn key(&self, ip: IpAddr) -> ClientKey {
        ClientKey::of(ip, self.ipv6_prefix)
    }

    /// How many connections one client address may hold open.
    pub fn open_connections_allowed(&self) -> usize {
        self.open_connections_allowed
    }

    /// A visitor wants to send a message; `Err` holds how long to wait.
    pub fn message(&self, visitor: &str) -> Result<(), Duration> {
        self.check(&self.messages, &visitor.to_owned())
    }

    /// A visitor reports `pages` pages (the current one and the earlier ones it carries).
    pub fn pages(&self, visitor: &str, pages: usize) -> Result<(), Duration> {
        let n = NonZeroU32::new(u32::try_from(pages.max(1)).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN);
        match self.pages.check_key_n(&visitor.to_owned(), n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(not_until.wait_time_from(self.clock.now())),
            // More pages than the burst: never allowed in one report.
            Err(_) => Err(PAGE_EVERY * PAGE_BURST),
        }
    }

    /// Someone at `ip` starts a new conversation.
    pub fn conversation(&self, ip: IpAddr) -> Result<(), Duration> {
        self.check(&self.conversations, &self.key(ip))
    }

    /// Someone at `ip` opens a WebSocket.
    pub fn connection(&self, ip: IpAddr) -> Result<(), Duration> {
        self.check(&self.connections, &self.key(ip))
    }

    /// Someone at `ip` searches the FAQ.
    pub fn search(&self, ip: IpAddr) -> Result<(), Duration> {
        self.check(&self.searches, &self.key(ip))
    }

    /// Someone at `ip` tries to sign in as `email` (any case). Counts against the address,
    /// the account from that address, and the account's ceiling, in that order; then takes one
    /// of the few password-check slots, held until the permit is dropped.
    pub fn sign_in(&self, email: &str, ip: IpAddr) -> Result<OwnedSemaphorePermit, SignInRefused> {
        let key = self.key(ip);
        let account = email.trim().to_lowercase();
        self.check(&self.sign_ins_by_address, &key).map_err(SignInRefused::Limited)?;
        self.check(&self.sign_ins_by_account_and_address, &(account.clone(), key)).map_err(SignInRefused::Limited)?;
        self.check(&self.sign_ins_by_account, &account).map_err(SignInRefused::Limited)?;
        self.password_check().ok_or(SignInRefused::Busy)
    }

    /// One of the few slots for an argon2 check or hash, if one is free now. Never waits: a
    /// flood is answered at once rather than queued.
    pub fn password_check(&self) -> Option<OwnedSemaphorePermit> {
        self.password_checks.clone().try_acquire_owned().ok()
    }

    /// Forgets keys whose limits have fully recovered, so memory does not grow with every
    /// visitor ever seen.
    pub fn forget_idle(&self) {
        self.messages.retain_recent();
        self.pages.retain_recent();
        self.conversations.retain_recent();
        self.connections.retain_recent();
        self.searches.retain_recent();
        self.sign_ins_by_address.retain_recent();
        self.sign_ins_by_account_and_address.retain_recent();
        self.sign_ins_by_account.retain_recent();
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
            sign_ins_per_account_total: n(5),
            sign_ins_per_address: n(4),
            password_checks: n(1),
            ..LimitsConfig::default()
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
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
    fn conversations_connections_and_searches_are_limited_per_address() {
        let clock = FakeRelativeClock::default();
        let limits = Limits::with_clock(config(), clock.clone());
        let (a, b) = (ip("10.0.0.1"), ip("10.0.0.2"));
        assert!(limits.conversation(a).is_ok() && limits.conversation(a).is_ok());
        assert_eq!(limits.conversation(a), Err(Duration::from_secs(1800)));
        assert!(limits.conversation(b).is_ok());
        assert!(limits.connection(a).is_ok() && limits.connection(a).is_ok());
        assert_eq!(limits.connection(a), Err(Duration::from_secs(30)));
        clock.advance(Duration::from_secs(30));
        assert!(limits.connection(a).is_ok());
        assert!(limits.search(b).is_ok() && limits.search(b).is_ok());
        assert_eq!(limits.search(b), Err(Duration::from_secs(30)));
    }

    #[test]
    fn ipv6_addresses_count_per_64_and_ipv4_per_address() {
        let limits = Limits::with_clock(config(), FakeRelativeClock::default());
        assert!(limits.search(ip("2001:db8:1:2::1")).is_ok());
        assert!(limits.search(ip("2001:db8:1:2:ffff::9")).is_ok());
        assert!(limits.search(ip("2001:db8:1:2:abcd::1")).is_err(), "one /64 is one client");
        assert!(limits.search(ip("2001:db8:1:3::1")).is_ok(), "the next /64 is another");
        assert_eq!(ClientKey::of(ip("::ffff:10.1.2.3"), 64), ClientKey::of(ip("10.1.2.3"), 64));
        assert_ne!(ClientKey::of(ip("10.1.2.3"), 64), ClientKey::of(ip("10.1.2.4"), 64));
        assert_ne!(ClientKey::of(ip("2001:db8::1"), 128), ClientKey::of(ip("2001:db8::2"), 128));
    }

    #[test]
    fn failures_from_elsewhere_never_lock_the_owner_out() {
        let clock = FakeRelativeClock::default();
        let limits = Limits::with_clock(config(), clock.clone());
        let (attacker, owner) = (ip("198.51.100.7"), ip("203.0.113.9"));
        for _ in 0..2 {
            assert!(limits.sign_in("ann@shop.test", attacker).is_ok());
        }
        assert!(matches!(limits.sign_in("Ann@Shop.test ", attacker), Err(SignInRefused::Limited(_))));
        assert!(limits.sign_in("ann@shop.test", owner).is_ok(), "the owner's own address is not locked");
    }

    #[test]
    fn made_up_emails_are_limited_per_address() {
        let clock = FakeRelativeClock::default();
        let limits = Limits::with_clock(config(), clock.clone());
        let flood = ip("198.51.100.7");
        for i in 0..4 {
            assert!(limits.sign_in(&format!("nobody{i}@x.test"), flood).is_ok());
        }
        assert_eq!(
            limits.sign_in("nobody9@x.test", flood).unwrap_err(),
            SignInRefused::Limited(Duration::from_secs(15))
        );
        assert!(limits.sign_in("nobody9@x.test", ip("198.51.100.8")).is_ok(), "another address is not limited");
    }

    #[test]
    fn an_account_has_a_ceiling_across_addresses() {
        let limits = Limits::with_clock(config(), FakeRelativeClock::default());
        for i in 0..5 {
            assert!(limits.sign_in("ann@shop.test", ip(&format!("198.51.100.{i}"))).is_ok());
        }
        assert!(matches!(limits.sign_in("ann@shop.test", ip("198.51.100.99")), Err(SignInRefused::Limited(_))));
    }

    #[test]
    fn password_checks_beyond_the_slots_are_refused_at_once() {
        let limits = Limits::with_clock(config(), FakeRelativeClock::default());
        let held = limits.sign_in("a@x.test", ip("10.0.0.1")).unwrap();
        assert_eq!(limits.sign_in("b@x.test", ip("10.0.0.2")).unwrap_err(), SignInRefused::Busy);
        drop(held);
        assert!(limits.sign_in("b@x.test", ip("10.0.0.2")).is_ok());
    }

    #[test]
    fn page_reports_count_every_page_they_carry() {
        let clock = FakeRelativeClock::default();
        let limits = Limits::with_clock(config(), clock.clone());
        assert!(limits.pages("v1", 21).is_ok(), "a page with 20 earlier ones");
        assert!(limits.pages("v1", 1).is_err(), "then the allowance is spent for every tab");
        clock.advance(PAGE_EVERY);
        assert!(limits.pages("v1", 1).is_ok());
        assert!(limits.pages("v2", 22).is_err(), "more than one report may carry");
    }
}
