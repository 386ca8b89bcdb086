//! Signing an agent's socket in and out: `login` with email and password, `resume` with a
//! session token or the console's cookie, the welcome that lists what the agent may see, and
//! `logout`, which ends the session everywhere.

use protocol::{AgentInfo, AgentStatus, ErrorCode, ServerFrame, StoreInfo};

use super::super::socket::Out;
use super::{not_signed_in, AgentSession, SignedIn, WELCOME_CONVERSATIONS};
use crate::auth::{check_credentials, new_session_token, session_token_hash, SignIn, SESSION_MAX_IDLE_MS};
use crate::error::{Error, Result};
use crate::limits::{SignInRefused, BUSY_WAIT};
use crate::routing::desk::Presence;
use crate::routing::from_status;
use crate::store::{AgentRecord, Scope};

impl AgentSession {
    /// Ends the session everywhere: the token stops working and the agent goes offline now.
    pub(super) async fn logout(&mut self) -> Result<()> {
        let me = self.me.take().ok_or_else(not_signed_in)?;
        self.state.store.remove_session(&session_token_hash(&me.session_token)).await?;
        self.state.routing.set_status(me.agent.id, Presence::Offline).await?;
        tracing::info!(agent = ?me.agent.email, "agent signed out");
        Ok(())
    }

    /// Checks the email and password (limited per address and per account, off the async
    /// workers), then signs the socket in with a new session.
    pub(super) async fn login(
        &mut self,
        email: &str,
        password: String,
        status: Option<AgentStatus>,
        store: Option<&str>,
        out: &Out,
    ) -> Result<()> {
        if self.me.is_some() {
            return Err(Error::new(ErrorCode::AlreadyAuthenticated, "already signed in"));
        }
        let slot = self.state.limits.sign_in(email, self.ip).map_err(|refused| match refused {
            SignInRefused::Limited(wait) => Error::rate_limited("sign-in attempts", wait),
            SignInRefused::Busy => Error::rate_limited("sign-ins at once; the relay is busy", BUSY_WAIT),
        })?;
        match check_credentials(&self.state.store, email, password, store, slot).await? {
            SignIn::Agent(agent) => {
                let (token, hash) = new_session_token();
                self.state.store.add_session(agent.id, &hash).await?;
                self.welcome(*agent, token, true, status, out).await
            }
            SignIn::ChooseStore(keys) => Err(Error::store_required(&keys)),
            SignIn::Refused => {
                tracing::info!(?email, "failed agent sign-in");
                Err(Error::bad_credentials())
            }
        }
    }

    /// Signs the socket in with an earlier session: the token given, else the session cookie.
    pub(super) async fn resume(&mut self, token: &str, status: Option<AgentStatus>, out: &Out) -> Result<()> {
        if self.me.is_some() {
            return Err(Error::new(ErrorCode::AlreadyAuthenticated, "already signed in"));
        }
        // Without a token, the cookie; the welcome then repeats no token (scripts must not see it).
        let (token, echo) = match (token.is_empty(), &self.cookie) {
            (false, _) => (token.to_owned(), true),
            (true, Some(cookie)) => (cookie.clone(), false),
            (true, None) => {
                return Err(Error::new(ErrorCode::BadCredentials, "no session token and no session cookie"))
            }
        };
        let hash = session_token_hash(&token);
        match self.state.store.agent_by_session(&hash, SESSION_MAX_IDLE_MS).await? {
            Some(agent) => self.welcome(agent, token, echo, status, out).await,
            None => Err(Error::new(ErrorCode::BadCredentials, "the session has expired; sign in again")),
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
    ) -> Result<()> {
        let store_db = &self.state.store;
        let store = store_db
            .store_by_id(agent.store_id)
            .await?
            .ok_or_else(|| Error::new(ErrorCode::Internal, "the agent's store is gone"))?;
        // Register first so that nothing created between the listing and now is missed.
        let supervises = agent.role.supervises();
        let session = session_token_hash(&session_token);
        let registration = self.state.hub.join_agent(store.id, agent.id, supervises, session, out.peer());
        self.state.hub.settled().await;
        // A plain agent sees the queue's conversations and their own, never a colleague's.
        let scope = if supervises { Scope::Store } else { Scope::QueueAnd(agent.id) };
        let conversations = store_db.open_conversations(store.id, scope, WELCOME_CONVERSATIONS).await?;
        out.send(&ServerFrame::AgentWelcome {
            agent: AgentInfo { id: agent.id, name: agent.name.clone(), email: agent.email.clone() },
            store: StoreInfo { key: store.key.clone(), name: store.name.clone() },
            session_token: if echo { session_token.clone() } else { String::new() },
            conversations,
        })
        .await;
        let status = from_status(status.unwrap_or(AgentStatus::Online));
        self.state.routing.agent_connected(&agent, status).await?;
        tracing::info!(agent = ?agent.email, store = ?store.key, "agent signed in");
        self.me = Some(SignedIn { agent, store, session_token, _registration: registration });
        Ok(())
    }
}
