//! The bot's replies from the store's FAQ: the article that answers a question with
//! confidence, with where it came from (and its language when it is not the shopper's), or, with
//! the model, the few articles a question is between, offered to choose from.

use protocol::FaqChoice;

use super::{analysed, say, Bot, Said};
use crate::error::Error;
use crate::faq::Reply;
use crate::store::{Article, ConversationRecord};
use crate::texts::{Key, Voice};

/// Answers `text` from the FAQ, or offers the articles it is between; false when the FAQ has
/// nothing to say to it.
pub(super) async fn reply(
    bot: &Bot,
    conversation: &ConversationRecord,
    text: &str,
    voice: &Voice,
) -> Result<bool, Error> {
    match bot.faq.reply_off(conversation.store_id, analysed(text)).await {
        Some(Reply::Answer(article)) => {
            let source = source_line(voice, &article);
            let reply = format!("{}\n\n{source}", article.answer);
            say(bot, conversation, &reply, Said::Faq(&article.id), true).await?;
            Ok(true)
        }
        Some(Reply::Choices(articles)) => {
            offer_choices(bot, conversation, &articles, voice).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// The FAQ articles the message is close to, offered when the bot cannot tell which one the
/// shopper means: listed in the text (for the console, the transcript, any client) and as
/// `faq_choices`, which the widget shows as buttons that ask the article's question.
async fn offer_choices(
    bot: &Bot,
    conversation: &ConversationRecord,
    articles: &[Article],
    voice: &Voice,
) -> Result<(), Error> {
    let choices: Vec<FaqChoice> =
        articles.iter().map(|a| FaqChoice { article: a.id.clone(), question: a.question.clone() }).collect();
    let listed: Vec<String> = choices.iter().map(|c| format!("• {}", c.question)).collect();
    let text = format!("{}\n{}", voice.say(Key::FaqChoices), listed.join("\n"));
    say(bot, conversation, &text, Said::FaqChoices(&choices), true).await.map(drop)
}

/// The line under an FAQ answer: where it came from, and its language when that is not the
/// shopper's (a question in Chinese answered by an English-only article).
fn source_line(voice: &Voice, article: &Article) -> String {
    let language = article.language.as_str();
    if language.is_empty() || language == voice.lang.code() {
        return voice.with(Key::FaqSource, &[("article", &article.question)]);
    }
    let name = crate::texts::language_name(voice.lang, language);
    voice.with(Key::FaqSourceOtherLanguage, &[("article", &article.question), ("language", &name)])
}

/// The article that answers `text`, if one does with confidence (see [`Faq::answer`]); found
/// on the blocking pool, reading at most [`ANALYSED_CHARS`] of the text.
pub async fn faq_answer(bot: &Bot, store_id: i64, text: &str) -> Result<Option<Article>, Error> {
    Ok(bot.faq.answer_off(store_id, analysed(text)).await)
}
