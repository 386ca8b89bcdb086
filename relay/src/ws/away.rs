//! What a shopper's socket does for the time they are away: it records when their last
//! socket closed (an agent's replies are emailed only to a shopper who left), and takes
//! "Email me this conversation".

use std::sync::Arc;

use protocol::ServerFrame;

use super::socket::Out;
use crate::error::{Error, Result};
use crate::fanout::Audience;
use crate::state::AppState;
use crate::store::ConversationRecord;

/// Held by a shopper's socket after `hello`; dropped after its hub registration, it records
/// when the shopper's last socket closed.
pub(super) struct Here {
    state: Arc<AppState>,
    store_id: i64,
    visitor_id: String,
}

impl Here {
    /// Holds the shopper's presence for one socket: they are on the store's site (its agents'
    /// "Visitors now"), and the agents of their open conversation hear that they are here.
    pub(super) fn new(
        state: Arc<AppState>,
        store_id: i64,
        visitor_id: &str,
        conversation: Option<&ConversationRecord>,
    ) -> Here {
        state.live.arrived(store_id, visitor_id, crate::store::now_millis());
        if let Some(c) = conversation {
            tell_agents(&state, c, true);
        }
        Here { state, store_id, visitor_id: visitor_id.to_owned() }
    }
}

/// Tells a conversation's agents whether its shopper is on the page.
fn tell_agents(state: &AppState, conversation: &ConversationRecord, here: bool) {
    let to = Audience::ConversationAgents { store_id: conversation.store_id, assignee: conversation.assigned_agent_id };
    state.fanout.publish(&to, &ServerFrame::ShopperPresence { conversation_id: conversation.id, here });
}

impl Drop for Here {
    fn drop(&mut self) {
        self.state.live.left(self.store_id, &self.visitor_id, crate::store::now_millis());
        // At shutdown every socket closes; the next start marks everyone gone anyway, and a
        // write now would hold the store open past the relay's end.
        if self.state.shutdown.is_cancelled() || self.state.hub.visitor_connected(&self.visitor_id) {
            return;
        }
        let (state, visitor_id) = (self.state.clone(), std::mem::take(&mut self.visitor_id));
        tokio::spawn(async move {
            // With several relays, a tab of theirs on another node means they are still here.
            if state.fanout.visitor_elsewhere(&visitor_id).await {
                return;
            }
            if let Err(error) = state.store.visitor_left(&visitor_id, crate::store::now_millis()).await {
                tracing::debug!(%error, "could not record that a shopper left");
                return;
            }
            if let Ok(Some(conversation)) = state.store.open_conversation_of(&visitor_id).await {
                tell_agents(&state, &conversation, false);
            }
        });
    }
}

/// `email_transcript`: shares the shopper's message budget, then the mailer checks the
/// address and its own hourly cap.
pub(super) async fn email_transcript(
    state: &AppState,
    store_id: i64,
    visitor_id: &str,
    email: &str,
    out: &Out,
) -> Result<()> {
    state.limits.message(visitor_id).map_err(|wait| Error::rate_limited("transcripts", wait))?;
    let email = state.mail.transcript(store_id, visitor_id, email, crate::store::now_millis()).await?;
    out.send(&ServerFrame::TranscriptQueued { email }).await;
    Ok(())
}
