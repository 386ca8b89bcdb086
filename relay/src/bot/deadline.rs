//! The first-reply promise: a shopper waiting longer than the store's deadline (default 60 s)
//! gets an automatic acknowledgement, and the conversation moves to another free agent unless a
//! human has already answered in it.
//!
//! Deadlines are not held in memory: each conversation stores when its current unanswered wait
//! began, and a sweep four times a second asks the store which waits are overdue. A restart therefore
//! loses nothing, and a changed deadline (`relay store set`) applies at the next sweep.

use std::sync::Arc;
use std::time::Duration;

use protocol::Role;

use super::{Bot, BOT_NAME};
use crate::error::Error;
use crate::store::{now_millis, NewMessage};
use crate::texts::{Key, Lang};

/// How often overdue waits are looked for.
pub const SWEEP_EVERY: Duration = Duration::from_millis(250);

/// Sweeps until the relay shuts down.
pub async fn watch(bot: Arc<Bot>, shutdown: tokio_util::sync::CancellationToken) {
    let mut ticker = crate::ticker::Ticker::new(SWEEP_EVERY, shutdown);
    while ticker.next(None).await {
        if let Err(error) = sweep(&bot, now_millis()).await {
            tracing::error!(%error, "first-reply sweep failed");
        }
    }
}

/// A wait first found overdue longer ago than this (the relay was down for hours, or the
/// conversation came from an import) gets no acknowledgement: "a member of our team will reply
/// in a moment" would not be true, and the reports would count a reply days late as the bot's.
/// It still moves to a free agent.
pub const ACKNOWLEDGE_WITHIN_MS: i64 = 60 * 60 * 1000;

/// Handles every wait overdue at `now` (ms); returns how many it handled.
pub async fn sweep(bot: &Bot, now: i64) -> Result<usize, Error> {
    let mut handled = 0;
    let mut decided = std::collections::HashMap::new();
    for overdue in bot.store.overdue(now).await? {
        // With several relays, the owner of the store's desk sweeps its waits.
        let here = match decided.get(&overdue.store_id) {
            Some(here) => *here,
            None => {
                let here = bot.routing.decides_for(overdue.store_id).await;
                decided.insert(overdue.store_id, here);
                here
            }
        };
        if !here {
            continue;
        }
        // Claiming the wait first makes the acknowledgement happen once, even across relays.
        if !bot.store.mark_deadline_handled(overdue.conversation_id, overdue.awaiting_since, now).await? {
            continue;
        }
        let Some(conversation) = bot.store.conversation(overdue.conversation_id).await? else { continue };
        if now - overdue.awaiting_since <= ACKNOWLEDGE_WITHIN_MS {
            acknowledge(bot, &conversation, overdue.store_id, overdue.awaiting_since).await?;
        }
        crate::metrics::deadline_missed();
        if !overdue.answered_before {
            if let Err(refusal) = bot.routing.reroute(overdue.store_id, conversation.id).await {
                tracing::warn!(conversation = conversation.id, code = ?refusal.code, "re-route failed");
            }
        }
        handled += 1;
    }
    Ok(handled)
}

/// Tells the waiting shopper they were heard and how long it may take, in their language, with
/// articles that may answer the question meanwhile.
async fn acknowledge(
    bot: &Bot,
    conversation: &crate::store::ConversationRecord,
    store_id: i64,
    awaiting_since: i64,
) -> Result<(), Error> {
    let position = bot.routing.queue_position(store_id, conversation.id).await;
    let asked = bot.store.recent_messages(conversation.id, 5).await?;
    let question: Vec<&str> =
        asked.iter().filter(|m| m.author.role == Role::Visitor).map(|m| m.text.as_str()).collect();
    let browser = bot.store.bot_context(conversation.id).await.ok().and_then(|c| c.language);
    let voice = bot.voice(conversation, Lang::for_shopper(&question.join(" "), browser.as_deref())).await?;
    let mut text = match position {
        Some(place) => voice.with(Key::AcknowledgementQueue, &[("queue_place", &place.to_string())]),
        None => voice.say(Key::Acknowledgement),
    };
    let asked = crate::bot::analysed(&question.join(" "));
    let hits = bot.faq.search_off(store_id, asked, 2).await;
    if !hits.is_empty() {
        let titles: Vec<String> = hits.iter().map(|h| format!("• {}", h.question)).collect();
        text.push_str(&format!("\n\n{}\n{}", voice.say(Key::Meanwhile), titles.join("\n")));
    }
    let client_id = format!("deadline-{awaiting_since}");
    let acknowledgement = NewMessage {
        role: Role::Bot,
        author_id: "bot",
        author_name: Some(BOT_NAME),
        text: &text,
        client_id: Some(&client_id),
        faq_article: None,
        faq_choices: &[],
    };
    bot.chat.post(conversation, &acknowledgement).await?;
    crate::metrics::bot_reply("deadline");
    Ok(())
}
