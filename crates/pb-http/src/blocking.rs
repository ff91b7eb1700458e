//! The one way handlers reach the store: blocking work runs on actix's blocking pool, never on
//! the async worker threads, and a panic inside it becomes a 500 instead of a lost worker.

use crate::error::ApiError;

/// Runs `work` on the blocking thread pool and returns its result.
pub async fn run_blocking<T, F>(work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    match actix_web::web::block(work).await {
        Ok(result) => result,
        Err(error) => {
            tracing::error!(%error, "blocking task failed");
            Err(ApiError::internal())
        }
    }
}
