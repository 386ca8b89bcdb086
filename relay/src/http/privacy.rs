//! Shoppers' data on request, for store owners in the console (the command line has the same:
//! `relay visitor export|delete`):
//!
//! - `GET /api/stores/{key}/visitors/{id}/export`: everything held about the visitor, as a JSON
//!   download (owners only);
//! - `DELETE /api/stores/{key}/visitors/{id}`: removes it all, and is logged (owners only).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::ErrorCode;

use super::api_error;
use super::caller::{caller, Need};
use crate::app::AppState;
use crate::store::{AgentRecord, Shopper, StoreRecord};
use crate::ws::Refusal;

/// The calling owner, their store, and the store's visitor `id` (404 when it has none).
async fn owner_and_visitor(
    state: &AppState,
    headers: &HeaderMap,
    key: &str,
    id: &str,
) -> Result<(AgentRecord, StoreRecord, String), Response> {
    let (me, store) = caller(state, headers, key, Need::Owner).await?;
    let found = state.store.shopper_visitors(store.id, &Shopper::Visitor(id.to_owned())).await;
    match found.map_err(|e| Refusal::from(e).into_response())?.into_iter().next() {
        Some(visitor) => Ok((me, store, visitor)),
        None => Err(api_error(StatusCode::NOT_FOUND, ErrorCode::NotFound, format!("no visitor {id:?}"))),
    }
}

/// `GET …/visitors/{id}/export`
pub async fn export(
    State(state): State<Arc<AppState>>,
    Path((key, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (me, store, visitor) = match owner_and_visitor(&state, &headers, &key, &id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let data = match state.store.export_visitor(&visitor).await {
        Ok(data) => data,
        Err(e) => return Refusal::from(e).into_response(),
    };
    tracing::info!(store = ?store.key, visitor = ?visitor, by = ?me.email, "exported a shopper's data");
    let mut response = Json(serde_json::json!({ "store": store.key, "visitors": [data] })).into_response();
    let name =
        format!("attachment; filename=\"shopper-{}.json\"", visitor.replace(|c: char| !c.is_ascii_alphanumeric(), ""));
    if let Ok(value) = HeaderValue::from_str(&name) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `DELETE …/visitors/{id}`
pub async fn delete(
    State(state): State<Arc<AppState>>,
    Path((key, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (me, store, visitor) = match owner_and_visitor(&state, &headers, &key, &id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    match state.store.delete_visitor(store.id, &visitor).await {
        Ok(conversations) => {
            tracing::info!(store = ?store.key, visitor = ?visitor, by = ?me.email, conversations,
                "deleted a shopper's data on request");
            // Their open tabs lose their identity; the widget starts afresh.
            state.hub.disconnect_visitor(&visitor);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => Refusal::from(e).into_response(),
    }
}
