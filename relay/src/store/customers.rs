//! Who the shop says its shoppers are: each store's identity secret, the customers a verified
//! `identify` linked visitors to, what an unsigned one claimed, and the attributes the shop set.
//!
//! A customer has one visitor: every browser and device that proves the same customer id gets
//! that visitor, so its conversations follow the person rather than the browser.

use std::collections::BTreeMap;

use super::db;
use super::{now_millis, Store, StoreError};

/// A store's verified-identity settings, as the visitor socket needs them on `hello`.
#[derive(Clone, PartialEq, Eq)]
pub struct IdentitySettings {
    /// The secret the shop signs customer ids with (64 hex digits).
    pub secret: String,
    /// Whether `identify` without a signature is refused.
    pub required: bool,
}

impl std::fmt::Debug for IdentitySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdentitySettings {{ secret: .., required: {} }}", self.required)
    }
}

/// A customer as agents see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRecord {
    /// The shop's customer id.
    pub id: String,
    /// Their email, as the shop last said.
    pub email: Option<String>,
    /// Their name, as the shop last said.
    pub name: Option<String>,
}

/// A fresh identity secret: 32 random bytes as lowercase hex.
pub(super) fn fresh_secret() -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::NotWritten(format!("no random source: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

impl Store {
    /// The identity settings of a store, making its secret on first use.
    pub async fn identity_settings(&self, store_id: i64) -> Result<IdentitySettings, StoreError> {
        let row = db::query("SELECT identity_secret, require_identity FROM stores WHERE id = ?")
            .bind(store_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no store {store_id}")))?;
        let required = row.get::<i64, _>("require_identity") != 0;
        let secret = match row.get::<Option<String>, _>("identity_secret") {
            Some(secret) => secret,
            // A store made before identities: its secret is made now, once.
            None => {
                db::query("UPDATE stores SET identity_secret = COALESCE(identity_secret, ?) WHERE id = ?")
                    .bind(fresh_secret()?)
                    .bind(store_id)
                    .execute(&self.writer)
                    .await?;
                db::query_scalar("SELECT identity_secret FROM stores WHERE id = ?")
                    .bind(store_id)
                    .fetch_one(&self.writer)
                    .await?
            }
        };
        Ok(IdentitySettings { secret, required })
    }

    /// The store's identity secret by key, made on first use; a new one when `rotate` (the old
    /// one stops verifying at once).
    pub async fn identity_secret(&self, key: &str, rotate: bool) -> Result<String, StoreError> {
        let sql = if rotate {
            "UPDATE stores SET identity_secret = ? WHERE key = ?"
        } else {
            "UPDATE stores SET identity_secret = COALESCE(identity_secret, ?) WHERE key = ?"
        };
        let done = db::query(sql).bind(fresh_secret()?).bind(key).execute(&self.writer).await?;
        super::directory::found_store(done.rows_affected(), key)?;
        let secret = db::query_scalar("SELECT identity_secret FROM stores WHERE key = ?")
            .bind(key)
            .fetch_one(&self.pool)
            .await?;
        Ok(secret)
    }

    /// Turns "only verified identities" on or off.
    pub async fn set_require_identity(&self, key: &str, required: bool) -> Result<(), StoreError> {
        let done = db::query("UPDATE stores SET require_identity = ? WHERE key = ?")
            .bind(i64::from(required))
            .bind(key)
            .execute(&self.writer)
            .await?;
        super::directory::found_store(done.rows_affected(), key)
    }

    /// The customer a visitor is, if a verified `identify` made it theirs.
    pub async fn customer_of(&self, visitor_id: &str) -> Result<Option<String>, StoreError> {
        let found = db::query_scalar("SELECT customer_id FROM visitors WHERE id = ?")
            .bind(visitor_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.flatten())
    }

    /// The visitor of a store's customer, if they have one.
    pub async fn customer_visitor(&self, store_id: i64, customer_id: &str) -> Result<Option<String>, StoreError> {
        let found = db::query_scalar("SELECT visitor_id FROM customers WHERE store_id = ? AND id = ?")
            .bind(store_id)
            .bind(customer_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.flatten())
    }

    /// Records a verified customer (their email and name as the shop says now) and makes
    /// `candidate` their visitor unless they have one already; returns their visitor. Two
    /// devices identifying at once agree on one visitor.
    pub async fn link_customer(
        &self,
        store_id: i64,
        customer_id: &str,
        candidate: &str,
        email: Option<&str>,
        name: Option<&str>,
    ) -> Result<String, StoreError> {
        let mut tx = self.writer.begin().await?;
        let visitor: String = db::query_scalar(
            "INSERT INTO customers (store_id, id, email, name, visitor_id, verified_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (store_id, id) DO UPDATE SET
                 email = COALESCE(excluded.email, customers.email), name = COALESCE(excluded.name, customers.name),
                 visitor_id = COALESCE(customers.visitor_id, excluded.visitor_id), verified_at = excluded.verified_at
             RETURNING visitor_id",
        )
        .bind(store_id)
        .bind(customer_id)
        .bind(email)
        .bind(name)
        .bind(candidate)
        .bind(now_millis())
        .fetch_one(&mut tx)
        .await?;
        db::query("UPDATE visitors SET customer_id = ? WHERE id = ?")
            .bind(customer_id)
            .bind(&visitor)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(visitor)
    }

    /// The customer record of a visitor, if they are one.
    pub async fn customer(&self, visitor_id: &str) -> Result<Option<CustomerRecord>, StoreError> {
        let row = db::query(
            "SELECT c.id, c.email, c.name FROM visitors v JOIN customers c ON c.store_id = v.store_id AND c.id = v.customer_id
             WHERE v.id = ?",
        )
        .bind(visitor_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| CustomerRecord { id: r.get("id"), email: r.get("email"), name: r.get("name") }))
    }

    /// Keeps what an unsigned `identify` claimed (shown to agents as unverified).
    pub async fn set_claimed_contact(
        &self,
        visitor_id: &str,
        email: Option<&str>,
        name: Option<&str>,
    ) -> Result<(), StoreError> {
        db::query("UPDATE visitors SET claimed_email = COALESCE(?, claimed_email), claimed_name = COALESCE(?, claimed_name) WHERE id = ?")
            .bind(email)
            .bind(name)
            .bind(visitor_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// What an unsigned `identify` claimed: email and name.
    pub async fn claimed_contact(&self, visitor_id: &str) -> Result<(Option<String>, Option<String>), StoreError> {
        let row = db::query("SELECT claimed_email, claimed_name FROM visitors WHERE id = ?")
            .bind(visitor_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (r.get("claimed_email"), r.get("claimed_name"))).unwrap_or_default())
    }

    /// A visitor's attributes, by name.
    pub async fn attributes(&self, visitor_id: &str) -> Result<BTreeMap<String, String>, StoreError> {
        let rows = db::query("SELECT name, value FROM visitor_attributes WHERE visitor_id = ? ORDER BY name")
            .bind(visitor_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|r| (r.get("name"), r.get("value"))).collect())
    }

    /// Merges attributes into a visitor's (an empty value removes one). Returns false, keeping
    /// nothing, when the visitor would then have more than `max`.
    pub async fn merge_attributes(
        &self,
        visitor_id: &str,
        attributes: &BTreeMap<String, String>,
        max: usize,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        for (name, value) in attributes {
            let query = if value.is_empty() {
                db::query("DELETE FROM visitor_attributes WHERE visitor_id = ? AND name = ?")
                    .bind(visitor_id)
                    .bind(name)
            } else {
                db::query(
                    "INSERT INTO visitor_attributes (visitor_id, name, value) VALUES (?, ?, ?)
                     ON CONFLICT (visitor_id, name) DO UPDATE SET value = excluded.value",
                )
                .bind(visitor_id)
                .bind(name)
                .bind(value)
            };
            query.execute(&mut tx).await?;
        }
        let count: i64 = db::query_scalar("SELECT COUNT(*) FROM visitor_attributes WHERE visitor_id = ?")
            .bind(visitor_id)
            .fetch_one(&mut tx)
            .await?;
        if count as usize > max {
            tx.rollback().await?;
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }
}
