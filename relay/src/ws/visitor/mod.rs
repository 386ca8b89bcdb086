//! The shopper's socket: `GET /ws/visitor?store=KEY`, then a `hello`.
//!
//! The store key and the page's origin are checked before the upgrade, so a page that may not
//! embed the store never gets a socket. `hello` either proves an earlier identity with a signed
//! token or gets a new one. A visitor can only ever reach their own conversation: no frame of
//! theirs names a conversation at all.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use protocol::{ErrorCode, Identity, PageView, Role, ServerFrame, StoreInfo, VisitorFrame};

use super::socket::{close_code, Flow, Handled, InFlight, Out, Session};
use super::{admit, check_message, send_history, upgrade_into, IgnoredWaits, TypingThrottle};
use crate::error::{Error, Result};
use crate::hub::Registration;
use crate::origin::origin_allowed;
use crate::state::AppState;
use crate::store::{AppendOutcome, ConversationRecord, NewMessage, StoreRecord};

mod pages;

/// Checks the store and origin, then upgrades to a visitor session.
pub async fn upgrade(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response> {
    admit(&state, peer, "visitor")?;
    let key =
        query.get("store").ok_or_else(|| Error::new(ErrorCode::UnknownStore, "the ?store= parameter is missing"))?;
    let Some(store) = state.store.store_by_key(key).await? else {
        tracing::info!(store = ?key, "visitor socket for an unknown store");
        return Err(Error::unknown_store(key));
    };
    origin_allowed(&store, &headers)?;
    let session = VisitorSession {
        state: state.clone(),
        store,
        ip: peer.ip(),
        me: None,
        typing: Default::default(),
        ignored_waits: Default::default(),
        proactive: None,
    };
    Ok(upgrade_into(&state, ws, session))
}

struct VisitorSession {
    state: Arc<AppState>,
    store: StoreRecord,
    ip: IpAddr,
    me: Option<Visitor>,
    typing: TypingThrottle,
    /// Refusals for going over a limit since the last frame that was served.
    ignored_waits: IgnoredWaits,
    /// The proactive message the shopper's next new conversation answers.
    proactive: Option<protocol::ProactiveRule>,
}

struct Visitor {
    id: String,
    conversation: Option<ConversationRecord>,
    _registration: Registration,
    /// Dropped after the registration: records when the shopper's last socket closed.
    _here: super::away::Here,
}

/// A shopper's send on its way to the disk.
struct Sent {
    client_id: String,
    text: String,
    /// The conversation it was queued for (none when it was refused before, or opened one).
    conversation: Option<ConversationRecord>,
    /// Its outcome; `None` when it was finished already (a first message opens a conversation
    /// and is answered at once).
    result: Result<Option<AppendOutcome>>,
}

impl Session for VisitorSession {
    type Frame = VisitorFrame;
    type Done = Sent;
    const TYPES: &'static [&'static str] = VisitorFrame::TYPES;
    const KIND: &'static str = "visitor";

    fn introduced(&self) -> bool {
        self.me.is_some()
    }

    fn pipelined(frame: &VisitorFrame) -> bool {
        matches!(frame, VisitorFrame::Send { .. })
    }

    fn too_many(&mut self, frame: VisitorFrame, busy: Error) -> Sent {
        let (client_id, text) = match frame {
            VisitorFrame::Send { client_id, text } => (client_id, text),
            _ => Default::default(),
        };
        let refusal = self.check_send(&client_id, &text).err().unwrap_or(busy);
        Sent { client_id, text, conversation: None, result: Err(refusal) }
    }

    async fn finish(&mut self, sent: Sent, out: &Out) -> Flow {
        let Sent { client_id, text, conversation, result } = sent;
        let result = match (result, conversation) {
            (Ok(Some(outcome)), Some(conversation)) => {
                self.delivered(&client_id, &text, &conversation, &outcome, out).await
            }
            (Err(refusal), Some(conversation)) if refusal.code == ErrorCode::NotFound => {
                // An agent closed the conversation meanwhile: this message starts a new one.
                if let Some(me) =
                    self.me.as_mut().filter(|m| m.conversation.as_ref().is_some_and(|c| c.id == conversation.id))
                {
                    me.conversation = None;
                }
                self.post(&client_id, &text, out).await
            }
            (Err(refusal), _) => Err(refusal),
            (Ok(_), _) => Ok(()),
        };
        match result {
            Ok(()) => self.ignored_waits.served(),
            Err(refusal) => {
                let limited = refusal.code == ErrorCode::RateLimited;
                out.refuse(&refusal, Some(client_id)).await;
                if limited && self.ignored_waits.refused() {
                    return ignored_waits_close();
                }
            }
        }
        Flow::Continue
    }

    async fn handle(&mut self, frame: VisitorFrame, out: &Out) -> Handled<Sent> {
        let result = match frame {
            VisitorFrame::Hello { token, last_seq, identity } => self.hello(token, last_seq, identity, out).await,
            VisitorFrame::Attributes { attributes } => self.attributes(attributes).await,
            VisitorFrame::Send { client_id, text } => return Handled::Later(self.send(client_id, text, out).await),
            VisitorFrame::Ack { seq } => self.ack(seq).await,
            // Reading the store's rules shares the shopper's message budget.
            VisitorFrame::Proactive { rule_id } => match self.me.as_ref().map(|me| self.state.limits.message(&me.id)) {
                // Their conversation is open: the answer goes there, nothing to start.
                Some(Ok(())) if self.me.as_ref().is_some_and(|me| me.conversation.is_some()) => Ok(()),
                Some(Ok(())) => super::proactive::answered(&self.state, self.store.id, rule_id)
                    .await
                    .map(|rule| self.proactive = Some(rule)),
                Some(Err(wait)) => Err(Error::rate_limited("messages", wait)),
                None => Err(not_introduced()),
            },
            VisitorFrame::Feedback { message_id, helpful } => self.feedback(message_id, helpful).await,
            // A rating is a write: it shares the shopper's message budget.
            VisitorFrame::Rate { conversation_id, score, comment } => match self.me.as_ref() {
                Some(me) => match self.state.limits.message(&me.id) {
                    Ok(()) => {
                        let now = crate::store::now_millis();
                        self.state.chat.rate(&me.id, conversation_id, score, comment.as_deref(), now).await
                    }
                    Err(wait) => Err(Error::rate_limited("ratings", wait)),
                },
                None => Err(not_introduced()),
            },
            VisitorFrame::EmailTranscript { email } => match self.me.as_ref() {
                Some(me) => super::away::email_transcript(&self.state, self.store.id, &me.id, &email, out).await,
                None => Err(not_introduced()),
            },
            VisitorFrame::Typing => {
                let conversation = self.me.as_ref().and_then(|m| m.conversation.as_ref());
                if let Some(c) = conversation.filter(|_| self.typing.pass()) {
                    self.state.chat.typing(c, Role::Visitor, None);
                }
                Ok(())
            }
            VisitorFrame::Page { url, title, referrer, language, time_zone, earlier } => {
                self.page(PageView { url, title, at: 0 }, referrer, language, time_zone, earlier).await
            }
            VisitorFrame::Sync { after_seq } => match self.me.as_ref().map(|v| v.conversation.as_ref()) {
                None => Err(not_introduced()),
                // Nothing to page through yet; said, so that a client waiting for `history`
                // does not wait for ever.
                Some(None) => Err(Error::not_found("no conversation yet: it starts with your first message")),
                Some(Some(c)) => send_history(&self.state.store, out, c.id, after_seq).await,
            },
        };
        match result {
            Ok(()) => Flow::Continue.into(),
            Err(refusal) => self.refused(refusal, out).await,
        }
    }
}

/// A shopper's message as the store takes it.
fn visitor_message<'a>(visitor_id: &'a str, client_id: &'a str, text: &'a str) -> NewMessage<'a> {
    NewMessage {
        role: Role::Visitor,
        author_id: visitor_id,
        author_name: None,
        text,
        client_id: Some(client_id),
        faq_article: None,
        faq_choices: &[],
    }
}

/// The end of a socket that kept sending after being told to wait.
fn ignored_waits_close() -> Flow {
    Flow::Close(close_code::POLICY_VIOLATION, "kept sending after being told to wait".into())
}

fn not_introduced() -> Error {
    Error::not_authenticated("send a hello first")
}

impl VisitorSession {
    /// Tells the visitor of a refusal; closes a socket that keeps ignoring waits.
    async fn refused(&mut self, refusal: Error, out: &Out) -> Handled<Sent> {
        let limited = refusal.code == ErrorCode::RateLimited;
        out.refuse(&refusal, None).await;
        if limited && self.ignored_waits.refused() {
            return ignored_waits_close().into();
        }
        Flow::Continue.into()
    }

    async fn hello(
        &mut self,
        token: Option<String>,
        last_seq: u64,
        identity: Option<Identity>,
        out: &Out,
    ) -> Result<()> {
        if self.me.is_some() {
            return Err(Error::new(ErrorCode::AlreadyAuthenticated, "hello was already sent"));
        }
        let store = &self.state.store;
        let claimed = token.as_deref().and_then(|t| self.state.tokens.verify(self.store.id, t));
        let known = match claimed {
            Some(id) if store.visitor_exists(self.store.id, &id).await? => Some(id),
            _ => None,
        };
        if known.is_none() && token.is_some() {
            out.error(ErrorCode::BadToken, "the visitor token is not valid here; a new one was issued", None).await;
        }
        let resolved = super::identity::resolve(&self.state, &self.store, known, identity, out).await?;
        let (visitor_id, customer_id) = (resolved.visitor_id, resolved.customer_id);
        let conversation = store.open_conversation_of(&visitor_id).await?;
        let registration = self.state.hub.join_visitor(&visitor_id, out.peer());
        self.state.hub.settled().await;
        store.visitor_here(&visitor_id, crate::store::now_millis()).await?;
        let here = super::away::Here::new(self.state.clone(), self.store.id, &visitor_id, conversation.as_ref());
        out.send(&ServerFrame::VisitorWelcome {
            visitor_id: visitor_id.clone(),
            token: self.state.tokens.sign(self.store.id, &visitor_id),
            store: StoreInfo { key: self.store.key.clone(), name: self.store.name.clone() },
            conversation_id: conversation.as_ref().map(|c| c.id),
            customer_id,
        })
        .await;
        if let Some(c) = &conversation {
            send_history(store, out, c.id, last_seq).await?;
            if let Some(frame) = self.state.routing.attendance(self.store.id, c.id).await {
                out.send(&frame).await;
            }
        }
        self.me = Some(Visitor { id: visitor_id, conversation, _registration: registration, _here: here });
        Ok(())
    }

    /// Checks a shopper's message and queues it for the disk in their open conversation; a
    /// first message opens one and is answered at once. A refusal is queued as it is, so that
    /// it leaves in order with the acknowledgements before it.
    async fn send(&mut self, client_id: String, text: String, out: &Out) -> InFlight<Sent> {
        let checked = self.check_send(&client_id, &text);
        if let Ok(None) = checked {
            // The first message opens the conversation: answered now, not pipelined.
            let result = self.open_and_post(&client_id, &text, out).await.map(|()| None);
            return Box::pin(std::future::ready(Sent { client_id, text, conversation: None, result }));
        }
        let queued = checked.and_then(|conversation| {
            let conversation = conversation.ok_or_else(|| Error::not_found("no open conversation"))?;
            let pending = self.submit(&conversation, &client_id, &text)?;
            Ok((conversation, pending))
        });
        match queued {
            Ok((conversation, pending)) => Box::pin(async move {
                let result = pending.await.map(Some);
                Sent { client_id, text, conversation: Some(conversation), result }
            }),
            Err(refusal) => {
                Box::pin(std::future::ready(Sent { client_id, text, conversation: None, result: Err(refusal) }))
            }
        }
    }

    /// Checks a shopper's message and their message limit; returns their open conversation's
    /// record, if they have one.
    fn check_send(&self, client_id: &str, text: &str) -> Result<Option<ConversationRecord>> {
        let me = self.me.as_ref().ok_or_else(not_introduced)?;
        check_message(client_id, text)?;
        self.state.limits.message(&me.id).map_err(|wait| Error::rate_limited("messages", wait))?;
        Ok(me.conversation.clone())
    }

    /// Queues a message for the disk in the shopper's open conversation.
    fn submit(
        &self,
        conversation: &ConversationRecord,
        client_id: &str,
        text: &str,
    ) -> Result<impl std::future::Future<Output = Result<AppendOutcome>> + Send + 'static> {
        let me = self.me.as_ref().ok_or_else(not_introduced)?;
        self.state.chat.submit(conversation, &visitor_message(&me.id, client_id, text))
    }

    /// The first message of a conversation: stored with the new conversation in one write,
    /// `accepted` at once, then routed, announced to the team and delivered.
    async fn open_and_post(&mut self, client_id: &str, text: &str, out: &Out) -> Result<()> {
        let me = self.me.as_ref().ok_or_else(not_introduced)?;
        let state = &self.state;
        let may_open = || state.limits.conversation(self.ip).map_err(|w| Error::rate_limited("new conversations", w));
        if let Some(rule) = self.proactive.take() {
            super::proactive::open(state, self.store.id, &me.id, &rule, may_open).await?;
        }
        let new = visitor_message(&me.id, client_id, text);
        let opened = state.chat.open_with(self.store.id, &me.id, may_open, &new).await?;
        if let Some(me) = self.me.as_mut() {
            me.conversation = Some(opened.conversation.clone());
        }
        out.send(&crate::chat::accepted(client_id, &opened.outcome)).await;
        self.state.chat.announce_opened(&opened).await?;
        if !opened.outcome.duplicate {
            crate::bot::after_shopper_message(&self.state.bot, &opened.conversation, text, Some(self.ip)).await?;
        }
        Ok(())
    }

    /// Stores a shopper message in their open conversation, opening one if needed, and waits
    /// for it (a send whose conversation was closed while it was queued).
    async fn post(&mut self, client_id: &str, text: &str, out: &Out) -> Result<()> {
        let Some(conversation) = self.me.as_ref().and_then(|m| m.conversation.clone()) else {
            return self.open_and_post(client_id, text, out).await;
        };
        let me = self.me.as_ref().ok_or_else(not_introduced)?;
        let outcome = self.state.chat.append(&conversation, &visitor_message(&me.id, client_id, text)).await?;
        self.delivered(client_id, text, &conversation, &outcome, out).await
    }

    /// A stored message: the sender hears `accepted` before its echo reaches their tabs, then
    /// the bot has its say.
    async fn delivered(
        &mut self,
        client_id: &str,
        text: &str,
        conversation: &ConversationRecord,
        outcome: &AppendOutcome,
        out: &Out,
    ) -> Result<()> {
        out.send(&crate::chat::accepted(client_id, outcome)).await;
        self.state.chat.deliver(conversation, outcome);
        if !outcome.duplicate {
            crate::bot::after_shopper_message(&self.state.bot, conversation, text, Some(self.ip)).await?;
        }
        Ok(())
    }

    /// "Did this answer your question?": recorded once per answer, then the bot follows up.
    async fn feedback(&mut self, message_id: i64, helpful: bool) -> Result<()> {
        let me = self.me.as_ref().ok_or_else(not_introduced)?;
        let not_found = || Error::new(ErrorCode::NotFound, format!("no FAQ answer {message_id} in your conversation"));
        let conversation = me.conversation.as_ref().ok_or_else(not_found)?;
        let message = self.state.store.message(conversation.id, message_id).await?.ok_or_else(not_found)?;
        let article = message.faq_article.ok_or_else(not_found)?;
        let store = &self.state.store;
        if store.record_feedback(self.store.id, conversation.id, message_id, &article, helpful).await? {
            crate::bot::after_feedback(&self.state.bot, conversation, &message.text, helpful).await?;
        }
        Ok(())
    }

    /// The shopper has read up to `seq`: their agent sees it.
    async fn ack(&mut self, seq: u64) -> Result<()> {
        let me = self.me.as_ref().ok_or_else(not_introduced)?;
        let Some(conversation) = &me.conversation else { return Ok(()) };
        self.state.chat.mark_read(conversation, Role::Visitor, seq).await
    }
}
