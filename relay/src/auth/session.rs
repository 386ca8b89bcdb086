//! Agent session tokens: 256 random bits handed to the client, only their SHA-256 stored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// A session unused for this long (12 hours) no longer signs anyone in.
pub const SESSION_MAX_IDLE_MS: i64 = 12 * 60 * 60 * 1000;

/// Makes a new session token; returns the token and the hash to store.
pub fn new_session_token() -> (String, Vec<u8>) {
    let token = URL_SAFE_NO_PAD.encode(super::random_bytes::<32>());
    let hash = session_token_hash(&token);
    (token, hash)
}

/// The hash under which a session token is stored and looked up.
pub fn session_token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}
