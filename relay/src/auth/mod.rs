//! Identities: agents' passwords and sessions, and the signed tokens that let a shopper's
//! widget come back as the same visitor.

mod identity;
mod password;
mod session;
mod visitor_token;

pub use identity::{hmac_hex, identity_signature, verify_identity};
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

/// What a sign-in with email and password comes to.
#[derive(Debug)]
pub enum SignIn {
    /// The agent whose password it is.
    Agent(Box<AgentRecord>),
    /// No such agent, or a wrong password (the same answer, in the same time).
    Refused,
    /// The email and password open more than one store, and none was named: the stores'
    /// keys, for the agent to pick one (told only once the password matched).
    ChooseStore(Vec<String>),
}

/// Checks an email and password, in the store with key `store_key` when one is given, else in
/// every store that email works in (emails are unique per store). Takes as long for an unknown
/// email as for a wrong password. The socket's `login` and the console's sign-in both use it,
/// after the sign-in limits, holding one of the few password-check slots (`slot`).
pub async fn check_credentials(
    store: &Store,
    email: &str,
    password: String,
    store_key: Option<&str>,
    slot: tokio::sync::OwnedSemaphorePermit,
) -> Result<SignIn, StoreError> {
    let mut candidates = store.agents_by_email(email).await?;
    if let Some(key) = store_key.map(str::trim).filter(|k| !k.is_empty()) {
        let wanted = store.store_by_key(key).await?.map(|s| s.id);
        candidates.retain(|a| Some(a.store_id) == wanted);
    }
    let hashes: Vec<String> = match candidates.is_empty() {
        true => vec![decoy_hash().to_owned()],
        false => candidates.iter().map(|a| a.password_hash.clone()).collect(),
    };
    let verified = tokio::task::spawn_blocking(move || {
        let verified: Vec<bool> = hashes.iter().map(|phc| verify_password(&password, phc)).collect();
        drop(slot);
        verified
    })
    .await
    .unwrap_or_default();
    let mut matched: Vec<AgentRecord> =
        candidates.into_iter().zip(verified).filter(|(_, ok)| *ok).map(|(agent, _)| agent).collect();
    match matched.len() {
        0 => Ok(SignIn::Refused),
        1 => Ok(SignIn::Agent(Box::new(matched.remove(0)))),
        _ => {
            let mut keys = Vec::new();
            for agent in &matched {
                if let Some(found) = store.store_by_id(agent.store_id).await? {
                    keys.push(found.key);
                }
            }
            Ok(SignIn::ChooseStore(keys))
        }
    }
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
#[allow(clippy::expect_used)] // each expect states an invariant that holds
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
}
