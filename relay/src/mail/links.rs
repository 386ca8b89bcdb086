//! The signed links in emails: one reopens the conversation in the widget on the shop's page,
//! one unsubscribes the address. Both are `v1.<fields>.<HMAC-SHA256>` under a relay-wide
//! secret kept in the database, so nobody can make one for another conversation or address;
//! a reopen link expires after 30 days (the address link does not: it must always work).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How long a reopen link works.
pub const REOPEN_VALID_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// What a verified link names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Reopen this conversation of this shopper.
    Reopen {
        /// The store.
        store_id: i64,
        /// The conversation.
        conversation_id: i64,
        /// Its shopper.
        visitor_id: String,
    },
    /// Stop emailing this address from this store.
    Unsubscribe {
        /// The store.
        store_id: i64,
        /// The address.
        email: String,
    },
}

/// Signs and checks links.
#[derive(Clone)]
pub struct Links {
    key: Vec<u8>,
}

impl std::fmt::Debug for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Links(..)")
    }
}

impl Links {
    /// Uses `key` (at least 32 random bytes).
    pub fn new(key: Vec<u8>) -> Links {
        Links { key }
    }

    #[allow(clippy::expect_used)] // HMAC takes a key of any length
    fn signature(&self, payload: &str) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(payload.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    fn signed(&self, payload: String) -> String {
        let signature = URL_SAFE_NO_PAD.encode(self.signature(&payload));
        format!("{payload}.{signature}")
    }

    /// The token of a reopen link made at `now`.
    pub fn reopen(&self, store_id: i64, conversation_id: i64, visitor_id: &str, now: i64) -> String {
        self.signed(format!("r1.{store_id}.{conversation_id}.{}.{visitor_id}", now + REOPEN_VALID_MS))
    }

    /// The token of an unsubscribe link.
    pub fn unsubscribe(&self, store_id: i64, email: &str) -> String {
        self.signed(format!("u1.{store_id}.{}", URL_SAFE_NO_PAD.encode(email.to_lowercase())))
    }

    /// What a token names, if its signature holds and (for a reopen link) it has not expired
    /// at `now`.
    pub fn verify(&self, token: &str, now: i64) -> Option<Link> {
        let (payload, signature) = token.rsplit_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let mut mac = HmacSha256::new_from_slice(&self.key).ok()?;
        mac.update(payload.as_bytes());
        mac.verify_slice(&signature).ok()?;
        let mut parts = payload.split('.');
        match parts.next()? {
            "r1" => {
                let store_id = parts.next()?.parse().ok()?;
                let conversation_id = parts.next()?.parse().ok()?;
                let expires: i64 = parts.next()?.parse().ok()?;
                let visitor_id = parts.next()?.to_owned();
                (expires > now).then_some(Link::Reopen { store_id, conversation_id, visitor_id })
            }
            "u1" => {
                let store_id = parts.next()?.parse().ok()?;
                let email = String::from_utf8(URL_SAFE_NO_PAD.decode(parts.next()?).ok()?).ok()?;
                Some(Link::Unsubscribe { store_id, email })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_verify_unaltered_and_unexpired_only() {
        let links = Links::new(vec![3; 32]);
        let reopen = links.reopen(2, 40, "visitor-a", 1_000);
        let expected = Link::Reopen { store_id: 2, conversation_id: 40, visitor_id: "visitor-a".into() };
        assert_eq!(links.verify(&reopen, 1_000), Some(expected));
        assert_eq!(links.verify(&reopen, 1_000 + REOPEN_VALID_MS), None, "expired");
        assert_eq!(links.verify(&reopen.replace(".40.", ".41."), 1_000), None, "another conversation");
        assert_eq!(Links::new(vec![4; 32]).verify(&reopen, 1_000), None, "another relay");
        let unsubscribe = links.unsubscribe(2, "Ana@Example.com");
        let expected = Link::Unsubscribe { store_id: 2, email: "ana@example.com".into() };
        assert_eq!(links.verify(&unsubscribe, i64::MAX), Some(expected));
        assert_eq!(links.verify("garbage", 0), None);
    }
}
