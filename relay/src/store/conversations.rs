//! Conversations and their messages: the data a relay must never lose.

use protocol::{Author, ConversationSummary, Message, Role, Seq};
use sqlx::sqlite::SqliteRow;
use sqlx::{Connection, Row};

use super::{now_millis, Store, StoreError};

/// The conversation facts the relay checks before letting anyone touch it.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub last_seq: Seq,
    /// The agent handling it, if any.
    pub assigned_agent_id: Option<i64>,
}

/// A conversation whose shopper waited past the deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overdue {
    /// The conversation.
    pub conversation_id: i64,
    /// Its store.
    pub store_id: i64,
    /// When the unanswered wait began (ms).
    pub awaiting_since: i64,
    /// Whether a human had replied earlier in the conversation (a next-reply wait).
    pub answered_before: bool,
}

/// A message to append.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// Who writes it.
    pub role: Role,
    /// The writer's id: the visitor id, or the agent id as text.
    pub author_id: &'a str,
    /// The display name (agents, bot).
    pub author_name: Option<&'a str>,
    /// The text, already validated.
    pub text: &'a str,
    /// The sender's id for the message, which makes resends idempotent.
    pub client_id: Option<&'a str>,
    /// The FAQ article a bot answer comes from.
    pub faq_article: Option<&'a str>,
}

/// What appending a message did.
#[derive(Debug, Clone)]
pub struct AppendOutcome {
    /// The stored message (the earlier copy when this was a resend).
    pub message: Message,
    /// True when a message with the same client id already existed and nothing was written.
    pub duplicate: bool,
}

/// What the bot needs to know of a conversation and its store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotContext {
    /// Where the away conversation stands (`asked_email`, `email_left`), if anywhere.
    pub away_state: Option<String>,
    /// Whether a human has replied in it.
    pub human_replied: bool,
    /// The store's business hours (`None`: always open).
    pub hours: Option<String>,
    /// Their time zone.
    pub timezone: String,
}

/// What a routing event in a conversation's timeline records: how it came to its agent or to
/// the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Given to an agent by routing.
    Assigned,
    /// Put in the queue (nobody free).
    Queued,
    /// Taken from the queue or another agent by an agent.
    Claimed,
    /// Handed by its agent to another.
    Transferred,
    /// Put back in the queue by its agent.
    Released,
    /// Moved on when its first-reply deadline passed.
    Rerouted,
    /// Taken from an agent who went offline.
    Offline,
    /// Closed (the capacity it held goes to the queue).
    Closed,
}

impl EventKind {
    /// The name stored in the timeline (and shown in it).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Assigned => "assigned",
            EventKind::Queued => "queued",
            EventKind::Claimed => "claimed",
            EventKind::Transferred => "transferred",
            EventKind::Released => "released",
            EventKind::Rerouted => "rerouted",
            EventKind::Offline => "offline",
            EventKind::Closed => "closed",
        }
    }
}

/// A routing event for a conversation's timeline (`assigned`, `queued`, `claimed`,
/// `transferred`, `released`, `rerouted`, `offline`); writing it also sets the assignee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingEvent {
    /// The conversation.
    pub conversation_id: i64,
    /// What happened.
    pub kind: EventKind,
    /// Who has the conversation now (`None`: the queue).
    pub agent_id: Option<i64>,
    /// Who had it before, for moves between agents.
    pub from_agent_id: Option<i64>,
    /// When (ms).
    pub at: i64,
}

const MESSAGE_COLUMNS: &str =
    "id, conversation_id, seq, author_role, author_name, text, client_id, created_at, faq_article_id";

impl Store {
    /// The visitor's open conversation, if any.
    pub async fn open_conversation_of(&self, visitor_id: &str) -> Result<Option<ConversationRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, store_id, visitor_id, created_at, last_seq, assigned_agent_id FROM conversations
             WHERE visitor_id = ? AND closed_at IS NULL",
        )
        .bind(visitor_id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .next();
        Ok(row.map(|r| conversation_from_row(&r)))
    }

    /// Opens a conversation for a visitor who has none open (the caller checked). The flag says
    /// whether it was created here: another tab of the same visitor may have been first.
    pub async fn create_conversation(
        &self,
        store_id: i64,
        visitor_id: &str,
    ) -> Result<(ConversationRecord, bool), StoreError> {
        let visitor = visitor_id.to_owned();
        let inserted = self
            .writes
            .write(move |conn| {
                Box::pin(async move {
                    // The numbering goes on from the visitor's earlier conversations, so that a
                    // client's `last_seq` stays meaningful across a close.
                    let row = sqlx::query(
                        "INSERT INTO conversations (store_id, visitor_id, created_at, last_seq)
                         VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(last_seq), 0) FROM conversations WHERE visitor_id = ?2))
                         ON CONFLICT DO NOTHING
                         RETURNING id, store_id, visitor_id, created_at, last_seq, assigned_agent_id",
                    )
                    .bind(store_id)
                    .bind(visitor)
                    .bind(now_millis())
                    .fetch_all(conn)
                    .await?
                    .into_iter()
                    .next();
                    Ok(row.map(|r| conversation_from_row(&r)))
                })
            })
            .await?;
        match inserted {
            Some(created) => Ok((created, true)),
            // Another connection of the same visitor created it a moment ago.
            None => self
                .open_conversation_of(visitor_id)
                .await?
                .map(|c| (c, false))
                .ok_or_else(|| StoreError::NotFound("conversation vanished while being created".into())),
        }
    }

    /// A conversation by id.
    pub async fn conversation(&self, id: i64) -> Result<Option<ConversationRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, store_id, visitor_id, created_at, last_seq, assigned_agent_id FROM conversations WHERE id = ?",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .next();
        Ok(row.map(|r| conversation_from_row(&r)))
    }

    /// Appends a message with the next sequence number, durably, in one statement (a trigger
    /// updates the conversation in the same step). A resend (same author and client id) returns
    /// the stored copy instead of writing a second one.
    pub async fn append_message(
        &self,
        conversation_id: i64,
        new: &NewMessage<'_>,
    ) -> Result<AppendOutcome, StoreError> {
        let role = role_name(new.role);
        let author_id = new.author_id.to_owned();
        let author_name = new.author_name.map(str::to_owned);
        let text = new.text.to_owned();
        let client_id = new.client_id.map(str::to_owned);
        let faq_article = new.faq_article.map(str::to_owned);
        let inserted = self
            .writes
            .write(move |conn| {
                Box::pin(async move {
                    let row = sqlx::query(&format!(
                        "INSERT INTO messages
                           (conversation_id, seq, author_role, author_id, author_name, text, client_id, created_at,
                            faq_article_id)
                         SELECT id, last_seq + 1, ?, ?, ?, ?, ?, ?, ? FROM conversations
                         WHERE id = ? AND closed_at IS NULL
                         RETURNING {MESSAGE_COLUMNS}"
                    ))
                    .bind(role)
                    .bind(author_id)
                    .bind(author_name)
                    .bind(text)
                    .bind(client_id)
                    .bind(now_millis())
                    .bind(faq_article)
                    .bind(conversation_id)
                    .fetch_all(conn)
                    .await?
                    .into_iter()
                    .next();
                    Ok(row.map(|r| message_from_row(&r)))
                })
            })
            .await;
        match inserted {
            Ok(Some(message)) => Ok(AppendOutcome { message, duplicate: false }),
            Ok(None) => Err(StoreError::NotFound(format!("no open conversation {conversation_id}"))),
            Err(StoreError::Database(sqlx::Error::Database(db))) if db.is_unique_violation() => {
                // A resend of a message that is already stored.
                let message = self
                    .message_by_client_id(conversation_id, new)
                    .await?
                    .ok_or_else(|| StoreError::NotFound("duplicate message vanished".into()))?;
                Ok(AppendOutcome { message, duplicate: true })
            }
            Err(e) => Err(e),
        }
    }

    async fn message_by_client_id(
        &self,
        conversation_id: i64,
        new: &NewMessage<'_>,
    ) -> Result<Option<Message>, StoreError> {
        let Some(client_id) = new.client_id else { return Ok(None) };
        let row = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages
             WHERE conversation_id = ? AND author_role = ? AND author_id = ? AND client_id = ?"
        ))
        .bind(conversation_id)
        .bind(role_name(new.role))
        .bind(new.author_id)
        .bind(client_id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .next();
        Ok(row.map(|r| message_from_row(&r)))
    }

    /// Up to `limit` messages after `after_seq`, oldest first, and whether more follow.
    pub async fn messages_after(
        &self,
        conversation_id: i64,
        after_seq: Seq,
        limit: u32,
    ) -> Result<(Vec<Message>, bool), StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?"
        ))
        .bind(conversation_id)
        .bind(i64::try_from(after_seq).unwrap_or(i64::MAX))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let more = rows.len() > limit as usize;
        let messages = rows.iter().take(limit as usize).map(message_from_row).collect();
        Ok((messages, more))
    }

    /// The latest `limit` messages of a conversation, oldest first.
    pub async fn recent_messages(&self, conversation_id: i64, limit: u32) -> Result<Vec<Message>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?"
        ))
        .bind(conversation_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().rev().map(message_from_row).collect())
    }

    /// One message of a conversation.
    pub async fn message(&self, conversation_id: i64, message_id: i64) -> Result<Option<Message>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND id = ?"))
            .bind(conversation_id)
            .bind(message_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.first().map(message_from_row))
    }

    /// Whether the bot posted exactly `text` in the conversation at or after `since` (ms).
    pub async fn bot_said_since(&self, conversation_id: i64, text: &str, since: i64) -> Result<bool, StoreError> {
        let rows = sqlx::query(
            "SELECT 1 FROM messages WHERE conversation_id = ? AND author_role = 'bot' AND text = ? AND created_at >= ?
             LIMIT 1",
        )
        .bind(conversation_id)
        .bind(text)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        Ok(!rows.is_empty())
    }

    /// What the bot needs to know of a conversation and its store, in one read.
    pub async fn bot_context(&self, conversation_id: i64) -> Result<BotContext, StoreError> {
        let row = sqlx::query(
            "SELECT c.away_state, c.first_human_reply_at IS NOT NULL AS human_replied, s.hours, s.timezone
             FROM conversations c JOIN stores s ON s.id = c.store_id WHERE c.id = ?",
        )
        .bind(conversation_id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::NotFound(format!("no conversation {conversation_id}")))?;
        Ok(BotContext {
            away_state: row.get("away_state"),
            human_replied: row.get("human_replied"),
            hours: row.get("hours"),
            timezone: row.get("timezone"),
        })
    }

    /// Whether a human agent has written in the conversation.
    pub async fn human_replied(&self, conversation_id: i64) -> Result<bool, StoreError> {
        let at: Vec<Option<i64>> = sqlx::query_scalar("SELECT first_human_reply_at FROM conversations WHERE id = ?")
            .bind(conversation_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(at.into_iter().next().flatten().is_some())
    }

    /// The store's open conversations, newest first, each with its latest message.
    pub async fn open_conversations(&self, store_id: i64, limit: u32) -> Result<Vec<ConversationSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, store_id, visitor_id, created_at, last_seq, assigned_agent_id FROM conversations
             WHERE store_id = ? AND closed_at IS NULL ORDER BY id DESC LIMIT ?",
        )
        .bind(store_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut summaries = Vec::with_capacity(rows.len());
        for row in rows {
            let record = conversation_from_row(&row);
            summaries.push(self.summary(&record).await?);
        }
        Ok(summaries)
    }

    /// The store's closed conversations, most recently closed first.
    pub async fn closed_conversations(
        &self,
        store_id: i64,
        limit: u32,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, store_id, visitor_id, created_at, last_seq, assigned_agent_id FROM conversations
             WHERE store_id = ? AND closed_at IS NOT NULL ORDER BY closed_at DESC, id DESC LIMIT ?",
        )
        .bind(store_id)
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
        let rows = sqlx::query(
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

    async fn summaries(&self, rows: Vec<SqliteRow>) -> Result<Vec<ConversationSummary>, StoreError> {
        let mut summaries = Vec::with_capacity(rows.len());
        for row in rows {
            summaries.push(self.summary(&conversation_from_row(&row)).await?);
        }
        Ok(summaries)
    }

    /// Opens a closed conversation again, recording `reopened` by `agent_id`. Fails with
    /// `AlreadyExists` when the shopper has started a newer conversation meanwhile, and returns
    /// false when it was not closed.
    pub async fn reopen_conversation(&self, conversation_id: i64, agent_id: i64) -> Result<bool, StoreError> {
        self.writes
            .write(move |conn| {
                Box::pin(async move {
                    let mut step = conn.begin().await?;
                    let reopened =
                        sqlx::query("UPDATE conversations SET closed_at = NULL WHERE id = ? AND closed_at IS NOT NULL")
                            .bind(conversation_id)
                            .execute(&mut *step)
                            .await
                            .map_err(|e| {
                                super::unique_violation(e, || "the shopper has started a newer conversation".into())
                            })?
                            .rows_affected()
                            == 1;
                    if reopened {
                        sqlx::query(
                            "INSERT INTO conversation_events (conversation_id, kind, agent_id, at)
                             VALUES (?, 'reopened', ?, ?)",
                        )
                        .bind(conversation_id)
                        .bind(agent_id)
                        .bind(now_millis())
                        .execute(&mut *step)
                        .await?;
                    }
                    step.commit().await?;
                    Ok(reopened)
                })
            })
            .await
    }

    /// The inbox summary of a conversation.
    pub async fn summary(&self, record: &ConversationRecord) -> Result<ConversationSummary, StoreError> {
        let last = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT 1"
        ))
        .bind(record.id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .next();
        let row = sqlx::query("SELECT follow_up_email, agent_read_seq, closed_at FROM conversations WHERE id = ?")
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
            closed_at: row.get("closed_at"),
        })
    }

    /// Records that `reader` has seen the conversation up to `seq`; returns the new high mark
    /// (it never goes back, and never past the last message).
    pub async fn mark_read(&self, conversation_id: i64, reader: Role, seq: Seq) -> Result<Seq, StoreError> {
        let column = match reader {
            Role::Visitor => "visitor_read_seq",
            _ => "agent_read_seq",
        };
        let seq = i64::try_from(seq).unwrap_or(i64::MAX);
        let mark: i64 = self
            .writes
            .write(move |conn| {
                Box::pin(async move {
                    let sql = format!(
                        "UPDATE conversations SET {column} = MAX({column}, MIN(?, last_seq)) WHERE id = ?
                         RETURNING {column}"
                    );
                    Ok(sqlx::query_scalar(&sql)
                        .bind(seq)
                        .bind(conversation_id)
                        .fetch_all(conn)
                        .await?
                        .into_iter()
                        .next()
                        .ok_or(sqlx::Error::RowNotFound)?)
                })
            })
            .await?;
        Ok(mark.max(0) as Seq)
    }
}

impl Store {
    /// Records routing events (and so who handles each conversation now) in one transaction:
    /// all of them or none.
    pub async fn record_events(&self, events: &[&RoutingEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let events: Vec<RoutingEvent> = events.iter().map(|e| (*e).clone()).collect();
        self.writes
            .write(move |conn| {
                Box::pin(async move {
                    // A savepoint makes the events one step even inside a larger batch.
                    let mut step = conn.begin().await?;
                    // A trigger sets the conversation's assignee from each event.
                    for event in events {
                        sqlx::query(
                            "INSERT INTO conversation_events (conversation_id, kind, agent_id, from_agent_id, at)
                             VALUES (?, ?, ?, ?, ?)",
                        )
                        .bind(event.conversation_id)
                        .bind(event.kind.as_str())
                        .bind(event.agent_id)
                        .bind(event.from_agent_id)
                        .bind(event.at)
                        .execute(&mut *step)
                        .await?;
                    }
                    step.commit().await?;
                    Ok(())
                })
            })
            .await
    }

    /// Ends a conversation (its wait with it) and records `closed` in its timeline; returns
    /// false when it was already closed.
    pub async fn close_conversation(&self, conversation_id: i64, by_agent_id: Option<i64>) -> Result<bool, StoreError> {
        self.writes
            .write(move |conn| {
                Box::pin(async move {
                    let mut step = conn.begin().await?;
                    let now = now_millis();
                    let closed = sqlx::query(
                        "UPDATE conversations SET closed_at = ?, awaiting_since = NULL
                         WHERE id = ? AND closed_at IS NULL",
                    )
                    .bind(now)
                    .bind(conversation_id)
                    .execute(&mut *step)
                    .await?
                    .rows_affected()
                        == 1;
                    if closed {
                        sqlx::query(
                            "INSERT INTO conversation_events (conversation_id, kind, agent_id, at) VALUES (?, 'closed', ?, ?)",
                        )
                        .bind(conversation_id)
                        .bind(by_agent_id)
                        .bind(now)
                        .execute(&mut *step)
                        .await?;
                    }
                    step.commit().await?;
                    Ok(closed)
                })
            })
            .await
    }

    /// When a conversation was closed (ms), if it was.
    pub async fn closed_at(&self, conversation_id: i64) -> Result<Option<i64>, StoreError> {
        let at = sqlx::query_scalar("SELECT closed_at FROM conversations WHERE id = ?")
            .bind(conversation_id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .next();
        Ok(at.flatten())
    }

    /// The open conversations of a store that have a shopper message, oldest first, with their
    /// assignees: what the routing desk is rebuilt from after a restart.
    pub async fn open_assignments(&self, store_id: i64) -> Result<Vec<(i64, String, Option<i64>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, visitor_id, assigned_agent_id FROM conversations
             WHERE store_id = ? AND closed_at IS NULL AND first_visitor_message_at IS NOT NULL ORDER BY id",
        )
        .bind(store_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| (r.get("id"), r.get("visitor_id"), r.get("assigned_agent_id"))).collect())
    }

    /// Open conversations whose shopper has waited past the store's first-reply deadline at
    /// `now` (ms), and whose wait was not handled yet, oldest wait first.
    pub async fn overdue(&self, now: i64) -> Result<Vec<Overdue>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, c.store_id, c.awaiting_since, c.first_human_reply_at IS NOT NULL AS answered_before
             FROM conversations c JOIN stores s ON s.id = c.store_id
             WHERE c.awaiting_since IS NOT NULL AND c.deadline_handled_at IS NULL AND c.closed_at IS NULL
               AND c.awaiting_since + s.first_reply_secs * 1000 <= ?
             ORDER BY c.awaiting_since",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| Overdue {
                conversation_id: r.get("id"),
                store_id: r.get("store_id"),
                awaiting_since: r.get("awaiting_since"),
                answered_before: r.get("answered_before"),
            })
            .collect())
    }

    /// Marks the current wait of a conversation as handled, unless a human answered meanwhile
    /// or a newer wait began; returns whether it did.
    pub async fn mark_deadline_handled(
        &self,
        conversation_id: i64,
        awaiting_since: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.writes
            .write(move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE conversations SET deadline_handled_at = ?
                         WHERE id = ? AND awaiting_since = ? AND deadline_handled_at IS NULL",
                    )
                    .bind(now)
                    .bind(conversation_id)
                    .bind(awaiting_since)
                    .execute(conn)
                    .await?;
                    Ok(done.rows_affected() == 1)
                })
            })
            .await
    }

    /// Where the away conversation stands (`None`, `asked_email`, `email_left`).
    pub async fn away_state(&self, conversation_id: i64) -> Result<Option<String>, StoreError> {
        let state = sqlx::query_scalar("SELECT away_state FROM conversations WHERE id = ?")
            .bind(conversation_id)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .next()
            .ok_or(sqlx::Error::RowNotFound)?;
        Ok(state)
    }

    /// Moves the away conversation on, recording the email the shopper left, if any.
    pub async fn set_away_state(
        &self,
        conversation_id: i64,
        state: &str,
        email: Option<&str>,
    ) -> Result<(), StoreError> {
        let (state, email) = (state.to_owned(), email.map(str::to_owned));
        self.writes
            .write(move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE conversations SET away_state = ?, follow_up_email = COALESCE(?, follow_up_email)
                         WHERE id = ?",
                    )
                    .bind(state)
                    .bind(email)
                    .bind(conversation_id)
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    /// Marks the current wait as answered by the bot, so the deadline does not add a second
    /// automatic message to it.
    pub async fn settle_wait(&self, conversation_id: i64, now: i64) -> Result<(), StoreError> {
        self.writes
            .write(move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE conversations SET deadline_handled_at = COALESCE(deadline_handled_at, ?)
                         WHERE id = ? AND awaiting_since IS NOT NULL",
                    )
                    .bind(now)
                    .bind(conversation_id)
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    /// The kinds of a conversation's timeline events, oldest first (for tests and metrics).
    pub async fn conversation_events(&self, conversation_id: i64) -> Result<Vec<(String, Option<i64>)>, StoreError> {
        let rows = sqlx::query("SELECT kind, agent_id FROM conversation_events WHERE conversation_id = ? ORDER BY id")
            .bind(conversation_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| (r.get("kind"), r.get("agent_id"))).collect())
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Visitor => "visitor",
        Role::Agent => "agent",
        Role::Bot => "bot",
        Role::System => "system",
    }
}

fn role_from_name(name: &str) -> Role {
    match name {
        "visitor" => Role::Visitor,
        "agent" => Role::Agent,
        "bot" => Role::Bot,
        _ => Role::System,
    }
}

fn conversation_from_row(r: &SqliteRow) -> ConversationRecord {
    ConversationRecord {
        id: r.get("id"),
        store_id: r.get("store_id"),
        visitor_id: r.get("visitor_id"),
        created_at: r.get("created_at"),
        last_seq: r.get::<i64, _>("last_seq").max(0) as Seq,
        assigned_agent_id: r.get("assigned_agent_id"),
    }
}

fn message_from_row(r: &SqliteRow) -> Message {
    Message {
        id: r.get("id"),
        conversation_id: r.get("conversation_id"),
        seq: r.get::<i64, _>("seq").max(0) as Seq,
        author: Author { role: role_from_name(r.get("author_role")), name: r.get("author_name") },
        text: r.get("text"),
        client_id: r.get("client_id"),
        at: r.get("created_at"),
        faq_article: r.get("faq_article_id"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn says<'a>(role: Role, author: &'a str, text: &'a str, id: &'a str) -> NewMessage<'a> {
        NewMessage { role, author_id: author, author_name: None, text, client_id: Some(id), faq_article: None }
    }

    /// Writes made at the same moment share a transaction: all of them land, each with its own
    /// sequence number, and a resend among them is recognised without spoiling the others.
    /// Everything acknowledged is still there after a reopen.
    #[tokio::test]
    async fn concurrent_writes_are_committed_together_and_a_resend_spoils_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let shop = store.add_store("shop", "Shop", &[]).await.unwrap();
        store.add_visitor(shop.id, "v1").await.unwrap();
        let (c, _) = store.create_conversation(shop.id, "v1").await.unwrap();
        store.append_message(c.id, &says(Role::Visitor, "v1", "first", "dup")).await.unwrap();

        let writes = (0..200).map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let id = if i == 100 { "dup".to_owned() } else { format!("m{i}") };
                store.append_message(c.id, &says(Role::Visitor, "v1", "hi", &id)).await.unwrap()
            })
        });
        let outcomes = futures_util::future::join_all(writes).await;
        let outcomes: Vec<AppendOutcome> = outcomes.into_iter().map(Result::unwrap).collect();
        assert_eq!(outcomes.iter().filter(|o| o.duplicate).count(), 1);
        assert_eq!(outcomes[100].message.text, "first", "the resend gets the stored copy");
        let mut seqs: Vec<Seq> = outcomes.iter().filter(|o| !o.duplicate).map(|o| o.message.seq).collect();
        seqs.sort_unstable();
        assert_eq!(seqs, (2..=200).collect::<Vec<Seq>>());

        store.close().await;
        let store = Store::open(dir.path()).await.unwrap();
        let (stored, more) = store.messages_after(c.id, 0, 500).await.unwrap();
        assert_eq!((stored.len(), more), (200, false));
    }

    /// Deadlines come from stored times alone: asked at chosen instants, with a reopened store in
    /// between, the answers follow the rules without any waiting.
    #[tokio::test]
    async fn overdue_waits_follow_stored_times_replies_and_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let shop = store.add_store("shop", "Shop", &[]).await.unwrap();
        store.set_first_reply_secs("shop", 60).await.unwrap();
        store.add_visitor(shop.id, "v1").await.unwrap();
        let (c, _) = store.create_conversation(shop.id, "v1").await.unwrap();
        assert!(store.overdue(i64::MAX / 2).await.unwrap().is_empty(), "no shopper message, no wait");

        let first = store.append_message(c.id, &says(Role::Visitor, "v1", "hello?", "a")).await.unwrap().message;
        store.append_message(c.id, &says(Role::Visitor, "v1", "anyone?", "b")).await.unwrap();
        assert!(store.overdue(first.at + 59_999).await.unwrap().is_empty());
        let due = store.overdue(first.at + 60_000).await.unwrap();
        assert_eq!(due.len(), 1, "the wait started at the first unanswered message");
        assert_eq!((due[0].awaiting_since, due[0].answered_before), (first.at, false));

        // Handled once: it is not due again, even after the store is reopened.
        assert!(store.mark_deadline_handled(c.id, first.at, first.at + 60_000).await.unwrap());
        assert!(!store.mark_deadline_handled(c.id, first.at, first.at + 61_000).await.unwrap());
        store.close().await;
        let store = Store::open(dir.path()).await.unwrap();
        assert!(store.overdue(first.at + 600_000).await.unwrap().is_empty());

        // A bot message does not stop the clock for a next wait; a human reply does.
        store.append_message(c.id, &says(Role::Bot, "bot", "hang on", "c")).await.unwrap();
        store.append_message(c.id, &says(Role::Agent, "1", "Hi!", "d")).await.unwrap();
        assert!(store.overdue(i64::MAX / 2).await.unwrap().is_empty(), "answered");

        // The next unanswered message starts a next-reply wait with the same deadline.
        let next = store.append_message(c.id, &says(Role::Visitor, "v1", "one more thing", "e")).await.unwrap().message;
        assert!(store.overdue(next.at + 59_000).await.unwrap().is_empty());
        let due = store.overdue(next.at + 60_000).await.unwrap();
        assert_eq!((due[0].awaiting_since, due[0].answered_before), (next.at, true));

        // A shorter deadline applies to the wait already running.
        store.set_first_reply_secs("shop", 5).await.unwrap();
        assert_eq!(store.overdue(next.at + 5_000).await.unwrap().len(), 1);
        store.close().await;
    }
}
