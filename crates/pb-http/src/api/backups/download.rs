//! `GET /api/backups/{key}?token=`: the backup as an attachment. Only a superuser's file
//! token (`POST /api/files/token`) in the query opens it: the `Authorization` header does not
//! count, and any other token, or none, gets 403.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::auth::record_tokens::{find_record_by_token, TokenType};
use crate::backups::storage::{backups_store, settings};
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::files::serve::{Conditions, ServedFile};
use crate::state::AppState;
use crate::txn;

fn forbidden() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::FORBIDDEN,
        "Insufficient permissions to access the resource.",
    )
}

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = path.into_inner();
    let token = crate::query::pairs(&request)
        .into_iter()
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value)
        .unwrap_or_default();
    let conditions = Conditions::from_request(&request);
    let state = Arc::clone(&state.into_inner());
    let prepared = run_blocking(move || {
        let superuser = txn::read(state.store.as_ref(), "", |tx| {
            let found = find_record_by_token(tx, &state.schema(), &token, TokenType::File)?;
            Ok(found
                .is_some_and(|(collection, _, _)| collection.name == pb_core::system::SUPERUSERS))
        })
        .unwrap_or(false);
        if !superuser {
            return Err(forbidden());
        }
        let load_failed = |error: crate::backups::BackupError| {
            tracing::error!(%error, "failed to load the backups filesystem");
            ApiError::internal()
        };
        let settings = settings(&state).map_err(load_failed)?;
        let store = backups_store(&state, settings.as_ref()).map_err(load_failed)?;
        let file = store
            .stat(&key)
            .ok()
            .flatten()
            .ok_or_else(ApiError::not_found)?;
        let filename = key.rsplit('/').next().unwrap_or(&key).to_string();
        ServedFile {
            store,
            key,
            size: file.size,
            modified: file.modified,
            content_type: file
                .content_type
                .unwrap_or_else(|| "application/zip".to_string()),
            filename,
            attachment: true,
        }
        .prepare(&conditions)
    })
    .await?;
    let mut response = prepared.into_response();
    // Unlike a record's file, a backup download keeps the frame protection header.
    response
        .extensions_mut()
        .remove::<crate::middleware::NoFrameOptions>();
    Ok(response)
}
