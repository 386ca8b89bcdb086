//! The hybrid ranking used when a model is loaded: the embedding's cosine, plus a little for
//! the words the article shares with the question and for an article in the question's script.
//!
//! The cosine carries paraphrases and other languages; the lexical part breaks its near-ties
//! where a shopper names the thing exactly (a product, "Klarna", an order number). The weights
//! and the two thresholds were chosen on the development set in `relay/faq/dev-questions.json`
//! (68 questions for the demo FAQ, English and Chinese, six with no answer); `cargo xtask
//! bench` prints what they reach and README "FAQ ranking" records it.

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::collector::TopDocs;
use tantivy::schema::Value;
use tantivy::TantivyDocument;

use super::{cjk, Faq};
use crate::store::Article;

/// How much covering the question's words adds (coverage runs from 0 to 1).
pub const LEXICAL_WEIGHT: f32 = 0.02;
/// How much an article in the question's script adds (Chinese for a question in Chinese).
pub const SAME_SCRIPT_WEIGHT: f32 = 0.02;
/// The score from which an article is shown as a search result: on the development set every
/// right article scores above it, and two of the six questions no article answers show
/// nothing (a search result that misses costs a glance; hiding the right one costs more).
pub const RELEVANT_SCORE: f32 = 0.835;
/// The same for articles in another script than the search, shown only when none in its own
/// script is relevant (a question in Chinese in an English-only store): cross-language scores run
/// lower. On the development set's Chinese questions against the English articles alone, the
/// right article scores 0.79 to 0.85 and the unanswerable ones at most 0.81.
pub const RELEVANT_OTHER_SCRIPT: f32 = 0.80;
/// The score from which the bot answers with the article…
pub const CONFIDENT_SCORE: f32 = 0.87;
/// …when it leads the next article in its script by this much. A question between two
/// articles ("can I change my order" is near cancelling and exchanging) goes to a person: on the
/// development set this kept 40 right answers against 1 wrong, where the score alone allowed
/// 41 right only with 3 wrong, and 46 right with 5 wrong at a margin of 0.005.
pub const CONFIDENT_MARGIN: f32 = 0.015;
/// The same two for an article in another script than the question (an English article for a
/// question in Chinese): the model's cosines across languages run lower (0.79 to 0.85 for the
/// right article on the development set against the English half of the demo FAQ, where 0.87
/// would answer none). At these, 12 of its 22 Chinese questions are answered, none wrongly, and
/// none of the six unanswerable ones.
pub const CONFIDENT_OTHER_SCRIPT: (f32, f32) = (0.82, 0.01);
/// Most articles a bot reply offers when it cannot tell which one the shopper means.
pub const MAX_CHOICES: usize = 3;
/// Articles nearest by embedding that are scored.
const NEAREST: usize = 20;
/// Parts of a message to the bot embedded besides the whole (each costs an embedding).
const MAX_CLAUSES: usize = 4;
/// Best lexical matches that are scored too.
const LEXICAL: usize = 10;

/// What one article has for one question.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The article.
    pub article: Article,
    /// Cosine of the question's and the article's embeddings.
    pub cosine: f32,
    /// Share of the question's words the article has ([`Faq::coverage`]).
    pub coverage: f32,
    /// Whether the article is written in the question's script.
    pub same_script: bool,
}

impl Candidate {
    /// The combined score; higher is better.
    pub fn score(&self) -> f32 {
        combine(self.cosine, self.coverage, self.same_script, LEXICAL_WEIGHT, SAME_SCRIPT_WEIGHT)
    }
}

/// The score of an article from its parts and the weights (the benchmark tries others).
pub fn combine(cosine: f32, coverage: f32, same_script: bool, lexical: f32, script: f32) -> f32 {
    cosine + lexical * coverage + if same_script { script } else { 0.0 }
}

/// The search results among the ranked candidates, best first: those in the search's script
/// from [`RELEVANT_SCORE`], or, when there are none, those in another from
/// [`RELEVANT_OTHER_SCRIPT`].
pub fn relevant(ranked: Vec<Candidate>) -> Vec<Candidate> {
    let (same, other): (Vec<Candidate>, Vec<Candidate>) = ranked.into_iter().partition(|c| c.same_script);
    let same: Vec<Candidate> = same.into_iter().filter(|c| c.score() >= RELEVANT_SCORE).collect();
    if !same.is_empty() {
        return same;
    }
    other.into_iter().filter(|c| c.score() >= RELEVANT_OTHER_SCRIPT).collect()
}

/// The article the bot may answer with: the best, if it is good enough and clearly ahead.
pub fn confident(ranked: &[Candidate]) -> Option<&Candidate> {
    let best = ranked.first()?;
    let script = cjk_script(&best.article.question);
    let next = ranked.iter().skip(1).find(|c| cjk_script(&c.article.question) == script).map_or(0.0, Candidate::score);
    let (score, margin) = if best.same_script { (CONFIDENT_SCORE, CONFIDENT_MARGIN) } else { CONFIDENT_OTHER_SCRIPT };
    (best.score() >= score && best.score() - next >= margin).then_some(best)
}

/// The score from which the bot offers Chinese articles to choose from. Between texts in
/// Chinese the model's cosines run higher: the development set's Chinese questions that no
/// article answers score up to 0.883 against the Chinese articles (the English ones stay below
/// 0.87), and the right Chinese articles the bot offers score from 0.896.
pub const CHOICES_CJK_SCORE: f32 = 0.89;

/// The articles the bot offers when it is not [`confident`] of one: when the best scores as
/// high as a confident answer must (Chinese: [`CHOICES_CJK_SCORE`]) but others in its script
/// come within the margin it needed, the question is in the FAQ and the bot cannot tell which
/// of these it is about, so it offers them (at most [`MAX_CHOICES`], best first). "Can I still
/// return it if it does not fit?" scores refunds, exchanges and returns within 0.008 of each
/// other. On the development set 10 questions the bot does not answer get choices: 9 of them
/// hold the right article, 1 does not, and none of the six the FAQ does not answer gets any
/// (README, "FAQ ranking"). Empty when the best is below the threshold.
pub fn choices(ranked: &[Candidate]) -> Vec<&Candidate> {
    let Some(best) = ranked.first() else { return Vec::new() };
    let script = cjk_script(&best.article.question);
    let (score, margin) = match (best.same_script, script) {
        (true, false) => (CONFIDENT_SCORE, CONFIDENT_MARGIN),
        (true, true) => (CHOICES_CJK_SCORE, CONFIDENT_MARGIN),
        (false, _) => CONFIDENT_OTHER_SCRIPT,
    };
    if best.score() < score {
        return Vec::new();
    }
    let close = |c: &&Candidate| cjk_script(&c.article.question) == script && best.score() - c.score() < margin;
    ranked.iter().filter(close).take(MAX_CHOICES).collect()
}

/// The sentences and clauses of a message worth embedding on their own (at most
/// [`MAX_CLAUSES`]): three words or more, or three CJK characters; none when the message is one.
pub(super) fn clauses(text: &str) -> Vec<&str> {
    let parts: Vec<&str> = text
        .split(|c: char| ",.?!;:，。？！；：".contains(c))
        .map(str::trim)
        .filter(|p| p.split_whitespace().count() >= 3 || p.chars().filter(|c| cjk::is_cjk(*c)).count() >= 3)
        .collect();
    if parts.len() < 2 {
        return Vec::new();
    }
    parts.into_iter().take(MAX_CLAUSES).collect()
}

/// Whether `text` is written in Chinese (or Japanese) script.
fn cjk_script(text: &str) -> bool {
    text.chars().any(cjk::is_cjk)
}

impl Faq {
    /// The store's articles worth scoring for `text`, with their parts, best first; `None`
    /// without a model (blocking: embeds the question).
    pub fn candidates(&self, store_id: i64, text: &str) -> Option<Vec<Candidate>> {
        self.candidates_of(store_id, text, &[text])
    }

    /// [`Faq::candidates`] for a message to the bot: its sentences are embedded too, and an
    /// article's cosine is its best with any of them, so that "Hi! I ordered a jacket last week
    /// for my brother, and I wonder when it will get here" finds delivery times.
    pub fn candidates_in_parts(&self, store_id: i64, text: &str) -> Option<Vec<Candidate>> {
        let mut parts = vec![text];
        parts.extend(clauses(text));
        self.candidates_of(store_id, text, &parts)
    }

    fn candidates_of(&self, store_id: i64, text: &str, parts: &[&str]) -> Option<Vec<Candidate>> {
        let semantic = self.semantic.as_ref()?;
        let queries: Vec<Arc<[f32]>> = parts.iter().filter_map(|part| semantic.query(part)).collect();
        if queries.is_empty() {
            return None;
        }
        let articles = self.store_articles(store_id);
        let mut ids: Vec<String> = Vec::new();
        for query in &queries {
            for (id, _) in semantic.nearest(store_id, query, NEAREST) {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        for id in self.lexical_ids(store_id, text) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let asked_cjk = cjk_script(text);
        let known: Vec<&Article> = ids.iter().filter_map(|id| articles.get(id)).collect();
        let known_ids: Vec<&str> = known.iter().map(|a| a.id.as_str()).collect();
        let cosines = semantic.best_cosines(store_id, &known_ids, &queries);
        let mut scored: Vec<Candidate> = known
            .into_iter()
            .zip(cosines)
            .map(|(article, cosine)| Candidate {
                cosine,
                coverage: self.coverage(text, article) as f32,
                same_script: cjk_script(&article.question) == asked_cjk,
                article: article.clone(),
            })
            .collect();
        scored.sort_by(|a, b| b.score().total_cmp(&a.score()).then_with(|| a.article.id.cmp(&b.article.id)));
        Some(scored)
    }

    /// For a message whose articles in its own script are not [`confident`]: the article in
    /// the other script that is, when it has no translation in the message's script (as the
    /// demo store's English cancelling article has no Chinese one). A store whose Chinese help
    /// is a part of its English one answers "我想取消订单" with the English article; without
    /// this the Chinese articles, whose scores against a Chinese question run higher, crowd it
    /// out. An article that has a translation is left alone: the one in the message's script
    /// would have been found.
    pub(super) fn only_in_other_script(&self, store_id: i64, ranked: &[Candidate]) -> Option<Article> {
        let other: Vec<Candidate> = ranked.iter().filter(|c| !c.same_script).cloned().collect();
        if other.len() == ranked.len() {
            return None;
        }
        let best = confident(&other)?;
        self.translation(store_id, &best.article).is_none().then(|| best.article.clone())
    }

    /// The article's translation in the other script: the article of that script nearest to
    /// it, when it is the nearest of this script to that one too (mutual nearest neighbours,
    /// which pair every article of the demo FAQ with its twin and leave the cancelling article,
    /// which has none, alone).
    fn translation(&self, store_id: i64, article: &Article) -> Option<String> {
        let semantic = self.semantic.as_ref()?;
        let articles = self.store_articles(store_id);
        let nearest_across = |id: &str| -> Option<String> {
            let script = cjk_script(&articles.get(id)?.question);
            let vector = semantic.vector(store_id, id)?;
            let nearest = semantic.nearest(store_id, &vector, articles.len());
            nearest
                .into_iter()
                .map(|(id, _)| id)
                .find(|n| articles.get(n).is_some_and(|a| cjk_script(&a.question) != script))
        };
        let twin = nearest_across(&article.id)?;
        (nearest_across(&twin)? == article.id).then_some(twin)
    }

    /// The ids of the store's best lexical matches.
    fn lexical_ids(&self, store_id: i64, text: &str) -> Vec<String> {
        let Some(query) = self.query(store_id, text) else { return Vec::new() };
        let searcher = self.reader.searcher();
        let Ok(found) = searcher.search(&query, &TopDocs::with_limit(LEXICAL).order_by_score()) else {
            return Vec::new();
        };
        found
            .into_iter()
            .filter_map(|(_, address)| searcher.doc::<TantivyDocument>(address).ok())
            .filter_map(|doc| doc.get_first(self.fields.id).and_then(|v| v.as_str()).map(str::to_owned))
            .collect()
    }

    /// The store's articles as last indexed, by id.
    pub(super) fn store_articles(&self, store_id: i64) -> Arc<HashMap<String, Article>> {
        let indexed = self.indexed.lock().unwrap_or_else(|p| p.into_inner());
        indexed.get(&store_id).map(|i| i.articles.clone()).unwrap_or_default()
    }
}
