//! The agent's socket: `GET /ws/agent`, then `login` (email and password) or `resume` (a
//! session token from an earlier login).
//!
//! An agent belongs to exactly one store. Every frame that names a conversation is checked
//! against that store, and a conversation of another store is answered `not_found`, exactly
//! like one that does not exist, so nothing leaks across tenants.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::Response;
use protocol::{AgentFrame, AgentInfo, AgentStatus, ErrorCode, Role, ServerFrame, StoreInfo};

use super::socket::{close_code, Flow, Out, Session};
use super::{admit, check_message, send_history, upgrade_into, Refusal, TypingThrottle};
use crate::app::AppState;
use crate::auth::{
    check_credentials, new_session_token, session_cookie, session_token_hash, SignIn, SESSION_MAX_IDLE_MS,
};
use crate::http::{same_origin_only, BUSY_WAIT};
use crate::hub::Registration;
use crate::limits::SignInRefused;
use crate::routing::desk::Presence;
use crate::routing::from_status;
use crate::store::{AgentRecord, ConversationRecord, NewMessage, StoreRecord};

/// Failed sign-ins on one socket before the relay closes it.
const MAX_FAILED_LOGINS: u8 = 5;
/// How many open conversations `agent_welcome` lists.
const WELCOME_CONVERSATIONS: u32 = 100;

/// Upgrades to an agent session. Browsers may only open it from the relay's own pages.
pub async fn upgrade(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Err(refused) = admit(&state, peer, "agent") {
        return refused;
    }
    if let Err(refused) = same_origin_only(&headers) {
        return refused;
    }
    let session = AgentSession {
        state: state.clone(),
        me: None,
        failed_logins: 0,
        typing: Default::default(),
        cookie: session_cookie(&headers),
        ip: peer.ip(),
    };
    upgrade_into(&state, ws, session)
}

struct AgentSession {
    state: Arc<AppState>,
    me: Option<SignedIn>,
    failed_logins: u8,
    typing: TypingThrottle,
    /// The console's session cookie, when the upgrade request carried one: `resume` without a
    /// token uses it.
    cookie: Option<String>,
    /// The client's address, for the sign-in limits.
    ip: std::net::IpAddr,
}

struct SignedIn {
    agent: AgentRecord,
    store: StoreRecord,
    session_token: String,
    _registration: Registration,
}

impl Drop for AgentSession {
    fn drop(&mut self) {
        if let Some(me) = &self.me {
            self.state.routing.agent_disconnected(me.agent.id);
        }
    }
}

impl Session for AgentSession {
    type Frame = AgentFrame;
    const TYPES: &'static [&'static str] = AgentFrame::TYPES;

    fn introduced(&self) -> bool {
        self.me.is_some()
    }

    async fn handle(&mut self, frame: AgentFrame, out: &Out) -> Flow {
        let result = match frame {
            AgentFrame::Login { email, password, status, store } => {
                self.login(&email, password, status, store.as_deref(), out).await
            }
            AgentFrame::Resume { token, status } => self.resume(&token, status, out).await,
            AgentFrame::SetStatus { status } => match self.signed_in() {
                Ok(agent) => {
                    self.state.routing.set_status(&self.state, agent, from_status(status)).await.map_err(Refusal::from)
                }
                Err(refusal) => Err(refusal),
            },
            AgentFrame::SetCapacity { capacity } => match self.signed_in() {
                Ok(agent) => self.state.routing.set_capacity(&self.state, agent, capacity).await,
                Err(refusal) => Err(refusal),
            },
            AgentFrame::Claim { conversation_id } => match self.conversation(conversation_id).await {
                Ok(c) => self.state.routing.claim(&self.state, self.signed_in_id(), c.id).await,
                Err(refusal) => Err(refusal),
            },
            AgentFrame::Transfer { conversation_id, to_agent_id } => match self.conversation(conversation_id).await {
                Ok(c) => self.state.routing.transfer(&self.state, self.signed_in_id(), c.id, to_agent_id).await,
                Err(refusal) => Err(refusal),
            },
            AgentFrame::Release { conversation_id } => match self.conversation(conversation_id).await {
                Ok(c) => self.state.routing.release(&self.state, self.signed_in_id(), c.id).await,
                Err(refusal) => Err(refusal),
            },
            AgentFrame::Close { conversation_id } => self.close(conversation_id).await,
            AgentFrame::Reopen { conversation_id } => self.reopen(conversation_id).await,
            AgentFrame::Note { conversation_id, client_id, text } => {
                match self.note(conversation_id, &client_id, &text).await {
                    Err(refusal) => {
                        refusal.send(out, Some(client_id)).await;
                        Ok(())
                    }
                    ok => ok,
                }
            }
            AgentFrame::Typing { conversation_id } => match self.conversation_for(conversation_id, Access::Write).await
            {
                Ok(c) => {
                    if self.typing.pass() {
                        let name = self.me.as_ref().map(|m| m.agent.name.clone());
                        let frame = ServerFrame::Typing { conversation_id: c.id, by: Role::Agent, name };
                        self.state.hub.to_visitor(&c.visitor_id, &frame);
                    }
                    Ok(())
                }
                Err(refusal) => Err(refusal),
            },
            AgentFrame::Logout => match self.logout().await {
                Ok(()) => return Flow::Close(close_code::NORMAL, "signed out".into()),
                Err(refusal) => Err(refusal),
            },
            AgentFrame::Send { conversation_id, client_id, text } => {
                match self.send(conversation_id, &client_id, &text, out).await {
                    Err(refusal) => {
                        refusal.send(out, Some(client_id)).await;
                        Ok(())
                    }
                    ok => ok,
                }
            }
            AgentFrame::Ack { conversation_id, seq } => self.ack(conversation_id, seq).await,
            AgentFrame::Sync { conversation_id, after_seq } => {
                match self.conversation_for(conversation_id, Access::Read).await {
                    Ok(c) => send_history(&self.state.store, out, c.id, after_seq).await,
                    Err(refusal) => Err(refusal),
                }
            }
        };
        if let Err(refusal) = result {
            let bad_credentials = refusal.code == ErrorCode::BadCredentials;
            refusal.send(out, None).await;
            if bad_credentials {
                self.failed_logins += 1;
                if self.failed_logins >= MAX_FAILED_LOGINS {
                    return Flow::Close(close_code::POLICY_VIOLATION, "too many failed sign-ins".into());
                }
            }
        }
        Flow::Continue
    }
}

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
    mine_or_queued || (crate::http::is_admin(&agent.role) && access != Access::Write)
}

/// The answer to an email and password that open several stores.
pub fn choose_store(keys: &[String]) -> Refusal {
    Refusal::new(
        ErrorCode::StoreRequired,
        format!("this email and password open several stores ({}); sign in naming one", keys.join(", ")),
    )
}

fn bad_credentials() -> Refusal {
    Refusal::new(ErrorCode::BadCredentials, "wrong email or password")
}

impl AgentSession {
    fn signed_in(&self) -> Result<i64, Refusal> {
        self.me.as_ref().map(|m| m.agent.id).ok_or_else(|| Refusal::new(ErrorCode::NotAuthenticated, "sign in first"))
    }

    /// The signed-in agent's id, after `conversation()` has checked sign-in.
    fn signed_in_id(&self) -> i64 {
        self.me.as_ref().map_or(0, |m| m.agent.id)
    }

    /// Ends the session everywhere: the token stops working and the agent goes offline now.
    async fn logout(&mut self) -> Result<(), Refusal> {
        let me = self.me.take().ok_or_else(|| Refusal::new(ErrorCode::NotAuthenticated, "sign in first"))?;
        self.state.store.remove_session(&session_token_hash(&me.session_token)).await?;
        self.state.routing.set_status(&self.state, me.agent.id, Presence::Offline).await?;
        tracing::info!(agent = ?me.agent.email, "agent signed out");
        Ok(())
    }

    async fn login(
        &mut self,
        email: &str,
        password: String,
        status: Option<AgentStatus>,
        store: Option<&str>,
        out: &Out,
    ) -> Result<(), Refusal> {
        if self.me.is_some() {
            return Err(Refusal::new(ErrorCode::AlreadyAuthenticated, "already signed in"));
        }
        let slot = self.state.limits.sign_in(email, self.ip).map_err(|refused| match refused {
            SignInRefused::Limited(wait) => Refusal::rate_limited("sign-in attempts", wait),
            SignInRefused::Busy => Refusal::rate_limited("sign-ins at once; the relay is busy", BUSY_WAIT),
        })?;
        match check_credentials(&self.state.store, email, password, store, slot).await? {
            SignIn::Agent(agent) => {
                let (token, hash) = new_session_token();
                self.state.store.add_session(agent.id, &hash).await?;
                self.welcome(*agent, token, true, status, out).await
            }
            SignIn::ChooseStore(keys) => Err(choose_store(&keys)),
            SignIn::Refused => {
                tracing::info!(?email, "failed agent sign-in");
                Err(bad_credentials())
            }
        }
    }

    async fn resume(&mut self, token: &str, status: Option<AgentStatus>, out: &Out) -> Result<(), Refusal> {
        if self.me.is_some() {
            return Err(Refusal::new(ErrorCode::AlreadyAuthenticated, "already signed in"));
        }
        // Without a token, the cookie; the welcome then repeats no token (scripts must not see it).
        let (token, echo) = match (token.is_empty(), &self.cookie) {
            (false, _) => (token.to_owned(), true),
            (true, Some(cookie)) => (cookie.clone(), false),
            (true, None) => {
                return Err(Refusal::new(ErrorCode::BadCredentials, "no session token and no session cookie"))
            }
        };
        let hash = session_token_hash(&token);
        match self.state.store.agent_by_session(&hash, SESSION_MAX_IDLE_MS).await? {
            Some(agent) => self.welcome(agent, token, echo, status, out).await,
            None => Err(Refusal::new(ErrorCode::BadCredentials, "the session has expired; sign in again")),
        }
    }

    /// Signs the socket in. `echo`: whether the welcome may repeat the token (not for cookie
    /// sessions, whose token scripts must never see).
    async fn welcome(
        &mut self,
        agent: AgentRecord,
        session_token: String,
        echo: bool,
        status: Option<AgentStatus>,
        out: &Out,
    ) -> Result<(), Refusal> {
        let store_db = &self.state.store;
        let store = store_db
            .store_by_id(agent.store_id)
            .await?
            .ok_or_else(|| Refusal::new(ErrorCode::Internal, "the agent's store is gone"))?;
        // Register first so that nothing created between the listing and now is missed.
        let supervises = crate::http::is_admin(&agent.role);
        let session = session_token_hash(&session_token);
        let registration = self.state.hub.join_agent(store.id, agent.id, supervises, session, out.peer());
        let conversations = store_db.open_conversations(store.id, WELCOME_CONVERSATIONS).await?;
        out.send(&ServerFrame::AgentWelcome {
            agent: AgentInfo { id: agent.id, name: agent.name.clone(), email: agent.email.clone() },
            store: StoreInfo { key: store.key.clone(), name: store.name.clone() },
            session_token: if echo { session_token.clone() } else { String::new() },
            conversations,
        })
        .await;
        let status = from_status(status.unwrap_or(AgentStatus::Online));
        self.state.routing.agent_connected(&self.state, &agent, status).await?;
        tracing::info!(agent = ?agent.email, store = ?store.key, "agent signed in");
        self.me = Some(SignedIn { agent, store, session_token, _registration: registration });
        Ok(())
    }

    /// The conversation, if it exists and belongs to the agent's store.
    async fn conversation(&self, id: i64) -> Result<ConversationRecord, Refusal> {
        let me = self.me.as_ref().ok_or_else(|| Refusal::new(ErrorCode::NotAuthenticated, "sign in first"))?;
        match self.state.store.conversation(id).await? {
            Some(c) if c.store_id == me.store.id => Ok(c),
            _ => Err(Refusal::new(ErrorCode::NotFound, format!("no conversation {id}"))),
        }
    }

    /// The conversation, if this agent may use it so (see [`may_use`]).
    async fn conversation_for(&self, id: i64, access: Access) -> Result<ConversationRecord, Refusal> {
        let conversation = self.conversation(id).await?;
        let me = self.me.as_ref().expect("conversation() checked sign-in");
        if may_use(&me.agent, &conversation, access) {
            Ok(conversation)
        } else {
            Err(Refusal::new(
                ErrorCode::NotYours,
                "this conversation is another agent's; it must be released to you first",
            ))
        }
    }

    async fn send(&mut self, conversation_id: i64, client_id: &str, text: &str, out: &Out) -> Result<(), Refusal> {
        let conversation = self.conversation_for(conversation_id, Access::Write).await?;
        check_message(client_id, text)?;
        let me = self.me.as_ref().expect("conversation() checked sign-in");
        let author_id = me.agent.id.to_string();
        let new = NewMessage {
            role: Role::Agent,
            author_id: &author_id,
            author_name: Some(&me.agent.name),
            text,
            client_id: Some(client_id),
            faq_article: None,
        };
        let outcome = crate::chat::post(&self.state, &conversation, &new).await?;
        out.send(&crate::chat::accepted(client_id, &outcome)).await;
        Ok(())
    }

    /// Ends a conversation: the shopper is told in the conversation itself, then everyone gets
    /// `closed`, and the agent's capacity goes to the next shopper in the queue.
    async fn close(&mut self, conversation_id: i64) -> Result<(), Refusal> {
        let conversation = self.conversation(conversation_id).await?;
        let me = self.signed_in_id();
        let routing = &self.state.routing;
        routing.may_close(&self.state, me, &conversation).await?;
        // In the shopper's language, as they last wrote.
        let recent = self.state.store.recent_messages(conversation.id, 10).await?;
        let said = recent.iter().rev().find(|m| m.author.role == Role::Visitor).map_or("", |m| m.text.as_str());
        let notice_text = crate::bot::texts::closed(crate::bot::texts::Lang::of(said));
        let notice = NewMessage {
            role: Role::System,
            author_id: "system",
            author_name: None,
            text: notice_text,
            client_id: Some("closed"),
            faq_article: None,
        };
        match crate::chat::post(&self.state, &conversation, &notice).await {
            // Closed by someone else a moment ago: nothing more to do.
            Err(crate::store::StoreError::NotFound(_)) => return Ok(()),
            result => result?,
        };
        if !self.state.store.close_conversation(conversation.id, Some(me)).await? {
            return Ok(());
        }
        routing.close(&self.state, conversation.store_id, conversation.id).await?;
        let frame = ServerFrame::Closed { conversation_id: conversation.id, by_agent_id: Some(me) };
        self.state.hub.to_store_agents(conversation.store_id, &frame);
        self.state.hub.to_visitor(&conversation.visitor_id, &frame);
        Ok(())
    }

    /// Opens a closed conversation again for this agent; the store's agents hear of it as a
    /// new conversation, then of its assignment.
    async fn reopen(&mut self, conversation_id: i64) -> Result<(), Refusal> {
        let conversation = self.conversation_for(conversation_id, Access::Write).await?;
        let me = self.signed_in_id();
        let store = &self.state.store;
        match store.reopen_conversation(conversation.id, me).await {
            Ok(true) => {}
            Ok(false) => return Err(Refusal::new(ErrorCode::InvalidValue, "the conversation is open")),
            Err(crate::store::StoreError::AlreadyExists(why)) => {
                return Err(Refusal::new(ErrorCode::AlreadyExists, why))
            }
            Err(e) => return Err(e.into()),
        }
        let summary = store.summary(&conversation).await?;
        self.state.hub.to_store_agents(conversation.store_id, &ServerFrame::Conversation { conversation: summary });
        self.state.routing.reopen(&self.state, me, &conversation).await
    }

    /// Stores a private note and shows it to the store's agents, never to the shopper.
    async fn note(&mut self, conversation_id: i64, client_id: &str, text: &str) -> Result<(), Refusal> {
        let conversation = self.conversation_for(conversation_id, Access::Note).await?;
        check_message(client_id, text)?;
        let me = self.me.as_ref().expect("conversation() checked sign-in");
        let note = self.state.store.add_note(conversation.id, me.agent.id, &me.agent.name, text, client_id).await?;
        self.state.hub.to_store_agents(conversation.store_id, &ServerFrame::Note { note });
        Ok(())
    }

    async fn ack(&mut self, conversation_id: i64, seq: u64) -> Result<(), Refusal> {
        let conversation = self.conversation_for(conversation_id, Access::Read).await?;
        let seq = self.state.store.mark_read(conversation.id, Role::Agent, seq).await?;
        let frame = ServerFrame::Read { conversation_id, seq, by: Role::Agent };
        self.state.hub.to_visitor(&conversation.visitor_id, &frame);
        Ok(())
    }
}
