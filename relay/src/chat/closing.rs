//! The closes nobody clicks: a closing question the shopper left unanswered for the store's
//! closing wait, and conversations idle for the store's idle time. Both are times stored on the
//! conversation, so a sweep finds what is due and a restart loses nothing; tests call the sweeps
//! with the "now" they want instead of waiting ten minutes or a day.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use protocol::{Role, ServerFrame};

use super::Conversations;
use crate::error::Result;
use crate::fanout::Audience;
use crate::store::{now_millis, AgentRecord, ConversationRecord, DueClose, NewMessage};

/// How often unanswered closing questions are looked for.
pub const CLOSING_SWEEP_EVERY: Duration = Duration::from_secs(1);
/// How often idle conversations are looked for.
pub const IDLE_SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Sweeps until the relay shuts down.
pub async fn watch(chat: Arc<Conversations>, shutdown: CancellationToken) {
    let mut closing = tokio::time::interval(CLOSING_SWEEP_EVERY);
    let mut idle = tokio::time::interval(IDLE_SWEEP_EVERY);
    closing.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    idle.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let swept = tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = closing.tick() => sweep_closing(&chat, now_millis()).await,
            _ = idle.tick() => sweep_idle(&chat, now_millis()).await,
        };
        if let Err(error) = swept {
            tracing::error!(%error, "closing sweep failed");
        }
    }
}

/// Closes every conversation whose closing question went unanswered until `now` (ms);
/// returns how many it closed.
pub async fn sweep_closing(chat: &Conversations, now: i64) -> Result<usize> {
    let due = chat.store.due_closings(now).await?;
    for close in &due {
        chat.close_due(close, "question").await?;
    }
    Ok(due.len())
}

/// Closes conversations idle for their store's idle time at `now` (ms); returns how many.
pub async fn sweep_idle(chat: &Conversations, now: i64) -> Result<usize> {
    let due = chat.store.idle_conversations(now).await?;
    for close in &due {
        chat.close_due(close, "idle").await?;
    }
    Ok(due.len())
}

impl Conversations {
    /// Asks the closing question for `agent` (as their reply) and starts the store's closing
    /// wait: the store's agents get `closing`, and the conversation closes at that time unless
    /// the shopper answers first (`crate::closing` sweeps; the shopper's message clears it).
    pub async fn ask_to_close(
        &self,
        agent: &AgentRecord,
        conversation: &ConversationRecord,
        question: &str,
        resolved: bool,
    ) -> Result<()> {
        self.routing.may_close(agent.id, conversation).await?;
        let author_id = agent.id.to_string();
        let asked = NewMessage {
            role: Role::Agent,
            author_id: &author_id,
            author_name: Some(&agent.name),
            text: question,
            client_id: None,
            faq_article: None,
            faq_choices: &[],
        };
        self.post(conversation, &asked).await?;
        let now = now_millis();
        let Some(closes_at) = self.store.ask_to_close(conversation.id, agent.id, resolved, now).await? else {
            return Ok(());
        };
        let frame = ServerFrame::Closing { conversation_id: conversation.id, closes_at };
        self.fanout.publish(&Audience::StoreAgents(conversation.store_id), &frame);
        Ok(())
    }

    /// Closes a conversation the relay decided to close: its closing question went unanswered
    /// (`how` = `question`) or it sat idle (`idle`).
    pub async fn close_due(&self, due: &DueClose, how: &'static str) -> Result<()> {
        let Some(conversation) = self.store.conversation(due.conversation_id).await? else { return Ok(()) };
        self.finish(&conversation, due.by_agent_id, due.resolved, how).await
    }
}
