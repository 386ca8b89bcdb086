//! Agents' tags on shoppers (VIP, wholesale, new customer…): `GET /api/stores/{key}/tags` (the
//! store's tags, for autocomplete), `POST …/conversations/{id}/tags` with `{"tag": "VIP"}` and
//! `DELETE …/conversations/{id}/tags/{tag}`; each answers with the shopper's tags. Tags sit on
//! the shopper, so a verified customer's follow them to every device.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::body::JsonBody;
use super::caller::{Caller, Staff};
use crate::chat::{may_use, Access};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::ConversationRecord;

/// The longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 40;

/// `POST …/tags`'s body.
#[derive(Deserialize)]
pub struct NewTag {
    tag: String,
}

/// `GET …/tags`
pub async fn store_tags(State(state): State<Arc<AppState>>, caller: Caller<Staff>) -> Result<Json<Value>> {
    Ok(Json(json!({ "tags": state.store.store_tags(caller.store.id).await? })))
}

/// `POST …/conversations/{id}/tags`
pub async fn add(
    State(state): State<Arc<AppState>>,
    caller: Caller<Staff>,
    Path((_, id)): Path<(String, i64)>,
    JsonBody(body): JsonBody<NewTag>,
) -> Result<Json<Value>> {
    let conversation = tagged_conversation(&state, &caller, id).await?;
    let tag = checked(&body.tag)?;
    if !state.store.add_tag(caller.store.id, &conversation.visitor_id, &tag).await? {
        let most = crate::store::MAX_TAGS_PER_VISITOR;
        return Err(Error::invalid(format!("a shopper has at most {most} tags")));
    }
    Ok(Json(json!({ "tags": state.store.tags_of(&conversation.visitor_id).await? })))
}

/// `DELETE …/conversations/{id}/tags/{tag}`
pub async fn remove(
    State(state): State<Arc<AppState>>,
    caller: Caller<Staff>,
    Path((_, id, tag)): Path<(String, i64, String)>,
) -> Result<Json<Value>> {
    let conversation = tagged_conversation(&state, &caller, id).await?;
    state.store.remove_tag(&conversation.visitor_id, tag.trim()).await?;
    Ok(Json(json!({ "tags": state.store.tags_of(&conversation.visitor_id).await? })))
}

/// The conversation, if it is of the caller's store and they may note on it.
async fn tagged_conversation(state: &AppState, caller: &Caller<Staff>, id: i64) -> Result<ConversationRecord> {
    let store_id = caller.store.id;
    let conversation = match state.store.conversation(id).await? {
        Some(c) if c.store_id == store_id => c,
        _ => return Err(Error::not_found(format!("no conversation {id}"))),
    };
    if !may_use(&caller.agent, &conversation, Access::Note) {
        return Err(Error::forbidden("this conversation is another agent's"));
    }
    Ok(conversation)
}

/// A tag as kept: trimmed, 1 to [`MAX_TAG_CHARS`] characters of text.
fn checked(tag: &str) -> Result<String> {
    let tag = tag.trim();
    if tag.is_empty() || tag.chars().count() > MAX_TAG_CHARS || tag.chars().any(char::is_control) {
        return Err(Error::invalid(format!("a tag is 1 to {MAX_TAG_CHARS} characters of text")));
    }
    Ok(tag.to_owned())
}
