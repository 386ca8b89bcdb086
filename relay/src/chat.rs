//! The one way a message enters a conversation: stored first (so it is on disk), then handed to
//! the hub for everyone who may see it. Sockets call it for shoppers and agents; automatic
//! replies will call it too, so every message follows the same path.

use protocol::ServerFrame;

use crate::app::AppState;
use crate::store::{AppendOutcome, ConversationRecord, NewMessage, StoreError};

/// Stores `new` in `conversation` and delivers it to both sides. A resend (same author and
/// client id) is not delivered again; the outcome says so and carries the stored copy.
pub async fn post(
    state: &AppState,
    conversation: &ConversationRecord,
    new: &NewMessage<'_>,
) -> Result<AppendOutcome, StoreError> {
    let outcome = state.store.append_message(conversation.id, new).await?;
    if !outcome.duplicate {
        let frame = ServerFrame::Message { message: outcome.message.clone() };
        state.hub.to_conversation(conversation.store_id, conversation.id, &conversation.visitor_id, &frame);
    }
    Ok(outcome)
}

/// The `accepted` frame that tells a sender its message is stored.
pub fn accepted(client_id: &str, outcome: &AppendOutcome) -> ServerFrame {
    let message = &outcome.message;
    ServerFrame::Accepted {
        client_id: client_id.to_owned(),
        conversation_id: message.conversation_id,
        message_id: message.id,
        seq: message.seq,
        at: message.at,
    }
}
