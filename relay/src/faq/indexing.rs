//! Keeping the index in step with the database, one article at a time.
//!
//! Each store's articles are read when its FAQ version moves; only the articles that were
//! added, changed or removed are deleted from or added to the index, on the blocking pool, so
//! an admin saving articles in a loop costs one small commit per save and never holds up the
//! async workers. Searches read through the index reader and wait for nothing.

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::{IndexWriter, TantivyDocument, Term};

use super::{semantic, Faq, WRITER_ARENA_BYTES};
use crate::store::{Article, Store, StoreError, StoredVector};

/// What the index holds of one store.
#[derive(Default)]
pub(super) struct Indexed {
    version: i64,
    pub(super) articles: Arc<HashMap<String, Article>>,
    /// Each question's letters and digits in lower case ([`super::words::bare`]), to the id of
    /// the article asking it (the smallest id when several do): a tapped article is found
    /// without a pass over every article.
    pub(super) by_question: HashMap<String, String>,
}

impl Indexed {
    /// What the index holds of a store whose FAQ is `articles` at `version`.
    fn new(version: i64, articles: impl IntoIterator<Item = Article>) -> Indexed {
        let articles: HashMap<String, Article> = articles.into_iter().map(|a| (a.id.clone(), a)).collect();
        let mut by_question = HashMap::<String, String>::new();
        for article in articles.values() {
            let key = super::words::bare(&article.question);
            if key.is_empty() {
                continue;
            }
            let id = by_question.entry(key).or_insert_with(|| article.id.clone());
            if article.id < *id {
                *id = article.id.clone();
            }
        }
        Indexed { version, articles: Arc::new(articles), by_question }
    }
}

/// One store's changes: the ids to take out and the articles to put (back) in.
struct Changes {
    store_id: i64,
    remove: Vec<String>,
    add: Vec<Article>,
}

impl Faq {
    /// Re-indexes what changed in every store whose FAQ version moved since it was last
    /// indexed (everything, the first time); returns how many stores changed.
    pub async fn sync(self: &Arc<Self>, store: &Store) -> Result<usize, StoreError> {
        // One sync at a time: they share the version map and the index writer.
        let _syncing = self.syncing.lock().await;
        let mut changed = 0;
        for (store_id, version) in store.faq_versions().await? {
            let known = self.indexed.lock().unwrap_or_else(|p| p.into_inner()).get(&store_id).map(|i| i.version);
            if known == Some(version) {
                continue;
            }
            let articles = store.articles(store_id).await?;
            let changes = self.changes(store_id, &articles);
            if self.semantic.is_some() {
                self.sync_vectors(store, store_id, &changes).await?;
            }
            if !changes.remove.is_empty() || !changes.add.is_empty() {
                let faq = self.clone();
                tokio::task::spawn_blocking(move || faq.apply(changes))
                    .await
                    .map_err(|e| StoreError::NotWritten(format!("FAQ index: {e}")))??;
            }
            let indexed = Indexed::new(version, articles);
            self.indexed.lock().unwrap_or_else(|p| p.into_inner()).insert(store_id, indexed);
            changed += 1;
        }
        Ok(changed)
    }

    /// Brings the article vectors of one store in step: vectors stored by this model for the
    /// same text are reused, the others are embedded (one article after another, on the
    /// blocking pool) and stored.
    async fn sync_vectors(self: &Arc<Self>, store: &Store, store_id: i64, changes: &Changes) -> Result<(), StoreError> {
        let Some(semantic) = self.semantic.clone() else { return Ok(()) };
        for id in &changes.remove {
            semantic.remove(store_id, id);
        }
        if changes.add.is_empty() {
            return Ok(());
        }
        let stored: HashMap<String, StoredVector> =
            store.faq_vectors(store_id).await?.into_iter().map(|v| (v.article_id.clone(), v)).collect();
        let mut missing = Vec::new();
        for article in &changes.add {
            let reusable = stored
                .get(&article.id)
                .filter(|v| v.model == semantic.fingerprint() && v.text_hash == semantic::text_hash(article))
                .and_then(|v| semantic.decode(&v.vector));
            match reusable {
                Some(vector) => semantic.put(store_id, &article.id, vector),
                None => missing.push(article.clone()),
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let count = missing.len();
        let made = semantic.embed_articles(missing).await;
        let mut rows = Vec::with_capacity(made.len());
        for (id, text_hash, vector) in made {
            let bytes = semantic::encode(&vector);
            semantic.put(store_id, &id, vector.into());
            rows.push(StoredVector {
                article_id: id,
                model: semantic.fingerprint().to_owned(),
                text_hash,
                vector: bytes,
            });
        }
        store.save_faq_vectors(store_id, rows).await?;
        tracing::info!(
            store_id,
            articles = count,
            took_ms = started.elapsed().as_millis() as u64,
            "FAQ articles embedded"
        );
        Ok(())
    }

    /// Replaces every indexed article of one store with `articles`, embedding them when a
    /// model is loaded (benchmarks and tests; blocking).
    pub fn replace_store(&self, store_id: i64, articles: &[Article]) -> Result<(), StoreError> {
        let known: Vec<String> = {
            let indexed = self.indexed.lock().unwrap_or_else(|p| p.into_inner());
            indexed.get(&store_id).map(|i| i.articles.keys().cloned().collect()).unwrap_or_default()
        };
        if let Some(semantic) = &self.semantic {
            for id in &known {
                semantic.remove(store_id, id);
            }
            for article in articles {
                if let Some(vector) = semantic.embed_article(article) {
                    semantic.put(store_id, &article.id, vector.into());
                }
            }
        }
        self.apply(Changes { store_id, remove: known, add: articles.to_vec() })?;
        let replaced = Indexed::new(-1, articles.iter().cloned());
        self.indexed.lock().unwrap_or_else(|p| p.into_inner()).insert(store_id, replaced);
        Ok(())
    }

    /// What differs between the index and the store's `articles`.
    fn changes(&self, store_id: i64, articles: &[Article]) -> Changes {
        let indexed = self.indexed.lock().unwrap_or_else(|p| p.into_inner());
        let empty = HashMap::new();
        let before = indexed.get(&store_id).map_or(&empty, |i| i.articles.as_ref());
        let now: HashMap<&str, &Article> = articles.iter().map(|a| (a.id.as_str(), a)).collect();
        let add: Vec<Article> =
            articles.iter().filter(|a| before.get(&a.id).is_none_or(|old| old != *a)).cloned().collect();
        let mut remove: Vec<String> = before.keys().filter(|id| !now.contains_key(id.as_str())).cloned().collect();
        remove.extend(add.iter().filter(|a| before.contains_key(&a.id)).map(|a| a.id.clone()));
        Changes { store_id, remove, add }
    }

    /// Writes one store's changes to the index and makes them searchable (blocking).
    fn apply(&self, changes: Changes) -> Result<(), StoreError> {
        let f = self.fields;
        let failed = |e: tantivy::TantivyError| StoreError::NotWritten(format!("FAQ index: {e}"));
        let mut writer: IndexWriter = self.index.writer_with_num_threads(1, WRITER_ARENA_BYTES).map_err(failed)?;
        let key = |id: &str| Term::from_field_text(f.key, &format!("{}:{id}", changes.store_id));
        for id in &changes.remove {
            writer.delete_term(key(id));
        }
        for article in &changes.add {
            writer.add_document(self.document(changes.store_id, article)).map_err(failed)?;
        }
        writer.commit().map_err(failed)?;
        // Segments merged now keep searches fast after many small changes.
        writer.wait_merging_threads().map_err(failed)?;
        self.reader.reload().map_err(failed)?;
        Ok(())
    }

    /// The index document of one article.
    fn document(&self, store_id: i64, article: &Article) -> TantivyDocument {
        let f = self.fields;
        let tags = article.tags.join(" ");
        let mut doc = TantivyDocument::default();
        doc.add_i64(f.store, store_id);
        doc.add_text(f.key, format!("{store_id}:{}", article.id));
        doc.add_text(f.id, &article.id);
        doc.add_text(f.id_json, &article.id_json);
        doc.add_text(f.question, &article.question);
        doc.add_text(f.category, &article.category);
        doc.add_text(f.answer, &article.answer);
        doc.add_text(f.tags, serde_json::to_string(&article.tags).unwrap_or_else(|_| "[]".into()));
        doc.add_text(f.language, &article.language);
        for (field, _, _) in f.searched.iter().step_by(3) {
            doc.add_text(*field, &article.question);
        }
        for (field, _, _) in f.searched.iter().skip(1).step_by(3) {
            doc.add_text(*field, &tags);
        }
        for (field, _, _) in f.searched.iter().skip(2).step_by(3) {
            doc.add_text(*field, &article.answer);
        }
        doc
    }
}
