//! `GET /api/collections/{collection}`: one definition, by id or name.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::api::superuser::require_superuser;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;
use crate::state::AppState;
use crate::txn;

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let params = QueryParams::output_only(&request);
    let token = bearer_token(&request);
    let name = path.into_inner();
    let state = Arc::clone(&state.into_inner());
    let body = run_blocking(move || {
        let schema = state.schema();
        txn::read(state.store.as_ref(), "", |tx| {
            require_superuser(tx, &schema, token.as_deref())?;
            Ok(())
        })?;
        let collection = schema.find(&name).ok_or_else(ApiError::not_found)?;
        Ok(crate::fields::pick(
            collection.to_api_json(),
            &params.fields,
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}
