//! What the bot can say to a shopper's message from the FAQ: the article that answers it with
//! confidence, or, with the model, the few articles it is between when the bot cannot tell which
//! one the shopper means. Without a model an answer needs an article that covers most of the
//! question's words.

use std::sync::Arc;

use tantivy::collector::TopDocs;
use tantivy::TantivyDocument;

use super::{ranked, Faq, CONFIDENT_COVERAGE};
use crate::store::Article;

/// What the bot can say to a shopper's message from the FAQ.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// This article answers it.
    Answer(Article),
    /// The message is close to each of these and the bot cannot tell which one it is about:
    /// it offers them, best first.
    Choices(Vec<Article>),
}

impl Faq {
    /// [`Faq::answer`] off the async workers.
    pub async fn answer_off(self: &Arc<Self>, store_id: i64, text: String) -> Option<Article> {
        self.in_lane(None, move |faq| faq.answer(store_id, &text)).await
    }

    /// [`Faq::reply`] off the async workers.
    pub async fn reply_off(self: &Arc<Self>, store_id: i64, text: String) -> Option<Reply> {
        self.in_lane(None, move |faq| faq.reply(store_id, &text)).await
    }

    /// Whether an article answers a help search with confidence, judged on the whole search
    /// (the sentences of a message to the bot are not embedded one by one: a search has just
    /// embedded the whole, so this costs no embedding), off the async workers.
    pub async fn answers_search_off(self: &Arc<Self>, store_id: i64, text: String) -> bool {
        self.in_lane(false, move |faq| match faq.candidates(store_id, &text) {
            Some(ranked) => ranked::confident(&ranked).is_some(),
            None => faq.answer(store_id, &text).is_some(),
        })
        .await
    }

    /// The article that answers `text` with confidence, if one does (see [`Faq::reply`]).
    pub fn answer(&self, store_id: i64, text: &str) -> Option<Article> {
        match self.reply(store_id, text)? {
            Reply::Answer(article) => Some(article),
            Reply::Choices(_) => None,
        }
    }

    /// What the bot can say to `text` from the FAQ: the article whose question it is, word for
    /// word (a shopper who tapped an offered article); with a model, the best ranked when it is
    /// [`ranked::confident`] on the whole message or on its sentences, or the confident one in
    /// the other script that has no translation in the message's ([`Faq::only_in_other_script`]),
    /// else the articles it is between ([`ranked::choices`]); without one, the first of the three best hits that covers
    /// at least `CONFIDENT_COVERAGE` of the question's words.
    pub fn reply(&self, store_id: i64, text: &str) -> Option<Reply> {
        if let Some(article) = self.asked_as_written(store_id, text) {
            return Some(Reply::Answer(article));
        }
        let Some(ranked) = self.candidates(store_id, text) else {
            return self.lexical_answer(store_id, text).map(Reply::Answer);
        };
        if let Some(best) = ranked::confident(&ranked) {
            return Some(Reply::Answer(best.article.clone()));
        }
        // Not sure on the whole message: its sentences one by one (a chatty message). A message
        // of one sentence was just scored as a whole.
        let ranked = if ranked::clauses(text).is_empty() { ranked } else { self.candidates_in_parts(store_id, text)? };
        if let Some(best) = ranked::confident(&ranked) {
            return Some(Reply::Answer(best.article.clone()));
        }
        if let Some(article) = self.only_in_other_script(store_id, &ranked) {
            return Some(Reply::Answer(article));
        }
        let choices: Vec<Article> = ranked::choices(&ranked).into_iter().map(|c| c.article.clone()).collect();
        (!choices.is_empty()).then_some(Reply::Choices(choices))
    }

    /// Without a model: the first of the three best hits that covers enough of the question.
    fn lexical_answer(&self, store_id: i64, text: &str) -> Option<Article> {
        let searcher = self.reader.searcher();
        let query = self.query(store_id, text)?;
        let found = searcher.search(&query, &TopDocs::with_limit(3).order_by_score()).ok()?;
        found.into_iter().find_map(|(_, address)| {
            let doc = searcher.doc::<TantivyDocument>(address).ok()?;
            let article = self.article_of(&doc);
            (self.coverage(text, &article) >= CONFIDENT_COVERAGE).then_some(article)
        })
    }
}
