//! Authentication: password hashing, PocketBase-shaped JWTs, resolving the record a request
//! acts as from its `Authorization` header, and the pieces of the auth flows (emails, OTPs,
//! MFA sessions, login origins, the auth and MFA rules, short-lived attempt limits).

pub mod emails;
pub mod external_auths;
pub mod hashing_pool;
pub mod mail;
pub mod mfa;
pub mod origins;
pub mod otp;
pub mod password;
pub mod record_tokens;
pub mod refs;
pub mod request_auth;
pub mod rules;
pub mod throttle;
pub mod token;
