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
use protocol::{AgentFrame, ErrorCode, Role};

use super::socket::{close_code, Flow, Handled, InFlight, Out, Session};
use super::{admit, check_message, send_history, upgrade_into, TypingThrottle};
use crate::auth::session_cookie;
use crate::chat::{may_use, Access};
use crate::error::{Error, Result};
use crate::hub::Registration;
use crate::origin::same_origin_only;
use crate::routing::from_status;
use crate::state::AppState;
use crate::store::{AgentRecord, AppendOutcome, ConversationRecord, NewMessage, StoreRecord};

mod sign_in;

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
) -> Result<Response> {
    admit(&state, peer, "agent")?;
    same_origin_only(&headers)?;
    let session = AgentSession {
        state: state.clone(),
        me: None,
        failed_logins: 0,
        typing: Default::default(),
        cookie: session_cookie(&headers),
        ip: peer.ip(),
    };
    Ok(upgrade_into(&state, ws, session))
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

/// An agent's send on its way to the disk.
pub struct Sent {
    client_id: String,
    /// The conversation it was queued for (none when it was refused before).
    conversation: Option<ConversationRecord>,
    result: Result<AppendOutcome>,
}

impl Session for AgentSession {
    type Frame = AgentFrame;
    type Done = Sent;
    const TYPES: &'static [&'static str] = AgentFrame::TYPES;
    const KIND: &'static str = "agent";

    fn introduced(&self) -> bool {
        self.me.is_some()
    }

    fn pipelined(frame: &AgentFrame) -> bool {
        matches!(frame, AgentFrame::Send { .. })
    }

    fn too_many(&mut self, frame: AgentFrame, busy: Error) -> Sent {
        let client_id = match frame {
            AgentFrame::Send { client_id, .. } => client_id,
            _ => String::new(),
        };
        Sent { client_id, conversation: None, result: Err(busy) }
    }

    async fn handle(&mut self, frame: AgentFrame, out: &Out) -> Handled<Sent> {
        match frame {
            AgentFrame::Send { conversation_id, client_id, text } => {
                Handled::Later(self.send(conversation_id, client_id, &text).await)
            }
            frame => self.handle_now(frame, out).await.into(),
        }
    }

    async fn finish(&mut self, sent: Sent, out: &Out) -> Flow {
        match (sent.result, sent.conversation) {
            (Ok(outcome), Some(conversation)) => {
                out.send(&crate::chat::accepted(&sent.client_id, &outcome)).await;
                self.state.chat.deliver(&conversation, &outcome);
            }
            (Err(refusal), _) => out.refuse(&refusal, Some(sent.client_id)).await,
            (Ok(_), None) => {}
        }
        Flow::Continue
    }
}

impl AgentSession {
    async fn handle_now(&mut self, frame: AgentFrame, out: &Out) -> Flow {
        let result = match frame {
            AgentFrame::Login { email, password, status, store } => {
                self.login(&email, password, status, store.as_deref(), out).await
            }
            AgentFrame::Resume { token, status } => self.resume(&token, status, out).await,
            AgentFrame::SetStatus { status } => match self.signed_in() {
                Ok(agent) => self.state.routing.set_status(agent, from_status(status)).await,
                Err(refusal) => Err(refusal),
            },
            AgentFrame::SetCapacity { capacity } => match self.signed_in() {
                Ok(agent) => self.state.routing.set_capacity(agent, capacity).await,
                Err(refusal) => Err(refusal),
            },
            AgentFrame::Claim { conversation_id } => match self.conversation(conversation_id).await {
                Ok(c) => self.state.routing.claim(self.signed_in_id(), c.id).await,
                Err(refusal) => Err(refusal),
            },
            AgentFrame::Transfer { conversation_id, to_agent_id } => match self.conversation(conversation_id).await {
                Ok(c) => self.state.routing.transfer(self.signed_in_id(), c.id, to_agent_id).await,
                Err(refusal) => Err(refusal),
            },
            AgentFrame::Release { conversation_id } => match self.conversation(conversation_id).await {
                Ok(c) => self.state.routing.release(self.signed_in_id(), c.id).await,
                Err(refusal) => Err(refusal),
            },
            AgentFrame::Close { conversation_id, question, resolved } => {
                self.close(conversation_id, question.as_deref(), resolved.unwrap_or(true)).await
            }
            AgentFrame::Reopen { conversation_id } => self.reopen(conversation_id).await,
            AgentFrame::Note { conversation_id, client_id, text } => {
                match self.note(conversation_id, &client_id, &text).await {
                    Err(refusal) => {
                        out.refuse(&refusal, Some(client_id)).await;
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
                        self.state.chat.typing(&c, Role::Agent, name);
                    }
                    Ok(())
                }
                Err(refusal) => Err(refusal),
            },
            AgentFrame::Logout => match self.logout().await {
                Ok(()) => return Flow::Close(close_code::NORMAL, "signed out".into()),
                Err(refusal) => Err(refusal),
            },
            // Pipelined: see `handle`.
            AgentFrame::Send { .. } => Ok(()),
            AgentFrame::Ack { conversation_id, seq } => self.ack(conversation_id, seq).await,
            AgentFrame::Sync { conversation_id, after_seq } => {
                match self.conversation_for(conversation_id, Access::Read).await {
                    Ok(c) => match send_history(&self.state.store, out, c.id, after_seq).await {
                        Ok(()) => super::send_emails(&self.state, out, c.id).await,
                        Err(refusal) => Err(refusal),
                    },
                    Err(refusal) => Err(refusal),
                }
            }
        };
        if let Err(refusal) = result {
            let bad_credentials = refusal.code == ErrorCode::BadCredentials;
            out.refuse(&refusal, None).await;
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

fn not_signed_in() -> Error {
    Error::not_authenticated("sign in first")
}

impl AgentSession {
    fn signed_in(&self) -> Result<i64> {
        self.me.as_ref().map(|m| m.agent.id).ok_or_else(not_signed_in)
    }

    /// The signed-in agent's id, after `conversation()` has checked sign-in.
    fn signed_in_id(&self) -> i64 {
        self.me.as_ref().map_or(0, |m| m.agent.id)
    }

    /// The conversation, if it exists and belongs to the agent's store.
    async fn conversation(&self, id: i64) -> Result<ConversationRecord> {
        let me = self.me.as_ref().ok_or_else(not_signed_in)?;
        match self.state.store.conversation(id).await? {
            Some(c) if c.store_id == me.store.id => Ok(c),
            _ => Err(Error::new(ErrorCode::NotFound, format!("no conversation {id}"))),
        }
    }

    /// The conversation, if this agent may use it so (see [`may_use`]).
    async fn conversation_for(&self, id: i64, access: Access) -> Result<ConversationRecord> {
        let conversation = self.conversation(id).await?;
        let me = self.me.as_ref().ok_or_else(not_signed_in)?;
        if may_use(&me.agent, &conversation, access) {
            Ok(conversation)
        } else {
            Err(Error::new(
                ErrorCode::NotYours,
                "this conversation is another agent's; it must be released to you first",
            ))
        }
    }

    /// Checks an agent's message and queues it for the disk; a refusal is queued as it is, so
    /// that it leaves in order with the acknowledgements before it.
    async fn send(&mut self, conversation_id: i64, client_id: String, text: &str) -> InFlight<Sent> {
        match self.start_send(conversation_id, &client_id, text).await {
            Ok((conversation, pending)) => Box::pin(async move {
                let result = pending.await;
                Sent { client_id, conversation: Some(conversation), result }
            }),
            Err(refusal) => Box::pin(std::future::ready(Sent { client_id, conversation: None, result: Err(refusal) })),
        }
    }

    async fn start_send(
        &mut self,
        conversation_id: i64,
        client_id: &str,
        text: &str,
    ) -> Result<(ConversationRecord, impl std::future::Future<Output = Result<AppendOutcome>> + Send + 'static)> {
        let conversation = self.conversation_for(conversation_id, Access::Write).await?;
        check_message(client_id, text)?;
        let me = self.me.as_ref().ok_or_else(not_signed_in)?;
        let author_id = me.agent.id.to_string();
        let new = NewMessage {
            role: Role::Agent,
            author_id: &author_id,
            author_name: Some(&me.agent.name),
            text,
            client_id: Some(client_id),
            faq_article: None,
            faq_choices: &[],
        };
        let pending = self.state.chat.submit(&conversation, &new)?;
        Ok((conversation, pending))
    }

    /// Ends a conversation, at once or after the closing question (see
    /// [`crate::chat::Conversations::close`] and [`crate::chat::Conversations::ask_to_close`]).
    async fn close(&mut self, conversation_id: i64, question: Option<&str>, resolved: bool) -> Result<()> {
        let conversation = self.conversation(conversation_id).await?;
        match question.filter(|q| !q.trim().is_empty()) {
            Some(question) => {
                check_message("closing", question)?;
                let me = self.me.as_ref().ok_or_else(not_signed_in)?;
                self.state.chat.ask_to_close(&me.agent, &conversation, question, resolved).await
            }
            None => self.state.chat.close(self.signed_in_id(), &conversation, resolved).await,
        }
    }

    /// Opens a closed conversation again for this agent.
    async fn reopen(&mut self, conversation_id: i64) -> Result<()> {
        let conversation = self.conversation_for(conversation_id, Access::Write).await?;
        self.state.chat.reopen(self.signed_in_id(), &conversation).await
    }

    /// Stores a private note and shows it to the store's agents, never to the shopper.
    async fn note(&mut self, conversation_id: i64, client_id: &str, text: &str) -> Result<()> {
        let conversation = self.conversation_for(conversation_id, Access::Note).await?;
        check_message(client_id, text)?;
        let me = self.me.as_ref().ok_or_else(not_signed_in)?;
        self.state.chat.note(&conversation, &me.agent, text, client_id).await
    }

    async fn ack(&mut self, conversation_id: i64, seq: u64) -> Result<()> {
        let conversation = self.conversation_for(conversation_id, Access::Read).await?;
        self.state.chat.mark_read(&conversation, Role::Agent, seq).await
    }
}
