//! The FAQ over HTTP: `GET /api/stores/{key}/faq/search?q=…&limit=N`, and one article with its
//! whole answer at `GET /api/stores/{key}/faq/articles/{id}`.
//!
//! The widget searches as the shopper types, before any conversation or socket exists. Pages
//! the store allows get an answer (CORS echoes their origin); every address is rate-limited.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{known_store, with_cors};
use crate::error::{Error, Result};
use crate::origin::origin_allowed;
use crate::state::AppState;

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
) -> Result<crate::store::StoreRecord> {
    state.limits.search(peer.ip()).map_err(|wait| Error::rate_limited("searches", wait))?;
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
) -> Result<Response> {
    let store = allowed_store(&state, &key, peer, &headers).await?;
    let found = state.store.article(store.id, &id).await.map_err(Error::from);
    let response = match found.and_then(|a| a.ok_or_else(|| Error::not_found(format!("no article {id:?}")))) {
        Ok(article) => {
            let who = format!("ip:{}", state.limits.key(peer.ip()));
            let now = crate::store::now_millis();
            if let Err(error) = state.store.record_article_view(store.id, &article.id, &who, now).await {
                tracing::warn!(%error, "an article view was not recorded");
            }
            Json(crate::faq::article_json(&article)).into_response()
        }
        Err(error) => error.into_response(),
    };
    Ok(with_cors(response, &headers))
}

/// Searches a store's FAQ.
pub async fn search(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<Response> {
    let store = allowed_store(&state, &key, peer, &headers).await?;
    let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => return Err(Error::invalid(format!("limit must be a number from 1 to {MAX_LIMIT}"))),
    };
    let query: String = params.get("q").map(|q| q.chars().take(MAX_QUERY_CHARS).collect()).unwrap_or_default();
    let hits = state.faq.search_off(store.id, query.clone(), limit).await;
    let who = format!("ip:{}", state.limits.key(peer.ip()));
    if let Err(error) = crate::bot::note_search(&state.bot, store.id, &query, &who).await {
        tracing::warn!(%error, "an unanswered search was not recorded");
    }
    if let Err(error) = crate::bot::note_search_term(&state.bot, store.id, &query, &who).await {
        tracing::warn!(%error, "a search term was not recorded");
    }
    Ok(with_cors(Json(hits).into_response(), &headers))
}
