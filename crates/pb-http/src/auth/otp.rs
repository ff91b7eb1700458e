//! One-time passwords: `otp.length` random digits, stored hashed in `_otps` next to the address
//! they were mailed to (`sentTo`), valid for `otp.duration` seconds from their creation and
//! deleted once used. A record with ten live OTPs gets the newest one again instead of an
//! eleventh (and no new mail), which bounds what a flood of requests can create.

use pb_core::ports::{PasswordHasher, StoreTx};
use pb_core::{Collection, Record, StoreError};
use serde_json::Value;

use super::password::Hasher;
use super::refs::{has_expired, new_row, rows_of_record};

/// Live OTPs a record may have before the newest is reused.
pub const MAX_LIVE_OTPS: usize = 10;

/// `length` random decimal digits (at least one).
pub fn generate_password(length: i64) -> String {
    let length = usize::try_from(length).unwrap_or(0).clamp(1, 255);
    pb_core::ids::random_string(length, "0123456789")
}

/// The OTP to answer a request with: the newest live one when the record already has
/// [`MAX_LIVE_OTPS`], otherwise `None` (make a new one). Expired rows are deleted on the way.
pub fn reusable_otp(
    tx: &mut dyn StoreTx,
    otps: &Collection,
    auth_collection: &Collection,
    record: &Record,
    duration_seconds: i64,
) -> Result<Option<Record>, StoreError> {
    let rows = rows_of_record(tx, otps, auth_collection, record)?;
    let mut live = Vec::new();
    for row in rows {
        if has_expired(&row, duration_seconds) {
            tx.delete_record(otps, row.id())?;
        } else {
            live.push(row);
        }
    }
    if live.len() >= MAX_LIVE_OTPS {
        return Ok(live.into_iter().next());
    }
    Ok(None)
}

/// Stores a new OTP for `record` with `password_hash` (see [`hash_password`]) and `sent_to`,
/// the address it is about to be mailed to.
///
/// PocketBase fills `sentTo` once the mail is out; we fill it up front and delete the OTP if
/// the mail fails, which ends the same way without a moment where a delivered code is not yet
/// marked as delivered (the code only ever travels in that mail).
pub fn insert_otp(
    tx: &mut dyn StoreTx,
    otps: &Collection,
    auth_collection: &Collection,
    record: &Record,
    password_hash: &str,
    sent_to: &str,
    now: &str,
) -> Result<Record, StoreError> {
    let mut row = new_row(otps, auth_collection, record, now);
    row.set("password", Value::String(password_hash.to_string()));
    row.set("sentTo", Value::String(sent_to.to_string()));
    tx.insert_record(otps, &row)?;
    Ok(row)
}

/// The stored form of an OTP. Hash before opening the write transaction (hashing is slow on
/// purpose), and for unknown addresses too, so both answers take the same time.
pub fn hash_password(password: &str) -> String {
    Hasher.hash(password)
}

/// Whether `password` is the OTP's.
pub fn password_matches(row: &Record, password: &str) -> bool {
    Hasher.verify(password, row.get_str("password"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_digits_of_the_configured_length() {
        let password = generate_password(8);
        assert_eq!(password.len(), 8);
        assert!(password.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(generate_password(0).len(), 1);
        assert_eq!(generate_password(-3).len(), 1);
    }
}
