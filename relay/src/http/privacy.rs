//! Shoppers' data on request, for store owners in the console (the command line has the same:
//! `relay visitor export|delete`):
//!
//! - `GET /api/stores/{key}/visitors/{id}/export`: everything held about the visitor, as a JSON
//!   download (owners only);
//! - `DELETE /api/stores/{key}/visitors/{id}`: removes it all, and is logged (owners only).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::caller::{Caller, Owner};
use crate::error::{Error, Result};
use crate::fanout::{close_code, Audience};
use crate::state::AppState;
use crate::store::Shopper;

/// The store's visitor `id` (404 when it has none).
async fn visitor_of(state: &AppState, caller: &Caller<Owner>, id: &str) -> Result<String> {
    let found = state.store.shopper_visitors(caller.store.id, &Shopper::Visitor(id.to_owned())).await?;
    found.into_iter().next().ok_or_else(|| Error::not_found(format!("no visitor {id:?}")))
}

/// `GET …/visitors/{id}/export`
pub async fn export(
    State(state): State<Arc<AppState>>,
    caller: Caller<Owner>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response> {
    let visitor = visitor_of(&state, &caller, &id).await?;
    let data = state.store.export_visitor(&visitor).await?;
    let (me, store) = (&caller.agent, &caller.store);
    tracing::info!(store = ?store.key, visitor = ?visitor, by = ?me.email, "exported a shopper's data");
    let mut response = Json(serde_json::json!({ "store": store.key, "visitors": [data] })).into_response();
    let name =
        format!("attachment; filename=\"shopper-{}.json\"", visitor.replace(|c: char| !c.is_ascii_alphanumeric(), ""));
    if let Ok(value) = HeaderValue::from_str(&name) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `DELETE …/visitors/{id}`
pub async fn delete(
    State(state): State<Arc<AppState>>,
    caller: Caller<Owner>,
    Path((_, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let visitor = visitor_of(&state, &caller, &id).await?;
    let conversations = state.store.delete_visitor(caller.store.id, &visitor).await?;
    tracing::info!(store = ?caller.store.key, visitor = ?visitor, by = ?caller.agent.email, conversations,
        "deleted a shopper's data on request");
    // Their open tabs lose their identity; the widget starts afresh.
    state.fanout.close(&Audience::Visitor(visitor), close_code::POLICY_VIOLATION, "this visitor's data was deleted");
    Ok(StatusCode::NO_CONTENT)
}
