//! Secrets people type (Temporary Access Passes, passwords): made from the OS
//! random source, stored only as argon2id hashes, compared in constant time.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use aws_lc_rs::{constant_time, digest, rand};

use crate::error::ApiError;

/// Letters and digits that cannot be mistaken for each other when read aloud or copied
/// (no 0/O, 1/l/I); a Temporary Access Pass is typed by a person.
const TAP_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ!@#$%&*+=?";

/// Makes a Temporary Access Pass of `length` characters (Graph allows 8 to 48).
pub fn new_temporary_access_pass(length: usize) -> Result<String, ApiError> {
    let mut out = String::with_capacity(length);
    let mut byte = [0u8; 1];
    while out.len() < length {
        rand::fill(&mut byte).map_err(|_| ApiError::internal("the OS random source failed"))?;
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - 256 % TAP_ALPHABET.len();
        if usize::from(byte[0]) < limit {
            out.push(char::from(
                TAP_ALPHABET[usize::from(byte[0]) % TAP_ALPHABET.len()],
            ));
        }
    }
    Ok(out)
}

/// `n` random bytes.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, ApiError> {
    let mut bytes = vec![0u8; n];
    rand::fill(&mut bytes).map_err(|_| ApiError::internal("the OS random source failed"))?;
    Ok(bytes)
}

/// Hashes a secret with argon2id and a fresh salt, as a PHC string.
pub fn hash_secret(secret: &str) -> Result<String, ApiError> {
    let salt_bytes = random_bytes(16)?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(ApiError::internal)?;
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(ApiError::internal)
}

/// Whether `secret` matches the PHC hash (argon2 compares in constant time).
pub fn verify_secret(secret: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &hash)
            .is_ok()
    })
}

/// Verifies `secret` against a throwaway hash made with the same parameters
/// as real ones, so a sign-in whose user or pass does not exist costs what a
/// wrong secret costs and the refusal's timing does not tell them apart.
pub fn verify_dummy(secret: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash_secret("keybound: no such secret").unwrap_or_default());
    let _ = verify_secret(secret, phc);
}

/// SHA-256, for high-entropy tokens (session cookies) where a slow hash buys nothing.
pub fn sha256(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, data).as_ref().to_vec()
}

/// Constant-time equality of two byte strings.
pub fn equal(a: &[u8], b: &[u8]) -> bool {
    constant_time::verify_slices_are_equal(a, b).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_are_random_typeable_and_verify_only_themselves() {
        let a = new_temporary_access_pass(12).unwrap();
        let b = new_temporary_access_pass(12).unwrap();
        assert_eq!(a.len(), 12);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| TAP_ALPHABET.contains(&c)));
        let hash = hash_secret(&a).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_secret(&a, &hash));
        assert!(!verify_secret(&b, &hash));
        assert!(!verify_secret(&a, "not a hash"));
    }
}
