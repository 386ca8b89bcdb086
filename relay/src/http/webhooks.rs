//! The webhooks API for owners and admins (docs/webhooks.md): `GET`/`POST
//! /api/stores/{key}/webhooks`, `PUT`/`DELETE …/webhooks/{id}` and the delivery log
//! `GET …/webhooks/{id}/deliveries`. A new endpoint gets a fresh signing secret.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use protocol::{Webhook, WebhookDelivery, WebhookForm};

use super::body::JsonBody;
use super::caller::{Admin, Caller};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::webhooks::{check_events, check_url, MAX_PER_STORE};

/// Deliveries the log shows.
const LOG_LENGTH: u32 = 50;

async fn checked(state: &AppState, store_id: i64, form: WebhookForm) -> Result<(String, Vec<String>, bool)> {
    let allow_private = state.store.webhooks_allow_private(store_id).await?;
    let url = check_url(&form.url, allow_private).map_err(Error::invalid)?;
    let events = check_events(&form.events).map_err(Error::invalid)?;
    Ok((url, events, form.active))
}

/// `GET …/webhooks`
pub async fn list(State(state): State<Arc<AppState>>, caller: Caller<Admin>) -> Result<Json<Vec<Webhook>>> {
    Ok(Json(state.store.webhooks(caller.store.id).await?))
}

/// `POST …/webhooks`
pub async fn add(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    JsonBody(form): JsonBody<WebhookForm>,
) -> Result<(StatusCode, Json<Webhook>)> {
    let store_id = caller.store.id;
    let (url, events, active) = checked(&state, store_id, form).await?;
    if state.store.webhooks(store_id).await?.len() >= MAX_PER_STORE {
        return Err(Error::invalid(format!("a store has at most {MAX_PER_STORE} webhooks")));
    }
    let secret = format!("whsec_{}", hex_of(&crate::auth::random_bytes::<24>()));
    let hook = state.store.add_webhook(store_id, &url, &events, active, &secret).await?;
    Ok((StatusCode::CREATED, Json(hook)))
}

/// `PUT …/webhooks/{id}`
pub async fn change(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    Path((_, id)): Path<(String, i64)>,
    JsonBody(form): JsonBody<WebhookForm>,
) -> Result<Json<Webhook>> {
    let (url, events, active) = checked(&state, caller.store.id, form).await?;
    match state.store.update_webhook(caller.store.id, id, &url, &events, active).await? {
        Some(hook) => Ok(Json(hook)),
        None => Err(Error::not_found(format!("no webhook {id}"))),
    }
}

/// `DELETE …/webhooks/{id}`
pub async fn remove(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<StatusCode> {
    if !state.store.delete_webhook(caller.store.id, id).await? {
        return Err(Error::not_found(format!("no webhook {id}")));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `GET …/webhooks/{id}/deliveries`
pub async fn deliveries(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<Vec<WebhookDelivery>>> {
    match state.store.webhook_deliveries(caller.store.id, id, LOG_LENGTH).await? {
        Some(log) => Ok(Json(log)),
        None => Err(Error::not_found(format!("no webhook {id}"))),
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
