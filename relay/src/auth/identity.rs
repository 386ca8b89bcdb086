//! Customer signatures: the shop's server computes `hex(HMAC-SHA256(secret, customer id))`
//! with the store's identity secret and hands it to `Parley.identify`; only the shop and the
//! relay know the secret, so nobody can claim to be another customer from the browser.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The lowercase hex signature of a customer id, as the shop's server computes it. The key is
/// the secret as shown (its hex text, bytes as they are), so that samples in every language
/// are one line.
pub fn identity_signature(secret: &str, customer_id: &str) -> String {
    hmac_hex(secret, &[customer_id.as_bytes()])
}

/// Lowercase hex HMAC-SHA256 of the parts, in order, under `key` (its bytes as written): the
/// one signature the relay makes for shops, for identities and for order-source requests.
pub fn hmac_hex(key: &str, parts: &[&[u8]]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `signature` (hex, either case) signs `customer_id` under `secret`, compared in
/// constant time.
pub fn verify_identity(secret: &str, customer_id: &str, signature: &str) -> bool {
    let Some(claimed) = decode_hex(signature) else { return false };
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(customer_id.as_bytes());
    mac.verify_slice(&claimed).is_ok()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_id_and_secret() {
        let signature = identity_signature("s3cret", "cust_1");
        assert_eq!(signature.len(), 64);
        assert!(verify_identity("s3cret", "cust_1", &signature));
        assert!(verify_identity("s3cret", "cust_1", &signature.to_uppercase()));
        assert!(!verify_identity("s3cret", "cust_2", &signature));
        assert!(!verify_identity("other", "cust_1", &signature));
        assert!(!verify_identity("s3cret", "cust_1", "zz"));
        assert!(!verify_identity("s3cret", "cust_1", &"é".repeat(32)));
    }

    #[test]
    fn the_signature_is_standard_hmac_sha256_hex() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            identity_signature("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
