//! What the relay knows of each open conversation, in memory: its store, shopper, assignee,
//! last sequence number, whether a human has replied and where the bot's away conversation
//! stands. Every message would otherwise read them back from the database (is it open, whose
//! is it, has a person answered); with them here, a shopper's follow-up and an agent's reply
//! cost one insert and no read.
//!
//! The facts are loaded once, when the store opens, and from then on changed only by the
//! writer's thread, right after the batch that changed the database committed and in the
//! batch's order, so they never run ahead of the disk nor fall behind it. Conversations
//! deleted outside the writer (a shopper's data erased, retention) are reloaded the same way.
//! A conversation another process removed is dropped when a write to it finds it gone.
//!
//! On PostgreSQL other relays write to the same conversations, so memory cannot know them all:
//! there the facts are read from the database each time ([`super::Store::facts_of`]) and memory
//! only learns of conversations it did not know and forgets those closed elsewhere.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use protocol::{Role, Seq};

use super::db;
use super::statements::{vals, Statements, Values};
use super::{ConversationRecord, StoreError};

/// The facts of one open conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationFacts {
    /// Its store.
    pub store_id: i64,
    /// Its shopper.
    pub visitor_id: String,
    /// When it began (ms).
    pub created_at: i64,
    /// The latest sequence number.
    pub last_seq: Seq,
    /// The agent handling it, if any.
    pub assignee: Option<i64>,
    /// Whether a human agent has written in it.
    pub human_replied: bool,
    /// Where the bot's away conversation stands (`asked_email`, `email_left`), if anywhere.
    pub away_state: Option<String>,
    /// The shopper's browser language as the widget last reported it (the bot answers in it
    /// when a message does not say).
    pub language: Option<String>,
}

impl ConversationFacts {
    /// The record the rest of the relay checks access with.
    pub fn record(&self, id: i64) -> ConversationRecord {
        ConversationRecord {
            id,
            store_id: self.store_id,
            visitor_id: self.visitor_id.clone(),
            created_at: self.created_at,
            last_seq: self.last_seq,
            assigned_agent_id: self.assignee,
        }
    }
}

/// The open conversations by id, and each shopper's open one.
#[derive(Debug, Default, Clone)]
pub(super) struct Open {
    by_id: HashMap<i64, ConversationFacts>,
    by_visitor: HashMap<String, i64>,
}

impl Open {
    fn insert(&mut self, id: i64, facts: ConversationFacts) {
        self.by_visitor.insert(facts.visitor_id.clone(), id);
        self.by_id.insert(id, facts);
    }
}

/// The open conversations' facts, shared by every handle on the store.
#[derive(Debug, Default)]
pub(super) struct Facts {
    open: Mutex<Open>,
}

/// The columns [`read_open`] reads, in order.
const COLUMNS: &str = "id, store_id, visitor_id, created_at, last_seq, assigned_agent_id,
    first_human_reply_at IS NOT NULL, away_state,
    (SELECT language FROM visitors WHERE visitors.id = conversations.visitor_id)";

/// Every open conversation's facts, read in a write job (or on the writer's connection at open).
pub(super) fn read_open(conn: &dyn Statements) -> Result<Open, StoreError> {
    let mut open = Open::default();
    for r in conn.rows(&format!("SELECT {COLUMNS} FROM conversations WHERE closed_at IS NULL"), vec![])? {
        open.insert(r.int(0), facts_of(&r));
    }
    Ok(open)
}

/// One open conversation's facts, read in a write job.
pub(super) fn read_one(conn: &dyn Statements, id: i64) -> Result<Option<ConversationFacts>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM conversations WHERE id = ? AND closed_at IS NULL");
    Ok(conn.row(&sql, vals![id])?.map(|r| facts_of(&r)))
}

fn facts_of(r: &Values) -> ConversationFacts {
    ConversationFacts {
        store_id: r.int(1),
        visitor_id: r.text(2),
        created_at: r.int(3),
        last_seq: r.int(4).max(0) as Seq,
        assignee: r.opt_int(5),
        human_replied: r.int(6) != 0,
        away_state: r.opt_text(7),
        language: r.opt_text(8),
    }
}

/// The same from a read on the pool (PostgreSQL, where other relays write too).
fn facts_of_row(r: &db::Row) -> ConversationFacts {
    ConversationFacts {
        store_id: r.get(1),
        visitor_id: r.get(2),
        created_at: r.get(3),
        last_seq: r.get::<i64, _>(4).max(0) as Seq,
        assignee: r.get(5),
        human_replied: r.flag(6),
        away_state: r.get(7),
        language: r.get(8),
    }
}

impl Facts {
    fn lock(&self) -> MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Replaces everything (at open, and after deletions made outside the writer).
    pub(super) fn replace(&self, open: Open) {
        *self.lock() = open;
    }

    /// One open conversation's facts.
    pub(super) fn get(&self, id: i64) -> Option<ConversationFacts> {
        self.lock().by_id.get(&id).cloned()
    }

    /// A shopper's open conversation.
    pub(super) fn of_visitor(&self, visitor_id: &str) -> Option<ConversationRecord> {
        let open = self.lock();
        let id = *open.by_visitor.get(visitor_id)?;
        open.by_id.get(&id).map(|f| f.record(id))
    }

    /// Every open conversation, by id (for the test that compares them with the database).
    pub(super) fn all(&self) -> Vec<(i64, ConversationFacts)> {
        let mut all: Vec<_> = self.lock().by_id.iter().map(|(id, f)| (*id, f.clone())).collect();
        all.sort_by_key(|(id, _)| *id);
        all
    }

    /// A conversation was opened (created, or reopened).
    pub(super) fn opened(&self, id: i64, facts: ConversationFacts) {
        self.lock().insert(id, facts);
    }

    /// A conversation was closed, or is gone.
    pub(super) fn closed(&self, id: i64) {
        let mut open = self.lock();
        if let Some(facts) = open.by_id.remove(&id) {
            if open.by_visitor.get(&facts.visitor_id) == Some(&id) {
                open.by_visitor.remove(&facts.visitor_id);
            }
        }
    }

    /// A message was stored in it.
    /// Returns when the conversation began if this was its first human reply.
    pub(super) fn appended(&self, id: i64, seq: Seq, role: Role) -> Option<i64> {
        let mut open = self.lock();
        let facts = open.by_id.get_mut(&id)?;
        facts.last_seq = facts.last_seq.max(seq);
        let first_reply = role == Role::Agent && !facts.human_replied;
        facts.human_replied |= role == Role::Agent;
        first_reply.then_some(facts.created_at)
    }

    /// Routing gave it to `assignee` (`None`: the queue).
    pub(super) fn assigned(&self, id: i64, assignee: Option<i64>) {
        if let Some(facts) = self.lock().by_id.get_mut(&id) {
            facts.assignee = assignee;
        }
    }

    /// The shopper reported their browser's language: every open conversation of theirs has it.
    pub(super) fn language(&self, visitor_id: &str, language: &str) {
        let mut open = self.lock();
        let Some(id) = open.by_visitor.get(visitor_id).copied() else { return };
        if let Some(facts) = open.by_id.get_mut(&id) {
            facts.language = Some(language.to_owned());
        }
    }

    /// The bot's away conversation moved on.
    pub(super) fn away(&self, id: i64, state: &str) {
        if let Some(facts) = self.lock().by_id.get_mut(&id) {
            facts.away_state = Some(state.to_owned());
        }
    }
}

impl super::Store {
    /// One open conversation's facts (`None`: closed or unknown). From memory on SQLite, where
    /// this relay is the only writer; from the database on PostgreSQL, where memory is then
    /// told of a conversation another relay opened, or forgets one another relay closed.
    pub(super) async fn facts_of(&self, id: i64) -> Result<Option<ConversationFacts>, StoreError> {
        if !self.shared() {
            return Ok(self.facts.get(id));
        }
        let sql = format!("SELECT {COLUMNS} FROM conversations WHERE id = ? AND closed_at IS NULL");
        let row = db::query(sql).bind(id).fetch_optional(&self.pool).await?;
        Ok(self.learn(id, row.map(|r| facts_of_row(&r))))
    }

    /// A shopper's open conversation, as [`Self::facts_of`] reads it.
    pub(super) async fn open_of_visitor(&self, visitor_id: &str) -> Result<Option<ConversationRecord>, StoreError> {
        if !self.shared() {
            return Ok(self.facts.of_visitor(visitor_id));
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM conversations WHERE visitor_id = ? AND closed_at IS NULL ORDER BY id DESC LIMIT 1"
        );
        let Some(row) = db::query(sql).bind(visitor_id).fetch_optional(&self.pool).await? else {
            if let Some(gone) = self.facts.of_visitor(visitor_id) {
                self.facts.closed(gone.id);
            }
            return Ok(None);
        };
        let id: i64 = row.get(0);
        Ok(self.learn(id, Some(facts_of_row(&row))).map(|facts| facts.record(id)))
    }

    /// Brings memory in line with what the database said of a conversation: a new one is
    /// added (later writes here keep it up to date), a closed one is forgotten. Known ones are
    /// left as they are: this relay's own commits keep them, and a read may be older.
    fn learn(&self, id: i64, read: Option<ConversationFacts>) -> Option<ConversationFacts> {
        match &read {
            Some(facts) if self.facts.get(id).is_none() => self.facts.opened(id, facts.clone()),
            Some(_) => {}
            None => self.facts.closed(id),
        }
        read
    }

    /// Reads every open conversation's facts again, in the writer's order (after deletions
    /// made on another connection).
    pub(super) async fn reload_facts(&self) -> Result<(), super::StoreError> {
        let facts = self.facts.clone();
        self.job(read_open, move |open| facts.replace(open.clone())).await.map(drop)
    }

    /// The open conversations as memory has them, by id.
    pub fn open_facts(&self) -> Vec<(i64, ConversationFacts)> {
        self.facts.all()
    }

    /// The open conversations as the database has them, by id (to compare with
    /// [`super::Store::open_facts`]).
    pub async fn open_facts_on_disk(&self) -> Result<Vec<(i64, ConversationFacts)>, super::StoreError> {
        let open = self.job(read_open, |_| {}).await?;
        let mut all: Vec<_> = open.by_id.into_iter().collect();
        all.sort_by_key(|(id, _)| *id);
        Ok(all)
    }
}
