//! A store's proactive message rules (the console's Bot page manages them, the widget gets the
//! enabled ones with its settings), and which conversations a proactive message started.

use super::db::{self, Row};
use super::statements::vals;
use protocol::{ProactiveForm, ProactiveRule};

use super::{Store, StoreError};

fn rule_of(row: &Row) -> ProactiveRule {
    ProactiveRule {
        id: row.get("id"),
        rule: ProactiveForm {
            pattern: row.get("pattern"),
            after_secs: row.get::<Option<i64>, _>("after_secs").and_then(|s| u32::try_from(s).ok()),
            scroll_percent: row.get::<Option<i64>, _>("scroll_percent").and_then(|p| u8::try_from(p).ok()),
            message: row.get("message"),
            enabled: row.flag("enabled"),
        },
    }
}

impl Store {
    /// The store's rules, in the order the widget tries them.
    pub async fn proactive_rules(&self, store_id: i64) -> Result<Vec<ProactiveRule>, StoreError> {
        let rows = db::query(
            "SELECT id, pattern, after_secs, scroll_percent, message, enabled FROM proactive_rules
             WHERE store_id = ? ORDER BY id",
        )
        .bind(store_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(rule_of).collect())
    }

    /// Adds a rule (already checked), tried after the others.
    pub async fn add_proactive_rule(&self, store_id: i64, form: &ProactiveForm) -> Result<ProactiveRule, StoreError> {
        let sql = "INSERT INTO proactive_rules (store_id, pattern, after_secs, scroll_percent, message, enabled)
                   VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id";
        let f = form.clone();
        let values = vals![store_id, f.pattern, f.after_secs, f.scroll_percent, f.message, f.enabled];
        let id = self.job(move |conn| Ok(conn.row(sql, values)?.map_or(0, |r| r.int(0))), |_| {});
        Ok(ProactiveRule { id: id.await?, rule: form.clone() })
    }

    /// Changes a rule of the store; whether it had one.
    pub async fn change_proactive_rule(
        &self,
        store_id: i64,
        id: i64,
        form: &ProactiveForm,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE proactive_rules SET pattern = ?3, after_secs = ?4, scroll_percent = ?5, message = ?6,
                   enabled = ?7 WHERE store_id = ?1 AND id = ?2";
        let f = form.clone();
        let args = vals![store_id, id, f.pattern, f.after_secs, f.scroll_percent, f.message, f.enabled];
        Ok(self.execute(sql, args).await? > 0)
    }

    /// Removes a rule of the store; whether it had one.
    pub async fn remove_proactive_rule(&self, store_id: i64, id: i64) -> Result<bool, StoreError> {
        let sql = "DELETE FROM proactive_rules WHERE store_id = ?1 AND id = ?2";
        Ok(self.execute(sql, vals![store_id, id]).await? > 0)
    }

    /// Notes that the shopper started `conversation_id` by answering the rule's message.
    pub async fn mark_proactive(&self, conversation_id: i64, rule_id: i64) -> Result<(), StoreError> {
        let sql = "UPDATE conversations SET proactive_rule_id = ?2 WHERE id = ?1";
        self.execute(sql, vals![conversation_id, rule_id]).await.map(drop)
    }
}
