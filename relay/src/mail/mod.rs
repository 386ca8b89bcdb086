//! Email beyond the live window: an agent's replies reach a shopper who left, and a shopper
//! can have the transcript sent (`--smtp-url`).
//!
//! Nothing is sent from the path of a message. A sweep (every [`SWEEP_EVERY`]) looks for
//! conversations whose agents' replies wait for a shopper who has had no socket open for
//! [`GONE_MS`]; replies gather for [`GATHER_MS`] after the first, then go in one email. Each
//! email is written to the outbox first (store/mail.rs) and delivered from there: retried with
//! backoff for [`RETRY_FOR_MS`], never twice after a restart, and its state ("emailed",
//! "email failed") is told to the conversation's agents. Without `--smtp-url` nothing is
//! queued at all.

mod compose;
pub mod links;
mod smtp;

use std::sync::Arc;
use std::time::Duration;

use protocol::{EmailKind, EmailNotice, EmailState, Role, ServerFrame};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use compose::escape;
pub use links::{Link, Links};
pub use smtp::Smtp;

use crate::error::{Error, Result};
use crate::fanout::{Audience, Fanout};
use crate::store::{ConversationRecord, NewEmail, Store, WaitingReplies};
use crate::texts::Lang;

/// How long a shopper has had no socket open before replies are emailed.
pub const GONE_MS: i64 = 2 * 60 * 1000;
/// Replies within this long of the first waiting one go in the same email.
pub const GATHER_MS: i64 = 5 * 60 * 1000;
/// How long an email is retried before it counts as failed.
pub const RETRY_FOR_MS: i64 = 24 * 60 * 60 * 1000;
/// How often the sweep runs.
pub const SWEEP_EVERY: Duration = Duration::from_secs(15);
/// Transcripts one conversation may send in an hour.
pub const TRANSCRIPTS_PER_HOUR: u32 = 3;
/// Conversations and emails one sweep handles (the next takes the rest).
const PER_SWEEP: u32 = 100;

/// The email service.
pub struct Mailer {
    store: Store,
    fanout: Arc<dyn Fanout>,
    smtp: Option<Smtp>,
    links: Links,
    /// The relay's public base URL, for links.
    public_url: String,
    /// Wakes the sweep when an email is queued.
    queued: Notify,
}

/// The delay before attempt `n + 1` (30 s, doubling, at most an hour).
pub fn backoff_ms(attempts: u32) -> i64 {
    (30_000i64 << attempts.min(7)).min(60 * 60 * 1000)
}

impl Mailer {
    /// The service; `smtp` is `None` without `--smtp-url` (then no email is ever queued).
    pub fn new(store: Store, fanout: Arc<dyn Fanout>, smtp: Option<Smtp>, links: Links, public_url: &str) -> Mailer {
        let public_url = public_url.trim_end_matches('/').to_owned();
        Mailer { store, fanout, smtp, links, public_url, queued: Notify::new() }
    }

    /// Whether email is set up.
    pub fn enabled(&self) -> bool {
        self.smtp.is_some()
    }

    /// The relay's public base URL.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The link signer (the HTTP handlers check links with it).
    pub fn links(&self) -> &Links {
        &self.links
    }

    fn url(&self, path: &str, token: &str) -> String {
        format!("{}/e/{path}/{token}", self.public_url)
    }

    /// Emails the replies that waited long enough for shoppers who left; returns how many
    /// emails were queued.
    pub async fn gather_replies(&self, now: i64) -> Result<usize> {
        if !self.enabled() {
            return Ok(0);
        }
        let waiting = self.store.waiting_replies(now - GATHER_MS, now - GONE_MS, PER_SWEEP).await?;
        let mut queued = 0;
        for w in &waiting {
            if self.email_replies(w, now).await? {
                queued += 1;
            }
        }
        Ok(queued)
    }

    async fn email_replies(&self, w: &WaitingReplies, now: i64) -> Result<bool> {
        let after = w.emailed_seq.max(w.visitor_read_seq);
        let (messages, _) = self.store.messages_after(w.conversation_id, after, 200).await?;
        let replies: Vec<_> = messages.into_iter().filter(|m| m.author.role == Role::Agent).collect();
        let through = replies.last().map_or(after, |m| m.seq);
        let to = match &w.email {
            Some(to) if !replies.is_empty() && !self.store.unsubscribed(w.store_id, to).await? => to.clone(),
            _ => {
                self.store.settle_replies(w.conversation_id, through.max(w.visitor_read_seq)).await?;
                return Ok(false);
            }
        };
        let reopen = self.url("r", &self.links.reopen(w.store_id, w.conversation_id, &w.visitor_id, now));
        let email =
            self.write(EmailKind::Reply, w.store_id, w.conversation_id, &w.visitor_id, &to, &replies, &reopen).await?;
        self.queue(w.conversation_id, through, email).await?;
        Ok(true)
    }

    #[allow(clippy::too_many_arguments)] // the email's facts, each named
    async fn write(
        &self,
        kind: EmailKind,
        store_id: i64,
        conversation_id: i64,
        visitor_id: &str,
        to: &str,
        messages: &[protocol::Message],
        reopen: &str,
    ) -> Result<NewEmail> {
        let settings = self.store.settings(store_id).await?;
        let (language, time_zone) = self.store.visitor_locale(visitor_id).await?;
        let unsubscribe_url = self.url("u", &self.links.unsubscribe(store_id, to));
        let letter = compose::Letter {
            kind,
            store_name: &settings.name,
            colour: &settings.colour,
            lang: language.as_deref().map_or(Lang::En, Lang::of_browser),
            time_zone: time_zone.as_deref(),
            messages,
            reopen_url: Some(reopen),
            unsubscribe_url: &unsubscribe_url,
        };
        let composed = compose::compose(&letter);
        Ok(NewEmail {
            store_id,
            conversation_id,
            kind,
            to: to.to_owned(),
            subject: composed.subject,
            text: composed.text,
            html: composed.html,
            unsubscribe_url,
            first_seq: messages.first().map_or(0, |m| m.seq),
            last_seq: messages.last().map_or(0, |m| m.seq),
        })
    }

    async fn queue(&self, conversation_id: i64, through: u64, email: NewEmail) -> Result<()> {
        let notice = EmailNotice {
            conversation_id,
            kind: email.kind,
            to: email.to.clone(),
            first_seq: email.first_seq,
            last_seq: email.last_seq,
            state: EmailState::Pending,
            error: None,
        };
        self.store.queue_email(conversation_id, through, Some(email)).await?;
        self.tell_agents(notice).await?;
        self.queued.notify_one();
        Ok(())
    }

    /// "Email me this conversation": queues the transcript of the shopper's open (or latest)
    /// conversation to `to`, checked and at most [`TRANSCRIPTS_PER_HOUR`] an hour.
    pub async fn transcript(&self, store_id: i64, visitor_id: &str, to: &str, now: i64) -> Result<String> {
        if !self.enabled() {
            return Err(Error::invalid("this relay sends no email"));
        }
        let to = checked_address(to)?;
        let conversation = self.conversation_for_transcript(visitor_id).await?;
        if self.store.unsubscribed(store_id, &to).await? {
            return Err(Error::invalid(format!("{to} asked to receive no email from this shop")));
        }
        if self.store.transcripts_since(conversation.id, now - 3_600_000).await? >= TRANSCRIPTS_PER_HOUR {
            return Err(Error::rate_limited("transcripts", Duration::from_secs(3_600)));
        }
        let (messages, _) = self.store.messages_after(conversation.id, 0, 1_000).await?;
        let reopen = self.url("r", &self.links.reopen(store_id, conversation.id, visitor_id, now));
        let email =
            self.write(EmailKind::Transcript, store_id, conversation.id, visitor_id, &to, &messages, &reopen).await?;
        self.queue_transcript(conversation.id, email).await?;
        Ok(to)
    }

    async fn conversation_for_transcript(&self, visitor_id: &str) -> Result<ConversationRecord> {
        match self.store.latest_conversation_of(visitor_id).await? {
            Some(c) if c.last_seq > 0 => Ok(c),
            _ => Err(Error::not_found("there is no conversation to send yet")),
        }
    }

    async fn queue_transcript(&self, conversation_id: i64, email: NewEmail) -> Result<()> {
        // A transcript marks no reply as emailed: `through` 0 leaves `emailed_seq` as it is.
        self.queue(conversation_id, 0, email).await
    }

    /// Delivers the emails due at `now`; returns how many the SMTP server took.
    pub async fn deliver(&self, now: i64) -> Result<usize> {
        let Some(smtp) = &self.smtp else { return Ok(0) };
        let due = self.store.claim_emails(now, now + backoff_ms(0), PER_SWEEP).await?;
        let mut sent = 0;
        for outgoing in &due {
            let (state, error, retry_at) = match smtp.send(outgoing).await {
                Ok(()) => (EmailState::Sent, None, None),
                Err(smtp::SendError::Permanent(e)) => (EmailState::Failed, Some(e), None),
                Err(smtp::SendError::Transient(e)) => {
                    let next = now + backoff_ms(outgoing.attempts + 1);
                    if next - outgoing.created_at > RETRY_FOR_MS {
                        (EmailState::Failed, Some(format!("gave up after 24 hours: {e}")), None)
                    } else {
                        (EmailState::Pending, Some(e), Some(next))
                    }
                }
            };
            if let Some(e) = &error {
                tracing::warn!(email = outgoing.id, attempts = outgoing.attempts + 1, error = %e, "an email did not go");
            }
            sent += usize::from(state == EmailState::Sent);
            if let Some(notice) = self.store.email_attempted(outgoing.id, state, error, retry_at).await? {
                if state != EmailState::Pending {
                    self.tell_agents(notice).await?;
                }
            }
        }
        Ok(sent)
    }

    async fn tell_agents(&self, notice: EmailNotice) -> Result<()> {
        if let Some(c) = self.store.conversation(notice.conversation_id).await? {
            let to = Audience::ConversationAgents { store_id: c.store_id, assignee: c.assigned_agent_id };
            self.fanout.publish(&to, &ServerFrame::EmailStatus { email: notice });
        }
        Ok(())
    }

    /// The conversation's emails, for an agent who opens it.
    pub async fn emails_of(&self, conversation_id: i64) -> Result<Vec<EmailNotice>> {
        Ok(self.store.emails_of(conversation_id).await?)
    }
}

/// A checked recipient address: one email address with a dotted domain.
fn checked_address(text: &str) -> Result<String> {
    let text = text.trim();
    let bad = || Error::invalid(format!("{text:?} is not an email address"));
    let address: email_address::EmailAddress = text.parse().map_err(|_| bad())?;
    if text.len() > 254 || !address.domain().contains('.') || text.parse::<lettre::Address>().is_err() {
        return Err(bad());
    }
    Ok(address.email())
}

/// Runs the sweep every [`SWEEP_EVERY`] (and at once when an email is queued) until shutdown.
pub async fn watch(mailer: Arc<Mailer>, shutdown: CancellationToken) {
    if !mailer.enabled() {
        return;
    }
    let mut ticker = crate::ticker::Ticker::new(SWEEP_EVERY, shutdown);
    while ticker.next(Some(&mailer.queued)).await {
        let now = crate::store::now_millis();
        if let Err(error) = mailer.gather_replies(now).await {
            tracing::warn!(%error, "gathering replies to email failed");
        }
        if let Err(error) = mailer.deliver(now).await {
            tracing::warn!(%error, "delivering emails failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(backoff_ms(0), 30_000);
        assert_eq!(backoff_ms(1), 60_000);
        assert_eq!(backoff_ms(6), 1_920_000);
        assert_eq!(backoff_ms(7), 3_600_000);
        assert_eq!(backoff_ms(40), 3_600_000);
    }

    #[test]
    fn recipients_are_checked() {
        assert_eq!(checked_address(" ana@example.com ").unwrap(), "ana@example.com");
        for bad in ["", "ana", "ana@localhost", "a b@example.com", "ana@example.com, bob@example.com"] {
            assert!(checked_address(bad).is_err(), "{bad:?}");
        }
    }
}
