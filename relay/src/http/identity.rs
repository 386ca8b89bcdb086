//! `POST /api/stores/{key}/identity-secret`: the store's identity secret, for its owners only,
//! shown on the console's Install page beside the code that signs customer ids with it;
//! `{"rotate": true}` replaces it (signatures made with the old one stop verifying at once).

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::body::JsonBody;
use super::caller::{Caller, Owner};
use crate::error::Result;
use crate::state::AppState;

/// What the request may ask.
#[derive(Deserialize)]
pub struct SecretForm {
    /// Make a new secret.
    #[serde(default)]
    rotate: bool,
}

/// `POST …/identity-secret`
pub async fn secret(
    State(state): State<Arc<AppState>>,
    caller: Caller<Owner>,
    JsonBody(form): JsonBody<SecretForm>,
) -> Result<Json<Value>> {
    let secret = state.store.identity_secret(&caller.store.key, form.rotate).await?;
    if form.rotate {
        tracing::info!(store = %caller.store.key, agent = caller.agent.id, "identity secret rotated");
    }
    let required = state.store.identity_settings(caller.store.id).await?.required;
    Ok(Json(json!({ "secret": secret, "require_identity": required })))
}
