//! Agent passwords, hashed with argon2id (the crate's recommended defaults).
//!
//! Hashing takes tens of milliseconds on purpose; callers on the async runtime run it on the
//! blocking pool.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Hashes a password into a PHC string (algorithm, parameters and salt included).
#[allow(clippy::expect_used)] // each expect states an invariant that holds
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::encode_b64(&super::random_bytes::<16>()).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters cannot fail")
        .to_string()
}

/// Checks a password against a stored PHC string. A corrupt hash simply does not verify.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_password_verifies_and_wrong_one_does_not() {
        let phc = hash_password("correct horse");
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("correct horse!", &phc));
        assert!(!verify_password("anything", "not a hash"));
    }
}
