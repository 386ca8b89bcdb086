//! The bot: one engine for every automatic reply, so that every one of them follows the same
//! rules. It never pretends to be a person: its messages come from "Bot".
//!
//! For each shopper message, in order:
//! 1. Once a human has joined (replied, and still holds the conversation), the bot is silent.
//!    An agent who releases the conversation hands it back.
//! 2. "Talk to a person", "agent", "human", "人工"… always bring a person in: the bot says the
//!    shopper's place in the queue, or, when nobody is there, offers to take an email.
//! 3. An email address, when the bot asked for one, is checked and confirmed (or the shopper is
//!    asked to check it).
//! 4. The store's keyword rules (`rules`), highest priority first.
//!    Then order questions, when the store has an order source (`orders`): answered at once,
//!    with agents online too unless the store turned that off.
//! 5. When nobody is there (no agent online, or outside business hours): a confident FAQ answer,
//!    with "Did this answer your question?", or the few articles the question is between
//!    (`faq`); else the away message (`away`), and the question is recorded as unanswered, to
//!    show the merchant what the FAQ is missing.
//!
//! While agents are online the FAQ is offered before the chat (inline search in the widget) and
//! at the first-reply deadline (`routing::deadline`), and humans answer.
//!
//! Every automatic message goes through [`say`]: the same text at most once per hour in a
//! conversation (configurable), and at most three automatic messages in a row without a shopper
//! message in between.

pub mod away;
pub mod deadline;
mod faq;
mod order_texts;
pub mod orders;
pub mod rules;
mod say;

pub use faq::faq_answer;
pub use order_texts::status_line;
pub use say::{say, Said};

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use email_address::EmailAddress;
use protocol::Role;

use crate::chat::Conversations;
use crate::error::Error;
use crate::faq::Faq;
use crate::orders::Orders;
use crate::reports::reply_time::ReplyTimes;
use crate::routing::Routing;
use crate::store::{now_millis, BotRule, ConversationRecord, Store};
use crate::texts::{Back, Key, Lang, Voice, Words};

/// The author name of every automatic message.
pub const BOT_NAME: &str = "Bot";
/// Automatic messages allowed in a row without a shopper message in between.
pub const MAX_IN_A_ROW: usize = 3;
/// How long the same automatic reply is not repeated in a conversation, by default.
pub const DEFAULT_REPEAT_WINDOW: Duration = Duration::from_secs(3600);
/// Characters of a shopper message the bot reads: the question is in there, and a stranger's
/// 4,000-character messages must not cost every store CPU.
pub const ANALYSED_CHARS: usize = 300;
/// Words of a shopper message the bot reads, at most.
pub const ANALYSED_WORDS: usize = 50;
/// Characters of a question kept in the list of unanswered ones.
const UNANSWERED_CHARS: usize = 200;

/// The bot and what it works with.
pub struct Bot {
    store: Store,
    faq: Arc<Faq>,
    routing: Arc<Routing>,
    chat: Arc<Conversations>,
    orders: Arc<Orders>,
    order_desk: orders::OrderDesk,
    rules: RuleCache,
    repeat_window: Duration,
    /// Each store's own words for what the bot says.
    pub words: Arc<Words>,
    reply_times: Arc<ReplyTimes>,
}

/// What the bot works with besides the store: the services it answers through.
pub struct BotParts {
    /// FAQ search.
    pub faq: Arc<Faq>,
    /// Who is online, the queue.
    pub routing: Arc<Routing>,
    /// Posting messages.
    pub chat: Arc<Conversations>,
    /// The shops' order sources.
    pub orders: Arc<Orders>,
    /// The shops' own words.
    pub words: Arc<Words>,
    /// How fast each store replies, for `{reply_time}`.
    pub reply_times: Arc<ReplyTimes>,
}

impl Bot {
    /// A bot answering from this store's FAQ and rules, through the conversation service; it
    /// does not repeat the same reply in a conversation within `repeat_window`.
    pub fn new(store: Store, parts: BotParts, repeat_window: Duration) -> Self {
        let BotParts { faq, routing, chat, orders, words, reply_times } = parts;
        let order_desk = orders::OrderDesk::default();
        let rules = RuleCache::default();
        Bot { store, faq, routing, chat, orders, order_desk, rules, repeat_window, words, reply_times }
    }

    /// How the bot speaks to the shopper of `conversation` in `lang`.
    pub async fn voice(&self, conversation: &ConversationRecord, lang: Lang) -> Result<Voice, Error> {
        Ok(self.words.voice(conversation.store_id, &conversation.visitor_id, lang).await?)
    }

    /// The store's rules changed here (the console): the next message reads them again.
    pub fn rules_changed(&self, store_id: i64) {
        self.rules.stores.lock().unwrap_or_else(|p| p.into_inner()).remove(&store_id);
    }

    /// What the store's rules make of a message, as the bot would read it: whether it asks
    /// for a person (which comes before any rule) and the rule that answers.
    pub async fn test_rules(&self, store_id: i64, text: &str) -> Result<(bool, Option<BotRule>), Error> {
        let text = analysed(text);
        let rules = self.rules.get(&self.store, store_id).await?;
        Ok((rules::wants_a_person(&text), rules::first_match(&rules, &text).cloned()))
    }

    /// The relay's repeat window (`--bot-repeat-secs`), for stores that set none.
    pub fn default_repeat_window(&self) -> Duration {
        self.repeat_window
    }
}

/// Reacts to a shopper message that was just stored in `conversation`.
/// `ip` is the shopper's client address, for the limit on order lookups.
pub async fn after_shopper_message(
    bot: &Bot,
    conversation: &ConversationRecord,
    text: &str,
    ip: Option<IpAddr>,
) -> Result<(), Error> {
    let text = analysed(text);
    let text = text.as_str();
    // One read for what the bot needs of the conversation and its store.
    let context = bot.store.bot_context(conversation.id).await?;
    if context.human_replied && bot.routing.handler(conversation.id).is_some() {
        // A human has joined and holds the conversation.
        return Ok(());
    }
    let lang = Lang::for_shopper(text, context.language.as_deref());
    let voice = bot.voice(conversation, lang).await?;
    let nobody = away::nobody_there_in(bot, conversation.store_id, context.hours, context.timezone);
    if rules::wants_a_person(text) {
        return bring_a_person(bot, conversation, nobody.as_ref(), "", &voice).await;
    }
    if away::take_email(bot, conversation, text, &voice, context.away_state.as_deref()).await? {
        return Ok(());
    }
    let store_rules = bot.rules.get(&bot.store, conversation.store_id).await?;
    if let Some(rule) = rules::first_match(&store_rules, text) {
        say(bot, conversation, &rule.reply, Said::Rule, nobody.is_some()).await?;
        return Ok(());
    }
    if orders::answer(bot, conversation, text, &voice, nobody.as_ref(), ip).await? {
        return Ok(());
    }
    let Some(back) = nobody else { return instant_ack(bot, conversation, &voice, context.human_replied).await };
    if faq::reply(bot, conversation, text, &voice).await? {
        return Ok(());
    }
    let question: String = rules::normalize(text).chars().take(UNANSWERED_CHARS).collect();
    if !question.is_empty() {
        bot.store.record_unanswered(conversation.store_id, &question, &conversation.visitor_id).await?;
    }
    away::offer_to_take_email(bot, conversation, &back, &voice).await
}

/// The store's instant acknowledgement, when it turned it on: said once, to the first message
/// of a conversation that goes to a person, with how fast the store usually replies. It does
/// not count as an answer: the first-reply deadline still runs.
async fn instant_ack(
    bot: &Bot,
    conversation: &ConversationRecord,
    voice: &Voice,
    human_replied: bool,
) -> Result<(), Error> {
    if human_replied || !voice.instant_ack() {
        return Ok(());
    }
    let recent = bot.store.recent_messages(conversation.id, 20).await?;
    if recent.len() >= 20 || recent.iter().filter(|m| m.author.role == Role::Visitor).count() != 1 {
        return Ok(());
    }
    let claim = bot.reply_times.claim(conversation.store_id, now_millis()).await?;
    let within = crate::texts::reply_time(voice.lang, claim.reply_time);
    let text = voice.with(Key::InstantAck, &[("reply_time", &within)]);
    say(bot, conversation, &text, Said::Ack, false).await.map(drop)
}

/// The shopper answered "Did this answer your question?" under a FAQ answer (whose text
/// tells the language to answer in, else the shopper's browser does).
pub async fn after_feedback(
    bot: &Bot,
    conversation: &ConversationRecord,
    answer: &str,
    helpful: bool,
) -> Result<(), Error> {
    let browser = bot.store.bot_context(conversation.id).await.ok().and_then(|c| c.language);
    let voice = bot.voice(conversation, Lang::for_shopper(answer, browser.as_deref())).await?;
    if helpful {
        say(bot, conversation, &voice.say(Key::Glad), Said::Feedback, true).await?;
        return Ok(());
    }
    let nobody = away::nobody_there(bot, conversation.store_id).await?;
    bring_a_person(bot, conversation, nobody.as_ref(), &voice.say(Key::Sorry), &voice).await
}

/// Brings a person in: the conversation is already with an agent or in the queue, so the bot
/// says where it stands; when nobody is there, it offers to take an email instead.
async fn bring_a_person(
    bot: &Bot,
    conversation: &ConversationRecord,
    nobody: Option<&Back>,
    lead: &str,
    voice: &Voice,
) -> Result<(), Error> {
    if let Some(back) = nobody {
        return away::ask_for_email(bot, conversation, back, lead, voice).await;
    }
    let position = bot.routing.queue_position(conversation.store_id, conversation.id).await;
    let text = match position {
        Some(place) => voice.with(Key::HandoverQueue, &[("queue_place", &place.to_string())]),
        None => voice.say(Key::Handover),
    };
    let text = voice.after(lead, &text);
    say(bot, conversation, &text, Said::Handover, false).await?;
    Ok(())
}

/// Records a help search that found no good answer, as the bot does for questions. Searches
/// come as the shopper types, so a last word still being typed is left out, and a query needs
/// two words that say something ("how do" does not) before it counts. `who` is the searcher
/// (their client address): each counts a question once a day.
pub async fn note_search(bot: &Bot, store_id: i64, query: &str, who: &str) -> Result<(), Error> {
    let complete = crate::faq::finished_words(query);
    if bot.faq.informative_words(complete) < 2 || bot.faq.answers_search_off(store_id, analysed(complete)).await {
        return Ok(());
    }
    let question: String = rules::normalize(complete).chars().take(UNANSWERED_CHARS).collect();
    Ok(bot.store.record_unanswered(store_id, &question, who).await?)
}

/// Records a help search for the reports' most searched terms: the query as the widget sent it
/// after the shopper paused typing, normalised, when it has a word that says something.
pub async fn note_search_term(bot: &Bot, store_id: i64, query: &str, who: &str) -> Result<(), Error> {
    if bot.faq.informative_words(query) == 0 {
        return Ok(());
    }
    let term: String = rules::normalize(query).chars().take(UNANSWERED_CHARS).collect();
    Ok(bot.store.record_search_term(store_id, term.trim(), who, now_millis()).await?)
}

/// Each store's keyword rules, read at most once a second: rules change rarely (`relay bot
/// rule`, from another process too), and every shopper message consults them.
#[derive(Default)]
pub struct RuleCache {
    stores: Mutex<HashMap<i64, Fetched>>,
}

/// A store's rules and when they were read.
type Fetched = (Instant, Arc<Vec<BotRule>>);

/// How long a store's rules are used before they are read again.
const RULES_FRESH_FOR: Duration = Duration::from_secs(1);

impl RuleCache {
    /// The store's rules, read again when older than a second.
    pub async fn get(&self, store: &Store, store_id: i64) -> Result<Arc<Vec<BotRule>>, crate::store::StoreError> {
        let cached = self.stores.lock().unwrap_or_else(|p| p.into_inner()).get(&store_id).cloned();
        if let Some((_, rules)) = cached.filter(|(read_at, _)| read_at.elapsed() < RULES_FRESH_FOR) {
            return Ok(rules);
        }
        let rules = Arc::new(store.bot_rules(store_id).await?);
        let entry = (Instant::now(), rules.clone());
        self.stores.lock().unwrap_or_else(|p| p.into_inner()).insert(store_id, entry);
        Ok(rules)
    }
}

/// The part of a shopper message the bot analyses: its first [`ANALYSED_WORDS`] words, at most
/// [`ANALYSED_CHARS`] characters.
pub fn analysed(text: &str) -> String {
    let mut words = 0;
    let mut end = text.len();
    let mut in_word = false;
    for (i, (at, c)) in text.char_indices().enumerate() {
        if i == ANALYSED_CHARS {
            end = at;
            break;
        }
        if c.is_whitespace() {
            if in_word {
                words += 1;
                if words == ANALYSED_WORDS {
                    end = at;
                    break;
                }
            }
            in_word = false;
        } else {
            in_word = true;
        }
    }
    text[..end].to_owned()
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
    fn the_bot_reads_the_start_of_long_messages_only() {
        assert_eq!(analysed("where is my parcel"), "where is my parcel");
        let long = "word ".repeat(1000);
        assert_eq!(analysed(&long).split_whitespace().count(), ANALYSED_WORDS);
        let one_word = "好".repeat(4000);
        assert_eq!(analysed(&one_word).chars().count(), ANALYSED_CHARS);
    }

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
