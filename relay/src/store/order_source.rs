//! Each store's order source setting, and the orders shoppers proved in a conversation.

use super::db;
use super::{Store, StoreError};

/// Where and how the relay asks a store's shop about orders.
#[derive(Clone, PartialEq, Eq)]
pub struct OrderSourceSettings {
    /// The source's URL (http or https), if the store has one.
    pub url: Option<String>,
    /// The secret requests are signed with.
    pub secret: String,
    /// Whether private and loopback addresses may be called (the demo's source is on loopback).
    pub allow_private: bool,
    /// Whether the bot answers order questions while agents are online too.
    pub bot_answers: bool,
}

impl std::fmt::Debug for OrderSourceSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderSourceSettings")
            .field("url", &self.url)
            .field("allow_private", &self.allow_private)
            .field("bot_answers", &self.bot_answers)
            .finish_non_exhaustive()
    }
}

/// A change to a store's order source; `None` keeps what is set.
#[derive(Debug, Default)]
pub struct OrderSourceChange<'a> {
    /// `Some(None)` removes the source.
    pub url: Option<Option<&'a str>>,
    /// The shared secret.
    pub secret: Option<&'a str>,
    /// Allow private and loopback addresses.
    pub allow_private: Option<bool>,
    /// Answer order questions while agents are online.
    pub bot_answers: Option<bool>,
}

impl Store {
    /// A store's order source setting.
    pub async fn order_source(&self, store_id: i64) -> Result<OrderSourceSettings, StoreError> {
        let row = db::query(
            "SELECT order_source_url, order_source_secret, order_source_allow_private, bot_answers_orders
             FROM stores WHERE id = ?",
        )
        .bind(store_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no store {store_id}")))?;
        Ok(OrderSourceSettings {
            url: row.get("order_source_url"),
            secret: row.get::<Option<String>, _>("order_source_secret").unwrap_or_default(),
            allow_private: row.get::<i64, _>("order_source_allow_private") != 0,
            bot_answers: row.get::<i64, _>("bot_answers_orders") != 0,
        })
    }

    /// Changes a store's order source setting (values already checked).
    pub async fn set_order_source(&self, key: &str, change: &OrderSourceChange<'_>) -> Result<(), StoreError> {
        let done = db::query(
            "UPDATE stores SET
                order_source_url = CASE WHEN ?1 = 1 THEN ?2 ELSE order_source_url END,
                order_source_secret = COALESCE(?3, order_source_secret),
                order_source_allow_private = COALESCE(?4, order_source_allow_private),
                bot_answers_orders = COALESCE(?5, bot_answers_orders)
             WHERE key = ?6",
        )
        .bind(change.url.is_some())
        .bind(change.url.flatten())
        .bind(change.secret)
        .bind(change.allow_private.map(i64::from))
        .bind(change.bot_answers.map(i64::from))
        .bind(key)
        .execute(&self.writer)
        .await?;
        super::directory::found_store(done.rows_affected(), key)
    }

    /// Notes that the shopper proved an order (number and email matched) in a conversation.
    pub async fn add_conversation_order(
        &self,
        conversation_id: i64,
        number: &str,
        email: &str,
    ) -> Result<(), StoreError> {
        db::query("INSERT OR IGNORE INTO conversation_orders (conversation_id, order_number, email) VALUES (?, ?, ?)")
            .bind(conversation_id)
            .bind(number)
            .bind(email)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The orders proved in a conversation, as (number, email).
    pub async fn conversation_orders(&self, conversation_id: i64) -> Result<Vec<(String, String)>, StoreError> {
        let rows = db::query("SELECT order_number, email FROM conversation_orders WHERE conversation_id = ?")
            .bind(conversation_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|r| (r.get("order_number"), r.get("email"))).collect())
    }
}
