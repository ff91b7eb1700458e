//! OAuth2 sign-in against a mock provider started on loopback by each test: the collection's
//! provider settings and their validation, `auth-methods`, `auth-with-oauth2` (sign-up, the
//! second sign-in through the `_externalAuths` link, PKCE verifier mismatch), account
//! pre-hijacking, unverified provider emails, GitHub's verified primary email, providers that
//! ask for the profile their own way (a header, a GraphQL POST, the email beside the token, a
//! second request for the emails), and the realtime popup flow through `/api/oauth2-redirect`.
//!
//! The mock speaks just enough OAuth2: `POST /token` exchanges a code it was told about (and
//! checks the PKCE verifier the code was issued for), `/userinfo` (OIDC), `/user` and
//! `/user/emails` (every other provider) answer the profile of the access token and record
//! how they were asked.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{json, Value};

use crate::harness::{create_record, error_body, Client, Server};
use crate::realtime::Sse;

const PASSWORD: &str = "Passw0rd!123";

/// What the mock answers for one authorization code.
#[derive(Clone)]
struct Grant {
    /// The PKCE verifier the code was issued for.
    verifier: String,
    /// The userinfo (or GitHub `/user`) answer.
    profile: Value,
    /// GitHub's `/user/emails` answer.
    emails: Value,
    /// An OpenID Connect `id_token` to add to the token answer (Apple).
    id_token: Option<String>,
    /// More fields of the token answer (VK's `email`).
    token_extra: Value,
}

/// A profile request as the mock received it.
#[derive(Clone, Debug)]
struct ProfileRequest {
    method: String,
    path: String,
    /// Lower-cased names.
    headers: HashMap<String, String>,
    body: String,
}

#[derive(Default)]
struct MockState {
    grants: HashMap<String, Grant>,
    tokens: HashMap<String, Grant>,
    /// Form bodies the token endpoint received.
    token_requests: Vec<HashMap<String, String>>,
    /// Requests for `/user`, `/userinfo` and `/user/emails`.
    profile_requests: Vec<ProfileRequest>,
    /// What `GET /jwks` answers.
    jwks: Value,
}

/// A tiny OAuth2 provider on a loopback port; its thread lives until the test process ends.
struct MockProvider {
    base_url: String,
    state: Arc<Mutex<MockState>>,
}

impl MockProvider {
    fn start() -> MockProvider {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(MockState::default()));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = Arc::clone(&shared);
                thread::spawn(move || serve(stream, &shared));
            }
        });
        MockProvider { base_url, state }
    }

    /// Makes `code` exchangeable with `verifier` for a token whose profile is `profile`.
    fn grant(&self, code: &str, verifier: &str, profile: Value, emails: Value) {
        self.state.lock().unwrap().grants.insert(
            code.to_string(),
            Grant {
                verifier: verifier.to_string(),
                profile,
                emails,
                id_token: None,
                token_extra: Value::Null,
            },
        );
    }

    /// As [`MockProvider::grant`] without PKCE, with `token_extra`'s fields added to the token
    /// answer.
    fn grant_with_token_extra(&self, code: &str, profile: Value, token_extra: Value) {
        self.grant(code, "", profile, Value::Null);
        self.add_to_token_answer(code, token_extra);
    }

    /// Adds `token_extra`'s fields to the token answer of the code granted last as `code`.
    fn add_to_token_answer(&self, code: &str, token_extra: Value) {
        if let Some(grant) = self.state.lock().unwrap().grants.get_mut(code) {
            grant.token_extra = token_extra;
        }
    }

    fn profile_requests(&self) -> Vec<ProfileRequest> {
        self.state.lock().unwrap().profile_requests.clone()
    }

    /// Makes `code` exchangeable for a token answer carrying `id_token`.
    fn grant_id_token(&self, code: &str, verifier: &str, id_token: String) {
        self.state.lock().unwrap().grants.insert(
            code.to_string(),
            Grant {
                verifier: verifier.to_string(),
                profile: Value::Null,
                emails: Value::Null,
                id_token: Some(id_token),
                token_extra: Value::Null,
            },
        );
    }

    fn set_jwks(&self, jwks: Value) {
        self.state.lock().unwrap().jwks = jwks;
    }

    fn token_requests(&self) -> Vec<HashMap<String, String>> {
        self.state.lock().unwrap().token_requests.clone()
    }
}

fn serve(stream: TcpStream, state: &Mutex<MockState>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let bearer = headers
        .get("authorization")
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    let basic = headers
        .get("authorization")
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| STANDARD.decode(encoded).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(id, secret)| (decode(id), decode(secret)))
        });
    if path.starts_with("/user") {
        state.lock().unwrap().profile_requests.push(ProfileRequest {
            method: method.clone(),
            path: path.clone(),
            headers: headers.clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
    }
    let (status, answer) = route(state, &method, &path, &body, &bearer, basic);
    let text = answer.to_string();
    let mut stream = reader.into_inner();
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
}

fn route(
    state: &Mutex<MockState>,
    method: &str,
    path: &str,
    body: &[u8],
    bearer: &str,
    basic: Option<(String, String)>,
) -> (u16, Value) {
    let mut state = state.lock().unwrap();
    match (method, path) {
        ("POST", "/token") => {
            let mut form: HashMap<String, String> = url_form(body);
            // Client credentials may come as HTTP Basic (tried first) or in the form.
            if let Some((id, secret)) = basic {
                form.insert("client_id".into(), id);
                form.insert("client_secret".into(), secret);
            }
            state.token_requests.push(form.clone());
            let code = form.get("code").cloned().unwrap_or_default();
            let Some(grant) = state.grants.get(&code).cloned() else {
                return (400, json!({"error": "invalid_grant"}));
            };
            // Without PKCE no verifier is sent: the grant's is then empty.
            if form.get("code_verifier").map_or("", String::as_str) != grant.verifier {
                return (
                    400,
                    json!({"error": "invalid_grant", "error_description": "PKCE verification failed"}),
                );
            }
            // A code works once.
            state.grants.remove(&code);
            let access_token = format!("at-{code}");
            let mut answer = json!({"access_token": access_token, "token_type": "Bearer",
                                    "expires_in": 3600, "refresh_token": format!("rt-{code}")});
            if let Some(id_token) = &grant.id_token {
                answer["id_token"] = json!(id_token);
            }
            if let Some(extra) = grant.token_extra.as_object() {
                for (key, value) in extra {
                    answer[key] = value.clone();
                }
            }
            state.tokens.insert(access_token.clone(), grant);
            (200, answer)
        }
        // Linear and monday.com ask for the profile with a GraphQL POST.
        ("GET" | "POST", "/userinfo" | "/user") => match state.tokens.get(bearer) {
            Some(grant) => (200, grant.profile.clone()),
            None => (401, json!({"error": "invalid_token"})),
        },
        ("GET", "/user/emails") => match state.tokens.get(bearer) {
            Some(grant) => (200, grant.emails.clone()),
            None => (401, json!({"error": "invalid_token"})),
        },
        ("GET", "/jwks") => (200, state.jwks.clone()),
        _ => (404, json!({"error": "not_found"})),
    }
}

/// A urlencoded form as a map.
fn url_form(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (decode(key), decode(value)))
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.replace('+', " ").into_bytes();
    let mut decoded = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap();
            decoded.push(u8::from_str_radix(hex, 16).unwrap());
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).unwrap()
}

/// Points the `users` collection's `oidc` and `github` providers at `mock`.
fn enable_oauth2(superuser: &Client, mock: &MockProvider) {
    let base = &mock.base_url;
    let (status, body) = superuser.patch(
        "/api/collections/users",
        &json!({"oauth2": {"enabled": true, "providers": [
            {"name": "oidc", "clientId": "cid", "clientSecret": "csecret",
             "authURL": format!("{base}/authorize"), "tokenURL": format!("{base}/token"),
             "userInfoURL": format!("{base}/userinfo"), "displayName": "Mock ID"},
            {"name": "github", "clientId": "gid", "clientSecret": "gsecret",
             "authURL": format!("{base}/authorize"), "tokenURL": format!("{base}/token"),
             "userInfoURL": format!("{base}/user")}],
            "mappedFields": {"name": "name", "avatarURL": "avatar"}}}),
    );
    assert_eq!(status, 200, "{body}");
}

/// The `auth-methods` entry of `provider`.
fn provider_info(guest: &Client, provider: &str) -> Value {
    let (status, body) = guest.get("/api/collections/users/auth-methods");
    assert_eq!(status, 200, "{body}");
    body["oauth2"]["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|info| info["name"] == provider)
        .cloned()
        .unwrap_or_else(|| panic!("{provider} missing from {body}"))
}

fn oidc_profile(sub: &str, email: &str, verified: bool) -> Value {
    json!({"sub": sub, "name": "Ann Example", "preferred_username": "ann",
           "email": email, "email_verified": verified,
           "picture": "http://127.0.0.1:9/avatar.png"})
}

/// Runs the code flow for `provider` with a fresh code, returning the status and body.
fn sign_in(
    guest: &Client,
    mock: &MockProvider,
    provider: &str,
    profile: Value,
    emails: Value,
) -> (u16, Value) {
    let info = provider_info(guest, provider);
    let verifier = info["codeVerifier"].as_str().unwrap().to_string();
    let code = format!("code-{}", info["state"].as_str().unwrap());
    mock.grant(&code, &verifier, profile, emails);
    guest.post(
        "/api/collections/users/auth-with-oauth2",
        &json!({"provider": provider, "code": code, "codeVerifier": verifier,
                "redirectURL": "https://app.example/callback"}),
    )
}

#[test]
fn auth_oauth2_sign_up_then_sign_in_through_the_link() {
    let server = Server::start();
    let superuser = server.superuser();
    let guest = server.guest();
    let mock = MockProvider::start();
    enable_oauth2(&superuser, &mock);

    let (status, methods) = guest.get("/api/collections/users/auth-methods");
    assert_eq!(status, 200);
    let oidc = &methods["oauth2"]["providers"][0];
    let keys: Vec<&String> = oidc.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "name",
            "displayName",
            "logo",
            "state",
            "authURL",
            "authUrl",
            "codeVerifier",
            "codeChallenge",
            "codeChallengeMethod"
        ]
    );
    assert_eq!(oidc["displayName"], "Mock ID");
    assert_eq!(oidc["codeChallengeMethod"], "S256");
    assert_eq!(oidc["state"].as_str().unwrap().len(), 30);
    assert_eq!(oidc["codeVerifier"].as_str().unwrap().len(), 43);
    assert_eq!(
        oidc["authURL"],
        format!(
            "{}/authorize?client_id=cid&code_challenge={}&code_challenge_method=S256\
             &response_type=code&scope=openid+email+profile&state={}&redirect_uri=",
            mock.base_url,
            oidc["codeChallenge"].as_str().unwrap(),
            oidc["state"].as_str().unwrap()
        )
    );
    assert_eq!(oidc["authUrl"], oidc["authURL"]);
    assert_eq!(methods["authProviders"][0]["logo"], "");
    assert_eq!(methods["oauth2"]["enabled"], true);

    // Sign-up: a new record with the provider's verified email, the mapped name, no avatar
    // (the mock's avatar URL is on loopback, which the avatar download refuses).
    let (status, body) = sign_in(
        &guest,
        &mock,
        "oidc",
        oidc_profile("sub-1", "ann@example.com", true),
        Value::Null,
    );
    assert_eq!(status, 200, "{body}");
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["meta", "record", "token"]);
    let meta = &body["meta"];
    // PocketBase sends `meta` from a Go map, in no fixed order: compare the key set.
    let mut meta_keys: Vec<&String> = meta.as_object().unwrap().keys().collect();
    meta_keys.sort();
    assert_eq!(
        meta_keys,
        [
            "accessToken",
            "avatarURL",
            "avatarUrl",
            "email",
            "expiry",
            "id",
            "isNew",
            "name",
            "rawUser",
            "refreshToken",
            "username"
        ]
    );
    assert_eq!(meta["isNew"], true);
    assert_eq!(meta["id"], "sub-1");
    assert_eq!(meta["email"], "ann@example.com");
    assert_eq!(meta["username"], "ann");
    assert!(meta["accessToken"]
        .as_str()
        .unwrap()
        .starts_with("at-code-"));
    assert!(meta["refreshToken"]
        .as_str()
        .unwrap()
        .starts_with("rt-code-"));
    assert_eq!(meta["expiry"].as_str().unwrap().len(), 24);
    assert_eq!(meta["rawUser"]["sub"], "sub-1");
    let record = &body["record"];
    assert_eq!(record["email"], "ann@example.com");
    assert_eq!(record["verified"], true);
    assert_eq!(record["emailVisibility"], false);
    assert_eq!(record["name"], "Ann Example");
    assert_eq!(record["avatar"], "");
    let record_id = record["id"].as_str().unwrap().to_string();

    // The token endpoint got the code, verifier, redirect URL and client credentials.
    let exchange = mock.token_requests().last().cloned().unwrap();
    assert_eq!(exchange["grant_type"], "authorization_code");
    assert_eq!(exchange["client_id"], "cid");
    assert_eq!(exchange["client_secret"], "csecret");
    assert_eq!(exchange["redirect_uri"], "https://app.example/callback");

    // The token works.
    let (status, refreshed) = guest
        .with_token(body["token"].as_str().unwrap())
        .post("/api/collections/users/auth-refresh", &json!({}));
    assert_eq!(status, 200, "{refreshed}");

    // Second sign-in: the same record through the link, even with another email now.
    let (status, again) = sign_in(
        &guest,
        &mock,
        "oidc",
        oidc_profile("sub-1", "other@example.com", true),
        Value::Null,
    );
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["meta"]["isNew"], false);
    assert_eq!(again["record"]["id"], record_id.as_str());
    let (status, links) = superuser.get("/api/collections/_externalAuths/records");
    assert_eq!(status, 200);
    assert_eq!(links["totalItems"], 1);
    assert_eq!(links["items"][0]["recordRef"], record_id.as_str());
    assert_eq!(links["items"][0]["provider"], "oidc");
    assert_eq!(links["items"][0]["providerId"], "sub-1");

    // `fields` shapes the whole answer.
    let info = provider_info(&guest, "oidc");
    let verifier = info["codeVerifier"].as_str().unwrap();
    mock.grant(
        "code-fields",
        verifier,
        oidc_profile("sub-1", "ann@example.com", true),
        Value::Null,
    );
    let (status, picked) = guest.post(
        "/api/collections/users/auth-with-oauth2?fields=meta.isNew,record.id",
        &json!({"provider": "oidc", "code": "code-fields", "codeVerifier": verifier}),
    );
    assert_eq!(status, 200, "{picked}");
    assert_eq!(
        picked,
        json!({"meta": {"isNew": false}, "record": {"id": record_id}})
    );

    // A code issued for one verifier does not work with another: the provider refuses it.
    let info = provider_info(&guest, "oidc");
    mock.grant(
        "code-pkce",
        info["codeVerifier"].as_str().unwrap(),
        oidc_profile("sub-2", "x@example.com", true),
        Value::Null,
    );
    let (status, refused) = guest.post(
        "/api/collections/users/auth-with-oauth2",
        &json!({"provider": "oidc", "code": "code-pkce", "codeVerifier": "not-the-verifier"}),
    );
    assert_eq!(status, 400);
    assert_eq!(refused, error_body(400, "Failed to fetch OAuth2 token."));
    // An unknown code likewise.
    let (status, refused) = guest.post(
        "/api/collections/users/auth-with-oauth2",
        &json!({"provider": "oidc", "code": "never-issued", "codeVerifier": "v"}),
    );
    assert_eq!(
        (status, refused),
        (400, error_body(400, "Failed to fetch OAuth2 token."))
    );
}

#[test]
fn auth_oauth2_pre_hijacked_account_loses_the_attackers_password() {
    let server = Server::start();
    let superuser = server.superuser();
    let guest = server.guest();
    let mock = MockProvider::start();
    enable_oauth2(&superuser, &mock);

    // The attacker registers the victim's address with a password of their own.
    let attacker_record = create_record(
        &guest,
        "users",
        &json!({"email": "victim@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD}),
    );
    assert_eq!(attacker_record["verified"], false);
    let attacker_token = guest.login("users", "victim@example.com", PASSWORD);

    // The victim signs in with a provider that verified the address.
    let (status, body) = sign_in(
        &guest,
        &mock,
        "oidc",
        oidc_profile("victim-sub", "victim@example.com", true),
        Value::Null,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"]["isNew"], false);
    assert_eq!(body["record"]["id"], attacker_record["id"]);
    assert_eq!(body["record"]["verified"], true);

    // The attacker's password and session are gone.
    let (status, failed) = guest.auth_with_password("users", "victim@example.com", PASSWORD);
    assert_eq!(
        (status, failed),
        (400, error_body(400, "Failed to authenticate."))
    );
    let (status, _) = guest
        .with_token(&attacker_token)
        .post("/api/collections/users/auth-refresh", &json!({}));
    assert_eq!(status, 401);
    let (status, _) = guest.with_token(&attacker_token).get(&format!(
        "/api/collections/users/records/{}",
        attacker_record["id"].as_str().unwrap()
    ));
    assert_eq!(status, 404);
    // The victim's own token works.
    let (status, _) = guest
        .with_token(body["token"].as_str().unwrap())
        .post("/api/collections/users/auth-refresh", &json!({}));
    assert_eq!(status, 200);
}

#[test]
fn auth_oauth2_unverified_provider_email_never_reaches_an_existing_account() {
    let server = Server::start();
    let superuser = server.superuser();
    let guest = server.guest();
    let mock = MockProvider::start();
    enable_oauth2(&superuser, &mock);
    let bob = create_record(
        &guest,
        "users",
        &json!({"email": "bob@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD}),
    );

    let (status, body) = sign_in(
        &guest,
        &mock,
        "oidc",
        oidc_profile("mallory", "bob@example.com", false),
        Value::Null,
    );
    // The provider's address does not count: no email to match on, so no link to bob (the
    // sign-up itself fails, as a users record needs an email).
    assert_ne!(body["record"]["id"], bob["id"], "{body}");
    assert_eq!(status, 400, "{body}");
    let (status, links) = superuser.get("/api/collections/_externalAuths/records");
    assert_eq!(status, 200);
    assert_eq!(links["totalItems"], 0);
    // bob is untouched.
    let token = guest.login("users", "bob@example.com", PASSWORD);
    assert!(!token.is_empty());

    // GitHub: the profile's email is ignored; only the verified primary address counts.
    let github_profile = json!({"id": 4242, "login": "bobby", "name": "Bob",
                                "email": "bob@example.com", "avatar_url": ""});
    let emails = json!([{"email": "bob@example.com", "verified": false, "primary": true},
                        {"email": "bob@work.example", "verified": true, "primary": false}]);
    let (_, body) = sign_in(&guest, &mock, "github", github_profile.clone(), emails);
    assert_ne!(body["record"]["id"], bob["id"], "{body}");
    let emails = json!([{"email": "bob@example.com", "verified": true, "primary": true}]);
    let (status, body) = sign_in(&guest, &mock, "github", github_profile, emails);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["record"]["id"], bob["id"]);
    assert_eq!(body["meta"]["id"], "4242");
    assert_eq!(body["meta"]["username"], "bobby");
    assert_eq!(body["meta"]["email"], "bob@example.com");
    assert_eq!(body["meta"]["isNew"], false);
}

#[test]
fn auth_oauth2_providers_that_ask_for_their_profile_their_own_way() {
    let server = Server::start();
    let superuser = server.superuser();
    let guest = server.guest();
    let mock = MockProvider::start();
    let base = &mock.base_url;
    let at_mock = |name: &str| {
        json!({"name": name, "clientId": format!("{name}-id"), "clientSecret": "s",
               "authURL": format!("{base}/authorize"), "tokenURL": format!("{base}/token"),
               "userInfoURL": format!("{base}/user")})
    };
    let (status, body) = superuser.patch(
        "/api/collections/users",
        &json!({"oauth2": {"enabled": true, "providers": [
            at_mock("twitch"), at_mock("linear"), at_mock("vk"), at_mock("bitbucket")]}}),
    );
    assert_eq!(status, 200, "{body}");

    // PocketBase's display names and PKCE defaults: Linear, VK and Bitbucket go without.
    let twitch = provider_info(&guest, "twitch");
    assert_eq!(twitch["displayName"], "Twitch");
    assert_eq!(twitch["codeChallengeMethod"], "S256");
    assert_eq!(provider_info(&guest, "vk")["displayName"], "ВКонтакте");
    for name in ["linear", "vk", "bitbucket"] {
        let info = provider_info(&guest, name);
        assert_eq!(info["codeChallengeMethod"], "", "{name}");
        assert_eq!(info["codeVerifier"], "", "{name}");
    }

    // Twitch: a GET naming the app in `Client-Id`; the user is the first of `data`.
    let profile = json!({"data": [{"id": "t1", "login": "ann", "display_name": "Ann",
                                   "email": "ann@example.com", "profile_image_url": ""}]});
    let (status, body) = sign_in(&guest, &mock, "twitch", profile, Value::Null);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"]["id"], "t1");
    assert_eq!(body["meta"]["username"], "ann");
    assert_eq!(body["meta"]["name"], "Ann");
    assert_eq!(body["record"]["email"], "ann@example.com");
    let request = mock.profile_requests().pop().unwrap();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/user");
    assert_eq!(request.headers["client-id"], "twitch-id");
    assert_eq!(
        request.headers["authorization"],
        format!("Bearer {}", body["meta"]["accessToken"].as_str().unwrap())
    );

    // Linear: a GraphQL POST, and no PKCE verifier in the code exchange.
    let viewer = |active: bool| {
        json!({"data": {"viewer": {"id": "l1", "displayName": "bee", "name": "Bee",
                                   "email": "bee@example.com", "avatarUrl": "",
                                   "active": active}}})
    };
    let (status, body) = sign_in(&guest, &mock, "linear", viewer(true), Value::Null);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"]["id"], "l1");
    assert_eq!(body["meta"]["username"], "bee");
    assert_eq!(body["record"]["email"], "bee@example.com");
    let request = mock.profile_requests().pop().unwrap();
    assert_eq!(request.method, "POST");
    assert_eq!(request.headers["content-type"], "application/json");
    let query: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(
        query["query"],
        "query Me { viewer { id displayName name email avatarUrl active } }"
    );
    let exchange = mock.token_requests().pop().unwrap();
    assert!(!exchange.contains_key("code_verifier"), "{exchange:?}");
    // A deactivated Linear account does not sign in.
    let (status, body) = sign_in(&guest, &mock, "linear", viewer(false), Value::Null);
    assert_eq!(
        (status, body),
        (400, error_body(400, "Failed to fetch OAuth2 user."))
    );

    // VK: the address comes beside the token, the rest from `response[0]`.
    let info = provider_info(&guest, "vk");
    let code = format!("code-{}", info["state"].as_str().unwrap());
    mock.grant_with_token_extra(
        &code,
        json!({"response": [{"id": 77, "first_name": "Cat", "last_name": "Example",
                             "screen_name": "cat", "photo_max": ""}]}),
        json!({"email": "cat@example.com", "user_id": 77}),
    );
    let (status, body) = guest.post(
        "/api/collections/users/auth-with-oauth2",
        &json!({"provider": "vk", "code": code, "codeVerifier": ""}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"]["id"], "77");
    assert_eq!(body["meta"]["name"], "Cat Example");
    assert_eq!(body["meta"]["email"], "cat@example.com");

    // Bitbucket: the confirmed primary address, from a second request.
    let profile = json!({"uuid": "{b-1}", "display_name": "Dan", "username": "dan",
                         "account_status": "active", "links": {"avatar": {"href": ""}}});
    let emails = json!({"values": [
        {"email": "dan@old.example", "is_primary": false, "is_confirmed": true},
        {"email": "dan@example.com", "is_primary": true, "is_confirmed": true}]});
    let (status, body) = sign_in(&guest, &mock, "bitbucket", profile, emails);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"]["id"], "{b-1}");
    assert_eq!(body["record"]["email"], "dan@example.com");
    let paths: Vec<String> = mock
        .profile_requests()
        .iter()
        .rev()
        .take(2)
        .map(|request| request.path.clone())
        .collect();
    assert_eq!(paths, ["/user/emails", "/user"]);
}

#[test]
fn auth_oauth2_provider_settings_errors_and_disabled_oauth2() {
    let server = Server::start();
    let superuser = server.superuser();
    let guest = server.guest();
    let mock = MockProvider::start();

    // Disabled: 403, and no providers listed.
    let (status, body) = guest.post(
        "/api/collections/users/auth-with-oauth2",
        &json!({"provider": "oidc", "code": "x"}),
    );
    assert_eq!(
        (status, body),
        (
            403,
            error_body(
                403,
                "The collection is not configured to allow OAuth2 authentication."
            )
        )
    );

    // Invalid settings are refused as PocketBase words it.
    let (status, body) = superuser.patch(
        "/api/collections/users",
        &json!({"oauth2": {"enabled": true, "providers": [
            {"name": "nope", "clientId": "", "clientSecret": ""},
            {"name": "github", "clientId": "x", "clientSecret": "y", "authURL": "notaurl"}]}}),
    );
    assert_eq!(status, 400);
    assert_eq!(
        body["data"],
        json!({"oauth2": {"providers": {
            "0": {"clientId": {"code": "validation_required", "message": "Cannot be blank."},
                  "clientSecret": {"code": "validation_required", "message": "Cannot be blank."},
                  "name": {"code": "validation_missing_provider",
                           "message": "Invalid or missing provider with name nope.",
                           "params": {"name": "nope"}}},
            "1": {"authURL": {"code": "validation_is_url", "message": "Must be a valid URL."}}}}})
    );

    enable_oauth2(&superuser, &mock);
    // The API never shows a secret; resending a provider without it keeps the stored one.
    let (status, collection) = superuser.patch(
        "/api/collections/users",
        &json!({"oauth2": {"providers": [
            {"name": "oidc", "clientId": "cid", "displayName": "Renamed"}]}}),
    );
    assert_eq!(status, 200, "{collection}");
    let provider = &collection["oauth2"]["providers"][0];
    assert!(provider.get("clientSecret").is_none(), "{provider}");
    assert_eq!(provider["tokenURL"], format!("{}/token", mock.base_url));
    assert_eq!(provider["displayName"], "Renamed");
    let (status, body) = sign_in(
        &guest,
        &mock,
        "oidc",
        oidc_profile("s", "s@example.com", true),
        Value::Null,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        mock.token_requests().last().unwrap()["client_secret"],
        "csecret"
    );

    // Unknown (or no longer configured) provider, missing code.
    let (status, body) = guest.post(
        "/api/collections/users/auth-with-oauth2",
        &json!({"provider": "github", "code": ""}),
    );
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"data": {
            "code": {"code": "validation_required", "message": "Cannot be blank."},
            "provider": {"code": "validation_invalid_provider",
                         "message": "Provider with name github is missing or is not enabled.",
                         "params": {"name": "github"}}},
            "message": "An error occurred while loading the submitted data.", "status": 400})
    );
}

/// A client that does not follow redirects.
fn no_redirects() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(Duration::from_secs(20))
        .build()
}

fn location(response: &ureq::Response) -> (u16, String) {
    (
        response.status(),
        response.header("location").unwrap_or_default().to_string(),
    )
}

#[test]
fn auth_oauth2_redirect_delivers_the_code_to_the_subscribed_realtime_client() {
    let server = Server::start();
    let guest = server.guest();
    let agent = no_redirects();
    let base = server.base_url().to_string();
    const SUCCESS: &str = "../_/#/auth/oauth2-redirect-success";
    const FAILURE: &str = "../_/#/auth/oauth2-redirect-failure";

    let mut sse = Sse::connect(&server);
    let (status, _) = sse.subscribe(&guest, &["@oauth2"]);
    assert_eq!(status, 204);
    let mut bystander = Sse::connect(&server);
    let (status, _) = bystander.subscribe(&guest, &["other"]);
    assert_eq!(status, 204);

    // A state that is no client, and a client not listening on @oauth2: failure, nothing sent.
    let response = agent
        .get(&format!(
            "{base}/api/oauth2-redirect?state=forged&code=stolen"
        ))
        .call()
        .unwrap();
    assert_eq!(location(&response), (307, FAILURE.to_string()));
    let response = agent
        .get(&format!(
            "{base}/api/oauth2-redirect?state={}&code=stolen",
            bystander.client_id
        ))
        .call()
        .unwrap();
    assert_eq!(location(&response), (307, FAILURE.to_string()));
    let response = agent
        .get(&format!("{base}/api/oauth2-redirect"))
        .call()
        .unwrap();
    assert_eq!(location(&response), (307, FAILURE.to_string()));

    // The real redirect: the code goes to the client whose id is the state.
    let response = agent
        .get(&format!(
            "{base}/api/oauth2-redirect?state={}&code=abc",
            sse.client_id
        ))
        .call()
        .unwrap();
    assert_eq!(location(&response), (307, SUCCESS.to_string()));
    let event = sse.expect();
    assert_eq!(event.name, "@oauth2");
    assert_eq!(event.data, json!({"state": sse.client_id, "code": "abc"}));

    // Delivering ended the subscription: a replayed redirect reaches nobody.
    let response = agent
        .get(&format!(
            "{base}/api/oauth2-redirect?state={}&code=replayed",
            sse.client_id
        ))
        .call()
        .unwrap();
    assert_eq!(location(&response), (307, FAILURE.to_string()));

    // Apple posts a form: 303. A provider error is delivered too, and fails the page.
    let (status, _) = sse.subscribe(&guest, &["@oauth2"]);
    assert_eq!(status, 204);
    let response = agent
        .post(&format!("{base}/api/oauth2-redirect"))
        .send_form(&[
            ("state", &sse.client_id),
            ("code", ""),
            ("error", "access_denied"),
        ])
        .unwrap();
    assert_eq!(location(&response), (303, FAILURE.to_string()));
    let event = sse.expect();
    assert_eq!(
        event.data,
        json!({"state": sse.client_id, "code": "", "error": "access_denied"})
    );
    let (status, _) = sse.subscribe(&guest, &["@oauth2"]);
    assert_eq!(status, 204);
    let response = agent
        .post(&format!("{base}/api/oauth2-redirect"))
        .send_form(&[("state", &sse.client_id), ("code", "xyz")])
        .unwrap();
    assert_eq!(location(&response), (303, SUCCESS.to_string()));
    assert_eq!(
        sse.expect().data,
        json!({"state": sse.client_id, "code": "xyz"})
    );

    // The bystander got none of it: its next message is its own.
    let (status, _) = bystander.subscribe(&guest, &["other", "@oauth2"]);
    assert_eq!(status, 204);
    let response = agent
        .get(&format!(
            "{base}/api/oauth2-redirect?state={}&code=mine",
            bystander.client_id
        ))
        .call()
        .unwrap();
    assert_eq!(location(&response), (307, SUCCESS.to_string()));
    assert_eq!(
        bystander.expect().data,
        json!({"state": bystander.client_id, "code": "mine"})
    );
}

/// An EdDSA-signed JWT with `claims`, its header naming key `kid`.
fn signed_jwt(key: &Ed25519KeyPair, kid: &str, claims: &Value) -> String {
    let header =
        URL_SAFE_NO_PAD.encode(json!({"alg": "EdDSA", "kid": kid, "typ": "JWT"}).to_string());
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signature = key.sign(format!("{header}.{body}").as_bytes());
    format!(
        "{header}.{body}.{}",
        URL_SAFE_NO_PAD.encode(signature.as_ref())
    )
}

fn ed25519_key() -> Ed25519KeyPair {
    let document = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    Ed25519KeyPair::from_pkcs8(document.as_ref()).unwrap()
}

/// Goes beyond PocketBase, whose Apple keys URL is fixed: `extra.jwksURL` points the Apple
/// provider at the mock's keys, so the signature check itself is exercised.
#[test]
fn auth_oauth2_apple_id_token_is_checked_against_the_jwks() {
    let server = Server::start();
    let superuser = server.superuser();
    let guest = server.guest();
    let mock = MockProvider::start();
    let base = &mock.base_url;
    let (status, body) = superuser.patch(
        "/api/collections/users",
        &json!({"oauth2": {"enabled": true, "providers": [
            {"name": "apple", "clientId": "com.example.app", "clientSecret": "s",
             "tokenURL": format!("{base}/token"), "extra": {"jwksURL": format!("{base}/jwks")}}]}}),
    );
    assert_eq!(status, 200, "{body}");
    let key = ed25519_key();
    mock.set_jwks(json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "k1", "alg": "EdDSA",
                                   "use": "sig", "x": URL_SAFE_NO_PAD.encode(key.public_key().as_ref())}]}));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({"iss": "https://appleid.apple.com", "aud": "com.example.app",
                        "sub": "apple-1", "email": "ann@privaterelay.example",
                        "email_verified": "true", "iat": now, "exp": now + 600});

    let info = provider_info(&guest, "apple");
    assert!(
        info["authURL"]
            .as_str()
            .unwrap()
            .contains("&response_mode=form_post&"),
        "{info}"
    );
    let attempt = |code: &str, id_token: String| {
        let info = provider_info(&guest, "apple");
        let verifier = info["codeVerifier"].as_str().unwrap();
        mock.grant_id_token(code, verifier, id_token);
        guest.post(
            "/api/collections/users/auth-with-oauth2",
            &json!({"provider": "apple", "code": code, "codeVerifier": verifier}),
        )
    };
    let failed = (400, error_body(400, "Failed to fetch OAuth2 user."));

    // Signed by another key under the same kid, for another audience, or expired: refused.
    assert_eq!(
        attempt("forged", signed_jwt(&ed25519_key(), "k1", &claims)),
        failed
    );
    let mut other_audience = claims.clone();
    other_audience["aud"] = json!("com.attacker.app");
    assert_eq!(
        attempt("aud", signed_jwt(&key, "k1", &other_audience)),
        failed
    );
    let mut expired = claims.clone();
    expired["exp"] = json!(now - 3600);
    assert_eq!(attempt("expired", signed_jwt(&key, "k1", &expired)), failed);

    // Apple's first sign-in also hands over the person's name, as JSON text beside the token.
    let info = provider_info(&guest, "apple");
    let verifier = info["codeVerifier"].as_str().unwrap();
    mock.grant_id_token("good", verifier, signed_jwt(&key, "k1", &claims));
    mock.add_to_token_answer(
        "good",
        json!({"user": r#"{"name":{"firstName":"Ann","lastName":"Example"}}"#}),
    );
    let (status, body) = guest.post(
        "/api/collections/users/auth-with-oauth2",
        &json!({"provider": "apple", "code": "good", "codeVerifier": verifier}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"]["name"], "Ann Example");
    assert_eq!(
        body["meta"]["rawUser"]["user"]["name"]["lastName"],
        "Example"
    );
    assert_eq!(body["meta"]["id"], "apple-1");
    assert_eq!(body["meta"]["isNew"], true);
    assert_eq!(body["record"]["email"], "ann@privaterelay.example");
    assert_eq!(body["record"]["verified"], true);
}

#[test]
fn auth_oauth2_and_password_answers_expand_relations() {
    let server = Server::start();
    let superuser = server.superuser();
    let guest = server.guest();
    let mock = MockProvider::start();
    let teams = crate::harness::create_collection(
        &superuser,
        &json!({"name": "teams", "type": "base", "listRule": "", "viewRule": "",
                "fields": [{"name": "title", "type": "text"}]}),
    );
    let (status, body) = superuser.patch(
        "/api/collections/users",
        &json!({"fields": [{"name": "team", "type": "relation", "maxSelect": 1,
                            "collectionId": teams["id"]}]}),
    );
    assert_eq!(status, 200, "{body}");
    enable_oauth2(&superuser, &mock);
    let team = create_record(&superuser, "teams", &json!({"title": "Blue"}));
    create_record(
        &superuser,
        "users",
        &json!({"email": "eve@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD,
                "verified": true, "team": team["id"]}),
    );

    let (status, body) = guest.post(
        "/api/collections/users/auth-with-password?expand=team",
        &json!({"identity": "eve@example.com", "password": PASSWORD}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["record"]["expand"]["team"]["title"], "Blue");

    let info = provider_info(&guest, "oidc");
    let verifier = info["codeVerifier"].as_str().unwrap();
    mock.grant(
        "code-expand",
        verifier,
        oidc_profile("eve-sub", "eve@example.com", true),
        Value::Null,
    );
    let (status, body) = guest.post(
        "/api/collections/users/auth-with-oauth2?expand=team&fields=record.expand.team.title,meta.isNew",
        &json!({"provider": "oidc", "code": "code-expand", "codeVerifier": verifier}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"meta": {"isNew": false}, "record": {"expand": {"team": {"title": "Blue"}}}})
    );
}
