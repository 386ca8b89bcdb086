//! Identities: agents' passwords and sessions, and the signed tokens that let a shopper's
//! widget come back as the same visitor.

mod password;
mod session;
mod visitor_token;

pub use password::{hash_password, verify_password};
pub use session::{new_session_token, session_token_hash, SESSION_MAX_IDLE_MS};
pub use visitor_token::{new_visitor_id, VisitorTokens};

/// Fills a buffer of `N` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
}
