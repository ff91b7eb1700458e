//! Support for the auth tests: a tiny SMTP receiver on loopback that the server under test is
//! pointed at, readers for the mails it collects (tokens, codes), and JWT tools for building
//! tokens the way an attacker or a leaked key would (HS256 done here, no crypto dependency).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::harness::{create_record, Client, Server};

/// How long a test waits for a mail the server sends in the background.
pub(crate) const MAIL_TIMEOUT: Duration = Duration::from_secs(20);

/// One message the sink received.
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    /// `RCPT TO` addresses.
    pub(crate) recipients: Vec<String>,
    /// The DATA section as sent (headers and MIME body).
    pub(crate) raw: String,
}

impl Mail {
    /// A header of the top-level message, unfolded.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        let head = self.raw.split("\r\n\r\n").next().unwrap_or("");
        let unfolded = head.replace("\r\n\t", " ").replace("\r\n ", " ");
        unfolded.split("\r\n").find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    }

    pub(crate) fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    /// Every MIME part's body, decoded (quoted-printable or base64), joined.
    pub(crate) fn text(&self) -> String {
        let mut decoded = String::new();
        for part in self.raw.split("\r\n--") {
            let (head, body) = part.split_once("\r\n\r\n").unwrap_or(("", part));
            let head = head.to_ascii_lowercase();
            if head.contains("content-transfer-encoding: quoted-printable") {
                decoded.push_str(&decode_quoted_printable(body));
            } else if head.contains("content-transfer-encoding: base64") {
                let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
                let compact = compact.split("--").next().unwrap_or("");
                decoded.push_str(&String::from_utf8_lossy(&base64_decode(compact)));
            } else {
                decoded.push_str(body);
            }
            decoded.push('\n');
        }
        decoded
    }

    /// The first JWT in the message: a run of base64url text starting with `eyJ` that has
    /// three parts (a MIME boundary can contain `eyJ` too, by chance).
    pub(crate) fn token(&self) -> String {
        let text = self.text();
        text.match_indices("eyJ")
            .map(|(start, _)| {
                text[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    .collect::<String>()
            })
            .find(|candidate| candidate.split('.').count() == 3)
            .unwrap_or_else(|| panic!("no token in mail:\n{text}"))
    }

    /// The text following `marker` up to the next whitespace or `<` (a code or id a template
    /// put there).
    pub(crate) fn value_after(&self, marker: &str) -> String {
        let text = self.text();
        let start = text
            .find(marker)
            .unwrap_or_else(|| panic!("no {marker:?} in mail:\n{text}"))
            + marker.len();
        text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '<')
            .collect()
    }
}

fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'=' && index + 2 < bytes.len() + 1 {
            if let Some(hex) = joined.get(index + 1..index + 3) {
                if let Ok(byte) = u8::from_str_radix(hex, 16) {
                    out.push(byte);
                    index += 3;
                    continue;
                }
            }
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An SMTP server on `127.0.0.1:<port>` that accepts every message and hands it to the test.
pub(crate) struct SmtpSink {
    port: u16,
    mails: Receiver<Mail>,
    /// Mails received while waiting for another recipient.
    held: std::cell::RefCell<Vec<Mail>>,
}

impl SmtpSink {
    pub(crate) fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (sender, mails) = channel();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let sender = sender.clone();
                thread::spawn(move || serve_smtp(stream, &sender));
            }
        });
        SmtpSink {
            port,
            mails,
            held: std::cell::RefCell::new(Vec::new()),
        }
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The next mail addressed to `address`, waiting up to [`MAIL_TIMEOUT`]. Mails to others
    /// are kept for later calls.
    pub(crate) fn mail_to(&self, address: &str) -> Mail {
        if let Some(position) = self
            .held
            .borrow()
            .iter()
            .position(|mail| mail.recipients.iter().any(|to| to == address))
        {
            return self.held.borrow_mut().remove(position);
        }
        let deadline = Instant::now() + MAIL_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.mails.recv_timeout(left) {
                Ok(mail) if mail.recipients.iter().any(|to| to == address) => return mail,
                Ok(other) => self.held.borrow_mut().push(other),
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no mail to {address} within {MAIL_TIMEOUT:?}")
                }
                Err(RecvTimeoutError::Disconnected) => panic!("the SMTP sink stopped"),
            }
        }
    }

    /// Every mail received so far that nobody asked for yet, after waiting for `address`'s
    /// next mail (a marker sent last, so whatever came before it has arrived too).
    pub(crate) fn mails_before_marker(&self, address: &str) -> Vec<Mail> {
        let _marker = self.mail_to(address);
        let mut held = self.held.borrow_mut();
        while let Ok(mail) = self.mails.try_recv() {
            held.push(mail);
        }
        std::mem::take(&mut *held)
    }
}

/// Speaks just enough SMTP for one client: greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET, QUIT.
fn serve_smtp(stream: TcpStream, sender: &Sender<Mail>) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let mut reply = |text: &str| writer.write_all(format!("{text}\r\n").as_bytes()).is_ok();
    if !reply("220 sink.test ESMTP") {
        return;
    }
    let mut recipients = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let ok = if upper.starts_with("EHLO") {
            reply("250-sink.test") && reply("250 8BITMIME")
        } else if upper.starts_with("MAIL FROM") {
            recipients.clear();
            reply("250 OK")
        } else if upper.starts_with("RCPT TO") {
            let address = command[8..]
                .trim()
                .trim_start_matches(':')
                .trim()
                .trim_start_matches('<')
                .split('>')
                .next()
                .unwrap_or("")
                .to_string();
            recipients.push(address);
            reply("250 OK")
        } else if upper == "DATA" {
            if !reply("354 End data with <CR><LF>.<CR><LF>") {
                return;
            }
            let mut raw = String::new();
            loop {
                let mut data_line = String::new();
                if reader.read_line(&mut data_line).unwrap_or(0) == 0 {
                    return;
                }
                if data_line == ".\r\n" {
                    break;
                }
                let unstuffed = data_line.strip_prefix('.').unwrap_or(&data_line);
                raw.push_str(unstuffed);
            }
            let mail = Mail {
                recipients: std::mem::take(&mut recipients),
                raw,
            };
            let _ = sender.send(mail);
            reply("250 OK: queued")
        } else if upper == "QUIT" {
            reply("221 Bye");
            return;
        } else {
            // HELO, RSET, NOOP and anything else.
            reply("250 OK")
        };
        if !ok {
            return;
        }
    }
}

/// A server whose settings send mail to a fresh sink, and its superuser client.
pub(crate) fn server_with_mail() -> (Server, SmtpSink, Client) {
    let server = Server::start();
    let sink = SmtpSink::start();
    let superuser = server.superuser();
    let (status, body) = superuser.patch(
        "/api/settings",
        &json!({"smtp": {"enabled": true, "host": "127.0.0.1", "port": sink.port(), "tls": false}}),
    );
    assert_eq!(status, 200, "{body}");
    (server, sink, superuser)
}

/// The default test password of users made by [`create_user`].
pub(crate) const USER_PASSWORD: &str = "pass-12345";

/// Creates a `users` record as the superuser (unverified, email hidden) and returns it.
pub(crate) fn create_user(superuser: &Client, email: &str) -> Value {
    create_record(
        superuser,
        "users",
        &json!({"email": email, "password": USER_PASSWORD, "passwordConfirm": USER_PASSWORD}),
    )
}

/// Logs `email` into `users` with [`USER_PASSWORD`] and returns the token.
pub(crate) fn login_user(client: &Client, email: &str) -> String {
    client.login("users", email, USER_PASSWORD)
}

/// A record as the superuser sees it.
pub(crate) fn view_as_superuser(superuser: &Client, collection: &str, id: &str) -> Value {
    let (status, body) = superuser.get(&format!("/api/collections/{collection}/records/{id}"));
    assert_eq!(status, 200, "{body}");
    body
}

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[derive(diesel::QueryableByName)]
struct TextRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

/// Reads one text value from the server's `data.db` (a second connection; WAL lets it read
/// while the server runs).
fn read_text(server: &Server, sql: &str, bind: &str) -> String {
    use diesel::{Connection, RunQueryDsl};
    let path = server.data_dir().join("data.db");
    let mut connection = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    let rows: Vec<TextRow> = diesel::sql_query(sql)
        .bind::<diesel::sql_types::Text, _>(bind)
        .load(&mut connection)
        .unwrap();
    rows.into_iter()
        .next()
        .unwrap_or_else(|| panic!("no row for {sql} / {bind}"))
        .value
}

/// The key a `users` token of option `token_option` (`authToken`, `verificationToken`, …) for
/// `record_id` is signed with: the record's `tokenKey` followed by the collection's secret, as
/// read straight from the data dir (what an attacker holding a copy of it would know).
pub(crate) fn users_signing_key(server: &Server, token_option: &str, record_id: &str) -> String {
    let options = read_text(
        server,
        "SELECT options AS value FROM _collections WHERE name = ?",
        "users",
    );
    let options: Value = serde_json::from_str(&options).unwrap();
    let secret = options[token_option]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let token_key = read_text(
        server,
        "SELECT tokenKey AS value FROM users WHERE id = ?",
        record_id,
    );
    format!("{token_key}{secret}")
}

// --- JWTs ---------------------------------------------------------------------------------

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Unpadded base64url.
pub(crate) fn base64url_encode(bytes: &[u8]) -> String {
    let mut text = String::new();
    for chunk in bytes.chunks(3) {
        let buffer = chunk.iter().enumerate().fold(0u32, |acc, (index, byte)| {
            acc | (u32::from(*byte) << (16 - 8 * index))
        });
        for index in 0..=chunk.len() {
            text.push(BASE64URL[((buffer >> (18 - 6 * index)) & 63) as usize] as char);
        }
    }
    text
}

/// Decodes base64 or base64url, padded or not.
pub(crate) fn base64_decode(text: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let sextet = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => continue,
        };
        buffer = (buffer << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    bytes
}

/// The claims of a JWT, unverified.
pub(crate) fn claims(token: &str) -> Value {
    let payload = token
        .split('.')
        .nth(1)
        .unwrap_or_else(|| panic!("not a JWT: {token}"));
    serde_json::from_slice(&base64_decode(payload)).unwrap()
}

/// SHA-256 (FIPS 180-4).
fn sha256(message: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut state: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut data = message.to_vec();
    data.push(0x80);
    while data.len() % 64 != 56 {
        data.push(0);
    }
    data.extend_from_slice(&((message.len() as u64) * 8).to_be_bytes());
    for block in data.chunks(64) {
        let mut w = [0u32; 64];
        for (index, word) in block.chunks(4).enumerate() {
            w[index] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for index in 16..64 {
            let s0 = w[index - 15].rotate_right(7)
                ^ w[index - 15].rotate_right(18)
                ^ (w[index - 15] >> 3);
            let s1 = w[index - 2].rotate_right(17)
                ^ w[index - 2].rotate_right(19)
                ^ (w[index - 2] >> 10);
            w[index] = w[index - 16]
                .wrapping_add(s0)
                .wrapping_add(w[index - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = state;
        for index in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let choice = (e & f) ^ (!e & g);
            let t1 = h
                .wrapping_add(s1)
                .wrapping_add(choice)
                .wrapping_add(K[index])
                .wrapping_add(w[index]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let majority = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(majority);
            h = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (slot, value) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
            *slot = slot.wrapping_add(value);
        }
    }
    let mut digest = [0u8; 32];
    for (index, word) in state.iter().enumerate() {
        digest[index * 4..index * 4 + 4].copy_from_slice(&word.to_be_bytes());
    }
    digest
}

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&sha256(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner_key: Vec<u8> = block.iter().map(|byte| byte ^ 0x36).collect();
    let outer_key: Vec<u8> = block.iter().map(|byte| byte ^ 0x5c).collect();
    let inner = sha256(&[inner_key.as_slice(), message].concat());
    sha256(&[outer_key.as_slice(), &inner].concat())
}

/// An HS256 JWT over `claims` with `key`, the way PocketBase signs them.
pub(crate) fn sign_hs256(claims: &Value, key: &str) -> String {
    let header = base64url_encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = base64url_encode(claims.to_string().as_bytes());
    let signing_input = format!("{header}.{payload}");
    let signature = hmac_sha256(key.as_bytes(), signing_input.as_bytes());
    format!("{signing_input}.{}", base64url_encode(&signature))
}

#[test]
fn hmac_sha256_matches_rfc_4231() {
    let digest = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    assert_eq!(
        hex,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    assert_eq!(
        base64url_encode(b"any carnal pleas"),
        "YW55IGNhcm5hbCBwbGVhcw"
    );
    assert_eq!(base64_decode("YW55IGNhcm5hbCBwbGVhcw"), b"any carnal pleas");
}
