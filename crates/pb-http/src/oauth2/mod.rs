//! OAuth2 sign-in: the providers an auth collection may offer (their default endpoints and how
//! each one's user profile maps onto [`user::AuthUser`]), the authorization URL with its state
//! and PKCE pair, the code exchange and profile fetch (blocking HTTP with timeouts, always run
//! on the blocking pool), and the checks of OpenID Connect `id_token`s.
//!
//! A provider's `email` is only ever the address the provider says it has verified (empty
//! otherwise), so it is safe to match accounts on. The collection's provider config overrides
//! every default URL, which is also how tests point a provider at a local mock.

pub mod catalog;
pub mod emails;
pub mod http;
pub mod id_token;
pub mod mapping;
pub mod pkce;
pub mod profile;
pub mod provider;
pub mod token;
pub mod user;

use thiserror::Error;

/// Why talking to a provider failed. The API answers every kind with the same 400 of its
/// step ("Failed to fetch OAuth2 token." / "Failed to fetch OAuth2 user."); the detail is
/// only logged.
#[derive(Debug, Error)]
pub enum OAuth2Error {
    /// The request could not be sent or its answer read.
    #[error("request to {url} failed: {reason}")]
    Transport { url: String, reason: String },
    /// The provider answered with an error status.
    #[error("{url} answered {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    /// The answer was not what the protocol promises (not JSON, no access token …).
    #[error("invalid answer: {0}")]
    Invalid(String),
    /// An `id_token` failed a claim or signature check.
    #[error("id_token rejected: {0}")]
    IdToken(String),
}
