//! How well the FAQ ranking does on questions whose right article is known: the development
//! set the hybrid ranking was tuned on (`relay/faq/dev-questions.json`, for the demo FAQ), used
//! by the test that guards the ranking and by the benchmark that prints it.

use serde::Deserialize;

use super::{Faq, Reply};

/// The development set: 68 questions a shopper of the demo store might ask, in English and
/// Chinese, written for the demo FAQ (paraphrases, chatty questions, typos; six it cannot
/// answer).
pub const DEV_SET: &str = include_str!("../../faq/dev-questions.json");

/// A question and the article that answers it (`None`: no article does).
#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    /// As a shopper would type it.
    pub q: String,
    /// The id of the right article.
    pub article: Option<String>,
}

/// The figures of one ranking on one set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quality {
    /// Questions that have a right article.
    pub answerable: usize,
    /// …whose first search result is it.
    pub top1: usize,
    /// …whose first three search results have it.
    pub top3: usize,
    /// …that the bot answers with it.
    pub answered_right: usize,
    /// Questions the bot answers with a wrong article (answerable or not).
    pub answered_wrong: usize,
    /// Answerable questions the bot offers articles for, the right one among them.
    pub offered_right: usize,
    /// Questions the bot offers articles for, none of them right (answerable or not).
    pub offered_wrong: usize,
    /// Questions no article answers.
    pub unanswerable: usize,
    /// …that get no search result.
    pub no_result: usize,
}

/// The development set, parsed.
pub fn dev_set() -> Result<Vec<Question>, serde_json::Error> {
    serde_json::from_str(DEV_SET)
}

/// Asks every question of `set` of the store's FAQ as a search (the whole question typed) and
/// as a message to the bot, which answers, offers articles or does neither (blocking).
pub fn measure(faq: &Faq, store_id: i64, set: &[Question]) -> Quality {
    let mut quality = Quality::default();
    for question in set {
        // A trailing space: the shopper finished typing.
        let typed = format!("{} ", question.q);
        let hits: Vec<String> = faq.search(store_id, &typed, 3).iter().map(Faq::hit_id).collect();
        let (answer, offered) = match faq.reply(store_id, &question.q) {
            Some(Reply::Answer(article)) => (Some(article.id), Vec::new()),
            Some(Reply::Choices(articles)) => (None, articles.into_iter().map(|a| a.id).collect()),
            None => (None, Vec::new()),
        };
        match &question.article {
            Some(right) => {
                quality.answerable += 1;
                quality.top1 += usize::from(hits.first() == Some(right));
                quality.top3 += usize::from(hits.contains(right));
                quality.answered_right += usize::from(answer.as_ref() == Some(right));
                quality.answered_wrong += usize::from(answer.as_ref().is_some_and(|a| a != right));
                quality.offered_right += usize::from(offered.contains(right));
                quality.offered_wrong += usize::from(!offered.is_empty() && !offered.contains(right));
            }
            None => {
                quality.unanswerable += 1;
                quality.no_result += usize::from(hits.is_empty());
                quality.answered_wrong += usize::from(answer.is_some());
                quality.offered_wrong += usize::from(!offered.is_empty());
            }
        }
    }
    quality
}
