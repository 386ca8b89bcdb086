//! Messages: the data a relay must never lose. Appending is idempotent by (conversation,
//! author, client id) and numbered by `seq`; reads page by `seq`.

use protocol::{FaqChoice, Message, Role, Seq};

use super::db;
use super::dialect::LOCK_ROWS;
use super::rows::{message_from_row, message_from_values, role_name, MESSAGE_COLUMNS};
use super::statements::{vals, Statements};
use super::writer::Urgency;
use super::{now_millis, Store, StoreError};

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
    /// The FAQ articles a bot reply offers to choose from.
    pub faq_choices: &'a [FaqChoice],
}

/// What appending a message did.
#[derive(Debug, Clone)]
pub struct AppendOutcome {
    /// The stored message (the earlier copy when this was a resend).
    pub message: Message,
    /// True when a message with the same client id already existed and nothing was written.
    pub duplicate: bool,
}

/// A message to insert, owned: it is written later, on the writer's thread.
pub(super) struct OwnedMessage {
    role: &'static str,
    author_id: String,
    author_name: Option<String>,
    text: String,
    client_id: Option<String>,
    faq_article: Option<String>,
    /// The offered articles as stored: JSON, `None` when there are none.
    faq_choices: Option<String>,
}

impl From<&NewMessage<'_>> for OwnedMessage {
    fn from(new: &NewMessage<'_>) -> Self {
        OwnedMessage {
            role: role_name(new.role),
            author_id: new.author_id.to_owned(),
            author_name: new.author_name.map(str::to_owned),
            text: new.text.to_owned(),
            client_id: new.client_id.map(str::to_owned),
            faq_article: new.faq_article.map(str::to_owned),
            faq_choices: super::rows::choices_column(new.faq_choices),
        }
    }
}

/// Inserts a message into an open conversation with the next seq, in a write job; a resend
/// (same author and client id) gets the stored copy.
///
/// The insert skips a resend instead of failing on it (`INSERT OR IGNORE`, `ON CONFLICT DO
/// NOTHING` on PostgreSQL): a failed statement would end a PostgreSQL transaction, so catching
/// the broken rule would cost the writer a savepoint round trip on every message.
pub(super) fn insert_message(
    conn: &dyn Statements,
    conversation_id: i64,
    m: &OwnedMessage,
) -> Result<AppendOutcome, StoreError> {
    let inserted = conn.row(
        &format!(
            "INSERT OR IGNORE INTO messages
               (conversation_id, seq, author_role, author_id, author_name, text, client_id, created_at, faq_article_id, faq_choices)
             SELECT id, last_seq + 1, ?, ?, ?, ?, ?, ?, ?, ? FROM conversations WHERE id = ? AND closed_at IS NULL{LOCK_ROWS}
             RETURNING {MESSAGE_COLUMNS}"
        ),
        vals![
            m.role,
            m.author_id.as_str(),
            m.author_name.as_deref(),
            m.text.as_str(),
            m.client_id.as_deref(),
            now_millis(),
            m.faq_article.as_deref(),
            m.faq_choices.as_deref(),
            conversation_id
        ],
    )?;
    if let Some(row) = inserted {
        return Ok(AppendOutcome { message: message_from_values(&row), duplicate: false });
    }
    // Nothing inserted: a resend of a message that is already stored (its copy, read here),
    // or the conversation is closed or gone.
    let stored = match m.client_id.as_deref() {
        Some(client_id) => conn.row(
            &format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages
                 WHERE conversation_id = ? AND author_role = ? AND author_id = ? AND client_id = ?"
            ),
            vals![conversation_id, m.role, m.author_id.as_str(), client_id],
        )?,
        None => None,
    };
    match stored {
        Some(row) => Ok(AppendOutcome { message: message_from_values(&row), duplicate: true }),
        None => Err(StoreError::NotFound(format!("no open conversation {conversation_id}"))),
    }
}

impl Store {
    /// Appends a message with the next sequence number, durably, in one statement (a trigger
    /// updates the conversation in the same step). A resend (same author and client id) returns
    /// the stored copy instead of writing a second one.
    pub async fn append_message(
        &self,
        conversation_id: i64,
        new: &NewMessage<'_>,
    ) -> Result<AppendOutcome, StoreError> {
        self.submit_message(conversation_id, new)?.await
    }

    /// Queues a message for the next batch now and returns a future of its outcome once it is
    /// on disk (see [`Store::append_message`]): a socket submits its messages in order and
    /// waits for them together. A shopper's or an agent's message is refused at once with
    /// [`StoreError::Busy`] when the writer is behind; the bot's and the relay's are not.
    pub fn submit_message(
        &self,
        conversation_id: i64,
        new: &NewMessage<'_>,
    ) -> Result<impl std::future::Future<Output = Result<AppendOutcome, StoreError>> + Send + 'static, StoreError> {
        let urgency = match new.role {
            Role::Visitor | Role::Agent => Urgency::Refusable,
            Role::Bot | Role::System => Urgency::Always,
        };
        let owned = OwnedMessage::from(new);
        let (facts, role_of) = (self.facts.clone(), new.role);
        let on_commit = move |outcome: &AppendOutcome| {
            if outcome.duplicate {
                return;
            }
            crate::metrics::message(role_of);
            if let Some(started) = facts.appended(conversation_id, outcome.message.seq, role_of) {
                let after = outcome.message.at.saturating_sub(started);
                crate::metrics::first_reply(std::time::Duration::from_millis(u64::try_from(after).unwrap_or(0)));
            }
        };
        let gone = self.facts.clone();
        let pending = self.submit_job(
            urgency,
            move |conn| {
                let inserted = insert_message(conn, conversation_id, &owned);
                if matches!(inserted, Err(StoreError::NotFound(_))) {
                    // Closed or gone (another process may have removed it): not open any more.
                    gone.closed(conversation_id);
                }
                inserted
            },
            on_commit,
        )?;
        Ok(pending)
    }

    /// Up to `limit` messages after `after_seq`, oldest first, and whether more follow.
    pub async fn messages_after(
        &self,
        conversation_id: i64,
        after_seq: Seq,
        limit: u32,
    ) -> Result<(Vec<Message>, bool), StoreError> {
        let rows = db::query(format!(
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
        let rows = db::query(format!(
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
        let rows = db::query(format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND id = ?"))
            .bind(conversation_id)
            .bind(message_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.first().map(message_from_row))
    }

    /// Whether the bot posted exactly `text` in the conversation at or after `since` (ms).
    pub async fn bot_said_since(&self, conversation_id: i64, text: &str, since: i64) -> Result<bool, StoreError> {
        let rows = db::query(
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

    /// Records that `reader` has seen the conversation up to `seq`; returns the new high mark
    /// (it never goes back, and never past the last message).
    pub async fn mark_read(&self, conversation_id: i64, reader: Role, seq: Seq) -> Result<Seq, StoreError> {
        let column = match reader {
            Role::Visitor => "visitor_read_seq",
            _ => "agent_read_seq",
        };
        let seq = i64::try_from(seq).unwrap_or(i64::MAX);
        // MAX(mark, MIN(seq, last_seq)), in words both databases have.
        let sql = format!(
            "UPDATE conversations SET {column} = CASE WHEN ?1 > {column} AND last_seq > {column}
               THEN CASE WHEN ?1 < last_seq THEN ?1 ELSE last_seq END ELSE {column} END
             WHERE id = ?2 RETURNING {column}"
        );
        let mark = self
            .job(move |conn| Ok(conn.row(&sql, vals![seq, conversation_id])?.map_or(0, |r| r.int(0))), |_| {})
            .await?;
        Ok(mark.max(0) as Seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn says<'a>(role: Role, author: &'a str, text: &'a str, id: &'a str) -> NewMessage<'a> {
        NewMessage {
            role,
            author_id: author,
            author_name: None,
            text,
            client_id: Some(id),
            faq_article: None,
            faq_choices: &[],
        }
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
