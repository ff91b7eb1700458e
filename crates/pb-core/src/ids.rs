//! Identifiers in PocketBase's shapes: 15-character record ids, `pbc_<crc32>` collection ids,
//! `<type><crc32(name)>` field ids, and the random secrets and token keys auth collections keep.

use rand::Rng;

/// Lowercase letters and digits: the alphabet of record ids.
pub const RECORD_ID_ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
/// Letters and digits: the alphabet of secrets and token keys.
pub const SECRET_ALPHABET: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A random string of `length` characters drawn from `alphabet` with a CSPRNG.
pub fn random_string(length: usize, alphabet: &str) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    let mut rng = rand::thread_rng();
    (0..length)
        .map(|_| chars[rng.gen_range(0..chars.len())])
        .collect()
}

/// A new 15-character record id (`[a-z0-9]{15}`).
pub fn new_record_id() -> String {
    random_string(15, RECORD_ID_ALPHABET)
}

/// A new 50-character token secret or token key.
pub fn new_secret() -> String {
    random_string(50, SECRET_ALPHABET)
}

/// The id PocketBase gives a new collection: `pbc_` and the CRC-32 of its type and name.
pub fn collection_id(collection_type: &str, name: &str) -> String {
    format!(
        "pbc_{}",
        crc32fast::hash(format!("{collection_type}{name}").as_bytes())
    )
}

/// The id PocketBase gives a new field: its type followed by the CRC-32 of its name.
pub fn field_id(field_type: &str, name: &str) -> String {
    format!("{field_type}{}", crc32fast::hash(name.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_pocketbase() {
        assert_eq!(collection_id("auth", "_superusers"), "pbc_3142635823");
        assert_eq!(collection_id("base", "_mfas"), "pbc_2279338944");
        assert_eq!(field_id("text", "id"), "text3208210256");
        assert_eq!(field_id("autodate", "created"), "autodate2990389176");
    }

    #[test]
    fn record_ids_are_fifteen_lowercase_alphanumerics() {
        let id = new_record_id();
        assert_eq!(id.len(), 15);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    }
}
