//! TCP servers on the loopback range whose connections a test scripts by hand: for faults neither
//! the emulator nor wiremock can produce, and to see exactly which bytes the client sends.

use std::{
    future::Future,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

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

    /// Every value of header `name` (case-insensitive), as text.
    pub fn header_values(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .collect()
    }

    /// The request target, e.g. `/v1/oauth2/userinfo`.
    pub fn target(&self) -> &str {
        self.line.split_whitespace().nth(1).unwrap_or_default()
    }
}

/// The longest request head a raw server reads.
const MAX_HEAD: usize = 64 * 1024;

/// Reads the requests of one connection one after another (HTTP/1.1 keep-alive), keeping what it
/// read past the end of one request for the next.
#[derive(Default)]
pub struct RequestReader {
    buf: Vec<u8>,
}

impl RequestReader {
    /// The next request (head and `Content-Length` body). `None` when the peer closed or sent
    /// something that is not a request.
    pub async fn next(&mut self, stream: &mut TcpStream) -> Option<RawRequest> {
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(pos) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break pos;
            }
            if self.buf.len() > MAX_HEAD {
                return None;
            }
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let line = head.split("\r\n").next()?.to_owned();
        // Header values are kept as bytes: a test may check bytes that are not UTF-8.
        let mut headers = Vec::new();
        for raw in self.buf[..head_end].split(|b| *b == b'\n').skip(1) {
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
        let body_start = head_end + 4;
        while self.buf.len() < body_start + length {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        let body = self.buf[body_start..body_start + length].to_vec();
        self.buf.drain(..body_start + length);
        Some(RawRequest {
            line,
            headers,
            body,
        })
    }
}

/// Reads one HTTP/1.1 request (head and `Content-Length` body), within 5 s. `None` when the peer
/// closed or sent something that is not a request.
pub async fn read_request(stream: &mut TcpStream) -> Option<RawRequest> {
    let mut reader = RequestReader::default();
    tokio::time::timeout(Duration::from_secs(5), reader.next(stream))
        .await
        .ok()
        .flatten()
}

/// Answers every request of the connection, as long as the peer keeps it open, with the whole
/// response (status line, headers, body) that `respond` gives for it.
pub async fn answer_each<F>(mut stream: TcpStream, respond: F)
where
    F: Fn(&RawRequest) -> Vec<u8>,
{
    let mut reader = RequestReader::default();
    while let Some(request) = reader.next(&mut stream).await {
        if stream.write_all(&respond(&request)).await.is_err() {
            return;
        }
    }
}

/// A whole answer: status, content type (`None`: no such header) and body, sent with
/// `Content-Length` and `Connection: close`.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            content_type: Some(content_type.to_owned()),
            body: body.into(),
        }
    }
}

/// Writes `reply`, then closes the connection.
pub async fn write_reply(stream: &mut TcpStream, reply: &Reply) {
    let mut head = format!("HTTP/1.1 {} X\r\n", reply.status);
    if let Some(content_type) = &reply.content_type {
        head.push_str(&format!("content-type: {content_type}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        reply.body.len()
    ));
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&reply.body).await;
    let _ = stream.flush().await;
    let _ = stream.shutdown().await;
}

/// Writes a whole response with `Content-Length` and `Connection: close`.
pub async fn write_response(stream: &mut TcpStream, status: u16, content_type: &str, body: &[u8]) {
    write_reply(stream, &Reply::new(status, content_type, body)).await;
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

type Handler =
    Arc<dyn Fn(usize, TcpStream) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A TCP server on a loopback address whose connections a test scripts by hand. It counts the
/// connections it accepted and stops accepting when dropped.
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
        RawServer::start_on(SocketAddr::new(IpAddr::V4(ip), 0), handler).await
    }

    /// [`RawServer::start`] on a given loopback address and port.
    pub async fn start_on<F, Fut>(addr: SocketAddr, handler: F) -> RawServer
    where
        F: Fn(usize, TcpStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        assert!(
            addr.ip().is_loopback(),
            "raw servers listen on the loopback range only"
        );
        let listener = TcpListener::bind(addr)
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

    /// A server that reads the one request of each connection and answers it with
    /// `answer(connection index, request)`, then closes. A connection that sends no request gets
    /// no answer.
    pub async fn answering<F>(ip: Ipv4Addr, answer: F) -> RawServer
    where
        F: Fn(usize, RawRequest) -> Reply + Send + Sync + 'static,
    {
        let answer = Arc::new(answer);
        RawServer::start(ip, move |index, mut stream| {
            let answer = answer.clone();
            async move {
                let Some(request) = read_request(&mut stream).await else {
                    return;
                };
                let reply = answer(index, request);
                write_reply(&mut stream, &reply).await;
            }
        })
        .await
    }

    /// A keep-alive HTTP/1.1 server on `127.0.0.1:port` (0: any free port) that answers every
    /// request of every connection with the whole response `respond` gives for it.
    pub async fn keep_alive<F>(port: u16, respond: F) -> RawServer
    where
        F: Fn(&RawRequest) -> Vec<u8> + Send + Sync + 'static,
    {
        let respond = Arc::new(respond);
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
        RawServer::start_on(addr, move |_, stream| {
            let respond = respond.clone();
            async move { answer_each(stream, |request| respond(request)).await }
        })
        .await
    }

    /// How many connections were accepted.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// `http://ADDR/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// `http://ADDR`, for the tests whose routes are the API's paths without the `/v1` prefix.
    pub fn root_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A shared list the raw servers' handlers push what they saw into.
pub type Seen = Arc<Mutex<Vec<RawRequest>>>;
