//! The away bot: when no agent is online, or outside business hours, it answers at once, says
//! when the team is back, and offers to take an email address. It checks the address, confirms
//! it, and the conversation stays in the queue with the email on it, so agents see it as soon
//! as they come online. Automatic messages always come from "Bot"; it never pretends to be a
//! person.

use email_address::EmailAddress;
use protocol::Role;

use crate::app::AppState;
use crate::chat;
use crate::hours::Schedule;
use crate::routing::deadline::BOT_NAME;
use crate::store::{now_millis, ConversationRecord, NewMessage, StoreError};

const ASKED: &str = "asked_email";
const LEFT: &str = "email_left";

/// Reacts to a shopper message that was just stored in `conversation`.
pub async fn after_shopper_message(
    state: &AppState,
    conversation: &ConversationRecord,
    text: &str,
) -> Result<(), StoreError> {
    let store = &state.store;
    match store.away_state(conversation.id).await?.as_deref() {
        Some(ASKED) => {
            let reply = match find_email(text) {
                Some(email) => {
                    store.set_away_state(conversation.id, LEFT, Some(&email)).await?;
                    format!("Thank you! We will reply to {email} as soon as we are back.")
                }
                None => "That does not look like an email address. Could you check it? For example: name@example.com"
                    .to_owned(),
            };
            say(state, conversation, &reply).await
        }
        Some(_) => Ok(()),
        None => {
            let Some(back) = nobody_there(state, conversation.store_id).await? else { return Ok(()) };
            store.set_away_state(conversation.id, ASKED, None).await?;
            let text = format!(
                "Hi! Nobody from our team is available right now. {back} \
                 Leave your email address here and we will get back to you."
            );
            say(state, conversation, &text).await
        }
    }
}

/// `Some(when the team is back)` when nobody can answer now.
async fn nobody_there(state: &AppState, store_id: i64) -> Result<Option<String>, StoreError> {
    let (hours, zone) = state.store.hours(store_id).await?;
    let schedule = hours.as_deref().and_then(|h| Schedule::parse(h, &zone).ok());
    let now = jiff::Timestamp::now();
    let open = schedule.as_ref().is_none_or(|s| s.is_open(now));
    if open && state.routing.anyone_online(store_id) {
        return Ok(None);
    }
    let back = match schedule.as_ref().filter(|_| !open).and_then(|s| s.next_opening(now)) {
        Some(next) => format!("We are back on {} ({}).", next.strftime("%A at %H:%M"), zone),
        None => "We will be back soon.".to_owned(),
    };
    Ok(Some(back))
}

async fn say(state: &AppState, conversation: &ConversationRecord, text: &str) -> Result<(), StoreError> {
    let message = NewMessage { role: Role::Bot, author_id: "bot", author_name: Some(BOT_NAME), text, client_id: None };
    chat::post(state, conversation, &message).await?;
    state.store.settle_wait(conversation.id, now_millis()).await
}

/// The first valid email address in a message ("it's me@example.com, thanks").
pub fn find_email(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '(' | ')'))
        .map(|word| word.trim_matches(|c: char| matches!(c, '.' | '!' | '?' | '"' | '\'')))
        .filter(|word| word.contains('@'))
        .find_map(|word| {
            let address = word.parse::<EmailAddress>().ok()?;
            address.domain().contains('.').then(|| address.to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_found_in_what_shoppers_write() {
        assert_eq!(find_email("me@example.com").as_deref(), Some("me@example.com"));
        assert_eq!(find_email("Sure, it's li.wei@shop.cn. Thanks!").as_deref(), Some("li.wei@shop.cn"));
        assert_eq!(find_email("write to <ana@mail.example.org>").as_deref(), Some("ana@mail.example.org"));
        assert_eq!(find_email("my email is me at example dot com"), None);
        assert_eq!(find_email("me@localhost"), None);
        assert_eq!(find_email("@@@"), None);
    }
}
