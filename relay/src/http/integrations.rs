//! `GET`/`PUT /api/stores/{key}/integrations`: the settings that connect a store to the shop's
//! own systems, for the console's Install page: the order source (docs/orders.md; its secret
//! is write-only, the answer only says whether one is set), whether the bot answers order
//! questions while agents are online, and whether `identify` must be signed. Owners and admins.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::body::JsonBody;
use super::caller::{Admin, Caller};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::OrderSourceChange;

/// What the page shows and sends.
#[derive(Debug, Serialize, Deserialize)]
pub struct Integrations {
    /// The order source's URL, `None` for none.
    #[serde(default)]
    order_source_url: Option<String>,
    /// A new secret; absent or empty keeps the one set (never sent back).
    #[serde(default, skip_serializing)]
    order_source_secret: Option<String>,
    /// Whether a secret is set (answers only).
    #[serde(default, skip_deserializing)]
    order_source_has_secret: bool,
    /// Whether private and loopback addresses may be called.
    #[serde(default)]
    order_source_allow_private: bool,
    /// Whether the bot answers order questions while agents are online.
    #[serde(default = "yes")]
    bot_answers_orders: bool,
    /// Whether unsigned `identify` calls are refused.
    #[serde(default)]
    require_identity: bool,
}

fn yes() -> bool {
    true
}

async fn current(state: &AppState, store_id: i64) -> Result<Integrations> {
    let source = state.store.order_source(store_id).await?;
    let identity = state.store.identity_settings(store_id).await?;
    Ok(Integrations {
        order_source_url: source.url,
        order_source_secret: None,
        order_source_has_secret: !source.secret.is_empty(),
        order_source_allow_private: source.allow_private,
        bot_answers_orders: source.bot_answers,
        require_identity: identity.required,
    })
}

/// `GET …/integrations`
pub async fn get(State(state): State<Arc<AppState>>, caller: Caller<Admin>) -> Result<Json<Integrations>> {
    Ok(Json(current(&state, caller.store.id).await?))
}

/// `PUT …/integrations`
pub async fn put(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    JsonBody(wanted): JsonBody<Integrations>,
) -> Result<Json<Integrations>> {
    let before = state.store.order_source(caller.store.id).await?;
    let url = wanted.order_source_url.as_deref().map(str::trim).filter(|u| !u.is_empty());
    let secret = wanted.order_source_secret.as_deref().map(str::trim).filter(|s| !s.is_empty());
    crate::orders::check_source(url, secret.unwrap_or(&before.secret), wanted.order_source_allow_private)
        .map_err(Error::invalid)?;
    let change = OrderSourceChange {
        url: Some(url),
        secret,
        allow_private: Some(wanted.order_source_allow_private),
        bot_answers: Some(wanted.bot_answers_orders),
    };
    state.store.set_order_source(&caller.store.key, &change).await?;
    state.store.set_require_identity(&caller.store.key, wanted.require_identity).await?;
    Ok(Json(current(&state, caller.store.id).await?))
}
