//! Ranking FAQ articles by meaning: a multilingual embedding model (`e5`) beside the lexical
//! index.
//!
//! "when will my stuff arrive" shares no word with "How long does delivery take?", and "物流要几天"
//! none with "多久能到货？"; their embeddings are close. Each article's question and tags are
//! embedded once, when it is saved or imported (on the blocking pool, during the index sync),
//! and the vector is stored beside the article with the model's fingerprint and a hash of the
//! text, so a restart reuses it and another model or an edited article makes it again.
//! Questions are embedded as they are asked (in the search lanes, so a few at a time), and the
//! most recent ones are remembered: as-you-type searches embed only the finished words, which
//! repeat from keystroke to keystroke.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use lru::LruCache;
use sha2::{Digest, Sha256};

use crate::store::Article;

/// The model file `cargo xtask build` puts beside the relay binary, found there without a flag.
pub const MODEL_FILE: &str = "parley-faq-model.bin";

/// Which model the relay ranks with: `--faq-model PATH`; `none` for lexical search only;
/// without the flag, [`MODEL_FILE`] beside the relay binary when it is there.
pub fn model_path(flag: Option<&str>) -> Option<PathBuf> {
    match flag {
        Some("none") => None,
        Some(path) => Some(PathBuf::from(path)),
        None => {
            let beside = std::env::current_exe().ok()?.parent()?.join(MODEL_FILE);
            beside.is_file().then_some(beside)
        }
    }
}

/// Loads the model at `path` on the blocking pool (a few hundred milliseconds: it is read and
/// checked whole), saying in the log which ranking the relay uses.
pub async fn start(path: Option<&Path>, when_idle: bool) -> anyhow::Result<Option<Arc<Semantic>>> {
    let Some(path) = path else {
        tracing::info!("FAQ ranking: lexical only (no model; cargo xtask build puts one beside the relay, or pass --faq-model PATH)");
        return Ok(None);
    };
    let owned = path.to_owned();
    let model = tokio::task::spawn_blocking(move || e5::Model::load(&owned)).await??;
    let semantic = Semantic::with(model, when_idle);
    tracing::info!(model = %path.display(), fingerprint = semantic.fingerprint(), "FAQ ranking: by meaning, with the lexical score");
    Ok(Some(Arc::new(semantic)))
}

/// Query vectors remembered.
const CACHED_QUERIES: usize = 512;

/// One store's article vectors, by article id.
type StoreVectors = HashMap<String, Arc<[f32]>>;

/// The model and every store's article vectors.
pub struct Semantic {
    model: e5::Model,
    stores: RwLock<HashMap<i64, StoreVectors>>,
    recent: Mutex<LruCache<String, Arc<[f32]>>>,
    /// Articles embedded since the start (stored vectors reused are not counted).
    embedded: AtomicUsize,
    /// The indexer thread's queue: articles are embedded there, one at a time, only when a
    /// core is otherwise idle, so a stranger saving articles in a loop cannot slow the chat.
    indexer: Mutex<std::sync::mpsc::Sender<IndexJob>>,
}

/// Work for the indexer thread.
type IndexJob = Box<dyn FnOnce() + Send>;

/// One article embedded: its id, the hash of its text, its vector.
pub type Embedded = (String, String, Vec<f32>);

impl Semantic {
    /// Loads the model at `path`; a missing, truncated or corrupted file is an error.
    pub fn load(path: &Path) -> Result<Semantic, e5::Error> {
        Ok(Semantic::with(e5::Model::load(path)?, false))
    }

    /// Ranking with a model already loaded; articles are embedded only when a core is
    /// otherwise idle if `when_idle` (what a relay does, `RelayConfig::faq_index_when_idle`).
    pub fn with(model: e5::Model, when_idle: bool) -> Semantic {
        let size = NonZeroUsize::new(CACHED_QUERIES).unwrap_or(NonZeroUsize::MIN);
        let (indexer, jobs) = std::sync::mpsc::channel::<IndexJob>();
        let started = std::thread::Builder::new().name("faq-indexer".into()).spawn(move || {
            if when_idle && !e5::run_this_thread_when_idle() {
                tracing::debug!("the FAQ indexer runs at normal priority");
            }
            while let Ok(job) = jobs.recv() {
                job();
            }
        });
        if let Err(error) = started {
            tracing::warn!(%error, "no FAQ indexer thread; articles are embedded on the blocking pool");
        }
        Semantic {
            model,
            stores: RwLock::default(),
            recent: Mutex::new(LruCache::new(size)),
            embedded: AtomicUsize::new(0),
            indexer: Mutex::new(indexer),
        }
    }

    /// Names the model's weights; stored vectors made by another model are made again.
    pub fn fingerprint(&self) -> &str {
        self.model.fingerprint()
    }

    /// The vector of a shopper's question (blocking: call it on the blocking pool); `None`
    /// when it has nothing to embed.
    pub fn query(&self, text: &str) -> Option<Arc<[f32]>> {
        let key = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if key.is_empty() {
            return None;
        }
        if let Some(hit) = self.recent.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Some(hit.clone());
        }
        let vector: Arc<[f32]> = self.model.embed(&key, e5::Kind::Query).ok()?.into();
        self.recent.lock().unwrap_or_else(|p| p.into_inner()).put(key, vector.clone());
        Some(vector)
    }

    /// The vector of an article (blocking). Its question and tags are embedded as a question
    /// would be: shoppers' questions are matched against the article's question, and on the
    /// development set this beat embedding the answer too (see README, "FAQ ranking").
    pub fn embed_article(&self, article: &Article) -> Option<Vec<f32>> {
        self.embedded.fetch_add(1, Ordering::Relaxed);
        self.model.embed_in_background(&article_text(article), e5::Kind::Query).ok()
    }

    /// How many articles were embedded since the start: stored vectors that could be reused
    /// were not, so a restart with the same model embeds none.
    pub fn articles_embedded(&self) -> usize {
        self.embedded.load(Ordering::Relaxed)
    }

    /// Embeds articles on the indexer thread (when a core is idle), for an index sync; the
    /// blocking pool does it if that thread is gone.
    pub async fn embed_articles(self: &Arc<Self>, articles: Vec<Article>) -> Vec<Embedded> {
        let (done, result) = tokio::sync::oneshot::channel();
        let worker = self.clone();
        let job: IndexJob = Box::new(move || {
            let _ = done.send(worker.embed_all(&articles));
        });
        let sent = self.indexer.lock().unwrap_or_else(|p| p.into_inner()).send(job);
        if let Err(std::sync::mpsc::SendError(job)) = sent {
            let _ = tokio::task::spawn_blocking(job).await;
        }
        result.await.unwrap_or_default()
    }

    fn embed_all(&self, articles: &[Article]) -> Vec<Embedded> {
        articles.iter().filter_map(|a| Some((a.id.clone(), text_hash(a), self.embed_article(a)?))).collect()
    }

    /// Puts an article's vector in the ranking.
    pub fn put(&self, store_id: i64, article_id: &str, vector: Arc<[f32]>) {
        let mut stores = self.stores.write().unwrap_or_else(|p| p.into_inner());
        stores.entry(store_id).or_default().insert(article_id.to_owned(), vector);
    }

    /// Takes an article out of the ranking.
    pub fn remove(&self, store_id: i64, article_id: &str) {
        let mut stores = self.stores.write().unwrap_or_else(|p| p.into_inner());
        if let Some(store) = stores.get_mut(&store_id) {
            store.remove(article_id);
        }
    }

    /// Whether the ranking holds this article's vector.
    pub fn has(&self, store_id: i64, article_id: &str) -> bool {
        let stores = self.stores.read().unwrap_or_else(|p| p.into_inner());
        stores.get(&store_id).is_some_and(|s| s.contains_key(article_id))
    }

    /// The store's `n` articles closest to `query`, closest first, with their cosines.
    pub fn nearest(&self, store_id: i64, query: &[f32], n: usize) -> Vec<(String, f32)> {
        let stores = self.stores.read().unwrap_or_else(|p| p.into_inner());
        let Some(store) = stores.get(&store_id) else { return Vec::new() };
        let mut scored: Vec<(String, f32)> = store.iter().map(|(id, v)| (id.clone(), e5::cosine(query, v))).collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        scored.truncate(n);
        scored
    }

    /// An article's vector, if it is known.
    pub fn vector(&self, store_id: i64, article_id: &str) -> Option<Arc<[f32]>> {
        let stores = self.stores.read().unwrap_or_else(|p| p.into_inner());
        stores.get(&store_id)?.get(article_id).cloned()
    }

    /// For each article, the best cosine of its vector with any of `queries` (0 when its
    /// vector is not known), under one read of the store's vectors.
    pub fn best_cosines(&self, store_id: i64, article_ids: &[&str], queries: &[Arc<[f32]>]) -> Vec<f32> {
        let stores = self.stores.read().unwrap_or_else(|p| p.into_inner());
        let vectors = stores.get(&store_id);
        let best = |id: &str| {
            let Some(v) = vectors.and_then(|all| all.get(id)) else { return 0.0 };
            queries.iter().map(|q| e5::cosine(q, v)).fold(0.0, f32::max)
        };
        article_ids.iter().map(|id| best(id)).collect()
    }

    /// A stored vector, if it is this model's and the right length.
    pub fn decode(&self, bytes: &[u8]) -> Option<Arc<[f32]>> {
        if bytes.len() != self.model.dim() * 4 {
            return None;
        }
        let floats = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        Some(floats.collect())
    }
}

/// The text of an article that is embedded.
pub fn article_text(article: &Article) -> String {
    format!("{} {}", article.question, article.tags.join(", "))
}

/// A short hash of the text embedded for an article: the stored vector is stale when it differs.
pub fn text_hash(article: &Article) -> String {
    let digest = Sha256::digest(article_text(article).as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// A vector as stored: little-endian `f32`s.
pub fn encode(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}
