//! The relay's services that are not requests: the email service's set-up, the metrics
//! listener, and the minute and daily chores (limiter state, agents' time online, retention).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::{AppState, RelayConfig};
use crate::fanout::Fanout;
use crate::http;
use crate::store::Store;

/// The email service: SMTP when `--smtp-url` is given, links signed under a relay-wide secret.
pub(super) async fn mailer(
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
pub(super) async fn serve_metrics(
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
pub(super) async fn forget_idle_limits(state: Arc<AppState>) {
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
pub(super) async fn clean_up_daily(store: Store, shutdown: CancellationToken) {
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
