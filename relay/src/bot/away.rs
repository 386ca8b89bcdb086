//! The away bot: when no agent is online, or outside business hours, it says when the team is
//! back and offers to take an email address. It checks the address, confirms it, and the
//! conversation stays in the queue with the email on it, so agents see it as soon as they come
//! online.

use super::{find_email, say, Bot, Said};
use crate::error::Error;
use crate::hours::Schedule;
use crate::store::ConversationRecord;
use crate::texts::{back_at, Back, Key, Voice};

const ASKED: &str = "asked_email";
const LEFT: &str = "email_left";

/// `Some(when the team is back)` when nobody can answer now.
pub async fn nobody_there(bot: &Bot, store_id: i64) -> Result<Option<Back>, Error> {
    let (hours, zone) = bot.store.hours(store_id).await?;
    Ok(nobody_there_in(bot, store_id, hours, zone))
}

/// The same, with the store's business hours and time zone already read.
pub fn nobody_there_in(bot: &Bot, store_id: i64, hours: Option<String>, zone: String) -> Option<Back> {
    let schedule = hours.as_deref().and_then(|h| Schedule::parse(h, &zone).ok());
    let now = jiff::Timestamp::now();
    let open = schedule.as_ref().is_none_or(|s| s.is_open(now));
    if open && bot.routing.anyone_online(store_id) {
        return None;
    }
    let next = schedule.as_ref().filter(|_| !open).and_then(|s| s.next_opening(now));
    Some(Back { next, zone })
}

/// When the bot asked for an email and the message gives one: records it and confirms, or,
/// when it cannot be read, asks the shopper to check it. Returns whether the message was
/// taken as that answer.
pub async fn take_email(
    bot: &Bot,
    conversation: &ConversationRecord,
    text: &str,
    voice: &Voice,
    away_state: Option<&str>,
) -> Result<bool, Error> {
    if away_state != Some(ASKED) {
        return Ok(false);
    }
    let reply = match find_email(text) {
        Some(email) => {
            bot.store.set_away_state(conversation.id, LEFT, Some(&email)).await?;
            voice.with(Key::EmailThanks, &[("email", &email)])
        }
        None if tries_an_email(text) => voice.say(Key::EmailHint),
        None => return Ok(false),
    };
    say(bot, conversation, &reply, Said::Away, true).await?;
    Ok(true)
}

/// Says nobody is there and asks for an email address (`lead` goes first); once an email was
/// left, says it is noted instead.
pub async fn ask_for_email(
    bot: &Bot,
    conversation: &ConversationRecord,
    back: &Back,
    lead: &str,
    voice: &Voice,
) -> Result<(), Error> {
    let back = back_at(voice.lang, back);
    if bot.store.away_state(conversation.id).await?.as_deref() == Some(LEFT) {
        let text = voice.after(lead, &voice.with(Key::EmailNoted, &[("back_at", &back)]));
        say(bot, conversation, &text, Said::Away, true).await?;
        return Ok(());
    }
    bot.store.set_away_state(conversation.id, ASKED, None).await?;
    let text = voice.after(lead, &voice.with(Key::Away, &[("back_at", &back)]));
    say(bot, conversation, &text, Said::Away, true).await?;
    Ok(())
}

/// Whether the shopper seems to be giving an email address (one the bot could not read).
fn tries_an_email(text: &str) -> bool {
    let lower = text.to_lowercase();
    ["@", "email", "e-mail", "mail", "邮箱", "邮件"].iter().any(|hint| lower.contains(hint))
}

/// For a question the bot could not answer while nobody is there: the first time, the away
/// message; after that, a nudge towards leaving an email.
pub async fn offer_to_take_email(
    bot: &Bot,
    conversation: &ConversationRecord,
    back: &Back,
    voice: &Voice,
) -> Result<(), Error> {
    match bot.store.away_state(conversation.id).await?.as_deref() {
        None => ask_for_email(bot, conversation, back, "", voice).await,
        Some(ASKED) => say(bot, conversation, &voice.say(Key::NoAnswer), Said::Away, true).await.map(drop),
        Some(_) => Ok(()),
    }
}
