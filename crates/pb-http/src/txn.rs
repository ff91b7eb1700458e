//! Running a handler's unit of work in a store transaction while letting it fail with an HTTP
//! error: an [`ApiError`] raised inside rolls the transaction back and reaches the client as is;
//! model errors are mapped with the endpoint's validation message.

use pb_core::ports::{read_with, write_with, Store, StoreTx};
use pb_core::{CoreError, StoreError};

use crate::error::ApiError;

/// Why a unit of work stopped.
#[derive(Debug)]
pub enum Failure {
    Api(ApiError),
    Core(CoreError),
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Failure {
        Failure::Api(error)
    }
}

impl From<CoreError> for Failure {
    fn from(error: CoreError) -> Failure {
        Failure::Core(error)
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Failure {
        Failure::Core(CoreError::Store(error))
    }
}

/// Runs `work` in a read transaction.
pub fn read<T>(
    store: &dyn Store,
    validation_message: &str,
    work: impl FnOnce(&mut dyn StoreTx) -> Result<T, Failure>,
) -> Result<T, ApiError> {
    let mut raised = None;
    let result = read_with(store, |tx| {
        work(tx).map_err(|failure| tunnel(failure, &mut raised))
    });
    finish(result, raised, validation_message)
}

/// Runs `work` in a write transaction; any failure rolls it back.
pub fn write<T>(
    store: &dyn Store,
    validation_message: &str,
    work: impl FnOnce(&mut dyn StoreTx) -> Result<T, Failure>,
) -> Result<T, ApiError> {
    let mut raised = None;
    let result = write_with(store, |tx| {
        work(tx).map_err(|failure| tunnel(failure, &mut raised))
    });
    finish(result, raised, validation_message)
}

fn tunnel(failure: Failure, raised: &mut Option<ApiError>) -> CoreError {
    match failure {
        Failure::Api(error) => {
            *raised = Some(error);
            CoreError::BadRequest(String::new())
        }
        Failure::Core(error) => error,
    }
}

fn finish<T>(
    result: Result<T, CoreError>,
    raised: Option<ApiError>,
    validation_message: &str,
) -> Result<T, ApiError> {
    result.map_err(|error| raised.unwrap_or_else(|| ApiError::from_core(error, validation_message)))
}
