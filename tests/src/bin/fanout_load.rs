//! A bounded load that answers one question: how much create throughput does `pb` keep while
//! many realtime subscribers listen to the collection being written?
//!
//! Each round starts a fresh `pb` twice — once with no subscribers, once with `--subscribers`
//! SSE clients subscribed to `posts/*` — and runs the same create load against it for
//! `--seconds`. It reports creates per second and per server CPU-second (from
//! `/proc/<pid>/stat`), and checks that every subscriber received every event. Rounds
//! alternate the order of the two runs so that a drift of the machine hits both.
//!
//! ```text
//! cargo run --release -p pb-e2e --bin fanout_load -- --bin target/release/pb \
//!     [--subscribers 500] [--seconds 10] [--rounds 3] [--writers 4] [--rate 0] \
//!     [--topic posts/*] [--server-cpus 0]
//! ```
//!
//! `--topic quiet/*` subscribes to a collection nobody writes (listeners that cost nothing to
//! judge); the default `posts/*` sends every create to every subscriber.
//!
//! `--rate` paces the creates (per second, over all writers: an open-loop load such as an app
//! makes); 0 runs each writer back to back (the server's saturation point).
//!
//! With `--server-cpus` the server runs under `taskset -c <cpus>`; run this tool itself under
//! `taskset` on the other cores so that load and server do not share a core.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const EMAIL: &str = "load@example.com";
const PASSWORD: &str = "load-password-123";

struct Options {
    bin: PathBuf,
    subscribers: usize,
    seconds: u64,
    rounds: usize,
    writers: usize,
    /// Creates per second over all writers; 0: each writer as fast as it can (closed loop).
    rate: u64,
    /// What the subscribers subscribe to: `posts/*` (every create reaches every subscriber) or
    /// e.g. `quiet/*` (a collection nobody writes: subscribers that only listen).
    topic: String,
    server_cpus: Option<String>,
}

fn main() {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("fanout_load: {message}");
            std::process::exit(2);
        }
    };
    let mut results: Vec<RunResult> = Vec::new();
    println!(
        "round  subscribers  creates  creates/s  p50-ms  p99-ms  server-cpu-s  creates/cpu-s  events(delivered/expected)"
    );
    for round in 0..options.rounds {
        let order = if round % 2 == 0 {
            [0, options.subscribers]
        } else {
            [options.subscribers, 0]
        };
        for subscribers in order {
            let result = run_once(&options, subscribers);
            println!(
                "{:>5}  {:>11}  {:>7}  {:>9.0}  {:>6.2}  {:>6.2}  {:>12.2}  {:>13.0}  {}/{}",
                round + 1,
                subscribers,
                result.creates,
                result.creates_per_second(),
                result.p50_ms,
                result.p99_ms,
                result.server_cpu_seconds,
                result.creates_per_cpu_second(),
                result.delivered,
                result.expected
            );
            results.push(result);
        }
    }
    summarise(&results, options.subscribers);
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        bin: PathBuf::from("target/release/pb"),
        subscribers: 500,
        seconds: 10,
        rounds: 3,
        writers: 4,
        rate: 0,
        topic: "posts/*".to_string(),
        server_cpus: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--bin" => options.bin = PathBuf::from(value()?),
            "--subscribers" => options.subscribers = number(&value()?)?,
            "--seconds" => options.seconds = number(&value()?)? as u64,
            "--rounds" => options.rounds = number(&value()?)?,
            "--writers" => options.writers = number(&value()?)?,
            "--rate" => options.rate = number(&value()?)? as u64,
            "--topic" => options.topic = value()?,
            "--server-cpus" => options.server_cpus = Some(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(options)
}

fn number(text: &str) -> Result<usize, String> {
    text.parse().map_err(|_| format!("not a number: {text}"))
}

struct RunResult {
    subscribers: usize,
    creates: u64,
    seconds: f64,
    server_cpu_seconds: f64,
    delivered: u64,
    expected: u64,
    p50_ms: f64,
    p99_ms: f64,
}

impl RunResult {
    fn creates_per_second(&self) -> f64 {
        self.creates as f64 / self.seconds
    }

    fn creates_per_cpu_second(&self) -> f64 {
        self.creates as f64 / self.server_cpu_seconds.max(f64::EPSILON)
    }
}

fn summarise(results: &[RunResult], subscribers: usize) {
    let median = |with: usize, metric: fn(&RunResult) -> f64| {
        let mut values: Vec<f64> = results
            .iter()
            .filter(|r| r.subscribers == with)
            .map(metric)
            .collect();
        values.sort_by(|a, b| a.total_cmp(b));
        values.get(values.len() / 2).copied().unwrap_or(0.0)
    };
    let quiet = median(0, RunResult::creates_per_second);
    let busy = median(subscribers, RunResult::creates_per_second);
    let quiet_cpu = median(0, RunResult::creates_per_cpu_second);
    let busy_cpu = median(subscribers, RunResult::creates_per_cpu_second);
    let lost: u64 = results
        .iter()
        .map(|r| r.expected - r.delivered.min(r.expected))
        .sum();
    println!(
        "median creates/s: {quiet:.0} without subscribers, {busy:.0} with {subscribers} -> ratio {:.2}",
        busy / quiet.max(f64::EPSILON)
    );
    println!(
        "median creates per server CPU-s: {quiet_cpu:.0} without, {busy_cpu:.0} with -> ratio {:.2}",
        busy_cpu / quiet_cpu.max(f64::EPSILON)
    );
    let p99 = |with: usize| median(with, |r| r.p99_ms);
    println!(
        "median create p99: {:.2} ms without, {:.2} ms with",
        p99(0),
        p99(subscribers)
    );
    println!("events lost: {lost}");
}

/// One fresh server, `subscribers` listeners, `writers` threads creating records.
fn run_once(options: &Options, subscribers: usize) -> RunResult {
    let server = LoadServer::start(options);
    let token = server.superuser_token();
    server.create_collections(&token);

    let delivered = Arc::new(AtomicU64::new(0));
    let stop_listening = Arc::new(AtomicBool::new(false));
    let listeners = spawn_listeners(
        &server.address,
        &options.topic,
        subscribers,
        Arc::clone(&delivered),
        Arc::clone(&stop_listening),
    );

    let cpu_before = server.cpu_seconds();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(options.seconds);
    let creates = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let interval = (options.rate > 0)
        .then(|| Duration::from_secs_f64(options.writers as f64 / options.rate as f64));
    let writers: Vec<_> = (0..options.writers)
        .map(|writer| {
            let load = WriterLoad {
                base: server.base_url(),
                token: token.clone(),
                writer,
                deadline,
                interval,
            };
            let creates = Arc::clone(&creates);
            let latencies = Arc::clone(&latencies);
            thread::spawn(move || load.run(&creates, &latencies))
        })
        .collect();
    for writer in writers {
        join(writer);
    }
    let seconds = started.elapsed().as_secs_f64();
    let server_cpu_seconds = server.cpu_seconds() - cpu_before;
    let creates = creates.load(Ordering::SeqCst);
    let mut latencies = std::mem::take(&mut *latencies.lock().unwrap_or_else(|e| e.into_inner()));
    latencies.sort();
    let percentile = |p: f64| -> f64 {
        let index = ((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1));
        latencies
            .get(index)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let (p50_ms, p99_ms) = (percentile(0.50), percentile(0.99));

    let expected = if options.topic.starts_with("posts/") {
        creates * subscribers as u64
    } else {
        0
    };
    let drain_deadline = Instant::now() + Duration::from_secs(30);
    while delivered.load(Ordering::SeqCst) < expected && Instant::now() < drain_deadline {
        thread::sleep(Duration::from_millis(20));
    }
    stop_listening.store(true, Ordering::SeqCst);
    drop(server);
    join(listeners);
    RunResult {
        subscribers,
        creates,
        seconds,
        server_cpu_seconds,
        delivered: delivered.load(Ordering::SeqCst),
        expected,
        p50_ms,
        p99_ms,
    }
}

fn join(handle: thread::JoinHandle<()>) {
    if handle.join().is_err() {
        eprintln!("fanout_load: a load thread panicked");
        std::process::exit(1);
    }
}

/// One writer thread's share of the create load.
struct WriterLoad {
    base: String,
    token: String,
    writer: usize,
    deadline: Instant,
    /// Time between this writer's creates (open loop); `None`: back to back.
    interval: Option<Duration>,
}

impl WriterLoad {
    /// Creates records on one keep-alive connection until the deadline, recording each
    /// create's latency.
    fn run(&self, creates: &AtomicU64, latencies: &Mutex<Vec<Duration>>) {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .build();
        let url = format!("{}/api/collections/posts/records", self.base);
        let mut own = Vec::new();
        let mut next = Instant::now();
        let mut n = 0u64;
        while Instant::now() < self.deadline {
            if let Some(interval) = self.interval {
                // Pacing an open-loop load, not waiting for an event.
                let now = Instant::now();
                if next > now {
                    thread::sleep(next - now);
                }
                next += interval;
            }
            n += 1;
            let body = json!({"title": format!("w{}-{n}", self.writer), "views": n});
            let started = Instant::now();
            if let Err(error) = agent
                .post(&url)
                .set("Authorization", &self.token)
                .send_json(body)
            {
                fail(&format!("create failed: {error}"));
            }
            own.push(started.elapsed());
            creates.fetch_add(1, Ordering::SeqCst);
        }
        latencies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(own);
    }
}

/// Runs `count` SSE subscribers on one thread (so they cost the load's core little): each
/// connects, subscribes to `posts/*`, then counts the `posts` events it reads until `stop`.
/// Returns once all of them are subscribed; the thread goes on counting.
fn spawn_listeners(
    address: &str,
    topic: &str,
    count: usize,
    delivered: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> thread::JoinHandle<()> {
    let (subscribed_sender, subscribed) = std::sync::mpsc::channel::<()>();
    let address = address.to_string();
    let topic = topic.to_string();
    let handle = thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|error| fail(&format!("no tokio runtime: {error}")));
        runtime.block_on(async move {
            let tasks: Vec<_> = (0..count)
                .map(|_| {
                    let address = address.clone();
                    let topic = topic.clone();
                    let delivered = Arc::clone(&delivered);
                    let stop = Arc::clone(&stop);
                    let subscribed = subscribed_sender.clone();
                    tokio::spawn(async move {
                        listen(&address, &topic, &delivered, &stop, subscribed).await;
                    })
                })
                .collect();
            for task in tasks {
                let _ = task.await;
            }
        });
    });
    for _ in 0..count {
        if subscribed.recv_timeout(Duration::from_secs(60)).is_err() {
            fail("subscribers did not all subscribe within 60 s");
        }
    }
    handle
}

async fn listen(
    address: &str,
    topic: &str,
    delivered: &AtomicU64,
    stop: &AtomicBool,
    subscribed: std::sync::mpsc::Sender<()>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = match tokio::net::TcpStream::connect(address).await {
        Ok(stream) => stream,
        Err(error) => fail(&format!("realtime connect failed: {error}")),
    };
    let request = format!(
        "GET /api/realtime HTTP/1.1\r\nHost: {address}\r\nAccept: text/event-stream\r\n\r\n"
    );
    if let Err(error) = stream.write_all(request.as_bytes()).await {
        fail(&format!("realtime request failed: {error}"));
    }
    let mut buffer = vec![0u8; 64 * 1024];
    let mut seen: Vec<u8> = Vec::new();
    let client_id = loop {
        let read = match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => fail("realtime stream closed before PB_CONNECT"),
            Ok(read) => read,
        };
        seen.extend_from_slice(&buffer[..read]);
        if let Some(id) = client_id_in(&seen) {
            break id;
        }
    };
    subscribe(address, topic, &client_id).await;
    let _ = subscribed.send(());

    let finder = memchr::memmem::Finder::new(b"event:posts");
    // The last bytes of the previous read, so that a marker split across reads still counts.
    let keep = b"event:posts".len() - 1;
    let mut carry: Vec<u8> = Vec::with_capacity(keep + buffer.len());
    loop {
        let read = tokio::select! {
            read = stream.read(&mut buffer) => read,
            () = tokio::time::sleep(Duration::from_millis(100)) => {
                if stop.load(Ordering::SeqCst) { return; }
                continue;
            }
        };
        match read {
            Ok(0) | Err(_) => return,
            Ok(read) => {
                carry.extend_from_slice(&buffer[..read]);
                let found = finder.find_iter(&carry).count() as u64;
                delivered.fetch_add(found, Ordering::Relaxed);
                let tail = carry.len().saturating_sub(keep);
                carry.drain(..tail);
            }
        }
    }
}

/// The `clientId` of the `PB_CONNECT` event in what the stream sent so far.
fn client_id_in(seen: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(seen);
    let line = text.lines().find(|line| line.starts_with("data:"))?;
    let value: Value = serde_json::from_str(line.trim_start_matches("data:").trim()).ok()?;
    value["clientId"].as_str().map(str::to_string)
}

/// `POST /api/realtime` on its own connection.
async fn subscribe(address: &str, topic: &str, client_id: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = json!({"clientId": client_id, "subscriptions": [topic]}).to_string();
    let request = format!(
        "POST /api/realtime HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = match tokio::net::TcpStream::connect(address).await {
        Ok(stream) => stream,
        Err(error) => fail(&format!("subscribe connect failed: {error}")),
    };
    if let Err(error) = stream.write_all(request.as_bytes()).await {
        fail(&format!("subscribe failed: {error}"));
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    if !answer.starts_with(b"HTTP/1.1 204") {
        fail(&format!(
            "subscribe answered {}",
            String::from_utf8_lossy(&answer[..answer.len().min(200)])
        ));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("fanout_load: {message}");
    std::process::exit(1);
}

/// A `pb serve` on a fresh temp dir, stopped (by its PID) when dropped.
struct LoadServer {
    child: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl LoadServer {
    fn start(options: &Options) -> LoadServer {
        let dir = match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(error) => fail(&format!("no temp dir: {error}")),
        };
        let data_dir = dir.path().join("pb_data");
        let status = Command::new(&options.bin)
            .args(["superuser", "upsert", EMAIL, PASSWORD])
            .arg(format!("--dir={}", data_dir.display()))
            .stdout(Stdio::null())
            .status();
        if !matches!(status, Ok(status) if status.success()) {
            fail("superuser upsert failed");
        }
        let port = free_port();
        let address = format!("127.0.0.1:{port}");
        let mut command = match &options.server_cpus {
            Some(cpus) => {
                let mut command = Command::new("taskset");
                command.args(["-c", cpus]).arg(&options.bin);
                command
            }
            None => Command::new(&options.bin),
        };
        let child = command
            .arg("serve")
            .arg(format!("--http={address}"))
            .arg(format!("--dir={}", data_dir.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(error) => fail(&format!("cannot start {}: {error}", options.bin.display())),
        };
        let server = LoadServer {
            child,
            address,
            _dir: dir,
        };
        server.wait_until_healthy();
        server
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn wait_until_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if ureq::get(&format!("{}/api/health", self.base_url()))
                .call()
                .is_ok()
            {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        fail("the server did not become healthy within 30 s");
    }

    fn superuser_token(&self) -> String {
        let url = format!(
            "{}/api/collections/_superusers/auth-with-password",
            self.base_url()
        );
        let answer = ureq::post(&url).send_json(json!({"identity": EMAIL, "password": PASSWORD}));
        let body: Value = match answer.map(|response| response.into_json()) {
            Ok(Ok(body)) => body,
            _ => fail("superuser login failed"),
        };
        body["token"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| fail("no token in the login answer"))
    }

    fn create_collections(&self, token: &str) {
        for name in ["posts", "quiet"] {
            self.create_collection(token, name);
        }
    }

    fn create_collection(&self, token: &str, name: &str) {
        let body = json!({
            "name": name,
            "type": "base",
            "listRule": "",
            "viewRule": "",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "views", "type": "number"}
            ]
        });
        if let Err(error) = ureq::post(&format!("{}/api/collections", self.base_url()))
            .set("Authorization", token)
            .send_json(body)
        {
            fail(&format!("creating the collection failed: {error}"));
        }
    }

    /// User plus system CPU time of the server process so far.
    fn cpu_seconds(&self) -> f64 {
        let pid = self.server_pid();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_else(|error| fail(&format!("cannot read the server's stat: {error}")));
        // The command name (field 2) is in parentheses and may hold spaces; fields after it
        // are plain. utime and stime are fields 14 and 15.
        let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks = |index: usize| -> f64 {
            fields
                .get(index)
                .and_then(|value| value.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (ticks(11) + ticks(12)) / clock_ticks_per_second()
    }

    /// The pid of `pb` itself: the child, or the program `taskset` exec'd into (same pid).
    fn server_pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for LoadServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn clock_ticks_per_second() -> f64 {
    let output = Command::new("getconf").arg("CLK_TCK").output();
    output
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse::<f64>().ok())
        .unwrap_or(100.0)
}

fn free_port() -> u16 {
    match TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()) {
        Ok(address) => address.port(),
        Err(error) => fail(&format!("no free port: {error}")),
    }
}
