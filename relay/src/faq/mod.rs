//! FAQ search: every store's articles in one tantivy index, searched as shoppers type.
//!
//! - BM25 over the question (boost 3), the tags (2) and the answer (1).
//! - Each text is indexed twice: by an English analyzer (lower case, stop words, Porter
//!   stemming) and by CJK bigrams ([`cjk`]), so "returns", "returning" and "退货" all find
//!   their article.
//! - Typos are forgiven: English words of four letters or more also match at edit distance 1,
//!   at half weight, and the last word typed matches as a prefix (results update as you type).
//! - The index lives in memory and is built from the database at start-up; it follows every
//!   change at once when made through this relay, and within a second when made by another
//!   process (`relay faq import` while the relay runs), through a per-store version number.
//!   Changes are applied article by article (`indexing`), on the blocking pool, and searches
//!   of other stores never wait for them.
//! - Searches and the bot's answers run on the blocking pool too, a few at a time
//!   ([`SEARCH_LANES`]): a stranger's long questions cannot occupy the async workers that
//!   carry every store's chat.

pub mod cjk;
pub mod import;
mod indexing;
pub mod quality;
pub mod ranked;
mod reply;
pub use reply::Reply;
pub mod semantic;
mod words;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, INDEXED, STORED, STRING,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

use crate::store::Article;
use crate::store::Store;
use tokio_util::sync::CancellationToken;

const ENGLISH: &str = "parley_en";
const CJK: &str = "parley_cjk";
/// Words (as the English analyzer stems them) that carry no topic in a question: coverage
/// ignores them, so "how can I send something back" is about "send" and "back".
const FILLER: &[&str] = &[
    "how", "can", "could", "would", "should", "do", "doe", "did", "i", "me", "my", "mine", "you", "your", "we", "our",
    "us", "what", "when", "where", "which", "who", "why", "there", "here", "someth", "anyth", "pleas", "want", "need",
    "like", "get", "know", "tell", "hi", "hello", "thank", "thanks", "just", "ani", "some", "have", "ha", "am", "im",
    "it", "also", "much", "mani", "long", "take", "吗", "呢", "我们", "你们", "请问", "我的",
];
/// The indexing arena (tantivy's minimum for one thread).
const WRITER_ARENA_BYTES: usize = 15_000_000;
/// Characters of the answer shown under a result.
const SNIPPET_CHARS: usize = 160;
/// Searches (and bot answers) running at once on the blocking pool; more wait their turn.
pub const SEARCH_LANES: usize = 2;
/// The share of the finished words of a search that a result must have (see [`Faq::search`]).
const RELEVANT_COVERAGE: f64 = 0.5;

/// The words of a search the shopper has finished typing: all of it once it ends in a space,
/// punctuation or a CJK character (an IME commits whole characters), else all but the last word.
pub fn finished_words(text: &str) -> &str {
    if text.ends_with(|c: char| c.is_whitespace() || c.is_ascii_punctuation() || cjk::is_cjk(c)) {
        text
    } else {
        text.rsplit_once(char::is_whitespace).map_or("", |(done, _)| done)
    }
}

/// One search result, as the HTTP API returns it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Hit {
    /// The article's id, as imported (a string or a number).
    pub id: serde_json::Value,
    /// The question.
    pub question: String,
    /// The start of the answer.
    pub snippet: String,
    /// Its category.
    pub category: String,
    /// Relevance (BM25, or the hybrid score of [`ranked`] with a model); higher is better,
    /// comparable only within one search.
    pub score: f32,
}

#[derive(Clone, Copy)]
struct Fields {
    store: Field,
    key: Field,
    id: Field,
    id_json: Field,
    question: Field,
    category: Field,
    answer: Field,
    tags: Field,
    language: Field,
    searched: [(Field, &'static str, f32); 6],
}

/// The search service; one per relay, shared (`Arc`) so that its work can go to the
/// blocking pool.
pub struct Faq {
    index: Index,
    reader: IndexReader,
    /// Held while re-indexing (one store's changes at a time). The tantivy writer itself (with
    /// its 15 MB arena) exists only then: FAQ changes are rare, and the memory is better spent
    /// on connections.
    syncing: tokio::sync::Mutex<()>,
    fields: Fields,
    /// Each store's FAQ version and articles as last indexed, to index only what changed.
    indexed: Mutex<HashMap<i64, indexing::Indexed>>,
    /// Searches running at once.
    lanes: Arc<tokio::sync::Semaphore>,
    /// The embedding model and the articles' vectors, when a model is loaded; else every
    /// search is lexical.
    semantic: Option<Arc<semantic::Semantic>>,
}

impl Faq {
    /// An empty lexical index (fill it with [`Faq::sync`]).
    pub fn new() -> Result<Faq, tantivy::TantivyError> {
        Faq::ranked_by(None)
    }

    /// An empty index that also ranks by meaning when `semantic` is given.
    #[allow(clippy::expect_used)] // each expect states an invariant that holds
    pub fn ranked_by(semantic: Option<Arc<semantic::Semantic>>) -> Result<Faq, tantivy::TantivyError> {
        let mut schema = Schema::builder();
        let text = |analyzer: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(analyzer)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
        };
        let store = schema.add_i64_field("store", INDEXED);
        let key = schema.add_text_field("key", STRING);
        let id = schema.add_text_field("id", STORED);
        let id_json = schema.add_text_field("id_json", STORED);
        let question = schema.add_text_field("question", STORED);
        let category = schema.add_text_field("category", STORED);
        let answer = schema.add_text_field("answer", STORED);
        let tags = schema.add_text_field("tags", STORED);
        let language = schema.add_text_field("language", STORED);
        let searched = [
            (schema.add_text_field("question_en", text(ENGLISH)), ENGLISH, 3.0),
            (schema.add_text_field("tags_en", text(ENGLISH)), ENGLISH, 2.0),
            (schema.add_text_field("answer_en", text(ENGLISH)), ENGLISH, 1.0),
            (schema.add_text_field("question_cjk", text(CJK)), CJK, 3.0),
            (schema.add_text_field("tags_cjk", text(CJK)), CJK, 2.0),
            (schema.add_text_field("answer_cjk", text(CJK)), CJK, 1.0),
        ];
        let index = Index::create_in_ram(schema.build());
        let english = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(StopWordFilter::new(Language::English).expect("tantivy ships English stop words"))
            .filter(Stemmer::new(Language::English))
            .build();
        index.tokenizers().register(ENGLISH, english);
        index.tokenizers().register(CJK, TextAnalyzer::from(cjk::CjkBigrams));
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let fields = Fields { store, key, id, id_json, question, category, answer, tags, language, searched };
        Ok(Faq {
            index,
            reader,
            syncing: tokio::sync::Mutex::new(()),
            fields,
            indexed: Mutex::new(HashMap::new()),
            lanes: Arc::new(tokio::sync::Semaphore::new(SEARCH_LANES)),
            semantic,
        })
    }

    /// Runs `work` on the blocking pool in one of the search lanes.
    async fn in_lane<T: Send + 'static>(
        self: &Arc<Self>,
        default: T,
        work: impl FnOnce(&Faq) -> T + Send + 'static,
    ) -> T {
        let Ok(lane) = self.lanes.clone().acquire_owned().await else { return default };
        let faq = self.clone();
        tokio::task::spawn_blocking(move || {
            let result = work(&faq);
            drop(lane);
            result
        })
        .await
        .unwrap_or(default)
    }

    /// [`Faq::search`] off the async workers.
    pub async fn search_off(self: &Arc<Self>, store_id: i64, text: String, limit: usize) -> Vec<Hit> {
        self.in_lane(Vec::new(), move |faq| faq.search(store_id, &text, limit)).await
    }

    /// The article a search result's document holds.
    fn article_of(&self, doc: &TantivyDocument) -> Article {
        let f = self.fields;
        let get = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        Article {
            id: get(f.id),
            id_json: get(f.id_json),
            question: get(f.question),
            answer: get(f.answer),
            category: get(f.category),
            tags: serde_json::from_str(&get(f.tags)).unwrap_or_default(),
            language: get(f.language),
        }
    }

    /// The store's articles that best match `text`, best first, among those that have at least
    /// half of the words the shopper has finished typing ([`RELEVANT_COVERAGE`]): "gift card
    /// balance" brings up no payments article for "card" alone, so the widget says no article
    /// matches.
    pub fn search(&self, store_id: i64, text: &str, limit: usize) -> Vec<Hit> {
        let Some(query) = self.query(store_id, text) else { return Vec::new() };
        let finished = finished_words(text);
        let judged = self.informative_words(finished) > 0;
        if judged {
            if let Some(ranked) = self.candidates(store_id, finished) {
                let relevant = ranked::relevant(ranked).into_iter().take(limit.max(1));
                return relevant.map(|c| hit_of(&c.article, c.score())).collect();
            }
        }
        let searcher = self.reader.searcher();
        let Ok(found) = searcher.search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score()) else {
            return Vec::new();
        };
        let mut hits = Vec::with_capacity(found.len());
        for (score, address) in found {
            let Ok(doc) = searcher.doc::<TantivyDocument>(address) else { continue };
            let article = self.article_of(&doc);
            if judged && self.coverage(finished, &article) < RELEVANT_COVERAGE {
                continue;
            }
            hits.push(hit_of(&article, score));
        }
        hits
    }

    /// The text id of the article a hit names (as stored in the database).
    pub fn hit_id(hit: &Hit) -> String {
        match &hit.id {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    fn query(&self, store_id: i64, text: &str) -> Option<BooleanQuery> {
        let f = self.fields;
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        // The last word may still be being typed: it also matches as a prefix.
        let typing_last = !text.ends_with(|c: char| c.is_whitespace() || c.is_ascii_punctuation());
        for (field, analyzer, boost) in f.searched {
            let tokens = self.tokens(analyzer, text);
            let last = tokens.len().saturating_sub(1);
            for (i, token) in tokens.iter().enumerate() {
                let term = Term::from_field_text(field, token);
                let exact = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
                should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(exact), boost))));
                if analyzer == ENGLISH && token.chars().count() >= 4 {
                    let fuzzy = FuzzyTermQuery::new(term.clone(), 1, true);
                    should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(fuzzy), boost * 0.5))));
                }
                if analyzer == ENGLISH && i == last && typing_last && token.chars().count() >= 2 {
                    let prefix = FuzzyTermQuery::new_prefix(term, 0, true);
                    should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(prefix), boost * 0.5))));
                }
            }
        }
        if should.is_empty() {
            return None;
        }
        let in_store = TermQuery::new(Term::from_field_i64(f.store, store_id), IndexRecordOption::Basic);
        Some(BooleanQuery::new(vec![
            (Occur::Must, Box::new(in_store) as Box<dyn Query>),
            (Occur::Must, Box::new(BooleanQuery::new(should))),
        ]))
    }
}

/// A search result for an article.
fn hit_of(article: &Article, score: f32) -> Hit {
    let id = serde_json::from_str(&article.id_json).unwrap_or_else(|_| serde_json::Value::String(article.id.clone()));
    Hit {
        id,
        question: article.question.clone(),
        snippet: snippet(&article.answer),
        category: article.category.clone(),
        score,
    }
}

/// An article as the export (and the import) format has it.
pub fn article_json(article: &Article) -> serde_json::Value {
    let id = serde_json::from_str(&article.id_json).unwrap_or_else(|_| serde_json::Value::String(article.id.clone()));
    serde_json::json!({
        "id": id,
        "question": article.question,
        "answer": article.answer,
        "category": article.category,
        "tags": article.tags,
        "language": article.language,
    })
}

/// The start of an answer, cut at a word boundary.
fn snippet(answer: &str) -> String {
    let flat: String = answer.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= SNIPPET_CHARS {
        return flat;
    }
    let cut: String = flat.chars().take(SNIPPET_CHARS).collect();
    let at_word = cut.rfind(' ').filter(|at| *at > SNIPPET_CHARS / 2).unwrap_or(cut.len());
    format!("{}…", cut[..at_word].trim_end_matches([',', '.', ';', ':', ' ']))
}

/// How much of a shopper's question an article must cover to be given as the answer.
pub const CONFIDENT_COVERAGE: f64 = 0.6;

/// Keeps the index in step with the database until the relay shuts down.
pub async fn follow_changes(faq: Arc<Faq>, store: Store, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {
                if let Err(error) = faq.sync(&store).await {
                    tracing::warn!(%error, "FAQ index could not follow a change");
                }
            }
        }
    }
}
