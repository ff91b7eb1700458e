//! The one way handlers reach the store: blocking work runs on actix's blocking pool, never on
//! the async worker threads, and a panic inside it becomes a 500 instead of a lost worker (its
//! message kept for the request log, as PocketBase logs a recovered panic).

use crate::error::ApiError;

/// Runs `work` on the blocking thread pool and returns its result.
pub async fn run_blocking<T, F>(work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let guarded = move || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|panic| {
            let cause = panic_message(panic.as_ref());
            tracing::error!(cause, "blocking task panicked");
            // The request log keeps the cause, as PocketBase's recovered panics do.
            Err(ApiError::internal().with_details(format!("[PANIC RECOVER] {cause}")))
        })
    };
    match actix_web::web::block(guarded).await {
        Ok(result) => result,
        Err(error) => {
            tracing::error!(%error, "blocking task failed");
            Err(ApiError::internal())
        }
    }
}

/// The text a panic was raised with (`panic!("…")` carries a `&str` or a `String`).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panic")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn a_panic_is_a_500_that_logs_its_message() {
        let outcome = run_blocking(|| -> Result<(), ApiError> { panic!("boom {}", 1) }).await;
        let Err(failed) = outcome else {
            panic!("a panic must fail the request");
        };
        assert_eq!(failed.status.as_u16(), 500);
        assert_eq!(failed.message, ApiError::internal().message);
        assert_eq!(failed.log_details(), "[PANIC RECOVER] boom 1");
        assert_eq!(run_blocking(|| Ok(7)).await, Ok(7));
    }
}
