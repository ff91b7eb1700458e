//! Password hashes. New hashes are argon2id with the argon2 crate's default parameters
//! (19 MiB memory, 2 passes, 1 lane: OWASP's baseline); bcrypt hashes found in PocketBase data
//! dirs still verify, and the auth endpoint upgrades them after a successful login. The work runs
//! on the few threads of [`super::hashing_pool`], which bounds its memory.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::Argon2;

/// argon2id for new hashes, bcrypt or argon2 for verification.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hasher;

/// Whether a stored hash is a bcrypt hash that should be upgraded.
pub fn is_legacy_hash(hash: &str) -> bool {
    hash.starts_with("$2")
}

impl pb_core::ports::PasswordHasher for Hasher {
    fn hash(&self, password: &str) -> String {
        let password = password.to_string();
        super::hashing_pool::run(move || hash_now(&password))
    }

    fn verify(&self, password: &str, hash: &str) -> bool {
        if hash.is_empty() {
            return false;
        }
        let (password, hash) = (password.to_string(), hash.to_string());
        super::hashing_pool::run(move || verify_now(&password, &hash))
    }
}

/// A new argon2id hash, computed on the calling thread.
fn hash_now(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    match Argon2::default().hash_password(password.as_bytes(), &salt) {
        Ok(hash) => hash.to_string(),
        Err(error) => {
            // Only reachable with absurd inputs (password longer than u32::MAX bytes); an
            // empty hash verifies against nothing, so the account is locked, not open.
            tracing::error!(%error, "argon2 hashing failed");
            String::new()
        }
    }
}

/// Checks `password` against a bcrypt or argon2 `hash`, on the calling thread.
fn verify_now(password: &str, hash: &str) -> bool {
    if is_legacy_hash(hash) {
        return bcrypt::verify(password, hash).unwrap_or(false);
    }
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use pb_core::ports::PasswordHasher;

    #[test]
    fn argon2_hashes_verify_and_reject_wrong_passwords() {
        let hash = Hasher.hash("secret-pass-123");
        assert!(hash.starts_with("$argon2id$"));
        assert!(Hasher.verify("secret-pass-123", &hash));
        assert!(!Hasher.verify("wrong", &hash));
        assert!(!Hasher.verify("anything", ""));
    }

    #[test]
    fn pocketbase_bcrypt_hashes_verify() {
        let hash = bcrypt::hash("Passw0rd!123", 4).unwrap();
        assert!(is_legacy_hash(&hash));
        assert!(Hasher.verify("Passw0rd!123", &hash));
        assert!(!Hasher.verify("nope", &hash));
    }
}
