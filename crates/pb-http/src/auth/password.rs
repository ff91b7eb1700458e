//! Password hashes. New hashes are argon2id with the argon2 crate's default parameters
//! (19 MiB memory, 2 passes, 1 lane: OWASP's baseline); bcrypt hashes found in PocketBase data
//! dirs still verify, and the auth endpoint upgrades them after a successful login. The work runs
//! on the few threads of [`super::hashing_pool`], each reusing one buffer of argon2 work memory,
//! which bounds its memory.

use std::cell::RefCell;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// Work memory kept per hashing thread only up to this many 1 KiB blocks (64 MiB); a stored
/// hash asking for more gets a buffer of its own, freed after use.
const MAX_KEPT_BLOCKS: usize = 64 * 1024;

thread_local! {
    /// The argon2 work memory of this thread, reused by every hash it computes: allocating
    /// 19 MiB per hash leaves the allocator holding several such blocks per thread (peak RSS
    /// several times the pool's real need).
    static WORK_MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

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

/// A password hashed before the write transaction that stores it, so the one writer never
/// waits on argon2 (tens of milliseconds in which no other write could commit). Any other
/// password it is asked for is hashed as [`Hasher`] would.
pub struct Prehashed {
    password: String,
    hash: String,
}

impl Prehashed {
    /// Hashes `password` now.
    pub fn new(password: &str) -> Prehashed {
        Prehashed {
            password: password.to_string(),
            hash: pb_core::ports::PasswordHasher::hash(&Hasher, password),
        }
    }

    /// The password this hash is of.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The new password a write of `body` to `collection` sets, hashed now; `None` when it
    /// sets none (or `collection` is no auth collection, whose `password` is just a field).
    pub fn of_write(
        collection: Option<&pb_core::Collection>,
        body: &serde_json::Map<String, serde_json::Value>,
    ) -> Option<Prehashed> {
        if !collection.is_some_and(pb_core::Collection::is_auth) {
            return None;
        }
        body.get("password")
            .and_then(serde_json::Value::as_str)
            .filter(|password| !password.is_empty())
            .map(Prehashed::new)
    }
}

/// The hasher of a write: `prehashed` when its password was hashed ahead, else [`Hasher`].
pub fn hasher_of(prehashed: &Option<Prehashed>) -> &dyn pb_core::ports::PasswordHasher {
    match prehashed {
        Some(prehashed) => prehashed,
        None => &Hasher,
    }
}

impl pb_core::ports::PasswordHasher for Prehashed {
    fn hash(&self, password: &str) -> String {
        if password == self.password {
            self.hash.clone()
        } else {
            Hasher.hash(password)
        }
    }

    fn verify(&self, password: &str, hash: &str) -> bool {
        Hasher.verify(password, hash)
    }
}

/// A new argon2id hash (the crate's default parameters), computed on the calling thread.
fn hash_now(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    let hashed = argon2_phc(password, &salt);
    hashed.unwrap_or_else(|error| {
        // Only reachable with absurd inputs (password longer than u32::MAX bytes); an empty
        // hash verifies against nothing, so the account is locked, not open.
        tracing::error!(%error, "argon2 hashing failed");
        String::new()
    })
}

/// The PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) of `password` with `salt`.
fn argon2_phc(password: &str, salt: &SaltString) -> Result<String, argon2::password_hash::Error> {
    let params = Params::default();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let mut output = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    compute(
        Algorithm::Argon2id,
        Version::V0x13,
        params.clone(),
        password,
        salt_bytes,
        &mut output,
    )?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&output)?),
    };
    Ok(phc.to_string())
}

/// Runs argon2 into `output` with this thread's reused work memory.
fn compute(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &str,
    salt: &[u8],
    output: &mut [u8],
) -> Result<(), argon2::password_hash::Error> {
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    if blocks > MAX_KEPT_BLOCKS {
        let mut memory = vec![Block::default(); blocks];
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, output, &mut memory)?;
        return Ok(());
    }
    WORK_MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon2.hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            output,
            &mut memory[..blocks],
        )?;
        Ok(())
    })
}

/// Checks `password` against a bcrypt or argon2 `hash`, on the calling thread.
fn verify_now(password: &str, hash: &str) -> bool {
    if is_legacy_hash(hash) {
        return bcrypt::verify(password, hash).unwrap_or(false);
    }
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    argon2_matches(password, &parsed).unwrap_or(false)
}

/// Recomputes an argon2 PHC hash with its own algorithm, version, parameters and salt, and
/// compares the outputs (`Output`'s equality is constant-time).
fn argon2_matches(
    password: &str,
    parsed: &PasswordHash<'_>,
) -> Result<bool, argon2::password_hash::Error> {
    let algorithm = Algorithm::try_from(parsed.algorithm)?;
    let version = Version::try_from(parsed.version.unwrap_or(Version::V0x13.into()))?;
    let expected = parsed.hash.ok_or(argon2::password_hash::Error::Password)?;
    let salt = parsed
        .salt
        .ok_or(argon2::password_hash::Error::SaltInvalid(
            argon2::password_hash::errors::InvalidValue::Malformed,
        ))?;
    let params = Params::try_from(parsed)?;
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let mut output = vec![0u8; expected.len()];
    compute(
        algorithm,
        version,
        params,
        password,
        salt_bytes,
        &mut output,
    )?;
    Ok(Output::new(&output)? == expected)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use pb_core::ports::PasswordHasher;

    #[test]
    fn a_prehashed_password_gives_its_hash_and_other_passwords_their_own() {
        let prehashed = Prehashed::new("first-password");
        let hash = prehashed.hash("first-password");
        assert_eq!(hash, prehashed.hash("first-password"), "hashed once, ahead");
        assert!(Hasher.verify("first-password", &hash));
        let other = prehashed.hash("second-password");
        assert_ne!(other, hash);
        assert!(prehashed.verify("second-password", &other));
        assert!(!prehashed.verify("first-password", &other));
    }

    #[test]
    fn only_writes_to_auth_collections_get_their_password_hashed_ahead() {
        use pb_core::collection::{Collection, CollectionType};
        let body = serde_json::json!({"password": "new-password", "title": "x"});
        let body = body.as_object().unwrap();
        let users = Collection::bare("users", CollectionType::Auth, Vec::new());
        let prehashed = Prehashed::of_write(Some(&users), body).unwrap();
        assert_eq!(prehashed.password(), "new-password");
        assert!(Hasher.verify("new-password", &prehashed.hash("new-password")));
        let posts = Collection::bare("posts", CollectionType::Base, Vec::new());
        assert!(Prehashed::of_write(Some(&posts), body).is_none());
        assert!(Prehashed::of_write(None, body).is_none());
        let empty = serde_json::json!({"password": ""});
        assert!(Prehashed::of_write(Some(&users), empty.as_object().unwrap()).is_none());
    }

    #[test]
    fn argon2_hashes_verify_and_reject_wrong_passwords() {
        let hash = Hasher.hash("secret-pass-123");
        assert!(hash.starts_with("$argon2id$"));
        assert!(Hasher.verify("secret-pass-123", &hash));
        assert!(!Hasher.verify("wrong", &hash));
        assert!(!Hasher.verify("anything", ""));
    }

    #[test]
    fn hashes_match_the_argon2_crates_own_and_verify_its_hashes() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier};
        let salt = SaltString::generate(&mut OsRng);
        let ours = argon2_phc("secret-pass-123", &salt).unwrap();
        let theirs = Argon2::default()
            .hash_password(b"secret-pass-123", &salt)
            .unwrap()
            .to_string();
        assert_eq!(ours, theirs);
        assert!(Argon2::default()
            .verify_password(b"secret-pass-123", &PasswordHash::new(&ours).unwrap())
            .is_ok());
        // Other parameters, algorithms and versions verify with their own settings.
        let other = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x10,
            Params::new(1024, 3, 1, Some(16)).unwrap(),
        )
        .hash_password(b"pw", &salt)
        .unwrap()
        .to_string();
        assert!(verify_now("pw", &other));
        assert!(!verify_now("pw2", &other));
        assert!(!verify_now(
            "pw",
            "$argon2id$v=19$m=19456,t=2,p=1$bm90YXNhbHQ"
        ));
    }

    #[test]
    fn pocketbase_bcrypt_hashes_verify() {
        let hash = bcrypt::hash("Passw0rd!123", 4).unwrap();
        assert!(is_legacy_hash(&hash));
        assert!(Hasher.verify("Passw0rd!123", &hash));
        assert!(!Hasher.verify("nope", &hash));
    }
}
