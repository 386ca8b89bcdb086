//! What the agents' console keeps beyond conversations: private notes, canned replies, the
//! shopper's visit (pages, referrer, language, time zone), the team and the store's settings.

use super::db::{self, Row};
use super::statements::vals;
use protocol::{CannedReply, Note, PageView, TeamMember};
use serde::{Deserialize, Serialize};

use super::{now_millis, unique_violation, Store, StoreError};

/// What the widget told of a shopper's visit.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct VisitorContext {
    /// Where the shopper came from.
    pub referrer: Option<String>,
    /// Their browser's language.
    pub language: Option<String>,
    /// Their IANA time zone.
    pub time_zone: Option<String>,
    /// The pages of this visit, latest first (the first one is where they are now).
    pub pages: Vec<PageView>,
}

/// A change to an agent; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MemberChange {
    /// New display name.
    pub name: Option<String>,
    /// New role.
    pub role: Option<String>,
    /// New capacity.
    pub capacity: Option<u32>,
    /// Activate or deactivate.
    pub active: Option<bool>,
    /// A new password (checked and hashed by the caller; never stored as given).
    #[serde(default)]
    pub password: Option<String>,
}

/// A visit ends after this long without a page (30 minutes, as web analytics count it).
const VISIT_GAP_MS: i64 = 30 * 60 * 1000;
/// How many pages of a visit the context panel lists.
const VISIT_PAGES: i64 = 20;

impl Store {
    /// Stores a private note; a resend with the same client id returns the first copy.
    pub async fn add_note(
        &self,
        conversation_id: i64,
        agent_id: i64,
        agent_name: &str,
        text: &str,
        client_id: &str,
    ) -> Result<Note, StoreError> {
        let (name, text, client) = (agent_name.to_owned(), text.to_owned(), client_id.to_owned());
        let inserted = self
            .job(
                move |conn| {
                    let row = conn.row(
                        "INSERT INTO notes (conversation_id, agent_id, agent_name, text, client_id, created_at)
                         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                         RETURNING id, conversation_id, agent_id, agent_name, text, client_id, created_at",
                        vals![conversation_id, agent_id, name, text, client, now_millis()],
                    )?;
                    Ok(row.map(|r| Note {
                        id: r.int(0),
                        conversation_id: r.int(1),
                        agent_id: r.int(2),
                        agent_name: r.text(3),
                        text: r.text(4),
                        client_id: r.opt_text(5),
                        at: r.int(6),
                    }))
                },
                |_| {},
            )
            .await?;
        if let Some(note) = inserted {
            return Ok(note);
        }
        let rows = db::query(
            "SELECT id, conversation_id, agent_id, agent_name, text, client_id, created_at FROM notes
             WHERE conversation_id = ? AND agent_id = ? AND client_id = ?",
        )
        .bind(conversation_id)
        .bind(agent_id)
        .bind(client_id)
        .fetch_all(&self.pool)
        .await?;
        rows.first().map(note_from_row).ok_or_else(|| StoreError::NotFound("the note vanished".into()))
    }

    /// A conversation's notes, oldest first.
    pub async fn notes(&self, conversation_id: i64) -> Result<Vec<Note>, StoreError> {
        let rows = db::query(
            "SELECT id, conversation_id, agent_id, agent_name, text, client_id, created_at FROM notes
             WHERE conversation_id = ? ORDER BY id",
        )
        .bind(conversation_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(note_from_row).collect())
    }

    /// The store's canned replies, by shortcut.
    pub async fn canned_replies(&self, store_id: i64) -> Result<Vec<CannedReply>, StoreError> {
        let rows = db::query("SELECT id, shortcut, text FROM canned_replies WHERE store_id = ? ORDER BY shortcut")
            .bind(store_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(canned_from_row).collect())
    }

    /// Adds a canned reply; `AlreadyExists` when the shortcut is taken.
    pub async fn add_canned_reply(&self, store_id: i64, shortcut: &str, text: &str) -> Result<CannedReply, StoreError> {
        let rows = db::query(
            "INSERT INTO canned_replies (store_id, shortcut, text, created_at) VALUES (?, ?, ?, ?)
             RETURNING id, shortcut, text",
        )
        .bind(store_id)
        .bind(shortcut)
        .bind(text)
        .bind(now_millis())
        .fetch_all(&self.writer)
        .await
        .map_err(|e| unique_violation(e, || format!("the shortcut /{shortcut} is taken")))?;
        rows.first().map(canned_from_row).ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }

    /// Changes a canned reply; `NotFound` when the store has no such reply.
    pub async fn update_canned_reply(
        &self,
        store_id: i64,
        id: i64,
        shortcut: &str,
        text: &str,
    ) -> Result<CannedReply, StoreError> {
        let rows = db::query(
            "UPDATE canned_replies SET shortcut = ?, text = ? WHERE id = ? AND store_id = ? RETURNING id, shortcut, text",
        )
        .bind(shortcut)
        .bind(text)
        .bind(id)
        .bind(store_id)
        .fetch_all(&self.writer)
        .await
        .map_err(|e| unique_violation(e, || format!("the shortcut /{shortcut} is taken")))?;
        rows.first().map(canned_from_row).ok_or_else(|| StoreError::NotFound(format!("no canned reply {id}")))
    }

    /// Removes a canned reply; false when the store had no such reply.
    pub async fn remove_canned_reply(&self, store_id: i64, id: i64) -> Result<bool, StoreError> {
        let done = db::query("DELETE FROM canned_replies WHERE id = ? AND store_id = ?")
            .bind(id)
            .bind(store_id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a page the shopper saw at `at`, unless it is the one they were already on;
    /// returns the page when it was new. Referrer, language and time zone are kept on the visitor.
    pub async fn record_page(
        &self,
        visitor_id: &str,
        page: &PageView,
        at: i64,
        referrer: Option<&str>,
        language: Option<&str>,
        time_zone: Option<&str>,
    ) -> Result<Option<PageView>, StoreError> {
        let (visitor, url, title) = (visitor_id.to_owned(), page.url.clone(), page.title.clone());
        let (referrer, language, time_zone) =
            (referrer.map(str::to_owned), language.map(str::to_owned), time_zone.map(str::to_owned));
        let (facts, reported) = (self.facts.clone(), (visitor.clone(), language.clone()));
        self.job(
            move |conn| {
                conn.execute(
                    "UPDATE visitors SET referrer = COALESCE(referrer, ?), language = COALESCE(?, language),
                         time_zone = COALESCE(?, time_zone) WHERE id = ?",
                    vals![referrer, language, time_zone, visitor.as_str()],
                )?;
                // A reload of the same page is not a new page.
                let inserted = conn.execute(
                    "INSERT INTO visitor_pages (visitor_id, url, title, at)
                         SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (
                           SELECT 1 FROM visitor_pages WHERE visitor_id = ?1 AND url = ?2 AND title = ?3
                             AND id = (SELECT MAX(id) FROM visitor_pages WHERE visitor_id = ?1))",
                    vals![visitor.as_str(), url.as_str(), title.as_str(), at],
                )? == 1;
                if inserted {
                    // Only the visit's last pages are kept: a new visit (after a 30-minute
                    // pause) drops the old one's, and a visit keeps its latest 20.
                    conn.execute(
                        "DELETE FROM visitor_pages WHERE visitor_id = ?1 AND id < (
                               SELECT MIN(id) FROM (SELECT id FROM visitor_pages WHERE visitor_id = ?1
                                                    ORDER BY id DESC LIMIT ?2) AS recent)",
                        vals![visitor.as_str(), VISIT_PAGES],
                    )?;
                    conn.execute(
                        "DELETE FROM visitor_pages WHERE visitor_id = ?1 AND id < (
                               SELECT MAX(id) FROM visitor_pages WHERE visitor_id = ?1)
                             AND (SELECT MAX(at) FROM visitor_pages WHERE visitor_id = ?1 AND id < (
                               SELECT MAX(id) FROM visitor_pages WHERE visitor_id = ?1)) < ?2 - ?3",
                        vals![visitor.as_str(), at, VISIT_GAP_MS],
                    )?;
                }
                Ok(inserted.then_some(PageView { url, title, at }))
            },
            move |_| {
                if let (visitor, Some(language)) = &reported {
                    facts.language(visitor, language);
                }
            },
        )
        .await
    }

    /// The shopper's visit: referrer, language, time zone and the pages since their last
    /// 30-minute pause, latest first.
    pub async fn visitor_context(&self, visitor_id: &str) -> Result<VisitorContext, StoreError> {
        let row = db::query("SELECT referrer, language, time_zone FROM visitors WHERE id = ?")
            .bind(visitor_id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .next();
        let Some(row) = row else { return Ok(VisitorContext::default()) };
        let rows = db::query("SELECT url, title, at FROM visitor_pages WHERE visitor_id = ? ORDER BY id DESC LIMIT ?")
            .bind(visitor_id)
            .bind(VISIT_PAGES)
            .fetch_all(&self.pool)
            .await?;
        let mut pages: Vec<PageView> = Vec::new();
        for r in &rows {
            let page = PageView { url: r.get("url"), title: r.get("title"), at: r.get("at") };
            if pages.last().is_some_and(|later| later.at - page.at > VISIT_GAP_MS) {
                break;
            }
            pages.push(page);
        }
        Ok(VisitorContext {
            referrer: row.get("referrer"),
            language: row.get("language"),
            time_zone: row.get("time_zone"),
            pages,
        })
    }

    /// The store's agents, by name.
    pub async fn team(&self, store_id: i64) -> Result<Vec<TeamMember>, StoreError> {
        let rows = db::query(
            "SELECT id, email, name, role, capacity, active FROM agents WHERE store_id = ? ORDER BY name, id",
        )
        .bind(store_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(member_from_row).collect())
    }

    /// One agent of the store.
    pub async fn team_member(&self, store_id: i64, agent_id: i64) -> Result<Option<TeamMember>, StoreError> {
        let rows =
            db::query("SELECT id, email, name, role, capacity, active FROM agents WHERE id = ? AND store_id = ?")
                .bind(agent_id)
                .bind(store_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.first().map(member_from_row))
    }

    /// Changes an agent of the store. Deactivating ends every session they have.
    pub async fn change_member(
        &self,
        store_id: i64,
        agent_id: i64,
        change: &MemberChange,
    ) -> Result<TeamMember, StoreError> {
        let mut tx = self.writer.begin().await?;
        let rows = db::query(
            "UPDATE agents SET name = COALESCE(?, name), role = COALESCE(?, role),
             capacity = COALESCE(?, capacity), active = COALESCE(?, active)
             WHERE id = ? AND store_id = ? RETURNING id, email, name, role, capacity, active",
        )
        .bind(change.name.as_deref())
        .bind(change.role.as_deref())
        .bind(change.capacity.map(i64::from))
        .bind(change.active)
        .bind(agent_id)
        .bind(store_id)
        .fetch_all(&mut tx)
        .await?;
        let member =
            rows.first().map(member_from_row).ok_or_else(|| StoreError::NotFound(format!("no agent {agent_id}")))?;
        if !member.active {
            db::query("DELETE FROM agent_sessions WHERE agent_id = ?").bind(agent_id).execute(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(member)
    }

    /// Sets an agent's password hash and ends every session they have but `keep` (the session
    /// of an agent changing their own password).
    pub async fn set_password(
        &self,
        store_id: i64,
        agent_id: i64,
        password_hash: &str,
        keep: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let done = db::query("UPDATE agents SET password_hash = ? WHERE id = ? AND store_id = ?")
            .bind(password_hash)
            .bind(agent_id)
            .bind(store_id)
            .execute(&mut tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("no agent {agent_id}")));
        }
        db::query("DELETE FROM agent_sessions WHERE agent_id = ? AND token_hash IS NOT ?")
            .bind(agent_id)
            .bind(keep)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn note_from_row(r: &Row) -> Note {
    Note {
        id: r.get("id"),
        conversation_id: r.get("conversation_id"),
        agent_id: r.get("agent_id"),
        agent_name: r.get("agent_name"),
        text: r.get("text"),
        client_id: r.get("client_id"),
        at: r.get("created_at"),
    }
}

fn canned_from_row(r: &Row) -> CannedReply {
    CannedReply { id: r.get("id"), shortcut: r.get("shortcut"), text: r.get("text") }
}

fn member_from_row(r: &Row) -> TeamMember {
    TeamMember {
        id: r.get("id"),
        email: r.get("email"),
        name: r.get("name"),
        role: super::directory::role_of(r),
        capacity: u32::try_from(r.get::<i64, _>("capacity")).unwrap_or(0),
        active: r.get::<i64, _>("active") != 0,
        status: None,
    }
}
