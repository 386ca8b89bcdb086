//! The running relay: shared state, start-up and graceful shutdown.
//!
//! `start` opens the store, makes sure the demo store exists, binds the listener and serves until
//! `RunningRelay::shutdown` (or Ctrl-C / SIGTERM through `serve_until_signal`). On shutdown the
//! listener stops accepting, every socket is closed with "going away" (clients reconnect to the
//! next relay), sockets get a few seconds to finish, and the database is closed cleanly.

use std::net::SocketAddr;
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
use crate::limits::Limits;
use crate::orders::Orders;
use crate::routing::Routing;
pub use crate::state::AppState;
use crate::store::Store;

mod background;
mod config;
mod database;

pub use config::RelayConfig;
pub use database::{open_data_dir, open_store, Database};

/// The demo store's key: its storefront at `/demo/` embeds it.
pub const DEMO_STORE_KEY: &str = "demo";
/// The demo store's display name.
pub const DEMO_STORE_NAME: &str = "Maison Demo";

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

/// Opens the data dir and starts serving.
pub async fn start(config: RelayConfig) -> anyhow::Result<RunningRelay> {
    // First: a broken model file stops the start before anything is written.
    let semantic = crate::faq::semantic::start(config.faq_model.as_deref(), config.faq_index_when_idle)
        .await
        .context("the FAQ model")?;
    let (store, alone) = open_for_serving(&config).await?;
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
    let state = services(&config, store, alone, addr, faq, shutdown.clone()).await?;
    spawn_chores(&config, &state);
    let metrics_addr = match metrics {
        Some((at, handle)) => Some(background::serve_metrics(at, handle, state.clone()).await?),
        None => None,
    };
    let task = serve_in_background(listener, state.clone(), &config);
    Ok(RunningRelay { addr, shutdown, task, state, pulse, metrics_addr })
}

/// Opens the database for serving, and says whether this relay is alone on it. Alone, a
/// starting relay knows no socket survived the last run; one of several must not end what the
/// others' agents and shoppers are doing.
async fn open_for_serving(config: &RelayConfig) -> anyhow::Result<(Store, bool)> {
    let store = open_store(&config.data_dir, config.database_url.as_deref()).await?;
    let alone = config.nats_url.is_none() || config.database_url.is_none();
    if !alone {
        return Ok((store, false));
    }
    store.close_stale_online().await?;
    Ok((store.alone(), true))
}

/// The relay's services, each built with what it uses, and the state handlers extract.
async fn services(
    config: &RelayConfig,
    store: Store,
    alone: bool,
    addr: SocketAddr,
    faq: Arc<Faq>,
    shutdown: CancellationToken,
) -> anyhow::Result<Arc<AppState>> {
    let key = store.secret("visitor_token_key", || crate::auth::random_bytes::<32>().to_vec()).await?;
    let hub = Arc::new(Hub::default());
    let (bus, fanout, routing) = links(config, &store, &hub, &shutdown).await?;
    let words = Arc::new(crate::texts::Words::new(store.clone()));
    let chat = Arc::new(Conversations::new(store.clone(), fanout.clone(), routing.clone(), words.clone()));
    let orders = Arc::new(Orders::new(store.clone()).context("setting up the order-source client")?);
    if alone {
        store.nobody_here(crate::store::now_millis()).await?;
    }
    let mail = Arc::new(background::mailer(config, &store, fanout.clone(), addr).await?);
    let webhooks = crate::webhooks::Webhooks::new(store.clone(), config.webhook_timeout)
        .context("setting up the webhook client")?;
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
    Ok(Arc::new(AppState {
        store,
        hub,
        fanout,
        tokens: VisitorTokens::new(key),
        shutdown,
        sessions: TaskTracker::new(),
        routing,
        chat,
        bot,
        limits: Limits::new(config.limits),
        faq,
        orders,
        reports,
        mail,
        webhooks: Arc::new(webhooks),
        live: Arc::new(crate::live::Live::default()),
        // The relays sharing this database (with their own, their stores are not these).
        bus: bus.filter(|_| config.database_url.is_some()),
    }))
}

/// How frames leave this relay and who decides each store's desk: this process alone, or the
/// NATS bus between relays, with one owner per desk when they share a database.
async fn links(
    config: &RelayConfig,
    store: &Store,
    hub: &Arc<Hub>,
    shutdown: &CancellationToken,
) -> anyhow::Result<(Option<Arc<crate::bus::Bus>>, Arc<dyn Fanout>, Arc<Routing>)> {
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
    Ok((bus, fanout, routing))
}

/// The tasks that run beside the requests until shutdown: the sweeps (deadlines, closing, the
/// email and webhook outboxes) unless the tests drive them, Visitors now across relays, the
/// FAQ following changes, and the minute and daily chores.
fn spawn_chores(config: &RelayConfig, state: &Arc<AppState>) {
    let shutdown = &state.shutdown;
    if let Some(bus) = &state.bus {
        tokio::spawn(bus.clone().serve_live(state.live.clone(), shutdown.clone()));
    }
    if config.sweep_deadlines {
        tokio::spawn(crate::bot::deadline::watch(state.bot.clone(), shutdown.clone()));
        tokio::spawn(crate::chat::closing::watch(state.chat.clone(), shutdown.clone()));
        tokio::spawn(crate::mail::watch(state.mail.clone(), shutdown.clone()));
        tokio::spawn(crate::webhooks::watch(state.webhooks.clone(), shutdown.clone()));
    }
    tokio::spawn(background::forget_idle_limits(state.clone()));
    tokio::spawn(crate::faq::follow_changes(state.faq.clone(), state.store.clone(), shutdown.clone()));
    tokio::spawn(background::clean_up_daily(state.store.clone(), shutdown.clone()));
}

/// Serves HTTP and sockets on `listener` until shutdown, then gives the sockets 10 s to close
/// and closes the database.
fn serve_in_background(
    listener: TcpListener,
    state: Arc<AppState>,
    config: &RelayConfig,
) -> JoinHandle<anyhow::Result<()>> {
    let router = http::router(state.clone(), Assets::load(), crate::ws::routes());
    let guards = crate::serve::Guards {
        per_address: state.limits.open_connections_allowed(),
        ipv6_prefix: config.limits.ipv6_prefix,
        trusted: config.trusted_proxies.clone(),
        header_read_timeout: config.header_read_timeout,
        new_per_second: config.limits.new_connections_per_second,
    };
    tokio::spawn(async move {
        let stop = state.shutdown.clone();
        crate::serve::serve(listener, router, guards, stop).await;
        state.sessions.close();
        if tokio::time::timeout(Duration::from_secs(10), state.sessions.wait()).await.is_err() {
            tracing::warn!("some sockets did not close within 10 s");
        }
        state.store.close().await;
        Ok(())
    })
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
