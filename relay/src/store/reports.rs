//! What the reports read: one row per conversation started in a period (its stored times,
//! not its messages), the articles' votes and the unanswered questions; and, for tests and the
//! report benchmark, finished conversations written with the times they give.

use protocol::{Role, Unanswered};

use super::db;
use super::facts::read_one;
use super::rows::role_name;
use super::statements::{vals, Statements};
use super::{Store, StoreError};

/// One conversation as the reports see it (times in ms).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportRow {
    /// When it began.
    pub created_at: i64,
    /// The shopper's first message.
    pub first_visitor_at: Option<i64>,
    /// The first human reply, and who gave it.
    pub first_human_at: Option<i64>,
    /// The agent who gave it.
    pub first_human_by: Option<i64>,
    /// The bot's first reply.
    pub first_bot_at: Option<i64>,
    /// When it was closed.
    pub closed_at: Option<i64>,
    /// Whether its close was resolved (and it was never reopened within 7 days of a close).
    pub resolved: bool,
    /// Its agent now (or when it closed).
    pub assignee: Option<i64>,
    /// Whether the bot answered from the FAQ with no answer voted unhelpful, or showed an order.
    pub bot_answered: bool,
    /// The shopper's rating.
    pub rating: Option<u8>,
    /// Whether the shopper started it by answering a proactive message.
    pub proactive_rule: bool,
}

/// A finished conversation to write as it happened (tests, the report benchmark).
#[derive(Debug, Clone, Default)]
pub struct PastConversation {
    /// The shopper (created when new).
    pub visitor_id: String,
    /// When it began.
    pub created_at: i64,
    /// Its messages: who (role and author id), what, when.
    pub messages: Vec<(Role, String, String, i64)>,
    /// The agent who had it.
    pub assignee: Option<i64>,
    /// When it was closed (open when absent), and whether resolved.
    pub closed: Option<(i64, bool)>,
    /// The shopper's rating.
    pub rating: Option<u8>,
    /// Whether the bot showed the shopper an order.
    pub order_answered: bool,
}

impl Store {
    /// Records that the bot showed the shopper an order in the conversation.
    pub async fn mark_order_answered(&self, conversation_id: i64) -> Result<(), StoreError> {
        self.execute("UPDATE conversations SET order_answered = 1 WHERE id = ?", vals![conversation_id]).await.map(drop)
    }

    /// Every conversation of the store started in `[from, to)` (ms). Read with a read-only
    /// connection of its own on the blocking pool: a period holds up to hundreds of thousands
    /// of rows, which rusqlite reads about three times faster than the shared pool.
    pub async fn report_rows(&self, store_id: i64, from: i64, to: i64) -> Result<Vec<ReportRow>, StoreError> {
        let Some(lite) = &self.lite else {
            let rows = db::query(REPORT_ROWS).bind(store_id).bind(from).bind(to).fetch_all(&self.pool).await?;
            return Ok(rows
                .iter()
                .map(|r| ReportRow {
                    created_at: r.get(0),
                    first_visitor_at: r.get(1),
                    first_human_at: r.get(2),
                    first_human_by: r.get(3),
                    first_bot_at: r.get(4),
                    closed_at: r.get(5),
                    resolved: r.flag(6),
                    assignee: r.get(7),
                    bot_answered: r.flag(8),
                    rating: r.get::<Option<i64>, _>(9).and_then(|s| u8::try_from(s).ok()),
                    proactive_rule: r.flag(10),
                })
                .collect());
        };
        let path = lite.path.clone();
        tokio::task::spawn_blocking(move || read_rows(&path, store_id, from, to))
            .await
            .map_err(|e| StoreError::Database(sqlx::Error::Io(std::io::Error::other(e.to_string()))))?
    }

    /// The most asked unanswered questions last asked in `[from, to)`.
    pub async fn unanswered_between(&self, store_id: i64, from: i64, to: i64) -> Result<Vec<Unanswered>, StoreError> {
        let rows = db::query(
            "SELECT query, count FROM faq_unanswered WHERE store_id = ? AND last_at >= ? AND last_at < ?
             ORDER BY count DESC, last_at DESC LIMIT 100",
        )
        .bind(store_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Unanswered { question: r.get(0), count: u32::try_from(r.get::<i64, _>(1)).unwrap_or(0) })
            .collect())
    }

    /// Writes conversations as they happened, with their own times, in one batch (for tests
    /// and the report benchmark; a live relay's conversations come through the chat).
    pub async fn import_past(&self, store_id: i64, past: Vec<PastConversation>) -> Result<(), StoreError> {
        let facts = self.facts.clone();
        self.job(
            move |conn| {
                let mut open = Vec::new();
                for conversation in &past {
                    let id = write_past(conn, store_id, conversation)?;
                    if conversation.closed.is_none() {
                        open.extend(read_one(conn, id)?.map(|f| (id, f)));
                    }
                }
                Ok(open)
            },
            move |open| {
                for (id, opened) in open {
                    facts.opened(*id, opened.clone());
                }
            },
        )
        .await
        .map(drop)
    }
}

/// The columns of a report row, flags as 0 and 1 (both databases).
const REPORT_ROWS: &str =
    "SELECT c.created_at, c.first_visitor_message_at, c.first_human_reply_at, c.first_human_reply_by,
        c.first_bot_reply_at, c.closed_at, CASE WHEN c.resolved = 1 AND c.reopened = 0 THEN 1 ELSE 0 END,
        c.assigned_agent_id,
        CASE WHEN (c.faq_answers > 0 AND NOT EXISTS (SELECT 1 FROM faq_feedback f
            WHERE f.conversation_id = c.id AND f.helpful = 0)) OR c.order_answered = 1 THEN 1 ELSE 0 END,
        r.score, CASE WHEN c.proactive_rule_id IS NOT NULL THEN 1 ELSE 0 END
 FROM conversations c LEFT JOIN ratings r ON r.conversation_id = c.id
 WHERE c.store_id = ? AND c.created_at >= ? AND c.created_at < ?";

/// The rows of [`Store::report_rows`], on a fresh read-only connection.
fn read_rows(path: &std::path::Path, store_id: i64, from: i64, to: i64) -> Result<Vec<ReportRow>, StoreError> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let mut statement = conn.prepare(REPORT_ROWS)?;
    let rows = statement.query_map(rusqlite::params![store_id, from, to], |r| {
        Ok(ReportRow {
            created_at: r.get(0)?,
            first_visitor_at: r.get(1)?,
            first_human_at: r.get(2)?,
            first_human_by: r.get(3)?,
            first_bot_at: r.get(4)?,
            closed_at: r.get(5)?,
            resolved: r.get(6)?,
            assignee: r.get(7)?,
            bot_answered: r.get(8)?,
            rating: r.get::<_, Option<i64>>(9)?.and_then(|s| u8::try_from(s).ok()),
            proactive_rule: r.get(10)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// One past conversation, in a write job; returns its id.
fn write_past(conn: &dyn Statements, store_id: i64, c: &PastConversation) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT OR IGNORE INTO visitors (id, store_id, created_at) VALUES (?, ?, ?)",
        vals![c.visitor_id.as_str(), store_id, c.created_at],
    )?;
    let id = conn
        .row(
            "INSERT INTO conversations (store_id, visitor_id, created_at, last_seq, closed_at) VALUES (?, ?, ?, 0, ?)
             RETURNING id",
            vals![store_id, c.visitor_id.as_str(), c.created_at, c.closed.map(|(at, _)| at)],
        )?
        .map_or(0, |r| r.int(0));
    for (seq, (role, author, text, at)) in c.messages.iter().enumerate() {
        conn.execute(
            "INSERT INTO messages (conversation_id, seq, author_role, author_id, text, created_at)
             VALUES (?, ?, ?, ?, ?, ?)",
            vals![id, seq as i64 + 1, role_name(*role), author.as_str(), text.as_str(), *at],
        )?;
    }
    conn.execute(
        "UPDATE conversations SET assigned_agent_id = ?, resolved = ?, order_answered = ?,
           awaiting_since = CASE WHEN ? = 1 THEN NULL ELSE awaiting_since END WHERE id = ?",
        vals![c.assignee, c.closed.map(|(_, resolved)| resolved), c.order_answered, c.closed.is_some(), id],
    )?;
    if let Some(score) = c.rating {
        let at = c.closed.map_or(c.created_at, |(at, _)| at);
        conn.execute(
            "INSERT INTO ratings (conversation_id, store_id, score, rated_at, changed_at) VALUES (?, ?, ?, ?, ?)",
            vals![id, store_id, score, at, at],
        )?;
    }
    Ok(id)
}
