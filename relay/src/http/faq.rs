//! The FAQ over HTTP: `GET /api/stores/{key}/faq/search?q=…&limit=N`, and one article with its
//! whole answer at `GET /api/stores/{key}/faq/articles/{id}`.
//!
//! The widget searches as the shopper types, before any conversation or socket exists. Pages
//! the store allows get an answer (CORS echoes their origin); every address is rate-limited.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::ErrorCode;

use super::{api_error, known_store, origin_allowed, too_many, with_cors};
use crate::app::AppState;
use crate::ws::Refusal;

/// Results given when `limit` is absent.
const DEFAULT_LIMIT: usize = 5;
/// Most results one search returns.
const MAX_LIMIT: usize = 20;
/// Longest query searched, in characters (the rest is ignored).
const MAX_QUERY_CHARS: usize = 200;

/// The store named in the path, checked for the caller's address (rate) and page (origin).
async fn allowed_store(
    state: &AppState,
    key: &str,
    peer: SocketAddr,
    headers: &HeaderMap,
) -> Result<crate::store::StoreRecord, Response> {
    if let Err(wait) = state.limits.search(peer.ip()) {
        return Err(too_many("searches", wait));
    }
    let store = known_store(state, key).await?;
    origin_allowed(&store, headers)?;
    Ok(store)
}

/// One article, with its whole answer, for the widget to open inline.
pub async fn article(
    State(state): State<Arc<AppState>>,
    Path((key, id)): Path<(String, String)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let store = match allowed_store(&state, &key, peer, &headers).await {
        Ok(store) => store,
        Err(refused) => return refused,
    };
    let response = match state.store.article(store.id, &id).await {
        Ok(Some(article)) => Json(crate::faq::article_json(&article)).into_response(),
        Ok(None) => api_error(StatusCode::NOT_FOUND, ErrorCode::NotFound, format!("no article {id:?}")),
        Err(e) => Refusal::from(e).into_response(),
    };
    with_cors(response, &headers)
}

/// Searches a store's FAQ.
pub async fn search(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let store = match allowed_store(&state, &key, peer, &headers).await {
        Ok(store) => store,
        Err(refused) => return refused,
    };
    let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidValue,
                format!("limit must be a number from 1 to {MAX_LIMIT}"),
            )
        }
    };
    let query: String = params.get("q").map(|q| q.chars().take(MAX_QUERY_CHARS).collect()).unwrap_or_default();
    let hits = state.faq.search_off(store.id, query.clone(), limit).await;
    let who = format!("ip:{}", state.limits.key(peer.ip()));
    if let Err(error) = crate::bot::note_search(&state, store.id, &query, &who).await {
        tracing::warn!(%error, "an unanswered search was not recorded");
    }
    with_cors(Json(hits).into_response(), &headers)
}
