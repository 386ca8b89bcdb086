//! Identities: agents' passwords and sessions, and the signed tokens that let a shopper's
//! widget come back as the same visitor.

mod password;
mod session;
mod visitor_token;

pub use password::{hash_password, verify_password};
pub use session::{new_session_token, session_token_hash, SESSION_MAX_IDLE_MS};
pub use visitor_token::{new_visitor_id, VisitorTokens};

use std::sync::OnceLock;

use crate::store::{AgentRecord, Store, StoreError};

/// The name of the console's session cookie (HttpOnly: scripts never see the token).
pub const SESSION_COOKIE: &str = "parley_session";

/// A hash to verify against when the email is unknown, so that a wrong email takes as long
/// as a wrong password and reveals nothing.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that nobody has"))
}

/// The active agent with this email and password, if any. Takes as long for an unknown email
/// as for a wrong password. The socket's `login` and the console's sign-in both use it, after
/// the sign-in limits, holding one of the few password-check slots (`slot`) for the check.
pub async fn check_credentials(
    store: &Store,
    email: &str,
    password: String,
    slot: tokio::sync::OwnedSemaphorePermit,
) -> Result<Option<AgentRecord>, StoreError> {
    let agent = store.agent_by_email(email).await?;
    let phc = agent.as_ref().map_or_else(|| decoy_hash().to_owned(), |a| a.password_hash.clone());
    let verified = tokio::task::spawn_blocking(move || {
        let verified = verify_password(&password, &phc);
        drop(slot);
        verified
    })
    .await
    .unwrap_or(false);
    Ok(agent.filter(|_| verified))
}

/// Hashes a new password on the blocking pool, in one of the password-check slots; `None`
/// when every slot is taken (the caller answers "busy, try again").
pub async fn hash_password_bounded(limits: &crate::limits::Limits, password: String) -> Option<String> {
    let slot = limits.password_check()?;
    tokio::task::spawn_blocking(move || {
        let hash = hash_password(&password);
        drop(slot);
        hash
    })
    .await
    .ok()
}

/// The session token in a request's `Cookie` header, if it carries the console's cookie.
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// Fills a buffer of `N` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
}
