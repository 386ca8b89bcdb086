//! The agent's socket: `GET /ws/agent`, then `login` (email and password) or `resume` (a
//! session token from an earlier login).
//!
//! An agent belongs to exactly one store. Every frame that names a conversation is checked
//! against that store, and a conversation of another store is answered `not_found`, exactly
//! like one that does not exist, so nothing leaks across tenants.

use std::sync::{Arc, OnceLock};

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use protocol::{AgentFrame, AgentInfo, ErrorCode, Role, ServerFrame, StoreInfo};

use super::socket::{self, close_code, Flow, Out, Session};
use super::{check_message, send_history, Refusal};
use crate::app::AppState;
use crate::auth::{hash_password, new_session_token, session_token_hash, verify_password, SESSION_MAX_IDLE_MS};
use crate::http::same_origin_only;
use crate::hub::Registration;
use crate::store::{AgentRecord, ConversationRecord, NewMessage, StoreRecord};

/// Failed sign-ins on one socket before the relay closes it.
const MAX_FAILED_LOGINS: u8 = 5;
/// How many open conversations `agent_welcome` lists.
const WELCOME_CONVERSATIONS: u32 = 100;

/// Upgrades to an agent session. Browsers may only open it from the relay's own pages.
pub async fn upgrade(State(state): State<Arc<AppState>>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    if let Err(refused) = same_origin_only(&headers) {
        return refused;
    }
    let peer_id = state.hub.next_peer_id();
    let shutdown = state.shutdown.clone();
    let guard = state.sessions.token();
    state
        .configure(ws)
        .on_upgrade(move |socket| async move {
            let session = AgentSession { state, me: None, failed_logins: 0 };
            socket::drive(socket, peer_id, shutdown, session).await;
            drop(guard);
        })
        .into_response()
}

struct AgentSession {
    state: Arc<AppState>,
    me: Option<SignedIn>,
    failed_logins: u8,
}

struct SignedIn {
    agent: AgentRecord,
    store: StoreRecord,
    _registration: Registration,
}

impl Session for AgentSession {
    type Frame = AgentFrame;
    const TYPES: &'static [&'static str] = AgentFrame::TYPES;

    fn introduced(&self) -> bool {
        self.me.is_some()
    }

    async fn handle(&mut self, frame: AgentFrame, out: &Out) -> Flow {
        let result = match frame {
            AgentFrame::Login { email, password } => self.login(&email, password, out).await,
            AgentFrame::Resume { token } => self.resume(&token, out).await,
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
            AgentFrame::Sync { conversation_id, after_seq } => match self.conversation(conversation_id).await {
                Ok(c) => send_history(&self.state.store, out, c.id, after_seq).await,
                Err(refusal) => Err(refusal),
            },
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

/// A hash to verify against when the email is unknown, so that a wrong email takes as long
/// as a wrong password and reveals nothing.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that nobody has"))
}

fn bad_credentials() -> Refusal {
    Refusal::new(ErrorCode::BadCredentials, "wrong email or password")
}

impl AgentSession {
    async fn login(&mut self, email: &str, password: String, out: &Out) -> Result<(), Refusal> {
        if self.me.is_some() {
            return Err(Refusal::new(ErrorCode::AlreadyAuthenticated, "already signed in"));
        }
        let agent = self.state.store.agent_by_email(email).await?;
        let phc = agent.as_ref().map_or_else(|| decoy_hash().to_owned(), |a| a.password_hash.clone());
        let verified = tokio::task::spawn_blocking(move || verify_password(&password, &phc)).await.unwrap_or(false);
        match agent {
            Some(agent) if verified => {
                let (token, hash) = new_session_token();
                self.state.store.add_session(agent.id, &hash).await?;
                self.welcome(agent, token, out).await
            }
            _ => {
                tracing::info!(%email, "failed agent sign-in");
                Err(bad_credentials())
            }
        }
    }

    async fn resume(&mut self, token: &str, out: &Out) -> Result<(), Refusal> {
        if self.me.is_some() {
            return Err(Refusal::new(ErrorCode::AlreadyAuthenticated, "already signed in"));
        }
        let hash = session_token_hash(token);
        match self.state.store.agent_by_session(&hash, SESSION_MAX_IDLE_MS).await? {
            Some(agent) => self.welcome(agent, token.to_owned(), out).await,
            None => Err(Refusal::new(ErrorCode::BadCredentials, "the session has expired; sign in again")),
        }
    }

    async fn welcome(&mut self, agent: AgentRecord, session_token: String, out: &Out) -> Result<(), Refusal> {
        let store_db = &self.state.store;
        let store = store_db
            .store_by_id(agent.store_id)
            .await?
            .ok_or_else(|| Refusal::new(ErrorCode::Internal, "the agent's store is gone"))?;
        // Register first so that nothing created between the listing and now is missed.
        let registration = self.state.hub.join_store_agents(store.id, out.peer());
        let conversations = store_db.open_conversations(store.id, WELCOME_CONVERSATIONS).await?;
        out.send(&ServerFrame::AgentWelcome {
            agent: AgentInfo { id: agent.id, name: agent.name.clone(), email: agent.email.clone() },
            store: StoreInfo { key: store.key.clone(), name: store.name.clone() },
            session_token,
            conversations,
        })
        .await;
        tracing::info!(agent = %agent.email, store = %store.key, "agent signed in");
        self.me = Some(SignedIn { agent, store, _registration: registration });
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

    async fn send(&mut self, conversation_id: i64, client_id: &str, text: &str, out: &Out) -> Result<(), Refusal> {
        let conversation = self.conversation(conversation_id).await?;
        check_message(client_id, text)?;
        let me = self.me.as_ref().expect("conversation() checked sign-in");
        let author_id = me.agent.id.to_string();
        let new = NewMessage {
            role: Role::Agent,
            author_id: &author_id,
            author_name: Some(&me.agent.name),
            text,
            client_id: Some(client_id),
        };
        let outcome = crate::chat::post(&self.state, &conversation, &new).await?;
        out.send(&crate::chat::accepted(client_id, &outcome)).await;
        Ok(())
    }

    async fn ack(&mut self, conversation_id: i64, seq: u64) -> Result<(), Refusal> {
        let conversation = self.conversation(conversation_id).await?;
        let seq = self.state.store.mark_read(conversation.id, Role::Agent, seq).await?;
        let frame = ServerFrame::Read { conversation_id, seq, by: Role::Agent };
        self.state.hub.to_visitor(&conversation.visitor_id, &frame);
        Ok(())
    }
}
