//! Authentication: password hashing, PocketBase-shaped JWTs, and resolving the record a request
//! acts as from its `Authorization` header.

pub mod password;
pub mod request_auth;
pub mod token;
