//! The one way the bot speaks: [`say`] posts an automatic message unless the same text went to
//! the conversation within the store's repeat window, or [`MAX_IN_A_ROW`] automatic messages
//! came since the shopper last wrote; [`Said`] names the kind for the metrics and the reports.

use protocol::{FaqChoice, Role};

use super::{Bot, BOT_NAME, MAX_IN_A_ROW};
use crate::error::Error;
use crate::store::{now_millis, ConversationRecord, NewMessage};

/// What kind of automatic reply the bot gives, as the metrics count them.
#[derive(Debug, Clone, Copy)]
pub enum Said<'a> {
    /// An answer from this FAQ article.
    Faq(&'a str),
    /// These FAQ articles, offered to choose from.
    FaqChoices(&'a [FaqChoice]),
    /// A keyword rule's reply.
    Rule,
    /// Part of the order dialogue (a question, a refusal).
    Order,
    /// An order shown to the shopper: the reports count the conversation as answered by the bot.
    OrderAnswer,
    /// Nobody is there: the away dialogue (email capture).
    Away,
    /// A person is on the way (the queue, an escalation).
    Handover,
    /// Thanks for the shopper's feedback on an answer.
    Feedback,
    /// The store's instant acknowledgement of a first message.
    Ack,
}

impl Said<'_> {
    fn kind(self) -> &'static str {
        match self {
            Said::Faq(_) => "faq",
            Said::FaqChoices(_) => "faq_choices",
            Said::Rule => "rule",
            Said::Order | Said::OrderAnswer => "order",
            Said::Away => "away",
            Said::Handover => "handover",
            Said::Feedback => "feedback",
            Said::Ack => "ack",
        }
    }
}

/// Posts an automatic message, unless the same text went to this conversation within the
/// repeat window or [`MAX_IN_A_ROW`] automatic messages already came since the shopper last
/// wrote. `settles` marks the shopper's wait as answered (when nobody else will answer it).
/// Returns whether it posted.
pub async fn say(
    bot: &Bot,
    conversation: &ConversationRecord,
    text: &str,
    said: Said<'_>,
    settles: bool,
) -> Result<bool, Error> {
    let (faq_article, faq_choices) = match said {
        Said::Faq(article) => (Some(article), &[][..]),
        Said::FaqChoices(choices) => (None, choices),
        _ => (None, &[][..]),
    };
    let recent = bot.store.recent_messages(conversation.id, MAX_IN_A_ROW as u32 + 1).await?;
    let in_a_row = recent.iter().rev().take_while(|m| m.author.role != Role::Visitor).count();
    if in_a_row >= MAX_IN_A_ROW {
        return Ok(false);
    }
    let window = match bot.store.bot_repeat_secs(conversation.store_id).await? {
        Some(secs) => i64::from(secs) * 1_000,
        None => i64::try_from(bot.repeat_window.as_millis()).unwrap_or(i64::MAX),
    };
    if bot.store.bot_said_since(conversation.id, text, now_millis().saturating_sub(window)).await? {
        return Ok(false);
    }
    let message = NewMessage {
        role: Role::Bot,
        author_id: "bot",
        author_name: Some(BOT_NAME),
        text,
        client_id: None,
        faq_article,
        faq_choices,
    };
    bot.chat.post(conversation, &message).await?;
    crate::metrics::bot_reply(said.kind());
    if matches!(said, Said::OrderAnswer) {
        bot.store.mark_order_answered(conversation.id).await?;
    }
    if settles {
        bot.store.settle_wait(conversation.id, now_millis()).await?;
    }
    Ok(true)
}
