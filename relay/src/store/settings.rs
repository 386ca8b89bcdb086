//! A store's settings as the console's Settings page and `relay store set` read and write them:
//! one read, one transaction to replace them.

use protocol::StoreSettings;

use super::db;
use super::{Store, StoreError};

impl Store {
    /// A store's settings.
    pub async fn settings(&self, store_id: i64) -> Result<StoreSettings, StoreError> {
        let row = db::query(
            "SELECT name, colour, position, greeting, first_reply_secs, hours, timezone, retention_days,
               closing_wait_secs, idle_close_secs, csat_enabled, email_from, bot_repeat_secs, instant_ack, live_visitors, agent_chat_opens
             FROM stores WHERE id = ?",
        )
        .bind(store_id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound(format!("no store {store_id}")))?;
        let origins = db::query_scalar("SELECT origin FROM store_origins WHERE store_id = ? ORDER BY origin")
            .bind(store_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(StoreSettings {
            name: row.get("name"),
            colour: row.get("colour"),
            position: row.get("position"),
            greeting: row.get("greeting"),
            first_reply_secs: u32::try_from(row.get::<i64, _>("first_reply_secs")).unwrap_or(60),
            hours: row.get("hours"),
            timezone: row.get("timezone"),
            origins,
            retention_days: row.get::<Option<i64>, _>("retention_days").and_then(|d| u32::try_from(d).ok()),
            closing_wait_secs: u32::try_from(row.get::<i64, _>("closing_wait_secs")).unwrap_or(600),
            idle_close_secs: u32::try_from(row.get::<i64, _>("idle_close_secs")).unwrap_or(86_400),
            csat: row.flag("csat_enabled"),
            email_from: row.get("email_from"),
            bot_repeat_secs: row.get::<Option<i64>, _>("bot_repeat_secs").and_then(|s| u32::try_from(s).ok()),
            instant_ack: row.flag("instant_ack"),
            live_visitors: row.flag("live_visitors"),
            agent_chat_opens: row.flag("agent_chat_opens"),
        })
    }

    /// Replaces a store's settings (already validated) in one transaction.
    pub async fn save_settings(&self, store_id: i64, settings: &StoreSettings) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        db::query(
            "UPDATE stores SET name = ?, colour = ?, position = ?, greeting = ?, first_reply_secs = ?, hours = ?,
             timezone = ?, retention_days = ?, closing_wait_secs = ?, idle_close_secs = ?, csat_enabled = ?,
             email_from = ?, bot_repeat_secs = ?, instant_ack = ?, live_visitors = ?,
             agent_chat_opens = ? WHERE id = ?",
        )
        .bind(&settings.name)
        .bind(&settings.colour)
        .bind(&settings.position)
        .bind(settings.greeting.as_deref())
        .bind(i64::from(settings.first_reply_secs))
        .bind(settings.hours.as_deref())
        .bind(&settings.timezone)
        .bind(settings.retention_days.map(i64::from))
        .bind(i64::from(settings.closing_wait_secs))
        .bind(i64::from(settings.idle_close_secs))
        .bind(settings.csat)
        .bind(settings.email_from.as_deref())
        .bind(settings.bot_repeat_secs.map(i64::from))
        .bind(settings.instant_ack)
        .bind(settings.live_visitors)
        .bind(settings.agent_chat_opens)
        .bind(store_id)
        .execute(&mut tx)
        .await?;
        db::query("DELETE FROM store_origins WHERE store_id = ?").bind(store_id).execute(&mut tx).await?;
        for origin in &settings.origins {
            db::query("INSERT OR IGNORE INTO store_origins (store_id, origin) VALUES (?, ?)")
                .bind(store_id)
                .bind(origin)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
        self.forget_hours(store_id);
        Ok(())
    }
}
