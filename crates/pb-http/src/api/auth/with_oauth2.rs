//! `POST /api/collections/{collection}/auth-with-oauth2`: `{provider, code, codeVerifier,
//! redirectURL, createData?}` → `{meta, record, token}` (or `401 {mfaId}`).
//!
//! The code is exchanged at the provider's token URL and the provider's user fetched (see
//! [`crate::oauth2`]); then the record to sign in is, in this order: the one already linked to
//! that provider account (`_externalAuths`), the record the request is authenticated as (which
//! links the account to it), the record with the provider's email, or a new record made from
//! `createData` and the mapped provider fields through the collection's create rule (with
//! `@request.context = "oauth2"`).
//!
//! Account safety, as in PocketBase:
//! * the provider's email is only ever an address it verified, so an account is never found
//!   through an address its owner has not proven;
//! * linking an existing, unverified record (someone may have registered the victim's address
//!   with a password of their own) gives it a new random password — which also rotates its
//!   `tokenKey`, ending every session — and drops its other OAuth2 links, before marking it
//!   verified when the addresses match. The record the request is authenticated as keeps its
//!   password.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::field::FieldKind;
use pb_core::oauth2::OAuth2ProviderConfig;
use pb_core::ports::{RecordEvent, SqlValue, StoreTx};
use pb_core::{Collection, FieldError, Record, ValidationErrors};
use serde_json::{Map, Value};

use super::form::client_info;
use super::response::{complete, AuthReply, Completion, METHOD_OAUTH2};
use super::with_password::mfa_id;
use super::{auth_collection, find_by_email, save_changes_with};
use crate::api::records::RecordsContext;
use crate::auth::external_auths::{delete_links_of, find_link, insert_link, EXTERNAL_AUTHS};
use crate::auth::origins::ClientInfo;
use crate::auth::password::{hasher_of, Hasher, Prehashed};
use crate::auth::refs::system_collection;
use crate::auth::request_auth::{authenticate, bearer_token, AuthContext};
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::files::spool::{upload_infos, SpooledUpload};
use crate::files::StagedFiles;
use crate::oauth2::profile::fetch_user;
use crate::oauth2::provider::Provider;
use crate::oauth2::token::exchange_code;
use crate::oauth2::user::AuthUser;
use crate::query::QueryParams;
use crate::records_service::{apply_create, plan_create};
use crate::request_info::RequestParts;
use crate::state::{AppState, Schema};
use crate::txn;

const LOAD_FAILED: &str = "An error occurred while loading the submitted data.";
const FAILED: &str = "Failed to authenticate.";

/// The submitted form.
#[derive(Debug, Default, Clone, PartialEq)]
struct OAuth2Form {
    provider: String,
    code: String,
    code_verifier: String,
    redirect_url: String,
    create_data: Map<String, Value>,
}

fn text(input: &Map<String, Value>, key: &str) -> String {
    match input.get(key) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        _ => String::new(),
    }
}

impl OAuth2Form {
    /// Reads the form; `redirectUrl` is the legacy spelling of `redirectURL`, and
    /// `createData` may come as a JSON text (multipart and urlencoded bodies).
    fn read(input: &Map<String, Value>) -> OAuth2Form {
        let mut redirect_url = text(input, "redirectURL");
        if redirect_url.is_empty() {
            redirect_url = text(input, "redirectUrl");
        }
        let create_data = match input.get("createData") {
            Some(Value::Object(object)) => object.clone(),
            Some(Value::String(raw)) => match serde_json::from_str(raw) {
                Ok(Value::Object(object)) => object,
                _ => Map::new(),
            },
            _ => Map::new(),
        };
        OAuth2Form {
            provider: text(input, "provider"),
            code: text(input, "code"),
            code_verifier: text(input, "codeVerifier"),
            redirect_url,
            create_data,
        }
    }

    /// The provider's config, or the form's field errors.
    fn validate<'a>(
        &self,
        providers: &'a [OAuth2ProviderConfig],
    ) -> Result<&'a OAuth2ProviderConfig, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let config = providers.iter().find(|config| config.name == self.provider);
        if self.provider.is_empty() {
            errors.add("provider", FieldError::required());
        } else if self.provider.chars().count() > 100 {
            errors.add(
                "provider",
                FieldError::new(
                    "validation_length_out_of_range",
                    "The length must be between 0 and 100.",
                )
                .with_params(serde_json::json!({"min": 0, "max": 100})),
            );
        } else if config.is_none() {
            errors.add(
                "provider",
                FieldError::new(
                    "validation_invalid_provider",
                    format!(
                        "Provider with name {} is missing or is not enabled.",
                        self.provider
                    ),
                )
                .with_params(serde_json::json!({"name": self.provider})),
            );
        }
        if self.code.is_empty() {
            errors.add("code", FieldError::required());
        }
        match config {
            Some(config) if errors.is_empty() => Ok(config),
            _ => Err(errors),
        }
    }
}

/// The request parts that the blocking work needs.
struct Request {
    params: QueryParams,
    parts: RequestParts,
    client: ClientInfo,
    token: Option<String>,
    mfa_id: String,
    input: Map<String, Value>,
}

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let collection_name = path.into_inner();
    let input = read_object(&request, payload)
        .await
        .map_err(|error| error.reword_malformed(LOAD_FAILED))?;
    let incoming = Request {
        params: QueryParams::output_only(&request),
        parts: RequestParts::from_request(&request),
        client: client_info(&request),
        token: bearer_token(&request),
        mfa_id: mfa_id(&request, &input),
        input,
    };
    let state = Arc::clone(&state.into_inner());
    let reply =
        run_blocking(move || authenticate_with_oauth2(&state, &collection_name, incoming)).await?;
    Ok(reply.into_response())
}

fn authenticate_with_oauth2(
    state: &AppState,
    collection_name: &str,
    incoming: Request,
) -> Result<AuthReply, ApiError> {
    let schema = state.schema();
    let collection = auth_collection(&schema, collection_name)?;
    let options = collection.auth.clone().unwrap_or_default();
    if !options.oauth2.enabled {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "The collection is not configured to allow OAuth2 authentication.",
        ));
    }
    let form = OAuth2Form::read(&incoming.input);
    let config = form
        .validate(&options.oauth2.providers)
        .map_err(|errors| ApiError::validation(LOAD_FAILED, &errors))?;
    let provider = Provider::from_config(config).ok_or_else(|| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Failed to init provider {}", form.provider),
        )
    })?;
    let token = exchange_code(
        &provider,
        &form.code,
        &form.code_verifier,
        &form.redirect_url,
    )
    .map_err(|error| {
        tracing::info!(provider = %provider.name, %error, "OAuth2 code exchange failed");
        ApiError::bad_request("Failed to fetch OAuth2 token.")
    })?;
    // A user without an id is refused too (PocketBase lets it through): every such user
    // would share one `_externalAuths` link, and so one account.
    let user = match fetch_user(&provider, &token) {
        Ok(user) if !user.id.is_empty() => user,
        outcome => {
            let error = outcome.map_or_else(|error| error.to_string(), |_| "no user id".into());
            tracing::info!(provider = %provider.name, %error, "fetching the OAuth2 user failed");
            return Err(ApiError::bad_request("Failed to fetch OAuth2 user."));
        }
    };

    let external_auths = system_collection(&schema, EXTERNAL_AUTHS)?;
    let (caller, link, found) = txn::read(state.store.as_ref(), "", |tx| {
        let caller = match incoming.token.as_deref() {
            Some(raw) => authenticate(tx, &schema, raw)?,
            None => None,
        };
        let link = find_link(tx, &external_auths, &collection, &provider.name, &user.id)?;
        let found = if let Some(link) = &link {
            Some(
                tx.find_record(&collection, link.get_str("recordRef"))?
                    .ok_or_else(ApiError::not_found)?,
            )
        } else if let Some(caller) = caller
            .as_ref()
            .filter(|caller| caller.collection.id == collection.id)
        {
            Some(caller.record.clone())
        } else {
            find_by_email(tx, &collection, &user.email)?
        };
        Ok((caller, link, found))
    })?;

    let sign_in = SignIn {
        state,
        schema: &schema,
        collection: &collection,
        external_auths: &external_auths,
        provider: &provider,
        user: &user,
        caller: caller.as_ref(),
    };
    let is_new = found.is_none();
    let record = match found {
        Some(record) => sign_in.link_existing(record, link.is_some())?,
        None => sign_in.create(form.create_data, &incoming.parts)?,
    };
    let request_info = incoming
        .parts
        .info(caller.as_ref(), incoming.input, METHOD_OAUTH2);
    complete(Completion {
        state,
        schema: &schema,
        collection: &collection,
        record,
        method: METHOD_OAUTH2,
        token: None,
        caller: caller.as_ref(),
        request: &request_info,
        mfa_id: &incoming.mfa_id,
        client: &incoming.client,
        fields: &incoming.params.fields,
        expand: &incoming.params.expand,
        meta: Some(user.meta(is_new)),
    })
}

/// One sign-in's fixed parts.
struct SignIn<'a> {
    state: &'a AppState,
    schema: &'a Arc<Schema>,
    collection: &'a Arc<Collection>,
    external_auths: &'a Collection,
    provider: &'a Provider,
    user: &'a AuthUser,
    caller: Option<&'a AuthContext>,
}

impl SignIn<'_> {
    /// Signs in to an existing record, linking the provider account when it is not yet.
    fn link_existing(&self, record: Record, linked: bool) -> Result<Record, ApiError> {
        let collection = self.collection;
        let is_caller = self.caller.is_some_and(|caller| {
            caller.collection.id == collection.id && caller.record.id() == record.id()
        });
        // An unverified record gets a new random password; it is hashed before the write
        // begins (hashed inside only if the record turned unverified meanwhile).
        let unverified = |record: &Record| record.get("verified") != Some(&Value::Bool(true));
        let new_password = (!is_caller && unverified(&record))
            .then(|| Prehashed::new(&crate::oauth2::pkce::random_text(30)));
        let hasher = hasher_of(&new_password);
        let (record, changed) = txn::write(self.state.store.as_ref(), FAILED, |tx| {
            let current = tx
                .find_record(collection, record.id())?
                .ok_or_else(ApiError::not_found)?;
            let verified = !unverified(&current);
            let mut changes = Map::new();
            let mut linked = linked;
            if !verified {
                if !is_caller {
                    // Whoever registered this address may not be its owner: their password
                    // (and, through the tokenKey, their sessions) must not outlive the link.
                    let password = new_password.as_ref().map_or_else(
                        || crate::oauth2::pkce::random_text(30),
                        |prehashed| prehashed.password().to_string(),
                    );
                    changes.insert("password".into(), Value::String(password.clone()));
                    changes.insert("passwordConfirm".into(), Value::String(password));
                }
                // At most the one link being made now on an unverified record.
                delete_links_of(tx, self.external_auths, collection, &current)?;
                linked = false;
            }
            let mut email = current.get_str("email").to_string();
            if email.is_empty() && !self.user.email.is_empty() {
                email = self.user.email.clone();
                changes.insert("email".into(), Value::String(email.clone()));
            }
            if !verified && (email.is_empty() || email == self.user.email) {
                changes.insert("verified".into(), Value::Bool(true));
            }
            let changed = !changes.is_empty();
            let record = if changed {
                save_changes_with(tx, collection, current.id(), &changes, hasher)?
            } else {
                current
            };
            if !linked {
                insert_link(
                    tx,
                    self.external_auths,
                    collection,
                    &record,
                    &self.provider.name,
                    &self.user.id,
                )
                .map_err(|error| {
                    tracing::info!(%error, "saving the OAuth2 link failed");
                    ApiError::bad_request(FAILED)
                })?;
            }
            Ok((record, changed))
        })?;
        if changed {
            self.state
                .broker
                .publish(RecordEvent::updated(record.clone()));
        }
        Ok(record)
    }

    /// Creates the record of a new provider account through the collection's create rule.
    fn create(
        &self,
        create_data: Map<String, Value>,
        parts: &RequestParts,
    ) -> Result<Record, ApiError> {
        let collection = self.collection;
        if collection.name == pb_core::system::SUPERUSERS {
            return Err(ApiError::bad_request(FAILED));
        }
        let mapped = collection
            .auth
            .as_ref()
            .map(|auth| auth.oauth2.mapped_fields.clone())
            .unwrap_or_default();
        let store = self.state.store.as_ref();
        let mut payload = create_data;
        if payload
            .get("email")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            payload.insert("email".into(), Value::String(self.user.email.clone()));
        }
        for (field, value) in [(&mapped.id, &self.user.id), (&mapped.name, &self.user.name)] {
            if !field.is_empty() && !payload.contains_key(field.as_str()) {
                payload.insert(field.clone(), Value::String(value.clone()));
            }
        }
        if !mapped.username.is_empty()
            && !payload.contains_key(mapped.username.as_str())
            && txn::read(store, "", |tx| {
                Ok(username_is_free(
                    tx,
                    collection,
                    &mapped.username,
                    &self.user.username,
                )?)
            })?
        {
            payload.insert(
                mapped.username.clone(),
                Value::String(self.user.username.clone()),
            );
        }
        let mut uploads = Vec::new();
        if !mapped.avatar_url.is_empty()
            && !payload.contains_key(mapped.avatar_url.as_str())
            && !self.user.avatar_url.is_empty()
        {
            let is_file = collection
                .field(&mapped.avatar_url)
                .is_some_and(|field| matches!(field.kind, FieldKind::File(_)));
            if is_file {
                match crate::oauth2::http::download_avatar(&self.user.avatar_url) {
                    Ok(bytes) => uploads.push(SpooledUpload::from_bytes(
                        &mapped.avatar_url,
                        &avatar_file_name(&self.user.avatar_url),
                        bytes,
                    )),
                    Err(error) => tracing::warn!(%error, "failed to retrieve the OAuth2 avatar"),
                }
            } else {
                payload.insert(
                    mapped.avatar_url.clone(),
                    Value::String(self.user.avatar_url.clone()),
                );
            }
        }

        if !payload.contains_key("password") {
            // The account signs in through the provider; a random password it never learns
            // keeps password login closed until the owner sets one.
            let password = crate::oauth2::pkce::random_text(30);
            payload.insert("password".into(), Value::String(password.clone()));
            payload.insert("passwordConfirm".into(), Value::String(password));
        }
        let context = RecordsContext {
            schema: Arc::clone(self.schema),
            collection: Arc::clone(collection),
            auth: self.caller.cloned(),
        };
        let plan = plan_create(
            &context,
            parts,
            &payload,
            &upload_infos(&uploads),
            "oauth2",
            &Hasher,
        )?;
        let files = if uploads.is_empty() {
            None
        } else {
            Some(txn::read(store, "", |tx| self.state.files.current(tx))?)
        };
        let mut staged = files.map(StagedFiles::new).unwrap_or_default();
        let stored = staged.write(
            &collection.id,
            plan.record().id(),
            &uploads,
            plan.files().uploads.iter().copied(),
        );
        let written = stored.and_then(|()| {
            txn::write(store, FAILED, |tx| {
                let mut record = apply_create(tx, &context, &plan)?;
                let verified = record.get("verified") == Some(&Value::Bool(true));
                if record.get_str("email") == self.user.email && !verified {
                    // The provider vouches for this address (or neither side has one).
                    record.set("verified", Value::Bool(true));
                    tx.update_record(collection, &record)?;
                }
                insert_link(
                    tx,
                    self.external_auths,
                    collection,
                    &record,
                    &self.provider.name,
                    &self.user.id,
                )?;
                Ok(record)
            })
        });
        let record = match written {
            Ok(record) => record,
            Err(error) => {
                staged.discard();
                return Err(error);
            }
        };
        staged.committed_all();
        self.state
            .broker
            .publish(RecordEvent::created(record.clone()));
        Ok(record)
    }
}

/// Whether `username` may go into `field` of a new record: a non-empty value no record has
/// yet (PocketBase leaves a taken provider username out rather than failing the sign-up).
fn username_is_free(
    tx: &mut dyn StoreTx,
    collection: &Collection,
    field: &str,
    username: &str,
) -> Result<bool, pb_core::StoreError> {
    if username.is_empty() || collection.field(field).is_none() {
        return Ok(false);
    }
    let taken =
        tx.find_records_by_field(collection, field, &SqlValue::Text(username.to_string()), 1)?;
    Ok(taken.is_empty())
}

/// The last path segment of the avatar URL, its query left out (`avatar.png`).
fn avatar_file_name(url: &str) -> String {
    let path = url::Url::parse(url)
        .map(|parsed| parsed.path().to_string())
        .unwrap_or_default();
    match path.rsplit('/').next() {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => "avatar".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(name: &str) -> OAuth2ProviderConfig {
        OAuth2ProviderConfig {
            name: name.into(),
            ..OAuth2ProviderConfig::default()
        }
    }

    #[test]
    fn form_reads_legacy_keys_and_reports_unknown_providers() {
        let input = json!({"provider": "gitlab", "code": "", "redirectUrl": "https://app/cb",
                           "createData": "{\"name\":\"N\"}"});
        let form = OAuth2Form::read(input.as_object().unwrap_or(&Map::new()));
        assert_eq!(form.redirect_url, "https://app/cb");
        assert_eq!(form.create_data["name"], "N");
        let errors = form.validate(&[config("github")]).err().unwrap_or_default();
        assert_eq!(
            errors.to_json(),
            json!({"code": {"code": "validation_required", "message": "Cannot be blank."},
                   "provider": {"code": "validation_invalid_provider",
                                "message": "Provider with name gitlab is missing or is not enabled.",
                                "params": {"name": "gitlab"}}})
        );
        assert_eq!(avatar_file_name("https://cdn/x/pic.png?s=1"), "pic.png");
        assert_eq!(avatar_file_name("https://cdn/"), "avatar");
    }
}
