//! How to run a relay: every setting the command line (and the tests) can give, with the
//! defaults a single merchant's relay runs on.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::limits::LimitsConfig;
use crate::routing::DEFAULT_OFFLINE_GRACE;

/// How to run a relay.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Address to listen on (port 0 picks a free one).
    pub listen: SocketAddr,
    /// Directory holding the database.
    pub data_dir: PathBuf,
    /// How long an agent may be disconnected before their conversations return to the queue.
    pub offline_grace: Duration,
    /// Abuse limits.
    pub limits: LimitsConfig,
    /// How long the bot does not repeat the same automatic reply in a conversation.
    pub bot_repeat_window: Duration,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`--trust-forwarded-for`).
    pub trusted_proxies: crate::serve::TrustedProxies,
    /// How long a request's headers may take to arrive, and an idle connection may wait for its
    /// next request (`serve::HEADER_READ_TIMEOUT`; tests shorten it).
    pub header_read_timeout: Duration,
    /// Whether first-reply deadlines (four times a second), unanswered closing questions (each
    /// second) and idle conversations (each minute) are swept on their own. Tests turn it off
    /// and call `bot::deadline::sweep` and `chat::closing::sweep_*` with the times they want.
    pub sweep_deadlines: bool,
    /// How late the async workers may run before new messages are refused as `busy`
    /// (`pulse::LATE_BOUND`; tests that share a busy machine with browsers raise it).
    pub late_bound: Duration,
    /// Where `GET /metrics` answers (`--metrics-listen`); no metrics when absent.
    pub metrics_listen: Option<SocketAddr>,
    /// The SMTP server email goes through (`--smtp-url`); no email when absent.
    pub smtp_url: Option<String>,
    /// The sender of emails from stores that set no address of their own (`--mail-from`;
    /// by default `noreply@` the public URL's host).
    pub mail_from: Option<String>,
    /// The relay's address as shoppers reach it, for links in emails (`--public-url`; by
    /// default `http://` the listening address).
    pub public_url: Option<String>,
    /// How long a webhook delivery may take (`webhooks::TIMEOUT`; tests shorten it).
    pub webhook_timeout: Duration,
    /// The NATS server(s) of the bus between relays (`--nats`); frames stay in this process
    /// when absent.
    pub nats_url: Option<String>,
    /// The PostgreSQL database (`--database`); SQLite in `data_dir` when absent.
    pub database_url: Option<String>,
    /// The embedding model that ranks FAQ articles by meaning (`--faq-model`); lexical search
    /// only when absent. A file that is not a complete model stops the start.
    pub faq_model: Option<PathBuf>,
    /// Whether FAQ articles are embedded only when a core is otherwise idle, so that saving
    /// articles in a loop cannot slow the chat (tests on a machine kept busy by other tests
    /// turn it off, or indexing would wait for minutes).
    pub faq_index_when_idle: bool,
}

impl RelayConfig {
    /// A relay on `listen` keeping its data in `data_dir`, with default settings otherwise.
    pub fn new(listen: SocketAddr, data_dir: impl Into<PathBuf>) -> RelayConfig {
        RelayConfig {
            listen,
            data_dir: data_dir.into(),
            offline_grace: DEFAULT_OFFLINE_GRACE,
            limits: LimitsConfig::default(),
            sweep_deadlines: true,
            late_bound: crate::pulse::LATE_BOUND,
            trusted_proxies: Default::default(),
            header_read_timeout: crate::serve::HEADER_READ_TIMEOUT,
            bot_repeat_window: crate::bot::DEFAULT_REPEAT_WINDOW,
            metrics_listen: None,
            smtp_url: None,
            mail_from: None,
            public_url: None,
            webhook_timeout: crate::webhooks::TIMEOUT,
            nats_url: None,
            database_url: None,
            faq_model: None,
            faq_index_when_idle: true,
        }
    }
}
