//! What a rule sees of a request (`@request.*`): the caller's auth record, the submitted body,
//! query params, headers, method and context, in the shapes the rule language expects.

use actix_web::HttpRequest;
use pb_rules::RequestInfo;
use serde_json::{Map, Value};

use crate::auth::request_auth::AuthContext;

/// The parts of a request taken before its work moves to the blocking pool.
#[derive(Debug, Clone, Default)]
pub struct RequestParts {
    headers: Map<String, Value>,
    query: Map<String, Value>,
    method: String,
}

impl RequestParts {
    /// Parts given directly (a realtime subscription carries its own query and headers).
    pub fn new(
        query: Map<String, Value>,
        headers: Map<String, Value>,
        method: &str,
    ) -> RequestParts {
        RequestParts {
            headers,
            query,
            method: method.to_string(),
        }
    }

    /// Headers lowercased with `-` as `_` and the first value of each query param, as strings.
    pub fn from_request(request: &HttpRequest) -> RequestParts {
        let mut headers = Map::new();
        for (name, value) in request.headers() {
            let key = name.as_str().to_ascii_lowercase().replace('-', "_");
            if headers.contains_key(&key) {
                continue;
            }
            if let Ok(text) = value.to_str() {
                headers.insert(key, Value::String(text.to_string()));
            }
        }
        let mut query = Map::new();
        for (key, value) in crate::query::pairs(request) {
            query.entry(key).or_insert(Value::String(value));
        }
        RequestParts {
            headers,
            query,
            method: request.method().as_str().to_string(),
        }
    }

    /// The parts of a batch sub-request: its own method, URL query and headers over the outer
    /// request's headers.
    pub fn sub_request(
        &self,
        method: &str,
        query: &str,
        headers: &Map<String, Value>,
    ) -> RequestParts {
        let mut merged = self.headers.clone();
        for (name, value) in headers {
            merged.insert(name.to_ascii_lowercase().replace('-', "_"), value.clone());
        }
        let mut query_map = Map::new();
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        for (key, value) in pairs {
            query_map.entry(key).or_insert(Value::String(value));
        }
        RequestParts {
            headers: merged,
            query: query_map,
            method: method.to_ascii_uppercase(),
        }
    }

    /// The rule view of this request for `auth`, with `body` as `@request.body`.
    pub fn info(
        &self,
        auth: Option<&AuthContext>,
        body: Map<String, Value>,
        context: &str,
    ) -> RequestInfo {
        RequestInfo {
            auth: auth.map(auth_values),
            body,
            query: self.query.clone(),
            headers: self.headers.clone(),
            method: self.method.clone(),
            context: context.to_string(),
        }
    }
}

/// Every value of the auth record (hidden ones included), plus `collectionId` and
/// `collectionName`.
fn auth_values(auth: &AuthContext) -> Map<String, Value> {
    let mut values = auth.record.values.clone();
    values.insert(
        "collectionId".into(),
        Value::String(auth.collection.id.clone()),
    );
    values.insert(
        "collectionName".into(),
        Value::String(auth.collection.name.clone()),
    );
    values
}
