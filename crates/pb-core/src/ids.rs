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

/// Ordered digits for [`TimeOrderedIds`]: ASCII order equals numeric order.
const ORDERED_DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
/// 36^7: the values of an id's seven-character sequence part.
const SEQUENCE_SPAN: u64 = 78_364_164_096;

/// Record-shaped ids (`[a-z0-9]{15}`) that sort in the order they were made: eight base-36
/// digits of the Unix time in milliseconds (enough until 2059), then seven of a sequence that
/// starts at a random point each millisecond and counts up within it.
///
/// For tables written in bulk whose primary key is the id (request logs): a random id lands
/// every new row on a random page of the key's index, so each transaction dirties (and writes
/// through the WAL) a page per row; ordered ids append to the index's last pages.
#[derive(Debug, Default)]
pub struct TimeOrderedIds {
    millis: u64,
    sequence: u64,
}

impl TimeOrderedIds {
    /// The next id for an instant `unix_millis` milliseconds after the epoch. Ids from one
    /// generator never repeat and never go backwards, even if the clock does.
    pub fn next(&mut self, unix_millis: u64) -> String {
        let mut id = String::with_capacity(15);
        self.next_into(unix_millis, &mut id);
        id
    }

    /// [`Self::next`], appended to `out` (a writer reusing one buffer per row).
    pub fn next_into(&mut self, unix_millis: u64, out: &mut String) {
        if unix_millis > self.millis {
            self.millis = unix_millis;
            // The lower half, so that a millisecond has room for billions of ids.
            self.sequence = rand::thread_rng().gen_range(0..SEQUENCE_SPAN / 2);
        } else {
            self.sequence += 1;
            if self.sequence >= SEQUENCE_SPAN {
                self.millis += 1;
                self.sequence = 0;
            }
        }
        let mut id = [0u8; 15];
        write_base36(&mut id[..8], self.millis);
        write_base36(&mut id[8..], self.sequence);
        out.extend(id.iter().map(|&digit| char::from(digit)));
    }
}

/// Writes `value` into `out` as fixed-width base-36 digits (the high digits dropped if it does
/// not fit).
fn write_base36(out: &mut [u8], mut value: u64) {
    for slot in out.iter_mut().rev() {
        *slot = ORDERED_DIGITS[(value % 36) as usize];
        value /= 36;
    }
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
    fn time_ordered_ids_sort_in_creation_order_and_never_repeat() {
        let mut ids = TimeOrderedIds::default();
        let stamps = [
            1_795_400_000_000,
            1_795_400_000_000,
            1_795_400_000_001,
            1_795_399_999_000,
        ];
        let made: Vec<String> = stamps.iter().map(|&millis| ids.next(millis)).collect();
        for id in &made {
            assert_eq!(id.len(), 15);
            assert!(id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        }
        let mut sorted = made.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            sorted, made,
            "ordered and distinct even when the clock goes back"
        );
        assert_eq!(&made[0][..8], "mwsmsy68", "base 36 of the milliseconds");
        let mut buffer = [0u8; 3];
        write_base36(&mut buffer, 36 * 36 + 35);
        assert_eq!(&buffer, b"10z");
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
