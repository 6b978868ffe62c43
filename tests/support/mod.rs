//! Helpers for the reliability, security, property and leak-scan tests: clients aimed at the
//! emulator, an application with its secrets, the authorization-code flow, and raw TCP servers on
//! the loopback range scripted by hand (for faults the emulator cannot produce, and to see exactly
//! which bytes the client sends).
#![allow(dead_code)]

use std::{
    future::Future,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use fluxer_oauth2::{
    Credential, FluxerClient, FluxerClientBuilder, RetryPolicy, Secret,
    oauth::{AuthorizeRequest, AuthorizeUrl, ClientCredentials, Scope, TokenSet},
    types,
};
use fluxer_oauth2_emulator::{Emulator, SeededUser};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

/// A loopback redirect URI, which the server allows over plain http.
pub const REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";

/// Whether the heavier variants run (`FLUXER_HEAVY=1`).
pub fn heavy() -> bool {
    std::env::var("FLUXER_HEAVY").is_ok_and(|v| v == "1")
}

/// Runs `body`, failing the test when it takes longer than `limit`.
pub async fn bounded<F: Future>(limit: Duration, body: F) -> F::Output {
    tokio::time::timeout(limit, body)
        .await
        .unwrap_or_else(|_| panic!("the test ran over its time limit of {limit:?}"))
}

/// A builder aimed at the emulator: 10 s timeout, no retries (tests that want retries set them).
pub fn builder(emu: &Emulator) -> FluxerClientBuilder {
    builder_for(&emu.base_url())
}

/// A builder aimed at `base_url`: 10 s timeout, no retries.
pub fn builder_for(base_url: &str) -> FluxerClientBuilder {
    FluxerClient::builder()
        .base_url(base_url)
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(2))
        .retry_policy(RetryPolicy::NONE)
}

/// A client holding `user`'s session token.
pub fn session(emu: &Emulator, user: &SeededUser) -> FluxerClient {
    builder(emu)
        .credential(Credential::session(user.session_token.as_str()))
        .build()
        .expect("the emulator's base URL is accepted")
}

/// A freshly created application with the secrets shown at creation.
pub struct App {
    pub id: String,
    pub secret: Secret,
    pub bot_token: Secret,
    pub created: types::ApplicationResponse,
}

impl App {
    /// Client credentials sent in the form body.
    pub fn credentials(&self) -> ClientCredentials {
        ClientCredentials::new(&self.id, self.secret.clone()).expect("the id is a snowflake")
    }
}

/// Creates an application owned by the session's user, with [`REDIRECT_URI`] registered.
pub async fn create_app(session: &FluxerClient, name: &str) -> App {
    let created = session
        .create_oauth_application(
            types::ApplicationCreateRequest::builder()
                .name(name)
                .redirect_uris(Some(vec![REDIRECT_URI.to_owned()])),
            None,
        )
        .await
        .expect("the application is created");
    App {
        id: created.id.to_string(),
        secret: created
            .client_secret
            .clone()
            .expect("creation returns the client secret"),
        bot_token: created
            .bot
            .as_ref()
            .and_then(|b| b.token.clone())
            .expect("creation returns the bot token"),
        created,
    }
}

/// An authorize request for `app_id` (S256 PKCE, random state) on [`REDIRECT_URI`].
pub fn authorize_request(base_url: &str, app_id: &str, scopes: &[Scope]) -> AuthorizeRequest {
    AuthorizeUrl::new(base_url, app_id, REDIRECT_URI)
        .scopes(scopes.iter().cloned())
        .build()
        .expect("the authorize URL builds")
}

/// Consent as the session's user, then the code exchange.
pub async fn tokens(session: &FluxerClient, app: &App, scopes: &[Scope]) -> TokenSet {
    let request = authorize_request(session.base_url(), &app.id, scopes);
    let code = session
        .grant_consent(&request)
        .await
        .expect("consent is given")
        .verify_state(&request.state)
        .expect("the state matches");
    session
        .with_credential(None)
        .exchange_code(
            &app.credentials(),
            &code,
            request.redirect_uri.normalized(),
            request.pkce_verifier.as_ref(),
        )
        .await
        .expect("the code is exchanged")
}

/// A request as a raw server read it.
#[derive(Clone, Debug, Default)]
pub struct RawRequest {
    /// The request line, e.g. `GET /v1/oauth2/userinfo HTTP/1.1`.
    pub line: String,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body (by `Content-Length`).
    pub body: Vec<u8>,
}

impl RawRequest {
    /// The first value of header `name` (case-insensitive), as bytes.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }
}

/// The longest request head a raw server reads.
const MAX_HEAD: usize = 64 * 1024;

/// Reads one HTTP/1.1 request (head and `Content-Length` body), within 5 s. `None` when the peer
/// closed or sent something that is not a request.
pub async fn read_request(stream: &mut TcpStream) -> Option<RawRequest> {
    tokio::time::timeout(Duration::from_secs(5), read_request_inner(stream))
        .await
        .ok()
        .flatten()
}

async fn read_request_inner(stream: &mut TcpStream) -> Option<RawRequest> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let line = lines.next()?.to_owned();
    // Header values are kept as bytes: a test may check bytes that are not UTF-8.
    let mut headers = Vec::new();
    for raw in buf[..head_end].split(|b| *b == b'\n').skip(1) {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if let Some(colon) = raw.iter().position(|b| *b == b':') {
            let name = String::from_utf8_lossy(&raw[..colon]).to_ascii_lowercase();
            let value = raw[colon + 1..].trim_ascii().to_vec();
            headers.push((name, value));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| std::str::from_utf8(v).ok()?.trim().parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Some(RawRequest {
        line,
        headers,
        body,
    })
}

/// Writes a whole response with `Content-Length` and `Connection: close`.
pub async fn write_response(stream: &mut TcpStream, status: u16, content_type: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.flush().await;
    let _ = stream.shutdown().await;
}

/// Relays one connection to `target` byte for byte, until either side closes (at most 10 s).
pub async fn relay(mut client: TcpStream, target: SocketAddr) {
    let Ok(mut upstream) = TcpStream::connect(target).await else {
        return;
    };
    let _ = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::io::copy_bidirectional(&mut client, &mut upstream),
    )
    .await;
}

type Handler = Arc<
    dyn Fn(usize, TcpStream) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync,
>;

/// A TCP server on a loopback address whose connections a test scripts by hand. It counts the
/// connections it accepted and stops when dropped.
pub struct RawServer {
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl RawServer {
    /// Binds `ip:0` (a loopback address) and hands each accepted connection, with its index from 0,
    /// to `handler`.
    pub async fn start<F, Fut>(ip: Ipv4Addr, handler: F) -> RawServer
    where
        F: Fn(usize, TcpStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        assert!(
            ip.is_loopback(),
            "raw servers listen on the loopback range only"
        );
        let listener = TcpListener::bind(SocketAddr::new(IpAddr::V4(ip), 0))
            .await
            .expect("a loopback port is free");
        let addr = listener.local_addr().expect("the listener has an address");
        let accepted = Arc::new(AtomicUsize::new(0));
        let handler: Handler = Arc::new(move |i, s| Box::pin(handler(i, s)));
        let count = accepted.clone();
        let task = tokio::spawn(async move {
            // Bounded: a test never opens this many connections.
            for _ in 0..10_000 {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let index = count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(handler(index, stream));
            }
        });
        RawServer {
            addr,
            accepted,
            task,
        }
    }

    /// How many connections were accepted.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// `http://ADDR/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A shared list the raw servers' handlers push what they saw into.
pub type Seen = Arc<Mutex<Vec<RawRequest>>>;

/// Locks a mutex, ignoring poisoning (a failed assertion elsewhere must not hide the real error).
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
