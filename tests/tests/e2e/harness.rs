//! The harness every test uses: a server process in its own data dir on a free loopback port,
//! and a small blocking HTTP client that answers `(status, json)` for every request.
//!
//! The binary is `$PB_BIN` when set (any binary with PocketBase's CLI works, the real PocketBase
//! included), otherwise the workspace's `target/release/pb` (`cargo build --release -p pb-cli`).
//! A server is killed (SIGKILL, by its own PID) when dropped; its data dir is removed with it.

use std::fs::{self, File};
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tempfile::TempDir;

pub(crate) const SUPERUSER_EMAIL: &str = "admin@example.com";
pub(crate) const SUPERUSER_PASSWORD: &str = "Passw0rd!123";

/// How long a starting server may take to answer `GET /api/health` with 200.
const START_TIMEOUT: Duration = Duration::from_secs(15);
/// Upper bound for one request; generous because CI machines are small.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The workspace root (the parent of this package).
pub(crate) fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap().to_path_buf()
}

/// The server binary under test: `$PB_BIN`, else `<target dir>/release/pb`.
pub(crate) fn pb_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("PB_BIN").filter(|bin| !bin.is_empty()) {
        return PathBuf::from(bin);
    }
    let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    };
    let bin = target_dir.join("release").join("pb");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build --release -p pb-cli` first, or set PB_BIN",
        bin.display()
    );
    bin
}

/// `BIN superuser upsert EMAIL PASSWORD --dir=DATA_DIR`, which must succeed.
pub(crate) fn upsert_superuser(bin: &Path, data_dir: &Path, email: &str, password: &str) {
    let output = Command::new(bin)
        .args(["superuser", "upsert", email, password])
        .arg(format!("--dir={}", data_dir.display()))
        .current_dir(data_dir.parent().unwrap())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", bin.display()));
    assert!(
        output.status.success(),
        "`superuser upsert` failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A loopback port that was free a moment ago (the OS picks it; the listener is dropped).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A running server. Dropping it kills the process and removes its temporary dir, if it owns one.
pub(crate) struct Server {
    child: Child,
    bin: PathBuf,
    data_dir: PathBuf,
    base_url: String,
    temp_dir: Option<TempDir>,
}

impl Server {
    /// `pb` on a fresh data dir, with the superuser [`SUPERUSER_EMAIL`] upserted first.
    pub(crate) fn start() -> Server {
        let temp_dir = tempfile::tempdir().unwrap();
        let data_dir = temp_dir.path().join("pb_data");
        let mut server = Server::start_in(&pb_bin(), &data_dir, true);
        server.temp_dir = Some(temp_dir);
        server
    }

    /// Like [`Server::start`], with extra `serve` arguments (e.g. `--expand-all`).
    pub(crate) fn start_with_args(extra_args: &[&str]) -> Server {
        let temp_dir = tempfile::tempdir().unwrap();
        let data_dir = temp_dir.path().join("pb_data");
        let mut server = Server::start_in_with_args(&pb_bin(), &data_dir, true, extra_args);
        server.temp_dir = Some(temp_dir);
        server
    }

    /// `bin serve` on `data_dir`, which the caller keeps alive. Its stdout and stderr go to
    /// `<data_dir>.log`. With `upsert` false the dir's existing superusers are used.
    pub(crate) fn start_in(bin: &Path, data_dir: &Path, upsert: bool) -> Server {
        Server::start_in_with_args(bin, data_dir, upsert, &[])
    }

    fn start_in_with_args(
        bin: &Path,
        data_dir: &Path,
        upsert: bool,
        extra_args: &[&str],
    ) -> Server {
        if upsert {
            upsert_superuser(bin, data_dir, SUPERUSER_EMAIL, SUPERUSER_PASSWORD);
        }
        let log_path = data_dir.with_extension("log");
        let mut failures = Vec::new();
        // The port may be taken between free_port() and the bind: try a few.
        for _attempt in 0..3 {
            let port = free_port();
            let log = File::create(&log_path).unwrap();
            let child = Command::new(bin)
                .arg("serve")
                .arg(format!("--http=127.0.0.1:{port}"))
                .arg(format!("--dir={}", data_dir.display()))
                .args(extra_args)
                .current_dir(data_dir.parent().unwrap())
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|error| panic!("cannot run {}: {error}", bin.display()));
            let mut server = Server {
                child,
                bin: bin.to_path_buf(),
                data_dir: data_dir.to_path_buf(),
                base_url: format!("http://127.0.0.1:{port}"),
                temp_dir: None,
            };
            match server.wait_until_healthy() {
                Ok(()) => return server,
                Err(reason) => {
                    let log = fs::read_to_string(&log_path).unwrap_or_default();
                    failures.push(format!("port {port}: {reason}\n--- server log ---\n{log}"));
                }
            }
        }
        panic!("{} did not start:\n{}", bin.display(), failures.join("\n"));
    }

    /// Polls `GET /api/health` until it answers 200, the process exits, or [`START_TIMEOUT`].
    fn wait_until_healthy(&mut self) -> Result<(), String> {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(1))
            .build();
        let url = format!("{}/api/health", self.base_url);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!("the server exited: {status}"));
            }
            if matches!(agent.get(&url).call(), Ok(response) if response.status() == 200) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!("no 200 from {url} within {START_TIMEOUT:?}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILLs the process (`Child::kill` on Unix) and reaps it. The data dir stays.
    pub(crate) fn kill(&mut self) {
        // The process may be gone already; then there is nothing to kill.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills this server and starts the same binary again on the same data dir (no upsert).
    pub(crate) fn restart(mut self) -> Server {
        self.kill();
        let mut server = Server::start_in(&self.bin, &self.data_dir, false);
        server.temp_dir = self.temp_dir.take();
        server
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status once the process has exited.
    pub(crate) fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    pub(crate) fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// `http://127.0.0.1:<port>`, for tests that need their own HTTP client.
    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A client without a token.
    pub(crate) fn guest(&self) -> Client {
        let agent = ureq::AgentBuilder::new().timeout(REQUEST_TIMEOUT).build();
        Client {
            agent,
            base_url: self.base_url.clone(),
            token: None,
        }
    }

    /// A fresh token for the default superuser.
    pub(crate) fn superuser_token(&self) -> String {
        self.guest()
            .login("_superusers", SUPERUSER_EMAIL, SUPERUSER_PASSWORD)
    }

    /// A client carrying a superuser token.
    pub(crate) fn superuser(&self) -> Client {
        self.guest().with_token(&self.superuser_token())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A blocking HTTP client bound to one server, optionally sending `Authorization: <token>`.
/// Cheap to clone; clones share one connection pool.
#[derive(Clone)]
pub(crate) struct Client {
    agent: ureq::Agent,
    base_url: String,
    token: Option<String>,
}

impl Client {
    pub(crate) fn with_token(&self, token: &str) -> Client {
        Client {
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }

    /// The same server, without a token.
    pub(crate) fn guest(&self) -> Client {
        Client {
            token: None,
            ..self.clone()
        }
    }

    pub(crate) fn get(&self, path: &str) -> (u16, Value) {
        self.send("GET", path, None)
    }

    pub(crate) fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send("POST", path, Some(body))
    }

    pub(crate) fn patch(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send("PATCH", path, Some(body))
    }

    pub(crate) fn delete(&self, path: &str) -> (u16, Value) {
        self.send("DELETE", path, None)
    }

    /// Like [`Client::try_send`], but a transport error (no HTTP answer at all) panics.
    pub(crate) fn send(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        self.try_send(method, path, body)
            .unwrap_or_else(|error| panic!("{method} {path}: {error}"))
    }

    /// Sends `body` as JSON (or nothing). 4xx/5xx answers are `Ok` too; only a failure to get
    /// any HTTP answer is an `Err`. An empty body reads as `Value::Null`, a non-JSON body as a
    /// `Value::String`.
    pub(crate) fn try_send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), String> {
        let request = self.request(method, path);
        let result = match body {
            Some(body) => request.send_json(body),
            None => request.call(),
        };
        let (status, bytes) = read_response(result)?;
        Ok((status, parse_body(bytes)))
    }

    /// Sends `body` verbatim with the given content type.
    pub(crate) fn send_raw(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> (u16, Value) {
        let result = self
            .request(method, path)
            .set("Content-Type", content_type)
            .send_bytes(body);
        let (status, bytes) =
            read_response(result).unwrap_or_else(|error| panic!("{method} {path}: {error}"));
        (status, parse_body(bytes))
    }

    /// `GET path` returning the raw body bytes (file downloads).
    pub(crate) fn get_bytes(&self, path: &str) -> (u16, Vec<u8>) {
        read_response(self.request("GET", path).call())
            .unwrap_or_else(|error| panic!("GET {path}: {error}"))
    }

    /// `POST /api/collections/{collection}/auth-with-password`, returning the status and body.
    pub(crate) fn auth_with_password(
        &self,
        collection: &str,
        identity: &str,
        password: &str,
    ) -> (u16, Value) {
        let path = format!("/api/collections/{collection}/auth-with-password");
        self.post(&path, &json!({"identity": identity, "password": password}))
    }

    /// Logs in and returns the token; anything but 200 panics.
    pub(crate) fn login(&self, collection: &str, identity: &str, password: &str) -> String {
        let (status, body) = self.auth_with_password(collection, identity, password);
        assert_eq!(status, 200, "login of {identity} into {collection}: {body}");
        body["token"].as_str().unwrap().to_owned()
    }

    fn request(&self, method: &str, path: &str) -> ureq::Request {
        let request = self
            .agent
            .request(method, &format!("{}{path}", self.base_url));
        match &self.token {
            Some(token) => request.set("Authorization", token),
            None => request,
        }
    }
}

/// The status and body of any HTTP answer; `Err` only when there was none.
fn read_response(result: Result<ureq::Response, ureq::Error>) -> Result<(u16, Vec<u8>), String> {
    let response = match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(ureq::Error::Transport(transport)) => return Err(transport.to_string()),
    };
    let status = response.status();
    let mut bytes = Vec::new();
    response
        .into_reader()
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    Ok((status, bytes))
}

fn parse_body(bytes: Vec<u8>) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

/// `POST /api/collections` as `client`, which must answer 200; returns the collection JSON.
pub(crate) fn create_collection(client: &Client, collection: &Value) -> Value {
    let (status, body) = client.post("/api/collections", collection);
    assert_eq!(status, 200, "create collection {collection}: {body}");
    body
}

/// `POST /api/collections/{collection}/records` as `client`, which must answer 200.
pub(crate) fn create_record(client: &Client, collection: &str, record: &Value) -> Value {
    let (status, body) = client.post(&format!("/api/collections/{collection}/records"), record);
    assert_eq!(
        status, 200,
        "create record in {collection} from {record}: {body}"
    );
    body
}

/// The error body PocketBase sends for everything but field errors.
pub(crate) fn error_body(status: u16, message: &str) -> Value {
    json!({"data": {}, "message": message, "status": status})
}
