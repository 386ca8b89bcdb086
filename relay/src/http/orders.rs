//! `GET /api/stores/{key}/conversations/{id}/orders`: the orders beside a conversation in the
//! console: a verified customer's, and those the shopper proved with number and email. Each
//! comes with the status line the agent can insert into a reply. A source that fails is said
//! (`error`), never fatal; answers come from the 60 s cache where they can.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::caller::{Caller, Staff};
use crate::chat::{may_use, Access};
use crate::error::{Error, Result};
use crate::orders::Lookup;
use crate::state::AppState;
use crate::texts::Lang;

/// `GET …/conversations/{id}/orders`
pub async fn orders(
    State(state): State<Arc<AppState>>,
    Caller { agent: me, store, .. }: Caller<Staff>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<Value>> {
    let db = &state.store;
    let conversation = match db.conversation(id).await? {
        Some(c) if c.store_id == store.id => c,
        _ => return Err(Error::not_found(format!("no conversation {id}"))),
    };
    if !may_use(&me, &conversation, Access::Read) {
        return Err(Error::forbidden("this conversation is another agent's"));
    }
    let mut lookups = Vec::new();
    if let Some(customer) = db.customer_of(&conversation.visitor_id).await? {
        lookups.push(Lookup::Customer(customer));
    }
    for (number, email) in db.conversation_orders(id).await? {
        lookups.push(Lookup::Order { number, email });
    }
    let language = db.bot_context(id).await.ok().and_then(|c| c.language);
    let lang = Lang::for_shopper("", language.as_deref());
    let (mut orders, mut error) = (Vec::new(), None);
    for lookup in &lookups {
        match state.orders.lookup(store.id, lookup).await {
            Ok(Some(found)) => orders.extend(found.iter().cloned()),
            Ok(None) => {}
            Err(failure) => error = Some(failure.to_string()),
        }
    }
    let mut seen = std::collections::HashSet::new();
    orders.retain(|o| seen.insert(o.number.clone()));
    let listed: Vec<Value> =
        orders.iter().map(|o| json!({ "order": o, "status_line": crate::bot::status_line(lang, o) })).collect();
    Ok(Json(json!({ "orders": listed, "error": error })))
}
