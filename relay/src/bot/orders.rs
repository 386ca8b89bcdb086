//! "Where is my order?": the bot answers from the shop's order source (docs/orders.md).
//!
//! A verified customer gets their recent orders with status and tracking, and picks one by its
//! number. An anonymous shopper is asked for the order number and the email used; the bot
//! answers only when both match the source's order, never saying which was wrong, and allows
//! five tries an hour per conversation and per address before a person takes over. A source
//! that fails or is slow gets the honest "I can't look that up right now" and a person. With
//! agents online the bot still answers at once, unless the store turned that off.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use protocol::Order;

use super::order_texts as say_;
use super::{bring_a_person, find_email, say, Bot, Said};
use crate::error::Error;
use crate::orders::Lookup;
use crate::store::ConversationRecord;
use crate::texts::{Back, Key, Lang, Voice};

/// Tries with number and email per conversation, and per client address, an hour.
pub const TRIES_PER_HOUR: u32 = 5;
/// How long the bot waits for the number and email it asked for, or a pick from a list.
const DIALOG_FOR: Duration = Duration::from_secs(30 * 60);

/// Where the order talk of each conversation stands, and the limits on guessing.
pub struct OrderDesk {
    dialogs: Mutex<HashMap<i64, Dialog>>,
    per_conversation: DefaultKeyedRateLimiter<i64>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
}

#[derive(Clone, Default)]
struct Dialog {
    since: Option<Instant>,
    /// The bot asked for number and email.
    asked: bool,
    /// The orders it listed to a verified customer.
    listed: Vec<Order>,
    /// The language the talk is in ("1002" alone says none).
    lang: Option<Lang>,
}

impl Default for OrderDesk {
    fn default() -> Self {
        let quota = Quota::per_hour(NonZeroU32::new(TRIES_PER_HOUR).unwrap_or(NonZeroU32::MIN));
        OrderDesk {
            dialogs: Mutex::default(),
            per_conversation: RateLimiter::keyed(quota),
            per_address: RateLimiter::keyed(quota),
        }
    }
}

impl OrderDesk {
    fn dialog(&self, conversation: i64) -> Dialog {
        let mut dialogs = self.dialogs.lock().unwrap_or_else(|p| p.into_inner());
        dialogs.retain(|_, d| d.since.is_some_and(|s| s.elapsed() < DIALOG_FOR));
        dialogs.get(&conversation).cloned().unwrap_or_default()
    }

    fn set(&self, conversation: i64, dialog: Option<Dialog>) {
        let mut dialogs = self.dialogs.lock().unwrap_or_else(|p| p.into_inner());
        match dialog {
            Some(d) => dialogs.insert(conversation, Dialog { since: Some(Instant::now()), ..d }),
            None => dialogs.remove(&conversation),
        };
    }

    /// One more try with number and email; false when over the limit here or from there.
    fn may_try(&self, conversation: i64, ip: Option<IpAddr>) -> bool {
        self.per_conversation.check_key(&conversation).is_ok()
            && ip.is_none_or(|ip| self.per_address.check_key(&ip).is_ok())
    }
}

/// Whether a message asks about an order's whereabouts.
pub fn is_order_question(normalized: &str) -> bool {
    const EN: [&str; 16] = [
        "where is my order",
        "wheres my order",
        "where s my order",
        "order status",
        "status of my order",
        "track my",
        "tracking",
        "my parcel",
        "my package",
        "has my order",
        "shipped yet",
        "been shipped",
        "when will my order",
        "where is my parcel",
        "where is my package",
        "my delivery",
    ];
    const ZH: [&str; 9] = ["订单到哪", "订单状态", "物流", "快递", "单号", "发货了吗", "发货没", "包裹", "查订单"];
    EN.iter().chain(ZH.iter()).any(|p| normalized.contains(p))
}

/// An order number in a message: a word of 3 to 64 letters, digits and dashes with at least
/// three digits (a leading `#` is dropped), not part of an email address.
pub fn find_order_number(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '，' | '：' | ':' | '。'))
        .filter(|w| !w.contains('@'))
        .map(|w| w.trim_start_matches('#').trim_end_matches(['.', '!', '?', ')']).trim_start_matches('('))
        .find(|w| {
            (3..=64).contains(&w.len())
                && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && w.chars().filter(char::is_ascii_digit).count() >= 3
        })
        .map(str::to_owned)
}

/// Answers the message if it is about orders; returns whether it did.
pub(super) async fn answer(
    bot: &Bot,
    conversation: &ConversationRecord,
    text: &str,
    voice: &Voice,
    nobody: Option<&Back>,
    ip: Option<IpAddr>,
) -> Result<bool, Error> {
    let Some(while_online) = bot.orders.configured(conversation.store_id).await else { return Ok(false) };
    if !while_online && nobody.is_none() {
        return Ok(false);
    }
    let normalized = super::rules::normalize(text);
    let asks = is_order_question(&normalized);
    let mut dialog = bot.order_desk.dialog(conversation.id);
    let lang = if Lang::written(text).is_some() { voice.lang } else { dialog.lang.unwrap_or(voice.lang) };
    dialog.lang = Some(lang);
    let voice = &voice.in_lang(lang);
    if let Some(customer) = bot.store.customer_of(&conversation.visitor_id).await? {
        if let Some(picked) =
            find_order_number(text).and_then(|n| dialog.listed.iter().find(|o| o.number == n).cloned())
        {
            bot.order_desk.set(conversation.id, None);
            say(bot, conversation, &say_::one_order(voice, &picked), Said::OrderAnswer, true).await?;
            return Ok(true);
        }
        if asks {
            return customer_orders(bot, conversation, &customer, voice, nobody).await.map(|()| true);
        }
    }
    let (number, email) = (find_order_number(text), find_email(text));
    if !asks && !dialog.asked {
        return Ok(false);
    }
    let (Some(number), Some(email)) = (number.clone(), email.clone()) else {
        let reply = if dialog.asked && (number.is_some() || email.is_some()) {
            voice.say(Key::OrderNeedBoth)
        } else if asks {
            voice.say(Key::OrderAsk)
        } else {
            // Asked, and this message is about something else.
            bot.order_desk.set(conversation.id, None);
            return Ok(false);
        };
        bot.order_desk.set(conversation.id, Some(Dialog { asked: true, ..dialog }));
        say(bot, conversation, &reply, Said::Order, false).await?;
        return Ok(true);
    };
    if !bot.order_desk.may_try(conversation.id, ip) {
        bot.order_desk.set(conversation.id, None);
        bring_a_person(bot, conversation, nobody, &voice.say(Key::OrderTooManyTries), voice).await?;
        return Ok(true);
    }
    answer_lookup(bot, conversation, number, email, dialog, voice, nobody).await
}

/// Looks the order up by number and email and says what was found: the order, that nothing
/// matches (the dialog goes on), or that the source failed (a person is brought in).
async fn answer_lookup(
    bot: &Bot,
    conversation: &ConversationRecord,
    number: String,
    email: String,
    dialog: Dialog,
    voice: &Voice,
    nobody: Option<&Back>,
) -> Result<bool, Error> {
    let lookup = Lookup::Order { number: number.clone(), email: email.clone() };
    match bot.orders.lookup(conversation.store_id, &lookup).await {
        Ok(Some(orders)) => match orders.iter().find(|o| o.number.eq_ignore_ascii_case(&number)) {
            Some(order) => {
                bot.order_desk.set(conversation.id, None);
                bot.store.add_conversation_order(conversation.id, &order.number, &email).await?;
                say(bot, conversation, &say_::one_order(voice, order), Said::OrderAnswer, true).await?;
            }
            None => {
                bot.order_desk.set(conversation.id, Some(Dialog { asked: true, ..dialog }));
                say(
                    bot,
                    conversation,
                    &voice.with(Key::OrderNoMatch, &[("order_number", &number)]),
                    Said::Order,
                    false,
                )
                .await?;
            }
        },
        Ok(None) => return Ok(false),
        Err(failure) => {
            tracing::warn!(store = conversation.store_id, %failure, "order lookup failed");
            bot.order_desk.set(conversation.id, None);
            bring_a_person(bot, conversation, nobody, &voice.say(Key::OrderUnavailable), voice).await?;
        }
    }
    Ok(true)
}

/// A verified customer's orders: one in full, several to pick from.
async fn customer_orders(
    bot: &Bot,
    conversation: &ConversationRecord,
    customer: &str,
    voice: &Voice,
    nobody: Option<&Back>,
) -> Result<(), Error> {
    match bot.orders.lookup(conversation.store_id, &Lookup::Customer(customer.to_owned())).await {
        Ok(Some(orders)) => match orders.as_slice() {
            [] => {
                bot.order_desk
                    .set(conversation.id, Some(Dialog { asked: true, lang: Some(voice.lang), ..Dialog::default() }));
                say(bot, conversation, &voice.say(Key::OrderNone), Said::Order, false).await?;
            }
            [only] => {
                say(bot, conversation, &say_::one_order(voice, only), Said::OrderAnswer, true).await?;
            }
            several => {
                let listed = several.iter().take(5).cloned().collect();
                bot.order_desk
                    .set(conversation.id, Some(Dialog { listed, lang: Some(voice.lang), ..Dialog::default() }));
                say(bot, conversation, &say_::recent_orders(voice, several), Said::OrderAnswer, true).await?;
            }
        },
        Ok(None) => {}
        Err(failure) => {
            tracing::warn!(store = conversation.store_id, %failure, "order lookup failed");
            bring_a_person(bot, conversation, nobody, &voice.say(Key::OrderUnavailable), voice).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_questions_are_recognised_in_english_and_chinese() {
        for asked in ["Where is my order?", "has my parcel shipped", "订单到哪了", "物流单号是多少", "Tracking please"]
        {
            assert!(is_order_question(&super::super::rules::normalize(asked)), "{asked}");
        }
        for other in ["Do you ship to Norway?", "Can I change my order?", "What sizes do you have?"] {
            assert!(!is_order_question(&super::super::rules::normalize(other)), "{other}");
        }
    }

    #[test]
    fn an_order_number_is_found_beside_an_email() {
        assert_eq!(find_order_number("#1001 mia@example.com").as_deref(), Some("1001"));
        assert_eq!(find_order_number("order 0987, email mia@example.com").as_deref(), Some("0987"));
        assert_eq!(find_order_number("it's A-10234-X").as_deref(), Some("A-10234-X"));
        assert_eq!(find_order_number("mia1234@example.com"), None);
        assert_eq!(find_order_number("where is it"), None);
    }
}
