//! The conversation service: the one way anything happens in a conversation (a message, a
//! close, a reopen, a note, a read mark, typing, a page the shopper saw). Each is stored first
//! (so it is on disk), then announced through the fan-out to everyone who may see it. The
//! shopper's and the agents' sockets, the HTTP handlers, the bot and the first-reply sweep all
//! call it, so every message follows the same path.

use std::sync::Arc;

use protocol::{ConversationSummary, ErrorCode, PageView, Role, ServerFrame};

use crate::error::{Error, Result};
use crate::fanout::{Audience, Fanout};
use crate::routing::Routing;
use crate::store::{AgentRecord, AppendOutcome, ConversationRecord, NewMessage, Store, StoreError};
use crate::texts::{Key, Lang, Words};

pub mod closing;
pub mod rating;

/// What an agent wants to do with a conversation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Access {
    /// Read its history, mark it read.
    Read,
    /// Write to the shopper (messages, typing), reopen it.
    Write,
    /// Leave a private note for the team.
    Note,
}

/// Whether `agent` may `access` the conversation (of their store). Everyone may use the queue's
/// conversations and their own. Owners and admins supervise: they read every conversation and
/// leave notes on any, but write to a shopper only in the queue's or their own (they claim, or
/// the assignee transfers, first), so a shopper never hears two agents at once.
pub fn may_use(agent: &AgentRecord, conversation: &ConversationRecord, access: Access) -> bool {
    let mine_or_queued = conversation.assigned_agent_id.is_none_or(|a| a == agent.id);
    mine_or_queued || (agent.role.supervises() && access != Access::Write)
}

/// What the shopper's page report carries besides the pages.
#[derive(Debug, Default, Clone)]
pub struct Visit {
    /// Where the visit came from.
    pub referrer: Option<String>,
    /// The browser's language.
    pub language: Option<String>,
    /// The browser's time zone (IANA name).
    pub time_zone: Option<String>,
}

/// Conversations and what happens in them.
pub struct Conversations {
    store: Store,
    fanout: Arc<dyn Fanout>,
    routing: Arc<Routing>,
    words: Arc<Words>,
}

impl Conversations {
    /// The service over this store, delivering through `fanout` to the sides `routing` names;
    /// its notices in each store's own `words`.
    pub fn new(store: Store, fanout: Arc<dyn Fanout>, routing: Arc<Routing>, words: Arc<Words>) -> Self {
        Conversations { store, fanout, routing, words }
    }

    /// Stores `new` in `conversation` and delivers it to both sides. A resend (same author and
    /// client id) is not delivered again; the outcome says so and carries the stored copy.
    pub async fn post(&self, conversation: &ConversationRecord, new: &NewMessage<'_>) -> Result<AppendOutcome> {
        let outcome = self.append(conversation, new).await?;
        self.deliver(conversation, &outcome);
        Ok(outcome)
    }

    /// Stores `new` without delivering it: a socket that sends a message first tells its own
    /// client `accepted`, then calls [`Conversations::deliver`], so that `accepted` always
    /// comes before the message's echo.
    pub async fn append(&self, conversation: &ConversationRecord, new: &NewMessage<'_>) -> Result<AppendOutcome> {
        self.submit(conversation, new)?.await
    }

    /// Queues `new` for the disk now and returns a future of its outcome (see
    /// [`Conversations::append`]): a socket queues several sends and finishes them in order.
    /// Refused at once with `busy` when the writer is behind (a shopper's or agent's message).
    pub fn submit(
        &self,
        conversation: &ConversationRecord,
        new: &NewMessage<'_>,
    ) -> Result<impl std::future::Future<Output = Result<AppendOutcome>> + Send + 'static> {
        let pending = self.store.submit_message(conversation.id, new)?;
        let (id, text) = (conversation.id, new.text.to_owned());
        Ok(async move {
            let outcome = pending.await?;
            if outcome.duplicate && text != outcome.message.text {
                tracing::info!(conversation = id, "a resend with another text kept the stored one");
            }
            Ok(outcome)
        })
    }

    /// Delivers a stored message to both sides of its conversation (not a resend's copy).
    pub fn deliver(&self, conversation: &ConversationRecord, outcome: &AppendOutcome) {
        if !outcome.duplicate {
            let frame = ServerFrame::Message { message: outcome.message.clone() };
            self.fanout.publish(&self.routing.audience(conversation), &frame);
        }
    }

    /// The shopper's open conversation, opened (and routed, and announced to the team) when
    /// they have none; `may_open` is asked first (the per-address limit on new conversations).
    pub async fn open_for(
        &self,
        store_id: i64,
        visitor_id: &str,
        may_open: impl FnOnce() -> Result<()>,
    ) -> Result<ConversationRecord> {
        if let Some(open) = self.store.open_conversation_of(visitor_id).await? {
            // Another tab opened it meanwhile.
            return Ok(open);
        }
        may_open()?;
        let (conversation, created) = self.store.create_conversation(store_id, visitor_id).await?;
        if created {
            self.route_new(&conversation, None).await?;
        }
        Ok(conversation)
    }

    /// A shopper's first message when they have no open conversation: the conversation is
    /// opened and the message stored in one write (one commit), not yet routed nor delivered.
    /// The sender hears `accepted`, then [`Conversations::announce_opened`] does the rest.
    pub async fn open_with(
        &self,
        store_id: i64,
        visitor_id: &str,
        may_open: impl FnOnce() -> Result<()>,
        new: &NewMessage<'_>,
    ) -> Result<Opened> {
        if let Some(open) = self.store.open_conversation_of(visitor_id).await? {
            // Another tab opened it meanwhile.
            let outcome = self.append(&open, new).await?;
            return Ok(Opened { conversation: open, outcome, created: false });
        }
        may_open()?;
        let (conversation, created, outcome) = self.store.open_with_message(store_id, visitor_id, Some(new)).await?;
        let outcome = outcome.ok_or_else(Error::internal)?;
        Ok(Opened { conversation, outcome, created })
    }

    /// Routes a conversation [`Conversations::open_with`] created and tells the team, then
    /// delivers its first message (to its agent alone, or to the whole team while it waits).
    pub async fn announce_opened(&self, opened: &Opened) -> Result<()> {
        if opened.created {
            self.route_new(&opened.conversation, Some(&opened.outcome.message)).await?;
        }
        self.deliver(&opened.conversation, &opened.outcome);
        Ok(())
    }

    /// Routes a new conversation, then announces it to the agents who may take it. Routed
    /// first, so that the conversation and its first message go to its agent alone (or to the
    /// whole team while it waits).
    async fn route_new(&self, conversation: &ConversationRecord, first: Option<&protocol::Message>) -> Result<()> {
        let store_id = conversation.store_id;
        self.routing.route(store_id, conversation.id, &conversation.visitor_id).await?;
        // A new conversation has at most its first message and no email yet: nothing to read back.
        let summary = ConversationSummary {
            id: conversation.id,
            visitor_id: conversation.visitor_id.clone(),
            created_at: conversation.created_at,
            last_seq: first.map_or(conversation.last_seq, |m| m.seq),
            last_message: first.cloned(),
            assigned_agent_id: self.routing.handler(conversation.id),
            follow_up_email: None,
            agent_read_seq: 0,
            visitor_read_seq: 0,
            unread_from_shopper: u32::from(first.is_some_and(|m| m.author.role == protocol::Role::Visitor)),
            closed_at: None,
            closes_at: None,
            resolved: None,
            rating: None,
            rating_comment: None,
        };
        let frame = ServerFrame::Conversation { conversation: summary };
        self.fanout.publish(&self.routing.agents_audience(store_id, conversation.id), &frame);
        Ok(())
    }

    /// Ends a conversation for `agent`: the shopper is told in the conversation itself, in the
    /// language they last wrote in (or their browser's), then everyone gets `closed`, and the agent's capacity goes
    /// to the next shopper in the queue. Closing one already closed does nothing.
    /// `resolved` records whether it counts as resolved in the reports.
    pub async fn close(&self, agent: i64, conversation: &ConversationRecord, resolved: bool) -> Result<()> {
        self.routing.may_close(agent, conversation).await?;
        self.finish(conversation, Some(agent), resolved, "agent").await
    }

    /// The close itself: the notice, the stored close, routing, and `closed` to everyone.
    async fn finish(
        &self,
        conversation: &ConversationRecord,
        by: Option<i64>,
        resolved: bool,
        how: &'static str,
    ) -> Result<()> {
        let recent = self.store.recent_messages(conversation.id, 10).await?;
        let said = recent.iter().rev().find(|m| m.author.role == Role::Visitor).map_or("", |m| m.text.as_str());
        let browser = self.store.bot_context(conversation.id).await.ok().and_then(|c| c.language);
        let lang = Lang::for_shopper(said, browser.as_deref());
        let voice = self.words.voice(conversation.store_id, &conversation.visitor_id, lang).await?;
        let closed = voice.say(Key::Closed);
        let notice = NewMessage {
            role: Role::System,
            author_id: "system",
            author_name: None,
            text: &closed,
            client_id: Some("closed"),
            faq_article: None,
            faq_choices: &[],
        };
        match self.post(conversation, &notice).await {
            // Closed by someone else a moment ago: nothing more to do.
            Err(error) if error.code == ErrorCode::NotFound => return Ok(()),
            result => result?,
        };
        if !self.store.close_conversation(conversation.id, by, resolved).await? {
            return Ok(());
        }
        crate::metrics::closed(how);
        self.routing.close(conversation.store_id, conversation.id).await?;
        let frame = ServerFrame::Closed { conversation_id: conversation.id, by_agent_id: by };
        self.fanout.publish(&Audience::StoreAgents(conversation.store_id), &frame);
        self.fanout.publish(&Audience::Visitor(conversation.visitor_id.clone()), &frame);
        Ok(())
    }

    /// Opens a closed conversation again for `agent`; the store's agents hear of it as a new
    /// conversation, then of its assignment.
    pub async fn reopen(&self, agent: i64, conversation: &ConversationRecord) -> Result<()> {
        match self.store.reopen_conversation(conversation.id, agent).await {
            Ok(true) => {}
            Ok(false) => return Err(Error::invalid("the conversation is open")),
            Err(StoreError::AlreadyExists(why)) => return Err(Error::new(ErrorCode::AlreadyExists, why)),
            Err(e) => return Err(e.into()),
        }
        let summary = self.store.summary(conversation).await?;
        let frame = ServerFrame::Conversation { conversation: summary };
        self.fanout.publish(&Audience::StoreAgents(conversation.store_id), &frame);
        self.routing.reopen(agent, conversation).await
    }

    /// Stores a private note and shows it to the store's agents, never to the shopper.
    pub async fn note(
        &self,
        conversation: &ConversationRecord,
        agent: &AgentRecord,
        text: &str,
        client_id: &str,
    ) -> Result<()> {
        let note = self.store.add_note(conversation.id, agent.id, &agent.name, text, client_id).await?;
        self.fanout.publish(&Audience::StoreAgents(conversation.store_id), &ServerFrame::Note { note });
        Ok(())
    }

    /// Marks the conversation read up to `seq` by one side and tells the other.
    pub async fn mark_read(&self, conversation: &ConversationRecord, by: Role, seq: u64) -> Result<()> {
        let seq = self.store.mark_read(conversation.id, by, seq).await?;
        let frame = ServerFrame::Read { conversation_id: conversation.id, seq, by };
        let other_side = match by {
            Role::Visitor => Audience::StoreAgents(conversation.store_id),
            _ => Audience::Visitor(conversation.visitor_id.clone()),
        };
        self.fanout.publish(&other_side, &frame);
        Ok(())
    }

    /// Tells the other side that `by` is typing (an agent's name goes with it).
    pub fn typing(&self, conversation: &ConversationRecord, by: Role, name: Option<String>) {
        let frame = ServerFrame::Typing { conversation_id: conversation.id, by, name };
        let other_side = match by {
            Role::Visitor => self.routing.agents_audience(conversation.store_id, conversation.id),
            _ => Audience::Visitor(conversation.visitor_id.clone()),
        };
        self.fanout.publish(&other_side, &frame);
    }

    /// Records pages a shopper saw, each with its time (checked by the caller), and shows the
    /// last one to the store's agents when it is new and the shopper is chatting.
    pub async fn record_pages(
        &self,
        visitor_id: &str,
        conversation: Option<&ConversationRecord>,
        pages: &[(PageView, i64)],
        visit: &Visit,
    ) -> Result<()> {
        let mut last = None;
        for (page, at) in pages {
            let (referrer, language) = (visit.referrer.as_deref(), visit.language.as_deref());
            last =
                self.store.record_page(visitor_id, page, *at, referrer, language, visit.time_zone.as_deref()).await?;
        }
        if let (Some(page), Some(conversation)) = (last, conversation) {
            let frame = ServerFrame::VisitorPage { conversation_id: conversation.id, page };
            self.fanout.publish(&Audience::StoreAgents(conversation.store_id), &frame);
        }
        Ok(())
    }
}

/// A conversation opened by its first message (see [`Conversations::open_with`]).
#[derive(Debug, Clone)]
pub struct Opened {
    /// The conversation.
    pub conversation: ConversationRecord,
    /// Its first message, stored.
    pub outcome: AppendOutcome,
    /// Whether it was created now (else another tab had opened it: nothing to route).
    pub created: bool,
}

/// The `accepted` frame that tells a sender its message is stored.
pub fn accepted(client_id: &str, outcome: &AppendOutcome) -> ServerFrame {
    let message = &outcome.message;
    ServerFrame::Accepted {
        client_id: client_id.to_owned(),
        conversation_id: message.conversation_id,
        message_id: message.id,
        seq: message.seq,
        at: message.at,
    }
}
