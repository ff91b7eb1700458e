//! The random values of an authorization request: the `state` (30 letters and digits) and the
//! PKCE pair (a 43 character verifier and its `S256` challenge, base64url of its SHA-256
//! without padding, RFC 7636), as PocketBase makes them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::distributions::Alphanumeric;
use rand::Rng;

pub const STATE_LENGTH: usize = 30;
pub const VERIFIER_LENGTH: usize = 43;

/// `length` random ASCII letters and digits.
pub fn random_text(length: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(length)
        .map(char::from)
        .collect()
}

/// The `S256` code challenge of `verifier`.
pub fn s256_challenge(verifier: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_matches_a_pair_pocketbase_made() {
        // From the real server's auth-methods answer.
        assert_eq!(
            s256_challenge("DSKaXe1x4kMt0ioE8YVWqPIWpVU76EzuO7Y9DR6Y94e"),
            "YYqMn8YoZxKheZG43MZWrE53lqIPcFku7PQlFLLfM44"
        );
        assert_eq!(random_text(VERIFIER_LENGTH).len(), 43);
    }
}
