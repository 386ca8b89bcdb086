//! The JSON body of a delivery (docs/webhooks.md): the event's id, name and time, the store's
//! key, and what the event is about, read when the event is dispatched. Everything in it that
//! a shopper or an agent typed is text as they typed it; the receiver must not treat it as HTML.

use serde_json::{json, Value};

use crate::store::{Store, StoreError, WebhookEvent};

/// The body, or `None` when what the event is about no longer exists.
pub async fn body(store: &Store, event: &WebhookEvent) -> Result<Option<String>, StoreError> {
    let Some(record) = store.conversation(event.conversation_id).await? else { return Ok(None) };
    let Some(shop) = store.store_by_id(event.store_id).await? else { return Ok(None) };
    let summary = store.summary(&record).await?;
    let mut data = json!({
        "conversation": {
            "id": summary.id,
            "visitor_id": summary.visitor_id,
            "created_at": summary.created_at,
            "assigned_agent_id": summary.assigned_agent_id,
            "closed_at": summary.closed_at,
            "resolved": summary.resolved,
            "email": summary.follow_up_email,
        }
    });
    match event.event.as_str() {
        "message.created" => {
            let Some(id) = event.message_id else { return Ok(None) };
            let Some(message) = store.message(record.id, id).await? else { return Ok(None) };
            data["message"] = json!({
                "id": message.id,
                "seq": message.seq,
                "author": message.author,
                "text": message.text,
                "at": message.at,
            });
        }
        "csat.submitted" => {
            let Some((score, comment)) = store.rating_of(record.id).await? else { return Ok(None) };
            data["rating"] = json!({ "score": score, "comment": comment });
        }
        "email.captured" => data["email"] = Value::from(summary.follow_up_email.clone()),
        _ => {}
    }
    let body = json!({
        "id": format!("evt_{}", event.id),
        "type": event.event,
        "created_at": event.at,
        "store": shop.key,
        "data": data,
    });
    Ok(Some(body.to_string()))
}
