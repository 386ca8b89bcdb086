//! `GET /metrics` on the metrics listener (`relay --metrics-listen ADDR`), never on the public
//! address: Prometheus text of what `crate::metrics` records, with each store's queue read at
//! the moment of the scrape.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::error::{Error, Result};
use crate::state::AppState;

/// What the metrics listener serves: `/metrics` and nothing else.
pub fn router(state: Arc<AppState>, handle: PrometheusHandle) -> Router {
    Router::new()
        .route("/metrics", get(render))
        .fallback(|| async { Error::not_found("only /metrics here") })
        .with_state((state, handle))
}

async fn render(State((state, handle)): State<(Arc<AppState>, PrometheusHandle)>) -> Result<Response> {
    let now = crate::store::now_millis();
    for queue in state.store.queues().await? {
        let waited = queue.longest_since.map_or(0, |since| now.saturating_sub(since));
        crate::metrics::queue(
            &queue.store_key,
            queue.waiting,
            Duration::from_millis(u64::try_from(waited).unwrap_or(0)),
        );
    }
    handle.run_upkeep();
    let text = handle.render();
    let content_type = HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8");
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}

/// Counts every response of the public router by status (a socket's upgrade counts as 101).
pub async fn count_status(response: Response) -> Response {
    crate::metrics::http_response(response.status().as_u16());
    response
}
