//! Visitor tokens: `v1.<store id>.<visitor id>.<signature>`, signed with HMAC-SHA256 under a
//! relay-wide secret kept in the database.
//!
//! The widget keeps its token in localStorage and presents it on every reconnect. Only the relay
//! can make one, so a shopper cannot claim another visitor's id, and a token of one store is
//! worthless at another.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Makes a new random, opaque visitor id.
pub fn new_visitor_id() -> String {
    URL_SAFE_NO_PAD.encode(super::random_bytes::<16>())
}

/// Signs and verifies visitor tokens.
#[derive(Clone)]
pub struct VisitorTokens {
    key: Vec<u8>,
}

impl std::fmt::Debug for VisitorTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VisitorTokens(..)")
    }
}

impl VisitorTokens {
    /// Uses `key` (at least 32 random bytes) as the signing secret.
    pub fn new(key: Vec<u8>) -> Self {
        VisitorTokens { key }
    }

    #[allow(clippy::expect_used)] // each expect states an invariant that holds
    fn mac(&self, payload: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(payload.as_bytes());
        mac
    }

    /// The token for a visitor of a store.
    pub fn sign(&self, store_id: i64, visitor_id: &str) -> String {
        let payload = format!("v1.{store_id}.{visitor_id}");
        let signature = URL_SAFE_NO_PAD.encode(self.mac(&payload).finalize().into_bytes());
        format!("{payload}.{signature}")
    }

    /// The visitor id a token carries, if the signature holds and it was made for `store_id`.
    pub fn verify(&self, store_id: i64, token: &str) -> Option<String> {
        let (payload, signature) = token.rsplit_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        self.mac(payload).verify_slice(&signature).ok()?;
        let mut parts = payload.splitn(3, '.');
        let (version, store, visitor) = (parts.next()?, parts.next()?, parts.next()?);
        (version == "v1" && store == store_id.to_string()).then(|| visitor.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_unaltered_and_for_their_store() {
        let tokens = VisitorTokens::new(vec![7; 32]);
        let token = tokens.sign(3, "abc");
        assert_eq!(tokens.verify(3, &token).as_deref(), Some("abc"));
        assert_eq!(tokens.verify(4, &token), None, "another store");
        assert_eq!(tokens.verify(3, &token.replace("abc", "abd")), None, "forged id");
        assert_eq!(VisitorTokens::new(vec![8; 32]).verify(3, &token), None, "another relay");
        assert_eq!(tokens.verify(3, "garbage"), None);
    }
}
