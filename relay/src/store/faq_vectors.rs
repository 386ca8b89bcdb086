//! FAQ articles' embeddings, stored beside the articles so that a restart reuses them.

use super::db;
use super::{Store, StoreError};

/// One article's stored embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVector {
    /// The article.
    pub article_id: String,
    /// The model that made it ([`e5::Model::fingerprint`]).
    pub model: String,
    /// A hash of the text embedded: the article changed when it differs.
    pub text_hash: String,
    /// The vector, little-endian `f32`s.
    pub vector: Vec<u8>,
}

impl Store {
    /// A store's stored article vectors.
    pub async fn faq_vectors(&self, store_id: i64) -> Result<Vec<StoredVector>, StoreError> {
        let rows = db::query("SELECT article_id, model, text_hash, vector FROM faq_vectors WHERE store_id = ?")
            .bind(store_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| StoredVector {
                article_id: r.get("article_id"),
                model: r.get("model"),
                text_hash: r.get("text_hash"),
                vector: r.get("vector"),
            })
            .collect())
    }

    /// Stores article vectors (replacing older ones) in one transaction; a vector of an article
    /// deleted meanwhile is dropped.
    pub async fn save_faq_vectors(&self, store_id: i64, vectors: Vec<StoredVector>) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        for v in vectors {
            db::query(
                "INSERT INTO faq_vectors (store_id, article_id, model, text_hash, vector)
                 SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM faq_articles WHERE store_id = ? AND id = ?)
                 ON CONFLICT (store_id, article_id) DO UPDATE SET model = excluded.model,
                   text_hash = excluded.text_hash, vector = excluded.vector",
            )
            .bind(store_id)
            .bind(&v.article_id)
            .bind(&v.model)
            .bind(&v.text_hash)
            .bind(v.vector)
            .bind(store_id)
            .bind(&v.article_id)
            .execute(&mut tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
