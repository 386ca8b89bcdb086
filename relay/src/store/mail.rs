//! Email's bookkeeping: whether a shopper is here, the agents' replies waiting for a shopper
//! who left, the outbox every email passes through, and the addresses that unsubscribed.
//!
//! An email is decided and written in one job: the outbox row and the conversation's
//! `emailed_seq` move together, so a restart neither forgets a reply nor emails it twice.
//! Delivery claims a row by pushing its next attempt into the future before it tries, and
//! marks it sent once the SMTP server took it.

use super::statements::{vals, Values};
use protocol::{EmailKind, EmailNotice, EmailState};

use super::db;
use super::{ConversationRecord, Store, StoreError};

/// A conversation whose agents' replies wait for a shopper who is not here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingReplies {
    /// The conversation.
    pub conversation_id: i64,
    /// Its store.
    pub store_id: i64,
    /// Its shopper.
    pub visitor_id: String,
    /// Replies after this were not emailed yet.
    pub emailed_seq: u64,
    /// Nor read by the shopper after this.
    pub visitor_read_seq: u64,
    /// The address the shopper left (in the away dialogue) or the shop told (`identify`).
    pub email: Option<String>,
}

/// An email to write to the outbox.
#[derive(Debug, Clone)]
pub struct NewEmail {
    /// The store it is from.
    pub store_id: i64,
    /// The conversation it is about.
    pub conversation_id: i64,
    /// Why it is sent.
    pub kind: EmailKind,
    /// The recipient.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body (built from escaped text only).
    pub html: String,
    /// Where the recipient unsubscribes (also the `List-Unsubscribe` header).
    pub unsubscribe_url: String,
    /// The first message it carries.
    pub first_seq: u64,
    /// The last message it carries.
    pub last_seq: u64,
}

/// An email taken from the outbox for one delivery attempt.
#[derive(Debug, Clone)]
pub struct OutboxEmail {
    /// Its outbox id (also in its `Message-ID`, so a receiver can drop a repeat).
    pub id: i64,
    /// The email.
    pub email: NewEmail,
    /// The store's own sender address, if it set one.
    pub from: Option<String>,
    /// The store's name, for the sender's display name.
    pub store_name: String,
    /// When it was first queued (ms): retries stop 24 hours later.
    pub created_at: i64,
    /// Attempts made before this one.
    pub attempts: u32,
}

fn kind_name(kind: EmailKind) -> &'static str {
    match kind {
        EmailKind::Reply => "reply",
        EmailKind::Transcript => "transcript",
    }
}

fn kind_of(name: &str) -> EmailKind {
    if name == "transcript" {
        EmailKind::Transcript
    } else {
        EmailKind::Reply
    }
}

fn state_of(name: &str) -> EmailState {
    match name {
        "sent" => EmailState::Sent,
        "failed" => EmailState::Failed,
        _ => EmailState::Pending,
    }
}

impl Store {
    /// A socket of the shopper opened (or is open) at `now`.
    pub async fn visitor_here(&self, visitor_id: &str, now: i64) -> Result<(), StoreError> {
        self.execute("UPDATE visitors SET here_since = ?1 WHERE id = ?2", vals![now, visitor_id.to_owned()]).await?;
        Ok(())
    }

    /// The shopper's last socket closed at `now`.
    pub async fn visitor_left(&self, visitor_id: &str, now: i64) -> Result<(), StoreError> {
        self.execute(
            "UPDATE visitors SET here_since = NULL, left_at = ?1 WHERE id = ?2",
            vals![now, visitor_id.to_owned()],
        )
        .await?;
        Ok(())
    }

    /// At start: no socket survived the last run, so nobody is here since `now`.
    pub async fn nobody_here(&self, now: i64) -> Result<(), StoreError> {
        self.execute("UPDATE visitors SET here_since = NULL, left_at = ?1 WHERE here_since IS NOT NULL", vals![now])
            .await?;
        Ok(())
    }

    /// Conversations with an agent's reply waiting since before `replied_before`, whose
    /// shopper has had no socket open since before `left_before`; at most `limit`.
    pub async fn waiting_replies(
        &self,
        replied_before: i64,
        left_before: i64,
        limit: u32,
    ) -> Result<Vec<WaitingReplies>, StoreError> {
        let rows = db::query(
            "SELECT c.id, c.store_id, c.visitor_id, c.emailed_seq, c.visitor_read_seq,
                    COALESCE(c.follow_up_email, v.claimed_email) AS email
             FROM conversations c JOIN visitors v ON v.id = c.visitor_id
             WHERE c.reply_pending_at IS NOT NULL AND c.reply_pending_at <= ?1
               AND v.here_since IS NULL AND COALESCE(v.left_at, 0) <= ?2
             ORDER BY c.reply_pending_at LIMIT ?3",
        )
        .bind(replied_before)
        .bind(left_before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|row| WaitingReplies {
                conversation_id: row.get("id"),
                store_id: row.get("store_id"),
                visitor_id: row.get("visitor_id"),
                emailed_seq: row.get::<i64, _>("emailed_seq").max(0) as u64,
                visitor_read_seq: row.get::<i64, _>("visitor_read_seq").max(0) as u64,
                email: row.get("email"),
            })
            .collect())
    }

    /// Settles a conversation's waiting replies up to `through_seq`: none is emailed (nobody
    /// to email, or the shopper read them); later replies wait on.
    pub async fn settle_replies(&self, conversation_id: i64, through_seq: u64) -> Result<(), StoreError> {
        self.queue_email(conversation_id, through_seq, None).await.map(|_| ())
    }

    /// Writes `email` to the outbox, due at once, and marks the conversation's replies up to
    /// `through_seq` as emailed, in one job; returns the new outbox id.
    pub async fn queue_email(
        &self,
        conversation_id: i64,
        through_seq: u64,
        email: Option<NewEmail>,
    ) -> Result<Option<i64>, StoreError> {
        let now = super::now_millis();
        self.job(
            move |conn| {
                let through = through_seq as i64;
                conn.execute(
                    "UPDATE conversations SET emailed_seq = CASE WHEN emailed_seq > ?1 THEN emailed_seq ELSE ?1 END,
                       reply_pending_at = (SELECT MIN(created_at) FROM messages m WHERE m.conversation_id = ?2
                         AND m.author_role = 'agent' AND m.seq > conversations.emailed_seq AND m.seq > ?1)
                     WHERE id = ?2",
                    vals![through, conversation_id],
                )?;
                let Some(e) = email else { return Ok(None) };
                let row = conn.row(
                    "INSERT INTO email_outbox (store_id, conversation_id, kind, to_addr, subject, text_body,
                       html_body, unsubscribe_url, first_seq, last_seq, created_at, next_attempt_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11) RETURNING id",
                    vals![
                        e.store_id,
                        e.conversation_id,
                        kind_name(e.kind),
                        e.to,
                        e.subject,
                        e.text,
                        e.html,
                        e.unsubscribe_url,
                        e.first_seq as i64,
                        e.last_seq as i64,
                        now
                    ],
                )?;
                Ok(row.map(|r| r.int(0)))
            },
            |_| {},
        )
        .await
    }

    /// Takes up to `limit` emails due at `now` for an attempt: each one's next attempt moves
    /// to `retry_at` first, so a crash mid-send retries it then rather than never.
    pub async fn claim_emails(&self, now: i64, retry_at: i64, limit: u32) -> Result<Vec<OutboxEmail>, StoreError> {
        self.job(
            move |conn| {
                let rows = conn.rows(
                    "UPDATE email_outbox SET next_attempt_at = ?2, attempts = attempts + 1
                     WHERE id IN (SELECT id FROM email_outbox WHERE status = 'pending' AND next_attempt_at <= ?1
                                  ORDER BY next_attempt_at LIMIT ?3)
                     RETURNING id, store_id, conversation_id, kind, to_addr, subject, text_body, html_body,
                       unsubscribe_url, first_seq, last_seq, created_at, attempts - 1,
                       (SELECT email_from FROM stores WHERE stores.id = store_id),
                       (SELECT name FROM stores WHERE stores.id = store_id)",
                    vals![now, retry_at, limit],
                )?;
                Ok(rows
                    .iter()
                    .map(|row| OutboxEmail {
                        id: row.int(0),
                        email: NewEmail {
                            store_id: row.int(1),
                            conversation_id: row.int(2),
                            kind: kind_of(&row.text(3)),
                            to: row.text(4),
                            subject: row.text(5),
                            text: row.text(6),
                            html: row.text(7),
                            unsubscribe_url: row.text(8),
                            first_seq: row.int(9).max(0) as u64,
                            last_seq: row.int(10).max(0) as u64,
                        },
                        created_at: row.int(11),
                        attempts: row.int(12).clamp(0, i64::from(u32::MAX)) as u32,
                        from: row.opt_text(13),
                        store_name: row.text(14),
                    })
                    .collect::<Vec<_>>())
            },
            |_| {},
        )
        .await
        .map(|mut claimed| {
            // RETURNING gives no order; emails go out oldest first.
            claimed.sort_by_key(|e| e.id);
            claimed
        })
    }

    /// Records how an attempt went: sent, failed for good, or (with `retry_at`) to be tried
    /// again then. Returns the email's notice for the agents.
    pub async fn email_attempted(
        &self,
        id: i64,
        state: EmailState,
        error: Option<String>,
        retry_at: Option<i64>,
    ) -> Result<Option<EmailNotice>, StoreError> {
        let now = super::now_millis();
        let status = match state {
            EmailState::Sent => "sent",
            EmailState::Failed => "failed",
            EmailState::Pending => "pending",
        };
        self.job(
            move |conn| {
                let row = conn.row(
                    "UPDATE email_outbox SET status = ?2, last_error = ?3,
                       sent_at = CASE WHEN ?2 = 'sent' THEN ?4 END,
                       next_attempt_at = COALESCE(?5, next_attempt_at)
                     WHERE id = ?1
                     RETURNING conversation_id, kind, to_addr, first_seq, last_seq, status, last_error",
                    vals![id, status, error, now, retry_at],
                )?;
                Ok(row.as_ref().map(notice))
            },
            |_| {},
        )
        .await
    }

    /// Every email of a conversation, oldest first, for its agents.
    pub async fn emails_of(&self, conversation_id: i64) -> Result<Vec<EmailNotice>, StoreError> {
        let rows = db::query(
            "SELECT conversation_id, kind, to_addr, first_seq, last_seq, status, last_error
             FROM email_outbox WHERE conversation_id = ?1 ORDER BY id",
        )
        .bind(conversation_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|row| EmailNotice {
                conversation_id: row.get("conversation_id"),
                kind: kind_of(row.get("kind")),
                to: row.get("to_addr"),
                first_seq: row.get::<i64, _>("first_seq").max(0) as u64,
                last_seq: row.get::<i64, _>("last_seq").max(0) as u64,
                state: state_of(row.get("status")),
                error: row.get("last_error"),
            })
            .collect())
    }

    /// How many transcripts were queued for a conversation since `since`.
    pub async fn transcripts_since(&self, conversation_id: i64, since: i64) -> Result<u32, StoreError> {
        let n: i64 = db::query_scalar(
            "SELECT COUNT(*) FROM email_outbox WHERE conversation_id = ?1 AND kind = 'transcript' AND created_at >= ?2",
        )
        .bind(conversation_id)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok(n.clamp(0, i64::from(u32::MAX)) as u32)
    }

    /// The address asked to hear no more from the store: its queued emails are dropped too.
    pub async fn unsubscribe(&self, store_id: i64, email: &str, now: i64) -> Result<(), StoreError> {
        let email = email.to_owned();
        self.job(
            move |conn| {
                conn.execute(
                    "INSERT OR IGNORE INTO email_unsubscribes (store_id, email, at) VALUES (?1, ?2, ?3)",
                    vals![store_id, email.as_str(), now],
                )?;
                conn.execute(
                    "UPDATE email_outbox SET status = 'failed', last_error = 'unsubscribed'
                     WHERE store_id = ?1 AND to_addr = ?2 COLLATE NOCASE AND status = 'pending'",
                    vals![store_id, email.as_str()],
                )?;
                Ok(())
            },
            |_| {},
        )
        .await
    }

    /// The shopper's latest conversation (open or closed), for a transcript.
    pub async fn latest_conversation_of(&self, visitor_id: &str) -> Result<Option<ConversationRecord>, StoreError> {
        let row = db::query_as::<ConversationRecord>(
            "SELECT id, store_id, visitor_id, created_at, last_seq, assigned_agent_id FROM conversations
             WHERE visitor_id = ? ORDER BY id DESC LIMIT 1",
        )
        .bind(visitor_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row)
    }

    /// The shopper's browser language and time zone, as the widget last reported them.
    pub async fn visitor_locale(&self, visitor_id: &str) -> Result<(Option<String>, Option<String>), StoreError> {
        let row = db::query("SELECT language, time_zone FROM visitors WHERE id = ?")
            .bind(visitor_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map_or((None, None), |r| (r.get("language"), r.get("time_zone"))))
    }

    /// The shopper's latest pages, newest first (at most 20).
    pub async fn recent_pages(&self, visitor_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(db::query_scalar("SELECT url FROM visitor_pages WHERE visitor_id = ? ORDER BY id DESC LIMIT 20")
            .bind(visitor_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Whether the address unsubscribed from the store's emails.
    pub async fn unsubscribed(&self, store_id: i64, email: &str) -> Result<bool, StoreError> {
        let found: Option<i64> = db::query_scalar(
            "SELECT CAST(1 AS BIGINT) FROM email_unsubscribes WHERE store_id = ?1 AND email = ?2 COLLATE NOCASE",
        )
        .bind(store_id)
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }
}

fn notice(row: &Values) -> EmailNotice {
    EmailNotice {
        conversation_id: row.int(0),
        kind: kind_of(&row.text(1)),
        to: row.text(2),
        first_seq: row.int(3).max(0) as u64,
        last_seq: row.int(4).max(0) as u64,
        state: state_of(&row.text(5)),
        error: row.opt_text(6),
    }
}
