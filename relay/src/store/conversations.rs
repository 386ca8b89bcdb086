//! Conversations: opening one for a shopper, finding it, listing a store's, closing and
//! reopening, and the summaries agents see. Their messages are in `messages.rs`, their routing
//! timeline and waits in `timeline.rs`; rows become records in `rows.rs`.

use super::db::{self, Row};
use protocol::{ConversationSummary, Seq};

use super::messages::{insert_message, OwnedMessage};
use super::rows::{message_from_row, MESSAGE_COLUMNS};
use super::search::Scope;
use super::statements::{vals, Statements, Values};
use super::{now_millis, AppendOutcome, NewMessage, Store, StoreError};

/// The conversation facts the relay checks before letting anyone touch it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConversationRecord {
    /// Its id.
    pub id: i64,
    /// The store it belongs to.
    pub store_id: i64,
    /// The shopper it belongs to.
    pub visitor_id: String,
    /// When it began.
    pub created_at: i64,
    /// The latest sequence number.
    #[sqlx(try_from = "i64")]
    pub last_seq: Seq,
    /// The agent handling it, if any.
    pub assigned_agent_id: Option<i64>,
}

impl Store {
    /// The visitor's open conversation, if any (from memory on SQLite, see `facts`).
    pub async fn open_conversation_of(&self, visitor_id: &str) -> Result<Option<ConversationRecord>, StoreError> {
        self.open_of_visitor(visitor_id).await
    }

    /// Opens a conversation for a visitor who has none open (the caller checked). The flag says
    /// whether it was created here: another tab of the same visitor may have been first.
    pub async fn create_conversation(
        &self,
        store_id: i64,
        visitor_id: &str,
    ) -> Result<(ConversationRecord, bool), StoreError> {
        let (conversation, created, _) = self.open_with_message(store_id, visitor_id, None).await?;
        Ok((conversation, created))
    }

    /// Opens a conversation for a visitor who has none open (or finds the one another tab just
    /// opened) and stores its first message with it, in one write: the shopper's first message
    /// costs one commit. The flag says whether the conversation was created here.
    pub async fn open_with_message(
        &self,
        store_id: i64,
        visitor_id: &str,
        first: Option<&NewMessage<'_>>,
    ) -> Result<(ConversationRecord, bool, Option<AppendOutcome>), StoreError> {
        let visitor = visitor_id.to_owned();
        let first = first.map(OwnedMessage::from);
        let role = first.is_some().then_some(protocol::Role::Visitor);
        let facts = self.facts.clone();
        self.job(
            move |conn| {
                let (conversation, created) = match insert_conversation(conn, store_id, &visitor)? {
                    Some(created) => (created, true),
                    // Another connection of the same visitor created it a moment ago.
                    None => (open_one_of(conn, &visitor)?, false),
                };
                let language = if created { language_of(conn, &visitor)? } else { None };
                let outcome = match &first {
                    Some(m) => Some(insert_message(conn, conversation.id, m)?),
                    None => None,
                };
                Ok((conversation, created, outcome, language))
            },
            move |(c, created, outcome, language)| {
                if *created {
                    facts.opened(
                        c.id,
                        super::ConversationFacts {
                            store_id: c.store_id,
                            visitor_id: c.visitor_id.clone(),
                            created_at: c.created_at,
                            last_seq: c.last_seq,
                            assignee: c.assigned_agent_id,
                            human_replied: false,
                            away_state: None,
                            language: language.clone(),
                        },
                    );
                }
                if let (Some(outcome), Some(role)) = (outcome, role) {
                    // A conversation's first message is never its first reply.
                    let _ = facts.appended(c.id, outcome.message.seq, role);
                    if !outcome.duplicate {
                        crate::metrics::message(role);
                    }
                }
            },
        )
        .await
        .map(|(c, created, outcome, _)| (c, created, outcome))
    }

    /// A conversation by id (an open one from memory).
    pub async fn conversation(&self, id: i64) -> Result<Option<ConversationRecord>, StoreError> {
        if let Some(facts) = self.facts_of(id).await? {
            return Ok(Some(facts.record(id)));
        }
        let row = db::query_as::<ConversationRecord>(
            "SELECT id, store_id, visitor_id, created_at, last_seq, assigned_agent_id FROM conversations WHERE id = ?",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .next();
        Ok(row)
    }

    /// The store's open conversations in `scope`, newest first, each with its latest message.
    pub async fn open_conversations(
        &self,
        store_id: i64,
        scope: Scope,
        limit: u32,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let rows = db::query(
            "SELECT id, store_id, visitor_id, created_at, last_seq, assigned_agent_id FROM conversations
             WHERE store_id = ?1 AND closed_at IS NULL
               AND (?2 IS NULL OR assigned_agent_id IS NULL OR assigned_agent_id = ?2)
             ORDER BY id DESC LIMIT ?3",
        )
        .bind(store_id)
        .bind(scope.only())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut summaries = Vec::with_capacity(rows.len());
        for row in rows {
            let record = row.read::<ConversationRecord>()?;
            summaries.push(self.summary(&record).await?);
        }
        Ok(summaries)
    }

    /// The store's closed conversations in `scope`, most recently closed first.
    pub async fn closed_conversations(
        &self,
        store_id: i64,
        scope: Scope,
        limit: u32,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let rows = db::query(
            "SELECT id, store_id, visitor_id, created_at, last_seq, assigned_agent_id FROM conversations
             WHERE store_id = ?1 AND closed_at IS NOT NULL
               AND (?2 IS NULL OR assigned_agent_id IS NULL OR assigned_agent_id = ?2)
             ORDER BY closed_at DESC, id DESC LIMIT ?3",
        )
        .bind(store_id)
        .bind(scope.only())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        self.summaries(rows).await
    }

    /// A visitor's conversations other than `except`, newest first (the context panel's
    /// "previous conversations").
    pub async fn conversations_of_visitor(
        &self,
        visitor_id: &str,
        except: i64,
        limit: u32,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let rows = db::query(
            "SELECT id, store_id, visitor_id, created_at, last_seq, assigned_agent_id FROM conversations
             WHERE visitor_id = ? AND id != ? ORDER BY id DESC LIMIT ?",
        )
        .bind(visitor_id)
        .bind(except)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        self.summaries(rows).await
    }

    pub(super) async fn summaries(&self, rows: Vec<Row>) -> Result<Vec<ConversationSummary>, StoreError> {
        let mut summaries = Vec::with_capacity(rows.len());
        for row in rows {
            summaries.push(self.summary(&row.read::<ConversationRecord>()?).await?);
        }
        Ok(summaries)
    }

    /// Opens a closed conversation again, recording `reopened` by `agent_id`. Fails with
    /// `AlreadyExists` when the shopper has started a newer conversation meanwhile, and returns
    /// false when it was not closed.
    pub async fn reopen_conversation(&self, conversation_id: i64, agent_id: i64) -> Result<bool, StoreError> {
        let facts = self.facts.clone();
        self.job(
            move |conn| {
                let reopened = conn
                    .execute(
                        "UPDATE conversations SET closed_at = NULL,
                           reopened = CASE WHEN closed_at >= ?2 THEN 1 ELSE reopened END
                         WHERE id = ?1 AND closed_at IS NOT NULL",
                        vals![conversation_id, now_millis() - super::closing::REOPEN_UNRESOLVES_MS],
                    )
                    .map_err(|e| match e {
                        StoreError::AlreadyExists(_) => {
                            StoreError::AlreadyExists("the shopper has started a newer conversation".into())
                        }
                        e => e,
                    })?
                    == 1;
                if reopened {
                    conn.execute(
                        "INSERT INTO conversation_events (conversation_id, kind, agent_id, at) VALUES (?, 'reopened', ?, ?)",
                        vals![conversation_id, agent_id, now_millis()],
                    )?;
                    return super::facts::read_one(conn, conversation_id);
                }
                Ok(None)
            },
            move |reopened| {
                if let Some(open) = reopened {
                    facts.opened(conversation_id, open.clone());
                }
            },
        )
        .await
        .map(|reopened| reopened.is_some())
    }

    /// The inbox summary of a conversation.
    pub async fn summary(&self, record: &ConversationRecord) -> Result<ConversationSummary, StoreError> {
        let last = db::query(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT 1"
        ))
        .bind(record.id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .next();
        // Unread counts only what the shopper wrote: the bot's and the system's lines need nobody.
        let row = db::query(
            "SELECT c.follow_up_email, c.agent_read_seq, c.visitor_read_seq, c.closed_at, c.closing_at, \
             r.score AS rating, r.comment AS rating_comment, \
             CASE WHEN c.closed_at IS NULL THEN NULL WHEN c.resolved = 1 AND c.reopened = 0 THEN 1 ELSE 0 END AS resolved, \
             (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id \
              AND m.seq > c.agent_read_seq AND m.author_role = 'visitor') AS unread \
             FROM conversations c LEFT JOIN ratings r ON r.conversation_id = c.id WHERE c.id = ?",
        )
        .bind(record.id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .next()
        .ok_or(sqlx::Error::RowNotFound)?;
        Ok(ConversationSummary {
            id: record.id,
            visitor_id: record.visitor_id.clone(),
            created_at: record.created_at,
            last_seq: record.last_seq,
            last_message: last.map(|r| message_from_row(&r)),
            assigned_agent_id: record.assigned_agent_id,
            follow_up_email: row.get("follow_up_email"),
            agent_read_seq: row.get::<i64, _>("agent_read_seq").max(0) as Seq,
            unread_from_shopper: row.get::<i64, _>("unread").clamp(0, i64::from(u32::MAX)) as u32,
            visitor_read_seq: row.get::<i64, _>("visitor_read_seq").max(0) as Seq,
            closed_at: row.get("closed_at"),
            closes_at: row.get("closing_at"),
            resolved: row.maybe_flag("resolved"),
            rating: row.get::<Option<i64>, _>("rating").and_then(|s| u8::try_from(s).ok()),
            rating_comment: row.get("rating_comment"),
        })
    }

    /// Ends a conversation (its wait with it) and records `closed` in its timeline; returns
    /// false when it was already closed.
    pub async fn close_conversation(
        &self,
        conversation_id: i64,
        by_agent_id: Option<i64>,
        resolved: bool,
    ) -> Result<bool, StoreError> {
        let facts = self.facts.clone();
        self.job(
            move |conn| {
                let now = now_millis();
                let closed = conn.execute(
                    "UPDATE conversations SET closed_at = ?, awaiting_since = NULL, closing_at = NULL, resolved = ?
                     WHERE id = ? AND closed_at IS NULL",
                    vals![now, resolved, conversation_id],
                )? == 1;
                if closed {
                    conn.execute(
                        "INSERT INTO conversation_events (conversation_id, kind, agent_id, at) VALUES (?, 'closed', ?, ?)",
                        vals![conversation_id, by_agent_id, now],
                    )?;
                }
                Ok(closed)
            },
            move |_| facts.closed(conversation_id),
        )
        .await
    }

    /// When a conversation was closed (ms), if it was.
    pub async fn closed_at(&self, conversation_id: i64) -> Result<Option<i64>, StoreError> {
        let at = db::query_scalar("SELECT closed_at FROM conversations WHERE id = ?")
            .bind(conversation_id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .next();
        Ok(at.flatten())
    }
}

/// Inserts a visitor's open conversation, unless they have one (`None`), in a write job. The
/// numbering goes on from the visitor's earlier conversations, so that a client's `last_seq`
/// stays meaningful across a close.
fn insert_conversation(
    conn: &dyn Statements,
    store_id: i64,
    visitor: &str,
) -> Result<Option<ConversationRecord>, StoreError> {
    let row = conn.row(
        "INSERT INTO conversations (store_id, visitor_id, created_at, last_seq)
         VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(last_seq), 0) FROM conversations WHERE visitor_id = ?2))
         ON CONFLICT DO NOTHING
         RETURNING id, store_id, visitor_id, created_at, last_seq, assigned_agent_id",
        vals![store_id, visitor, now_millis()],
    )?;
    Ok(row.map(|r| record_of(&r)))
}

/// The browser language a visitor last reported, in a write job.
fn language_of(conn: &dyn Statements, visitor: &str) -> Result<Option<String>, StoreError> {
    Ok(conn.row("SELECT language FROM visitors WHERE id = ?", vals![visitor])?.and_then(|r| r.opt_text(0)))
}

/// The visitor's open conversation, in a write job.
fn open_one_of(conn: &dyn Statements, visitor: &str) -> Result<ConversationRecord, StoreError> {
    let row = conn.row(
        "SELECT id, store_id, visitor_id, created_at, last_seq, assigned_agent_id FROM conversations
         WHERE visitor_id = ? AND closed_at IS NULL",
        vals![visitor],
    )?;
    let row = row.ok_or_else(|| StoreError::NotFound("conversation vanished while being created".into()))?;
    Ok(record_of(&row))
}

fn record_of(row: &Values) -> ConversationRecord {
    ConversationRecord {
        id: row.int(0),
        store_id: row.int(1),
        visitor_id: row.text(2),
        created_at: row.int(3),
        last_seq: row.int(4).max(0) as Seq,
        assigned_agent_id: row.opt_int(5),
    }
}
