//! A shopper answering a proactive message. The widget showed the rule's message in a bubble
//! and sends `proactive` before the `send` that answers it; the conversation that message opens
//! starts with the rule's message, as the bot's, and is marked as the store's (the reports count
//! it as proactive). No conversation exists before the shopper answers: a bubble nobody answers
//! costs the relay nothing.

use protocol::{ProactiveRule, Role};

use crate::bot::BOT_NAME;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::NewMessage;

/// The store's enabled rule the shopper says they answer.
pub async fn answered(state: &AppState, store_id: i64, rule_id: i64) -> Result<ProactiveRule> {
    let rules = state.store.proactive_rules(store_id).await?;
    let rule = rules.into_iter().find(|r| r.id == rule_id && r.rule.enabled);
    rule.ok_or_else(|| Error::not_found(format!("no proactive rule {rule_id}")))
}

/// Opens the shopper's conversation with the rule's message in it, unless they have one open
/// (then the answer simply goes there). `may_open` is the per-address limit on new ones.
pub async fn open(
    state: &AppState,
    store_id: i64,
    visitor_id: &str,
    rule: &ProactiveRule,
    may_open: impl FnOnce() -> Result<()>,
) -> Result<()> {
    if state.store.open_conversation_of(visitor_id).await?.is_some() {
        return Ok(());
    }
    let conversation = state.chat.open_for(store_id, visitor_id, may_open).await?;
    let client_id = format!("proactive-{}", rule.id);
    let message = NewMessage {
        role: Role::Bot,
        author_id: "bot",
        author_name: Some(BOT_NAME),
        text: &rule.rule.message,
        client_id: Some(&client_id),
        faq_article: None,
        faq_choices: &[],
    };
    state.chat.post(&conversation, &message).await?;
    state.store.mark_proactive(conversation.id, rule.id).await?;
    Ok(())
}
