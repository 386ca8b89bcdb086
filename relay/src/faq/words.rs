//! The words of a question and of an article, as the two analyzers see them: how much of a
//! question an article covers (the lexical part of every ranking, and the whole of the bot's
//! confidence without a model), and how many words of a search say what it is about.

use tantivy::Term;

use super::{cjk, Faq, CJK, ENGLISH, FILLER};
use crate::store::Article;

impl Faq {
    /// The share (0 to 1) of the question's words that the article has, in its question, tags or
    /// answer: English words up to one typo, CJK bigrams exactly. A high score from one common
    /// word ("card" in "do you sell gift cards") is not an answer; covering the question is.
    pub fn coverage(&self, question: &str, article: &Article) -> f64 {
        let body = format!("{} {} {}", article.question, article.tags.join(" "), article.answer);
        let mut wanted = 0usize;
        let mut found = 0usize;
        for analyzer in [ENGLISH, CJK] {
            let have = self.tokens(analyzer, &body);
            let asked = self.tokens(analyzer, question);
            // A CJK bigram no article has is most likely a pair straddling two words ("用支" in
            // "可以用支付宝吗"): it says nothing about the topic.
            let telling = |t: &String| analyzer == ENGLISH || self.known_cjk(t);
            for token in asked.into_iter().filter(|t| !FILLER.contains(&t.as_str())).filter(telling) {
                wanted += 1;
                let typo_ok = analyzer == ENGLISH && token.chars().count() >= 4;
                if have.iter().any(|h| *h == token || (typo_ok && strsim::damerau_levenshtein(h, &token) <= 1)) {
                    found += 1;
                }
            }
        }
        if wanted == 0 {
            0.0
        } else {
            found as f64 / wanted as f64
        }
    }

    /// How many words of `text` say what it is about (English words that are not filler, and
    /// CJK characters).
    pub fn informative_words(&self, text: &str) -> usize {
        let english = self.tokens(ENGLISH, text).into_iter().filter(|t| !FILLER.contains(&t.as_str())).count();
        english + text.chars().filter(|c| cjk::is_cjk(*c)).count()
    }

    /// Whether any article (of any store) has this CJK bigram.
    fn known_cjk(&self, token: &str) -> bool {
        let searcher = self.reader.searcher();
        self.fields.searched[3..]
            .iter()
            .any(|(field, _, _)| searcher.doc_freq(&Term::from_field_text(*field, token)).is_ok_and(|n| n > 0))
    }

    /// The terms `analyzer` makes of `text`, without repeats. The English analyzer's words
    /// with CJK characters in them are left out: the bigrams cover those.
    pub(super) fn tokens(&self, name: &str, text: &str) -> Vec<String> {
        let Some(mut analyzer) = self.index.tokenizers().get(name) else { return Vec::new() };
        let mut stream = analyzer.token_stream(text);
        let mut tokens: Vec<String> = Vec::new();
        while let Some(token) = stream.next() {
            if name == ENGLISH && token.text.chars().any(cjk::is_cjk) {
                continue;
            }
            if !tokens.contains(&token.text) {
                tokens.push(token.text.clone());
            }
        }
        tokens
    }

    /// The store's article whose question `text` is, ignoring case, spaces and punctuation:
    /// a shopper who tapped one the bot offered, or typed the question as the help shows it.
    pub(super) fn asked_as_written(&self, store_id: i64, text: &str) -> Option<Article> {
        let asked = bare(text);
        if asked.is_empty() {
            return None;
        }
        let indexed = self.indexed.lock().unwrap_or_else(|p| p.into_inner());
        let store = indexed.get(&store_id)?;
        store.by_question.get(&asked).and_then(|id| store.articles.get(id)).cloned()
    }
}

/// A text's letters and digits, lower case: what two ways of writing one question share.
pub(super) fn bare(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}
