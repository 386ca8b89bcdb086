//! A conversation's routing timeline (who had it when), the shopper's current wait for a first
//! reply, and the bot's state in it.

use super::db;
use super::statements::vals;
use super::{Store, StoreError};

/// A conversation whose shopper waited past the deadline.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
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
    /// The shopper's browser language, as the widget reported it.
    pub language: Option<String>,
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

impl Store {
    /// What the bot needs to know of an open conversation and its store, from memory.
    pub async fn bot_context(&self, conversation_id: i64) -> Result<BotContext, StoreError> {
        let facts = self
            .facts_of(conversation_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("no open conversation {conversation_id}")))?;
        let (hours, timezone) = self.hours(facts.store_id).await?;
        Ok(BotContext {
            away_state: facts.away_state,
            human_replied: facts.human_replied,
            hours,
            timezone,
            language: facts.language,
        })
    }

    /// Whether a human agent has written in the conversation.
    pub async fn human_replied(&self, conversation_id: i64) -> Result<bool, StoreError> {
        if let Some(facts) = self.facts_of(conversation_id).await? {
            return Ok(facts.human_replied);
        }
        let at: Vec<Option<i64>> = db::query_scalar("SELECT first_human_reply_at FROM conversations WHERE id = ?")
            .bind(conversation_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(at.into_iter().next().flatten().is_some())
    }

    /// Records routing events (and so who handles each conversation now) in one transaction:
    /// all of them or none.
    pub async fn record_events(&self, events: &[&RoutingEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let events: Vec<RoutingEvent> = events.iter().map(|e| (*e).clone()).collect();
        let assignees: Vec<(i64, Option<i64>)> =
            events.iter().filter(|e| e.kind != EventKind::Closed).map(|e| (e.conversation_id, e.agent_id)).collect();
        let facts = self.facts.clone();
        self.job(
            move |conn| {
                // One job: the events commit together; a trigger sets the conversation's
                // assignee from each event.
                for event in events {
                    conn.execute(
                        "INSERT INTO conversation_events (conversation_id, kind, agent_id, from_agent_id, at)
                             VALUES (?, ?, ?, ?, ?)",
                        vals![
                            event.conversation_id,
                            event.kind.as_str(),
                            event.agent_id,
                            event.from_agent_id,
                            event.at
                        ],
                    )?;
                }
                Ok(())
            },
            move |()| {
                for (id, agent) in assignees {
                    facts.assigned(id, agent);
                }
            },
        )
        .await
    }

    /// The open conversations of a store that have a shopper message, oldest first, with their
    /// assignees: what the routing desk is rebuilt from after a restart.
    pub async fn open_assignments(&self, store_id: i64) -> Result<Vec<(i64, String, Option<i64>)>, StoreError> {
        let rows = db::query(
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
        let rows = db::query_as::<Overdue>(
            "SELECT c.id AS conversation_id, c.store_id, c.awaiting_since, c.first_human_reply_at IS NOT NULL AS answered_before
             FROM conversations c JOIN stores s ON s.id = c.store_id
             WHERE c.awaiting_since IS NOT NULL AND c.deadline_handled_at IS NULL AND c.closed_at IS NULL
               AND c.awaiting_since + s.first_reply_secs * 1000 <= ?
             ORDER BY c.awaiting_since",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    /// Marks the current wait of a conversation as handled, unless a human answered meanwhile
    /// or a newer wait began; returns whether it did.
    pub async fn mark_deadline_handled(
        &self,
        conversation_id: i64,
        awaiting_since: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE conversations SET deadline_handled_at = ?
                   WHERE id = ? AND awaiting_since = ? AND deadline_handled_at IS NULL";
        Ok(self.execute(sql, vals![now, conversation_id, awaiting_since]).await? == 1)
    }

    /// Where the away conversation stands (`None`, `asked_email`, `email_left`).
    pub async fn away_state(&self, conversation_id: i64) -> Result<Option<String>, StoreError> {
        if let Some(facts) = self.facts_of(conversation_id).await? {
            return Ok(facts.away_state);
        }
        let state = db::query_scalar("SELECT away_state FROM conversations WHERE id = ?")
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
        let sql =
            "UPDATE conversations SET away_state = ?, follow_up_email = COALESCE(?, follow_up_email) WHERE id = ?";
        let values = vals![state, email, conversation_id];
        let (facts, state) = (self.facts.clone(), state.to_owned());
        self.job(move |conn| conn.execute(sql, values), move |_| facts.away(conversation_id, &state)).await?;
        Ok(())
    }

    /// Marks the current wait as answered by the bot, so the deadline does not add a second
    /// automatic message to it.
    pub async fn settle_wait(&self, conversation_id: i64, now: i64) -> Result<(), StoreError> {
        let sql = "UPDATE conversations SET deadline_handled_at = COALESCE(deadline_handled_at, ?)
                   WHERE id = ? AND awaiting_since IS NOT NULL";
        self.execute(sql, vals![now, conversation_id]).await?;
        Ok(())
    }

    /// The kinds of a conversation's timeline events, oldest first (for tests and metrics).
    pub async fn conversation_events(&self, conversation_id: i64) -> Result<Vec<(String, Option<i64>)>, StoreError> {
        let rows = db::query("SELECT kind, agent_id FROM conversation_events WHERE conversation_id = ? ORDER BY id")
            .bind(conversation_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| (r.get("kind"), r.get("agent_id"))).collect())
    }
}
