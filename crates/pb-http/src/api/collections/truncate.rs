//! `DELETE /api/collections/{collection}/truncate`: deletes every record, handling references
//! like single deletes do.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::ports::RecordQuery;

use crate::api::superuser::require_superuser;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::txn;

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let token = bearer_token(&request);
    let name = path.into_inner();
    let state = Arc::clone(&state.into_inner());
    run_blocking(move || {
        txn::write(
            state.store.as_ref(),
            "Failed to truncate collection.",
            |tx| {
                let schema = state.schema();
                require_superuser(tx, &schema, token.as_deref())?;
                let collection = schema.find(&name).ok_or_else(ApiError::not_found)?;
                if collection.is_view() {
                    return Err(ApiError::bad_request("Failed to truncate collection.").into());
                }
                let all = schema.to_vec();
                if collection.referencing_collections(&all).is_empty() {
                    tx.delete_all_records(&collection)?;
                    return Ok(());
                }
                for record in tx.list_records(&collection, &RecordQuery::default())? {
                    pb_core::cascade::delete_record(tx, &all, &collection, record.id())?;
                }
                Ok(())
            },
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
