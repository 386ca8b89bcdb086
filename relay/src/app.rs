//! The running relay: shared state, start-up and graceful shutdown.
//!
//! `start` opens the store, makes sure the demo store exists, binds the listener and serves until
//! `RunningRelay::shutdown` (or Ctrl-C / SIGTERM through `serve_until_signal`). On shutdown the
//! listener stops accepting, every socket is closed with "going away" (clients reconnect to the
//! next relay), sockets get a few seconds to finish, and the database is closed cleanly.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::VisitorTokens;
use crate::bot::Bot;
use crate::chat::Conversations;
use crate::fanout::Fanout;
use crate::faq::Faq;
use crate::http::{self, Assets};
use crate::hub::Hub;
use crate::limits::{Limits, LimitsConfig};
use crate::orders::Orders;
use crate::routing::{Routing, DEFAULT_OFFLINE_GRACE};
pub use crate::state::AppState;
use crate::store::Store;

/// The demo store's key: its storefront at `/demo/` embeds it.
pub const DEMO_STORE_KEY: &str = "demo";
/// The demo store's display name.
pub const DEMO_STORE_NAME: &str = "Maison Demo";

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

/// A relay serving in the background.
pub struct RunningRelay {
    addr: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
    state: Arc<AppState>,
    pulse: Arc<crate::pulse::Pulse>,
    metrics_addr: Option<SocketAddr>,
}

impl RunningRelay {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Where `GET /metrics` answers, when `RelayConfig::metrics_listen` asked for it.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// The async workers' pulse (for tests that make it read late).
    pub fn pulse(&self) -> &Arc<crate::pulse::Pulse> {
        &self.pulse
    }

    /// Its shared state (for tests and benchmarks that look inside).
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Stops it gracefully and waits until the database is closed.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.task.await.context("relay task panicked")?
    }

    /// Serves until Ctrl-C or SIGTERM, then shuts down gracefully.
    pub async fn serve_until_signal(self) -> anyhow::Result<()> {
        wait_for_signal().await;
        tracing::info!("shutting down");
        self.shutdown().await
    }
}

/// Where the relay keeps its data: SQLite in `data_dir`, or the PostgreSQL database at `url`.
#[derive(Debug, Clone)]
pub struct Database {
    /// The data dir (SQLite's database file, when there is no `url`).
    pub data_dir: PathBuf,
    /// A PostgreSQL URL (`--database`).
    pub url: Option<String>,
}

impl Database {
    /// Opens the database the way every command does; see [`open_store`].
    pub async fn open(&self) -> anyhow::Result<Store> {
        open_store(&self.data_dir, self.url.as_deref()).await
    }
}

/// Opens a data dir the way every command does: migrated, and with the demo store (so that
/// `/demo/` and `agent add --store demo` work on a fresh one).
pub async fn open_data_dir(data_dir: &std::path::Path) -> anyhow::Result<Store> {
    open_store(data_dir, None).await
}

/// Opens SQLite in `data_dir`, or PostgreSQL at `url`, migrated and with the demo store.
pub async fn open_store(data_dir: &std::path::Path, url: Option<&str>) -> anyhow::Result<Store> {
    let store = match url {
        Some(url) => {
            Store::open_postgres(url).await.with_context(|| format!("opening the database at {}", redact(url)))?
        }
        None => {
            Store::open(data_dir).await.with_context(|| format!("opening the database in {}", data_dir.display()))?
        }
    };
    if store.ensure_store(DEMO_STORE_KEY, DEMO_STORE_NAME, &["self".to_owned()]).await? {
        tracing::info!("created the demo store {DEMO_STORE_KEY:?}");
        let demo = store.store_by_key(DEMO_STORE_KEY).await?.context("the demo store vanished")?;
        let articles = crate::faq::import::parse(DEMO_FAQ).context("the demo FAQ")?;
        store.upsert_articles(demo.id, articles).await?;
    }
    Ok(store)
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &url[scheme + 3..at];
            let user = user.split(':').next().unwrap_or_default();
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// The demo store's FAQ: a fashion shop's questions in English and Chinese.
const DEMO_FAQ: &str = include_str!("../faq/demo.json");

/// Opens the data dir and starts serving.
pub async fn start(config: RelayConfig) -> anyhow::Result<RunningRelay> {
    // First: a broken model file stops the start before anything is written.
    let semantic = crate::faq::semantic::start(config.faq_model.as_deref(), config.faq_index_when_idle)
        .await
        .context("the FAQ model")?;
    let store = open_store(&config.data_dir, config.database_url.as_deref()).await?;
    // Alone on its database, a starting relay knows no socket survived the last run; one of
    // several must not end what the others' agents and shoppers are doing.
    let alone = config.nats_url.is_none() || config.database_url.is_none();
    let store = match alone {
        true => {
            store.close_stale_online().await?;
            store.alone()
        }
        false => store,
    };
    let key = store.secret("visitor_token_key", || crate::auth::random_bytes::<32>().to_vec()).await?;
    let listener = TcpListener::bind(config.listen).await.with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    let faq = Arc::new(Faq::ranked_by(semantic).context("creating the FAQ index")?);
    faq.sync(&store).await?;
    let pulse = Arc::new(crate::pulse::Pulse::default());
    pulse.start(shutdown.clone());
    store.set_late_bound(config.late_bound);
    store.watch(pulse.clone());
    // Before the services start, so that what they record from the first moment is kept.
    let metrics = config.metrics_listen.map(|at| crate::metrics::install().map(|handle| (at, handle))).transpose()?;
    let hub = Arc::new(Hub::default());
    let bus = match &config.nats_url {
        Some(url) => {
            // The database names the cluster: relays on it share subjects, others never meet.
            let id = store.secret("bus_cluster_id", || crate::auth::random_bytes::<8>().to_vec()).await?;
            let space = crate::bus::Space::of_cluster(&id);
            Some(crate::bus::Bus::connect(url, space, hub.clone(), shutdown.clone()).await?)
        }
        None => None,
    };
    let fanout: Arc<dyn Fanout> = match &bus {
        Some(bus) => bus.clone(),
        None => hub.clone(),
    };
    let (grace, stop) = (config.offline_grace, shutdown.clone());
    let routing = match (&bus, &config.database_url) {
        // Several relays on one database: one decides for each store's desk.
        (Some(bus), Some(_)) => {
            let link = bus.cluster_link().await?;
            Routing::start_in_cluster(store.clone(), fanout.clone(), grace, stop, link).await?
        }
        _ => Routing::start(store.clone(), fanout.clone(), grace, stop),
    };
    let words = Arc::new(crate::texts::Words::new(store.clone()));
    let chat = Arc::new(Conversations::new(store.clone(), fanout.clone(), routing.clone(), words.clone()));
    let orders = Arc::new(Orders::new(store.clone()).context("setting up the order-source client")?);
    if alone {
        store.nobody_here(crate::store::now_millis()).await?;
    }
    let mail = Arc::new(mailer(&config, &store, fanout.clone(), addr).await?);
    let webhooks = Arc::new(
        crate::webhooks::Webhooks::new(store.clone(), config.webhook_timeout)
            .context("setting up the webhook client")?,
    );
    let reports = Arc::new(crate::reports::Reports::new(store.clone()));
    let parts = crate::bot::BotParts {
        faq: faq.clone(),
        routing: routing.clone(),
        chat: chat.clone(),
        orders: orders.clone(),
        words,
        reply_times: reports.reply_times.clone(),
    };
    let bot = Arc::new(Bot::new(store.clone(), parts, config.bot_repeat_window));
    let live = Arc::new(crate::live::Live::default());
    // The relays sharing this database (with their own, their stores are not these).
    let peers = bus.clone().filter(|_| config.database_url.is_some());
    let state = Arc::new(AppState {
        store: store.clone(),
        hub,
        fanout,
        tokens: VisitorTokens::new(key),
        shutdown: shutdown.clone(),
        sessions: TaskTracker::new(),
        routing,
        chat,
        bot: bot.clone(),
        limits: Limits::new(config.limits),
        faq: faq.clone(),
        orders,
        reports,
        mail: mail.clone(),
        webhooks: webhooks.clone(),
        live: live.clone(),
        bus: peers.clone(),
    });
    if let Some(bus) = &peers {
        tokio::spawn(bus.clone().serve_live(live, shutdown.clone()));
    }
    if config.sweep_deadlines {
        tokio::spawn(crate::bot::deadline::watch(bot, shutdown.clone()));
        tokio::spawn(crate::chat::closing::watch(state.chat.clone(), shutdown.clone()));
        tokio::spawn(crate::mail::watch(mail, shutdown.clone()));
        tokio::spawn(crate::webhooks::watch(webhooks, shutdown.clone()));
    }
    tokio::spawn(forget_idle_limits(state.clone()));
    tokio::spawn(crate::faq::follow_changes(faq, store.clone(), shutdown.clone()));
    tokio::spawn(clean_up_daily(store.clone(), shutdown.clone()));
    let metrics_addr = match metrics {
        Some((at, handle)) => Some(serve_metrics(at, handle, state.clone()).await?),
        None => None,
    };
    let router = http::router(state.clone(), Assets::load(), crate::ws::routes());
    let serving = state.clone();
    let guards = crate::serve::Guards {
        per_address: state.limits.open_connections_allowed(),
        ipv6_prefix: config.limits.ipv6_prefix,
        trusted: config.trusted_proxies.clone(),
        header_read_timeout: config.header_read_timeout,
        new_per_second: config.limits.new_connections_per_second,
    };
    let task = tokio::spawn(async move {
        let stop = serving.shutdown.clone();
        crate::serve::serve(listener, router, guards, stop).await;
        serving.sessions.close();
        if tokio::time::timeout(Duration::from_secs(10), serving.sessions.wait()).await.is_err() {
            tracing::warn!("some sockets did not close within 10 s");
        }
        serving.store.close().await;
        Ok(())
    });
    Ok(RunningRelay { addr, shutdown, task, state, pulse, metrics_addr })
}

/// The email service: SMTP when `--smtp-url` is given, links signed under a relay-wide secret.
async fn mailer(
    config: &RelayConfig,
    store: &Store,
    fanout: Arc<dyn Fanout>,
    addr: SocketAddr,
) -> anyhow::Result<crate::mail::Mailer> {
    let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let host = url::Url::parse(&public_url)
        .with_context(|| format!("--public-url {public_url:?} is not a URL"))?
        .host_str()
        .filter(|h| h.contains('.') && h.parse::<std::net::IpAddr>().is_err())
        .unwrap_or("parley.invalid")
        .to_owned();
    let from = config.mail_from.clone().unwrap_or_else(|| format!("noreply@{host}"));
    let smtp = match &config.smtp_url {
        Some(url) => Some(crate::mail::Smtp::new(url, &from).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let key = store.secret("email_link_key", || crate::auth::random_bytes::<32>().to_vec()).await?;
    Ok(crate::mail::Mailer::new(store.clone(), fanout, smtp, crate::mail::Links::new(key), &public_url))
}

/// Installs the metrics recorder and serves `GET /metrics` on `at`, its own address (never the
/// public one), until the relay shuts down; returns the address it listens on.
async fn serve_metrics(
    at: SocketAddr,
    handle: metrics_exporter_prometheus::PrometheusHandle,
    state: Arc<AppState>,
) -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind(at).await.with_context(|| format!("listening for metrics on {at}"))?;
    let addr = listener.local_addr()?;
    let stop = state.shutdown.clone();
    let router = http::metrics::router(state, handle);
    tokio::spawn(async move {
        let serving = axum::serve(listener, router).with_graceful_shutdown(stop.cancelled_owned());
        if let Err(error) = serving.await {
            tracing::warn!(%error, "the metrics listener failed");
        }
    });
    Ok(addr)
}

/// Every minute, drops the limiter state of visitors and addresses that are back to full, and
/// marks the agents online now as seen (see `Store::touch_online`).
async fn forget_idle_limits(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = tick.tick() => {
                state.limits.forget_idle();
                if let Err(error) = state.store.touch_online(crate::store::now_millis()).await {
                    tracing::warn!(%error, "could not mark agents' time online");
                }
            }
        }
    }
}

/// Once at start and then daily: conversations past their store's retention period, old page
/// history and unanswered-question bookkeeping go (see `Store::apply_retention`).
async fn clean_up_daily(store: Store, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(24 * 60 * 60));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => match store.apply_retention(crate::store::now_millis()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(conversations = n, "deleted conversations past their store's retention period"),
                Err(error) => tracing::warn!(%error, "the daily clean-up failed"),
            },
        }
    }
}

#[allow(clippy::expect_used)] // each expect states an invariant that holds
async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
