//! The shop's own words: each store's versions of the bot's texts, per language, and what fills
//! their placeholders (the store's name, the shopper's).

use super::db;
use super::statements::vals;
use super::{Store, StoreError};

/// What the bot speaks with for a store: its name, greeting, own texts and acknowledgement flag.
pub struct StoreTexts {
    /// The store's display name.
    pub name: String,
    /// The greeting in Settings.
    pub greeting: Option<String>,
    /// Whether the store acknowledges a first message at once (`instant_ack`).
    pub instant_ack: bool,
    /// Its own texts: (name, language, text).
    pub own: Vec<(String, String, String)>,
}

impl Store {
    /// The store's name and greeting, and every text it rewrote.
    pub async fn store_texts(&self, store_id: i64) -> Result<StoreTexts, StoreError> {
        let row = db::query("SELECT name, greeting, instant_ack FROM stores WHERE id = ?")
            .bind(store_id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::NotFound(format!("no store {store_id}")))?;
        let own = db::query("SELECT name, lang, text FROM store_texts WHERE store_id = ? ORDER BY name, lang")
            .bind(store_id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|r| (r.get("name"), r.get("lang"), r.get("text")))
            .collect();
        Ok(StoreTexts {
            name: row.get("name"),
            greeting: row.get("greeting"),
            instant_ack: row.flag("instant_ack"),
            own,
        })
    }

    /// Sets the store's version of a text in a language (already checked), or with `None`
    /// goes back to the default.
    pub async fn set_store_text(
        &self,
        store_id: i64,
        name: &str,
        lang: &str,
        text: Option<&str>,
    ) -> Result<(), StoreError> {
        match text {
            Some(text) => {
                let sql = "INSERT INTO store_texts (store_id, name, lang, text) VALUES (?1, ?2, ?3, ?4)
                           ON CONFLICT (store_id, name, lang) DO UPDATE SET text = excluded.text";
                self.execute(sql, vals![store_id, name.to_owned(), lang.to_owned(), text.to_owned()]).await?
            }
            None => {
                let sql = "DELETE FROM store_texts WHERE store_id = ?1 AND name = ?2 AND lang = ?3";
                self.execute(sql, vals![store_id, name.to_owned(), lang.to_owned()]).await?
            }
        };
        Ok(())
    }

    /// The name the shopper is known by: the shop's verified customer's, else what an
    /// unsigned `identify` said.
    pub async fn shopper_name(&self, visitor_id: &str) -> Result<Option<String>, StoreError> {
        let names: Vec<Option<String>> = db::query_scalar(
            "SELECT COALESCE(c.name, v.claimed_name) FROM visitors v
             LEFT JOIN customers c ON c.store_id = v.store_id AND c.id = v.customer_id
             WHERE v.id = ?",
        )
        .bind(visitor_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(names.into_iter().next().flatten().filter(|n| !n.trim().is_empty()))
    }
}
